//! The TLS side of the test servers: an acceptor presenting a certificate
//! chain and key from tests/fixtures/tls (shared by idaas-core's and
//! idaas-cli's TLS tests through `#[path]`).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// An acceptor presenting `cert` (PEM chain) with `key` (PEM).
pub(crate) fn acceptor(cert: &Path, key: &Path) -> tokio_rustls::TlsAcceptor {
    let certs = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
