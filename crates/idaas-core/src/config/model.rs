//! The typed configuration: what a loaded, validated config file holds.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::env::Environment;
use super::error::{ConfigError, FieldProblem};
use super::scope::ScopeSpec;
use crate::secret::SecretString;

/// A validated IDaaS client configuration (the reference SDK's
/// `client-config.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `idaasInstanceId`: the IDaaS instance.
    pub idaas_instance_id: String,
    /// `clientId`: the application's client id.
    pub client_id: String,
    /// `issuer`, normalised to an absolute URL.
    pub issuer: String,
    /// `tokenEndpoint`, normalised: the URL token requests go to and the
    /// `aud` of client assertions.
    pub token_endpoint: String,
    /// `scope` (default [`super::DEFAULT_SCOPE`]).
    pub scope: ScopeSpec,
    /// `deviceAuthorizationEndpoint` (required for `identityType: HUMAN`).
    pub device_authorization_endpoint: Option<String>,
    /// `developerApiEndpoint`: base URL of the PAM developer API.
    pub developer_api_endpoint: Option<String>,
    /// `openApiEndpoint`: Alibaba Cloud OpenAPI endpoint used by the plugin.
    pub open_api_endpoint: Option<String>,
    /// `authnConfiguration`.
    pub authn: AuthnConfig,
    /// `httpConfiguration`.
    pub http: HttpConfig,
    /// `tokenCache.redis`: the fleet-shared token cache, if configured.
    pub token_cache_redis: Option<super::RedisCacheConfig>,
    /// `dpop`: bind the providers' tokens to a DPoP key (RFC 9449), if set.
    pub dpop: Option<super::DpopConfig>,
    /// `tokenCache`'s behaviour keys (refresh mode, stale choice, windows,
    /// waits); empty when the file sets none.
    pub token_cache: super::TokenCacheConfig,
}

/// `authnConfiguration`: who the client is and how it authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnConfig {
    /// `identityType` (default `CLIENT`).
    pub identity_type: IdentityType,
    /// `humanAuthenticateClientId` (default `iap_developer`), for `HUMAN`.
    pub human_authenticate_client_id: String,
    /// The `authnMethod` with the fields it uses.
    pub method: AuthnMethodConfig,
}

impl AuthnConfig {
    /// The authentication method.
    pub fn method(&self) -> AuthnMethod {
        self.method.kind()
    }
}

/// `identityType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentityType {
    /// A workload (machine-to-machine).
    #[default]
    Client,
    /// A person, signed in through the device flow.
    Human,
}

impl IdentityType {
    /// Every value, as spelled in JSON.
    pub const ALL: [(&'static str, Self); 2] = [
        (Self::Client.as_str(), Self::Client),
        (Self::Human.as_str(), Self::Human),
    ];

    /// The JSON spelling (the one place it is written).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Client => "CLIENT",
            Self::Human => "HUMAN",
        }
    }
}

/// `authnMethod`: how the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthnMethod {
    /// `CLIENT_SECRET_BASIC`: HTTP Basic with the client secret.
    ClientSecretBasic,
    /// `CLIENT_SECRET_POST`: the secret in the form body.
    ClientSecretPost,
    /// `CLIENT_SECRET_JWT`: an HS256 assertion keyed by the secret.
    ClientSecretJwt,
    /// `PRIVATE_KEY_JWT`: an assertion signed by the client's private key.
    PrivateKeyJwt,
    /// `PKCS7`: a cloud instance's attested document.
    Pkcs7,
    /// `OIDC`: a federated ID token read from a file (Kubernetes).
    Oidc,
    /// `PCA`: a private-CA certificate chain plus a signed assertion.
    Pca,
    /// `PLUGIN`: a registered plugin provides the token.
    Plugin,
}

impl AuthnMethod {
    /// Every method, as spelled in JSON.
    pub const ALL: [(&'static str, Self); 8] = [
        (Self::ClientSecretBasic.as_str(), Self::ClientSecretBasic),
        (Self::ClientSecretPost.as_str(), Self::ClientSecretPost),
        (Self::ClientSecretJwt.as_str(), Self::ClientSecretJwt),
        (Self::PrivateKeyJwt.as_str(), Self::PrivateKeyJwt),
        (Self::Pkcs7.as_str(), Self::Pkcs7),
        (Self::Oidc.as_str(), Self::Oidc),
        (Self::Pca.as_str(), Self::Pca),
        (Self::Plugin.as_str(), Self::Plugin),
    ];

    /// The JSON spelling (the one place it is written).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "CLIENT_SECRET_BASIC",
            Self::ClientSecretPost => "CLIENT_SECRET_POST",
            Self::ClientSecretJwt => "CLIENT_SECRET_JWT",
            Self::PrivateKeyJwt => "PRIVATE_KEY_JWT",
            Self::Pkcs7 => "PKCS7",
            Self::Oidc => "OIDC",
            Self::Pca => "PCA",
            Self::Plugin => "PLUGIN",
        }
    }
}

/// `clientDeployEnvironment`: where a federated workload runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeployEnvironment {
    /// `COMMON`
    Common,
    /// `COMPUTER`
    Computer,
    /// `KUBERNETES`
    Kubernetes,
    /// `ALIBABA_CLOUD_ECS`
    AlibabaCloudEcs,
    /// `ALIBABA_CLOUD_ECI`
    AlibabaCloudEci,
    /// `ALIBABA_CLOUD_ACK`
    AlibabaCloudAck,
    /// `AWS_EC2`
    AwsEc2,
    /// `AWS_ESK`
    AwsEsk,
    /// `GOOGLE_VM`
    GoogleVm,
    /// `HUAWEI_CLOUD_ECS`
    HuaweiCloudEcs,
    /// `CUSTOM`
    Custom,
}

impl DeployEnvironment {
    /// Every value, as spelled in JSON.
    pub const ALL: [(&'static str, Self); 11] = [
        (Self::Common.as_str(), Self::Common),
        (Self::Computer.as_str(), Self::Computer),
        (Self::Kubernetes.as_str(), Self::Kubernetes),
        (Self::AlibabaCloudEcs.as_str(), Self::AlibabaCloudEcs),
        (Self::AlibabaCloudEci.as_str(), Self::AlibabaCloudEci),
        (Self::AlibabaCloudAck.as_str(), Self::AlibabaCloudAck),
        (Self::AwsEc2.as_str(), Self::AwsEc2),
        (Self::AwsEsk.as_str(), Self::AwsEsk),
        (Self::GoogleVm.as_str(), Self::GoogleVm),
        (Self::HuaweiCloudEcs.as_str(), Self::HuaweiCloudEcs),
        (Self::Custom.as_str(), Self::Custom),
    ];
    /// The environments `PKCS7` supports (an attested document source exists).
    pub const PKCS7_SUPPORTED: [Self; 2] = [Self::AlibabaCloudEcs, Self::AwsEc2];

    /// The JSON spelling (the one place it is written).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Common => "COMMON",
            Self::Computer => "COMPUTER",
            Self::Kubernetes => "KUBERNETES",
            Self::AlibabaCloudEcs => "ALIBABA_CLOUD_ECS",
            Self::AlibabaCloudEci => "ALIBABA_CLOUD_ECI",
            Self::AlibabaCloudAck => "ALIBABA_CLOUD_ACK",
            Self::AwsEc2 => "AWS_EC2",
            Self::AwsEsk => "AWS_ESK",
            Self::GoogleVm => "GOOGLE_VM",
            Self::HuaweiCloudEcs => "HUAWEI_CLOUD_ECS",
            Self::Custom => "CUSTOM",
        }
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Read from this environment variable each time it is needed, so a
    /// rotated secret is picked up without a restart.
    EnvVar(String),
    /// Given directly (programmatic configuration).
    Value(SecretString),
}

impl SecretSource {
    /// A secret read from the named environment variable.
    pub fn env(name: impl Into<String>) -> Self {
        Self::EnvVar(name.into())
    }

    /// Reads the secret. `field` is the JSON path named in the error.
    pub fn resolve(&self, env: &dyn Environment, field: &str) -> Result<SecretString, ConfigError> {
        match self {
            Self::EnvVar(name) => env.non_blank(name).map(SecretString::from).ok_or_else(|| {
                ConfigError::field(
                    field,
                    FieldProblem::EnvVarNotSet,
                    format!("environment variable {name} is not set; export it with the secret"),
                )
            }),
            Self::Value(secret) if secret.is_blank() => Err(ConfigError::field(
                field,
                FieldProblem::Empty,
                "the secret is empty",
            )),
            Self::Value(secret) => Ok(secret.clone()),
        }
    }

    fn redacted(&self) -> Value {
        match self {
            Self::EnvVar(name) => Value::String(name.clone()),
            Self::Value(_) => Value::String("[REDACTED]".into()),
        }
    }
}

/// Where the OIDC federated token file is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OidcTokenFile {
    /// `oidcTokenFilePath`.
    pub path: Option<PathBuf>,
    /// `oidcTokenFilePathEnvVarName`: a variable holding the path.
    pub path_env_var_name: Option<String>,
}

/// The Kubernetes service-account token path, the last fallback for `OIDC`.
pub const KUBERNETES_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

impl OidcTokenFile {
    /// The path to read: `oidcTokenFilePath`, else the variable named by
    /// `oidcTokenFilePathEnvVarName`, else [`KUBERNETES_TOKEN_PATH`].
    pub fn resolve(&self, env: &dyn Environment) -> PathBuf {
        if let Some(path) = self.path.as_ref().filter(|p| !p.as_os_str().is_empty()) {
            return path.clone();
        }
        if let Some(value) = self
            .path_env_var_name
            .as_deref()
            .and_then(|n| env.non_blank(n))
        {
            return PathBuf::from(value);
        }
        PathBuf::from(KUBERNETES_TOKEN_PATH)
    }
}

/// The `authnMethod` together with the fields it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthnMethodConfig {
    /// `CLIENT_SECRET_BASIC`.
    ClientSecretBasic {
        /// From `clientSecretEnvVarName`.
        client_secret: SecretSource,
    },
    /// `CLIENT_SECRET_POST`.
    ClientSecretPost {
        /// From `clientSecretEnvVarName`.
        client_secret: SecretSource,
    },
    /// `CLIENT_SECRET_JWT`.
    ClientSecretJwt {
        /// From `clientSecretEnvVarName`.
        client_secret: SecretSource,
    },
    /// `PRIVATE_KEY_JWT`.
    PrivateKeyJwt {
        /// PEM text, from `privateKeyEnvVarName`.
        private_key: SecretSource,
    },
    /// `PKCS7`.
    Pkcs7 {
        /// `applicationFederatedCredentialName`.
        application_federated_credential_name: String,
        /// `clientDeployEnvironment`.
        client_deploy_environment: DeployEnvironment,
    },
    /// `OIDC`.
    Oidc {
        /// `applicationFederatedCredentialName`.
        application_federated_credential_name: String,
        /// `clientDeployEnvironment` (only `KUBERNETES` is supported).
        client_deploy_environment: DeployEnvironment,
        /// Where the token file is.
        token_file: OidcTokenFile,
    },
    /// `PCA`.
    Pca {
        /// `applicationFederatedCredentialName`.
        application_federated_credential_name: String,
        /// `clientX509Certificate`: leaf certificate PEM, sent verbatim.
        client_x509_certificate: String,
        /// `x509CertChains`: chain PEM blocks, sent verbatim.
        x509_cert_chains: String,
        /// PEM text, from `privateKeyEnvVarName`.
        private_key: SecretSource,
    },
    /// `PLUGIN`.
    Plugin {
        /// `pluginName`: the registered plugin to use.
        plugin_name: String,
    },
}

impl AuthnMethodConfig {
    /// The method.
    pub fn kind(&self) -> AuthnMethod {
        match self {
            Self::ClientSecretBasic { .. } => AuthnMethod::ClientSecretBasic,
            Self::ClientSecretPost { .. } => AuthnMethod::ClientSecretPost,
            Self::ClientSecretJwt { .. } => AuthnMethod::ClientSecretJwt,
            Self::PrivateKeyJwt { .. } => AuthnMethod::PrivateKeyJwt,
            Self::Pkcs7 { .. } => AuthnMethod::Pkcs7,
            Self::Oidc { .. } => AuthnMethod::Oidc,
            Self::Pca { .. } => AuthnMethod::Pca,
            Self::Plugin { .. } => AuthnMethod::Plugin,
        }
    }

    /// The client secret source, for the three client-secret methods.
    pub fn client_secret(&self) -> Option<&SecretSource> {
        match self {
            Self::ClientSecretBasic { client_secret }
            | Self::ClientSecretPost { client_secret }
            | Self::ClientSecretJwt { client_secret } => Some(client_secret),
            _ => None,
        }
    }

    /// The private key source, for `PRIVATE_KEY_JWT` and `PCA`.
    pub fn private_key(&self) -> Option<&SecretSource> {
        match self {
            Self::PrivateKeyJwt { private_key } | Self::Pca { private_key, .. } => {
                Some(private_key)
            }
            _ => None,
        }
    }

    /// The JSON path named in errors about the secret of this method.
    pub fn secret_field(&self) -> &'static str {
        match self {
            Self::PrivateKeyJwt { .. } | Self::Pca { .. } => {
                "authnConfiguration.privateKeyEnvVarName"
            }
            _ => "authnConfiguration.clientSecretEnvVarName",
        }
    }
}

/// `httpConfiguration`, applied to the HTTP client (the reference ignores it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `connectTimeout` (ms in JSON), 2000..=60000, default 5000.
    pub connect_timeout: Duration,
    /// `readTimeout` (ms in JSON), 2000..=60000, default 10000.
    pub read_timeout: Duration,
    /// `unsafeIgnoreSslCert`: skip TLS verification. Never in production.
    pub unsafe_ignore_ssl_cert: bool,
    /// `caCertificateFile`: a PEM file of CA certificates (one or many) to
    /// trust besides the default roots, for an IdP with a private CA.
    pub ca_certificate_file: Option<PathBuf>,
    /// `clientCertificateFile` / `clientCertificateEnvVarName` with
    /// `clientKeyFile` / `clientKeyEnvVarName`: the client certificate
    /// chain and private key (PEM) of mutual TLS (RFC 8705).
    pub client_identity: Option<crate::http::ClientIdentity>,
}

/// The allowed range of both timeouts, in milliseconds.
pub const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 2_000..=60_000;

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(5_000),
            read_timeout: Duration::from_millis(10_000),
            unsafe_ignore_ssl_cert: false,
            ca_certificate_file: None,
            client_identity: None,
        }
    }
}

impl ClientConfig {
    /// Checks what lives outside the file: the environment variables the
    /// configuration names must be set. Returns the first problem, naming the field.
    pub fn check_environment(&self, env: &dyn Environment) -> Result<(), ConfigError> {
        let method = &self.authn.method;
        if let Some(secret) = method.client_secret().or(method.private_key()) {
            secret.resolve(env, method.secret_field())?;
        }
        #[cfg(feature = "transport")]
        self.check_tls_files(env)?;
        if let Some(dpop) = &self.dpop {
            dpop.check_environment()?;
        }
        Ok(())
    }

    /// The CA file and the client certificate parse as the transport will
    /// read them (without the `transport` feature nothing reads them).
    #[cfg(feature = "transport")]
    fn check_tls_files(&self, env: &dyn Environment) -> Result<(), ConfigError> {
        if let Some(path) = &self.http.ca_certificate_file {
            crate::http::check_ca_file(path).map_err(|e| {
                ConfigError::field(
                    "httpConfiguration.caCertificateFile",
                    FieldProblem::InvalidFile,
                    format!("{e}; give a PEM file of CA certificates"),
                )
            })?;
        }
        if let Some(identity) = &self.http.client_identity {
            identity.check(env).map_err(|(part, e)| {
                let (file, var) = match part {
                    crate::http::IdentityPart::Certificate => {
                        ("clientCertificateFile", "clientCertificateEnvVarName")
                    }
                    _ => ("clientKeyFile", "clientKeyEnvVarName"),
                };
                let source = match part {
                    crate::http::IdentityPart::Certificate => identity.certificate(),
                    _ => identity.key(),
                };
                let field = match source {
                    crate::http::PemSource::EnvVar(_) => var,
                    _ => file,
                };
                let problem = match source {
                    crate::http::PemSource::EnvVar(name) if env.non_blank(name).is_none() => {
                        FieldProblem::EnvVarNotSet
                    }
                    _ => FieldProblem::InvalidFile,
                };
                ConfigError::field(format!("httpConfiguration.{field}"), problem, e.to_string())
            })?;
        }
        Ok(())
    }

    /// The configuration as JSON in the file's camelCase schema, secrets
    /// redacted (env var names are shown; values given directly are not).
    pub fn to_redacted_json(&self) -> Value {
        let m = &self.authn.method;
        let mut authn = serde_json::Map::new();
        authn.insert(
            "identityType".into(),
            json!(self.authn.identity_type.as_str()),
        );
        authn.insert("authnMethod".into(), json!(m.kind().as_str()));
        if self.authn.identity_type == IdentityType::Human {
            authn.insert(
                "humanAuthenticateClientId".into(),
                json!(self.authn.human_authenticate_client_id),
            );
        }
        let mut put = |k: &str, v: Value| {
            authn.insert(k.into(), v);
        };
        match m {
            AuthnMethodConfig::ClientSecretBasic { client_secret }
            | AuthnMethodConfig::ClientSecretPost { client_secret }
            | AuthnMethodConfig::ClientSecretJwt { client_secret } => {
                put("clientSecretEnvVarName", client_secret.redacted())
            }
            AuthnMethodConfig::PrivateKeyJwt { private_key } => {
                put("privateKeyEnvVarName", private_key.redacted())
            }
            AuthnMethodConfig::Pkcs7 {
                application_federated_credential_name,
                client_deploy_environment,
            } => {
                put(
                    "applicationFederatedCredentialName",
                    json!(application_federated_credential_name),
                );
                put(
                    "clientDeployEnvironment",
                    json!(client_deploy_environment.as_str()),
                );
            }
            AuthnMethodConfig::Oidc {
                application_federated_credential_name,
                client_deploy_environment,
                token_file,
            } => {
                put(
                    "applicationFederatedCredentialName",
                    json!(application_federated_credential_name),
                );
                put(
                    "clientDeployEnvironment",
                    json!(client_deploy_environment.as_str()),
                );
                if let Some(p) = &token_file.path {
                    put("oidcTokenFilePath", json!(p.display().to_string()));
                }
                if let Some(n) = &token_file.path_env_var_name {
                    put("oidcTokenFilePathEnvVarName", json!(n));
                }
            }
            AuthnMethodConfig::Pca {
                application_federated_credential_name,
                client_x509_certificate,
                x509_cert_chains,
                private_key,
            } => {
                put(
                    "applicationFederatedCredentialName",
                    json!(application_federated_credential_name),
                );
                put("clientX509Certificate", json!(client_x509_certificate));
                put("x509CertChains", json!(x509_cert_chains));
                put("privateKeyEnvVarName", private_key.redacted());
            }
            AuthnMethodConfig::Plugin { plugin_name } => put("pluginName", json!(plugin_name)),
        }
        let mut out = serde_json::Map::new();
        out.insert("idaasInstanceId".into(), json!(self.idaas_instance_id));
        out.insert("clientId".into(), json!(self.client_id));
        out.insert("issuer".into(), json!(self.issuer));
        out.insert("tokenEndpoint".into(), json!(self.token_endpoint));
        out.insert("scope".into(), json!(self.scope.as_str()));
        for (key, value) in [
            (
                "deviceAuthorizationEndpoint",
                &self.device_authorization_endpoint,
            ),
            ("developerApiEndpoint", &self.developer_api_endpoint),
            ("openApiEndpoint", &self.open_api_endpoint),
        ] {
            if let Some(v) = value {
                out.insert(key.into(), json!(v));
            }
        }
        out.insert("authnConfiguration".into(), Value::Object(authn));
        out.insert(
            "httpConfiguration".into(),
            json!({
                "connectTimeout": self.http.connect_timeout.as_millis() as u64,
                "readTimeout": self.http.read_timeout.as_millis() as u64,
                "unsafeIgnoreSslCert": self.http.unsafe_ignore_ssl_cert,
            }),
        );
        if let Some(path) = &self.http.ca_certificate_file
            && let Some(Value::Object(http)) = out.get_mut("httpConfiguration")
        {
            http.insert("caCertificateFile".into(), json!(path.to_string_lossy()));
        }
        if let Some(identity) = &self.http.client_identity
            && let Some(Value::Object(http)) = out.get_mut("httpConfiguration")
        {
            for (source, file, var) in [
                (
                    identity.certificate(),
                    "clientCertificateFile",
                    "clientCertificateEnvVarName",
                ),
                (identity.key(), "clientKeyFile", "clientKeyEnvVarName"),
            ] {
                match source {
                    crate::http::PemSource::File(path) => {
                        http.insert(file.into(), json!(path.to_string_lossy()))
                    }
                    crate::http::PemSource::EnvVar(name) => http.insert(var.into(), json!(name)),
                    _ => http.insert(file.into(), json!("[given in code]")),
                };
            }
        }
        if let Some(dpop) = &self.dpop {
            out.insert("dpop".into(), dpop.to_json());
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` (what the reader accepts) and `as_str` (what is written) agree,
    /// and no value is listed twice.
    fn agree<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[(&str, T)],
        as_str: fn(T) -> &'static str,
    ) {
        for (i, (name, value)) in all.iter().enumerate() {
            assert_eq!(as_str(*value), *name);
            assert!(
                all[..i].iter().all(|(n, v)| n != name && v != value),
                "{name} twice"
            );
        }
    }

    #[test]
    fn the_name_tables_are_the_matches() {
        agree(&IdentityType::ALL, IdentityType::as_str);
        agree(&AuthnMethod::ALL, AuthnMethod::as_str);
        agree(&DeployEnvironment::ALL, DeployEnvironment::as_str);
        assert_eq!(AuthnMethod::ALL[0].0, "CLIENT_SECRET_BASIC");
        assert_eq!(
            DeployEnvironment::HuaweiCloudEcs.as_str(),
            "HUAWEI_CLOUD_ECS"
        );
    }
}
