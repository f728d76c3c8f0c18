//! Key formats (PEM, DER, JWK; private and public; X.509), certificate
//! headers, the key directory and its JWK set, the JWKS cache (refetch on an
//! unknown kid, rate limit) and the discovery cache, against a scripted
//! transport.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use idaas_core::TransportError;
use idaas_core::clock::ManualClock;
use idaas_core::http::{Bytes, HttpClient, HttpRequest, HttpResponse};
use idaas_oauth::jose::*;
use idaas_oauth::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn der(name: &str) -> Vec<u8> {
    pem::parse(fixture(name)).unwrap().into_contents()
}

const NOW: Duration = Duration::from_secs(1_700_000_000);

fn claims() -> Value {
    json!({"iss": "https://idp", "aud": "api", "sub": "u1", "iat": 1_700_000_000u64, "exp": 1_700_000_600u64})
}

fn validation() -> Validation {
    Validation {
        issuer: Some("https://idp".into()),
        audience: Some("api".into()),
        ..Validation::default()
    }
}

fn token(key: &SigningKey) -> String {
    sign_jwt(key, &JwtHeader::for_key(key, None), &claims()).unwrap()
}

#[test]
fn private_keys_in_every_container_sign_what_their_public_forms_verify() {
    let p256 = SigningKey::from_pem(&fixture("p256-pkcs8.pem")).unwrap();
    let rsa = SigningKey::from_pem(&fixture("rsa2048-pkcs8.pem")).unwrap();
    // DER: PKCS#8, PKCS#1, SEC1 recognised by structure
    for (name, alg) in [
        ("p256-pkcs8.pem", Algorithm::ES256),
        ("p256-sec1.pem", Algorithm::ES256),
        ("rsa2048-pkcs1.pem", Algorithm::RS256),
        ("p384-sec1.pem", Algorithm::ES384),
        ("p521-pkcs8.pem", Algorithm::ES512),
        ("ed25519-pkcs8.pem", Algorithm::EdDSA),
    ] {
        let key = SigningKey::from_der(&der(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.algorithm(), alg, "{name}");
        let public = verifying_key(&key).unwrap();
        verify_jwt(&token(&key), &[public], &validation(), NOW)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // public material: SPKI PEM, PKCS#1 public, X.509 certificate
    let spki = VerifyingKey::from_pem(&fixture("p256-public.pem")).unwrap();
    let cert = VerifyingKey::from_pem(&fixture("p256-cert.pem")).unwrap();
    let rsa_spki = VerifyingKey::from_pem(&fixture("rsa2048-public.pem")).unwrap();
    verify_jwt(
        &token(&p256),
        std::slice::from_ref(&spki),
        &validation(),
        NOW,
    )
    .unwrap();
    verify_jwt(&token(&p256), &[cert], &validation(), NOW).unwrap();
    verify_jwt(&token(&rsa), &[rsa_spki], &validation(), NOW).unwrap();
    let pkcs1_public = VerifyingKey::from_pkcs1_der(&rsa.public_key_der().unwrap()).unwrap();
    verify_jwt(&token(&rsa), &[pkcs1_public], &validation(), NOW).unwrap();
    assert_eq!(
        spki.to_jwk().unwrap()["kid"],
        public_jwk(&p256).unwrap()["kid"],
        "the same thumbprint from either half"
    );
    // public material never signs
    for name in ["p256-public.pem", "p256-cert.pem", "rsa2048-public.pem"] {
        assert!(matches!(
            SigningKey::from_pem(&fixture(name)),
            Err(KeyError::Unsupported(_))
        ));
    }
    // secp256k1 is refused with a clear message
    let err = SigningKey::from_pem(&fixture("k256-sec1.pem")).unwrap_err();
    assert!(err.to_string().contains("secp256k1"), "{err}");
}

#[test]
fn private_jwks_import_through_josekit() {
    use josekit::jwk::KeyPair as _;
    let rsa = josekit::jwk::alg::rsa::RsaKeyPair::from_pem(fixture("rsa2048-pkcs8.pem")).unwrap();
    let ec = josekit::jwk::alg::ec::EcKeyPair::from_pem(fixture("p521-pkcs8.pem"), None).unwrap();
    let ed = josekit::jwk::alg::ed::EdKeyPair::from_pem(fixture("ed25519-pkcs8.pem")).unwrap();
    for (jwk, alg) in [
        (rsa.to_jwk_private_key(), Algorithm::RS256),
        (ec.to_jwk_private_key(), Algorithm::ES512),
        (ed.to_jwk_private_key(), Algorithm::EdDSA),
    ] {
        let mut value = Value::Object(jwk.as_ref().clone());
        value["kid"] = json!("k1");
        let key = SigningKey::from_jwk(&value).unwrap();
        assert_eq!((key.algorithm(), key.kid()), (alg, Some("k1")));
        let public = VerifyingKey::from_jwk(&public_jwk(&key).unwrap()).unwrap();
        verify_jwt(&token(&key), &[public], &validation(), NOW).unwrap();
        // without d it is public material
        value.as_object_mut().unwrap().remove("d");
        assert!(SigningKey::from_jwk(&value).is_err());
    }
    // a JWK's alg is kept, and narrows what its public half accepts
    let mut jwk = Value::Object(rsa.to_jwk_private_key().as_ref().clone());
    jwk["alg"] = json!("PS384");
    let key = SigningKey::from_jwk(&jwk).unwrap();
    assert_eq!(key.algorithm(), Algorithm::PS384);
    let public = VerifyingKey::from_jwk(&public_jwk(&key).unwrap()).unwrap();
    assert!(public.allows(Algorithm::PS384) && !public.allows(Algorithm::RS256));
    let rs256 = SigningKey::from_jwk(&jwk)
        .unwrap()
        .with_algorithm(Algorithm::RS256)
        .unwrap();
    assert!(matches!(
        verify_jwt(&token(&rs256), &[public], &validation(), NOW),
        Err(JwtError::AlgorithmNotAllowed { .. })
    ));
    // oct: an HMAC signing key, never a verifying key from a JWK
    let oct =
        json!({"kty": "oct", "k": b64url(b"0123456789abcdef0123456789abcdef"), "alg": "HS384"});
    assert_eq!(
        SigningKey::from_jwk(&oct).unwrap().algorithm(),
        Algorithm::HS384
    );
    assert!(VerifyingKey::from_jwk(&oct).is_err());
}

#[test]
fn certificate_chain_goes_into_the_assertion_header() {
    let key = Arc::new(SigningKey::from_pem(&fixture("p256-pkcs8.pem")).unwrap());
    let chain = CertificateChain::from_pem(&fixture("p256-cert.pem")).unwrap();
    assert!(chain.certifies(&key));
    let ClientAuth::PrivateKeyJwt { header, .. } =
        ClientAuth::private_key_jwt_with_certificate(key.clone(), &chain).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(header.x5c.as_ref().unwrap().len(), 1);
    assert_eq!(header.x5t_s256.as_deref(), Some(chain.x5t_s256().as_str()));
    assert_eq!(
        header.kid,
        public_jwk(&key).unwrap()["kid"].as_str().map(str::to_owned)
    );
    let other = Arc::new(SigningKey::from_pem(&fixture("p384-sec1.pem")).unwrap());
    assert!(ClientAuth::private_key_jwt_with_certificate(other, &chain).is_err());
    assert!(CertificateChain::from_pem(&fixture("p256-public.pem")).is_err());
}

#[test]
fn key_directory_reads_the_eight_formats_and_publishes_thumbprint_kids() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    use josekit::jwk::KeyPair as _;
    let ec = josekit::jwk::alg::ec::EcKeyPair::from_pem(fixture("p256-sec1.pem"), None).unwrap();
    put("1.pem", fixture("rsa2048-pkcs8.pem").as_bytes());
    put(
        "2.json",
        Value::Object(ec.to_jwk_private_key().as_ref().clone())
            .to_string()
            .as_bytes(),
    );
    put("3.private", &der("p384-sec1.pem"));
    put("4.pkcs8", &der("ed25519-pkcs8.pem"));
    put("5.public", &der("p256-public.pem"));
    put("6.spki", &der("rsa2048-public.pem"));
    put("7.pkix", &der("p256-cert.pem"));
    put("8.x509", &der("p256-cert.pem"));
    put("9.json", br#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let keys = KeyDirectory::load(dir.path()).unwrap();
    let algs: Vec<Algorithm> = keys.keys().iter().map(|k| k.algorithm()).collect();
    assert_eq!(
        algs,
        [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA
        ]
    );
    assert_eq!(keys.skipped().len(), 5, "{:?}", keys.skipped());
    let set = keys.jwk_set();
    let published = set["keys"].as_array().unwrap();
    assert_eq!(published.len(), 4);
    for jwk in published {
        assert!(jwk.get("d").is_none());
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"].as_str(), jwk_thumbprint(jwk).as_deref());
    }
    // what we publish verifies what we sign
    let parsed = JwkSet::from_value(&set).unwrap();
    for key in keys.keys() {
        verify_jwt(&token(key), parsed.keys(), &validation(), NOW).unwrap();
    }
    assert!(keys.choose().is_some());
    assert!(KeyDirectory::default().choose().is_none());
    assert!(KeyDirectory::load(dir.path().join("missing")).is_err());
}

#[test]
fn jwk_sets_leave_out_what_cannot_verify() {
    let p256 = SigningKey::from_pem(&fixture("p256-pkcs8.pem")).unwrap();
    let set = json!({"keys": [
        public_jwk(&p256).unwrap(),
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"},
        "not an object",
    ]});
    let parsed = JwkSet::from_value(&set).unwrap();
    assert_eq!(parsed.keys().len(), 1);
    assert_eq!(parsed.skipped().len(), 5);
    assert!(JwkSet::from_json(b"[]").is_err());
    assert!(JwkSet::from_json(b"{\"keys\":5}").is_err());
    let many = json!({"keys": vec![public_jwk(&p256).unwrap(); MAX_JWKS_KEYS + 1]});
    assert!(JwkSet::from_value(&many).is_err());
}

/// Answers each request with the next scripted (status, body) and counts.
#[derive(Debug, Default)]
struct Script {
    replies: Mutex<VecDeque<(u16, String)>>,
    urls: Mutex<Vec<String>>,
}

impl Script {
    fn push(&self, status: u16, body: impl Into<String>) {
        self.replies
            .lock()
            .unwrap()
            .push_back((status, body.into()));
    }
    fn calls(&self) -> usize {
        self.urls.lock().unwrap().len()
    }
}

#[async_trait]
impl HttpClient for Script {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.urls.lock().unwrap().push(request.uri().to_string());
        let Some((status, body)) = self.replies.lock().unwrap().pop_front() else {
            return Err(TransportError::Connect {
                host: "idp".into(),
                reason: "refused".into(),
            });
        };
        Ok(http::Response::builder()
            .status(status)
            .body(Bytes::from(body))
            .unwrap())
    }
}

fn set_of(keys: &[&SigningKey]) -> String {
    jwk_set(keys.iter().copied()).to_string()
}

#[tokio::test]
async fn unknown_kid_refetches_once_per_interval_then_is_rejected() {
    let old = SigningKey::generate_p256();
    let new = SigningKey::generate_p256();
    let script = Arc::new(Script::default());
    let clock = ManualClock::new(NOW);
    let jwks = RemoteJwks::new(script.clone(), "https://idp/jwks")
        .with_clock(Arc::new(clock.clone()))
        .with_min_refetch_interval(Duration::from_secs(30));
    let validator =
        JwtValidator::new(jwks.clone(), validation()).with_clock(Arc::new(clock.clone()));

    script.push(200, set_of(&[&old]));
    validator.validate(&token(&old)).await.unwrap();
    // rotation happened at the server; the first refetch is throttled
    script.push(200, set_of(&[&new, &old]));
    let err = validator.validate(&token(&new)).await.unwrap_err();
    assert!(matches!(err, Error::Jwt(JwtError::UnknownKey(_))), "{err}");
    assert_eq!(script.calls(), 1);
    clock.advance(Duration::from_secs(30));
    validator.validate(&token(&new)).await.unwrap();
    assert_eq!(script.calls(), 2);
    // a kid unknown even after the refetch is rejected, and floods fetch nothing
    let stranger = SigningKey::generate_p256();
    clock.advance(Duration::from_secs(31));
    script.push(200, set_of(&[&new, &old]));
    for _ in 0..50 {
        let err = validator.validate(&token(&stranger)).await.unwrap_err();
        assert!(matches!(err, Error::Jwt(JwtError::UnknownKey(_))), "{err}");
    }
    assert_eq!(script.calls(), 3, "one refetch, then the rate limit");
    // a failed refetch keeps the cached set
    clock.advance(Duration::from_secs(3600));
    assert_eq!(jwks.keys().await.unwrap().keys().len(), 2);
    assert_eq!(script.calls(), 4);
    // a malformed set is a clear error when nothing is cached
    let fresh = RemoteJwks::new(script.clone(), "https://idp/jwks");
    script.push(200, "{\"keys\": 5}");
    assert!(matches!(
        fresh.keys().await,
        Err(Error::InvalidResponse { .. })
    ));
    script.push(302, "");
    assert!(matches!(
        fresh.keys().await,
        Err(Error::UnexpectedStatus { status: 302, .. })
    ));
}

#[tokio::test]
async fn discovery_caches_falls_back_to_rfc8414_and_serves_stale_on_error() {
    let script = Arc::new(Script::default());
    let clock = ManualClock::new(NOW);
    let issuer = "https://idp.example.com/tenant";
    let doc = json!({"issuer": issuer, "token_endpoint": "https://idp.example.com/tenant/token",
        "jwks_uri": "https://idp.example.com/tenant/jwks"})
    .to_string();
    let discovery = Discovery::new(script.clone(), issuer).with_clock(Arc::new(clock.clone()));
    script.push(404, "not found");
    script.push(200, doc.clone());
    let m = discovery.metadata().await.unwrap();
    assert_eq!(m.token_endpoint, "https://idp.example.com/tenant/token");
    assert_eq!(
        *script.urls.lock().unwrap(),
        [
            "https://idp.example.com/tenant/.well-known/openid-configuration",
            "https://idp.example.com/.well-known/oauth-authorization-server/tenant"
        ]
    );
    discovery.metadata().await.unwrap();
    assert_eq!(script.calls(), 2, "cached");
    clock.advance(Duration::from_secs(901));
    // the refetch fails (transport): the stale document is served
    assert_eq!(discovery.metadata().await.unwrap(), m);
    clock.advance(Duration::from_secs(400));
    assert!(discovery.metadata().await.is_err(), "past stale-if-error");
    // a document for another issuer is refused
    let other = Discovery::new(script.clone(), issuer)
        .with_kind(discovery::MetadataKind::OpenIdConfiguration);
    script.push(
        200,
        json!({"issuer": "https://evil", "token_endpoint": "https://evil/t"}).to_string(),
    );
    let err = other.metadata().await.unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");
}

#[test]
fn new_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let script: idaas_core::http::SharedHttpClient = Arc::new(Script::default());
    let discovery = Discovery::new(script.clone(), "https://idp");
    let jwks = RemoteJwks::new(script.clone(), "https://idp/jwks");
    let validator = JwtValidator::new(jwks.clone(), Validation::default());
    let client = OAuthClient::new(script, "c", "https://idp/token", ClientAuth::None);
    let keys = KeyDirectory::default();
    let assertion = UserAssertion::new("u");
    assert_send(&discovery.metadata());
    assert_send(&discovery.invalidate());
    assert_send(&jwks.keys());
    assert_send(&jwks.keys_for(Some("k")));
    assert_send(&validator.validate("t"));
    assert_send(&client.grant_user(&keys, "https://us", &assertion));
    struct Stored {
        _d: Discovery,
        _j: RemoteJwks,
        _v: JwtValidator,
        _k: KeyDirectory,
    }
    let _ = Stored {
        _d: discovery.clone(),
        _j: jwks.clone(),
        _v: validator.clone(),
        _k: keys.clone(),
    };
}
