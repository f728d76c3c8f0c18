//! Mutual TLS (RFC 8705): client authentication by the TLS client
//! certificate and certificate-bound access tokens.
//!
//! The certificate itself travels in the TLS handshake: give the HTTP client
//! a [`ClientIdentity`] ([`HttpOptions::client_identity`], or
//! `httpConfiguration.clientCertificateFile` / `clientKeyFile`). Then:
//!
//! - [`ClientAuth::TlsClientAuth`](crate::ClientAuth::TlsClientAuth) (PKI:
//!   the server matches the certificate's subject) and
//!   [`ClientAuth::SelfSignedTlsClientAuth`](crate::ClientAuth::SelfSignedTlsClientAuth)
//!   (the server matches the certificate against the client's registered
//!   JWKS) send only `client_id`, for every grant, introspection,
//!   revocation, PAR and device authorization;
//! - a client using either one calls the provider's
//!   `mtls_endpoint_aliases` (RFC 8705 §5) instead of the plain endpoints
//!   ([`ProviderMetadata::mtls_aliased`](crate::ProviderMetadata::mtls_aliased),
//!   applied by `OAuthClient::from_metadata` and `UserClient::from_metadata`);
//! - a token bound to the certificate (`cnf.x5t#S256` in a JWT access
//!   token, §3.1) keeps its binding in
//!   [`TokenResponse::certificate_thumbprint`](crate::TokenResponse); with
//!   [`OAuthClient::with_certificate_binding`](crate::OAuthClient::with_certificate_binding)
//!   a token bound to another certificate is refused. Resource servers check
//!   the binding with `idaas-guard`.
//!
//! [`ClientIdentity`]: idaas_core::http::ClientIdentity
//! [`HttpOptions::client_identity`]: idaas_core::http::HttpOptions::client_identity

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idaas_core::config::Environment;
use idaas_core::http::ClientIdentity;
use serde_json::Value;

use crate::error::Error;

/// The discovery member naming the mTLS endpoint aliases (RFC 8705 §5).
pub const MTLS_ENDPOINT_ALIASES: &str = "mtls_endpoint_aliases";

/// The `x5t#S256` of a DER certificate: the unpadded base64url SHA-256 of
/// its bytes (RFC 8705 §3.1).
pub fn certificate_thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, der))
}

/// The `x5t#S256` of the leaf certificate of `identity` (environment
/// variables read from `env`).
pub fn identity_thumbprint(
    identity: &ClientIdentity,
    env: &dyn Environment,
) -> Result<String, Error> {
    let chain = identity.certificate_chain_der(env)?;
    // certificate_chain_der never returns an empty chain
    Ok(certificate_thumbprint(&chain[0]))
}

/// `cnf.x5t#S256` of a JWT access token, read without verifying it: what
/// the client keeps (a resource server verifies the token first). `None`
/// for an opaque token or a JWT without that confirmation.
pub fn bound_thumbprint(access_token: &str) -> Option<String> {
    let mut parts = access_token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims
        .get("cnf")?
        .get("x5t#S256")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_unpadded_base64url_sha256() {
        // SHA-256("abc"), RFC 6234's test vector
        assert_eq!(
            certificate_thumbprint(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn reads_the_binding_of_a_jwt_only() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"cnf":{"x5t#S256":"abc"}}"#);
        assert_eq!(
            bound_thumbprint(&format!("e30.{claims}.sig")).as_deref(),
            Some("abc")
        );
        let unbound = URL_SAFE_NO_PAD.encode(r#"{"cnf":{"jkt":"k"}}"#);
        assert_eq!(bound_thumbprint(&format!("e30.{unbound}.sig")), None);
        assert_eq!(bound_thumbprint("opaque-token"), None);
        assert_eq!(bound_thumbprint(&format!("a.{claims}.c.d")), None);
        assert_eq!(bound_thumbprint("a.!!!.c"), None);
    }
}
