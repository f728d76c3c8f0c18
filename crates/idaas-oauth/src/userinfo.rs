//! The userinfo response (OpenID Connect Core §5.3).

use idaas_core::http::SharedHttpClient;
use idaas_scope::Organizations;
use serde_json::{Map, Value};

use crate::agent::parse_organizations;
use crate::error::Error;
use crate::fetch::{Authorization, get_authorized};
use crate::response::json_object;

/// The claims the provider returned about the user.
#[derive(Debug, Clone)]
pub struct UserInfo {
    sub: String,
    claims: Map<String, Value>,
}

impl UserInfo {
    /// GETs `endpoint` with the access token (as Bearer, or DPoP-bound).
    pub(crate) async fn fetch(
        http: &SharedHttpClient,
        endpoint: &str,
        access_token: Authorization<'_>,
    ) -> Result<Self, Error> {
        let response = get_authorized(http, endpoint, "userinfo", access_token).await?;
        let claims = json_object(endpoint, &response)?;
        let sub = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(Error::InvalidResponse {
                    endpoint: endpoint.to_owned(),
                    reason: "userinfo has no sub".into(),
                });
            }
        };
        Ok(Self { sub, claims })
    }

    /// `sub`.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// A string claim (`email`, `name`, `locale`, …).
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `email_verified`, if a boolean.
    pub fn email_verified(&self) -> Option<bool> {
        self.claims.get("email_verified").and_then(Value::as_bool)
    }

    /// The organizations claim, if the provider returns one here.
    pub fn organizations(&self) -> Result<Organizations, Error> {
        parse_organizations(self.claims.get("organizations"))
    }

    /// Every claim, as returned.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}
