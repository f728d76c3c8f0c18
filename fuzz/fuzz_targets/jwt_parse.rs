//! Compact JWS/JWT decoding and verification, with oracles, under real
//! RSA (2048), P-256, Ed25519 and HMAC keys (the fixtures of idaas-oauth's
//! tests).
//!
//! Input: byte 0 picks the mode. Raw mode verifies the rest as token text.
//! Signed mode signs a token for real — signer, signing algorithm, the
//! `alg` the header declares, the `kid`, and one byte flipped anywhere all
//! chosen by the input; the claims are the rest — so verification can
//! succeed and algorithm confusion (an HS256 token "signed" with the RSA
//! public key as the HMAC secret, a header that lies about its `alg`) is
//! exercised. Oracles, for every key separately:
//! - a token verifies only under an algorithm in the key's allow-list
//!   (written out here, independent of `VerifyingKey::allows`);
//! - verify ⇒ decode agrees (same claims, same `alg`);
//! - a signed token verifies only under its signer's public key, only when
//!   the header declares the algorithm really used, and never once a byte
//!   of its signing input is changed; an intact one always verifies there.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use idaas_oauth::jose::{
    Algorithm, SigningKey, Validation, VerifyingKey, b64url, decode_jws, verify_jwt,
    verifying_key,
};
use libfuzzer_sys::fuzz_target;

const FIXTURES: &str = "../crates/idaas-oauth/tests/fixtures/";
const HMAC_SECRET: &[u8] = b"fuzz-secret-fuzz-secret-fuzz-secret-fuzz-secret-fuzz-secret-0123";

/// A signer: its key, the algorithms it may sign with, and which
/// verifying key (index into `Keys::verifiers`) is its public half.
struct Signer {
    /// One key per algorithm it may sign with.
    keys: Vec<SigningKey>,
    verifier: Option<usize>,
}

fn signer(pem: Option<&str>, hmac: Option<&[u8]>, algs: &[Algorithm], verifier: Option<usize>) -> Signer {
    let keys = algs
        .iter()
        .map(|&alg| {
            let key = match (pem, hmac) {
                (Some(pem), _) => SigningKey::from_pem(pem).unwrap(),
                (None, Some(secret)) => SigningKey::hmac_bytes(secret, alg).unwrap(),
                _ => unreachable!(),
            };
            key.with_algorithm(alg).unwrap()
        })
        .collect();
    Signer { keys, verifier }
}

struct Keys {
    signers: Vec<Signer>,
    /// (key, the algorithms it must be the only ones to verify).
    verifiers: Vec<(VerifyingKey, &'static [&'static str])>,
}

const HS: &[Algorithm] = &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const RSA: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];
const ALG_NAMES: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA", "none", "hs256", "Ed25519", "",
];

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (rsa, p256, ed) = (read("rsa2048-pkcs8.pem"), read("p256-pkcs8.pem"), read("ed25519-pkcs8.pem"));
        let rsa_public = read("rsa2048-public.pem");
        let public = |pem: &str| verifying_key(&SigningKey::from_pem(pem).unwrap()).unwrap();
        let verifiers = vec![
            (
                VerifyingKey::hmac_bytes(HMAC_SECRET).with_kid("hmac"),
                &["HS256", "HS384", "HS512"][..],
            ),
            (
                VerifyingKey::from_pem(&rsa_public).unwrap().with_kid("rsa"),
                &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"][..],
            ),
            (public(&p256).with_kid("ec"), &["ES256"][..]),
            (public(&ed).with_kid("ed"), &["EdDSA"][..]),
        ];
        let signers = vec![
            signer(None, Some(HMAC_SECRET), HS, Some(0)),
            signer(Some(&rsa), None, RSA, Some(1)),
            signer(Some(&p256), None, &[Algorithm::ES256], Some(2)),
            signer(Some(&ed), None, &[Algorithm::EdDSA], Some(3)),
            // the classic confusion: HS256 keyed with the RSA public key
            signer(None, Some(rsa_public.as_bytes()), HS, None),
        ];
        Keys { signers, verifiers }
    })
}

const NOW: Duration = Duration::from_secs(1_700_000_000);

/// Oracles that hold for any text; returns the keys it verified under.
fn check(text: &str) -> Vec<usize> {
    let keys = keys();
    let decoded = decode_jws(text);
    let mut verified = Vec::new();
    for (i, (key, allowed)) in keys.verifiers.iter().enumerate() {
        let Ok(jws) = &decoded else { continue };
        if jws.verify(key).is_ok() {
            let alg = jws.alg().unwrap_or("");
            assert!(allowed.contains(&alg), "key {i} verified alg {alg:?}: {text}");
            verified.push(i);
        }
        let alone = std::slice::from_ref(key);
        if let Ok(claims) = verify_jwt(text, alone, &Validation::default(), NOW) {
            let jws = decoded.as_ref().expect("verify_jwt accepted what decode_jws refused");
            assert_eq!(claims, jws.claims, "verify and decode disagree on the claims");
            assert!(verified.contains(&i), "verify_jwt accepted what Jws::verify refused");
        }
    }
    verified
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 0 || rest.len() < 6 {
        if let Ok(text) = std::str::from_utf8(rest) {
            check(text);
        }
        return;
    }
    let keys = keys();
    let signer = &keys.signers[rest[0] as usize % keys.signers.len()];
    let key = &signer.keys[rest[1] as usize % signer.keys.len()];
    let used = key.algorithm();
    let declared = ALG_NAMES[rest[2] as usize % ALG_NAMES.len()];
    let kid = ["hmac", "rsa", "ec", "ed", "other"].get(rest[3] as usize % 6).copied();
    let (flip_at, flip) = (u16::from_le_bytes([rest[4], rest[5]]) as usize, mode >> 1);
    let body = &rest[6..];
    let claims = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => serde_json::json!({"sub": String::from_utf8_lossy(body), "exp": 1_800_000_000u64}),
    };
    let mut header = serde_json::json!({"alg": declared, "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes()).unwrap();
    let mut token = format!("{signing_input}.{}", b64url(&signature)).into_bytes();
    let flipped = flip != 0 && flip_at < token.len();
    if flipped {
        token[flip_at] ^= flip;
    }
    let Ok(text) = std::str::from_utf8(&token) else { return };
    let in_signing_input = flipped && flip_at < signing_input.len();
    for i in check(text) {
        assert!(!in_signing_input, "verified after its signing input changed: {text}");
        assert_eq!(Some(i), signer.verifier, "verified under another key than its signer's: {text}");
        assert_eq!(declared, used.as_str(), "verified though the header lies about alg: {text}");
    }
    if !flipped && declared == used.as_str() {
        if let Some(i) = signer.verifier {
            let jws = decode_jws(text).unwrap();
            assert!(jws.verify(&keys.verifiers[i].0).is_ok(), "an intact token did not verify: {text}");
        }
    }
});
