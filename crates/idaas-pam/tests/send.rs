//! Every public future of the client is `Send`, so it runs on any executor
//! thread (compile-time: this file does not build otherwise).

use std::sync::Arc;
use std::time::Duration;

use idaas_core::token::Credential;
use idaas_credentials::StaticCredentialProvider;
use idaas_pam::*;

fn assert_send<T: Send>(_: &T) {}

#[test]
#[allow(deprecated)]
fn every_public_future_is_send() {
    let pam = PamClient::builder()
        .developer_api_endpoint("https://eiam-developerapi.example.com")
        .idaas_instance_id("i")
        .credential_provider(Arc::new(StaticCredentialProvider::new(Credential::bearer(
            "t", None,
        ))))
        .build()
        .unwrap();
    let token: idaas_core::SecretString = "t".into();
    let fetch = FetchOAuthToken::new("cp", AuthorizationFlow::UserFederation);
    let generate = GenerateJwt::default();
    let filter = TokenFilter::default();
    assert_send(&pam.api_key("x"));
    assert_send(&pam.fetch_oauth_authentication_token("cp", None));
    assert_send(&pam.fetch_oauth_authentication_token_v2(&fetch));
    assert_send(&pam.oauth_authorization_session("urn:x"));
    assert_send(&pam.poll_oauth_authentication_token(&fetch, |_| Ok(()), PollOptions::default()));
    assert_send(&pam.poll_oauth_authentication_token_with_sleep(
        &fetch,
        |_| Ok(()),
        PollOptions::default(),
        |_: Duration| std::future::ready(()),
    ));
    assert_send(&pam.generate_jwt_authentication_token(&generate));
    assert_send(&pam.obtain_jwt_authentication_token("c", "t"));
    assert_send(&pam.obtain_jwt_authentication_token_by_derived_short_token(&token));
    assert_send(&pam.list_authentication_tokens("c", "p", &filter, None));
    assert_send(&pam.authentication_tokens("c", "p", filter.clone()));
    assert_send(&pam.validate_authentication_token(&token, None));
    assert_send(&pam.validate_authentication_token(&token, Some("jwt")));
    assert_send(&pam.revoke_authentication_token(&token, None));
    assert_send(&pam.reinstate_authentication_token(&token, None));
    assert_send(&pam.revoke_authentication_token(&token, None));
    assert_send(&pam.reinstate_authentication_token(&token, None));
    assert_send(&pam.revoke_authentication_token_by_consumer("c", "p"));
    assert_send(&pam.reinstate_authentication_token_by_consumer("c", "p"));
    assert_send(&pam.obtain_cloud_account_role_access_credential("r", None));
    // and the client can be stored in an application's state
    struct App {
        _pam: PamClient,
    }
    let _app = App { _pam: pam.clone() };
}
