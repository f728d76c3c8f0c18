//! `idaas scope check [--scope S…] [--audience AUD] ACTION RESOURCE`.
//!
//! Exit 0 if granted, 1 if not (no scope at all included), 2 if the action
//! or resource is malformed, or a scope names an audience and no
//! `--audience` says which one is being called.

use idaas::scope::ScopeSet;

use crate::cli::ScopeCommand;
use crate::exit::{Code, Failure};
use crate::output;

/// Why a requested action or resource cannot be evaluated, naming the part.
fn malformed_request(action: &str, resource: &str) -> Option<String> {
    let check = |what: &str, text: &str| {
        if text.is_empty() {
            Some(format!("{what} is empty"))
        } else if text.chars().any(char::is_whitespace) {
            Some(format!(
                "{what} {:?} contains whitespace (one {what} at a time)",
                output::field(text)
            ))
        } else if text.contains(':') {
            Some(format!(
                "{what} {:?} contains ':' (give ACTION and RESOURCE separately)",
                output::field(text)
            ))
        } else {
            None
        }
    };
    check("action", action)
        .or_else(|| check("resource", resource))
        .or_else(|| {
            resource.split('.').any(str::is_empty).then(|| {
                format!(
                    "resource {:?} has an empty segment (a.b.c)",
                    output::field(resource)
                )
            })
        })
}

/// The scope values that count for `audience`: `aud|value` of that
/// audience, and plain values; `Err` names a scope with an audience when
/// none was given.
fn values<'a>(
    scopes: &'a [String],
    audience: Option<&str>,
) -> Result<(Vec<&'a str>, Vec<&'a str>), String> {
    let mut counted = Vec::new();
    let mut other = Vec::new();
    for scope in scopes {
        match (scope.split_once('|'), audience) {
            (None, _) => counted.push(scope.as_str()),
            (Some((aud, value)), Some(audience)) if aud == audience => counted.push(value),
            (Some(_), Some(_)) => other.push(scope.as_str()),
            (Some((aud, _)), None) => {
                return Err(format!(
                    "scope {:?} is for audience {:?}: pass --audience {} to evaluate its value",
                    output::field(scope),
                    output::field(aud),
                    output::field(aud)
                ));
            }
        }
    }
    Ok((counted, other))
}

pub(super) fn run(command: ScopeCommand, json: bool) -> Result<Code, Failure> {
    let ScopeCommand::Check {
        scopes,
        audience,
        action,
        resource,
    } = command;
    if let Some(problem) = malformed_request(&action, &resource) {
        return Err(Failure::usage(problem, json));
    }
    let (counted, other_audience) =
        values(&scopes, audience.as_deref()).map_err(|e| Failure::usage(e, json))?;
    let set = ScopeSet::new(&counted);
    let granted = !counted.is_empty() && set.allows(&action, &resource);
    let malformed: Vec<String> = set.malformed().iter().map(|e| e.to_string()).collect();
    if json {
        output::out_json(&serde_json::json!({
            "granted": granted,
            "action": action,
            "resource": resource,
            "audience": audience,
            "malformed": malformed,
            "other_audience": other_audience,
        }));
    } else {
        for m in &malformed {
            output::err(format_args!("warning: {}", output::field(m)));
        }
        for s in &other_audience {
            output::err(format_args!(
                "note: {} is for another audience",
                output::field(s)
            ));
        }
        if counted.is_empty() {
            output::err("note: no scope counts: denied");
        }
        output::out(format_args!(
            "{} {} on {}",
            if granted { "granted:" } else { "denied:" },
            output::field(&action),
            output::field(&resource)
        ));
    }
    Ok(if granted { Code::Ok } else { Code::Denied })
}
