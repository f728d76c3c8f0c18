//! The resource server's access-token verifier (idaas-guard) on tokens whose
//! header and claims the fuzzer writes and that this target signs for real,
//! or on raw text. The issuer's JWKS publishes keys of three families —
//! EC (P-256 and P-384), OKP (Ed25519) and RSA — and the verifier allows
//! ES256 and RS256 only. Oracle: never a panic; a token is accepted only
//! when it was signed by the P-256 key with ES256 or by the RSA key with
//! RS256, its header declares exactly that algorithm (never `none`, never
//! an algorithm of a published key outside the list — ES384, EdDSA, PS256
//! by the same RSA key — never HS256 keyed with the RSA public key or any
//! other secret), and `typ` `at+jwt`, our issuer and audience and an `exp`
//! in the future hold.
//!
//! Input: byte 0 picks the mode. `0` (mod 8): the rest is the token text.
//! Otherwise the rest is `header JSON\nclaims JSON`, encoded here, and
//! signed by signer `mode % 8` ([`SIGNERS`]); with bit 8 set the signature
//! is left empty (an unsigned token).
#![no_main]

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use bytes::Bytes;
use idaas_core::TransportError;
use idaas_core::clock::ManualClock;
use idaas_core::http::{HttpClient, HttpRequest, HttpResponse};
use idaas_guard::TokenVerifier;
use idaas_oauth::jose::{Algorithm, SigningKey, b64url, b64url_decode, jwk_set};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const ISSUER: &str = "https://idp.fuzz";
const AUDIENCE: &str = "api://fuzz";
/// The verifier's time (Unix seconds); the seeds' `exp` is far after it.
const NOW: u64 = 1_800_000_000;
/// The verifier's allow-list.
const ALLOWED: [&str; 2] = ["ES256", "RS256"];
/// What signs in signed mode, by `mode % 8` (1..=7), and whether a token
/// it signed may ever be accepted (its key is in the JWKS and its
/// algorithm in the allow-list).
const SIGNERS: [(&str, bool); 7] = [
    ("ES256 by the P-256 key", true),
    ("ES384 by the P-384 key", false),
    ("EdDSA by the Ed25519 key", false),
    ("RS256 by the RSA key", true),
    ("PS256 by the RSA key", false),
    ("HS256 keyed with the RSA public key (PEM)", false),
    (
        "HS256 keyed with a secret the issuer never published",
        false,
    ),
];
const FIXTURES: &str = "../crates/idaas-oauth/tests/fixtures/";

fn fixture_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const P384_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBmJw+j+lfAZsU3T4uY
eZ24/O+R1HnacxErESmhLo8ECYWJbP8Eoeqs+xhs47Q6VWmhZANiAASlcQIKr5S3
ESA+2Dv3hw4tQls3nhH++ZguqoiieRh/8n0xf73H1c7QtEALGR29wa8AR7QvIfiL
ejAu+/CIP84udSy/XA+ZW7K0dROFDFwxbNTq/mOB6YLjQ5/DPb3/YEw=
-----END PRIVATE KEY-----";
const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIO7kzYW6tq8AgLXB5uzM7g4sdrOEFjJlVJcrN27xgDcZ
-----END PRIVATE KEY-----";

/// The in-process issuer: answers every request with its JWKS.
#[derive(Debug)]
struct Jwks(String);

#[async_trait]
impl HttpClient for Jwks {
    async fn execute(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Bytes::from(self.0.clone()))
            .unwrap())
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: TokenVerifier,
    /// One per [`SIGNERS`] entry.
    keys: Vec<SigningKey>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rsa = fixture_file("rsa2048-pkcs8.pem");
        let rsa_public = fixture_file("rsa2048-public.pem");
        let keys = vec![
            SigningKey::generate_p256().with_kid("es256"),
            SigningKey::from_pem(P384_PEM).unwrap().with_kid("es384"),
            SigningKey::from_pem(ED25519_PEM).unwrap().with_kid("ed"),
            SigningKey::from_pem(&rsa)
                .unwrap()
                .with_algorithm(Algorithm::RS256)
                .unwrap()
                .with_kid("rsa"),
            SigningKey::from_pem(&rsa)
                .unwrap()
                .with_algorithm(Algorithm::PS256)
                .unwrap()
                .with_kid("rsa"),
            SigningKey::hmac_bytes(rsa_public.as_bytes(), Algorithm::HS256)
                .unwrap()
                .with_kid("rsa"),
            SigningKey::hmac_bytes(b"a secret the issuer never published", Algorithm::HS256)
                .unwrap()
                .with_kid("es256"),
        ];
        assert_eq!(keys.len(), SIGNERS.len());
        assert_eq!(keys[0].algorithm(), Algorithm::ES256);
        // the public halves of the asymmetric keys (one RSA key, once)
        let set = jwk_set([&keys[0], &keys[1], &keys[2], &keys[3]]).to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let verifier = runtime
            .block_on(
                TokenVerifier::builder(ISSUER)
                    .audience(AUDIENCE)
                    .http(Arc::new(Jwks(set)))
                    .jwks_uri(format!("{ISSUER}/jwks"))
                    .algorithms([Algorithm::ES256, Algorithm::RS256])
                    .clock(Arc::new(ManualClock::at_secs(NOW)))
                    .build(),
            )
            .unwrap();
        Fixture {
            runtime,
            verifier,
            keys,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    // the token, and which key signed it (None: raw text or unsigned)
    let (token, signer) = if mode % 8 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        (text.to_owned(), None)
    } else {
        let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let (header, claims) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
        let mut token = format!("{}.{}", b64url(header), b64url(claims));
        let index = usize::from(mode % 8) - 1;
        let signed = mode & 8 == 0;
        if signed {
            let signature = f.keys[index].sign(token.as_bytes()).unwrap();
            token.push('.');
            token.push_str(&b64url(&signature));
        } else {
            token.push('.');
        }
        (token, signed.then_some(index))
    };
    let Ok(principal) = f.runtime.block_on(f.verifier.verify(&token)) else {
        return;
    };
    // accepted: every check must hold on what was sent
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "accepted a token that is not a compact JWS");
    let json = |part: &str| -> Value {
        serde_json::from_slice(&b64url_decode(part).expect("accepted bad base64url"))
            .expect("accepted a part that is not JSON")
    };
    let (header, claims) = (json(parts[0]), json(parts[1]));
    let alg = header["alg"].as_str().expect("accepted without alg");
    assert_ne!(alg, "none", "accepted alg none");
    assert!(
        ALLOWED.contains(&alg),
        "accepted alg {alg} outside the allow-list"
    );
    assert!(!parts[2].is_empty(), "accepted an unsigned token");
    if mode % 8 != 0 {
        let index = signer.expect("accepted an unsigned token");
        let (what, acceptable) = SIGNERS[index];
        assert!(acceptable, "accepted a token signed with {what}");
        assert_eq!(
            alg,
            f.keys[index].algorithm().as_str(),
            "accepted a token signed with {what} whose header declares {alg}"
        );
    }
    let typ = header["typ"].as_str().unwrap_or("").to_ascii_lowercase();
    assert!(
        typ == "at+jwt" || typ == "application/at+jwt",
        "accepted typ {typ:?}"
    );
    assert_eq!(claims["iss"].as_str(), Some(ISSUER));
    let aud_ok = match &claims["aud"] {
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        single => single.as_str() == Some(AUDIENCE),
    };
    assert!(aud_ok, "accepted aud {}", claims["aud"]);
    let exp = claims["exp"]
        .as_f64()
        .expect("accepted without a numeric exp");
    assert!(exp + 60.0 > NOW as f64, "accepted an expired token");
    assert_eq!(principal.subject(), claims["sub"].as_str());
});
