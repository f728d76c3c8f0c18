//! Reading the JSON document into a [`Draft`]: key normalisation, types and
//! enumerated values, each error naming its JSON path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::draft::{Draft, allowed};
use super::error::{ConfigError, FieldProblem};
use super::keys::{self, Key};
use super::model::{AuthnMethod, DeployEnvironment, IdentityType, SecretSource};

/// The fields of one JSON object, by canonical key.
pub(super) struct Fields<'a> {
    prefix: Option<&'static str>,
    values: BTreeMap<&'static str, &'a Value>,
}

pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    pub(super) fn collect(
        object: &'a Map<String, Value>,
        known: &[Key],
        prefix: Option<&'static str>,
    ) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        let mut spelled: BTreeMap<&'static str, &'a str> = BTreeMap::new();
        for (raw_key, value) in object {
            let snake = keys::normalise(raw_key);
            let Some(key) = known.iter().find(|k| k.snake == keys::alias(&snake)) else {
                continue; // unknown keys are ignored, as by the reference SDK
            };
            if let Some(first) = spelled.insert(key.camel, raw_key) {
                return Err(ConfigError::field(
                    path(prefix, key.camel),
                    FieldProblem::Duplicate,
                    format!("given twice, as {first:?} and {raw_key:?}; keep one"),
                ));
            }
            if !value.is_null() {
                values.insert(key.camel, value);
            }
        }
        Ok(Self { prefix, values })
    }

    fn path(&self, key: Key) -> String {
        path(self.prefix, key.camel)
    }

    fn wrong_type(&self, key: Key, expected: &str, found: &Value) -> ConfigError {
        ConfigError::field(
            self.path(key),
            FieldProblem::WrongType,
            format!("expected {expected}, found {}", kind_of(found)),
        )
    }

    fn string(&self, key: Key) -> Result<Option<String>, ConfigError> {
        match self.values.get(key.camel) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    fn object(&self, key: Key) -> Result<Option<&'a Map<String, Value>>, ConfigError> {
        match self.values.get(key.camel) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(other) => Err(self.wrong_type(key, "an object", other)),
        }
    }

    pub(super) fn millis(&self, key: Key) -> Result<Option<u64>, ConfigError> {
        match self.values.get(key.camel) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                ConfigError::field(
                    self.path(key),
                    FieldProblem::WrongType,
                    format!("expected a whole number of milliseconds, found {n}"),
                )
            }),
            Some(other) => Err(self.wrong_type(key, "a whole number of milliseconds", other)),
        }
    }

    fn bool(&self, key: Key) -> Result<Option<bool>, ConfigError> {
        match self.values.get(key.camel) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong_type(key, "true or false", other)),
        }
    }

    pub(super) fn enumerated<T: Copy>(
        &self,
        key: Key,
        table: &[(&'static str, T)],
    ) -> Result<Option<T>, ConfigError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        table
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, v)| Some(*v))
            .ok_or_else(|| {
                ConfigError::field(
                    self.path(key),
                    FieldProblem::UnknownValue,
                    format!(
                        "unknown value {text:?}; allowed (case-sensitive): {}",
                        allowed(table)
                    ),
                )
            })
    }
}

fn path(prefix: Option<&str>, name: &str) -> String {
    match prefix {
        Some(p) => format!("{p}.{name}"),
        None => name.to_owned(),
    }
}

/// Reads a parsed JSON document.
pub(crate) fn draft_from_value(value: &Value) -> Result<Draft, ConfigError> {
    use keys::*;
    let Value::Object(root) = value else {
        return Err(ConfigError::Syntax {
            path: None,
            reason: format!(
                "expected a JSON object at the top level, found {}",
                kind_of(value)
            ),
        });
    };
    let top = Fields::collect(root, keys::TOP_LEVEL, None)?;
    let mut draft = Draft {
        idaas_instance_id: top.string(IDAAS_INSTANCE_ID)?,
        client_id: top.string(CLIENT_ID)?,
        issuer: top.string(ISSUER)?,
        token_endpoint: top.string(TOKEN_ENDPOINT)?,
        scope: top.string(SCOPE)?,
        device_authorization_endpoint: top.string(DEVICE_AUTHORIZATION_ENDPOINT)?,
        developer_api_endpoint: top.string(DEVELOPER_API_ENDPOINT)?,
        open_api_endpoint: top.string(OPEN_API_ENDPOINT)?,
        ..Draft::default()
    };
    if let Some(authn) = top.object(AUTHN_CONFIGURATION)? {
        let f = Fields::collect(authn, keys::AUTHN, Some(AUTHN_CONFIGURATION.camel))?;
        draft.authn_present = true;
        draft.identity_type = f.enumerated(IDENTITY_TYPE, &IdentityType::ALL)?;
        draft.authn_method = f.enumerated(AUTHN_METHOD, &AuthnMethod::ALL)?;
        draft.client_secret = f
            .string(CLIENT_SECRET_ENV_VAR_NAME)?
            .map(SecretSource::EnvVar);
        draft.private_key = f
            .string(PRIVATE_KEY_ENV_VAR_NAME)?
            .map(SecretSource::EnvVar);
        draft.application_federated_credential_name =
            f.string(APPLICATION_FEDERATED_CREDENTIAL_NAME)?;
        draft.client_deploy_environment =
            f.enumerated(CLIENT_DEPLOY_ENVIRONMENT, &DeployEnvironment::ALL)?;
        draft.oidc_token_file_path = f.string(OIDC_TOKEN_FILE_PATH)?;
        draft.oidc_token_file_path_env_var_name = f.string(OIDC_TOKEN_FILE_PATH_ENV_VAR_NAME)?;
        draft.client_x509_certificate = f.string(CLIENT_X509_CERTIFICATE)?;
        draft.x509_cert_chains = f.string(X509_CERT_CHAINS)?;
        draft.human_authenticate_client_id = f.string(HUMAN_AUTHENTICATE_CLIENT_ID)?;
        draft.plugin_name = f.string(PLUGIN_NAME)?;
    }
    if let Some(http) = top.object(HTTP_CONFIGURATION)? {
        let f = Fields::collect(http, keys::HTTP, Some(HTTP_CONFIGURATION.camel))?;
        draft.connect_timeout_ms = f.millis(CONNECT_TIMEOUT)?;
        draft.read_timeout_ms = f.millis(READ_TIMEOUT)?;
        draft.unsafe_ignore_ssl_cert = f.bool(UNSAFE_IGNORE_SSL_CERT)?;
        draft.ca_certificate_file = f.string(CA_CERTIFICATE_FILE)?;
        draft.client_certificate_file = f.string(CLIENT_CERTIFICATE_FILE)?;
        draft.client_key_file = f.string(CLIENT_KEY_FILE)?;
        draft.client_certificate_env_var_name = f.string(CLIENT_CERTIFICATE_ENV_VAR_NAME)?;
        draft.client_key_env_var_name = f.string(CLIENT_KEY_ENV_VAR_NAME)?;
    }
    draft.token_cache_redis = super::RedisCacheConfig::read(root)?;
    draft.dpop = super::DpopConfig::read(root)?;
    draft.token_cache = super::TokenCacheConfig::read(root)?;
    Ok(draft)
}

/// Parses configuration text: a UTF-8 JSON object.
pub(crate) fn draft_from_str(text: &str) -> Result<Draft, ConfigError> {
    if text.starts_with('\u{feff}') {
        return Err(ConfigError::Syntax {
            path: None,
            reason: "starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM"
                .into(),
        });
    }
    if text.trim().is_empty() {
        return Err(ConfigError::Syntax {
            path: None,
            reason: "is empty; expected a JSON object".into(),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
        path: None,
        reason: format!(
            "is not valid JSON: {} at line {} column {}",
            describe_json_error(&e),
            e.line(),
            e.column()
        ),
    })?;
    draft_from_value(&value)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; we add our own.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
