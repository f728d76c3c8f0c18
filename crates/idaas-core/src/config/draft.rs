//! The unvalidated form of a configuration, shared by the JSON reader and the
//! builder, and the validation that turns it into a [`ClientConfig`].
//!
//! Validation follows the reference SDK's order (its §1.8) so the first error
//! reported is the one it would report, but every error names its field and
//! problems the reference finds late (empty strings, missing env vars, bad
//! endpoints) are found here.

use std::path::PathBuf;
use std::time::Duration;

use super::error::{ConfigError, FieldProblem};
use super::keys::{self, Key};
use super::model::*;
use super::scope::ScopeSpec;
use crate::error::TransportError;
use crate::http::{ClientIdentity, PemSource, check_endpoint};

/// Every field, optional; what the reader or builder collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub idaas_instance_id: Option<String>,
    pub client_id: Option<String>,
    pub issuer: Option<String>,
    pub token_endpoint: Option<String>,
    pub scope: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub developer_api_endpoint: Option<String>,
    pub open_api_endpoint: Option<String>,
    pub authn_present: bool,
    pub identity_type: Option<IdentityType>,
    pub authn_method: Option<AuthnMethod>,
    pub client_secret: Option<SecretSource>,
    pub private_key: Option<SecretSource>,
    pub application_federated_credential_name: Option<String>,
    pub client_deploy_environment: Option<DeployEnvironment>,
    pub oidc_token_file_path: Option<String>,
    pub oidc_token_file_path_env_var_name: Option<String>,
    pub client_x509_certificate: Option<String>,
    pub x509_cert_chains: Option<String>,
    pub human_authenticate_client_id: Option<String>,
    pub plugin_name: Option<String>,
    pub connect_timeout_ms: Option<u64>,
    pub read_timeout_ms: Option<u64>,
    pub unsafe_ignore_ssl_cert: Option<bool>,
    pub ca_certificate_file: Option<String>,
    pub client_certificate_file: Option<String>,
    pub client_key_file: Option<String>,
    pub client_certificate_env_var_name: Option<String>,
    pub client_key_env_var_name: Option<String>,
    /// A client identity given in code (the builder), instead of the four above.
    pub client_identity: Option<crate::http::ClientIdentity>,
    pub token_cache_redis: Option<super::RedisCacheConfig>,
    pub dpop: Option<super::DpopConfig>,
    pub token_cache: super::TokenCacheConfig,
}

fn authn_path(key: Key) -> String {
    format!("{}.{}", keys::AUTHN_CONFIGURATION.camel, key.camel)
}

fn http_path(key: Key) -> String {
    format!("{}.{}", keys::HTTP_CONFIGURATION.camel, key.camel)
}

/// A required, non-blank string.
fn required(value: &Option<String>, path: &str, what: &str) -> Result<String, ConfigError> {
    match value {
        None => Err(ConfigError::field(
            path,
            FieldProblem::Missing,
            format!("missing; set it to {what}"),
        )),
        Some(v) if v.trim().is_empty() => Err(ConfigError::field(
            path,
            FieldProblem::Empty,
            format!("is empty; set it to {what}"),
        )),
        Some(v) => Ok(v.clone()),
    }
}

fn required_secret(
    value: &Option<SecretSource>,
    path: &str,
    what: &str,
) -> Result<SecretSource, ConfigError> {
    match value {
        None => Err(ConfigError::field(
            path,
            FieldProblem::Missing,
            format!("missing; set it to {what}"),
        )),
        Some(SecretSource::EnvVar(name)) if name.trim().is_empty() => Err(ConfigError::field(
            path,
            FieldProblem::Empty,
            format!("is empty; set it to {what}"),
        )),
        Some(source) => Ok(source.clone()),
    }
}

/// Normalises an endpoint: no scheme → `https://` (as the reference does),
/// the scheme lower-cased (schemes are case-insensitive). Plain `http://` is
/// kept for loopback hosts (local emulators and tests) and **refused** for
/// any other host, by the transport's one rule
/// ([`check_endpoint`](crate::http::check_endpoint)); the reference
/// silently upgraded it to https, which hid a wrong URL. The result must
/// parse as a URL with a host.
pub(crate) fn normalise_endpoint(path: &str, raw: &str) -> Result<String, ConfigError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ConfigError::field(
            path,
            FieldProblem::Empty,
            "is empty; set it to an https URL",
        ));
    }
    let candidate = match raw.split_once("://") {
        Some((scheme, rest))
            if ["https", "http"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s)) =>
        {
            format!("{}://{rest}", scheme.to_ascii_lowercase())
        }
        Some(_) => {
            return Err(ConfigError::field(
                path,
                FieldProblem::InvalidUrl,
                format!("{raw:?} has an unsupported scheme; use an https URL"),
            ));
        }
        None => format!("https://{raw}"),
    };
    match check_endpoint(&candidate) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(candidate),
        Ok(_) => Err(ConfigError::field(
            path,
            FieldProblem::InvalidUrl,
            format!("{raw:?} has no host; use an https URL"),
        )),
        Err(TransportError::InsecureScheme { host }) => Err(ConfigError::field(
            path,
            FieldProblem::InvalidUrl,
            format!(
                "{raw:?} uses plain http to {host}, which is not a loopback address; \
                 only 127.0.0.0/8, ::1 and localhost (as written) may use http: write https://"
            ),
        )),
        Err(e) => Err(ConfigError::field(
            path,
            FieldProblem::InvalidUrl,
            format!("{raw:?} is not a valid URL ({e})"),
        )),
    }
}

fn optional_endpoint(value: &Option<String>, key: Key) -> Result<Option<String>, ConfigError> {
    value
        .as_deref()
        .map(|v| normalise_endpoint(key.camel, v))
        .transpose()
}

fn timeout(value: Option<u64>, default_ms: u64, key: Key) -> Result<Duration, ConfigError> {
    let ms = value.unwrap_or(default_ms);
    if !TIMEOUT_RANGE_MS.contains(&ms) {
        return Err(ConfigError::field(
            http_path(key),
            FieldProblem::OutOfRange,
            format!(
                "{ms} ms is outside the allowed range {}..={} ms",
                TIMEOUT_RANGE_MS.start(),
                TIMEOUT_RANGE_MS.end()
            ),
        ));
    }
    Ok(Duration::from_millis(ms))
}

/// `httpConfiguration.caCertificateFile`: a non-blank path, if given. Its
/// contents are checked by [`ClientConfig::check_environment`] and when the
/// HTTP client is built.
fn ca_certificate_file(value: &Option<String>) -> Result<Option<PathBuf>, ConfigError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Err(ConfigError::field(
            http_path(keys::CA_CERTIFICATE_FILE),
            FieldProblem::Empty,
            "is empty; set it to the path of a PEM file of CA certificates, or remove it",
        )),
        Some(v) => Ok(Some(PathBuf::from(v))),
    }
}

/// One half of the mutual TLS identity: a file (`file_key`) or an
/// environment variable (`env_key`), not both, non-blank.
fn pem_source(
    file: &Option<String>,
    env: &Option<String>,
    file_key: Key,
    env_key: Key,
    what: &str,
) -> Result<Option<PemSource>, ConfigError> {
    let blank = |key: Key, of: &str| {
        ConfigError::field(
            http_path(key),
            FieldProblem::Empty,
            format!("is empty; set it to {of}, or remove it"),
        )
    };
    match (file, env) {
        (Some(_), Some(_)) => Err(ConfigError::field(
            http_path(env_key),
            FieldProblem::Unsupported,
            format!(
                "is set together with {}; give the {what} from a file or from an environment variable, not both",
                http_path(file_key)
            ),
        )),
        (Some(f), None) if f.trim().is_empty() => {
            Err(blank(file_key, &format!("the path of the PEM {what} file")))
        }
        (Some(f), None) => Ok(Some(PemSource::File(PathBuf::from(f)))),
        (None, Some(v)) if v.trim().is_empty() => Err(blank(
            env_key,
            &format!("the name of the environment variable holding the PEM {what}"),
        )),
        (None, Some(v)) => Ok(Some(PemSource::EnvVar(v.clone()))),
        (None, None) => Ok(None),
    }
}

/// `httpConfiguration.clientCertificate*` and `clientKey*`: both halves or
/// neither. Their contents are checked by [`ClientConfig::check_environment`]
/// and when the HTTP client is built.
fn client_identity(draft: &Draft) -> Result<Option<ClientIdentity>, ConfigError> {
    use keys::*;
    let certificate = pem_source(
        &draft.client_certificate_file,
        &draft.client_certificate_env_var_name,
        CLIENT_CERTIFICATE_FILE,
        CLIENT_CERTIFICATE_ENV_VAR_NAME,
        "client certificate",
    )?;
    let key = pem_source(
        &draft.client_key_file,
        &draft.client_key_env_var_name,
        CLIENT_KEY_FILE,
        CLIENT_KEY_ENV_VAR_NAME,
        "client private key",
    )?;
    match (certificate, key) {
        (Some(certificate), Some(key)) => Ok(Some(ClientIdentity::new(certificate, key))),
        (None, None) => Ok(draft.client_identity.clone()),
        (Some(_), None) => Err(ConfigError::field(
            http_path(CLIENT_KEY_FILE),
            FieldProblem::Missing,
            "missing; a client certificate needs its private key (clientKeyFile or clientKeyEnvVarName)",
        )),
        (None, Some(_)) => Err(ConfigError::field(
            http_path(CLIENT_CERTIFICATE_FILE),
            FieldProblem::Missing,
            "missing; a client key needs its certificate (clientCertificateFile or clientCertificateEnvVarName)",
        )),
    }
}

/// Which `authnConfiguration` fields each method uses (besides the common
/// `identityType`, `authnMethod` and `humanAuthenticateClientId`).
fn fields_of(method: AuthnMethod) -> &'static [Key] {
    use keys::*;
    match method {
        AuthnMethod::ClientSecretBasic
        | AuthnMethod::ClientSecretPost
        | AuthnMethod::ClientSecretJwt => &[CLIENT_SECRET_ENV_VAR_NAME],
        AuthnMethod::PrivateKeyJwt => &[PRIVATE_KEY_ENV_VAR_NAME],
        AuthnMethod::Pkcs7 => &[
            APPLICATION_FEDERATED_CREDENTIAL_NAME,
            CLIENT_DEPLOY_ENVIRONMENT,
        ],
        AuthnMethod::Oidc => &[
            APPLICATION_FEDERATED_CREDENTIAL_NAME,
            CLIENT_DEPLOY_ENVIRONMENT,
            OIDC_TOKEN_FILE_PATH,
            OIDC_TOKEN_FILE_PATH_ENV_VAR_NAME,
        ],
        AuthnMethod::Pca => &[
            APPLICATION_FEDERATED_CREDENTIAL_NAME,
            CLIENT_X509_CERTIFICATE,
            X509_CERT_CHAINS,
            PRIVATE_KEY_ENV_VAR_NAME,
        ],
        AuthnMethod::Plugin => &[PLUGIN_NAME],
    }
}

impl Draft {
    /// The method-specific fields that are set, with their keys.
    fn present_method_fields(&self) -> Vec<Key> {
        use keys::*;
        let mut out = Vec::new();
        let mut mark = |set: bool, key: Key| {
            if set {
                out.push(key)
            }
        };
        mark(self.client_secret.is_some(), CLIENT_SECRET_ENV_VAR_NAME);
        mark(self.private_key.is_some(), PRIVATE_KEY_ENV_VAR_NAME);
        mark(
            self.application_federated_credential_name.is_some(),
            APPLICATION_FEDERATED_CREDENTIAL_NAME,
        );
        mark(
            self.client_deploy_environment.is_some(),
            CLIENT_DEPLOY_ENVIRONMENT,
        );
        mark(self.oidc_token_file_path.is_some(), OIDC_TOKEN_FILE_PATH);
        mark(
            self.oidc_token_file_path_env_var_name.is_some(),
            OIDC_TOKEN_FILE_PATH_ENV_VAR_NAME,
        );
        mark(
            self.client_x509_certificate.is_some(),
            CLIENT_X509_CERTIFICATE,
        );
        mark(self.x509_cert_chains.is_some(), X509_CERT_CHAINS);
        mark(self.plugin_name.is_some(), PLUGIN_NAME);
        out
    }

    pub(crate) fn validate(self) -> Result<ClientConfig, ConfigError> {
        use keys::*;
        let idaas_instance_id = required(
            &self.idaas_instance_id,
            IDAAS_INSTANCE_ID.camel,
            "the IDaaS instance id (idaas_…)",
        )?;
        let client_id = required(
            &self.client_id,
            CLIENT_ID.camel,
            "the application's client id",
        )?;
        let issuer = normalise_endpoint(
            ISSUER.camel,
            &required(&self.issuer, ISSUER.camel, "the issuer URL")?,
        )?;
        let token_endpoint = normalise_endpoint(
            TOKEN_ENDPOINT.camel,
            &required(
                &self.token_endpoint,
                TOKEN_ENDPOINT.camel,
                "the token endpoint URL",
            )?,
        )?;
        let scope = match &self.scope {
            None => ScopeSpec::default(),
            Some(raw) => ScopeSpec::parse_field(SCOPE.camel, raw)?,
        };
        if !self.authn_present {
            return Err(ConfigError::field(
                AUTHN_CONFIGURATION.camel,
                FieldProblem::Missing,
                "missing; add an object with at least authnMethod",
            ));
        }
        let identity_type = self.identity_type.unwrap_or_default();
        let human_authenticate_client_id = match &self.human_authenticate_client_id {
            None => "iap_developer".to_owned(),
            Some(_) => required(
                &self.human_authenticate_client_id,
                &authn_path(HUMAN_AUTHENTICATE_CLIENT_ID),
                "the client id used to sign people in",
            )?,
        };
        let device_authorization_endpoint = optional_endpoint(
            &self.device_authorization_endpoint,
            DEVICE_AUTHORIZATION_ENDPOINT,
        )?;
        if identity_type == IdentityType::Human && device_authorization_endpoint.is_none() {
            return Err(ConfigError::field(
                DEVICE_AUTHORIZATION_ENDPOINT.camel,
                FieldProblem::Missing,
                "missing; identityType HUMAN signs in through the device flow and needs it",
            ));
        }
        let method_kind = self.authn_method.ok_or_else(|| {
            ConfigError::field(
                authn_path(AUTHN_METHOD),
                FieldProblem::Missing,
                format!("missing; one of {}", allowed(&AuthnMethod::ALL)),
            )
        })?;
        let method = self.method_config(method_kind)?;
        let allowed_fields = fields_of(method_kind);
        if let Some(foreign) = self
            .present_method_fields()
            .into_iter()
            .find(|k| !allowed_fields.contains(k))
        {
            let owners: Vec<&str> = AuthnMethod::ALL
                .iter()
                .filter(|(_, m)| fields_of(*m).contains(&foreign))
                .map(|(name, _)| *name)
                .collect();
            return Err(ConfigError::field(
                authn_path(foreign),
                FieldProblem::NotForMethod,
                format!(
                    "not used by authnMethod {} (it belongs to {}); remove it or change authnMethod",
                    method_kind.as_str(),
                    owners.join(", ")
                ),
            ));
        }
        if self.dpop.is_some() {
            let unbindable = if identity_type == IdentityType::Human {
                Some("identityType HUMAN")
            } else if method_kind == AuthnMethod::Plugin {
                Some("authnMethod PLUGIN (the plugin's tokens come from another service)")
            } else {
                None
            };
            if let Some(what) = unbindable {
                return Err(ConfigError::field(
                    super::DPOP_PATH,
                    FieldProblem::Unsupported,
                    format!("DPoP is not supported with {what}; remove dpop"),
                ));
            }
        }
        let http = HttpConfig {
            connect_timeout: timeout(self.connect_timeout_ms, 5_000, CONNECT_TIMEOUT)?,
            read_timeout: timeout(self.read_timeout_ms, 10_000, READ_TIMEOUT)?,
            unsafe_ignore_ssl_cert: self.unsafe_ignore_ssl_cert.unwrap_or(false),
            ca_certificate_file: ca_certificate_file(&self.ca_certificate_file)?,
            client_identity: client_identity(&self)?,
        };
        Ok(ClientConfig {
            idaas_instance_id,
            client_id,
            issuer,
            token_endpoint,
            scope,
            device_authorization_endpoint,
            developer_api_endpoint: optional_endpoint(
                &self.developer_api_endpoint,
                DEVELOPER_API_ENDPOINT,
            )?,
            open_api_endpoint: optional_endpoint(&self.open_api_endpoint, OPEN_API_ENDPOINT)?,
            authn: AuthnConfig {
                identity_type,
                human_authenticate_client_id,
                method,
            },
            http,
            token_cache_redis: self.token_cache_redis,
            dpop: self.dpop,
            token_cache: self.token_cache,
        })
    }

    fn method_config(&self, kind: AuthnMethod) -> Result<AuthnMethodConfig, ConfigError> {
        use keys::*;
        let secret = || {
            required_secret(
                &self.client_secret,
                &authn_path(CLIENT_SECRET_ENV_VAR_NAME),
                "the name of the environment variable holding the client secret",
            )
        };
        let private_key = || {
            required_secret(
                &self.private_key,
                &authn_path(PRIVATE_KEY_ENV_VAR_NAME),
                "the name of the environment variable holding the PEM private key",
            )
        };
        let federated_name = || {
            required(
                &self.application_federated_credential_name,
                &authn_path(APPLICATION_FEDERATED_CREDENTIAL_NAME),
                "the federated credential's name in IDaaS",
            )
        };
        let deploy_env = |supported: &[DeployEnvironment]| {
            let path = authn_path(CLIENT_DEPLOY_ENVIRONMENT);
            let names: Vec<&str> = supported.iter().map(|e| e.as_str()).collect();
            let env = self.client_deploy_environment.ok_or_else(|| {
                ConfigError::field(
                    &path,
                    FieldProblem::Missing,
                    format!(
                        "missing; authnMethod {} supports {}",
                        kind.as_str(),
                        names.join(", ")
                    ),
                )
            })?;
            if !supported.contains(&env) {
                return Err(ConfigError::field(
                    &path,
                    FieldProblem::Unsupported,
                    format!(
                        "{} is not supported by authnMethod {}; supported: {}",
                        env.as_str(),
                        kind.as_str(),
                        names.join(", ")
                    ),
                ));
            }
            Ok(env)
        };
        Ok(match kind {
            AuthnMethod::ClientSecretBasic => AuthnMethodConfig::ClientSecretBasic {
                client_secret: secret()?,
            },
            AuthnMethod::ClientSecretPost => AuthnMethodConfig::ClientSecretPost {
                client_secret: secret()?,
            },
            AuthnMethod::ClientSecretJwt => AuthnMethodConfig::ClientSecretJwt {
                client_secret: secret()?,
            },
            AuthnMethod::PrivateKeyJwt => AuthnMethodConfig::PrivateKeyJwt {
                private_key: private_key()?,
            },
            AuthnMethod::Pkcs7 => AuthnMethodConfig::Pkcs7 {
                application_federated_credential_name: federated_name()?,
                client_deploy_environment: deploy_env(&DeployEnvironment::PKCS7_SUPPORTED)?,
            },
            AuthnMethod::Oidc => AuthnMethodConfig::Oidc {
                application_federated_credential_name: federated_name()?,
                client_deploy_environment: deploy_env(&[DeployEnvironment::Kubernetes])?,
                token_file: OidcTokenFile {
                    path: self
                        .oidc_token_file_path
                        .as_deref()
                        .filter(|p| !p.trim().is_empty())
                        .map(PathBuf::from),
                    path_env_var_name: self
                        .oidc_token_file_path_env_var_name
                        .clone()
                        .filter(|n| !n.trim().is_empty()),
                },
            },
            AuthnMethod::Pca => AuthnMethodConfig::Pca {
                application_federated_credential_name: federated_name()?,
                client_x509_certificate: required(
                    &self.client_x509_certificate,
                    &authn_path(CLIENT_X509_CERTIFICATE),
                    "the client certificate PEM",
                )?,
                x509_cert_chains: required(
                    &self.x509_cert_chains,
                    &authn_path(X509_CERT_CHAINS),
                    "the certificate chain PEM blocks",
                )?,
                private_key: private_key()?,
            },
            AuthnMethod::Plugin => AuthnMethodConfig::Plugin {
                plugin_name: required(
                    &self.plugin_name,
                    &authn_path(PLUGIN_NAME),
                    "the registered plugin's name, e.g. alibabacloudPluginCredentialProvider",
                )?,
            },
        })
    }
}

/// `A, B, C` from an enum's value table.
pub(crate) fn allowed<T>(table: &[(&'static str, T)]) -> String {
    table
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}
