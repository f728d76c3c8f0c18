//! The client certificate of mutual TLS (RFC 8705): a PEM certificate chain
//! and its private key, from files, environment variables or memory, checked
//! once when the client is built and presented to every server that asks
//! for one.
//!
//! Every problem is a [`TransportError::ClientCertificate`] naming the file,
//! the variable or "given in code" and what is wrong: unreadable, not PEM, no
//! certificate or key in it, a key type the TLS stack cannot sign with, or a
//! key that is not the certificate's. The key is never printed: `Debug`
//! shows where it comes from, never its text.

use std::fmt;
use std::path::PathBuf;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use super::trust::{pem_certificates, read_pem_file};
use crate::config::Environment;
use crate::error::TransportError;
use crate::secret::SecretString;

/// Where one PEM document (the certificate chain, or the private key) comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    /// A PEM file.
    File(PathBuf),
    /// An environment variable holding the PEM text.
    EnvVar(String),
    /// The PEM text, given in code.
    Pem(SecretString),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::EnvVar(name) => f.debug_tuple("EnvVar").field(name).finish(),
            Self::Pem(_) => f.write_str("Pem([REDACTED])"),
        }
    }
}

impl PemSource {
    /// Where it comes from, in words, for errors: `the client certificate
    /// file "/etc/x.pem"`.
    fn describe(&self, what: &str) -> String {
        match self {
            Self::File(path) => format!("the {what} file {:?}", path.display().to_string()),
            Self::EnvVar(name) => format!("the {what} in environment variable {name}"),
            Self::Pem(_) => format!("the {what} given in code"),
        }
    }

    /// The PEM text.
    fn read(
        &self,
        what: &str,
        env: &dyn Environment,
    ) -> Result<Zeroizing<Vec<u8>>, TransportError> {
        let error = |reason: String| client_certificate_error(self.describe(what), reason);
        match self {
            Self::File(path) => read_pem_file(path, "a PEM file").map_err(error),
            Self::EnvVar(name) => env
                .non_blank(name)
                .map(|text| Zeroizing::new(text.into_bytes()))
                .ok_or_else(|| error("is not set; export it with the PEM text".into())),
            Self::Pem(text) => Ok(Zeroizing::new(text.expose_secret().as_bytes().to_vec())),
        }
    }
}

fn client_certificate_error(origin: String, reason: String) -> TransportError {
    TransportError::ClientCertificate { origin, reason }
}

/// Which half of a [`ClientIdentity`] a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityPart {
    /// The certificate chain.
    Certificate,
    /// The private key (also: a key that does not match the certificate).
    Key,
}

/// A client certificate chain (leaf first) and its private key, for mutual
/// TLS: [`HttpOptions::client_identity`](super::HttpOptions), or
/// `httpConfiguration.clientCertificateFile` / `clientKeyFile` in
/// client-config.json.
///
/// ```
/// use idaas_core::http::{ClientIdentity, HttpOptions, HyperClient};
///
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
/// let identity = ClientIdentity::from_files(format!("{dir}/client.pem"), format!("{dir}/client.key"));
/// let client = HyperClient::new(HttpOptions { client_identity: Some(identity), ..Default::default() })?;
/// # Ok::<(), idaas_core::TransportError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    certificate: PemSource,
    key: PemSource,
}

/// A checked identity, as rustls takes it.
pub(crate) struct LoadedIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

const CERTIFICATE: &str = "client certificate";
const KEY: &str = "client key";

impl ClientIdentity {
    /// The chain from `certificate`, the key from `key`.
    pub fn new(certificate: PemSource, key: PemSource) -> Self {
        Self { certificate, key }
    }

    /// Both from PEM files.
    pub fn from_files(certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self::new(
            PemSource::File(certificate.into()),
            PemSource::File(key.into()),
        )
    }

    /// Both from environment variables holding the PEM text (read when the
    /// HTTP client is built).
    pub fn from_env(certificate_var: impl Into<String>, key_var: impl Into<String>) -> Self {
        Self::new(
            PemSource::EnvVar(certificate_var.into()),
            PemSource::EnvVar(key_var.into()),
        )
    }

    /// Both as PEM text in memory.
    pub fn from_pem(certificate: impl Into<String>, key: impl Into<SecretString>) -> Self {
        Self::new(
            PemSource::Pem(SecretString::new(certificate.into())),
            PemSource::Pem(key.into()),
        )
    }

    /// Where the certificate chain comes from.
    pub fn certificate(&self) -> &PemSource {
        &self.certificate
    }

    /// Where the private key comes from.
    pub fn key(&self) -> &PemSource {
        &self.key
    }

    /// Reads and checks both halves (environment variables from `env`) and
    /// returns the certificate chain in DER, leaf first: for the
    /// certificate's thumbprint (`x5t#S256`) or a JWK's `x5c`. The error
    /// names the file or variable and what is wrong.
    pub fn certificate_chain_der(
        &self,
        env: &dyn Environment,
    ) -> Result<Vec<Vec<u8>>, TransportError> {
        let loaded = self.load(env).map_err(|(_, e)| e)?;
        Ok(loaded.chain.iter().map(|c| c.as_ref().to_vec()).collect())
    }

    /// Reads and checks both halves; the error says which half is at fault.
    pub fn check(&self, env: &dyn Environment) -> Result<(), (IdentityPart, TransportError)> {
        self.load(env).map(|_| ())
    }

    pub(crate) fn load(
        &self,
        env: &dyn Environment,
    ) -> Result<LoadedIdentity, (IdentityPart, TransportError)> {
        let chain = self
            .read_chain(env)
            .map_err(|e| (IdentityPart::Certificate, e))?;
        let key = self.read_key(env).map_err(|e| (IdentityPart::Key, e))?;
        let provider = rustls::crypto::ring::default_provider();
        let key_error = |reason: String| {
            (
                IdentityPart::Key,
                client_certificate_error(self.key.describe(KEY), reason),
            )
        };
        let signing_key = provider
            .key_provider
            .load_private_key(key.clone_key())
            .map_err(|e| {
                key_error(format!(
                    "holds a key type TLS cannot sign with ({e}); use an RSA (2048 bits or more), ECDSA P-256 or P-384, or Ed25519 key"
                ))
            })?;
        let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing_key);
        match certified.keys_match() {
            Ok(()) => {}
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                return Err(key_error(format!(
                    "does not match {} (the certificate's public key is another key's); give the key the certificate was issued for",
                    self.certificate.describe(CERTIFICATE)
                )));
            }
            // ring's keys all expose their public key; an unknown answer is no mismatch
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
            Err(e) => {
                return Err((
                    IdentityPart::Certificate,
                    client_certificate_error(
                        self.certificate.describe(CERTIFICATE),
                        format!("holds a leaf certificate that does not parse ({e})"),
                    ),
                ));
            }
        }
        Ok(LoadedIdentity { chain, key })
    }

    fn read_chain(
        &self,
        env: &dyn Environment,
    ) -> Result<Vec<CertificateDer<'static>>, TransportError> {
        let text = self.certificate.read(CERTIFICATE, env)?;
        let error = |reason: String| {
            client_certificate_error(self.certificate.describe(CERTIFICATE), reason)
        };
        pem_certificates(&text, "the client certificate, then its intermediates,").map_err(error)
    }

    fn read_key(&self, env: &dyn Environment) -> Result<PrivateKeyDer<'static>, TransportError> {
        let text = self.key.read(KEY, env)?;
        PrivateKeyDer::from_pem_slice(&text).map_err(|e| {
            let reason = match e {
                pem::Error::NoItemsFound => "holds no PEM private key (-----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY); give the certificate's private key in PEM form".to_owned(),
                other => format!("is not a valid PEM private key: {other}"),
            };
            client_certificate_error(self.key.describe(KEY), reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnv;

    #[test]
    fn debug_never_shows_pem_text() {
        let identity = ClientIdentity::from_pem("CERT-TEXT", "KEY-TEXT");
        let text = format!("{identity:?}");
        assert!(
            !text.contains("KEY-TEXT") && !text.contains("CERT-TEXT"),
            "{text}"
        );
        assert!(text.contains("REDACTED"), "{text}");
        let files = format!("{:?}", ClientIdentity::from_files("/c.pem", "/k.pem"));
        assert!(files.contains("/k.pem"), "{files}");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let (part, e) = ClientIdentity::from_env("CERT_PEM", "KEY_PEM")
            .check(&MapEnv::new())
            .unwrap_err();
        assert_eq!(part, IdentityPart::Certificate);
        let text = e.to_string();
        assert!(text.contains("environment variable CERT_PEM"), "{text}");
        assert!(text.contains("is not set"), "{text}");
    }
}
