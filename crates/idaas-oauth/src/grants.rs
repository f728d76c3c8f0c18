//! The grants' own fields: client credentials (RFC 6749 §4.4), token
//! exchange (RFC 8693), jwt-bearer (RFC 7523).

use idaas_core::SecretString;
use idaas_core::token::ACCESS_TOKEN_TYPE;

use crate::form::Form;

/// `urn:ietf:params:oauth:grant-type:token-exchange`.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `urn:ietf:params:oauth:grant-type:jwt-bearer`.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A client credentials request.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    /// `scope`, sent verbatim.
    pub scope: Option<String>,
    /// `resource` indicators (RFC 8707), one field each.
    pub resources: Vec<String>,
    /// `audience` (a common extension).
    pub audience: Option<String>,
    /// Further fields, appended in order (e.g. baikal's `purpose`).
    pub extra: Vec<(String, String)>,
}

impl ClientCredentials {
    /// A request for `scope`.
    pub fn scope(scope: impl Into<String>) -> Self {
        Self {
            scope: Some(scope.into()),
            ..Self::default()
        }
    }

    /// A request for the space-joined `scopes` (no `scope` field when empty).
    pub fn scopes<S: AsRef<str>>(scopes: impl IntoIterator<Item = S>) -> Self {
        let joined: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        Self {
            scope: (!joined.is_empty()).then(|| joined.join(" ")),
            ..Self::default()
        }
    }

    /// Adds a field after the standard ones.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Adds a resource indicator.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    pub(crate) fn append_to(&self, form: &mut Form) {
        form.push_opt("scope", self.scope.as_deref());
        for resource in &self.resources {
            form.push("resource", resource.as_str());
        }
        form.push_opt("audience", self.audience.as_deref());
        for (name, value) in &self.extra {
            form.push(name, value.as_str());
        }
    }
}

/// A token exchange request (RFC 8693 §2.1).
#[derive(Debug, Clone)]
pub struct TokenExchange {
    /// `subject_token`.
    pub subject_token: SecretString,
    /// `subject_token_type`.
    pub subject_token_type: String,
    /// `requested_token_type` (the reference always sends one; default access token).
    pub requested_token_type: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `audience`.
    pub audience: Option<String>,
    /// `resource`.
    pub resource: Option<String>,
    /// `actor_token` and its type.
    pub actor: Option<(SecretString, String)>,
}

impl TokenExchange {
    /// Exchanges `subject_token` of `subject_token_type`.
    pub fn new(
        subject_token: impl Into<SecretString>,
        subject_token_type: impl Into<String>,
    ) -> Self {
        Self {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            requested_token_type: Some(ACCESS_TOKEN_TYPE.to_owned()),
            scope: None,
            audience: None,
            resource: None,
            actor: None,
        }
    }

    /// Appends the grant's fields in the reference SDK's order: grant_type,
    /// subject_token, subject_token_type, requested_token_type, scope; then
    /// audience, resource, actor_token, actor_token_type.
    pub fn append_fields(&self, form: &mut Form) {
        form.push("grant_type", TOKEN_EXCHANGE_GRANT);
        form.push_secret("subject_token", &self.subject_token);
        form.push("subject_token_type", self.subject_token_type.as_str());
        form.push_opt("requested_token_type", self.requested_token_type.as_deref());
        form.push_opt("scope", self.scope.as_deref());
        form.push_opt("audience", self.audience.as_deref());
        form.push_opt("resource", self.resource.as_deref());
        if let Some((token, kind)) = &self.actor {
            form.push_secret("actor_token", token);
            form.push("actor_token_type", kind.as_str());
        }
    }
}
