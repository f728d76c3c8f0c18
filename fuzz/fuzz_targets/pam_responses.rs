//! PAM developer API responses (JWT and OAuth authentication tokens, STS
//! credentials, token pages) on arbitrary JSON: never panic, and whatever
//! parses never shows a secret (JWT, derived short token, access token, STS
//! secret keys and session tokens) in its `Debug` output.
#![no_main]

use idaas_core::SecretString;
use idaas_pam::{
    CloudAccountRoleCredential, JwtAuthenticationToken, OAuthAuthenticationToken, TokenPage,
};
use libfuzzer_sys::fuzz_target;

/// Asserts `debug` does not contain `secret`, for secrets that cannot be
/// there by coincidence: long, with a letter and a digit, written exactly
/// once in the input (so no other field holds the same text).
fn never_shown(input: &str, debug: &str, secret: &SecretString) {
    let value = secret.expose_secret();
    let distinctive = value.len() >= 12
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic())
        && input.matches(value).count() == 1;
    if distinctive {
        assert!(
            !debug.contains(value),
            "a secret leaked into Debug: {debug}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = serde_json::from_str::<JwtAuthenticationToken>(input) {
        let debug = format!("{token:?}");
        never_shown(input, &debug, &token.jwt_content.jwt_value);
        if let Some(short) = &token.jwt_content.derived_short_token {
            never_shown(input, &debug, short);
        }
    }
    if let Ok(token) = serde_json::from_str::<OAuthAuthenticationToken>(input) {
        let debug = format!("{token:?}");
        if let Some(content) = &token.oauth_access_token_content {
            never_shown(input, &debug, &content.access_token_value);
        }
    }
    if let Ok(role) = serde_json::from_str::<CloudAccountRoleCredential>(input) {
        let debug = format!("{role:?}");
        let c = &role.cloud_account_role_access_credential;
        if let Some(t) = &c.alibaba_cloud_sts_token {
            never_shown(input, &debug, &t.access_key_secret);
            never_shown(input, &debug, &t.security_token);
        }
        if let Some(t) = &c.aws_sts_token {
            never_shown(input, &debug, &t.secret_access_key);
            never_shown(input, &debug, &t.session_token);
        }
        if let Some(t) = &c.tencent_cloud_sts_token {
            never_shown(input, &debug, &t.tmp_secret_key);
            never_shown(input, &debug, &t.token);
        }
    }
    let _ = serde_json::from_str::<TokenPage>(input).map(|page| format!("{page:?}"));
});
