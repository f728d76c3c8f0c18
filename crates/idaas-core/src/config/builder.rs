//! A typed builder for programmatic configuration, validated exactly like a
//! file (errors name the same JSON paths).

use std::path::PathBuf;
use std::time::Duration;

use super::draft::Draft;
use super::error::ConfigError;
use super::model::*;

/// Builds a [`ClientConfig`] in code.
///
/// ```
/// use idaas_core::config::{ClientConfig, SecretSource, AuthnMethod};
///
/// let config = ClientConfig::builder()
///     .idaas_instance_id("idaas_example")
///     .client_id("app_example")
///     .issuer("https://example.aliyunidaas.com/api/v2/iauths_system/oauth2")
///     .token_endpoint("https://example.aliyunidaas.com/api/v2/iauths_system/oauth2/token")
///     .scope("api.example.com|read:file")
///     .client_secret_post(SecretSource::Value("s3cret".into()))
///     .build()?;
/// assert_eq!(config.authn.method(), AuthnMethod::ClientSecretPost);
/// assert_eq!(config.scope.audience(), "api.example.com");
/// # Ok::<(), idaas_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ClientConfigBuilder {
    draft: Draft,
}

macro_rules! string_setters {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.draft.$name = Some(value.into());
                self
            }
        )*
    };
}

impl ClientConfigBuilder {
    string_setters! {
        /// `idaasInstanceId`.
        idaas_instance_id;
        /// `clientId`.
        client_id;
        /// `issuer`.
        issuer;
        /// `tokenEndpoint`.
        token_endpoint;
        /// `scope` (`audience|value …`).
        scope;
        /// `deviceAuthorizationEndpoint`.
        device_authorization_endpoint;
        /// `developerApiEndpoint`.
        developer_api_endpoint;
        /// `openApiEndpoint`.
        open_api_endpoint;
        /// `authnConfiguration.humanAuthenticateClientId`.
        human_authenticate_client_id;
    }

    /// `authnConfiguration.identityType`.
    pub fn identity_type(mut self, identity: IdentityType) -> Self {
        self.draft.authn_present = true;
        self.draft.identity_type = Some(identity);
        self
    }

    fn method(mut self, method: AuthnMethod) -> Self {
        self.draft.authn_present = true;
        self.draft.authn_method = Some(method);
        self
    }

    /// `CLIENT_SECRET_BASIC` with the given secret.
    pub fn client_secret_basic(mut self, secret: SecretSource) -> Self {
        self.draft.client_secret = Some(secret);
        self.method(AuthnMethod::ClientSecretBasic)
    }

    /// `CLIENT_SECRET_POST` with the given secret.
    pub fn client_secret_post(mut self, secret: SecretSource) -> Self {
        self.draft.client_secret = Some(secret);
        self.method(AuthnMethod::ClientSecretPost)
    }

    /// `CLIENT_SECRET_JWT` with the given secret.
    pub fn client_secret_jwt(mut self, secret: SecretSource) -> Self {
        self.draft.client_secret = Some(secret);
        self.method(AuthnMethod::ClientSecretJwt)
    }

    /// `PRIVATE_KEY_JWT` with the given PEM private key.
    pub fn private_key_jwt(mut self, private_key: SecretSource) -> Self {
        self.draft.private_key = Some(private_key);
        self.method(AuthnMethod::PrivateKeyJwt)
    }

    /// `PKCS7` on the given cloud environment.
    pub fn pkcs7(
        mut self,
        federated_credential_name: impl Into<String>,
        environment: DeployEnvironment,
    ) -> Self {
        self.draft.application_federated_credential_name = Some(federated_credential_name.into());
        self.draft.client_deploy_environment = Some(environment);
        self.method(AuthnMethod::Pkcs7)
    }

    /// `OIDC` (Kubernetes) with the token file; `None` uses the env var or
    /// the Kubernetes default.
    pub fn oidc(
        mut self,
        federated_credential_name: impl Into<String>,
        token_file: Option<PathBuf>,
    ) -> Self {
        self.draft.application_federated_credential_name = Some(federated_credential_name.into());
        self.draft.client_deploy_environment = Some(DeployEnvironment::Kubernetes);
        self.draft.oidc_token_file_path = token_file.map(|p| p.display().to_string());
        self.method(AuthnMethod::Oidc)
    }

    /// `oidcTokenFilePathEnvVarName` for `OIDC`.
    pub fn oidc_token_file_path_env_var_name(mut self, name: impl Into<String>) -> Self {
        self.draft.oidc_token_file_path_env_var_name = Some(name.into());
        self
    }

    /// `PCA`: certificate, chain and the private key that signs assertions.
    pub fn pca(
        mut self,
        federated_credential_name: impl Into<String>,
        certificate_pem: impl Into<String>,
        chain_pem: impl Into<String>,
        private_key: SecretSource,
    ) -> Self {
        self.draft.application_federated_credential_name = Some(federated_credential_name.into());
        self.draft.client_x509_certificate = Some(certificate_pem.into());
        self.draft.x509_cert_chains = Some(chain_pem.into());
        self.draft.private_key = Some(private_key);
        self.method(AuthnMethod::Pca)
    }

    /// `PLUGIN` with the registered plugin's name.
    pub fn plugin(mut self, plugin_name: impl Into<String>) -> Self {
        self.draft.plugin_name = Some(plugin_name.into());
        self.method(AuthnMethod::Plugin)
    }

    /// `httpConfiguration.connectTimeout`.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.draft.connect_timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// `httpConfiguration.readTimeout`.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.draft.read_timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// `httpConfiguration.unsafeIgnoreSslCert`. Never in production.
    pub fn unsafe_ignore_ssl_cert(mut self, ignore: bool) -> Self {
        self.draft.unsafe_ignore_ssl_cert = Some(ignore);
        self
    }

    /// The client certificate and key of mutual TLS (RFC 8705), from files,
    /// environment variables or memory (in memory: never in the JSON form).
    pub fn client_identity(mut self, identity: crate::http::ClientIdentity) -> Self {
        self.draft.client_identity = Some(identity);
        self
    }

    /// `httpConfiguration.clientCertificateFile` and `clientKeyFile`: the
    /// PEM client certificate chain and private key of mutual TLS.
    pub fn client_certificate_files(
        mut self,
        certificate: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.draft.client_certificate_file =
            Some(certificate.into().to_string_lossy().into_owned());
        self.draft.client_key_file = Some(key.into().to_string_lossy().into_owned());
        self
    }

    /// `httpConfiguration.caCertificateFile`: a PEM file of CA certificates
    /// to trust besides the default roots.
    pub fn ca_certificate_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.draft.ca_certificate_file = Some(path.into().to_string_lossy().into_owned());
        self
    }

    /// `tokenCache.redis`: share tokens across the fleet through this Redis.
    pub fn token_cache_redis(mut self, redis: super::RedisCacheConfig) -> Self {
        self.draft.token_cache_redis = Some(redis);
        self
    }

    /// `dpop`: bind the providers' tokens to a DPoP key (RFC 9449) —
    /// [`DpopConfig::generated`](super::DpopConfig::generated) or
    /// [`DpopConfig::key_file`](super::DpopConfig::key_file).
    pub fn dpop(mut self, dpop: super::DpopConfig) -> Self {
        self.draft.dpop = Some(dpop);
        self
    }

    /// `tokenCache`'s behaviour keys (see [`super::TokenCacheConfig`]).
    pub fn token_cache(mut self, cache: super::TokenCacheConfig) -> Self {
        self.draft.token_cache = cache;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        self.draft.validate()
    }
}
