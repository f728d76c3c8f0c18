//! Exit codes and how failures are reported.

use std::process::ExitCode;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// A check said no: access denied, token inactive.
    #[allow(dead_code)]
    Denied = 1,
    /// Bad usage or configuration.
    Usage = 2,
    /// The network or the server failed.
    #[allow(dead_code)]
    Network = 3,
    /// The server refused our credentials.
    #[allow(dead_code)]
    Auth = 4,
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> Self {
        ExitCode::from(code as u8)
    }
}

/// A failed command: its exit code and what to tell the user.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: Code,
    /// The message for stderr.
    pub message: String,
    /// Print the message as JSON (`{"error": …}`) on stdout too.
    pub json: bool,
}

impl Failure {
    /// A failure with the given code.
    pub fn new(code: Code, message: impl Into<String>, json: bool) -> Self {
        Self {
            code,
            message: message.into(),
            json,
        }
    }

    /// Writes the failure: `idaas: <message>` on stderr, and a JSON object on
    /// stdout in `--json` mode.
    pub fn report(&self) {
        if self.json {
            println!(
                "{}",
                serde_json::json!({ "error": self.message, "exit_code": self.code as u8 })
            );
        }
        eprintln!("idaas: {}", self.message);
    }
}
