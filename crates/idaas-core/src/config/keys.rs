//! Key normalisation: every spelling the reference SDK accepts, mapped to one
//! canonical field.
//!
//! The reference converts camelCase to snake_case and lower-cases, so
//! `clientId`, `client_id`, `ClientId` and `CLIENT_ID` are the same key. We do
//! the same, and also accept the spellings it silently drops
//! (`openapiEndpoint`, `IDaaSInstanceId`).

/// camelCase → snake_case, lower-cased, exactly as the reference SDK does:
/// `_` goes between a digit or lower-case letter and a following capital, and
/// between a capital and a following Capital+lowercase pair.
pub(crate) fn normalise(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_ascii_digit() || prev.is_lowercase() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A known field: its normalised key and its canonical camelCase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub snake: &'static str,
    pub camel: &'static str,
}

macro_rules! keys {
    ($($name:ident = $snake:literal / $camel:literal;)*) => {
        $(pub(crate) const $name: Key = Key { snake: $snake, camel: $camel };)*
    };
}

keys! {
    IDAAS_INSTANCE_ID = "idaas_instance_id" / "idaasInstanceId";
    CLIENT_ID = "client_id" / "clientId";
    ISSUER = "issuer" / "issuer";
    TOKEN_ENDPOINT = "token_endpoint" / "tokenEndpoint";
    SCOPE = "scope" / "scope";
    DEVICE_AUTHORIZATION_ENDPOINT = "device_authorization_endpoint" / "deviceAuthorizationEndpoint";
    DEVELOPER_API_ENDPOINT = "developer_api_endpoint" / "developerApiEndpoint";
    OPEN_API_ENDPOINT = "open_api_endpoint" / "openApiEndpoint";
    AUTHN_CONFIGURATION = "authn_configuration" / "authnConfiguration";
    HTTP_CONFIGURATION = "http_configuration" / "httpConfiguration";

    IDENTITY_TYPE = "identity_type" / "identityType";
    AUTHN_METHOD = "authn_method" / "authnMethod";
    CLIENT_SECRET_ENV_VAR_NAME = "client_secret_env_var_name" / "clientSecretEnvVarName";
    PRIVATE_KEY_ENV_VAR_NAME = "private_key_env_var_name" / "privateKeyEnvVarName";
    APPLICATION_FEDERATED_CREDENTIAL_NAME = "application_federated_credential_name" / "applicationFederatedCredentialName";
    CLIENT_DEPLOY_ENVIRONMENT = "client_deploy_environment" / "clientDeployEnvironment";
    OIDC_TOKEN_FILE_PATH = "oidc_token_file_path" / "oidcTokenFilePath";
    OIDC_TOKEN_FILE_PATH_ENV_VAR_NAME = "oidc_token_file_path_env_var_name" / "oidcTokenFilePathEnvVarName";
    CLIENT_X509_CERTIFICATE = "client_x509_certificate" / "clientX509Certificate";
    X509_CERT_CHAINS = "x509_cert_chains" / "x509CertChains";
    HUMAN_AUTHENTICATE_CLIENT_ID = "human_authenticate_client_id" / "humanAuthenticateClientId";
    PLUGIN_NAME = "plugin_name" / "pluginName";

    CONNECT_TIMEOUT = "connect_timeout" / "connectTimeout";
    READ_TIMEOUT = "read_timeout" / "readTimeout";
    UNSAFE_IGNORE_SSL_CERT = "unsafe_ignore_ssl_cert" / "unsafeIgnoreSslCert";
    CA_CERTIFICATE_FILE = "ca_certificate_file" / "caCertificateFile";
    CLIENT_CERTIFICATE_FILE = "client_certificate_file" / "clientCertificateFile";
    CLIENT_KEY_FILE = "client_key_file" / "clientKeyFile";
    CLIENT_CERTIFICATE_ENV_VAR_NAME = "client_certificate_env_var_name" / "clientCertificateEnvVarName";
    CLIENT_KEY_ENV_VAR_NAME = "client_key_env_var_name" / "clientKeyEnvVarName";
}

pub(crate) const TOP_LEVEL: &[Key] = &[
    IDAAS_INSTANCE_ID,
    CLIENT_ID,
    ISSUER,
    TOKEN_ENDPOINT,
    SCOPE,
    DEVICE_AUTHORIZATION_ENDPOINT,
    DEVELOPER_API_ENDPOINT,
    OPEN_API_ENDPOINT,
    AUTHN_CONFIGURATION,
    HTTP_CONFIGURATION,
];

pub(crate) const AUTHN: &[Key] = &[
    IDENTITY_TYPE,
    AUTHN_METHOD,
    CLIENT_SECRET_ENV_VAR_NAME,
    PRIVATE_KEY_ENV_VAR_NAME,
    APPLICATION_FEDERATED_CREDENTIAL_NAME,
    CLIENT_DEPLOY_ENVIRONMENT,
    OIDC_TOKEN_FILE_PATH,
    OIDC_TOKEN_FILE_PATH_ENV_VAR_NAME,
    CLIENT_X509_CERTIFICATE,
    X509_CERT_CHAINS,
    HUMAN_AUTHENTICATE_CLIENT_ID,
    PLUGIN_NAME,
];

pub(crate) const HTTP: &[Key] = &[
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    UNSAFE_IGNORE_SSL_CERT,
    CA_CERTIFICATE_FILE,
    CLIENT_CERTIFICATE_FILE,
    CLIENT_KEY_FILE,
    CLIENT_CERTIFICATE_ENV_VAR_NAME,
    CLIENT_KEY_ENV_VAR_NAME,
];

// `tokenCache`'s behaviour keys (read in token_cache.rs)
keys! {
    BEHAVIOR = "behavior" / "behavior";
    PREFETCH = "prefetch" / "prefetch";
    STALE = "stale" / "stale";
    REFRESH_WINDOWS = "refresh_windows" / "refreshWindows";
    BLOCKING_WAIT = "blocking_wait" / "blockingWait";
    FAILURE_BACKOFF = "failure_backoff" / "failureBackoff";
    MAX_FAILURE_BACKOFF = "max_failure_backoff" / "maxFailureBackoff";
    PROBE_INTERVAL = "probe_interval" / "probeInterval";
}

pub(crate) const TOKEN_CACHE: &[Key] = &[
    BEHAVIOR,
    PREFETCH,
    STALE,
    REFRESH_WINDOWS,
    BLOCKING_WAIT,
    FAILURE_BACKOFF,
    MAX_FAILURE_BACKOFF,
    PROBE_INTERVAL,
];

/// Spellings the reference drops that we accept, after normalisation.
pub(crate) fn alias(snake: &str) -> &str {
    match snake {
        "openapi_endpoint" => OPEN_API_ENDPOINT.snake,
        "i_daa_s_instance_id" => IDAAS_INSTANCE_ID.snake,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_the_reference() {
        for (input, want) in [
            ("clientId", "client_id"),
            ("client_id", "client_id"),
            ("ClientId", "client_id"),
            ("CLIENT_ID", "client_id"),
            ("x509CertChains", "x509_cert_chains"),
            ("clientX509Certificate", "client_x509_certificate"),
            ("IDaaSInstanceId", "i_daa_s_instance_id"),
            ("openApiEndpoint", "open_api_endpoint"),
            ("openapiEndpoint", "openapi_endpoint"),
            (
                "oidcTokenFilePathEnvVarName",
                "oidc_token_file_path_env_var_name",
            ),
        ] {
            assert_eq!(normalise(input), want, "{input}");
        }
        assert_eq!(alias(&normalise("openapiEndpoint")), "open_api_endpoint");
        assert_eq!(alias(&normalise("IDaaSInstanceId")), "idaas_instance_id");
    }

    #[test]
    fn every_camel_name_normalises_to_its_snake_name() {
        for key in TOP_LEVEL.iter().chain(AUTHN).chain(HTTP) {
            assert_eq!(normalise(key.camel), key.snake);
        }
    }
}
