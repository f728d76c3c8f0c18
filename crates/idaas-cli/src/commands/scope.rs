//! `idaas scope check --scope S… ACTION RESOURCE`.

use idaas::scope::ScopeSet;

use crate::cli::ScopeCommand;
use crate::exit::{Code, Failure};
use crate::output;

pub fn run(command: ScopeCommand, json: bool) -> Result<Code, Failure> {
    let ScopeCommand::Check {
        scopes,
        action,
        resource,
    } = command;
    let set = ScopeSet::new(&scopes);
    let granted = set.allows(&action, &resource);
    let malformed: Vec<String> = set.malformed().iter().map(|e| e.to_string()).collect();
    if json {
        output::out_json(
            &serde_json::json!({"granted": granted, "action": action, "resource": resource, "malformed": malformed}),
        );
    } else {
        for m in &malformed {
            output::err(format_args!("warning: {}", output::field(m)));
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
