//! [`Principal`]: who a verified token speaks for and what it grants, and
//! [`Requirement`]s checked against it.

use std::fmt;
use std::sync::Arc;

use idaas_scope::{Organizations, Role, ScopeSet};
use serde_json::{Map, Value};

use crate::error::Error;

/// How the token was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A JWT access token (RFC 9068), verified locally.
    Jwt,
    /// An opaque token, verified by introspection (RFC 7662).
    Opaque,
}

#[derive(Debug)]
struct Inner {
    subject: Option<String>,
    client_id: Option<String>,
    scopes: Vec<String>,
    scope_set: ScopeSet,
    organizations: Organizations,
    expires_at: Option<u64>,
    kind: TokenKind,
    claims: Map<String, Value>,
}

/// The verified caller: subject, client, scopes (compiled once), the
/// organizations claim and every claim as sent. Cheap to clone (shared).
///
/// The token itself is not kept.
#[derive(Clone)]
pub struct Principal(Arc<Inner>);

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("subject", &self.0.subject)
            .field("client_id", &self.0.client_id)
            .field("scopes", &self.0.scopes)
            .field("kind", &self.0.kind)
            .finish_non_exhaustive()
    }
}

/// The scope items of a `scope` claim that concern us: plain items as they
/// are, IDaaS `audience|value` items by their value when the audience is one
/// of `audiences` (items for other audiences are dropped).
pub fn effective_scopes<'a>(
    scope: &'a str,
    audiences: &'a [String],
) -> impl Iterator<Item = &'a str> + 'a {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .filter_map(move |item| match item.split_once('|') {
            None => Some(item),
            Some((aud, value)) if !value.contains('|') && audiences.iter().any(|a| a == aud) => {
                Some(value)
            }
            Some(_) => None,
        })
}

impl Principal {
    pub(crate) fn new(
        claims: Map<String, Value>,
        kind: TokenKind,
        audiences: &[String],
        client_id_claims: &[&str],
    ) -> Result<Self, Error> {
        let string = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let scopes: Vec<String> = match claims.get("scope") {
            Some(Value::String(s)) => effective_scopes(s, audiences).map(str::to_owned).collect(),
            // `scp` as a list (some IdPs)
            None => match claims.get("scp") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .flat_map(|s| effective_scopes(s, audiences))
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            Some(_) => return Err(Error::InvalidToken(crate::Reason::MissingClaim)),
        };
        let organizations = idaas_oauth::parse_organizations(claims.get("organizations"))
            .map_err(|_| Error::InvalidToken(crate::Reason::MissingClaim))?;
        Ok(Self(Arc::new(Inner {
            subject: string("sub"),
            client_id: client_id_claims.iter().find_map(|c| string(c)),
            scope_set: ScopeSet::new(&scopes),
            scopes,
            organizations,
            expires_at: claims.get("exp").and_then(Value::as_u64),
            kind,
            claims,
        })))
    }

    /// `sub`: the resource owner (a user), or the client itself.
    pub fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// `client_id`: the client the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    /// The granted scopes that concern this resource (IDaaS `aud|value`
    /// items by their value).
    pub fn scopes(&self) -> &[String] {
        &self.0.scopes
    }

    /// The scopes, compiled.
    pub fn scope_set(&self) -> &ScopeSet {
        &self.0.scope_set
    }

    /// The `organizations` claim.
    pub fn organizations(&self) -> &Organizations {
        &self.0.organizations
    }

    /// `exp`, Unix seconds.
    pub fn expires_at(&self) -> Option<u64> {
        self.0.expires_at
    }

    /// JWT or opaque.
    pub fn token_kind(&self) -> TokenKind {
        self.0.kind
    }

    /// Every claim as sent (the JWT payload, or the introspection answer).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0.claims
    }

    /// Whether the scopes grant `action` on `resource` (hierarchical, with
    /// `*` and `**`).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        self.0.scope_set.allows(action, resource)
    }

    /// Whether the token holds the role scope (`owner`, `admin`, `member`).
    pub fn has_role(&self, role: Role) -> bool {
        self.0.scope_set.has_role(role)
    }

    /// Checks one requirement: `Ok`, or [`Error::InsufficientScope`].
    pub fn require(&self, requirement: &Requirement) -> Result<(), Error> {
        if requirement.is_met_by(self) {
            Ok(())
        } else {
            Err(Error::InsufficientScope {
                required: requirement.to_string(),
            })
        }
    }

    /// Checks every requirement, in order; the first unmet one is the error.
    pub fn require_all<'a>(
        &self,
        requirements: impl IntoIterator<Item = &'a Requirement>,
    ) -> Result<(), Error> {
        requirements.into_iter().try_for_each(|r| self.require(r))
    }
}

/// What a request needs from its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// A scope: a `resource:action` permission is checked hierarchically
    /// (`projects:**` grants `projects.tasks:write`); any other scope
    /// (`openid`, `api.read`) must be granted literally.
    Scope(String),
    /// A role scope of the token (`owner`, `admin`, `member`).
    Role(Role),
    /// A role in an organization (its scopes hold the role literally).
    OrganizationRole {
        /// The organization id.
        organization: String,
        /// The role.
        role: Role,
    },
    /// A permission in an organization's scopes.
    OrganizationAccess {
        /// The organization id.
        organization: String,
        /// The action.
        action: String,
        /// The dotted resource.
        resource: String,
    },
}

impl Requirement {
    /// A scope requirement (see [`Requirement::Scope`]).
    pub fn scope(scope: impl Into<String>) -> Self {
        Self::Scope(scope.into())
    }

    /// Whether `principal` meets it.
    pub fn is_met_by(&self, principal: &Principal) -> bool {
        let orgs = principal.organizations();
        match self {
            Self::Scope(scope) => match scope.rsplit_once(':') {
                Some((resource, action)) if principal.allows(action, resource) => true,
                _ => principal.scopes().iter().any(|s| s == scope),
            },
            Self::Role(role) => principal.has_role(*role),
            Self::OrganizationRole { organization, role } => orgs
                .iter()
                .any(|o| o.id() == organization && o.scope_set().has_role(*role)),
            Self::OrganizationAccess {
                organization,
                action,
                resource,
            } => orgs.has_access_in(organization, action, resource),
        }
    }
}

impl fmt::Display for Requirement {
    /// The scope string of the requirement (an org's as `org/scope`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scope(s) => f.write_str(s),
            Self::Role(r) => f.write_str(r.as_str()),
            Self::OrganizationRole { organization, role } => {
                write!(f, "{organization}/{}", role.as_str())
            }
            Self::OrganizationAccess {
                organization,
                action,
                resource,
            } => write!(f, "{organization}/{resource}:{action}"),
        }
    }
}

impl From<&str> for Requirement {
    fn from(scope: &str) -> Self {
        Self::scope(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(claims: Value) -> Principal {
        let Value::Object(map) = claims else {
            unreachable!()
        };
        Principal::new(
            map,
            TokenKind::Jwt,
            &["api://svc".to_owned()],
            &["client_id"],
        )
        .unwrap()
    }

    #[test]
    fn idaas_audience_scopes_keep_only_ours() {
        let p = principal(json!({
            "sub": "u", "client_id": "c",
            "scope": "api://svc|projects:write api://other|users:read openid a|b|c  api:read"
        }));
        assert_eq!(p.scopes(), ["projects:write", "openid", "api:read"]);
        assert!(p.allows("write", "projects"));
        assert!(!p.allows("read", "users"));
        assert_eq!(p.subject(), Some("u"));
        assert_eq!(p.client_id(), Some("c"));
    }

    #[test]
    fn requirements_hierarchical_literal_roles_and_organizations() {
        let p = principal(json!({
            "scope": "projects:** openid admin",
            "organizations": {"acme": {"scopes": ["owner", "users:read"]}}
        }));
        for ok in ["projects.tasks:write", "projects:read", "openid"] {
            p.require(&Requirement::scope(ok)).unwrap();
        }
        let err = p.require(&Requirement::scope("users:read")).unwrap_err();
        assert_eq!(err.status(), 403);
        assert_eq!(err.code(), Some("insufficient_scope"));
        assert!(p.require(&"profile".into()).is_err());
        assert!(p.require(&Requirement::Role(Role::Admin)).is_ok());
        assert!(p.require(&Requirement::Role(Role::Owner)).is_err());
        let owner = Requirement::OrganizationRole {
            organization: "acme".into(),
            role: Role::Owner,
        };
        assert!(p.require(&owner).is_ok());
        assert_eq!(owner.to_string(), "acme/owner");
        let read = |org: &str| Requirement::OrganizationAccess {
            organization: org.into(),
            action: "read".into(),
            resource: "users".into(),
        };
        assert!(p.require(&read("acme")).is_ok());
        assert!(p.require(&read("globex")).is_err());
    }

    #[test]
    fn a_scope_claim_of_the_wrong_type_is_refused() {
        let Value::Object(map) = json!({"scope": ["a"]}) else {
            unreachable!()
        };
        assert!(Principal::new(map, TokenKind::Jwt, &[], &["client_id"]).is_err());
    }
}
