//! The IDaaS `audience|scope` scope format.
//!
//! A scope string is a whitespace-separated list of `audience|value` items,
//! all with the same audience: `api.example.com|read:file api.example.com|write:file`.
//! It is sent on the wire unchanged (original order and spacing).

use std::fmt;
use std::str::FromStr;

use super::error::{ConfigError, FieldProblem};

/// The scope the reference SDK uses when the configuration has none.
pub const DEFAULT_SCOPE: &str = "urn:cloud:idaas:pam|cloud_account:obtain_access_credential";

/// The scope of the PAM developer API client.
pub const PAM_SCOPE: &str = "urn:cloud:idaas:pam|.all";

/// A validated `audience|scope` string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScopeSpec {
    raw: String,
    audience_len: usize,
}

/// Why a scope string is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// No item at all.
    #[error("scope is empty; expected audience|scope items such as api.example.com|read")]
    Empty,
    /// An item is not `audience|value` with both parts non-empty.
    #[error(
        "invalid scope item {item:?}: expected audience|scope with a non-empty audience and value and a single '|'"
    )]
    InvalidItem {
        /// The offending item.
        item: String,
    },
    /// Items name different audiences.
    #[error(
        "scope names several audiences ({first:?} and {second:?}); a token has one audience: request one scope string per audience"
    )]
    MultipleAudiences {
        /// One audience.
        first: String,
        /// Another.
        second: String,
    },
}

impl ScopeSpec {
    /// Parses and validates a scope string.
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        let mut audience: Option<&str> = None;
        let mut audience_len = 0;
        for item in raw.split_whitespace() {
            let (aud, value) = item
                .split_once('|')
                .filter(|(a, v)| !a.is_empty() && !v.is_empty() && !v.contains('|'))
                .ok_or_else(|| ScopeError::InvalidItem {
                    item: item.to_owned(),
                })?;
            match audience {
                None => {
                    audience = Some(aud);
                    audience_len = aud.len();
                }
                Some(first) if first != aud => {
                    return Err(ScopeError::MultipleAudiences {
                        first: first.to_owned(),
                        second: aud.to_owned(),
                    });
                }
                Some(_) => {}
            }
            let _ = value;
        }
        if audience.is_none() {
            return Err(ScopeError::Empty);
        }
        Ok(Self {
            raw: raw.to_owned(),
            audience_len,
        })
    }

    /// The string as configured: what goes on the wire.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The single audience.
    pub fn audience(&self) -> &str {
        let first = self.raw.trim_start();
        &first[..self.audience_len]
    }

    /// The scope values after the `|`, in order, duplicates removed.
    pub fn values(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for item in self.raw.split_whitespace() {
            let value = &item[self.audience_len + 1..];
            if !out.contains(&value) {
                out.push(value);
            }
        }
        out
    }

    pub(crate) fn parse_field(path: &str, raw: &str) -> Result<Self, ConfigError> {
        Self::parse(raw).map_err(|e| {
            let problem = match e {
                ScopeError::MultipleAudiences { .. } => FieldProblem::MultipleAudiences,
                _ => FieldProblem::InvalidScope,
            };
            ConfigError::field(path, problem, e.to_string())
        })
    }
}

impl Default for ScopeSpec {
    fn default() -> Self {
        Self::parse(DEFAULT_SCOPE).expect("the default scope is valid")
    }
}

impl FromStr for ScopeSpec {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ScopeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for ScopeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSpec({:?})", self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_scopes() {
        let s = ScopeSpec::parse("api.example.com|read:file").unwrap();
        assert_eq!(s.audience(), "api.example.com");
        assert_eq!(s.values(), ["read:file"]);
        let s = ScopeSpec::parse("  api://svc|read\tapi://svc|write api://svc|read ").unwrap();
        assert_eq!(s.audience(), "api://svc");
        assert_eq!(s.values(), ["read", "write"]);
        assert_eq!(
            s.as_str(),
            "  api://svc|read\tapi://svc|write api://svc|read "
        );
        assert_eq!(ScopeSpec::default().as_str(), DEFAULT_SCOPE);
        assert!(ScopeSpec::parse(PAM_SCOPE).is_ok());
    }

    #[test]
    fn invalid_scopes() {
        assert_eq!(ScopeSpec::parse(""), Err(ScopeError::Empty));
        assert_eq!(ScopeSpec::parse(" \n "), Err(ScopeError::Empty));
        for bad in [
            "read write",
            "a|b|c",
            "|read",
            "api|",
            "|",
            "api|read api://svc",
        ] {
            assert!(
                matches!(ScopeSpec::parse(bad), Err(ScopeError::InvalidItem { .. })),
                "{bad}"
            );
        }
        // The reference docstring's example is invalid: `write` has no pipe.
        assert!(ScopeSpec::parse("api://svc|read write").is_err());
        assert_eq!(
            ScopeSpec::parse("a|r b|w"),
            Err(ScopeError::MultipleAudiences {
                first: "a".into(),
                second: "b".into()
            })
        );
    }
}
