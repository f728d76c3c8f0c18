//! The RFC 6750 §3 answer to a refused request: the `WWW-Authenticate`
//! challenge and a JSON body with the same `error`.

use crate::error::Error;

/// A quoted-string of RFC 6750's allowed characters (`%x20-21 / %x23-5B /
/// %x5D-7E`): anything else is left out.
fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        .collect()
}

impl Error {
    /// The `WWW-Authenticate` value for this refusal (`None` for a 500):
    /// `Bearer realm="…"` alone when the request had no token (§3.1),
    /// else with `error`, `error_description` and, for
    /// `insufficient_scope`, the `scope` needed. A 503 carries none.
    pub fn www_authenticate(&self, realm: Option<&str>) -> Option<String> {
        if matches!(self, Self::Unavailable(_) | Self::Misconfigured(_)) {
            return None;
        }
        let mut params = Vec::new();
        if let Some(realm) = realm {
            params.push(format!("realm=\"{}\"", quoted(realm)));
        }
        if let Some(code) = self.code() {
            params.push(format!("error=\"{code}\""));
        }
        if let Some(description) = self.description() {
            params.push(format!("error_description=\"{}\"", quoted(description)));
        }
        if let Self::InsufficientScope { required } = self {
            params.push(format!("scope=\"{}\"", quoted(required)));
        }
        // RFC 9449 §7.1: a refused proof is answered with the DPoP scheme
        let scheme = match self {
            Self::InvalidDpopProof(_) => "DPoP",
            _ => "Bearer",
        };
        Some(if params.is_empty() {
            scheme.to_owned()
        } else {
            format!("{scheme} {}", params.join(", "))
        })
    }

    /// The JSON body of the answer: `{"error", "error_description"}` (empty
    /// object when the request had no token).
    pub fn body(&self) -> String {
        let mut body = serde_json::Map::new();
        if let Some(code) = self.code() {
            body.insert("error".into(), code.into());
        }
        if let Some(description) = self.description() {
            body.insert("error_description".into(), description.into());
        }
        if let Self::InsufficientScope { required } = self {
            body.insert("scope".into(), required.as_str().into());
        }
        serde_json::Value::Object(body).to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Reason};

    #[test]
    fn challenges_per_rfc6750() {
        assert_eq!(
            Error::MissingToken.www_authenticate(Some("api")).unwrap(),
            "Bearer realm=\"api\""
        );
        assert_eq!(
            Error::MissingToken.www_authenticate(None).unwrap(),
            "Bearer"
        );
        assert_eq!(
            Error::InvalidToken(Reason::Expired)
                .www_authenticate(None)
                .unwrap(),
            "Bearer error=\"invalid_token\", error_description=\"the access token expired\""
        );
        let scope = Error::InsufficientScope {
            required: "projects:write\"x\\".into(),
        };
        assert!(
            scope
                .www_authenticate(Some("a\"b"))
                .unwrap()
                .ends_with("scope=\"projects:writex\"")
        );
        assert!(
            scope
                .www_authenticate(Some("a\"b"))
                .unwrap()
                .starts_with("Bearer realm=\"ab\"")
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&scope.body()).unwrap()["error"],
            "insufficient_scope"
        );
        assert_eq!(Error::MissingToken.body(), "{}");
    }
}
