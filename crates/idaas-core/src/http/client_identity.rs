//! The client certificate of mutual TLS (RFC 8705): a PEM certificate chain
//! and its private key, from files, environment variables or memory, checked
//! once when the client is built (`identity_check.rs`, with the `transport`
//! feature) and presented to every server that asks for one.
//!
//! Every problem is a [`TransportError::ClientCertificate`] naming the file,
//! the variable or "given in code" and what is wrong: unreadable, not PEM, no
//! certificate or key in it, a key type the TLS stack cannot sign with, or a
//! key that is not the certificate's. The key is never printed: `Debug`
//! shows where it comes from, never its text.

use std::fmt;
use std::path::PathBuf;

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
/// let client = HyperClient::new(HttpOptions::default().with_client_identity(identity))?;
/// # Ok::<(), idaas_core::TransportError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    certificate: PemSource,
    key: PemSource,
}

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
}
