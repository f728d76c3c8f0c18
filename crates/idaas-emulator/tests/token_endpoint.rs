//! The emulator's checks are real: every method is accepted with the right
//! evidence and refused with the wrong one.

use std::sync::Arc;
use std::time::Duration;

use idaas_core::SecretString;
use idaas_core::clock::{Clock, SystemClock};
use idaas_core::http::{Bytes, HttpClient, HttpOptions, HyperClient, SharedHttpClient};
use idaas_emulator::{Client, CloudSigner, Emulator, FederatedCredential, PrivateCa};
use idaas_oauth::jose::{
    Algorithm, JwtHeader, SigningKey, Validation, VerifyingKey, sign_jwt, verify_jwt, verifying_key,
};
use idaas_oauth::{
    BasicEncoding, ClientAuth, ClientCredentials, OAuthClient, OAuthErrorCode, form::Form,
};
use serde_json::json;

fn http() -> SharedHttpClient {
    Arc::new(HyperClient::new(HttpOptions::default()).unwrap())
}

fn key(file: &str) -> SigningKey {
    let path = format!(
        "{}/../idaas-oauth/tests/fixtures/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    SigningKey::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn request(
    emulator: &Emulator,
    client_id: &str,
    auth: ClientAuth,
) -> Result<String, idaas_oauth::Error> {
    OAuthClient::new(http(), client_id, emulator.token_endpoint(), auth)
        .client_credentials(&ClientCredentials::scope("api|read"))
        .await
        .map(|t| t.credential.access_token.expose_secret().to_owned())
}

/// The claims of an access token the emulator issued for audience `api`,
/// after checking its signature and issuer.
fn issued_claims(emulator: &Emulator, token: &str) -> serde_json::Map<String, serde_json::Value> {
    verify_jwt(
        token,
        &[emulator.verifying_key()],
        &Validation {
            issuer: Some(emulator.base_url().into()),
            audience: Some("api".into()),
            ..Validation::default()
        },
        SystemClock.now(),
    )
    .expect("the emulator issued a valid token")
}

fn is_invalid_client(result: Result<String, idaas_oauth::Error>) -> bool {
    matches!(result, Err(e) if e.oauth_code() == Some(&OAuthErrorCode::InvalidClient))
}

#[tokio::test]
async fn secrets_are_checked_in_every_encoding() {
    let emulator = Emulator::builder()
        .client(Client::new("app:1").with_secret("s3cr:et/+ é"))
        .start()
        .await
        .unwrap();
    for encoding in [BasicEncoding::Raw, BasicEncoding::Rfc6749] {
        let auth = ClientAuth::SecretBasic {
            secret: "s3cr:et/+ é".into(),
            encoding,
        };
        let token = request(&emulator, "app:1", auth).await.unwrap();
        let claims = issued_claims(&emulator, &token);
        assert_eq!(claims["client_id"], "app:1");
    }
    assert!(is_invalid_client(
        request(&emulator, "app:1", ClientAuth::basic("wrong")).await
    ));
    assert!(is_invalid_client(
        request(
            &emulator,
            "app:1",
            ClientAuth::SecretPost {
                secret: "wrong".into()
            }
        )
        .await
    ));
    assert!(is_invalid_client(
        request(&emulator, "nobody", ClientAuth::basic("x")).await
    ));
    assert!(is_invalid_client(
        request(&emulator, "app:1", ClientAuth::None).await
    ));
    assert_eq!(emulator.token_requests("app:1"), 5);
    assert_eq!(emulator.token_requests("nobody"), 1);
}

#[tokio::test]
async fn client_assertions_must_be_signed_by_the_client_and_meant_for_this_endpoint() {
    let client_key = key("p256-pkcs8.pem");
    let emulator = Emulator::builder()
        .client(
            Client::new("app")
                .with_public_key(verifying_key(&client_key).unwrap())
                .with_secret("a-client-secret-of-32-bytes-long"),
        )
        .start()
        .await
        .unwrap();
    let pk = |k: SigningKey| ClientAuth::PrivateKeyJwt {
        key: Arc::new(k),
        header: JwtHeader::default(),
    };
    assert!(
        request(&emulator, "app", pk(key("p256-pkcs8.pem")))
            .await
            .is_ok()
    );
    assert!(
        is_invalid_client(request(&emulator, "app", pk(SigningKey::generate_p256())).await),
        "another key"
    );
    let hmac = |secret: &str| ClientAuth::SecretJwt {
        key: Arc::new(SigningKey::hmac(secret.into(), Algorithm::HS256).unwrap()),
    };
    assert!(
        request(&emulator, "app", hmac("a-client-secret-of-32-bytes-long"))
            .await
            .is_ok()
    );
    assert!(is_invalid_client(
        request(&emulator, "app", hmac("another-secret-of-32-bytes-long!")).await
    ));
    // meant for another token endpoint
    let elsewhere = OAuthClient::new(
        http(),
        "app",
        emulator.token_endpoint(),
        pk(key("p256-pkcs8.pem")),
    )
    .with_assertion_audience("https://elsewhere.example.com/token")
    .client_credentials(&ClientCredentials::default())
    .await;
    assert!(matches!(elsewhere, Err(e) if e.to_string().contains("audience")));
}

fn federated(fields: &[(&str, &str)], grant_scope: &str) -> Form {
    let mut form = Form::new();
    for (k, v) in fields {
        form.push(k, *v);
    }
    form.push("grant_type", "client_credentials")
        .push("scope", grant_scope);
    form
}

#[tokio::test]
async fn federated_credentials_are_verified() {
    let issuer = key("ed25519-pkcs8.pem");
    let pca = key("p384-sec1.pem");
    let cloud = CloudSigner::generate("ecs-signer").unwrap();
    let root = PrivateCa::generate("private root").unwrap();
    let issuing = root.intermediate("issuing CA").unwrap();
    let pca_pem = std::fs::read_to_string(format!(
        "{}/../idaas-oauth/tests/fixtures/p384-sec1.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let client_cert = issuing.issue("app", &pca_pem).unwrap();
    let chain = format!("{}{}", issuing.certificate_pem(), root.certificate_pem());
    let emulator = Emulator::builder()
        .client(
            Client::new("app")
                .with_federated(FederatedCredential::Oidc {
                    name: "k8s".into(),
                    issuer: "https://k8s".into(),
                    keys: vec![verifying_key(&issuer).unwrap()],
                    audience: "idaas".into(),
                })
                .with_federated(FederatedCredential::Pca {
                    name: "pca".into(),
                    ca_certificate_pem: root.certificate_pem(),
                })
                .with_federated(FederatedCredential::Pkcs7 {
                    name: "ecs".into(),
                    signer_certificate_pem: cloud.certificate_pem(),
                    audience: "idaas_test".into(),
                }),
        )
        .start()
        .await
        .unwrap();
    let client = OAuthClient::new(http(), "app", emulator.token_endpoint(), ClientAuth::None);
    let now = SystemClock.now_secs();
    let id_token = |iss: &str, aud: &str, exp: u64| {
        sign_jwt(
            &issuer,
            &JwtHeader::default(),
            &json!({"iss": iss, "aud": aud, "sub": "pod", "exp": exp}),
        )
        .unwrap()
    };
    let oidc = |token: String| {
        federated(
            &[
                ("application_federated_credential_name", "k8s"),
                (
                    "client_assertion_type",
                    "urn:cloud:idaas:params:oauth:client-assertion-type:id-token-bearer",
                ),
                ("client_assertion", Box::leak(token.into_boxed_str())),
            ],
            "api|read",
        )
    };
    assert!(
        client
            .token("cc", oidc(id_token("https://k8s", "idaas", now + 600)))
            .await
            .is_ok()
    );
    for bad in [
        id_token("https://evil", "idaas", now + 600),
        id_token("https://k8s", "other", now + 600),
        id_token("https://k8s", "idaas", now - 600),
    ] {
        let err = client.token("cc", oidc(bad)).await.unwrap_err();
        assert_eq!(
            err.oauth_code(),
            Some(&OAuthErrorCode::InvalidClient),
            "{err}"
        );
    }
    let assertion = idaas_oauth::client_assertion(
        &pca,
        &JwtHeader::default(),
        "app",
        &emulator.token_endpoint(),
        SystemClock.now(),
    )
    .unwrap();
    let pca_form = |cert: &str, chain: &str, assertion: &SecretString| {
        let mut f = Form::new();
        f.push("application_federated_credential_name", "pca")
            .push(
                "client_assertion_type",
                "urn:cloud:idaas:params:oauth:client-assertion-type:x509-jwt-bearer",
            )
            .push_secret("client_assertion", assertion)
            .push("client_x509", cert)
            .push("client_x509_chain", chain)
            .push("grant_type", "client_credentials");
        f
    };
    assert!(
        client
            .token("cc", pca_form(&client_cert, &chain, &assertion))
            .await
            .is_ok()
    );
    // a certificate of the same key from another CA, the chain withheld,
    // an expired certificate, and an assertion by another key
    let other_root = PrivateCa::generate("private root").unwrap();
    let foreign = other_root.issue("app", &pca_pem).unwrap();
    let expired = issuing.issue_valid("app", &pca_pem, (-30, -1)).unwrap();
    let other_key = key("p256-pkcs8.pem");
    let by_other_key = idaas_oauth::client_assertion(
        &other_key,
        &JwtHeader::default(),
        "app",
        &emulator.token_endpoint(),
        SystemClock.now(),
    )
    .unwrap();
    for (why, form) in [
        (
            "another CA",
            pca_form(&foreign, &other_root.certificate_pem(), &assertion),
        ),
        ("no chain", pca_form(&client_cert, "", &assertion)),
        ("expired", pca_form(&expired, &chain, &assertion)),
        ("another key", pca_form(&client_cert, &chain, &by_other_key)),
    ] {
        let refused = client.token("cc", form).await;
        assert!(
            matches!(&refused, Err(e) if e.oauth_code() == Some(&OAuthErrorCode::InvalidClient)),
            "{why}: {refused:?}"
        );
    }
    let attested = |signer: &CloudSigner, aud: &str, signed_at: u64| {
        signer
            .attest(&json!({
                "instance-id": "i-test",
                "audience": format!("{{\"aud\": \"{aud}\", \"signingTime\": {signed_at}}}"),
            }))
            .unwrap()
    };
    let pkcs7 = |doc: &str| {
        federated(
            &[
                ("application_federated_credential_name", "ecs"),
                (
                    "client_assertion_type",
                    "urn:cloud:idaas:params:oauth:client-assertion-type:pkcs7-bearer",
                ),
                ("client_assertion", doc),
            ],
            "api|read",
        )
    };
    let good = attested(&cloud, "idaas_test", now);
    assert!(client.token("cc", pkcs7(&good)).await.is_ok());
    let impostor = CloudSigner::generate("ecs-signer").unwrap();
    for (why, doc) in [
        ("another signer", attested(&impostor, "idaas_test", now)),
        ("another audience", attested(&cloud, "idaas_other", now)),
        (
            "signed an hour ago",
            attested(&cloud, "idaas_test", now - 3600),
        ),
        ("not PKCS#7", "FORGED".to_owned()),
    ] {
        let refused = client.token("cc", pkcs7(&doc)).await;
        assert!(
            matches!(&refused, Err(e) if e.oauth_code() == Some(&OAuthErrorCode::InvalidClient)),
            "{why}: {refused:?}"
        );
    }
    let wrong_name = federated(
        &[
            ("application_federated_credential_name", "nope"),
            (
                "client_assertion_type",
                "urn:cloud:idaas:params:oauth:client-assertion-type:pkcs7-bearer",
            ),
            ("client_assertion", good.as_str()),
        ],
        "api|read",
    );
    assert!(client.token("cc", wrong_name).await.is_err());
}

#[tokio::test]
async fn discovery_and_jwks_describe_the_issuer() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("s"))
        .token_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let get = |path: &str| {
        let url = format!("{}{path}", emulator.base_url());
        async move {
            let request = http::Request::get(url).body(Bytes::new()).unwrap();
            let response = http().execute(request).await.unwrap();
            assert_eq!(response.status(), 200);
            serde_json::from_slice::<serde_json::Value>(response.body()).unwrap()
        }
    };
    let discovery = get("/.well-known/openid-configuration").await;
    assert_eq!(discovery["issuer"], emulator.base_url());
    assert_eq!(discovery["token_endpoint"], emulator.token_endpoint());
    let jwks = get("/oauth2/jwks").await;
    let key = VerifyingKey::from_jwk(&jwks["keys"][0]).unwrap();
    let token = request(&emulator, "app", ClientAuth::basic("s"))
        .await
        .unwrap();
    let claims = verify_jwt(&token, &[key], &Validation::default(), SystemClock.now()).unwrap();
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
    let response = OAuthClient::new(
        http(),
        "app",
        emulator.token_endpoint(),
        ClientAuth::basic("s"),
    )
    .token("x", {
        let mut f = Form::new();
        f.push("grant_type", "password");
        f
    })
    .await
    .unwrap_err();
    assert_eq!(
        response.oauth_code(),
        Some(&OAuthErrorCode::UnsupportedGrantType)
    );
}

#[tokio::test]
async fn jwt_bearer_grants_need_a_trusted_issuer_its_signature_and_our_audience() {
    use idaas_oauth::{KeyDirectory, UserAssertion};
    const ISSUER: &str = "https://accounts.example.com";
    let ours = SigningKey::generate_p256();
    let trusted = verifying_key(&ours).unwrap();
    let emulator = Emulator::builder()
        .client(
            Client::new("backend")
                .with_secret("backend-secret")
                .trusting_assertions_from(ISSUER, vec![trusted]),
        )
        .start()
        .await
        .unwrap();
    let client = OAuthClient::new(
        http(),
        "backend",
        emulator.token_endpoint(),
        ClientAuth::basic("backend-secret"),
    )
    .with_issuer(emulator.base_url());
    let user = UserAssertion::new("user-42").scopes(["api|read:profile"]);
    let keys = KeyDirectory::from_keys([ours]);

    // the user grant: a token about the user, with the assertion's scope
    let token = client.grant_user(&keys, ISSUER, &user).await.unwrap();
    let claims = issued_claims(&emulator, token.credential.access_token.expose_secret());
    assert_eq!(claims["sub"], "user-42");
    assert_eq!(claims["client_id"], "backend");
    assert_eq!(claims["scope"], "api|read:profile");

    let is_invalid_grant = |result: Result<_, idaas_oauth::Error>| matches!(result, Err(e) if e.oauth_code() == Some(&OAuthErrorCode::InvalidGrant));
    // an issuer the client does not trust
    assert!(is_invalid_grant(
        client
            .grant_user(&keys, "https://evil.example.com", &user)
            .await
    ));
    // the trusted issuer's name, another key
    let impostor = KeyDirectory::from_keys([SigningKey::generate_p256()]);
    assert!(is_invalid_grant(
        client.grant_user(&impostor, ISSUER, &user).await
    ));
    // an assertion meant for another authorization server
    let elsewhere = OAuthClient::new(
        http(),
        "backend",
        emulator.token_endpoint(),
        ClientAuth::basic("backend-secret"),
    )
    .with_issuer("https://other-idp.example.com");
    assert!(is_invalid_grant(
        elsewhere.grant_user(&keys, ISSUER, &user).await
    ));
    // an assertion that is not a JWT
    let missing = client
        .jwt_bearer(&SecretString::from("not.a.jwt"), None)
        .await;
    assert!(is_invalid_grant(missing));
}

#[tokio::test]
async fn switched_on_faults_make_the_token_endpoint_slow_or_down_until_switched_off() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("s3cret"))
        .start()
        .await
        .unwrap();
    let once = Arc::new(
        HyperClient::new(HttpOptions::default().with_retry(idaas_core::http::RetryPolicy::none()))
            .unwrap(),
    );
    let client = OAuthClient::new(
        once,
        "app",
        emulator.token_endpoint(),
        ClientAuth::basic("s3cret"),
    );
    let grant = ClientCredentials::scope("api|read");
    let fetch = || client.client_credentials(&grant);

    fetch().await.unwrap();
    emulator.set_token_delay(Duration::from_millis(300));
    let started = std::time::Instant::now();
    fetch().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "the delay");

    emulator.set_token_delay(Duration::ZERO);
    emulator.set_token_endpoint_down(true);
    let down = fetch().await.unwrap_err();
    assert_eq!(
        down.oauth_code(),
        Some(&OAuthErrorCode::TemporarilyUnavailable),
        "{down}"
    );
    assert!(down.to_string().contains("503"), "{down}");

    emulator.set_token_endpoint_down(false);
    fetch().await.unwrap();
    // four requests reached the endpoint; the 503 was not a client's token
    assert_eq!(emulator.token_endpoint_requests(), 4);
    assert_eq!(emulator.token_requests("app"), 3);
}
