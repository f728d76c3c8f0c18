//! Percent-encoding, one encoder per rule, on the `percent-encoding` crate.
//!
//! Both rules keep exactly RFC 3986's unreserved characters
//! (`A–Z a–z 0–9 - _ . ~`) and write every other byte of the UTF-8 text as
//! `%XX` (upper-case hex), as the reference SDKs and the Alibaba Cloud
//! signature (ACS3) require byte for byte. They differ in the space only:
//!
//! - [`encode`]: `%20` — URL path segments, query strings to sign, the
//!   metadata services' parameters;
//! - [`encode_form`]: `+` — `application/x-www-form-urlencoded` bodies and
//!   the Basic credentials of RFC 6749 §2.3.1. (`form_urlencoded` is not
//!   used: it leaves `*` literal and encodes `~`, which the token
//!   endpoint's reference encoding does not.)

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte but RFC 3986's unreserved characters.
pub const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` with every byte outside `A–Z a–z 0–9 - _ . ~` as `%XX`
/// (space → `%20`).
///
/// ```
/// assert_eq!(idaas_core::percent::encode("a b*~/é"), "a%20b%2A~%2F%C3%A9");
/// ```
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

/// `text` form-encoded: as [`encode`], but space → `+`.
///
/// ```
/// assert_eq!(idaas_core::percent::encode_form("a b+c~*"), "a+b%2Bc~%2A");
/// ```
pub fn encode_form(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_form_into(&mut out, text);
    out
}

/// [`encode_form`], appended to `out`.
pub fn encode_form_into(out: &mut String, text: &str) {
    for (i, part) in text.split(' ').enumerate() {
        if i > 0 {
            out.push('+');
        }
        out.extend(utf8_percent_encode(part, RESERVED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule as the reference SDKs write it, byte by byte.
    fn by_hand(text: &str, space: &str) -> String {
        let mut out = String::new();
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push_str(space),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn both_rules_are_byte_exact(text in "\\PC*|[ -~]*") {
            prop_assert_eq!(encode(&text), by_hand(&text, "%20"));
            prop_assert_eq!(encode_form(&text), by_hand(&text, "+"));
        }
    }
}
