//! Arguments the API would reject fail before any request, each error naming
//! the argument; secrets in answers never appear in `Debug` output.

mod support;

use std::collections::BTreeMap;

use idaas_pam::{AuthorizationFlow, Error, FetchOAuthToken, GenerateJwt, PollOptions};
use serde_json::json;
use support::{Capture, record_with};

fn invalid(result: Result<impl std::fmt::Debug, Error>, names: &str) {
    match result {
        Err(Error::InvalidArgument(message)) => {
            assert!(message.contains(names), "{message:?} should name {names}")
        }
        other => panic!("expected InvalidArgument naming {names}, got {other:?}"),
    }
}

#[tokio::test]
#[allow(deprecated)]
async fn invalid_arguments_send_nothing() {
    let server = Capture::start().await;
    let pam = server.client();
    invalid(pam.api_key("").await, "credential_identifier");
    invalid(
        pam.fetch_oauth_authentication_token(" ", None).await,
        "credential_provider_identifier",
    );
    let long = "s".repeat(257);
    invalid(
        pam.fetch_oauth_authentication_token("cp", Some(&long))
            .await,
        "scope",
    );
    let ok_len = FetchOAuthToken {
        scope: Some("é".repeat(256)),
        ..FetchOAuthToken::new("", AuthorizationFlow::M2m)
    };
    // 256 characters is fine; the empty provider is not
    invalid(
        pam.fetch_oauth_authentication_token_v2(&ok_len).await,
        "credential_provider_identifier",
    );
    let too_long = FetchOAuthToken {
        scope: Some(long.clone()),
        ..FetchOAuthToken::new("cp", AuthorizationFlow::M2m)
    };
    invalid(
        pam.fetch_oauth_authentication_token_v2(&too_long).await,
        "at most 256",
    );
    let blank_scope = FetchOAuthToken {
        scope: Some("  ".into()),
        ..FetchOAuthToken::new("cp", AuthorizationFlow::M2m)
    };
    invalid(
        pam.fetch_oauth_authentication_token_v2(&blank_scope).await,
        "scope",
    );
    let bad_parameter = FetchOAuthToken {
        custom_parameters: Some(BTreeMap::from([(String::new(), "x".into())])),
        ..FetchOAuthToken::new("cp", AuthorizationFlow::UserFederation)
    };
    invalid(
        pam.poll_oauth_authentication_token(&bad_parameter, |_| Ok(()), PollOptions::default())
            .await,
        "custom_parameters",
    );
    invalid(
        "federated".parse::<AuthorizationFlow>().map(|_| ()),
        "authorization_flow",
    );
    invalid(pam.oauth_authorization_session("").await, "session_uri");
    let generate = GenerateJwt {
        credential_provider_identifier: "cp".into(),
        subject: "s".into(),
        audiences: vec!["https://api.example.com".into(), "urn:cloud:idaas:x".into()],
        ..GenerateJwt::default()
    };
    invalid(
        pam.generate_jwt_authentication_token(&generate).await,
        "urn:cloud:idaas",
    );
    invalid(
        pam.generate_jwt_authentication_token(&GenerateJwt {
            subject: String::new(),
            ..generate.clone()
        })
        .await,
        "subject",
    );
    invalid(
        pam.generate_jwt_authentication_token(&GenerateJwt {
            audiences: vec![],
            ..generate
        })
        .await,
        "audience",
    );
    invalid(
        pam.obtain_jwt_authentication_token("c", "").await,
        "authentication_token_id",
    );
    invalid(
        pam.obtain_jwt_authentication_token_by_derived_short_token(&"".into())
            .await,
        "derived_short_token",
    );
    invalid(
        pam.list_authentication_tokens("", "cp", &Default::default(), None)
            .await,
        "consumer_id",
    );
    invalid(
        pam.validate_authentication_token(&" ".into(), None).await,
        "token",
    );
    invalid(
        pam.revoke_authentication_token(&"".into(), None).await,
        "token",
    );
    invalid(
        pam.reinstate_authentication_token(&"".into(), None).await,
        "token",
    );
    invalid(
        pam.revoke_authentication_token_by_consumer("c", "").await,
        "credential_provider_identifier",
    );
    invalid(
        pam.reinstate_authentication_token_by_consumer("", "cp")
            .await,
        "consumer_id",
    );
    invalid(
        pam.obtain_cloud_account_role_access_credential("", None)
            .await,
        "cloud_account_role_external_id",
    );
    invalid(
        pam.obtain_cloud_account_role_access_credential("r", Some(899))
            .await,
        "duration_seconds",
    );
    invalid(
        pam.obtain_cloud_account_role_access_credential("r", Some(43_201))
            .await,
        "duration_seconds",
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let server = Capture::start().await;
    let pam = server.client();
    let secrets = [
        "SECRET-api-key",
        "SECRET-jwt",
        "SECRET-short",
        "SECRET-access-token",
        "SECRET-ali-key",
        "SECRET-ali-token",
        "SECRET-aws-key",
        "SECRET-aws-token",
        "SECRET-tc-key",
        "SECRET-tc-token",
    ];
    server.reply(
        200,
        json!({"credentialContent": {"apiKeyContent": {"apiKey": secrets[0]}}}),
    );
    server.reply(
        200,
        record_with(
            "at_1",
            json!({"jwtContent": {"jwtValue": secrets[1], "derivedShortToken": secrets[2]}}),
        ),
    );
    server.reply(
        200,
        json!({"jwtContent": {"jwtValue": secrets[1], "derivedShortToken": secrets[2]}}),
    );
    server.reply(
        200,
        record_with("at_2", json!({"oauthAccessTokenContent": {"accessTokenValue": secrets[3], "tokenType": "Bearer"}})),
    );
    server.reply(
        200,
        json!({"cloudAccountRoleAccessCredential": {
            "alibabaCloudStsToken": {"accessKeyId": "STS.1", "accessKeySecret": secrets[4], "securityToken": secrets[5]},
            "awsStsToken": {"accessKeyId": "ASIA1", "secretAccessKey": secrets[6], "sessionToken": secrets[7]},
            "tencentCloudStsToken": {"tmpSecretId": "AKID1", "tmpSecretKey": secrets[8], "token": secrets[9]},
        }}),
    );
    let mut debug = String::new();
    let key = pam.api_key("k").await.unwrap();
    debug += &format!("{key:?}");
    let generated = pam
        .generate_jwt_authentication_token(&GenerateJwt {
            credential_provider_identifier: "cp".into(),
            subject: "s".into(),
            audiences: vec!["a".into()],
            include_derived_short_token: true,
            ..GenerateJwt::default()
        })
        .await
        .unwrap();
    debug += &format!("{generated:?} {generated:#?}");
    let content = pam
        .obtain_jwt_authentication_token("c", "at_1")
        .await
        .unwrap();
    debug += &format!("{content:?}");
    let oauth = pam
        .fetch_oauth_authentication_token_v2(&FetchOAuthToken::new("cp", AuthorizationFlow::M2m))
        .await
        .unwrap();
    debug += &format!("{oauth:?} {:?}", oauth.oauth_access_token_content);
    let sts = pam
        .obtain_cloud_account_role_access_credential("r", None)
        .await
        .unwrap();
    debug += &format!(
        "{sts:?} {:?}",
        sts.cloud_account_role_access_credential.sts()
    );
    // the values did arrive: each is behind an explicit accessor
    assert_eq!(key.unwrap().expose_secret(), secrets[0]);
    assert_eq!(oauth.access_token().unwrap().expose_secret(), secrets[3]);
    assert_eq!(
        sts.cloud_account_role_access_credential
            .aws_sts_token
            .as_ref()
            .unwrap()
            .session_token
            .expose_secret(),
        secrets[7]
    );
    for secret in secrets {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    assert!(debug.contains("[REDACTED]"));
    assert!(debug.contains("STS.1"), "key ids are not secret: {debug}");
}
