//! Hierarchical `resource:action` scope evaluation with organization roles.
//!
//! Local authorization decisions without a network call, in the model of the
//! authpi-idp SDK: `resource:action` scopes over dotted resources, the
//! wildcards `*` (every action on that resource, or every top-level resource)
//! and `**` (the resource and everything below it), and the role scopes
//! `owner`, `admin`, `member`, which no wildcard grants.
//!
//! ```
//! use idaas_scope::{has_access, Role, ScopeSet};
//!
//! let scopes = ["projects:**", "projects:*", "users:read"];
//! assert!(has_access(&scopes, "read", "projects.tasks.comments"));
//! assert!(!has_access(&["projects:*"], "read", "projects.tasks"));
//! // Super-admin grants every permission but no role:
//! assert!(!ScopeSet::new(["*:**"]).has_role(Role::Owner));
//!
//! // Parse once, check many times without allocating:
//! let set = ScopeSet::new(scopes);
//! assert!(set.allows("delete", "projects"));
//! assert!(!set.allows("write", "users"));
//! ```
//!
//! - [`parse_scope`] — the grammar, with a reason for every malformed scope;
//! - [`has_access`] — evaluates a list of scope strings directly;
//! - [`ScopeSet`] — the compiled form (a trie over resource segments);
//! - [`Organizations`] — the per-organization helpers (`has_access_in`,
//!   `scopes_for`, `is_owner_of`, `is_admin_of`, `is_member_of`).
//!
//! This crate is pure: no I/O, no dependencies.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod orgs;
mod parse;
mod set;

pub use orgs::{Organization, Organizations};
pub use parse::{
    Action, ParsedScope, Permission, Resource, Role, ScopeError, ScopeErrorKind, parse_scope,
};
pub use set::ScopeSet;

/// Whether any of `scopes` grants `action` on `resource`, evaluating each
/// scope directly (no compilation). Malformed scopes are skipped.
///
/// For repeated checks against the same scopes, build a [`ScopeSet`].
pub fn has_access<S: AsRef<str>>(scopes: &[S], action: &str, resource: &str) -> bool {
    scopes.iter().any(|s| match parse_scope(s.as_ref()) {
        Ok(ParsedScope::Permission(p)) => p.grants(action, resource),
        _ => false,
    })
}
