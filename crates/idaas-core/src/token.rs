//! Tokens and credentials as every layer passes them around.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::secret::SecretString;

/// The token type URN of an OAuth access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The token type URN of a refresh token (RFC 8693 §3).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// The token type URN of an OpenID Connect ID token (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The token type URN of a JWT (RFC 8693 §3).
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A credential obtained from a token endpoint: what a provider hands out.
///
/// Field names follow the reference SDK's token response (`access_token`,
/// `token_type`, `expires_in`, `expires_at`, …). Token values are
/// [`SecretString`]s: `Debug` never shows them.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Credential {
    /// The access token.
    pub access_token: SecretString,
    /// The token type, normally `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Lifetime in seconds as the server reported it (0 if absent).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub expires_in: u64,
    /// Expiry as a Unix time in seconds. IDaaS sends it; for servers that
    /// only send `expires_in`, the receiver fills it as now + `expires_in`.
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub expires_at: Option<u64>,
    /// The granted scope, if the server echoed it.
    #[serde(default)]
    pub scope: Option<String>,
    /// A refresh token, if one was issued.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// An OpenID Connect ID token, if one was issued.
    #[serde(default)]
    pub id_token: Option<SecretString>,
    /// RFC 8693 `issued_token_type` of an exchanged token.
    #[serde(default)]
    pub issued_token_type: Option<String>,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

impl Credential {
    /// A bearer credential with the given token and expiry (Unix seconds).
    pub fn bearer(access_token: impl Into<SecretString>, expires_at: Option<u64>) -> Self {
        Self {
            access_token: access_token.into(),
            token_type: bearer(),
            expires_in: 0,
            expires_at,
            scope: None,
            refresh_token: None,
            id_token: None,
            issued_token_type: None,
        }
    }

    /// Fills `expires_at` from `expires_in` when the server sent only the latter.
    ///
    /// `now` is the Unix time at which the response was received. A credential
    /// with neither stays without expiry.
    pub fn with_expiry_from(mut self, now: Duration) -> Self {
        if self.expires_at.is_none() && self.expires_in > 0 {
            self.expires_at = Some(now.as_secs().saturating_add(self.expires_in));
        }
        self
    }

    /// Whether the credential has expired at `now`, or will within `buffer`.
    /// A credential without expiry never expires.
    pub fn is_expired(&self, now: Duration, buffer: Duration) -> bool {
        match self.expires_at {
            Some(at) => now.as_secs().saturating_add(buffer.as_secs()) >= at,
            None => false,
        }
    }

    /// The value of an `Authorization` header: `Bearer <token>`.
    pub fn authorization_header(&self) -> SecretString {
        SecretString::new(format!("Bearer {}", self.access_token.expose_secret()))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[REDACTED]"))
            .field("issued_token_type", &self.issued_token_type)
            .finish()
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::from)
    }
}

/// Accepts a number or a numeric string (some servers send `"3600"`).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(d)?.unwrap_or(0))
}

fn lenient_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        U(u64),
        F(f64),
        S(String),
    }
    match Option::<Num>::deserialize(d)? {
        None => Ok(None),
        Some(Num::U(n)) => Ok(Some(n)),
        Some(Num::F(f)) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
        Some(Num::F(f)) => Err(D::Error::custom(format!("invalid number of seconds: {f}"))),
        Some(Num::S(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a number of seconds, got {s:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_tokens() {
        let mut c = Credential::bearer("at-secret", Some(10));
        c.refresh_token = Some("rt-secret".into());
        c.id_token = Some("id-secret".into());
        let text = format!("{c:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("expires_at: Some(10)"));
    }

    #[test]
    fn parses_idaas_and_standard_responses() {
        let idaas: Credential = serde_json::from_str(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"expires_at":1700003600}"#,
        )
        .unwrap();
        assert_eq!(idaas.expires_at, Some(1_700_003_600));

        let std: Credential =
            serde_json::from_str(r#"{"access_token":"a","token_type":"bearer","expires_in":"60"}"#)
                .unwrap();
        let std = std.with_expiry_from(Duration::from_secs(1_000));
        assert_eq!(std.expires_at, Some(1_060));
        assert!(!std.is_expired(Duration::from_secs(1_000), Duration::from_secs(59)));
        assert!(std.is_expired(Duration::from_secs(1_000), Duration::from_secs(60)));
    }

    #[test]
    fn credential_without_expiry_never_expires() {
        let c = Credential::bearer("a", None).with_expiry_from(Duration::from_secs(5));
        assert_eq!(c.expires_at, None);
        assert!(!c.is_expired(Duration::from_secs(u64::MAX / 2), Duration::ZERO));
        assert_eq!(c.authorization_header().expose_secret(), "Bearer a");
    }
}
