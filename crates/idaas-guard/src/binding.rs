//! Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf`
//! carries `x5t#S256` is accepted only from a request whose TLS client
//! certificate has that SHA-256 thumbprint.
//!
//! The guard cannot see the TLS connection: the server puts the peer's leaf
//! certificate into each request's extensions as a [`ClientCertificate`],
//! and [`RequireToken`](crate::RequireToken) (or
//! [`TokenVerifier::verify_with_certificate`](crate::TokenVerifier::verify_with_certificate))
//! checks it. With axum on a tokio-rustls accept loop (the server's
//! `rustls::ServerConfig` asks for client certificates, e.g. with
//! `WebPkiClientVerifier::builder(roots).allow_unauthenticated()`):
//!
//! ```ignore
//! let (tcp, _) = listener.accept().await?;
//! let tls = acceptor.accept(tcp).await?;
//! let certificate = tls.get_ref().1.peer_certificates()
//!     .and_then(|chain| chain.first())
//!     .map(|leaf| ClientCertificate::from_der(leaf.as_ref()));
//! // one router per connection, with that connection's certificate
//! let app = match certificate {
//!     Some(c) => router.clone().layer(axum::Extension(c)),
//!     None => router.clone(),
//! };
//! let service = hyper_util::service::TowerToHyperService::new(app);
//! hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
//!     .serve_connection(TokioIo::new(tls), service).await?;
//! ```
//!
//! (`RequireToken` must be inside that `Extension` layer: layers added
//! later run first, so add `RequireToken` to `router` before.) A bound token
//! without a certificate, or with another one, is 401 `invalid_token`
//! ([`Reason::CertificateMismatch`](crate::Reason::CertificateMismatch)).

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{Error, Reason};

/// The TLS client certificate a request came with (the DER of the leaf), as
/// a request extension for [`RequireToken`](crate::RequireToken).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    thumbprint: Arc<str>,
}

impl ClientCertificate {
    /// The peer's leaf certificate, DER-encoded (rustls'
    /// `peer_certificates()[0]`, openssl's `peer_certificate().to_der()`).
    pub fn from_der(der: &[u8]) -> Self {
        Self {
            thumbprint: idaas_oauth::mtls::certificate_thumbprint(der).into(),
        }
    }

    /// Its `x5t#S256`: the unpadded base64url SHA-256 of the DER.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t#S256", &&*self.thumbprint)
            .finish()
    }
}

/// `cnf.x5t#S256` of verified claims (JWT or introspection, RFC 8705 §3.1
/// and §3.2).
pub(crate) fn bound_thumbprint(claims: &serde_json::Map<String, Value>) -> Option<&Value> {
    claims.get("cnf")?.get("x5t#S256")
}

/// Checks the binding of verified `claims` against the request's
/// certificate: unbound tokens pass; a bound one needs the certificate
/// with that thumbprint.
pub(crate) fn check(
    claims: &serde_json::Map<String, Value>,
    presented: Option<&ClientCertificate>,
) -> Result<(), Error> {
    let Some(bound) = bound_thumbprint(claims) else {
        return Ok(());
    };
    let matches = match (bound.as_str(), presented) {
        (Some(bound), Some(certificate)) => idaas_core::secret::constant_time_eq(
            bound.as_bytes(),
            certificate.thumbprint().as_bytes(),
        ),
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(Error::InvalidToken(Reason::CertificateMismatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(cnf: Value) -> serde_json::Map<String, Value> {
        let Value::Object(map) = serde_json::json!({ "sub": "s", "cnf": cnf }) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn a_bound_token_needs_the_certificate_with_its_thumbprint() {
        let ours = ClientCertificate::from_der(b"our certificate");
        let other = ClientCertificate::from_der(b"another certificate");
        let bound = claims(serde_json::json!({ "x5t#S256": ours.thumbprint() }));
        assert!(check(&bound, Some(&ours)).is_ok());
        for presented in [Some(&other), None] {
            let e = check(&bound, presented).unwrap_err();
            assert_eq!(e.reason(), Some(Reason::CertificateMismatch));
            assert_eq!(e.status(), 401);
            assert_eq!(e.code(), Some("invalid_token"));
        }
        let malformed = claims(serde_json::json!({ "x5t#S256": 5 }));
        assert!(check(&malformed, Some(&ours)).is_err());
        // unbound (or DPoP-bound) tokens do not need a certificate
        assert!(check(&claims(serde_json::json!({ "jkt": "k" })), None).is_ok());
        let mut plain = bound.clone();
        plain.remove("cnf");
        assert!(check(&plain, None).is_ok());
        assert_eq!(ours.thumbprint().len(), 43);
        assert!(format!("{ours:?}").contains(ours.thumbprint()));
    }
}
