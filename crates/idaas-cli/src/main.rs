//! `idaas`: the command-line tool of the idaas SDK.
//!
//! Exit codes: 0 ok, 1 denied or inactive, 2 usage or configuration error,
//! 3 network or server error, 4 authentication error.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod exit;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let outcome = commands::run(cli);
    match outcome {
        Ok(code) => code.into(),
        Err(failure) => {
            failure.report();
            failure.code.into()
        }
    }
}
