//! [`Agent`]: a signed-in principal — its tokens, its verified claims and the
//! authpi-style authorization helpers, evaluated by `idaas-scope`.

use std::time::Duration;

use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_scope::{Organization, Organizations, ScopeSet};
use serde_json::{Map, Value};

use crate::error::{Error, IdTokenError};
use crate::id_token::IdTokenClaims;
use crate::store::StoredTokens;

/// What kind of principal a subject (or client id) names, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// A person (any subject without a known prefix).
    User,
    /// `tok_…`: a personal access token.
    PersonalToken,
    /// `key_…`: an API key.
    ApiKey,
    /// `agt_…`: a machine agent.
    Agent,
}

impl PrincipalType {
    /// The type of `subject`, by its case-sensitive prefix.
    pub fn of(subject: &str) -> Self {
        if subject.starts_with("agt_") {
            Self::Agent
        } else if subject.starts_with("key_") {
            Self::ApiKey
        } else if subject.starts_with("tok_") {
            Self::PersonalToken
        } else {
            Self::User
        }
    }

    /// `user`, `personal_token`, `api_key`, `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::PersonalToken => "personal_token",
            Self::ApiKey => "api_key",
            Self::Agent => "agent",
        }
    }
}

/// How the agent was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    /// A user, from a verified ID token.
    User,
    /// The client itself (client credentials; no ID token).
    Client,
}

/// A signed-in principal. Tokens are secrets: `Debug` shows none of them.
#[derive(Debug, Clone)]
pub struct Agent {
    id: String,
    kind: AgentKind,
    principal_type: PrincipalType,
    email: Option<String>,
    email_verified: Option<bool>,
    organizations: Organizations,
    token_scopes: ScopeSet,
    claims: Map<String, Value>,
    tokens: StoredTokens,
    clock: SharedClock,
}

/// Parses the `organizations` claim: an object of organization id →
/// `{"title"?: string, "scopes"?: [string], "joined_at"?: integer}`. Absent
/// or not an object: none. Members that are not objects are skipped;
/// members of the wrong type are an error (the claim is malformed).
pub fn parse_organizations(claim: Option<&Value>) -> Result<Organizations, Error> {
    let Some(Value::Object(map)) = claim else {
        return Ok(Organizations::default());
    };
    let bad = |org: &str, problem: &'static str| {
        Error::IdToken(IdTokenError::Organization {
            organization: org.to_owned(),
            problem,
        })
    };
    let mut list = Vec::with_capacity(map.len());
    for (id, value) in map {
        let Value::Object(org) = value else { continue };
        let title = match org.get("title") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return Err(bad(id, "title is not a string")),
        };
        let scopes = match org.get("scopes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(id, "scopes holds a non-string"))?,
            Some(_) => return Err(bad(id, "scopes is not a list")),
        };
        if org.get("joined_at").is_some_and(|j| !j.is_u64()) {
            return Err(bad(id, "joined_at is not a non-negative integer"));
        }
        list.push(Organization::new(id.clone(), title, scopes));
    }
    Ok(Organizations::new(list))
}

impl Agent {
    /// A user agent from tokens and the verified claims of their ID token.
    pub fn from_id_token(
        tokens: StoredTokens,
        id_token: IdTokenClaims,
        clock: SharedClock,
    ) -> Result<Self, Error> {
        let claims = id_token.claims().clone();
        let organizations = parse_organizations(claims.get("organizations"))?;
        let sub = id_token.sub().to_owned();
        Ok(Self {
            principal_type: PrincipalType::of(&sub),
            id: sub,
            kind: AgentKind::User,
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email_verified: claims.get("email_verified").and_then(Value::as_bool),
            token_scopes: ScopeSet::from_scope_string(tokens.scope.as_deref().unwrap_or("")),
            organizations,
            claims,
            tokens,
            clock,
        })
    }

    /// The agent of the client itself (client credentials): `id` is the
    /// client id, no organizations, no email.
    pub fn for_client(tokens: StoredTokens, clock: SharedClock) -> Self {
        Self {
            id: tokens.client_id().to_owned(),
            kind: AgentKind::Client,
            principal_type: PrincipalType::of(tokens.client_id()),
            email: None,
            email_verified: None,
            organizations: Organizations::default(),
            token_scopes: ScopeSet::from_scope_string(tokens.scope.as_deref().unwrap_or("")),
            claims: Map::new(),
            tokens,
            clock,
        }
    }

    /// The same principal with renewed tokens (when the refresh brought no
    /// new ID token and the subject was confirmed otherwise).
    pub(crate) fn with_tokens(&self, tokens: StoredTokens) -> Self {
        Self {
            token_scopes: ScopeSet::from_scope_string(tokens.scope.as_deref().unwrap_or("")),
            tokens,
            ..self.clone()
        }
    }

    /// The subject (`sub`), or the client id of a client agent.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// User or client.
    pub fn kind(&self) -> AgentKind {
        self.kind
    }

    /// The principal type, from the id's prefix.
    pub fn principal_type(&self) -> PrincipalType {
        self.principal_type
    }

    /// `email`, if the ID token carried one.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// `email_verified`, if the ID token carried a boolean.
    pub fn email_verified(&self) -> Option<bool> {
        self.email_verified
    }

    /// The organizations claim.
    pub fn organizations(&self) -> &Organizations {
        &self.organizations
    }

    /// Every verified ID-token claim (empty for a client agent).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The tokens (issuer, client id, access, refresh and ID tokens, expiry,
    /// scope), ready for a [`TokenStore`](crate::store::TokenStore).
    pub fn tokens(&self) -> &StoredTokens {
        &self.tokens
    }

    /// The access token.
    pub fn access_token(&self) -> &SecretString {
        &self.tokens.access_token
    }

    /// The access token's expiry, Unix seconds, if known.
    pub fn expires_at(&self) -> Option<u64> {
        self.tokens.expires_at
    }

    /// Seconds until the access token expires (negative once expired), if known.
    pub fn expires_in(&self) -> Option<i64> {
        let now = self.clock.now().as_secs() as i64;
        self.tokens.expires_at.map(|at| at as i64 - now)
    }

    /// Whether the access token expires within `buffer` (inclusive). An
    /// unknown expiry never counts as expired.
    pub fn is_expired(&self, buffer: Duration) -> bool {
        self.expires_in()
            .is_some_and(|left| left <= buffer.as_secs() as i64)
    }

    /// Whether any organization's scopes grant `action` on `resource`.
    ///
    /// A *client* agent has no organizations; for it the token's granted
    /// `scope` is evaluated instead. Unlike authpi-idp, a *user* without
    /// organizations is never authorized by OAuth scopes such as
    /// `users:read` that the provider merely granted to the client.
    pub fn has_access(&self, action: &str, resource: &str) -> bool {
        match self.kind {
            AgentKind::User => self.organizations.has_access(action, resource),
            AgentKind::Client => self.token_scopes.allows(action, resource),
        }
    }

    /// Whether organization `org`'s scopes grant `action` on `resource`.
    pub fn has_access_in(&self, org: &str, action: &str, resource: &str) -> bool {
        self.organizations.has_access_in(org, action, resource)
    }

    /// The scopes in `org` (empty for an unknown organization).
    pub fn scopes_for(&self, org: &str) -> &[String] {
        self.organizations.scopes_for(org)
    }

    /// Whether the agent's scopes in `org` contain exactly `owner`.
    pub fn is_owner_of(&self, org: &str) -> bool {
        self.organizations.is_owner_of(org)
    }

    /// Whether the agent's scopes in `org` contain exactly `admin`.
    pub fn is_admin_of(&self, org: &str) -> bool {
        self.organizations.is_admin_of(org)
    }

    /// Whether the agent belongs to `org`.
    pub fn is_member_of(&self, org: &str) -> bool {
        self.organizations.is_member_of(org)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn principal_type_by_case_sensitive_prefix() {
        for (sub, t) in [
            ("agt_1", PrincipalType::Agent),
            ("key_1", PrincipalType::ApiKey),
            ("tok_1", PrincipalType::PersonalToken),
            ("usr_1", PrincipalType::User),
            ("AGT_1", PrincipalType::User),
            ("123_key", PrincipalType::User),
            ("", PrincipalType::User),
        ] {
            assert_eq!(PrincipalType::of(sub), t, "{sub}");
        }
    }

    #[test]
    fn organizations_claim_shapes() {
        let orgs = parse_organizations(Some(&json!({
            "acme": {"title": "Acme", "scopes": ["owner", "projects:**"], "joined_at": 5},
            "skip": "not an object",
            "bare": {}
        })))
        .unwrap();
        assert!(orgs.is_owner_of("acme") && orgs.is_member_of("bare"));
        assert!(!orgs.is_member_of("skip"));
        assert!(orgs.has_access_in("acme", "read", "projects.x"));
        assert!(parse_organizations(Some(&json!([1]))).unwrap().is_empty());
        assert!(parse_organizations(None).unwrap().is_empty());
        for bad in [
            json!({"a": {"scopes": null}}),
            json!({"a": {"title": 5}}),
            json!({"a": {"joined_at": "x"}}),
            json!({"a": {"scopes": [1]}}),
        ] {
            assert!(matches!(
                parse_organizations(Some(&bad)),
                Err(Error::IdToken(IdTokenError::Organization { .. }))
            ));
        }
    }
}
