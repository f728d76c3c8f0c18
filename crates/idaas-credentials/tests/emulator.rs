//! Every authentication method against the emulator, the exact wire fields
//! of each, the factory's fail-fast behaviour, token exchange, OIDC file
//! rotation, the herd at expiry, and bad evidence sources.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use idaas_core::TransportError;
use idaas_core::clock::{Clock, ManualClock, SharedClock};
use idaas_core::config::{
    ClientConfig, ClientConfigBuilder, DeployEnvironment, MapEnv, SecretSource,
};
use idaas_core::http::{HttpClient, HttpOptions, HttpRequest, HttpResponse, HyperClient};
use idaas_core::token::ACCESS_TOKEN_TYPE;
use idaas_credentials::*;
use idaas_emulator::{Client, CloudSigner, Emulator, FederatedCredential, PrivateCa};
use idaas_oauth::jose::{JwtHeader, SigningKey, Validation, sign_jwt, verify_jwt, verifying_key};
use serde_json::json;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../idaas-oauth/tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Name-value pairs, in order.
type Pairs = Vec<(String, String)>;

/// Forwards to a real client and records each request's form and headers.
#[derive(Debug)]
struct Recording {
    inner: HyperClient,
    seen: Mutex<Vec<(Pairs, Pairs)>>,
}

impl Recording {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: HyperClient::new(HttpOptions::default()).unwrap(),
            seen: Mutex::new(Vec::new()),
        })
    }

    fn last(&self) -> (Pairs, Pairs) {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request was sent")
    }
}

#[async_trait]
impl HttpClient for Recording {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.uri().path().ends_with("/token") {
            let form = idaas_oauth::form::decode(std::str::from_utf8(request.body()).unwrap());
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            self.seen.lock().unwrap().push((form, headers));
        }
        self.inner.execute(request).await
    }
}

fn names(form: &[(String, String)]) -> Vec<&str> {
    form.iter().map(|(n, _)| n.as_str()).collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    &form.iter().find(|(n, _)| n == name).unwrap().1
}

const SCOPE: &str = "api.example.com|read:file api.example.com|write:file";

fn base(emulator: &Emulator, client_id: &str) -> ClientConfigBuilder {
    ClientConfig::builder()
        .idaas_instance_id("idaas_test")
        .client_id(client_id)
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope(SCOPE)
}

fn options(http: Arc<Recording>, env: MapEnv) -> FactoryOptions {
    FactoryOptions::default()
        .with_http(http)
        .with_env(Arc::new(env))
}

async fn token_of(
    factory: &CredentialProviderFactory,
    emulator: &Emulator,
) -> serde_json::Map<String, serde_json::Value> {
    let token = factory
        .provider()
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap();
    let validation = Validation {
        issuer: Some(emulator.base_url().to_owned()),
        audience: Some("api.example.com".into()),
        ..Validation::default()
    };
    verify_jwt(
        token.expose_secret(),
        &[emulator.verifying_key()],
        &validation,
        idaas_core::clock::SystemClock.now(),
    )
    .expect("the emulator issued a valid token")
}

#[tokio::test]
async fn client_secret_basic_and_post_and_jwt() {
    let emulator = Emulator::builder()
        .client(Client::new("app_basic").with_secret("s3cr:et/+ é"))
        .client(Client::new("app_post").with_secret("post-secret"))
        .client(Client::new("app_jwt").with_secret("a-client-secret-of-32-bytes-long"))
        .start()
        .await
        .unwrap();
    let env = MapEnv::new()
        .with("BASIC_SECRET", "s3cr:et/+ é")
        .with("POST_SECRET", "post-secret")
        .with("JWT_SECRET", "a-client-secret-of-32-bytes-long");

    let http = Recording::new();
    let config = base(&emulator, "app_basic")
        .client_secret_basic(SecretSource::env("BASIC_SECRET"))
        .build()
        .unwrap();
    let factory =
        CredentialProviderFactory::from_config(config, options(http.clone(), env.clone()))
            .await
            .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_basic");
    let (form, headers) = http.last();
    assert_eq!(names(&form), ["client_id", "grant_type", "scope"]);
    assert_eq!(field(&form, "scope"), SCOPE, "the scope is sent verbatim");
    let auth = headers.iter().find(|(k, _)| k == "authorization").unwrap();
    assert_eq!(
        auth.1, "Basic YXBwX2Jhc2ljOnMzY3I6ZXQvKyDDqQ==",
        "raw id:secret, as the reference sends"
    );

    let http = Recording::new();
    let config = base(&emulator, "app_post")
        .client_secret_post(SecretSource::env("POST_SECRET"))
        .build()
        .unwrap();
    let factory =
        CredentialProviderFactory::from_config(config, options(http.clone(), env.clone()))
            .await
            .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_post");
    let (form, headers) = http.last();
    assert_eq!(
        names(&form),
        ["client_id", "client_secret", "grant_type", "scope"]
    );
    assert!(headers.iter().all(|(k, _)| k != "authorization"));

    let http = Recording::new();
    let config = base(&emulator, "app_jwt")
        .client_secret_jwt(SecretSource::env("JWT_SECRET"))
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(config, options(http.clone(), env))
        .await
        .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_jwt");
    let (form, _) = http.last();
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
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    for id in ["app_basic", "app_post", "app_jwt"] {
        assert_eq!(emulator.token_requests(id), 1, "{id}: one request, at init");
    }
}

#[tokio::test]
async fn private_key_jwt_and_pca() {
    let key = SigningKey::from_pem(&fixture("rsa2048-pkcs1.pem")).unwrap();
    // a private CA issues the client's certificate for its own key
    let root = PrivateCa::generate("private root").unwrap();
    let issuing = root.intermediate("issuing CA").unwrap();
    let cert = issuing.issue("app_pca", &fixture("p256-sec1.pem")).unwrap();
    let chain = format!("{}{}", issuing.certificate_pem(), root.certificate_pem());
    let (cert, chain) = (cert.as_str(), chain.as_str());
    let emulator = Emulator::builder()
        .client(Client::new("app_pk").with_public_key(verifying_key(&key).unwrap()))
        .client(
            Client::new("app_pca").with_federated(FederatedCredential::Pca {
                name: "pca-cred".into(),
                ca_certificate_pem: root.certificate_pem(),
            }),
        )
        .start()
        .await
        .unwrap();
    let env = MapEnv::new()
        .with("PK", fixture("rsa2048-pkcs1.pem"))
        .with("PCA_KEY", fixture("p256-sec1.pem"));

    let http = Recording::new();
    let config = base(&emulator, "app_pk")
        .private_key_jwt(SecretSource::env("PK"))
        .build()
        .unwrap();
    let factory =
        CredentialProviderFactory::from_config(config, options(http.clone(), env.clone()))
            .await
            .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_pk");
    let (form, _) = http.last();
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
    let assertion = idaas_oauth::jose::decode_jws(field(&form, "client_assertion")).unwrap();
    assert_eq!(
        assertion.alg(),
        Some("RS256"),
        "PKCS#1 RSA-2048 → RS256 (the reference cannot even parse PKCS#1)"
    );
    assert_eq!(assertion.claims["aud"], emulator.token_endpoint());
    assert_eq!(assertion.claims["iss"], "app_pk");
    assert_eq!(
        assertion.claims.keys().collect::<Vec<_>>().len(),
        6,
        "aud, sub, iss, jti, iat, exp"
    );

    let http = Recording::new();
    let config = base(&emulator, "app_pca")
        .pca("pca-cred", cert, chain, SecretSource::env("PCA_KEY"))
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(config, options(http.clone(), env))
        .await
        .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_pca");
    let (form, _) = http.last();
    assert_eq!(
        names(&form),
        [
            "client_id",
            "application_federated_credential_name",
            "client_assertion_type",
            "client_assertion",
            "client_x509",
            "client_x509_chain",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(field(&form, "client_assertion_type"), X509_JWT_BEARER);
    assert_eq!(field(&form, "client_x509"), cert, "sent verbatim");
    assert_eq!(field(&form, "client_x509_chain"), chain);
}

fn federated_token(key: &SigningKey, issuer: &str, sub: &str, now: u64) -> String {
    sign_jwt(
        key,
        &JwtHeader::default(),
        &json!({"iss": issuer, "sub": sub, "aud": "idaas", "iat": now, "exp": now + 3600}),
    )
    .unwrap()
}

#[tokio::test]
async fn oidc_token_file_is_reread_at_every_refresh() {
    let issuer_key = SigningKey::from_pem(&fixture("p256-pkcs8.pem")).unwrap();
    let clock = ManualClock::at_secs(idaas_core::clock::SystemClock.now_secs());
    let shared: SharedClock = Arc::new(clock.clone());
    let emulator = Emulator::builder()
        .clock(shared.clone())
        .client(
            Client::new("app_k8s").with_federated(FederatedCredential::Oidc {
                name: "k8s".into(),
                issuer: "https://kubernetes.default.svc".into(),
                keys: vec![verifying_key(&issuer_key).unwrap()],
                audience: "idaas".into(),
            }),
        )
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let first = federated_token(
        &issuer_key,
        "https://kubernetes.default.svc",
        "pod-1",
        clock.now_secs(),
    );
    std::fs::write(&file, format!("{first}\n")).unwrap();
    let http = Recording::new();
    let config = base(&emulator, "app_k8s")
        .oidc("k8s", None)
        .oidc_token_file_path_env_var_name("TOKEN_PATH")
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(
        config,
        FactoryOptions::default()
            .with_http(http.clone())
            .with_env(Arc::new(
                MapEnv::new().with("TOKEN_PATH", file.display().to_string()),
            ))
            .with_clock(shared),
    )
    .await
    .unwrap();
    let (form, _) = http.last();
    assert_eq!(
        names(&form),
        [
            "client_id",
            "application_federated_credential_name",
            "client_assertion_type",
            "client_assertion",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(field(&form, "client_assertion_type"), ID_TOKEN_BEARER);
    assert_eq!(
        field(&form, "client_assertion"),
        format!("{first}\n"),
        "verbatim, newline included"
    );

    // the kubelet rotates the file; the next refresh sends the new token
    let second = federated_token(
        &issuer_key,
        "https://kubernetes.default.svc",
        "pod-1",
        clock.now_secs() + 1,
    );
    assert_ne!(first, second);
    std::fs::write(&file, &second).unwrap();
    clock.advance(Duration::from_secs(3300)); // past stale time
    factory
        .provider()
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap();
    // the caller got the still-valid token at once; the refresh runs in the
    // background
    for _ in 0..500 {
        if emulator.token_requests("app_k8s") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (form, _) = http.last();
    assert_eq!(field(&form, "client_assertion"), second);
    assert_eq!(emulator.token_requests("app_k8s"), 2);

    // an unreadable file is an error naming it
    std::fs::remove_file(&file).unwrap();
    clock.advance(Duration::from_secs(3600));
    let err = factory
        .provider()
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("OIDC token file {}", file.display())),
        "{err}"
    );
}

/// A tiny metadata service on loopback: `PUT /latest/api/token`, then the document.
/// A metadata service on loopback: the token handshake, then `document`
/// (given the request head) as the answer to every other request.
async fn metadata_service(
    document: impl Fn(&str) -> String + Send + 'static,
    content: &'static str,
) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (h, seen) = (hits.clone(), heads.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            h.fetch_add(1, Ordering::SeqCst);
            let body = if head.starts_with("PUT /latest/api/token") {
                "metadata-token".to_owned()
            } else {
                document(&head)
            };
            seen.lock().unwrap().push(head);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (url, hits, heads)
}

#[tokio::test]
async fn pkcs7_from_the_ecs_metadata_service() {
    // the cloud signs the instance identity with the audience the SDK asked for
    let cloud = Arc::new(CloudSigner::generate("ecs-instance-identity").unwrap());
    let emulator = Emulator::builder()
        .client(
            Client::new("app_ecs").with_federated(FederatedCredential::Pkcs7 {
                name: "ecs".into(),
                signer_certificate_pem: cloud.certificate_pem(),
                audience: "idaas_test".into(),
            }),
        )
        .start()
        .await
        .unwrap();
    let signer = cloud.clone();
    let (metadata, _, heads) = metadata_service(
        move |head| {
            let target = head.split(' ').nth(1).unwrap_or_default();
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let audience = idaas_oauth::form::decode(query)
                .into_iter()
                .find(|(k, _)| k == "audience")
                .map(|(_, v)| v)
                .unwrap_or_default();
            signer
                .attest(&json!({"instance-id": "i-ecs", "region-id": "cn-hangzhou", "audience": audience}))
                .unwrap()
        },
        "text/plain",
    )
    .await;
    let http = Recording::new();
    let config = base(&emulator, "app_ecs")
        .pkcs7("ecs", DeployEnvironment::AlibabaCloudEcs)
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(
        config,
        FactoryOptions::default()
            .with_http(http.clone())
            .with_metadata_url(metadata),
    )
    .await
    .unwrap();
    assert_eq!(token_of(&factory, &emulator).await["sub"], "app_ecs");
    let (form, _) = http.last();
    assert_eq!(
        names(&form),
        [
            "client_id",
            "application_federated_credential_name",
            "client_assertion_type",
            "client_assertion",
            "grant_type",
            "scope"
        ]
    );
    // the document went to the token endpoint verbatim, for our instance
    let sent = field(&form, "client_assertion");
    let identity = idaas_emulator::verify_document(
        sent,
        &cloud.certificate_pem(),
        "idaas_test",
        idaas_core::clock::SystemClock.now(),
    )
    .unwrap();
    assert_eq!(identity["instance-id"], "i-ecs");
    let heads = heads.lock().unwrap().clone();
    assert!(
        heads[0].starts_with("PUT /latest/api/token"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("x-aliyun-ecs-metadata-token-ttl-seconds: 3600")
    );
    assert!(heads[1].starts_with("GET /latest/dynamic/instance-identity/pkcs7?audience=%7B%22aud%22%3A%20%22idaas_test%22%2C%20%22signingTime%22%3A%20"));
    assert!(
        heads[1]
            .to_ascii_lowercase()
            .contains("x-aliyun-ecs-metadata-token: metadata-token")
    );
}

#[tokio::test]
async fn a_metadata_service_that_answers_html_or_never_is_a_clear_error() {
    let emulator = Emulator::start().await.unwrap();
    let (html, _, _) =
        metadata_service(|_| "<html>captive portal</html>".into(), "text/html").await;
    let config = base(&emulator, "app_x")
        .pkcs7("ecs", DeployEnvironment::AlibabaCloudEcs)
        .build()
        .unwrap();
    let err = CredentialProviderFactory::from_config(
        config.clone(),
        FactoryOptions::default().with_metadata_url(html.clone()),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("answered HTML"), "{err}");
    assert!(err.to_string().contains(&html), "names the source: {err}");

    // a metadata service that accepts and never answers: the read timeout
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let http = Arc::new(
        HyperClient::new(
            HttpOptions::default()
                .with_read_timeout(Duration::from_millis(300))
                .with_connect_timeout(Duration::from_millis(300)),
        )
        .unwrap(),
    );
    let err = CredentialProviderFactory::from_config(
        config,
        FactoryOptions::default()
            .with_http(http)
            .with_metadata_url(url.clone()),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("timed out") && err.to_string().contains(&url),
        "{err}"
    );
}

#[tokio::test]
async fn init_fails_fast_with_a_named_error() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("right"))
        .start()
        .await
        .unwrap();
    // wrong secret: the eager first fetch fails with the server's OAuth error
    let config = base(&emulator, "app")
        .client_secret_post(SecretSource::env("S"))
        .build()
        .unwrap();
    let err = CredentialProviderFactory::from_config(
        config.clone(),
        options(Recording::new(), MapEnv::new().with("S", "wrong")),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
    // missing env var: names the field and the variable, before any request
    let before = emulator.token_requests("app");
    let err =
        CredentialProviderFactory::from_config(config, options(Recording::new(), MapEnv::new()))
            .await
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authnConfiguration.clientSecretEnvVarName: environment variable S is not set; export it with the secret"
    );
    assert_eq!(emulator.token_requests("app"), before);
    // a corrupt private key
    let config = base(&emulator, "app")
        .private_key_jwt(SecretSource::env("K"))
        .build()
        .unwrap();
    let env = MapEnv::new().with(
        "K",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let err = CredentialProviderFactory::from_config(config, options(Recording::new(), env))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "authnConfiguration.privateKeyEnvVarName: the key in K is not a usable private key"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn providers_per_scope_are_shared_and_token_exchange_works() {
    let emulator = Emulator::builder()
        .client(Client::new("app").with_secret("s"))
        .start()
        .await
        .unwrap();
    let config = base(&emulator, "app")
        .client_secret_basic(SecretSource::env("S"))
        .build()
        .unwrap();
    let factory = CredentialProviderFactory::from_config(
        config,
        options(Recording::new(), MapEnv::new().with("S", "s")),
    )
    .await
    .unwrap();
    assert_eq!(emulator.token_requests("app"), 1);
    for _ in 0..3 {
        factory
            .provider()
            .await
            .unwrap()
            .bearer_token()
            .await
            .unwrap();
        factory
            .provider_for_scope("other.example.com|read")
            .await
            .unwrap()
            .bearer_token()
            .await
            .unwrap();
    }
    assert_eq!(
        emulator.token_requests("app"),
        2,
        "one fetch per scope, shared afterwards"
    );
    assert!(
        factory.provider_for_scope("a|x b|y").await.is_err(),
        "two audiences"
    );

    // token exchange: a token we hold → a token of another scope
    let subject = factory
        .provider()
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap()
        .to_secret();
    let exchange = factory
        .token_exchange_provider_for_scope("pam.example.com|.all")
        .await
        .unwrap();
    let issued = exchange
        .credential(&subject, ACCESS_TOKEN_TYPE, None)
        .await
        .unwrap();
    assert_eq!(issued.issued_token_type.as_deref(), Some(ACCESS_TOKEN_TYPE));
    let claims = verify_jwt(
        issued.access_token.expose_secret(),
        &[emulator.verifying_key()],
        &Validation {
            audience: Some("pam.example.com".into()),
            ..Validation::default()
        },
        idaas_core::clock::SystemClock.now(),
    )
    .unwrap();
    assert_eq!(claims["scope"], "pam.example.com|.all");
    let err = exchange
        .credential(&"not-a-token".into(), ACCESS_TOKEN_TYPE, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    assert!(
        exchange
            .credential(&" ".into(), ACCESS_TOKEN_TYPE, None)
            .await
            .is_err()
    );

    // the exchanged token feeds a static provider
    let static_provider: SharedCredentialProvider =
        Arc::new(StaticCredentialProvider::new(issued.clone()));
    assert_eq!(
        static_provider
            .bearer_token()
            .await
            .unwrap()
            .expose_secret(),
        issued.access_token.expose_secret()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callers_across_an_expiry_cause_one_request() {
    let clock = ManualClock::at_secs(idaas_core::clock::SystemClock.now_secs());
    let shared: SharedClock = Arc::new(clock.clone());
    let emulator = Emulator::builder()
        .clock(shared.clone())
        .client(Client::new("app").with_secret("s"))
        .start()
        .await
        .unwrap();
    let config = base(&emulator, "app")
        .client_secret_post(SecretSource::env("S"))
        .build()
        .unwrap();
    let factory = idaas_test_support::factory(config, Some(shared)).await;
    let provider = factory.provider().await.unwrap();
    assert_eq!(emulator.token_requests("app"), 1);
    clock.advance(Duration::from_secs(3601)); // expired
    let mut tokens = std::collections::HashSet::new();
    for outcome in idaas_test_support::thousand_callers(&provider).await {
        tokens.insert(outcome.unwrap());
    }
    assert_eq!(tokens.len(), 1, "every caller got the same new token");
    assert_eq!(
        emulator.token_requests("app"),
        2,
        "exactly one request for 1,000 callers"
    );
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let config = ClientConfig::from_json_str(
        r#"{"idaasInstanceId":"i","clientId":"c","issuer":"https://x","tokenEndpoint":"https://x/t",
            "authnConfiguration":{"authnMethod":"CLIENT_SECRET_POST","clientSecretEnvVarName":"S"}}"#,
    )
    .unwrap();
    assert_send(&CredentialProviderFactory::from_config(
        config,
        FactoryOptions::default(),
    ));
    assert_send(&CredentialProviderFactory::init());
}

#[tokio::test]
async fn plugin_alibaba_cloud_openapi_signs_requests_the_emulator_verifies() {
    let emulator = Emulator::builder()
        .client(Client::new("app_plugin"))
        .access_key("LTAI-test", "ak-secret")
        .start()
        .await
        .unwrap();
    let config = base(&emulator, "app_plugin")
        .open_api_endpoint(emulator.base_url())
        .plugin(ALIBABA_PLUGIN_NAME)
        .build()
        .unwrap();
    let env = MapEnv::new()
        .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test")
        .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret");
    let factory =
        CredentialProviderFactory::from_config(config.clone(), options(Recording::new(), env))
            .await
            .unwrap();
    let claims = token_of(&factory, &emulator).await;
    // the scope values, deduplicated and in a stable (sorted) order
    assert_eq!(
        claims["scope"],
        "api.example.com|read:file api.example.com|write:file"
    );
    assert_eq!(emulator.token_requests("app_plugin"), 1);
    let err = factory.token_exchange_provider().await.unwrap_err();
    assert!(
        err.to_string().contains("PLUGIN for token exchange"),
        "{err}"
    );

    let wrong = MapEnv::new()
        .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test")
        .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret");
    let err =
        CredentialProviderFactory::from_config(config.clone(), options(Recording::new(), wrong))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
    let err = CredentialProviderFactory::from_config(
        config.clone(),
        options(Recording::new(), MapEnv::new()),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "{err}"
    );
    let unknown_app = base(&emulator, "no_such_app")
        .open_api_endpoint(emulator.base_url())
        .plugin(ALIBABA_PLUGIN_NAME)
        .build()
        .unwrap();
    let env = MapEnv::new()
        .with("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test")
        .with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret");
    let err = CredentialProviderFactory::from_config(unknown_app, options(Recording::new(), env))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("EntityNotExists.Application"),
        "{err}"
    );
    let unregistered = base(&emulator, "app_plugin")
        .plugin("myPlugin")
        .build()
        .unwrap();
    let err = CredentialProviderFactory::from_config(unregistered, FactoryOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no plugin \"myPlugin\""), "{err}");
}

#[tokio::test]
async fn human_identity_signs_in_once_then_reuses_and_refreshes_the_cached_credential() {
    let clock = ManualClock::at_secs(idaas_core::clock::SystemClock.now_secs());
    let shared: SharedClock = Arc::new(clock.clone());
    let emulator = Arc::new(
        Emulator::builder()
            .client(Client::new("iap_developer"))
            .device_interval(1)
            .clock(shared.clone())
            .start()
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("human.json");
    let config = base(&emulator, "app_human")
        .identity_type(idaas_core::config::IdentityType::Human)
        .device_authorization_endpoint(format!(
            "{}/oauth2/device_authorization",
            emulator.base_url()
        ))
        .client_secret_post(SecretSource::env("UNUSED"))
        .build()
        .unwrap();
    let prompts = Arc::new(AtomicUsize::new(0));
    let options = || {
        FactoryOptions::default()
            .with_env(Arc::new(MapEnv::new().with("UNUSED", "x").with(
                HUMAN_CREDENTIAL_CACHE_PATH_ENV,
                cache.display().to_string(),
            )))
            .with_human_prompt({
                let (emulator, prompts) = (emulator.clone(), prompts.clone());
                HumanPrompt::new(move |auth| {
                    prompts.fetch_add(1, Ordering::SeqCst);
                    assert!(emulator.approve_device(&auth.user_code));
                })
            })
            .with_clock(shared.clone())
    };
    let factory = CredentialProviderFactory::from_config(config.clone(), options())
        .await
        .unwrap();
    let provider = factory.provider().await.unwrap();
    let first = provider.credential().await.unwrap();
    assert!(first.refresh_token.is_some());
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "one sign-in");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // a new process: the cached credential is used, nobody is asked again
    let again = CredentialProviderFactory::from_config(config.clone(), options())
        .await
        .unwrap();
    let reused = again.provider().await.unwrap().credential().await.unwrap();
    assert_eq!(reused.access_token, first.access_token);
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    // one device authorization and one poll, both from the first factory
    assert_eq!(emulator.token_requests("iap_developer"), 2);
    // hours later, another process: the stored token expired, the refresh token renews it
    clock.advance(std::time::Duration::from_secs(7200));
    let later = CredentialProviderFactory::from_config(config.clone(), options())
        .await
        .unwrap();
    let renewed = later.provider().await.unwrap().credential().await.unwrap();
    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(
        prompts.load(Ordering::SeqCst),
        1,
        "renewed without asking the person"
    );
    assert_eq!(
        emulator.token_requests("iap_developer"),
        3,
        "one refresh request"
    );
    // a process configured for another scope: the cached access token is
    // not handed out for it; the refresh token gets one for that scope
    let mut narrower = config;
    narrower.scope = "api.example.com|read:file".parse().unwrap();
    let other = CredentialProviderFactory::from_config(narrower, options())
        .await
        .unwrap();
    let scoped = other.provider().await.unwrap().credential().await.unwrap();
    assert_ne!(scoped.access_token, renewed.access_token);
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "still no new sign-in");
    assert_eq!(emulator.token_requests("iap_developer"), 4);
}
