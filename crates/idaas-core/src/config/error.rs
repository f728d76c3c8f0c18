//! Configuration errors: each names the file or the JSON path of the field at
//! fault, and says why and what to do.

use std::fmt;
use std::path::PathBuf;

/// What is wrong with a configuration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldProblem {
    /// A required field is absent or `null`.
    Missing,
    /// A string field is empty or only whitespace.
    Empty,
    /// The JSON value has the wrong type.
    WrongType,
    /// An enumerated field has a value outside its allowed set.
    UnknownValue,
    /// The field belongs to another `authnMethod`.
    NotForMethod,
    /// A number is outside its allowed range.
    OutOfRange,
    /// A scope string does not follow `audience|scope`.
    InvalidScope,
    /// A scope string names more than one audience.
    MultipleAudiences,
    /// An endpoint is not a usable URL.
    InvalidUrl,
    /// The environment variable the field names is unset or empty.
    EnvVarNotSet,
    /// Two keys normalise to the same field (e.g. `clientId` and `client_id`).
    Duplicate,
    /// A combination the SDK does not support (e.g. OIDC outside Kubernetes).
    Unsupported,
    /// The file the field names cannot be read or does not parse (e.g. a
    /// `caCertificateFile` that is not PEM).
    InvalidFile,
}

/// An error loading or validating an IDaaS client configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No configuration file at the resolved location.
    #[error(
        "IDaaS config file not found at {path} ({origin}); create it or set CLOUD_IDAAS_CONFIG_PATH to its location"
    )]
    NotFound {
        /// The path looked at.
        path: PathBuf,
        /// Where the path came from.
        origin: ConfigOrigin,
    },
    /// The file exists but cannot be read.
    #[error("cannot read IDaaS config file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The file is larger than any sane configuration.
    #[error(
        "IDaaS config file {path} is {size} bytes, over the {limit}-byte limit; is it the right file?"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The text is not a JSON object.
    #[error("{}: {reason}", source_name(.path))]
    Syntax {
        /// The file, if the text came from one.
        path: Option<PathBuf>,
        /// Why it could not be parsed, with line and column when known.
        reason: String,
    },
    /// A field is missing or invalid.
    #[error("{path}: {reason}")]
    Field {
        /// The JSON path of the field, e.g. `authnConfiguration.clientSecretEnvVarName`.
        path: String,
        /// The kind of problem.
        problem: FieldProblem,
        /// Why, in words, with what to do.
        reason: String,
    },
}

fn source_name(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("IDaaS config file {}", p.display()),
        None => "IDaaS config".to_owned(),
    }
}

impl ConfigError {
    pub(crate) fn field(
        path: impl Into<String>,
        problem: FieldProblem,
        reason: impl Into<String>,
    ) -> Self {
        Self::Field {
            path: path.into(),
            problem,
            reason: reason.into(),
        }
    }

    /// The JSON path of the offending field, for field errors.
    pub fn field_path(&self) -> Option<&str> {
        match self {
            Self::Field { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The kind of field problem, for field errors.
    pub fn problem(&self) -> Option<FieldProblem> {
        match self {
            Self::Field { problem, .. } => Some(*problem),
            _ => None,
        }
    }

    /// Attaches the file the text came from to a syntax error.
    pub(crate) fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            Self::Syntax { path: None, reason } => Self::Syntax {
                path: Some(file.to_owned()),
                reason,
            },
            other => other,
        }
    }
}

/// Where the configuration path came from (the reference SDK's load order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// Passed explicitly by the caller.
    Explicit,
    /// The `CLOUD_IDAAS_CONFIG_PATH` environment variable.
    EnvVar,
    /// The default `~/.cloud_idaas/client-config.json`.
    Default,
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Explicit => "path given explicitly",
            Self::EnvVar => "from CLOUD_IDAAS_CONFIG_PATH",
            Self::Default => "the default location",
        })
    }
}
