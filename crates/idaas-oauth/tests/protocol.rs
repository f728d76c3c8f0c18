//! Client authentication, grants and response handling, against a recording
//! transport: exact form fields, headers and assertion claims.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use idaas_core::TransportError;
use idaas_core::clock::ManualClock;
use idaas_core::http::{Bytes, HttpClient, HttpRequest, HttpResponse};
use idaas_oauth::form::decode;
use idaas_oauth::jose::{Algorithm, JwtHeader, SigningKey, b64url_decode};
use idaas_oauth::*;
use serde_json::Value;

/// (url, form fields, headers) of one request.
type Recorded = (String, Vec<(String, String)>, Vec<(String, String)>);
/// (status, headers, body) to answer with.
type Reply = (u16, Vec<(&'static str, &'static str)>, String);

#[derive(Debug, Default)]
struct Recorder {
    requests: Mutex<Vec<Recorded>>,
    reply: Mutex<Option<Reply>>,
}

#[async_trait]
impl HttpClient for Recorder {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let form = decode(std::str::from_utf8(request.body()).unwrap());
        self.requests
            .lock()
            .unwrap()
            .push((request.uri().to_string(), form, headers));
        let (status, headers, body) = self.reply.lock().unwrap().clone().unwrap_or((
            200,
            vec![],
            r#"{"access_token":"AT","token_type":"Bearer","expires_in":3600}"#.into(),
        ));
        let mut response = http::Response::builder().status(status);
        for (k, v) in headers {
            response = response.header(k, v);
        }
        Ok(response.body(Bytes::from(body)).unwrap())
    }
}

const ENDPOINT: &str = "https://idp.example.com/oauth2/token";

fn client(auth: ClientAuth) -> (OAuthClient, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let client = OAuthClient::new(recorder.clone(), "app_c1", ENDPOINT, auth)
        .with_clock(Arc::new(ManualClock::at_secs(1_700_000_000)))
        .with_introspection_endpoint("https://idp.example.com/oauth2/introspect")
        .with_revocation_endpoint("https://idp.example.com/oauth2/revoke");
    (client, recorder)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn names(form: &[(String, String)]) -> Vec<&str> {
    form.iter().map(|(n, _)| n.as_str()).collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    &form.iter().find(|(n, _)| n == name).unwrap().1
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn jwt_parts(jwt: &str) -> (Value, Value, Vec<u8>) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    (
        serde_json::from_slice(&b64url_decode(parts[0]).unwrap()).unwrap(),
        serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap(),
        b64url_decode(parts[2]).unwrap(),
    )
}

#[tokio::test]
async fn basic_auth_encodes_per_rfc6749_or_raw_like_the_reference() {
    let secret = "s3cr:et/+ é";
    let (c, rec) = client(ClientAuth::SecretBasic {
        secret: secret.into(),
        encoding: BasicEncoding::Raw,
    });
    c.client_credentials(&ClientCredentials::scope("api|read"))
        .await
        .unwrap();
    let (_, form, headers) = rec.requests.lock().unwrap()[0].clone();
    // observed from the reference SDK
    assert_eq!(
        header(&headers, "authorization"),
        Some("Basic YXBwX2MxOnMzY3I6ZXQvKyDDqQ==")
    );
    assert_eq!(names(&form), ["client_id", "grant_type", "scope"]);

    let (c, rec) = client(ClientAuth::basic(secret));
    c.client_credentials(&ClientCredentials::scope("api|read"))
        .await
        .unwrap();
    let (_, _, headers) = rec.requests.lock().unwrap()[0].clone();
    use base64::Engine;
    let expected =
        base64::engine::general_purpose::STANDARD.encode("app_c1:s3cr%3Aet%2F%2B+%C3%A9");
    assert_eq!(
        header(&headers, "authorization"),
        Some(format!("Basic {expected}").as_str())
    );
}

#[tokio::test]
async fn client_secret_post_fields_in_order() {
    let (c, rec) = client(ClientAuth::SecretPost {
        secret: "sec".into(),
    });
    let token = c
        .client_credentials(&ClientCredentials::scope(
            "api.example.com|read:file api.example.com|write:file",
        ))
        .await
        .unwrap();
    let (url, form, headers) = rec.requests.lock().unwrap()[0].clone();
    assert_eq!(url, ENDPOINT);
    assert_eq!(
        names(&form),
        ["client_id", "client_secret", "grant_type", "scope"]
    );
    assert_eq!(
        field(&form, "scope"),
        "api.example.com|read:file api.example.com|write:file"
    );
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(&headers, "authorization"), None);
    assert_eq!(token.credential.expires_at, Some(1_700_000_000 + 3600));
}

#[tokio::test]
async fn client_secret_jwt_assertion_matches_the_reference() {
    let key =
        SigningKey::hmac("a-client-secret-of-32-bytes-long".into(), Algorithm::HS256).unwrap();
    let (c, rec) = client(ClientAuth::SecretJwt { key: Arc::new(key) });
    c.client_credentials(&ClientCredentials::scope("api|read"))
        .await
        .unwrap();
    let (_, form, _) = rec.requests.lock().unwrap()[0].clone();
    assert_eq!(
        names(&form),
        [
            "client_id",
            "client_assertion_type",
            "client_assertion",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(
        field(&form, "client_assertion_type"),
        JWT_BEARER_ASSERTION_TYPE
    );
    let jwt = field(&form, "client_assertion");
    let (header, claims, signature) = jwt_parts(jwt);
    assert_eq!(header, serde_json::json!({"alg": "HS256", "typ": "JWT"}));
    let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
    assert_eq!(claims["aud"], ENDPOINT);
    assert_eq!(claims["iss"], "app_c1");
    assert_eq!(claims["sub"], "app_c1");
    assert_eq!(claims["iat"], 1_700_000_000u64);
    assert_eq!(claims["exp"], 1_700_000_600u64);
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 36);
    assert_eq!(&jti[14..15], "4", "UUID v4");
    let signed = &jwt[..jwt.rfind('.').unwrap()];
    let hmac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"a-client-secret-of-32-bytes-long");
    ring::hmac::verify(&hmac, signed.as_bytes(), &signature).expect("valid HMAC");
    // a fresh jti per request
    c.client_credentials(&ClientCredentials::scope("api|read"))
        .await
        .unwrap();
    let (_, second, _) = rec.requests.lock().unwrap()[1].clone();
    let (_, claims2, _) = jwt_parts(field(&second, "client_assertion"));
    assert_ne!(claims2["jti"], claims["jti"]);
}

#[test]
fn every_key_format_parses_with_the_reference_algorithm() {
    for (file, alg, kty) in [
        ("rsa2048-pkcs8.pem", Algorithm::RS256, "RSA"),
        ("rsa2048-pkcs1.pem", Algorithm::RS256, "RSA"),
        ("rsa4096-pkcs8.pem", Algorithm::RS512, "RSA"),
        ("p256-pkcs8.pem", Algorithm::ES256, "EC"),
        ("p256-sec1.pem", Algorithm::ES256, "EC"),
        ("p384-sec1.pem", Algorithm::ES384, "EC"),
        ("ed25519-pkcs8.pem", Algorithm::EdDSA, "OKP"),
    ] {
        let key = SigningKey::from_pem(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.algorithm(), alg, "{file}");
        assert_eq!(key.key_type(), kty);
        assert!(
            !format!("{key:?}").contains("BEGIN"),
            "Debug shows no key material"
        );
    }
    let err = SigningKey::from_pem(&fixture("k256-sec1.pem")).unwrap_err();
    assert!(matches!(err, jose::KeyError::Unsupported(_)), "{err}");
    let err = SigningKey::from_pem(&fixture("rsa2048-public.pem")).unwrap_err();
    assert!(err.to_string().contains("PUBLIC KEY"), "{err}");
    let err = SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
        .unwrap_err();
    assert!(matches!(err, jose::KeyError::Malformed { .. }), "{err}");
    assert!(SigningKey::from_pem("not a key").is_err());
    let rsa = SigningKey::from_pem(&fixture("rsa2048-pkcs8.pem")).unwrap();
    assert!(rsa.with_algorithm(Algorithm::ES256).is_err());
}

#[tokio::test]
async fn private_key_jwt_signatures_verify_for_every_algorithm() {
    use ring::signature::{self, UnparsedPublicKey};
    for (file, alg, verify_alg) in [
        (
            "rsa2048-pkcs1.pem",
            Algorithm::RS256,
            &signature::RSA_PKCS1_2048_8192_SHA256 as &dyn signature::VerificationAlgorithm,
        ),
        (
            "rsa2048-pkcs8.pem",
            Algorithm::PS256,
            &signature::RSA_PSS_2048_8192_SHA256,
        ),
        (
            "rsa2048-pkcs8.pem",
            Algorithm::RS384,
            &signature::RSA_PKCS1_2048_8192_SHA384,
        ),
        (
            "p256-sec1.pem",
            Algorithm::ES256,
            &signature::ECDSA_P256_SHA256_FIXED,
        ),
        (
            "p384-sec1.pem",
            Algorithm::ES384,
            &signature::ECDSA_P384_SHA384_FIXED,
        ),
        ("ed25519-pkcs8.pem", Algorithm::EdDSA, &signature::ED25519),
    ] {
        let key = SigningKey::from_pem(&fixture(file))
            .unwrap()
            .with_algorithm(alg)
            .unwrap();
        let public = key.public_key_der().unwrap();
        let header = JwtHeader {
            typ: Some("JWT".into()),
            kid: Some("k1".into()),
            ..JwtHeader::default()
        };
        let (c, rec) = client(ClientAuth::PrivateKeyJwt {
            key: Arc::new(key),
            header,
        });
        c.client_credentials(&ClientCredentials::scope("api|read"))
            .await
            .unwrap();
        let (_, form, _) = rec.requests.lock().unwrap()[0].clone();
        let jwt = field(&form, "client_assertion").to_owned();
        let (h, claims, sig) = jwt_parts(&jwt);
        assert_eq!(h["alg"], alg.as_str());
        assert_eq!(h["kid"], "k1");
        assert_eq!(claims["aud"], ENDPOINT);
        let signed = &jwt[..jwt.rfind('.').unwrap()];
        UnparsedPublicKey::new(verify_alg, &public)
            .verify(signed.as_bytes(), &sig)
            .unwrap_or_else(|_| panic!("{file} {alg}: signature verifies"));
    }
}

#[tokio::test]
async fn token_exchange_and_refresh_and_jwt_bearer_fields() {
    let (c, rec) = client(ClientAuth::SecretPost {
        secret: "sec".into(),
    });
    *rec.reply.lock().unwrap() = Some((
        200,
        vec![],
        r#"{"access_token":"X","token_type":"Bearer","expires_in":60,"issued_token_type":"urn:ietf:params:oauth:token-type:jwt"}"#.into(),
    ));
    let mut exchange =
        TokenExchange::new("subject", "urn:ietf:params:oauth:token-type:access_token");
    exchange.scope = Some("api|read".into());
    exchange.actor = Some((
        "actor".into(),
        "urn:ietf:params:oauth:token-type:jwt".into(),
    ));
    let issued = c.token_exchange(&exchange).await.unwrap();
    assert_eq!(
        issued.credential.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:jwt")
    );
    c.refresh(&"rt".into(), None).await.unwrap();
    c.jwt_bearer(&"assertion.jwt.x".into(), Some("openid"))
        .await
        .unwrap();
    let requests = rec.requests.lock().unwrap().clone();
    assert_eq!(
        names(&requests[0].1),
        [
            "client_id",
            "client_secret",
            "grant_type",
            "subject_token",
            "subject_token_type",
            "requested_token_type",
            "scope",
            "actor_token",
            "actor_token_type"
        ]
    );
    assert_eq!(field(&requests[0].1, "grant_type"), TOKEN_EXCHANGE_GRANT);
    assert_eq!(
        field(&requests[0].1, "requested_token_type"),
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(
        names(&requests[1].1),
        ["client_id", "client_secret", "grant_type", "refresh_token"]
    );
    assert_eq!(
        names(&requests[2].1),
        [
            "client_id",
            "client_secret",
            "grant_type",
            "assertion",
            "scope"
        ]
    );
    assert_eq!(field(&requests[2].1, "grant_type"), JWT_BEARER_GRANT);
}

#[tokio::test]
async fn oauth_error_codes_map_to_typed_variants() {
    for (code, typed) in [
        ("invalid_client", OAuthErrorCode::InvalidClient),
        ("invalid_grant", OAuthErrorCode::InvalidGrant),
        ("invalid_scope", OAuthErrorCode::InvalidScope),
        ("unauthorized_client", OAuthErrorCode::UnauthorizedClient),
        (
            "unsupported_grant_type",
            OAuthErrorCode::UnsupportedGrantType,
        ),
        ("invalid_request", OAuthErrorCode::InvalidRequest),
        ("access_denied", OAuthErrorCode::AccessDenied),
        (
            "authorization_pending",
            OAuthErrorCode::AuthorizationPending,
        ),
        ("slow_down", OAuthErrorCode::SlowDown),
        ("expired_token", OAuthErrorCode::ExpiredToken),
        ("insufficient_scope", OAuthErrorCode::InsufficientScope),
    ] {
        let (c, rec) = client(ClientAuth::None);
        let body: &'static str = Box::leak(
            format!(r#"{{"error":"{code}","error_description":"why"}}"#).into_boxed_str(),
        );
        *rec.reply.lock().unwrap() = Some((400, vec![], body.to_owned()));
        let err = c
            .client_credentials(&ClientCredentials::default())
            .await
            .unwrap_err();
        let Error::OAuth(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.code, typed);
        assert_eq!(e.status, 400);
        assert_eq!(e.description.as_deref(), Some("why"));
        assert_eq!(err.oauth_code(), Some(&typed));
    }
}

#[tokio::test]
async fn malformed_responses_are_clear_errors() {
    for (status, body, needle) in [
        (200, "<html>oops</html>", "not JSON"),
        (200, "[1,2]", "expected a JSON object"),
        (200, r#"{"token_type":"Bearer"}"#, "access_token is missing"),
        (200, r#"{"access_token":"a"}"#, "token_type is missing"),
        (
            200,
            r#"{"access_token":5,"token_type":"Bearer"}"#,
            "access_token must be a string",
        ),
        (
            200,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
            "malformed member",
        ),
        (
            502,
            "<html>bad gateway</html>",
            "HTTP 502 without an OAuth error body",
        ),
    ] {
        let (c, rec) = client(ClientAuth::None);
        *rec.reply.lock().unwrap() = Some((status, vec![], body.to_owned()));
        let err = c
            .client_credentials(&ClientCredentials::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{body}: {err}");
    }
    let (c, rec) = client(ClientAuth::None);
    *rec.reply.lock().unwrap() = Some((
        302,
        vec![("location", "https://evil.example/")],
        String::new(),
    ));
    let err = c
        .client_credentials(&ClientCredentials::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("redirects are not followed"),
        "{err}"
    );
}

#[tokio::test]
async fn responses_that_lie_are_refused_and_the_granted_scope_is_kept() {
    for (body, needle) in [
        (
            r#"{"access_token":"a","token_type":"Bearer","expires_in":1e300}"#,
            "expires_in",
        ),
        (
            r#"{"access_token":"a","token_type":"Bearer","expires_in":315400000}"#,
            "expires_in",
        ),
        (
            r#"{"access_token":"a","token_type":"Bearer","expires_at":99999999999}"#,
            "expires_at",
        ),
        (
            r#"{"access_token":"a","token_type":"mac"}"#,
            "token_type \"mac\"",
        ),
        (r#"{"access_token":"a","token_type":"N_A"}"#, "token_type"),
    ] {
        let (c, rec) = client(ClientAuth::None);
        *rec.reply.lock().unwrap() = Some((200, vec![], body.to_owned()));
        let err = c
            .client_credentials(&ClientCredentials::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, idaas_oauth::Error::InvalidResponse { .. }),
            "{body}: {err:?}"
        );
        assert!(err.to_string().contains(needle), "{body}: {err}");
    }
    // bearer in any case, normalised
    let (c, rec) = client(ClientAuth::None);
    *rec.reply.lock().unwrap() = Some((
        200,
        vec![],
        r#"{"access_token":"a","token_type":"bEaReR","expires_in":300}"#.into(),
    ));
    let requested = ClientCredentials {
        scope: Some("api.example.com|read:file".into()),
        ..ClientCredentials::default()
    };
    let token = c.client_credentials(&requested).await.unwrap();
    assert_eq!(token.credential.token_type, "Bearer");
    // the server omitted scope: the requested one (RFC 6749 §5.1)
    assert_eq!(
        token.credential.scope.as_deref(),
        Some("api.example.com|read:file")
    );
    // the server granted another scope: that one, not the requested one
    *rec.reply.lock().unwrap() = Some((
        200,
        vec![],
        r#"{"access_token":"a","token_type":"Bearer","scope":"evil.example|admin"}"#.into(),
    ));
    let token = c.client_credentials(&requested).await.unwrap();
    assert_eq!(
        token.credential.scope.as_deref(),
        Some("evil.example|admin")
    );
}

#[tokio::test]
async fn introspection_and_revocation() {
    let (c, rec) = client(ClientAuth::basic("sec"));
    *rec.reply.lock().unwrap() = Some((
        200,
        vec![],
        r#"{"active":true,"scope":"api|read","client_id":"app_c1"}"#.into(),
    ));
    let info = c
        .introspect(&"tok".into(), Some("access_token"))
        .await
        .unwrap();
    assert!(info.active);
    assert_eq!(info.claim_str("scope"), Some("api|read"));
    *rec.reply.lock().unwrap() = Some((200, vec![], r#"{"active":"yes"}"#.into()));
    assert!(c.introspect(&"tok".into(), None).await.is_err());
    *rec.reply.lock().unwrap() = Some((200, vec![], String::new()));
    c.revoke(&"tok".into(), Some("refresh_token"))
        .await
        .unwrap();
    let requests = rec.requests.lock().unwrap().clone();
    assert_eq!(requests[0].0, "https://idp.example.com/oauth2/introspect");
    assert_eq!(
        names(&requests[0].1),
        ["client_id", "token", "token_type_hint"]
    );
    assert_eq!(requests[2].0, "https://idp.example.com/oauth2/revoke");
    assert_eq!(field(&requests[2].1, "token_type_hint"), "refresh_token");
    *rec.reply.lock().unwrap() =
        Some((400, vec![], r#"{"error":"unsupported_token_type"}"#.into()));
    let err = c.revoke(&"tok".into(), None).await.unwrap_err();
    assert_eq!(
        err.oauth_code(),
        Some(&OAuthErrorCode::UnsupportedTokenType)
    );
}

#[test]
fn futures_are_send_and_clients_are_storable() {
    fn assert_send<T: Send>(_: &T) {}
    struct App {
        _client: OAuthClient,
    }
    let (c, _) = client(ClientAuth::None);
    assert_send(&c.client_credentials(&ClientCredentials::default()));
    assert_send(&c.refresh(&"r".into(), None));
    assert_send(&c.token_exchange(&TokenExchange::new("s", "t")));
    assert_send(&c.jwt_bearer(&"a".into(), None));
    assert_send(&c.introspect(&"t".into(), None));
    assert_send(&c.revoke(&"t".into(), None));
    assert_send(&c.device_authorization("https://idp.example.com/device", None));
    let auth: idaas_oauth::device::DeviceAuthorization =
        serde_json::from_value(serde_json::json!({
            "device_code": "d", "user_code": "u", "verification_uri": "https://v", "expires_in": 60
        }))
        .unwrap();
    assert_send(&c.poll_device_token(&auth, tokio::time::sleep));
    assert_send(&c.device_flow("https://idp.example.com/device", None, |_| {}));
    let _app = App { _client: c.clone() };
    let _ = Duration::ZERO;
}
