//! How a machine provider authenticates, per `authnMethod`, producing the
//! exact fields and headers of the reference Python SDK (`cloud-idaas-core`).

use std::sync::Arc;

use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_core::config::{
    AuthnMethodConfig, ConfigError, DeployEnvironment, Environment, SecretSource,
};
use idaas_core::http::SharedHttpClient;
use idaas_oauth::form::Form;
use idaas_oauth::jose::{Algorithm, JwtHeader, SigningKey};
use idaas_oauth::{BasicEncoding, ClientAuth, client_assertion};

use crate::error::Error;
use crate::evidence::{AwsDocumentSource, DocumentSource, EcsDocumentSource, OidcTokenFileSource};
use crate::plugin::{CredentialPlugin, PluginRegistry};

/// `client_assertion_type` of `PCA`.
pub const X509_JWT_BEARER: &str =
    "urn:cloud:idaas:params:oauth:client-assertion-type:x509-jwt-bearer";
/// `client_assertion_type` of `PKCS7`.
pub const PKCS7_BEARER: &str = "urn:cloud:idaas:params:oauth:client-assertion-type:pkcs7-bearer";
/// `client_assertion_type` of `OIDC`.
pub const ID_TOKEN_BEARER: &str =
    "urn:cloud:idaas:params:oauth:client-assertion-type:id-token-bearer";

/// The method, with what it needs parsed or located once.
#[derive(Debug, Clone)]
pub(crate) enum Authenticator {
    Basic(SecretSource),
    Post(SecretSource),
    SecretJwt(SecretSource),
    PrivateKeyJwt(Arc<SigningKey>),
    Pca {
        name: String,
        certificate: String,
        chain: String,
        key: Arc<SigningKey>,
    },
    Pkcs7 {
        name: String,
        source: Arc<dyn DocumentSource>,
    },
    Oidc {
        name: String,
        file: OidcTokenFileSource,
    },
    Plugin(Arc<dyn CredentialPlugin>),
    Human(crate::human::HumanFlow),
}

/// Reads and parses a private key named by the configuration.
pub(crate) fn load_private_key(
    source: &SecretSource,
    env: &dyn Environment,
    field: &str,
) -> Result<Arc<SigningKey>, Error> {
    let pem = source.resolve(env, field)?;
    let origin = match source {
        SecretSource::EnvVar(name) => format!("the key in {name}"),
        SecretSource::Value(_) => "the configured key".to_owned(),
    };
    SigningKey::from_pem(pem.expose_secret())
        .map(Arc::new)
        .map_err(|e| {
            Error::Config(ConfigError::Field {
                path: field.to_owned(),
                problem: idaas_core::config::FieldProblem::Unsupported,
                reason: format!("{origin} is not a usable private key: {e}"),
            })
        })
}

fn field_error(field: &str, reason: String) -> Error {
    Error::Config(ConfigError::Field {
        path: field.to_owned(),
        problem: idaas_core::config::FieldProblem::Unsupported,
        reason,
    })
}

/// The PCA client certificate must parse, be valid now and certify the key
/// that signs the assertions: caught at start, not as a rejection later.
fn check_certificate(pem: &str, key: &SigningKey, now: u64) -> Result<(), Error> {
    const FIELD: &str = "authnConfiguration.clientX509Certificate";
    let chain = idaas_oauth::jose::CertificateChain::from_pem(pem)
        .map_err(|e| field_error(FIELD, format!("not a PEM X.509 certificate: {e}")))?;
    let (not_before, not_after) = chain
        .leaf_validity()
        .map_err(|e| field_error(FIELD, format!("unreadable validity: {e}")))?;
    if now >= not_after {
        return Err(field_error(
            FIELD,
            format!(
                "the certificate expired at Unix time {not_after}; issue a new one from the private CA"
            ),
        ));
    }
    if now < not_before {
        return Err(field_error(
            FIELD,
            format!("the certificate is not valid before Unix time {not_before}"),
        ));
    }
    if !chain.certifies(key) {
        return Err(field_error(
            "authnConfiguration.privateKeyEnvVarName",
            "the private key does not match clientX509Certificate".into(),
        ));
    }
    Ok(())
}

fn typ_jwt() -> JwtHeader {
    JwtHeader {
        typ: Some("JWT".into()),
        ..JwtHeader::default()
    }
}

impl Authenticator {
    /// Builds the authenticator for a configured method: parses keys now
    /// (a corrupt key fails here, at start), locates evidence sources.
    pub(crate) fn from_config(
        method: &AuthnMethodConfig,
        idaas_instance_id: &str,
        env: &Arc<dyn Environment>,
        http: &SharedHttpClient,
        clock: &SharedClock,
        plugins: &PluginRegistry,
        metadata_url: Option<&str>,
    ) -> Result<Self, Error> {
        let field = method.secret_field();
        Ok(match method {
            AuthnMethodConfig::ClientSecretBasic { client_secret } => {
                Self::Basic(client_secret.clone())
            }
            AuthnMethodConfig::ClientSecretPost { client_secret } => {
                Self::Post(client_secret.clone())
            }
            AuthnMethodConfig::ClientSecretJwt { client_secret } => {
                Self::SecretJwt(client_secret.clone())
            }
            AuthnMethodConfig::PrivateKeyJwt { private_key } => {
                Self::PrivateKeyJwt(load_private_key(private_key, env.as_ref(), field)?)
            }
            AuthnMethodConfig::Pca {
                application_federated_credential_name,
                client_x509_certificate,
                x509_cert_chains,
                private_key,
            } => {
                let key = load_private_key(private_key, env.as_ref(), field)?;
                check_certificate(client_x509_certificate, &key, clock.now_secs())?;
                Self::Pca {
                    name: application_federated_credential_name.clone(),
                    certificate: client_x509_certificate.clone(),
                    chain: x509_cert_chains.clone(),
                    key,
                }
            }
            AuthnMethodConfig::Pkcs7 {
                application_federated_credential_name,
                client_deploy_environment,
            } => {
                let source: Arc<dyn DocumentSource> = match client_deploy_environment {
                    DeployEnvironment::AlibabaCloudEcs => {
                        let mut source =
                            EcsDocumentSource::new(idaas_instance_id, http.clone(), clock.clone());
                        if let Some(url) = metadata_url {
                            source.base_url = url.to_owned();
                        }
                        Arc::new(source)
                    }
                    DeployEnvironment::AwsEc2 => {
                        let mut source = AwsDocumentSource::new(http.clone());
                        if let Some(url) = metadata_url {
                            source.base_url = url.to_owned();
                        }
                        Arc::new(source)
                    }
                    other => {
                        return Err(Error::Unsupported(format!(
                            "PKCS7 has no attested document source for {}",
                            other.as_str()
                        )));
                    }
                };
                Self::Pkcs7 {
                    name: application_federated_credential_name.clone(),
                    source,
                }
            }
            AuthnMethodConfig::Oidc {
                application_federated_credential_name,
                token_file,
                ..
            } => Self::Oidc {
                name: application_federated_credential_name.clone(),
                file: OidcTokenFileSource::new(token_file.clone(), env.clone()),
            },
            AuthnMethodConfig::Plugin { plugin_name } => Self::Plugin(plugins.get(plugin_name)?),
            _ => {
                return Err(Error::Unsupported(
                    "this authentication method is not supported".into(),
                ));
            }
        })
    }

    /// The client authentication and the fields that precede the grant's own:
    /// secrets and evidence are read now, so rotation needs no restart.
    pub(crate) async fn prepare(
        &self,
        client_id: &str,
        token_endpoint: &str,
        env: &dyn Environment,
        now: std::time::Duration,
    ) -> Result<(ClientAuth, Form), Error> {
        const SECRET_FIELD: &str = "authnConfiguration.clientSecretEnvVarName";
        let mut fields = Form::new();
        let auth = match self {
            Self::Basic(source) => ClientAuth::SecretBasic {
                secret: source.resolve(env, SECRET_FIELD)?,
                // the reference sends id:secret without form-encoding (wire compatibility)
                encoding: BasicEncoding::Raw,
            },
            Self::Post(source) => ClientAuth::SecretPost {
                secret: source.resolve(env, SECRET_FIELD)?,
            },
            Self::SecretJwt(source) => {
                let key = SigningKey::hmac(source.resolve(env, SECRET_FIELD)?, Algorithm::HS256)
                    .map_err(idaas_oauth::Error::from)?;
                ClientAuth::SecretJwt { key: Arc::new(key) }
            }
            Self::PrivateKeyJwt(key) => ClientAuth::PrivateKeyJwt {
                key: key.clone(),
                header: typ_jwt(),
            },
            Self::Pca {
                name,
                certificate,
                chain,
                key,
            } => {
                let assertion = client_assertion(key, &typ_jwt(), client_id, token_endpoint, now)?;
                fields
                    .push("application_federated_credential_name", name.as_str())
                    .push("client_assertion_type", X509_JWT_BEARER)
                    .push_secret("client_assertion", &assertion)
                    .push("client_x509", certificate.as_str())
                    .push("client_x509_chain", chain.as_str());
                ClientAuth::None
            }
            Self::Pkcs7 { name, source } => {
                let document = source.document().await?;
                fields
                    .push("application_federated_credential_name", name.as_str())
                    .push("client_assertion_type", PKCS7_BEARER)
                    .push_secret("client_assertion", &document);
                ClientAuth::None
            }
            Self::Oidc { name, file } => {
                let token: SecretString = file.read().await?;
                fields
                    .push("application_federated_credential_name", name.as_str())
                    .push("client_assertion_type", ID_TOKEN_BEARER)
                    .push_secret("client_assertion", &token);
                ClientAuth::None
            }
            Self::Human(_) => {
                return Err(Error::Unsupported(
                    "identityType HUMAN signs in through the device flow, not with client authentication".into(),
                ));
            }
            Self::Plugin(_) => {
                return Err(Error::Unsupported(
                    "Unsupported authentication method: PLUGIN for token requests at the token endpoint".into(),
                ));
            }
        };
        Ok((auth, fields))
    }
}
