//! `idaas`: the command-line tool of the idaas SDK.
//!
//! Exit codes (one map, in [`exit::exit_code`]): 0 ok, 1 denied, inactive
//! or invalid, 2 usage or configuration, 3 network or server,
//! 4 credentials refused.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod exit;
mod logging;
mod output;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

use crate::exit::{Code, Failure};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let json = cli.output.json;
    if let Err(message) = logging::init(cli.output.verbose, cli.output.log_level.as_deref(), json) {
        let failure = Failure::usage(message, json);
        failure.report();
        return failure.code.exit();
    }
    match commands::run(cli) {
        Ok(code) => code.exit(),
        Err(failure) => {
            failure.report();
            failure.code.exit()
        }
    }
}

/// A command line clap refused: its text on stderr (help and version on
/// stdout, exit 0), and under `--json` `{"error", "exit_code": 2}` on stdout.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let text = error.render().to_string();
        output::out(text.trim_end());
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            Code::Usage.exit()
        } else {
            Code::Ok.exit()
        };
    }
    if std::env::args_os().any(|a| a == "--json") {
        let text = error.render().to_string();
        let first = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        use std::io::Write;
        let value = serde_json::json!({"error": first, "exit_code": Code::Usage as u8});
        let _ = writeln!(std::io::stdout().lock(), "{}", output::json_line(&value));
        output::err(text.trim_end());
    } else {
        let _ = error.print();
    }
    Code::Usage.exit()
}
