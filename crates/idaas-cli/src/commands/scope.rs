//! `idaas scope check --scope S… ACTION RESOURCE`.

use idaas::scope::ScopeSet;

use crate::cli::ScopeCommand;
use crate::exit::{Code, Failure};

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
        println!(
            "{}",
            serde_json::json!({"granted": granted, "action": action, "resource": resource, "malformed": malformed})
        );
    } else {
        for m in &malformed {
            eprintln!("warning: {m}");
        }
        println!(
            "{} {action} on {resource}",
            if granted { "granted:" } else { "denied:" }
        );
    }
    Ok(if granted { Code::Ok } else { Code::Denied })
}
