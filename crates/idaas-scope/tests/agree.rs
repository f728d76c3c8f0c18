//! Property: the compiled ScopeSet and the direct evaluator agree on random
//! scope lists and random requests, and parsing never panics.

use idaas_scope::{ScopeSet, has_access, parse_scope};
use proptest::prelude::*;

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("users".to_owned()),
        Just("projects".to_owned()),
        Just("tasks".to_owned()),
        Just("a".to_owned()),
        Just("*".to_owned()),
        Just("".to_owned()),
    ]
}

fn resource() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..4).prop_map(|s| s.join("."))
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("read".to_owned()),
        Just("write".to_owned()),
        Just("*".to_owned()),
        Just("**".to_owned()),
        Just("Read".to_owned()),
    ]
}

fn scope() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (resource(), action()).prop_map(|(r, a)| format!("{r}:{a}")),
        1 => prop_oneof![Just("owner".to_owned()), Just("admin".to_owned()), Just("member".to_owned())],
        1 => "[a-z:.* ]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compiled_and_direct_agree(
        scopes in prop::collection::vec(scope(), 0..12),
        action in action(),
        resource in resource(),
    ) {
        let set = ScopeSet::new(&scopes);
        prop_assert_eq!(set.allows(&action, &resource), has_access(&scopes, &action, &resource));
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,40}") {
        let _ = parse_scope(&text);
        let _ = ScopeSet::new([&text]).allows("read", "users");
    }
}
