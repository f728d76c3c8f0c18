//! [`Validation`]: the JWT claim checks (`iss`, `aud`, `exp`, `nbf`,
//! `iat` with leeway, required claims), apart from the signature.

use std::time::Duration;

use serde_json::{Map, Value};

use super::error::JwtError;

/// What a valid token's claims must satisfy.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required member of `aud`.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp`, `nbf`, `iat` (default 60 s).
    pub leeway: Duration,
    /// Whether `exp` must be present (default true).
    pub require_exp: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            leeway: Duration::from_secs(60),
            require_exp: true,
        }
    }
}

fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or(JwtError::MissingClaim(name)),
    }
}

impl Validation {
    /// Checks `iss`, `aud`, `exp`, `nbf`, `iat` at `now`.
    pub fn check(&self, claims: &Map<String, Value>, now: Duration) -> Result<(), JwtError> {
        let now = now.as_secs();
        let leeway = self.leeway.as_secs();
        match number(claims, "exp")? {
            Some(exp) if now >= exp.saturating_add(leeway) => {
                return Err(JwtError::Expired { exp });
            }
            None if self.require_exp => return Err(JwtError::MissingClaim("exp")),
            _ => {}
        }
        if let Some(nbf) = number(claims, "nbf")?
            && nbf > now.saturating_add(leeway)
        {
            return Err(JwtError::NotYetValid { nbf });
        }
        if let Some(iat) = number(claims, "iat")?
            && iat > now.saturating_add(leeway)
        {
            return Err(JwtError::IssuedInFuture { iat });
        }
        if let Some(expected) = &self.issuer {
            let found = claims.get("iss").and_then(Value::as_str);
            if found != Some(expected.as_str()) {
                return Err(JwtError::WrongIssuer {
                    found: found.map(str::to_owned),
                    expected: expected.clone(),
                });
            }
        }
        if let Some(expected) = &self.audience {
            let ok = match claims.get("aud") {
                Some(Value::String(a)) => a == expected,
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expected)),
                _ => false,
            };
            if !ok {
                return Err(JwtError::WrongAudience {
                    expected: expected.clone(),
                });
            }
        }
        Ok(())
    }
}
