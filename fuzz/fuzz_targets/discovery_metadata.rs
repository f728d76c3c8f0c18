//! OpenID Connect / RFC 8414 metadata documents on arbitrary bytes: never
//! panic; an accepted document names exactly the expected issuer.
#![no_main]

use idaas_oauth::ProviderMetadata;
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "https://idp.example.com";

fuzz_target!(|data: &[u8]| {
    if let Ok(metadata) = ProviderMetadata::from_json(data, ISSUER) {
        assert_eq!(metadata.issuer, ISSUER);
    }
});
