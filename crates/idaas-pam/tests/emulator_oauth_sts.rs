//! OAuth authentication tokens, authorization sessions and cloud-role STS
//! credentials against the emulator's PAM API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::clock::{Clock, SystemClock};
use idaas_credentials::CredentialProviderFactory;
use idaas_emulator::{CloudAccountRole, CloudVendor, Emulator, OAuthProvider};
use idaas_oauth::jose::{Validation, verify_jwt};
use idaas_pam::*;

mod support;

const GOOGLE: &str = "https://accounts.example.com/o/oauth2/auth";

async fn setup() -> (Emulator, CredentialProviderFactory, PamClient) {
    let (emulator, factory, pam) = support::emulator_setup().await;
    emulator.register_oauth_provider(OAuthProvider::m2m("cp-m2m", "files.read"));
    emulator.register_oauth_provider(OAuthProvider::user_federation(
        "cp-google",
        "drive.readonly",
        GOOGLE,
    ));
    emulator.register_cloud_account_role(CloudAccountRole::new(
        "acs:ram::1234:role/deploy",
        CloudVendor::AlibabaCloud,
        "1234",
    ));
    emulator.register_cloud_account_role(
        CloudAccountRole::new("arn:aws:iam::5678:role/ci", CloudVendor::Aws, "5678")
            .max_session(3600),
    );
    emulator.register_cloud_account_role(CloudAccountRole::new(
        "qcs::cam::uin/9:roleName/ops",
        CloudVendor::TencentCloud,
        "9",
    ));
    (emulator, factory, pam)
}

fn verify(
    emulator: &Emulator,
    token: &str,
    audience: &str,
) -> serde_json::Map<String, serde_json::Value> {
    verify_jwt(
        token,
        &[emulator.verifying_key()],
        &Validation {
            issuer: Some(emulator.base_url().to_owned()),
            audience: Some(audience.into()),
            ..Validation::default()
        },
        SystemClock.now(),
    )
    .unwrap()
}

fn fast() -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(5),
        ..PollOptions::default()
    }
}

/// The `state` of an authorization URL: the emulator's session id.
fn session_id(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_owned()
}

#[tokio::test]
#[allow(deprecated)]
async fn m2m_tokens_v1_and_v2() {
    let (emulator, _factory, pam) = setup().await;
    let token = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new(
            "cp-m2m",
            AuthorizationFlow::M2m,
        ))
        .await
        .unwrap();
    let content = token.oauth_access_token_content.clone().unwrap();
    assert_eq!(
        content.scope.as_deref(),
        Some("files.read"),
        "the provider's scope"
    );
    assert_eq!(content.token_type.as_deref(), Some("Bearer"));
    let claims = verify(
        &emulator,
        content.access_token_value.expose_secret(),
        "cp-m2m",
    );
    assert_eq!(claims["sub"], "pam-app");
    assert_eq!(
        token.record.authentication_token_type.as_deref(),
        Some("oauth_access_token")
    );
    assert!(!token.record.authentication_token_id.is_empty());
    // the token is an authentication token like the others
    assert!(
        pam.validate_authentication_token(&content.access_token_value, None)
            .await
            .unwrap()
    );
    let listed = pam
        .list_authentication_tokens("pam-app", "cp-m2m", &TokenFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(listed.entities.len(), 1);
    assert_eq!(
        listed.entities[0].authentication_token_id,
        token.record.authentication_token_id
    );

    let v1 = pam
        .fetch_oauth_authentication_token("cp-m2m", Some("files.write"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        verify(&emulator, v1.expose_secret(), "cp-m2m")["scope"],
        "files.write"
    );
    // v1 on a provider that needs a person: no token
    assert!(
        pam.fetch_oauth_authentication_token("cp-google", None)
            .await
            .unwrap()
            .is_none()
    );
    let err = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new(
            "cp-google",
            AuthorizationFlow::M2m,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("authorization_flow_mismatch"));
    let err = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new("nope", AuthorizationFlow::M2m))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn user_federation_session_completed_through_the_emulator() {
    let (emulator, _factory, pam) = setup().await;
    let request = FetchOAuthToken {
        custom_parameters: Some([("access_type".to_owned(), "offline".to_owned())].into()),
        ..FetchOAuthToken::new("cp-google", AuthorizationFlow::UserFederation)
    };
    let pending = pam
        .fetch_oauth_authentication_token_v2(&request)
        .await
        .unwrap();
    let session = pending.oauth_authorization_session.unwrap();
    let url = session.authorization_url.unwrap();
    assert!(
        url.starts_with(GOOGLE) && url.contains("access_type=offline"),
        "{url}"
    );
    let uri = session.session_uri.unwrap();
    let status = pam.oauth_authorization_session(&uri).await.unwrap();
    assert_eq!(status.session_status, Some(SessionStatus::Pending));
    assert_eq!(status.authorization_url.as_deref(), Some(url.as_str()));
    assert_eq!(
        status.credential_provider_identifier.as_deref(),
        Some("cp-google")
    );
    assert!(status.expiration_time.is_some());

    assert!(emulator.complete_authorization_session(&session_id(&url)));
    assert!(
        !emulator.complete_authorization_session(&session_id(&url)),
        "only once"
    );
    let done = pam.oauth_authorization_session(&uri).await.unwrap();
    assert_eq!(done.session_status, Some(SessionStatus::Completed));
    let token = pam
        .fetch_oauth_authentication_token_v2(&request)
        .await
        .unwrap();
    assert_eq!(
        Some(token.record.authentication_token_id.clone()),
        done.authentication_token_id,
        "the session's token"
    );
    verify(
        &emulator,
        token.access_token().unwrap().expose_secret(),
        "cp-google",
    );
    // forcing asks the person again
    let forced = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken {
            force_authentication: Some(true),
            ..request
        })
        .await
        .unwrap();
    assert!(forced.has_authorization_session());
}

#[tokio::test]
async fn polling_hands_over_the_url_and_returns_the_token() {
    let (emulator, _factory, pam) = setup().await;
    let shown = Arc::new(Mutex::new(None::<String>));
    let show = shown.clone();
    let emulator = Arc::new(emulator);
    let person = emulator.clone();
    let request = FetchOAuthToken::new("cp-google", AuthorizationFlow::UserFederation);
    let token = pam
        .poll_oauth_authentication_token(
            &request,
            move |url| {
                *show.lock().unwrap() = Some(url.to_owned());
                // the person authorizes in the browser
                assert!(person.complete_authorization_session(&session_id(url)));
                Ok(())
            },
            fast(),
        )
        .await
        .unwrap();
    assert!(
        shown
            .lock()
            .unwrap()
            .as_deref()
            .unwrap()
            .starts_with(GOOGLE)
    );
    let claims = verify(
        &emulator,
        token.access_token().unwrap().expose_secret(),
        "cp-google",
    );
    assert_eq!(claims["scope"], "drive.readonly");
    // granted already: no callback the second time
    let again = pam
        .poll_oauth_authentication_token(&request, |_| panic!("asked twice"), fast())
        .await
        .unwrap();
    assert_eq!(
        again.record.authentication_token_id,
        token.record.authentication_token_id
    );
}

#[tokio::test]
async fn polling_reports_failed_and_expired_sessions_and_timeouts() {
    let (emulator, _factory, pam) = setup().await;
    let emulator = Arc::new(emulator);
    let request = FetchOAuthToken::new("cp-google", AuthorizationFlow::UserFederation);
    let person = emulator.clone();
    let err = pam
        .poll_oauth_authentication_token(
            &request,
            move |url| {
                person.fail_authorization_session(
                    &session_id(url),
                    "access_denied",
                    "the user declined",
                );
                Ok(())
            },
            fast(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("access_denied"));
    assert!(err.to_string().contains("the user declined"));
    let person = emulator.clone();
    let err = pam
        .poll_oauth_authentication_token(
            &request,
            move |url| {
                person.expire_authorization_session(&session_id(url));
                Ok(())
            },
            fast(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("authorization_session_expired"));
    let err = pam
        .poll_oauth_authentication_token(
            &request,
            |_| Ok(()),
            PollOptions {
                max_retries: 3,
                ..fast()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("polling_timeout"));
}

#[tokio::test]
async fn cloud_role_credentials_of_each_cloud() {
    let (emulator, factory, pam) = setup().await;
    let alibaba = pam
        .obtain_cloud_account_role_access_credential("acs:ram::1234:role/deploy", Some(900))
        .await
        .unwrap();
    assert_eq!(
        alibaba.cloud_account_vendor_type.as_deref(),
        Some("alibaba_cloud")
    );
    assert_eq!(alibaba.cloud_account_role_name.as_deref(), Some("deploy"));
    let credential = &alibaba.cloud_account_role_access_credential;
    let Some(StsCredential::AlibabaCloud(sts)) = credential.sts() else {
        panic!("{credential:?}")
    };
    assert!(sts.access_key_id.starts_with("STS."));
    assert!(!sts.access_key_secret.is_blank());
    let claims = verify(
        &emulator,
        sts.security_token.expose_secret(),
        "alibaba_cloud",
    );
    assert_eq!(claims["sub"], "acs:ram::1234:role/deploy");
    let expires_at = credential.access_credential_expires_at.unwrap();
    assert_eq!(claims["exp"], expires_at);
    let now = SystemClock.now().as_secs();
    assert!((now + 895..=now + 905).contains(&expires_at), "900 s asked");
    let expiration = sts.expiration.as_deref().unwrap();
    assert_eq!(expiration.len(), 20, "YYYY-MM-DDTHH:MM:SSZ: {expiration}");

    // the cloud caps the session
    let aws = pam
        .obtain_cloud_account_role_access_credential("arn:aws:iam::5678:role/ci", Some(43_200))
        .await
        .unwrap();
    let credential = &aws.cloud_account_role_access_credential;
    let Some(StsCredential::Aws(sts)) = credential.sts() else {
        panic!()
    };
    assert!(sts.access_key_id.starts_with("ASIA"));
    verify(&emulator, sts.session_token.expose_secret(), "aws");
    assert!(credential.access_credential_expires_at.unwrap() <= now + 3605);
    assert!(
        credential.alibaba_cloud_sts_token.is_none()
            && credential.tencent_cloud_sts_token.is_none()
    );

    let tencent = pam
        .obtain_cloud_account_role_access_credential("qcs::cam::uin/9:roleName/ops", None)
        .await
        .unwrap();
    let Some(StsCredential::TencentCloud(sts)) = tencent.cloud_account_role_access_credential.sts()
    else {
        panic!()
    };
    verify(&emulator, sts.token.expose_secret(), "tencent_cloud");

    let err = pam
        .obtain_cloud_account_role_access_credential("arn:aws:iam::0:role/unknown", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));

    // the narrower scope is enough for STS credentials, and only for them
    let narrow = factory
        .provider_for_scope("urn:cloud:idaas:pam|cloud_account:obtain_access_credential")
        .await
        .unwrap();
    let sts_only = support::client_with(emulator.base_url(), Arc::new(narrow));
    sts_only
        .obtain_cloud_account_role_access_credential("acs:ram::1234:role/deploy", None)
        .await
        .unwrap();
    let err = sts_only
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new(
            "cp-m2m",
            AuthorizationFlow::M2m,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let other = factory
        .provider_for_scope("api.example.com|read")
        .await
        .unwrap();
    let wrong = support::client_with(emulator.base_url(), Arc::new(other));
    let err = wrong
        .obtain_cloud_account_role_access_credential("acs:ram::1234:role/deploy", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("insufficient_scope"));
}
