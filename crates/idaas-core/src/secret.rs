//! Secrets that never print: client secrets, private keys and tokens.
//!
//! [`SecretString`] wraps [`secrecy::SecretString`]: the value is zeroized on
//! drop, `Debug` prints `[REDACTED]`, there is no `Display`, and reading it
//! takes an explicit [`SecretString::expose_secret`] call that is easy to grep for.

use std::fmt;
use std::sync::Arc;

use secrecy::ExposeSecret;

/// A string that never appears in `Debug` output or logs and is zeroized on drop.
///
/// Cheap to clone (the secret is shared behind an `Arc`, never copied).
#[derive(Clone)]
pub struct SecretString(Arc<secrecy::SecretString>);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::new(secrecy::SecretString::from(value.into())))
    }

    /// The secret text. Call this only where the value must leave the process
    /// (an HTTP request, a signature) or where printing it is the caller's job.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the secret is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.expose_secret().trim().is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl PartialEq for SecretString {
    /// Constant-time comparison, so equality checks on secrets leak no timing.
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        )
    }
}

impl Eq for SecretString {}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([REDACTED])");
        assert_eq!(s.expose_secret(), "hunter2");
    }

    #[test]
    fn equality_and_blank() {
        assert_eq!(SecretString::new("a"), SecretString::new("a"));
        assert_ne!(SecretString::new("a"), SecretString::new("b"));
        assert_ne!(SecretString::new("a"), SecretString::new("ab"));
        assert!(SecretString::new(" \t").is_blank());
        assert!(!SecretString::new("x").is_blank());
    }
}
