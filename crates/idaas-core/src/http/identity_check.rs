//! Reading and checking a [`ClientIdentity`] (rustls: the key type must be
//! one TLS can sign with, and the certificate's): the error names the file,
//! the variable or "given in code" and what is wrong. The key is never
//! printed.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use super::trust::{pem_certificates, read_pem_file};
use super::{ClientIdentity, IdentityPart, PemSource};
use crate::config::Environment;
use crate::error::TransportError;

/// Where `source` comes from, in words, for errors: `the client
/// certificate file "/etc/x.pem"`.
fn describe(source: &PemSource, what: &str) -> String {
    match source {
        PemSource::File(path) => format!("the {what} file {:?}", path.display().to_string()),
        PemSource::EnvVar(name) => format!("the {what} in environment variable {name}"),
        PemSource::Pem(_) => format!("the {what} given in code"),
    }
}

/// The PEM text of `source`.
fn read(
    source: &PemSource,
    what: &str,
    env: &dyn Environment,
) -> Result<Zeroizing<Vec<u8>>, TransportError> {
    let error = |reason: String| client_certificate_error(describe(source, what), reason);
    match source {
        PemSource::File(path) => read_pem_file(path, "a PEM file").map_err(error),
        PemSource::EnvVar(name) => env
            .non_blank(name)
            .map(|text| Zeroizing::new(text.into_bytes()))
            .ok_or_else(|| error("is not set; export it with the PEM text".into())),
        PemSource::Pem(text) => Ok(Zeroizing::new(text.expose_secret().as_bytes().to_vec())),
    }
}

fn client_certificate_error(origin: String, reason: String) -> TransportError {
    TransportError::ClientCertificate { origin, reason }
}

/// A checked identity, as rustls takes it.
pub(crate) struct LoadedIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

const CERTIFICATE: &str = "client certificate";
const KEY: &str = "client key";

impl ClientIdentity {
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
                client_certificate_error(describe(self.key(), KEY), reason),
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
                    describe(self.certificate(), CERTIFICATE)
                )));
            }
            // ring's keys all expose their public key; an unknown answer is no mismatch
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
            Err(e) => {
                return Err((
                    IdentityPart::Certificate,
                    client_certificate_error(
                        describe(self.certificate(), CERTIFICATE),
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
        let text = read(self.certificate(), CERTIFICATE, env)?;
        let error = |reason: String| {
            client_certificate_error(describe(self.certificate(), CERTIFICATE), reason)
        };
        pem_certificates(&text, "the client certificate, then its intermediates,").map_err(error)
    }

    fn read_key(&self, env: &dyn Environment) -> Result<PrivateKeyDer<'static>, TransportError> {
        let text = read(self.key(), KEY, env)?;
        PrivateKeyDer::from_pem_slice(&text).map_err(|e| {
            let reason = match e {
                pem::Error::NoItemsFound => "holds no PEM private key (-----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY); give the certificate's private key in PEM form".to_owned(),
                other => format!("is not a valid PEM private key: {other}"),
            };
            client_certificate_error(describe(self.key(), KEY), reason)
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
