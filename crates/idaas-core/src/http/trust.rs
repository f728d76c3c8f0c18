//! Which certificates the transport trusts, and what to say when a server's
//! certificate is not trusted.
//!
//! The roots are, together: the operating system's store (through
//! `rustls-native-certs`, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`),
//! the bundled Mozilla roots (`webpki-roots`, so a container without CA
//! certificates still reaches public IdPs) and every certificate of the PEM
//! files in [`HttpOptions::ca_certificate_files`](super::HttpOptions), for a
//! private CA. A private CA is added to the others; it replaces nothing.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, RootCertStore};
use zeroize::Zeroizing;

use crate::error::TransportError;

/// The environment variables `rustls-native-certs` reads.
const CERT_ENV: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// How to trust a private CA, for error messages.
pub(crate) const ADD_A_CA: &str = "if the server's certificate comes from a private or corporate CA, \
     trust that CA: set SSL_CERT_FILE=/path/to/ca.pem, or httpConfiguration.caCertificateFile \
     in client-config.json (HttpOptions::ca_certificate_files in code)";

/// The largest CA, certificate or key file read (1 MiB): a bundle of every
/// public root is ~250 KiB.
const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// The OS and bundled roots, loaded once per value of the certificate
/// environment variables (loading the OS store reads and parses hundreds of
/// files; a process builds many clients).
fn default_roots() -> Arc<RootCertStore> {
    type Loaded = Mutex<HashMap<Vec<Option<OsString>>, Arc<RootCertStore>>>;
    static LOADED: std::sync::OnceLock<Loaded> = std::sync::OnceLock::new();
    let key: Vec<Option<OsString>> = CERT_ENV.iter().map(std::env::var_os).collect();
    let loaded = LOADED.get_or_init(Loaded::default);
    if let Some(roots) = loaded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return roots.clone();
    }
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!(%error, "could not load a certificate of the operating system store");
    }
    let (added, ignored) = store.add_parsable_certificates(native.certs);
    tracing::debug!(
        native_added = added,
        native_ignored = ignored,
        bundled = webpki_roots::TLS_SERVER_ROOTS.len(),
        "loaded trust roots"
    );
    let store = Arc::new(store);
    loaded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, store.clone());
    store
}

/// The trust roots for a client: the defaults plus every certificate of
/// `ca_files`. A file that cannot be read, holds no certificate or holds one
/// that does not parse is a [`TransportError::CaFile`] naming it.
pub(crate) fn root_store(ca_files: &[PathBuf]) -> Result<Arc<RootCertStore>, TransportError> {
    let defaults = default_roots();
    if ca_files.is_empty() {
        return Ok(defaults);
    }
    let mut store = (*defaults).clone();
    for path in ca_files {
        // read_ca_file parsed each one already: adding cannot fail.
        let (_, ignored) = store.add_parsable_certificates(read_ca_file(path)?);
        debug_assert_eq!(ignored, 0);
    }
    Ok(Arc::new(store))
}

/// Checks that `path` is a PEM file of one or more CA certificates the
/// transport can trust, and returns how many it holds. The error names the
/// file and what is wrong with it.
pub fn check_ca_file(path: &Path) -> Result<usize, TransportError> {
    read_ca_file(path).map(|certs| certs.len())
}

/// The certificates of one PEM file (one or many `CERTIFICATE` blocks; other
/// blocks are ignored).
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let error = |reason: String| TransportError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let text = read_pem_file(path, "a PEM file of CA certificates").map_err(error)?;
    let certs = pem_certificates(&text, "the CA certificate").map_err(error)?;
    let mut probe = RootCertStore::empty();
    for cert in &certs {
        // Parses each certificate the way the verifier will.
        probe
            .add(cert.clone())
            .map_err(|e| error(format!("holds a certificate that does not parse: {e}")))?;
    }
    Ok(certs)
}

/// The text of a PEM file of at most 1 MiB; the error says what is wrong
/// and asks for `wanted`.
pub(crate) fn read_pem_file(path: &Path, wanted: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut text = Zeroizing::new(Vec::new());
    file.take(MAX_PEM_FILE_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if text.len() as u64 > MAX_PEM_FILE_BYTES {
        return Err(format!(
            "is larger than {MAX_PEM_FILE_BYTES} bytes; give {wanted}"
        ));
    }
    Ok(text)
}

/// The `CERTIFICATE` blocks of PEM text, at least one; the error asks for
/// `wanted` in PEM form.
pub(crate) fn pem_certificates(
    text: &[u8],
    wanted: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----); give {wanted} in PEM form"
        ));
    }
    Ok(certs)
}

/// A rustls error in words, with what to do when it is a trust problem.
pub(crate) fn describe_tls_error(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(problem) => {
            let (words, trust) = describe_certificate_error(problem);
            if trust {
                format!("{words}; {ADD_A_CA}")
            } else {
                words
            }
        }
        other => other.to_string(),
    }
}

/// A certificate problem in words, and whether adding a CA may fix it.
fn describe_certificate_error(problem: &CertificateError) -> (String, bool) {
    use CertificateError as E;
    let text = match problem {
        E::UnknownIssuer => {
            return (
                "the server's certificate is not issued by a trusted certificate authority (unknown issuer)"
                    .into(),
                true,
            );
        }
        E::BadSignature => {
            return (
                "the server's certificate chain has a signature that does not verify".into(),
                true,
            );
        }
        E::Expired | E::ExpiredContext { .. } => {
            "the server's certificate has expired (or this machine's clock is wrong)".to_owned()
        }
        E::NotValidYet | E::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (or this machine's clock is wrong)"
                .to_owned()
        }
        E::NotValidForName | E::NotValidForNameContext { .. } => format!(
            "the server's certificate is not valid for the host name asked for ({problem}); use the name the certificate was issued for"
        ),
        E::Revoked => "the server's certificate has been revoked".to_owned(),
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => {
            "the server's certificate is not issued for TLS server authentication".to_owned()
        }
        E::BadEncoding => "the server's certificate does not parse".to_owned(),
        E::Other(other) => {
            let inner = format!("{other:?}");
            if inner.contains("CaUsedAsEndEntity") {
                return (
                    "the server presents a CA certificate as its own certificate; \
                     configure the server with a leaf certificate issued by that CA"
                        .into(),
                    false,
                );
            }
            if inner.contains("UnknownIssuer") || inner.contains("UnsupportedSignatureAlgorithm") {
                return (
                    format!("the server's certificate chain cannot be verified ({problem})"),
                    true,
                );
            }
            format!("the server's certificate was rejected ({problem})")
        }
        other => format!("the server's certificate was rejected ({other})"),
    };
    (text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_issuer_says_how_to_add_a_ca() {
        let text = describe_tls_error(&rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert!(
            text.contains("not issued by a trusted certificate authority"),
            "{text}"
        );
        assert!(text.contains("SSL_CERT_FILE"), "{text}");
        assert!(text.contains("caCertificateFile"), "{text}");
        let expired = describe_tls_error(&rustls::Error::InvalidCertificate(
            CertificateError::Expired,
        ));
        assert!(expired.contains("expired"), "{expired}");
        assert!(!expired.contains("SSL_CERT_FILE"), "{expired}");
    }

    #[test]
    fn the_defaults_hold_the_bundled_roots() {
        let roots = root_store(&[]).unwrap();
        assert!(roots.len() >= webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(
            Arc::ptr_eq(&roots, &root_store(&[]).unwrap()),
            "loaded once"
        );
    }
}
