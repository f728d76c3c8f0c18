//! Compact JWS/JWT decoding and verification on arbitrary text: never panic;
//! nothing verifies without a real signature.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use idaas_oauth::jose::{Validation, VerifyingKey, decode_jws, verify_jwt};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static [VerifyingKey] {
    static KEYS: OnceLock<Vec<VerifyingKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        vec![
            VerifyingKey::hmac_bytes(b"fuzz-secret-fuzz-secret-fuzz-sec"),
            VerifyingKey::p256({
                let mut p = vec![4];
                p.extend([1u8; 64]);
                p
            }),
            VerifyingKey::rsa(vec![0xc3; 256], vec![1, 0, 1]).with_kid("rsa"),
            VerifyingKey::ed25519(vec![7; 32]).with_kid("ed"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jws) = decode_jws(text) {
        let _ = (jws.alg(), jws.kid());
    }
    let validation = Validation::default();
    if let Ok(claims) = verify_jwt(
        text,
        keys(),
        &validation,
        Duration::from_secs(1_700_000_000),
    ) {
        // only an HMAC signature made with the fuzz secret can get here
        assert!(text.contains('.'), "{claims:?}");
    }
});
