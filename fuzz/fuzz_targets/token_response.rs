//! Token endpoint responses (status, Location, body) on arbitrary bytes:
//! never panic; a success always carries a non-empty access token.
#![no_main]

use std::time::Duration;

use idaas_core::http::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((first, rest)) => (
            [200u16, 201, 204, 302, 400, 401, 403, 429, 500, 503][usize::from(*first) % 10],
            rest,
        ),
        None => (200, data),
    };
    let response = http::Response::builder()
        .status(status)
        .header("location", "https://elsewhere.example.com/")
        .body(Bytes::copy_from_slice(body))
        .unwrap();
    let now = Duration::from_secs(1_700_000_000);
    if let Ok(parsed) = idaas_oauth::parse_token_response("https://idp/token", &response, now) {
        assert!(!parsed.credential.access_token.expose_secret().is_empty());
    }
});
