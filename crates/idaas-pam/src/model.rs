//! What the PAM API returns. Sensitive values are `SecretString`s.

use idaas_core::SecretString;
use serde::Deserialize;

/// An authentication-token record. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationToken {
    /// The IDaaS instance.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The token's id (empty in an OAuth answer still waiting for authorization).
    #[serde(default)]
    pub authentication_token_id: String,
    /// Its credential provider.
    #[serde(default)]
    pub credential_provider_id: Option<String>,
    /// `oauth_access_token` or `jwt`.
    #[serde(default)]
    pub authentication_token_type: Option<String>,
    /// Whether it is revoked.
    #[serde(default)]
    pub revoked: bool,
    /// `application`.
    #[serde(default)]
    pub creator_type: Option<String>,
    /// Who created it.
    #[serde(default)]
    pub creator_id: Option<String>,
    /// `custom` or `application`.
    #[serde(default)]
    pub consumer_type: Option<String>,
    /// Who consumes it.
    #[serde(default)]
    pub consumer_id: Option<String>,
    /// Creation, ms.
    #[serde(default)]
    pub create_time: Option<u64>,
    /// Last update, ms.
    #[serde(default)]
    pub update_time: Option<u64>,
    /// Expiry, ms.
    #[serde(default)]
    pub expiration_time: Option<u64>,
}

/// A JWT and, if asked for, its derived short token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtContent {
    /// The JWT.
    pub jwt_value: SecretString,
    /// A short token that stands for the JWT.
    #[serde(default)]
    pub derived_short_token: Option<SecretString>,
}

impl std::fmt::Debug for JwtContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtContent")
            .field("jwt_value", &self.jwt_value)
            .field(
                "derived_short_token",
                &self.derived_short_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// A generated JWT authentication token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtAuthenticationToken {
    /// The record.
    #[serde(flatten)]
    pub record: AuthenticationToken,
    /// The JWT.
    pub jwt_content: JwtContent,
}

/// One page of tokens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPage {
    /// The tokens of this page.
    #[serde(default)]
    pub entities: Vec<AuthenticationToken>,
    /// How many match in all.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// Pass back for the next page; `None` on the last.
    #[serde(default)]
    pub next_token: Option<String>,
    /// The page size used.
    #[serde(default)]
    pub max_results: Option<u64>,
}

/// Filters of [`crate::PamClient::list_authentication_tokens`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFilter {
    /// Only revoked (`Some(true)`) or only active (`Some(false)`) tokens.
    pub revoked: Option<bool>,
    /// Only expired or only unexpired tokens.
    pub expired: Option<bool>,
    /// Page size (1..=100).
    pub max_results: Option<u32>,
}

/// What to generate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateJwt {
    /// The credential provider that signs.
    pub credential_provider_identifier: String,
    /// `sub`.
    pub subject: String,
    /// `aud` values (none may start with `urn:cloud:idaas`).
    pub audiences: Vec<String>,
    /// `iss` (default: the provider's).
    pub issuer: Option<String>,
    /// Extra claims.
    pub custom_claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// Lifetime in seconds (default: the provider's).
    pub expiration: Option<u64>,
    /// Also return a derived short token.
    pub include_derived_short_token: bool,
}
