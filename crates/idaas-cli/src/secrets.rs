//! Secrets and tokens off argv: every secret argument also takes `-`
//! (read stdin), `@FILE` (read the file), and an `--…-env VAR` form
//! (read that environment variable). A value on argv is visible to every
//! local user in `ps`; docs/cli.md recommends the other forms.

use std::fmt;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exit::Failure;

/// The most bytes read for one secret (a JWT is rarely over 16 KiB).
const MAX_SECRET_BYTES: u64 = 1024 * 1024;

/// A secret as given on the command line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum SecretArg {
    /// The value itself (visible in `ps`).
    Value(String),
    /// `-`: read standard input.
    Stdin,
    /// `@FILE`: read the file.
    File(PathBuf),
}

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<redacted>)"),
            Self::Stdin => f.write_str("Stdin"),
            Self::File(path) => write!(f, "File({})", path.display()),
        }
    }
}

impl FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "-" => Self::Stdin,
            _ => match text.strip_prefix('@') {
                Some(path) if !path.is_empty() => Self::File(PathBuf::from(path)),
                _ => Self::Value(text.to_owned()),
            },
        })
    }
}

static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Strips one trailing line ending (`echo`, `cat` of an edited file).
fn trimmed(mut text: String) -> String {
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    text
}

fn read_stdin(what: &str, json: bool) -> Result<String, Failure> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(Failure::usage(
            format!(
                "{what}: standard input is already read for another argument; use @FILE or the --…-env form"
            ),
            json,
        ));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        crate::output::err(format_args!(
            "reading {what} from standard input (end with Ctrl-D)…"
        ));
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(MAX_SECRET_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("{what}: cannot read standard input: {e}"), json))?;
    finish(text, what, "standard input", json)
}

fn finish(text: String, what: &str, from: &str, json: bool) -> Result<String, Failure> {
    if text.len() as u64 > MAX_SECRET_BYTES {
        return Err(Failure::usage(
            format!("{what}: {from} holds more than {MAX_SECRET_BYTES} bytes"),
            json,
        ));
    }
    let text = trimmed(text);
    if text.is_empty() {
        return Err(Failure::usage(format!("{what}: {from} is empty"), json));
    }
    Ok(text)
}

impl SecretArg {
    /// The secret: the value, standard input or the file.
    pub(crate) fn read(&self, what: &str, json: bool) -> Result<String, Failure> {
        match self {
            Self::Value(value) => Ok(value.clone()),
            Self::Stdin => read_stdin(what, json),
            Self::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| {
                    Failure::usage(format!("{what}: cannot read {}: {e}", path.display()), json)
                })?;
                let mut text = String::new();
                file.take(MAX_SECRET_BYTES + 1)
                    .read_to_string(&mut text)
                    .map_err(|e| {
                        Failure::usage(format!("{what}: cannot read {}: {e}", path.display()), json)
                    })?;
                finish(text, what, &path.display().to_string(), json)
            }
        }
    }
}

/// The secret of `--NAME VALUE|-|@FILE` or `--NAME-env VAR`, if either is given.
pub(crate) fn optional(
    arg: Option<&SecretArg>,
    env: Option<&str>,
    what: &str,
    json: bool,
) -> Result<Option<String>, Failure> {
    if let Some(arg) = arg {
        return arg.read(what, json).map(Some);
    }
    match env {
        Some(var) => match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Some(value)),
            _ => Err(Failure::usage(
                format!("{what}: environment variable {var} is not set"),
                json,
            )),
        },
        None => Ok(None),
    }
}

/// `--client-secret VALUE|-|@FILE` or `--client-secret-env VAR`, if given.
pub(crate) fn client_secret(
    arg: Option<&SecretArg>,
    env: Option<&str>,
    json: bool,
) -> Result<Option<String>, Failure> {
    optional(arg, env, "--client-secret", json)
}

/// Like [`optional`], but the secret is required.
pub(crate) fn required(
    arg: Option<&SecretArg>,
    env: Option<&str>,
    what: &str,
    json: bool,
) -> Result<String, Failure> {
    optional(arg, env, what, json)?
        .ok_or_else(|| Failure::usage(format!("{what} is required"), json))
}

/// A token argument: given, from an env var, or else standard input.
pub(crate) fn token_or_stdin(
    arg: Option<&SecretArg>,
    env: Option<&str>,
    what: &str,
    json: bool,
) -> Result<String, Failure> {
    match optional(arg, env, what, json)? {
        Some(token) => Ok(token),
        None => read_stdin(what, json),
    }
}

#[cfg(test)]
mod tests {
    use super::SecretArg;

    #[test]
    fn forms_parse() {
        let parse = |s: &str| s.parse::<SecretArg>().unwrap();
        assert_eq!(parse("-"), SecretArg::Stdin);
        assert_eq!(parse("@/run/secret"), SecretArg::File("/run/secret".into()));
        assert_eq!(parse("-tok"), SecretArg::Value("-tok".into()));
        assert_eq!(parse("@"), SecretArg::Value("@".into()));
        assert_eq!(format!("{:?}", parse("s3cret")), "Value(<redacted>)");
    }

    #[test]
    fn files_are_read_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(
            SecretArg::File(path.clone()).read("x", false).unwrap(),
            "s3cret"
        );
        std::fs::write(&path, "\n").unwrap();
        assert!(SecretArg::File(path).read("x", false).is_err());
        let missing = SecretArg::File(dir.path().join("none")).read("--client-secret", false);
        assert!(
            missing
                .unwrap_err()
                .message
                .starts_with("--client-secret: cannot read")
        );
    }
}
