//! `parse_scope` and `ScopeSet` on arbitrary text: never panic, and the
//! compiled set agrees with the direct evaluator.
#![no_main]

use idaas_scope::{ScopeSet, has_access, parse_scope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_scope(text);
    // First line: scopes; second line: "action resource".
    let mut lines = text.splitn(2, '\n');
    let scopes: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    let request = lines.next().unwrap_or("read users");
    let (action, resource) = request.split_once(' ').unwrap_or((request, "users"));
    let set = ScopeSet::new(&scopes);
    assert_eq!(
        set.allows(action, resource),
        has_access(&scopes, action, resource)
    );
});
