//! Organizations: the `organizations` claim of a signed-in principal, each
//! with its own scopes, and the authpi-style helpers over them.

use crate::parse::Role;
use crate::set::ScopeSet;

/// One organization the principal belongs to.
#[derive(Debug, Clone)]
pub struct Organization {
    id: String,
    title: Option<String>,
    scopes: Vec<String>,
    compiled: ScopeSet,
}

impl Organization {
    /// An organization with its scopes (compiled once, here).
    pub fn new(id: impl Into<String>, title: Option<String>, scopes: Vec<String>) -> Self {
        let compiled = ScopeSet::new(&scopes);
        Self {
            id: id.into(),
            title,
            scopes,
            compiled,
        }
    }

    /// The organization id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its display title, if any.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Its scopes as granted.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Its compiled scopes.
    pub fn scope_set(&self) -> &ScopeSet {
        &self.compiled
    }
}

/// The organizations claim.
///
/// ```
/// use idaas_scope::{Organization, Organizations};
///
/// let orgs = Organizations::new(vec![
///     Organization::new("acme", None, vec!["owner".into(), "projects:**".into()]),
///     Organization::new("globex", None, vec!["users:read".into()]),
/// ]);
/// assert!(orgs.has_access_in("acme", "delete", "projects.tasks"));
/// assert!(!orgs.has_access_in("globex", "delete", "projects.tasks"));
/// assert!(orgs.is_owner_of("acme") && !orgs.is_admin_of("acme"));
/// assert!(orgs.is_member_of("globex") && !orgs.is_member_of("initech"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Organizations(Vec<Organization>);

impl Organizations {
    /// Wraps a list of organizations.
    pub fn new(organizations: Vec<Organization>) -> Self {
        Self(organizations)
    }

    /// The organizations.
    pub fn iter(&self) -> impl Iterator<Item = &Organization> {
        self.0.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, org: &str) -> Option<&Organization> {
        self.0.iter().find(|o| o.id == org)
    }

    /// Whether any organization's scopes grant `action` on `resource`.
    pub fn has_access(&self, action: &str, resource: &str) -> bool {
        self.0.iter().any(|o| o.compiled.allows(action, resource))
    }

    /// Whether the scopes of organization `org` grant `action` on `resource`;
    /// false for an unknown organization.
    pub fn has_access_in(&self, org: &str, action: &str, resource: &str) -> bool {
        self.find(org)
            .is_some_and(|o| o.compiled.allows(action, resource))
    }

    /// The scopes of `org`; empty for an unknown organization.
    pub fn scopes_for(&self, org: &str) -> &[String] {
        self.find(org).map(|o| o.scopes.as_slice()).unwrap_or(&[])
    }

    /// Whether `org`'s scopes contain exactly `owner`.
    pub fn is_owner_of(&self, org: &str) -> bool {
        self.find(org)
            .is_some_and(|o| o.compiled.has_role(Role::Owner))
    }

    /// Whether `org`'s scopes contain exactly `admin` (`owner` does not imply it).
    pub fn is_admin_of(&self, org: &str) -> bool {
        self.find(org)
            .is_some_and(|o| o.compiled.has_role(Role::Admin))
    }

    /// Whether the principal belongs to `org`, whatever its scopes.
    pub fn is_member_of(&self, org: &str) -> bool {
        self.find(org).is_some()
    }
}

impl FromIterator<Organization> for Organizations {
    fn from_iter<I: IntoIterator<Item = Organization>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}
