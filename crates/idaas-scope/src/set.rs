//! [`ScopeSet`]: scopes parsed once into a trie over resource segments, so a
//! check walks the requested resource once and allocates nothing.

use crate::parse::{Action, ParsedScope, Resource, Role, is_valid_request, parse_scope};

/// Actions granted at one place: a few literal names, or all of them.
#[derive(Debug, Clone, Default)]
struct Actions {
    any: bool,
    named: Vec<Box<str>>,
}

impl Actions {
    fn add(&mut self, action: Action<'_>) {
        match action {
            Action::Any | Action::AnyDeep => self.any = true,
            Action::Named(name) => {
                if let Err(i) = self.named.binary_search_by(|n| (**n).cmp(name)) {
                    self.named.insert(i, name.into());
                }
            }
        }
    }

    fn allows(&self, action: &str) -> bool {
        self.any || self.named.binary_search_by(|n| (**n).cmp(action)).is_ok()
    }
}

/// One resource segment of the trie.
#[derive(Debug, Clone, Default)]
struct Node {
    /// Actions on exactly this resource (`res:read`, `res:*`).
    exact: Actions,
    /// `res:**`: every action here and below.
    deep: bool,
    /// Child segments, sorted by name.
    children: Vec<(Box<str>, Node)>,
}

impl Node {
    fn child_mut(&mut self, segment: &str) -> &mut Node {
        let i = match self.children.binary_search_by(|(n, _)| (**n).cmp(segment)) {
            Ok(i) => i,
            Err(i) => {
                self.children.insert(i, (segment.into(), Node::default()));
                i
            }
        };
        &mut self.children[i].1
    }

    fn child(&self, segment: &str) -> Option<&Node> {
        self.children
            .binary_search_by(|(n, _)| (**n).cmp(segment))
            .ok()
            .map(|i| &self.children[i].1)
    }
}

/// A compiled list of scopes: parse once, answer many checks.
///
/// Malformed scopes are kept aside (see [`ScopeSet::malformed`]) and grant
/// nothing.
///
/// ```
/// use idaas_scope::ScopeSet;
///
/// let set = ScopeSet::new(["projects:**", "users:read", "admin"]);
/// assert!(set.allows("read", "projects.tasks.comments"));
/// assert!(set.allows("read", "users"));
/// assert!(!set.allows("write", "users"));
/// assert!(set.has_role(idaas_scope::Role::Admin));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScopeSet {
    /// `*:**`: everything.
    everything: bool,
    /// `*:action` / `*:*`: actions on every top-level resource.
    top_level: Actions,
    root: Node,
    roles: [bool; 3],
    malformed: Vec<crate::ScopeError>,
}

fn role_index(role: Role) -> usize {
    match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Member => 2,
    }
}

impl ScopeSet {
    /// Compiles a list of scopes.
    pub fn new<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::default();
        for scope in scopes {
            set.insert(scope.as_ref());
        }
        set
    }

    /// Compiles a space-separated scope string (an OAuth `scope` value).
    pub fn from_scope_string(scopes: &str) -> Self {
        Self::new(scopes.split(' ').filter(|s| !s.is_empty()))
    }

    /// Adds one scope.
    pub fn insert(&mut self, scope: &str) {
        match parse_scope(scope) {
            Err(error) => self.malformed.push(error),
            Ok(ParsedScope::Role(role)) => self.roles[role_index(role)] = true,
            Ok(ParsedScope::Permission(p)) => match (p.resource, p.action) {
                (Resource::Any, Action::AnyDeep) => self.everything = true,
                (Resource::Any, action) => self.top_level.add(action),
                (Resource::Path(path), action) => {
                    let node = path
                        .split('.')
                        .fold(&mut self.root, |node, seg| node.child_mut(seg));
                    match action {
                        Action::AnyDeep => node.deep = true,
                        other => node.exact.add(other),
                    }
                }
            },
        }
    }

    /// Whether any scope grants `action` on `resource`.
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        if !is_valid_request(action, resource) {
            return false;
        }
        if self.everything {
            return true;
        }
        let mut segments = resource.split('.');
        let first = segments.next().unwrap_or_default();
        let mut node = match self.root.child(first) {
            Some(node) => node,
            None => return !resource.contains('.') && self.top_level.allows(action),
        };
        let mut top_level = true;
        loop {
            if node.deep {
                return true;
            }
            match segments.next() {
                None => {
                    return node.exact.allows(action)
                        || (top_level && self.top_level.allows(action));
                }
                Some(segment) => match node.child(segment) {
                    Some(next) => {
                        node = next;
                        top_level = false;
                    }
                    None => return false,
                },
            }
        }
    }

    /// Whether the set holds the role scope (`owner`, `admin`, `member`).
    /// Only the literal role grants it; `*:**` does not.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles[role_index(role)]
    }

    /// The scopes that failed to parse, with reasons.
    pub fn malformed(&self) -> &[crate::ScopeError] {
        &self.malformed
    }
}
