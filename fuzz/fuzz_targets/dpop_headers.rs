//! The DPoP headers a server sends (RFC 9449 §8, §9): `DPoP-Nonce` and
//! `WWW-Authenticate` on arbitrary bytes. Never panic; an accepted nonce
//! is 1*NQCHAR and is what the per-origin cache hands back; every parsed
//! challenge has a token scheme and token (or token68) param names, and
//! serialising the challenges and parsing them again gives them back.
#![no_main]

use idaas_oauth::dpop::{
    Challenge, MAX_NONCE_LEN, NonceCache, parse_nonce, parse_www_authenticate,
};
use libfuzzer_sys::fuzz_target;

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn serialise(challenges: &[Challenge]) -> String {
    let mut out = Vec::new();
    for c in challenges {
        let mut text = c.scheme.clone();
        let params: Vec<String> = c
            .params
            .iter()
            .map(|(name, value)| {
                if name.is_empty() {
                    value.clone()
                } else {
                    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
                    format!("{name}=\"{quoted}\"")
                }
            })
            .collect();
        if !params.is_empty() {
            text.push(' ');
            text.push_str(&params.join(", "));
        }
        out.push(text);
    }
    out.join(", ")
}

fuzz_target!(|data: &[u8]| {
    // DPoP-Nonce
    let cache = NonceCache::new();
    let stored = cache.store("https://as.example/token", data);
    match parse_nonce(data) {
        Some(nonce) => {
            assert!(stored);
            assert!(nonce.len() <= MAX_NONCE_LEN);
            assert!(
                nonce
                    .bytes()
                    .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            );
            assert_eq!(
                cache.get("https://as.example/other").as_deref(),
                Some(nonce)
            );
        }
        None => {
            assert!(!stored);
            assert_eq!(cache.get("https://as.example/"), None);
        }
    }

    // WWW-Authenticate
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let challenges = parse_www_authenticate(text);
    for c in &challenges {
        assert!(
            !c.scheme.is_empty() && c.scheme.chars().all(is_tchar),
            "{c:?}"
        );
        for (name, value) in &c.params {
            if name.is_empty() {
                assert!(!value.is_empty(), "{c:?}");
            } else {
                assert!(
                    name.chars()
                        .all(|ch| is_tchar(ch) && !ch.is_ascii_uppercase()),
                    "{c:?}"
                );
            }
        }
    }
    let again = parse_www_authenticate(&serialise(&challenges));
    assert_eq!(again, challenges, "round trip of {text:?}");
});
