//! JWK sets and single JWKs (public and private) on arbitrary bytes: never
//! panic; no symmetric or private key ever becomes a verifying key.
#![no_main]

use idaas_oauth::jose::{JwkSet, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = JwkSet::from_json(data) {
        for key in set.keys() {
            assert_ne!(key.key_type(), "oct");
            let _ = key.to_jwk();
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(key) = VerifyingKey::from_jwk(&value) {
            assert!(value.get("d").is_none());
            let _ = key.to_jwk();
        }
        let _ = SigningKey::from_jwk(&value);
    }
});
