//! `idaas config check [FILE]`.

use idaas::config::{ClientConfig, ConfigError};

use crate::cli::ConfigCommand;
use crate::exit::{Code, Failure};

pub fn run(command: ConfigCommand, json: bool) -> Result<Code, Failure> {
    match command {
        ConfigCommand::Check { file } => check(file.as_deref(), json),
    }
}

fn check(file: Option<&std::path::Path>, json: bool) -> Result<Code, Failure> {
    let config = ClientConfig::load(file).map_err(|e| config_failure(&e, json))?;
    let view = config.to_redacted_json();
    if json {
        println!("{}", serde_json::json!({ "valid": true, "config": view }));
    } else {
        println!(
            "configuration is valid ({} authentication)",
            config.authn.method().as_str()
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&view).expect("a JSON value always serializes")
        );
    }
    Ok(Code::Ok)
}

fn config_failure(error: &ConfigError, json: bool) -> Failure {
    Failure::new(Code::Usage, format!("invalid configuration: {error}"), json)
}
