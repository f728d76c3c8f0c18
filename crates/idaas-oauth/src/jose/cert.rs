//! X.509 certificate chains for the `x5c` and `x5t#S256` header members of
//! client assertions (RFC 7515 §4.1.6, §4.1.8).

use base64::Engine;
use ring::digest;

use super::{JwtError, SigningKey, VerifyingKey, b64url, public_jwk};

/// A certificate chain, leaf first, as DER. The certificates are read (the
/// leaf's public key must parse) but not validated: the server does that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChain {
    ders: Vec<Vec<u8>>,
}

impl CertificateChain {
    /// Every `CERTIFICATE` block of PEM text, leaf first.
    pub fn from_pem(text: &str) -> Result<Self, JwtError> {
        let blocks =
            pem::parse_many(text).map_err(|e| JwtError::Malformed(format!("not PEM ({e})")))?;
        let ders: Vec<Vec<u8>> = blocks
            .into_iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| b.into_contents())
            .collect();
        Self::from_ders(ders)
    }

    /// DER certificates, leaf first.
    pub fn from_ders(ders: Vec<Vec<u8>>) -> Result<Self, JwtError> {
        let leaf = ders
            .first()
            .ok_or_else(|| JwtError::Malformed("no CERTIFICATE block".into()))?;
        VerifyingKey::from_certificate_der(leaf)?;
        Ok(Self { ders })
    }

    /// The leaf certificate's validity, `(notBefore, notAfter)` in Unix seconds.
    pub fn leaf_validity(&self) -> Result<(u64, u64), JwtError> {
        super::asn1::read_certificate_validity(self.leaf()).map_err(JwtError::Malformed)
    }

    /// The leaf certificate's DER.
    pub fn leaf(&self) -> &[u8] {
        &self.ders[0]
    }

    /// The leaf certificate's public key.
    pub fn leaf_key(&self) -> VerifyingKey {
        VerifyingKey::from_certificate_der(self.leaf()).expect("checked when the chain was built")
    }

    /// `x5c`: standard Base64 (not base64url) DER, leaf first.
    pub fn x5c(&self) -> Vec<String> {
        self.ders
            .iter()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
            .collect()
    }

    /// `x5t#S256`: base64url SHA-256 of the leaf's DER.
    pub fn x5t_s256(&self) -> String {
        b64url(digest::digest(&digest::SHA256, self.leaf()).as_ref())
    }

    /// Whether the leaf certifies the public half of `key`.
    pub fn certifies(&self, key: &SigningKey) -> bool {
        let ours = public_jwk(key).and_then(|j| j["kid"].as_str().map(str::to_owned));
        let leaf = self
            .leaf_key()
            .to_jwk()
            .and_then(|j| super::jwk_thumbprint(&j));
        ours.is_some() && ours == leaf
    }
}
