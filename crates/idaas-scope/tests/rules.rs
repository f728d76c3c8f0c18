//! Every rule of the scope model, with the authpi-idp README examples.

use idaas_scope::*;

fn allows(scopes: &[&str], action: &str, resource: &str) -> bool {
    let direct = has_access(scopes, action, resource);
    let compiled = ScopeSet::new(scopes).allows(action, resource);
    assert_eq!(direct, compiled, "{scopes:?} {action} {resource}");
    direct
}

#[test]
fn readme_examples_of_authpi_idp() {
    assert!(allows(&["projects:**"], "read", "projects.tasks.comments"));
    assert!(!allows(&["projects:*"], "read", "projects.tasks"));
    assert!(allows(&["projects:*"], "read", "projects"));
    let super_admin = ScopeSet::new(["*:**"]);
    assert!(super_admin.allows("delete", "billing.invoices.2024"));
    assert!(!super_admin.has_role(Role::Owner) && !super_admin.has_role(Role::Admin));
}

#[test]
fn the_table_of_the_spec() {
    // users:read — read on users only
    assert!(allows(&["users:read"], "read", "users"));
    assert!(!allows(&["users:read"], "write", "users"));
    assert!(!allows(&["users:read"], "read", "users.x"));
    // users:* — any action on users; not users.x
    assert!(allows(&["users:*"], "delete", "users"));
    assert!(!allows(&["users:*"], "read", "users.x"));
    // users:** — users and every descendant; not usersx or users_admin
    assert!(allows(&["users:**"], "read", "users"));
    assert!(allows(&["users:**"], "x", "users.a.b.c"));
    assert!(!allows(&["users:**"], "read", "usersx"));
    assert!(!allows(&["users:**"], "read", "users_admin"));
    // *:read — read on any top-level resource
    assert!(allows(&["*:read"], "read", "billing"));
    assert!(!allows(&["*:read"], "read", "billing.invoices"));
    assert!(!allows(&["*:read"], "write", "billing"));
    // *:* — any action on any top-level resource
    assert!(allows(&["*:*"], "write", "billing"));
    assert!(!allows(&["*:*"], "write", "billing.invoices"));
    // *:** — everything
    assert!(allows(&["*:**"], "write", "billing.invoices.x"));
}

#[test]
fn wildcard_actions_and_requested_wildcards() {
    assert!(allows(&["users:*"], "*", "users"));
    assert!(allows(&["users:**"], "**", "users"));
    assert!(
        !allows(&["users:read"], "*", "users"),
        "a literal action grants no wildcard request"
    );
}

#[test]
fn case_sensitive_everywhere() {
    assert!(!allows(&["Users:read"], "read", "users"));
    assert!(!allows(&["users:read"], "READ", "users"));
    assert!(!allows(&["users:**"], "read", "Users.x"));
    assert_eq!(
        parse_scope("Owner").unwrap_err().kind,
        ScopeErrorKind::NoColon
    );
}

#[test]
fn roles_are_literal_and_never_granted_by_wildcards() {
    let orgs = Organizations::new(vec![
        Organization::new(
            "acme",
            Some("ACME".into()),
            vec!["owner".into(), "projects:**".into()],
        ),
        Organization::new("globex", None, vec!["admin".into(), "*:**".into()]),
        Organization::new("empty", None, vec![]),
    ]);
    assert!(orgs.is_owner_of("acme"));
    assert!(!orgs.is_admin_of("acme"), "owner does not imply admin");
    assert!(orgs.is_admin_of("globex"));
    assert!(!orgs.is_owner_of("globex"), "*:** does not make an owner");
    assert!(orgs.is_member_of("empty") && !orgs.is_owner_of("empty"));
    assert!(!orgs.is_member_of("initech") && !orgs.is_owner_of("initech"));
    assert_eq!(orgs.scopes_for("acme"), ["owner", "projects:**"]);
    assert!(orgs.scopes_for("initech").is_empty());
    assert!(orgs.has_access_in("acme", "read", "projects.x"));
    assert!(!orgs.has_access_in("acme", "read", "users"));
    assert!(orgs.has_access_in("globex", "read", "users"));
    assert!(!orgs.has_access_in("initech", "read", "projects"));
    assert!(orgs.has_access("read", "users"), "any organization");
    // A role name is not a permission.
    assert!(!allows(&["owner", "admin", "member"], "read", "owner"));
}

#[test]
fn malformed_scopes_are_reported_and_grant_nothing() {
    use ScopeErrorKind::*;
    for (scope, kind) in [
        ("", Empty),
        ("users :read", Whitespace),
        (" users:read", Whitespace),
        ("users:read\n", Whitespace),
        ("users", NoColon),
        ("openid", NoColon),
        ("a:b:read", ExtraColon),
        ("a::b", ExtraColon),
        (":read", EmptyResource),
        ("users:", EmptyAction),
        ("users..x:read", EmptySegment),
        (".users:read", EmptySegment),
        ("users.:read", EmptySegment),
        ("users.*:read", UnknownWildcard),
        ("**:read", UnknownWildcard),
        ("users:***", UnknownWildcard),
        ("us*rs:read", UnknownWildcard),
        ("users:re*d", UnknownWildcard),
    ] {
        let err = parse_scope(scope).unwrap_err();
        assert_eq!(err.kind, kind, "{scope:?}");
        assert!(err.to_string().contains("malformed scope"), "{err}");
        let set = ScopeSet::new([scope]);
        assert_eq!(set.malformed().len(), 1);
    }
    // Malformed scopes never grant, even what their text seems to say.
    assert!(!allows(&["a:b:read"], "read", "a:b"));
    assert!(!allows(&["users.*:read"], "read", "users.*"));
    assert!(!allows(&["users :read"], "read", "users "));
    assert!(!allows(&["users..x:read"], "read", "users..x"));
}

#[test]
fn malformed_requests_are_denied() {
    for (action, resource) in [
        ("read", ""),
        ("", "users"),
        ("read", "users."),
        ("read", "a..b"),
        ("re ad", "users"),
        ("read", "a:b"),
    ] {
        assert!(
            !allows(&["*:**", "users:**"], action, resource),
            "{action:?} {resource:?}"
        );
    }
}

#[test]
fn scope_strings_split_on_spaces() {
    let set = ScopeSet::from_scope_string("openid  users:read projects:**");
    assert!(set.allows("read", "users"));
    assert!(set.allows("x", "projects.y"));
    assert_eq!(set.malformed().len(), 1, "openid is not a permission");
}

#[test]
fn empty_lists_grant_nothing() {
    let none: [&str; 0] = [];
    assert!(!allows(&none, "read", "users"));
}
