//! The `htu` claim (RFC 9449 §4.2, §4.3): the request URI without query
//! and fragment, normalised per RFC 3986 §6.2.2 and §6.2.3 so that a proof
//! matches the URI the server compares it with.

use url::Url;

use crate::error::Error;

/// The `htu` of a request to `uri`: scheme and host lower-cased, the
/// default port removed, an empty path as `/`, dot segments removed,
/// percent-encodings of unreserved characters decoded and the others
/// upper-cased, query, fragment and user information dropped.
pub fn normalise_htu(uri: &str) -> Result<String, Error> {
    let mut url = Url::parse(uri)
        .map_err(|e| Error::Misconfigured(format!("DPoP: {uri:?} is not an absolute URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.cannot_be_a_base() {
        return Err(Error::Misconfigured(format!(
            "DPoP: {uri:?} is not an http(s) URL"
        )));
    }
    url.set_query(None);
    url.set_fragment(None);
    // only fails for URLs without a host, refused above
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let path = normalise_percent_encoding(url.path());
    url.set_path(&path);
    Ok(url.into())
}

/// RFC 3986 §6.2.2.1 and §6.2.2.2: `%7e` → `~`, `%2f` → `%2F`.
fn normalise_percent_encoding(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = &path[i + 1..i + 3];
            let value = u8::from_str_radix(hex, 16).expect("two hex digits");
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(value as char);
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_fragment_and_userinfo_are_dropped() {
        assert_eq!(
            normalise_htu("https://server.example.com/token?x=1#frag").unwrap(),
            "https://server.example.com/token"
        );
        assert_eq!(
            normalise_htu("https://user:pw@server.example.com/r").unwrap(),
            "https://server.example.com/r"
        );
    }

    #[test]
    fn scheme_and_syntax_based_normalisation() {
        // case of scheme and host, default port, empty path
        assert_eq!(
            normalise_htu("HTTPS://Server.Example.COM:443").unwrap(),
            "https://server.example.com/"
        );
        assert_eq!(
            normalise_htu("http://127.0.0.1:80/a").unwrap(),
            "http://127.0.0.1/a"
        );
        // a non-default port stays
        assert_eq!(
            normalise_htu("http://127.0.0.1:8443/a").unwrap(),
            "http://127.0.0.1:8443/a"
        );
        // dot segments
        assert_eq!(
            normalise_htu("https://s.example/a/./b/../c").unwrap(),
            "https://s.example/a/c"
        );
        // percent-encoding: unreserved decoded, the rest upper-case
        assert_eq!(
            normalise_htu("https://s.example/%7euser/%2fx%41").unwrap(),
            "https://s.example/~user/%2FxA"
        );
        // the path's case is kept
        assert_eq!(
            normalise_htu("https://s.example/Token").unwrap(),
            "https://s.example/Token"
        );
    }

    #[test]
    fn non_http_and_relative_uris_are_refused() {
        assert!(normalise_htu("/token").is_err());
        assert!(normalise_htu("mailto:a@b.c").is_err());
        assert!(normalise_htu("ftp://s.example/x").is_err());
    }
}
