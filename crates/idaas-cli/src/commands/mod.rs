//! One module per command.

mod config;

use crate::cli::{Cli, Command};
use crate::exit::{Code, Failure};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Code, Failure> {
    match cli.command {
        Command::Config(command) => config::run(command, cli.output.json),
    }
}
