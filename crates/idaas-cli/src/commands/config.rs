//! `idaas config check [FILE]`.

use idaas::config::{ClientConfig, ConfigError};

use crate::cli::ConfigCommand;
use crate::exit::{Code, Failure};
use crate::output;

pub(super) fn run(command: ConfigCommand, json: bool) -> Result<Code, Failure> {
    match command {
        ConfigCommand::Check { file } => check(file.as_deref(), json),
    }
}

fn check(file: Option<&std::path::Path>, json: bool) -> Result<Code, Failure> {
    let config = ClientConfig::load(file).map_err(|e| config_failure(&e, json))?;
    let view = redact_urls(config.to_redacted_json());
    if json {
        output::out_json(&serde_json::json!({ "valid": true, "config": view }));
    } else {
        output::out(format_args!(
            "configuration is valid ({} authentication)",
            config.authn.method().as_str()
        ));
        output::out(output::json_pretty(&view));
    }
    Ok(Code::Ok)
}

fn config_failure(error: &ConfigError, json: bool) -> Failure {
    Failure::of(error, json)
}

/// The userinfo of every URL in the view (`https://user:pw@host/…`) as `***`.
fn redact_urls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(output::redact_userinfo(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_urls).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, redact_urls(v))).collect())
        }
        other => other,
    }
}
