//! On the wire: API keys, JWT authentication tokens, listing and the token
//! lifecycle — exact method, path, query, headers and body, and parsing of a
//! full answer and of one without its optional fields.

mod support;

use idaas_core::SecretString;
use idaas_pam::{Error, GenerateJwt, TokenFilter};
use serde_json::json;
use support::{Capture, assert_full_record, assert_request, record_with};

#[tokio::test]
async fn api_key() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        200,
        json!({
            "instanceId": "idaas_x/y", "credentialId": "cred_1", "credentialIdentifier": "cred id/1",
            "credentialName": "n", "credentialType": "api_key", "credentialScenarioLabel": "llm",
            "credentialSharingScope": "s", "credentialSubjectType": "authentication_token_provider",
            "credentialSubjectId": "x", "credentialCreationType": "user_custom", "status": "enabled",
            "createTime": 1, "updateTime": 2,
            "credentialContent": {"apiKeyContent": {"apiKey": "sk-live-1"}},
        }),
    );
    let key = pam.api_key("cred id/1").await.unwrap().unwrap();
    assert_eq!(key.expose_secret(), "sk-live-1");
    let r = server.take_one();
    assert_request(
        &r,
        "GET",
        "/credentials/_/actions/obtain",
        "ObtainCredential",
        true,
    );
    assert_eq!(r.query.as_deref(), Some("credentialIdentifier=cred+id%2F1"));

    // an OAuth client credential: no API key exposed
    server.reply(200, json!({"credentialType": "oauth_client", "credentialContent": {"oauthClientContent": {"clientId": "c", "clientSecret": "s"}}}));
    assert!(pam.api_key("oauth").await.unwrap().is_none());
    server.reply(200, json!({}));
    assert!(pam.api_key("bare").await.unwrap().is_none());
}

#[tokio::test]
async fn generate_jwt_authentication_token() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        200,
        record_with(
            "at_1",
            json!({"jwtContent": {"jwtValue": "eyJ.jwt.sig", "derivedShortToken": "st_1"}}),
        ),
    );
    let request = GenerateJwt {
        credential_provider_identifier: "cp1".into(),
        subject: "subj".into(),
        audiences: vec!["aud1".into(), "aud2".into()],
        issuer: Some("iss".into()),
        custom_claims: Some(
            json!({"k": 1, "n": {"x": [1]}})
                .as_object()
                .unwrap()
                .clone(),
        ),
        expiration: Some(300),
        include_derived_short_token: true,
    };
    let token = pam
        .generate_jwt_authentication_token(&request)
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "POST",
        "/authenticationTokens/_/actions/generateJwt",
        "GenerateJwtAuthenticationToken",
        true,
    );
    assert_eq!(r.query, None);
    // the reference's observed body, byte for byte
    assert_eq!(
        r.body_text(),
        r#"{"audiences":["aud1","aud2"],"credentialProviderIdentifier":"cp1","customClaims":{"k":1,"n":{"x":[1]}},"expiration":300,"includeDerivedShortToken":true,"issuer":"iss","subject":"subj"}"#
    );
    assert_full_record(&token.record, "at_1");
    assert_eq!(token.jwt_content.jwt_value.expose_secret(), "eyJ.jwt.sig");
    assert_eq!(
        token
            .jwt_content
            .derived_short_token
            .as_ref()
            .map(SecretString::expose_secret),
        Some("st_1")
    );

    // the required fields only; an answer with only the JWT
    server.reply(200, json!({"jwtContent": {"jwtValue": "j2"}}));
    let minimal = GenerateJwt {
        credential_provider_identifier: "cp1".into(),
        subject: "s".into(),
        audiences: vec!["a".into()],
        ..GenerateJwt::default()
    };
    let token = pam
        .generate_jwt_authentication_token(&minimal)
        .await
        .unwrap();
    assert_eq!(
        server.take_one().body_text(),
        r#"{"audiences":["a"],"credentialProviderIdentifier":"cp1","subject":"s"}"#
    );
    assert_eq!(token.record.authentication_token_id, "");
    assert_eq!(token.record.consumer_id, None);
    assert_eq!(token.record.expiration_time, None);
    assert!(token.jwt_content.derived_short_token.is_none());
    // no jwtContent: an invalid response, not a panic
    server.reply(200, record_with("at_3", json!({})));
    assert!(matches!(
        pam.generate_jwt_authentication_token(&minimal).await,
        Err(Error::InvalidResponse { .. })
    ));
}

#[tokio::test]
async fn obtain_jwt_authentication_token_by_id_and_by_short_token() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        200,
        record_with(
            "at_1",
            json!({"jwtContent": {"jwtValue": "j1", "derivedShortToken": "st_1"}}),
        ),
    );
    let content = pam
        .obtain_jwt_authentication_token("c1", "at_1")
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "POST",
        "/authenticationTokens/_/actions/obtainJwt",
        "ObtainJwtAuthenticationToken",
        true,
    );
    assert_eq!(
        r.body_text(),
        r#"{"authenticationTokenId":"at_1","consumerId":"c1"}"#
    );
    assert_eq!(content.jwt_value.expose_secret(), "j1");
    assert_eq!(content.derived_short_token.unwrap().expose_secret(), "st_1");

    server.reply(200, json!({"jwtContent": {"jwtValue": "j1"}}));
    let content = pam
        .obtain_jwt_authentication_token_by_derived_short_token(&"st_1".into())
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "POST",
        "/authenticationTokens/_/actions/obtainJwtByDerivedShortToken",
        "ObtainJwtAuthenticationTokenByDerivedShortToken",
        false,
    );
    assert_eq!(r.body_text(), r#"{"derivedShortToken":"st_1"}"#);
    assert_eq!(content.jwt_value.expose_secret(), "j1");
    assert!(content.derived_short_token.is_none());
}

#[tokio::test]
async fn list_authentication_tokens() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        200,
        json!({
            "entities": [record_with("at_1", json!({})), record_with("at_2", json!({}))],
            "totalCount": 7, "nextToken": "nt2", "maxResults": 20,
        }),
    );
    let filter = TokenFilter {
        revoked: Some(false),
        expired: Some(true),
        max_results: Some(20),
    };
    let page = pam
        .list_authentication_tokens("cons 1", "cp1", &filter, Some("nt"))
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "GET",
        "/authenticationTokens",
        "ListAuthenticationTokens",
        true,
    );
    // the spec's order; booleans lowercase (the reference's `True`/`False` is defect 2)
    assert_eq!(
        r.query.as_deref(),
        Some(
            "consumerId=cons+1&credentialProviderIdentifier=cp1&expired=true&maxResults=20&nextToken=nt&revoked=false"
        )
    );
    assert_eq!(page.entities.len(), 2);
    assert_full_record(&page.entities[0], "at_1");
    assert_eq!(page.entities[1].authentication_token_id, "at_2");
    assert_eq!(page.total_count, Some(7));
    assert_eq!(page.next_token.as_deref(), Some("nt2"));
    assert_eq!(page.max_results, Some(20));

    server.reply(200, json!({}));
    let page = pam
        .list_authentication_tokens("c", "p", &TokenFilter::default(), None)
        .await
        .unwrap();
    assert_eq!(
        server.take_one().query.as_deref(),
        Some("consumerId=c&credentialProviderIdentifier=p")
    );
    assert!(page.entities.is_empty());
    assert_eq!(
        (page.total_count, page.next_token, page.max_results),
        (None, None, None)
    );
}

#[tokio::test]
async fn validate_authentication_token() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(200, json!({"active": true}));
    assert!(
        pam.validate_authentication_token(&"eyJ.a.b".into(), None)
            .await
            .unwrap()
    );
    let r = server.take_one();
    assert_request(
        &r,
        "POST",
        "/authenticationTokens/_/actions/validate",
        "ValidateAuthenticationToken",
        false,
    );
    assert_eq!(r.body_text(), r#"{"token":"eyJ.a.b"}"#);
    server.reply(200, json!({"active": false}));
    assert!(
        !pam.validate_authentication_token(&"t".into(), None)
            .await
            .unwrap()
    );
    // `{}`: no answer to the question, reported rather than guessed
    server.reply(200, json!({}));
    assert!(matches!(
        pam.validate_authentication_token(&"t".into(), None).await,
        Err(Error::InvalidResponse { .. })
    ));
}

#[tokio::test]
async fn revoke_and_reinstate_by_token_and_by_consumer() {
    let server = Capture::start().await;
    let pam = server.client();
    let token: SecretString = "eyJ.a.b".into();
    // a body is ignored; 204 is success too (defect 6)
    server.reply(200, json!({"requestId": "r"}));
    pam.revoke_authentication_token(&token, None).await.unwrap();
    server.reply_raw(204, "");
    pam.reinstate_authentication_token(&token, None)
        .await
        .unwrap();
    server.reply_raw(200, "");
    pam.revoke_authentication_token_by_consumer("cons 1", "cp1")
        .await
        .unwrap();
    server.reply_raw(204, "");
    pam.reinstate_authentication_token_by_consumer("cons 1", "cp1")
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let by_consumer = r#"{"consumerId":"cons 1","credentialProviderIdentifier":"cp1"}"#;
    for (r, (path, action, body)) in requests.iter().zip([
        (
            "revoke",
            "RevokeAuthenticationToken",
            r#"{"token":"eyJ.a.b"}"#,
        ),
        (
            "reinstate",
            "ReinstateAuthenticationToken",
            r#"{"token":"eyJ.a.b"}"#,
        ),
        (
            "revokeByConsumer",
            "RevokeAuthenticationTokenByConsumer",
            by_consumer,
        ),
        (
            "reinstateByConsumer",
            "ReinstateAuthenticationTokenByConsumer",
            by_consumer,
        ),
    ]) {
        assert_request(
            r,
            "POST",
            &format!("/authenticationTokens/_/actions/{path}"),
            action,
            true,
        );
        assert_eq!(r.body_text(), body);
    }
    // a nonce per request
    let nonces: std::collections::HashSet<_> = requests
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 4);

    server.clear();
    pam.revoke_authentication_token(&token, Some("derived_short_token"))
        .await
        .unwrap();
    pam.reinstate_authentication_token(&token, Some("jwt"))
        .await
        .unwrap();
    let bodies: Vec<_> = server.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(
        bodies,
        [
            r#"{"token":"eyJ.a.b","token_type_hint":"derived_short_token"}"#,
            r#"{"token":"eyJ.a.b","token_type_hint":"jwt"}"#
        ]
    );
}

#[tokio::test]
async fn api_errors_carry_status_code_message_and_request_id() {
    let server = Capture::start().await;
    let pam = server.client();
    server.reply(
        404,
        json!({"error": "credential_not_found", "error_description": "no such credential", "request_id": "req-9"}),
    );
    match pam.api_key("x").await.unwrap_err() {
        Error::Api {
            operation,
            status,
            code,
            message,
            request_id,
        } => {
            assert_eq!(operation, "obtain credential");
            assert_eq!(status, 404);
            assert_eq!(code, "credential_not_found");
            assert_eq!(message, "no such credential");
            assert_eq!(request_id, "req-9");
        }
        other => panic!("{other:?}"),
    }
    // a JSON operation insists on 200
    server.reply(201, json!({"active": true}));
    let err = pam
        .validate_authentication_token(&"t".into(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(201));
    // a non-JSON error body still gives the status, once the transport's
    // default retries (3 attempts on a 502) are spent
    for _ in 0..3 {
        server.reply_raw(502, "<html>bad gateway</html>");
    }
    let before = server.requests().len();
    let err = pam
        .revoke_authentication_token(&"t".into(), None)
        .await
        .unwrap_err();
    assert_eq!(
        server.requests().len() - before,
        3,
        "3 attempts, then the error"
    );
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), Some("unknown"));
}
