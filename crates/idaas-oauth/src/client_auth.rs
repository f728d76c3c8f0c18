//! Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2,
//! OIDC Core §9): one method per client.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use idaas_core::SecretString;
use idaas_core::http::{HeaderMap, HeaderValue, header};
use rand::RngCore;
use serde::Serialize;

use crate::error::Error;
use crate::form::{Form, encode_component};
use crate::jose::{Algorithm, CertificateChain, JwtHeader, SigningKey, sign_jwt};

/// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How id and secret are put into the Basic header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasicEncoding {
    /// Form-urlencode id and secret before Base64 (RFC 6749 §2.3.1).
    #[default]
    Rfc6749,
    /// Base64 of the raw `id:secret`, as the IDaaS reference SDK sends it.
    Raw,
}

/// How the client proves who it is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client: only `client_id`.
    None,
    /// `client_secret_basic`.
    SecretBasic {
        /// The secret.
        secret: SecretString,
        /// Encoding of the header.
        encoding: BasicEncoding,
    },
    /// `client_secret_post`.
    SecretPost {
        /// The secret.
        secret: SecretString,
    },
    /// `client_secret_jwt`: an HMAC assertion keyed by the secret.
    SecretJwt {
        /// The HMAC key (HS256/384/512).
        key: Arc<SigningKey>,
    },
    /// `private_key_jwt`: an assertion signed by the client's key.
    PrivateKeyJwt {
        /// The private key, parsed once.
        key: Arc<SigningKey>,
        /// `kid`, `x5c`, `x5t#S256` to put in the assertion header.
        header: JwtHeader,
    },
    /// `tls_client_auth` (RFC 8705 §2.1): the TLS client certificate, issued
    /// by a CA the server trusts, whose subject the server matches against
    /// the client's registration. Only `client_id` is sent; the HTTP client
    /// must present the certificate ([`crate::mtls`]).
    TlsClientAuth,
    /// `self_signed_tls_client_auth` (RFC 8705 §2.2): a self-signed TLS
    /// client certificate the server matches against the client's
    /// registered JWKS. Only `client_id` is sent ([`crate::mtls`]).
    SelfSignedTlsClientAuth,
}

/// The claims of a client assertion, in the reference SDK's order.
#[derive(Debug, Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    sub: &'a str,
    iss: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

/// How long a client assertion is valid (the reference SDK: 600 s).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// A random 128-bit id as a UUID v4 string (the reference's `jti` format).
pub(crate) fn random_jti() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A signed client assertion: iss = sub = `client_id`, aud = `audience`.
pub fn client_assertion(
    key: &SigningKey,
    header: &JwtHeader,
    client_id: &str,
    audience: &str,
    now: Duration,
) -> Result<SecretString, Error> {
    let iat = now.as_secs();
    let claims = AssertionClaims {
        aud: audience,
        sub: client_id,
        iss: client_id,
        jti: random_jti(),
        iat,
        exp: iat + ASSERTION_LIFETIME.as_secs(),
    };
    Ok(SecretString::new(sign_jwt(key, header, &claims)?))
}

impl ClientAuth {
    /// `client_secret_basic` with RFC 6749 encoding.
    pub fn basic(secret: impl Into<SecretString>) -> Self {
        Self::SecretBasic {
            secret: secret.into(),
            encoding: BasicEncoding::Rfc6749,
        }
    }

    /// `client_secret_basic` with the IDaaS reference SDK's raw encoding
    /// (Base64 of `id:secret` without form-encoding; identical to RFC 6749
    /// for ids and secrets of unreserved characters only).
    pub fn basic_raw(secret: impl Into<SecretString>) -> Self {
        Self::SecretBasic {
            secret: secret.into(),
            encoding: BasicEncoding::Raw,
        }
    }

    /// `client_secret_post`.
    pub fn post(secret: impl Into<SecretString>) -> Self {
        Self::SecretPost {
            secret: secret.into(),
        }
    }

    /// `client_secret_jwt` with HS256, HS384 or HS512 keyed by the secret.
    pub fn secret_jwt(secret: impl Into<SecretString>, alg: Algorithm) -> Result<Self, Error> {
        Ok(Self::SecretJwt {
            key: Arc::new(SigningKey::hmac(secret.into(), alg)?),
        })
    }

    /// `private_key_jwt` signed by `key` with the header of
    /// [`JwtHeader::for_key`]: `typ: JWT` and `kid` (the key's, else its
    /// RFC 7638 thumbprint).
    pub fn private_key_jwt(key: Arc<SigningKey>) -> Self {
        let header = JwtHeader::for_key(&key, None);
        Self::PrivateKeyJwt { key, header }
    }

    /// `private_key_jwt` with `x5c` and `x5t#S256` of the client's
    /// certificate chain in the header. Fails when the leaf certificate is
    /// not for `key`.
    pub fn private_key_jwt_with_certificate(
        key: Arc<SigningKey>,
        chain: &CertificateChain,
    ) -> Result<Self, Error> {
        if !chain.certifies(&key) {
            return Err(Error::Misconfigured(
                "the client certificate does not certify the private key (the leaf's public key differs)"
                    .into(),
            ));
        }
        let header = JwtHeader::for_key(&key, Some(chain));
        Ok(Self::PrivateKeyJwt { key, header })
    }

    /// The `token_endpoint_auth_method` name.
    pub fn method_name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SecretBasic { .. } => "client_secret_basic",
            Self::SecretPost { .. } => "client_secret_post",
            Self::SecretJwt { .. } => "client_secret_jwt",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
            Self::TlsClientAuth => "tls_client_auth",
            Self::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// The method by its `token_endpoint_auth_method` name, for the two
    /// methods that need no secret: `none`, `tls_client_auth`,
    /// `self_signed_tls_client_auth`.
    pub fn without_secret(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::None),
            "tls_client_auth" => Some(Self::TlsClientAuth),
            "self_signed_tls_client_auth" => Some(Self::SelfSignedTlsClientAuth),
            _ => None,
        }
    }

    /// Whether the client authenticates by its TLS certificate (RFC 8705
    /// §2), and so calls the provider's `mtls_endpoint_aliases`.
    pub fn uses_mtls(&self) -> bool {
        matches!(self, Self::TlsClientAuth | Self::SelfSignedTlsClientAuth)
    }

    /// Adds the client's credentials to a request: `client_id` first (always,
    /// also with Basic, as the reference does), then the method's fields; or
    /// the `Authorization` header for Basic. `audience` is the assertion's
    /// `aud` (normally the token endpoint).
    pub fn apply(
        &self,
        client_id: &str,
        audience: &str,
        now: Duration,
        form: &mut Form,
        headers: &mut HeaderMap,
    ) -> Result<(), Error> {
        form.push("client_id", client_id);
        match self {
            // mTLS: the certificate went with the TLS handshake
            Self::None | Self::TlsClientAuth | Self::SelfSignedTlsClientAuth => {}
            Self::SecretBasic { secret, encoding } => {
                let (id, secret) = match encoding {
                    BasicEncoding::Rfc6749 => (
                        encode_component(client_id),
                        encode_component(secret.expose_secret()),
                    ),
                    BasicEncoding::Raw => (client_id.to_owned(), secret.expose_secret().to_owned()),
                };
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                let mut value = HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| {
                    Error::Misconfigured("client credentials cannot form a Basic header".into())
                })?;
                value.set_sensitive(true);
                headers.insert(header::AUTHORIZATION, value);
            }
            Self::SecretPost { secret } => {
                form.push_secret("client_secret", secret);
            }
            Self::SecretJwt { key } => {
                let header = JwtHeader {
                    typ: Some("JWT".into()),
                    ..JwtHeader::default()
                };
                let assertion = client_assertion(key, &header, client_id, audience, now)?;
                form.push("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
                form.push_secret("client_assertion", &assertion);
            }
            Self::PrivateKeyJwt { key, header } => {
                let assertion = client_assertion(key, header, client_id, audience, now)?;
                form.push("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
                form.push_secret("client_assertion", &assertion);
            }
        }
        Ok(())
    }
}
