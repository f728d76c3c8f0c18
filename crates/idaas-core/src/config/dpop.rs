//! `dpop`: DPoP-bound tokens (RFC 9449) for the credential providers. The
//! provider signs a proof with its key on every token request and resource
//! call; a stolen token is useless without the key.
//!
//! ```json
//! "dpop": true
//! "dpop": { "keyFile": "/etc/idaas/dpop-key.pem" }
//! ```
//!
//! Without `keyFile` each process generates an ES256 key at start (tokens
//! are then never shared between processes); with it, every process with
//! the file holds the same key (ES256, EdDSA or RS256 private key PEM).

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::error::{ConfigError, FieldProblem};
use super::token_cache_redis::{find, wrong_type};

/// The JSON path of this field.
pub const DPOP_PATH: &str = "dpop";
/// The JSON path of the key file.
pub const DPOP_KEY_FILE_PATH: &str = "dpop.keyFile";

/// `dpop`: bind the providers' tokens to a DPoP key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpopConfig {
    /// `keyFile`: a PEM private key (PKCS#8, PKCS#1 or SEC1; ES256, EdDSA
    /// or RS256). `None`: a fresh ES256 key per process.
    pub key_file: Option<PathBuf>,
}

impl DpopConfig {
    /// DPoP with a key generated per process.
    pub fn generated() -> Self {
        Self::default()
    }

    /// DPoP with the key in `path`.
    pub fn key_file(path: impl Into<PathBuf>) -> Self {
        Self {
            key_file: Some(path.into()),
        }
    }

    /// `dpop` of a parsed configuration document: `true`, `false`, `null`
    /// or an object with `keyFile`.
    pub(crate) fn read(root: &Map<String, Value>) -> Result<Option<Self>, ConfigError> {
        let object = match find(root, "dpop") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::Bool(true)) => return Ok(Some(Self::generated())),
            Some(Value::Object(o)) => o,
            Some(other) => {
                return Err(wrong_type(
                    DPOP_PATH,
                    "true, false or an object with keyFile",
                    other,
                ));
            }
        };
        match find(object, "key_file") {
            None | Some(Value::Null) => Ok(Some(Self::generated())),
            Some(Value::String(s)) if s.trim().is_empty() => Err(ConfigError::field(
                DPOP_KEY_FILE_PATH,
                FieldProblem::Empty,
                "is empty; set it to the path of a PEM private key, or remove it to generate a key per process",
            )),
            Some(Value::String(s)) => Ok(Some(Self::key_file(s))),
            Some(other) => Err(wrong_type(DPOP_KEY_FILE_PATH, "a string", other)),
        }
    }

    /// The redacted JSON form (the path, never the key).
    pub(crate) fn to_json(&self) -> Value {
        match &self.key_file {
            None => Value::Bool(true),
            Some(path) => serde_json::json!({ "keyFile": path.to_string_lossy() }),
        }
    }

    /// Checks that the key file, if any, is readable (its contents are
    /// parsed where the key is loaded).
    pub(crate) fn check_environment(&self) -> Result<(), ConfigError> {
        let Some(path) = &self.key_file else {
            return Ok(());
        };
        std::fs::metadata(path)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                if m.is_file() {
                    Ok(())
                } else {
                    Err("not a regular file".into())
                }
            })
            .map_err(|reason| {
                ConfigError::field(
                    DPOP_KEY_FILE_PATH,
                    FieldProblem::InvalidFile,
                    format!(
                        "cannot read {}: {reason}; give a PEM private key file",
                        path.display()
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    /// A valid configuration with `"dpop": <dpop>`.
    fn with(dpop: &str) -> Result<ClientConfig, ConfigError> {
        let mut document = serde_json::json!({
            "idaasInstanceId": "i", "clientId": "c", "issuer": "https://i.example",
            "tokenEndpoint": "https://i.example/token",
            "authnConfiguration": { "authnMethod": "CLIENT_SECRET_POST", "clientSecretEnvVarName": "S" },
        });
        document["dpop"] = serde_json::from_str(dpop).unwrap();
        ClientConfig::from_json_str(&document.to_string())
    }

    #[test]
    fn reads_true_false_and_the_key_file_in_any_spelling() {
        assert_eq!(with("true").unwrap().dpop, Some(DpopConfig::generated()));
        assert_eq!(with("false").unwrap().dpop, None);
        assert_eq!(with("null").unwrap().dpop, None);
        assert_eq!(with("{}").unwrap().dpop, Some(DpopConfig::generated()));
        for spelling in ["keyFile", "key_file", "KeyFile"] {
            assert_eq!(
                with(&format!(r#"{{"{spelling}":"/k.pem"}}"#)).unwrap().dpop,
                Some(DpopConfig::key_file("/k.pem"))
            );
        }
        let c = with(r#"{"keyFile":"/k.pem"}"#).unwrap();
        assert_eq!(c.to_redacted_json()["dpop"]["keyFile"], "/k.pem");
        assert_eq!(with("true").unwrap().to_redacted_json()["dpop"], true);
        assert!(
            with("false")
                .unwrap()
                .to_redacted_json()
                .get("dpop")
                .is_none()
        );
    }

    #[test]
    fn errors_name_the_field() {
        for (dpop, path, problem) in [
            ("\"yes\"", DPOP_PATH, FieldProblem::WrongType),
            ("1", DPOP_PATH, FieldProblem::WrongType),
            (
                r#"{"keyFile":" "}"#,
                DPOP_KEY_FILE_PATH,
                FieldProblem::Empty,
            ),
            (
                r#"{"keyFile":5}"#,
                DPOP_KEY_FILE_PATH,
                FieldProblem::WrongType,
            ),
        ] {
            let e = with(dpop).unwrap_err();
            assert_eq!(e.field_path(), Some(path), "{dpop}: {e}");
            assert_eq!(e.problem(), Some(problem), "{dpop}: {e}");
        }
        let missing = with(r#"{"keyFile":"/nonexistent/dpop.pem"}"#).unwrap();
        let env: crate::config::MapEnv = [("S", "secret")].into_iter().collect();
        let e = missing.check_environment(&env).unwrap_err();
        assert_eq!(e.field_path(), Some(DPOP_KEY_FILE_PATH), "{e}");
        assert_eq!(e.problem(), Some(FieldProblem::InvalidFile), "{e}");
        assert!(e.to_string().contains("/nonexistent/dpop.pem"), "{e}");
        // tokens the providers cannot bind
        let plugin = ClientConfig::from_json_str(
            r#"{"idaasInstanceId":"i","clientId":"c","issuer":"https://i.example","tokenEndpoint":"https://i.example/token",
                "authnConfiguration":{"authnMethod":"PLUGIN","pluginName":"p"},"dpop":true}"#,
        )
        .unwrap_err();
        assert_eq!(plugin.field_path(), Some(DPOP_PATH), "{plugin}");
        assert_eq!(
            plugin.problem(),
            Some(FieldProblem::Unsupported),
            "{plugin}"
        );
    }
}
