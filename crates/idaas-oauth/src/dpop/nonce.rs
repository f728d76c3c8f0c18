//! Server-provided nonces (RFC 9449 §8, §9): the `DPoP-Nonce` header read
//! strictly, remembered per origin, and the `WWW-Authenticate` challenges
//! of resource servers.

use std::collections::HashMap;
use std::sync::Mutex;

use url::Url;

/// The most nonces remembered (one per origin); beyond it the oldest
/// entries go first.
pub const MAX_ORIGINS: usize = 64;
/// The longest nonce accepted.
pub const MAX_NONCE_LEN: usize = 1024;

/// A `DPoP-Nonce` header value (`nonce = 1*NQCHAR`, RFC 9449 §8.1), or
/// `None` when it is empty, too long or holds another character.
pub fn parse_nonce(value: &[u8]) -> Option<&str> {
    let nqchar = |b: &u8| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E);
    if value.is_empty() || value.len() > MAX_NONCE_LEN || !value.iter().all(nqchar) {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// The nonce of each server origin (scheme, host, port), as last sent.
#[derive(Debug, Default)]
pub struct NonceCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_origin: HashMap<String, (u64, String)>,
    counter: u64,
}

/// The origin key of `url`, or `None` for a URL without one.
fn origin(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

impl NonceCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The nonce last received from `url`'s origin.
    pub fn get(&self, url: &str) -> Option<String> {
        let origin = origin(url)?;
        let entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.by_origin.get(&origin).map(|(_, n)| n.clone())
    }

    /// Remembers the `DPoP-Nonce` header value `value` of a response from
    /// `url`; returns whether it is a valid nonce that differs from the one
    /// remembered (a retry with it can succeed).
    pub fn store(&self, url: &str, value: &[u8]) -> bool {
        let (Some(origin), Some(nonce)) = (origin(url), parse_nonce(value)) else {
            return false;
        };
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.counter += 1;
        let stamp = entries.counter;
        let previous = entries.by_origin.insert(origin, (stamp, nonce.to_owned()));
        if entries.by_origin.len() > MAX_ORIGINS {
            let oldest = entries
                .by_origin
                .iter()
                .min_by_key(|(_, (stamp, _))| *stamp)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.by_origin.remove(&oldest);
            }
        }
        previous.is_none_or(|(_, old)| old != nonce)
    }
}

/// One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): the
/// scheme and its auth-params (names lower-cased, quoted strings unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme as sent (`DPoP`, `Bearer`, …); compare ignoring case.
    pub scheme: String,
    /// The auth-params in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of param `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// The end of a token68 credential starting at `i` (RFC 9110 §11.2) that
/// is the whole of its challenge: followed by the end or a comma.
fn token68_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b"-._~+/".contains(&b[j])) {
        j += 1;
    }
    if j == i {
        return None;
    }
    while j < b.len() && b[j] == b'=' {
        j += 1;
    }
    let mut k = j;
    while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
        k += 1;
    }
    (k == b.len() || b[k] == b',').then_some(j)
}

/// Parses a `WWW-Authenticate` value into its challenges. Token68
/// credentials are kept as a param with an empty name; anything that is not
/// the grammar ends the parse with what was read so far.
pub fn parse_www_authenticate(value: &str) -> Vec<Challenge> {
    let b = value.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> Option<String> {
        let start = *i;
        while *i < b.len() && is_tchar(b[*i]) {
            *i += 1;
        }
        (*i > start).then(|| value[start..*i].to_owned())
    };
    loop {
        skip_ws(&mut i);
        while i < b.len() && b[i] == b',' {
            i += 1;
            skip_ws(&mut i);
        }
        if i >= b.len() {
            return out;
        }
        let Some(scheme) = token(&mut i) else {
            return out;
        };
        let mut challenge = Challenge {
            scheme,
            params: Vec::new(),
        };
        // params: name = value, separated by commas; a token not followed by
        // `=` starts the next challenge
        let mut first = true;
        loop {
            skip_ws(&mut i);
            if std::mem::take(&mut first)
                && let Some(end) = token68_end(b, i)
            {
                challenge
                    .params
                    .push((String::new(), value[i..end].to_owned()));
                i = end;
                break;
            }
            let mark = i;
            let Some(name) = token(&mut i) else {
                break;
            };
            skip_ws(&mut i);
            if i >= b.len() || b[i] != b'=' {
                // the next challenge's scheme
                i = mark;
                break;
            }
            i += 1;
            skip_ws(&mut i);
            let param_value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut text = String::new();
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        b'\\' if i + 1 < b.len() => {
                            i += 1;
                            let ch = value[i..].chars().next().expect("in bounds");
                            text.push(ch);
                            i += ch.len_utf8();
                        }
                        _ => {
                            let ch = value[i..].chars().next().expect("in bounds");
                            text.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if !closed {
                    out.push(challenge);
                    return out;
                }
                text
            } else {
                match token(&mut i) {
                    Some(t) => t,
                    None => {
                        out.push(challenge);
                        return out;
                    }
                }
            };
            challenge
                .params
                .push((name.to_ascii_lowercase(), param_value));
            skip_ws(&mut i);
            if i < b.len() && b[i] == b',' {
                i += 1;
                continue;
            }
            break;
        }
        out.push(challenge);
        skip_ws(&mut i);
        if i < b.len() && b[i] != b',' && !is_tchar(b[i]) {
            return out;
        }
    }
}

/// Whether a resource server's `WWW-Authenticate` asks for a DPoP nonce
/// (`DPoP error="use_dpop_nonce"`, RFC 9449 §9).
pub fn asks_for_nonce(www_authenticate: &str) -> bool {
    parse_www_authenticate(www_authenticate).iter().any(|c| {
        c.scheme.eq_ignore_ascii_case("DPoP") && c.param("error") == Some("use_dpop_nonce")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_nqchar_only() {
        assert_eq!(
            parse_nonce(b"eyJ7S_zG.eyJH0-Z.HX4w-7v"),
            Some("eyJ7S_zG.eyJH0-Z.HX4w-7v")
        );
        assert_eq!(parse_nonce(b""), None);
        assert_eq!(parse_nonce(b"a b"), None);
        assert_eq!(parse_nonce(b"a\"b"), None);
        assert_eq!(parse_nonce(b"a\\b"), None);
        assert_eq!(parse_nonce("é".as_bytes()), None);
        assert_eq!(parse_nonce(&[b'a'; MAX_NONCE_LEN + 1]), None);
    }

    #[test]
    fn nonces_are_kept_per_origin() {
        let cache = NonceCache::new();
        assert!(cache.store("https://as.example/token", b"n1"));
        // same nonce again: nothing new to retry with
        assert!(!cache.store("https://as.example/par", b"n1"));
        assert_eq!(
            cache.get("https://AS.example:443/other?q").as_deref(),
            Some("n1")
        );
        assert_eq!(cache.get("https://rs.example/api"), None);
        assert_eq!(
            cache.get("http://as.example/token"),
            None,
            "scheme is part of the origin"
        );
        assert!(cache.store("https://as.example/token", b"n2"));
        assert_eq!(cache.get("https://as.example/").as_deref(), Some("n2"));
        // an invalid header leaves the remembered nonce
        assert!(!cache.store("https://as.example/token", b"bad nonce"));
        assert_eq!(cache.get("https://as.example/").as_deref(), Some("n2"));
    }

    #[test]
    fn the_cache_is_bounded_and_forgets_the_oldest() {
        let cache = NonceCache::new();
        for i in 0..=MAX_ORIGINS {
            cache.store(&format!("https://h{i}.example/"), b"n");
        }
        assert_eq!(cache.get("https://h0.example/"), None);
        assert!(
            cache
                .get(&format!("https://h{MAX_ORIGINS}.example/"))
                .is_some()
        );
        assert!(cache.get("https://h1.example/").is_some());
    }

    /// The fuzz seeds (`fuzz/seeds/dpop_headers`) are the headers they are
    /// named for, so the fuzzer starts from real shapes.
    #[test]
    fn the_fuzz_seeds_are_what_they_are_named() {
        let seed = |name: &str| {
            let path = format!(
                "{}/../../fuzz/seeds/dpop_headers/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let text = |name: &str| String::from_utf8(seed(name)).unwrap();
        assert!(parse_nonce(&seed("nonce")).is_some());
        assert!(asks_for_nonce(&text("challenge-nonce")));
        let two = parse_www_authenticate(&text("two-challenges"));
        assert_eq!((two.len(), two[1].scheme.as_str()), (2, "DPoP"));
        let token68 = parse_www_authenticate(&text("token68-escaped"));
        assert_eq!(token68[1].param("realm"), Some(r#"a "b" \c"#));
        let open = parse_www_authenticate(&text("open-quote"));
        assert_eq!((open.len(), open[0].param("error")), (1, None));
    }

    #[test]
    fn challenges_are_parsed() {
        let v = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA""#;
        let c = parse_www_authenticate(v);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "DPoP");
        assert_eq!(c[0].param("error"), Some("use_dpop_nonce"));
        assert_eq!(c[0].param("ALGS"), Some("ES256 EdDSA"));
        assert!(asks_for_nonce(v));

        let two =
            r#"Bearer realm="api", error=invalid_token, DPoP algs="ES256", error="use_dpop_nonce""#;
        let c = parse_www_authenticate(two);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(c[1].scheme, "DPoP");
        assert!(asks_for_nonce(two));
        assert!(!asks_for_nonce(r#"Bearer error="use_dpop_nonce""#));
        assert!(!asks_for_nonce(r#"DPoP error="invalid_token""#));

        let escaped = parse_www_authenticate(r#"Basic realm="a \"b\" \\c""#);
        assert_eq!(escaped[0].param("realm"), Some(r#"a "b" \c"#));

        let token68 = parse_www_authenticate("Negotiate abc/def==, Basic realm=x");
        assert_eq!(token68.len(), 2, "{token68:?}");
        assert_eq!(token68[0].params, [(String::new(), "abc/def==".to_owned())]);
        assert_eq!(token68[1].param("realm"), Some("x"));

        // an unterminated quote keeps what was read
        let open = parse_www_authenticate(r#"DPoP error="use_dpop"#);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].param("error"), None);
        assert!(parse_www_authenticate("").is_empty());
        assert!(parse_www_authenticate(" , ,").is_empty());
    }
}
