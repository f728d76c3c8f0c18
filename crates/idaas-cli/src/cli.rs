//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Machine-to-machine and user identity from the shell: IDaaS tokens,
/// OAuth/OIDC flows, PAM and scope checks.
#[derive(Debug, Parser)]
#[command(name = "idaas", version, about, propagate_version = true)]
pub struct Cli {
    /// Output shared by every command.
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that shape the output of every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect IDaaS client configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `idaas config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load a configuration as the SDK does and print it with secrets redacted.
    ///
    /// Without FILE: $CLOUD_IDAAS_CONFIG_PATH, else ~/.cloud_idaas/client-config.json.
    Check {
        /// The configuration file.
        file: Option<PathBuf>,
    },
}
