//! Local authorization decisions: `cargo run -p idaas --example scopes`.

use idaas::scope::{Organization, Organizations, Role, ScopeSet};

fn main() {
    let scopes = ScopeSet::new(["projects:**", "users:read", "*:list"]);
    for (action, resource) in [
        ("delete", "projects.tasks.comments"),
        ("read", "users"),
        ("write", "users"),
        ("list", "billing"),
    ] {
        println!(
            "{action:>6} {resource:<26} {}",
            if scopes.allows(action, resource) {
                "granted"
            } else {
                "denied"
            }
        );
    }
    assert!(
        !ScopeSet::new(["*:**"]).has_role(Role::Owner),
        "wildcards never grant a role"
    );
    let orgs = Organizations::new(vec![Organization::new(
        "acme",
        None,
        vec!["owner".into(), "projects:*".into()],
    )]);
    println!(
        "owner of acme: {}, admin of acme: {}",
        orgs.is_owner_of("acme"),
        orgs.is_admin_of("acme")
    );
}
