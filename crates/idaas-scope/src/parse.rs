//! The scope grammar: `resource:action`, dotted resources, the wildcards
//! `*` and `**`, and the role scopes `owner`, `admin`, `member`.
//!
//! Stricter than the authpi-idp seed, which accepted anything with a colon:
//! whitespace, extra colons, empty segments and wildcards in other positions
//! (`users.*:read`, `**:read`, `users:***`) are errors here, reported with a
//! reason, and never grant anything.

use std::fmt;

/// A role scope: membership levels in an organization. Wildcards never grant
/// a role; `owner` does not imply `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `owner`
    Owner,
    /// `admin`
    Admin,
    /// `member`
    Member,
}

impl Role {
    /// The scope text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

/// The resource part of a permission scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// `*`: every top-level resource (every resource at all with action `**`).
    Any,
    /// A dotted path such as `projects.tasks`.
    Path(&'a str),
}

/// The action part of a permission scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action<'a> {
    /// `*`: every action on the resource itself.
    Any,
    /// `**`: every action on the resource and everything below it.
    AnyDeep,
    /// A literal action such as `read`.
    Named(&'a str),
}

/// A `resource:action` permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission<'a> {
    /// What it is about.
    pub resource: Resource<'a>,
    /// What it allows.
    pub action: Action<'a>,
}

/// A parsed scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParsedScope<'a> {
    /// `resource:action`.
    Permission(Permission<'a>),
    /// `owner`, `admin` or `member`.
    Role(Role),
}

/// Why a scope is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeErrorKind {
    /// The scope is empty.
    Empty,
    /// It contains whitespace.
    Whitespace,
    /// It has no `:` and is not a role.
    NoColon,
    /// It has more than one `:`.
    ExtraColon,
    /// The resource (before `:`) is empty.
    EmptyResource,
    /// The action (after `:`) is empty.
    EmptyAction,
    /// A dotted resource has an empty segment (`a..b`, `.a`, `a.`).
    EmptySegment,
    /// A `*` where no wildcard is defined (`users.*`, `**` as resource, `***`).
    UnknownWildcard,
}

/// A malformed scope, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeError {
    /// The scope as given.
    pub scope: String,
    /// What is wrong with it.
    pub kind: ScopeErrorKind,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.kind {
            ScopeErrorKind::Empty => "it is empty",
            ScopeErrorKind::Whitespace => "it contains whitespace",
            ScopeErrorKind::NoColon => "expected resource:action (or owner, admin, member)",
            ScopeErrorKind::ExtraColon => "it has more than one ':'",
            ScopeErrorKind::EmptyResource => "the resource before ':' is empty",
            ScopeErrorKind::EmptyAction => "the action after ':' is empty",
            ScopeErrorKind::EmptySegment => "the resource has an empty '.'-separated segment",
            ScopeErrorKind::UnknownWildcard => {
                "'*' is only allowed as the whole resource (*) or the whole action (* or **)"
            }
        };
        write!(f, "malformed scope {:?}: {reason}", self.scope)
    }
}

impl std::error::Error for ScopeError {}

/// Parses one scope.
///
/// ```
/// use idaas_scope::{parse_scope, ParsedScope, Permission, Resource, Action, Role, ScopeErrorKind};
///
/// assert_eq!(
///     parse_scope("projects.tasks:read"),
///     Ok(ParsedScope::Permission(Permission {
///         resource: Resource::Path("projects.tasks"),
///         action: Action::Named("read"),
///     }))
/// );
/// assert_eq!(parse_scope("owner"), Ok(ParsedScope::Role(Role::Owner)));
/// assert_eq!(parse_scope("a:b:read").unwrap_err().kind, ScopeErrorKind::ExtraColon);
/// ```
pub fn parse_scope(scope: &str) -> Result<ParsedScope<'_>, ScopeError> {
    let fail = |kind| ScopeError {
        scope: scope.to_owned(),
        kind,
    };
    if scope.is_empty() {
        return Err(fail(ScopeErrorKind::Empty));
    }
    if scope.chars().any(char::is_whitespace) {
        return Err(fail(ScopeErrorKind::Whitespace));
    }
    let Some((resource, action)) = scope.split_once(':') else {
        return match scope {
            "owner" => Ok(ParsedScope::Role(Role::Owner)),
            "admin" => Ok(ParsedScope::Role(Role::Admin)),
            "member" => Ok(ParsedScope::Role(Role::Member)),
            _ => Err(fail(ScopeErrorKind::NoColon)),
        };
    };
    if action.contains(':') {
        return Err(fail(ScopeErrorKind::ExtraColon));
    }
    if resource.is_empty() {
        return Err(fail(ScopeErrorKind::EmptyResource));
    }
    if action.is_empty() {
        return Err(fail(ScopeErrorKind::EmptyAction));
    }
    let resource = match resource {
        "*" => Resource::Any,
        path if path.contains('*') => return Err(fail(ScopeErrorKind::UnknownWildcard)),
        path if path.split('.').any(str::is_empty) => {
            return Err(fail(ScopeErrorKind::EmptySegment));
        }
        path => Resource::Path(path),
    };
    let action = match action {
        "*" => Action::Any,
        "**" => Action::AnyDeep,
        named if named.contains('*') => return Err(fail(ScopeErrorKind::UnknownWildcard)),
        named => Action::Named(named),
    };
    Ok(ParsedScope::Permission(Permission { resource, action }))
}

/// Whether a requested `(action, resource)` is well-formed: non-empty, no
/// whitespace or `:`, no empty resource segment. Malformed requests are
/// never granted.
pub(crate) fn is_valid_request(action: &str, resource: &str) -> bool {
    let clean = |s: &str| !s.is_empty() && !s.contains(':') && !s.chars().any(char::is_whitespace);
    clean(action) && clean(resource) && !resource.split('.').any(str::is_empty)
}

impl Permission<'_> {
    /// Whether this permission grants `action` on `resource` (the rules of
    /// the authpi-idp seed, evaluated directly).
    pub fn grants(&self, action: &str, resource: &str) -> bool {
        let action_ok = match self.action {
            Action::Any | Action::AnyDeep => true,
            Action::Named(a) => a == action,
        };
        if !action_ok || !is_valid_request(action, resource) {
            return false;
        }
        match (self.resource, self.action) {
            (Resource::Any, Action::AnyDeep) => true,
            (Resource::Any, _) => !resource.contains('.'),
            (Resource::Path(r), _) if r == resource => true,
            (Resource::Path(r), Action::AnyDeep) => {
                resource.len() > r.len()
                    && resource.starts_with(r)
                    && resource.as_bytes()[r.len()] == b'.'
            }
            (Resource::Path(_), _) => false,
        }
    }
}
