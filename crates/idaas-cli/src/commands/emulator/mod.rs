//! `idaas emulator [--port N] [--pam-data FILE] [--write-config PATH]`:
//! serve until Ctrl-C, with a confidential client, a public device client, a
//! native (loopback) client, demo users for its login page and PAM data;
//! `idaas emulator approve|deny CODE --url URL` decides a device code and
//! `idaas emulator sign-in URL` answers a login page from another terminal.

mod approve;
#[cfg(feature = "emulator")]
mod pam_data;
#[cfg(feature = "emulator")]
mod serve;
mod sign_in;

use std::path::PathBuf;

use crate::exit::{Code, Failure};

/// The arguments of `idaas emulator`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    /// Decide a device code instead of serving.
    #[command(subcommand)]
    pub action: Option<EmulatorAction>,
    /// The port (default: an ephemeral one, printed at start).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The confidential (M2M) client to register.
    #[arg(long, default_value = "demo-client")]
    pub client_id: String,
    /// Its secret.
    #[arg(long, default_value = "demo-secret", allow_hyphen_values = true)]
    pub client_secret: String,
    /// The public client of the device flow.
    #[arg(long, default_value = "demo-device")]
    pub device_client_id: String,
    /// The public native client of `idaas login` (loopback redirect).
    #[arg(long, default_value = "demo-native")]
    pub native_client_id: String,
    /// PAM data to load instead of the built-in demo set (JSON, see docs/cli.md).
    #[arg(long, value_name = "FILE")]
    pub pam_data: Option<PathBuf>,
    /// Also write the client configuration (client-config.json) to PATH.
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
    /// The device-flow polling interval it asks for, seconds.
    #[arg(long, default_value_t = 5)]
    pub device_interval: u64,
}

/// What `idaas emulator …` does besides serving.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum EmulatorAction {
    /// Approve a device code (what the /device page's Approve button does).
    Approve(approve::DecideArgs),
    /// Deny a device code.
    Deny(approve::DecideArgs),
    /// Answer the login page of an authorization URL (what a person does
    /// in the browser): sign in as a demo user, or deny.
    SignIn(sign_in::SignInArgs),
}

/// Serves (or decides a code, with a subcommand).
pub(crate) async fn run(args: EmulatorArgs, json: bool) -> Result<Code, Failure> {
    match args.action {
        Some(EmulatorAction::Approve(a)) => return approve::run(a, true, json).await,
        Some(EmulatorAction::Deny(a)) => return approve::run(a, false, json).await,
        Some(EmulatorAction::SignIn(a)) => return sign_in::run(a, json).await,
        None => {}
    }
    serve(args, json).await
}

/// Serving needs the emulator, which a build without the `emulator` feature
/// does not link.
#[cfg(feature = "emulator")]
async fn serve(args: EmulatorArgs, json: bool) -> Result<Code, Failure> {
    serve::run(args, json).await
}

#[cfg(not(feature = "emulator"))]
async fn serve(_: EmulatorArgs, json: bool) -> Result<Code, Failure> {
    Err(without_emulator("idaas emulator", json))
}

/// The failure of a command that needs the emulator in a build without it.
#[cfg(not(feature = "emulator"))]
pub(crate) fn without_emulator(command: &str, json: bool) -> Failure {
    Failure::usage(
        format!(
            "{command} needs the embedded emulator, and this idaas was built without it: \
             build with the `emulator` feature (cargo install idaas-cli --features emulator, \
             or cargo run -p idaas-cli --features emulator -- …)"
        ),
        json,
    )
}
