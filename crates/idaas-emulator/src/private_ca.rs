//! A private CA for `PCA` clients: in tests it issues the client
//! certificates (for the clients' own keys) that the token endpoint checks
//! against the CA a federated credential trusts.

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use crate::x509::{self, Signer};

/// A certificate authority: a P-256 key and its certificate (self-signed
/// for a root, signed by the parent for an intermediate).
pub struct PrivateCa {
    certificate: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for PrivateCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateCa").finish_non_exhaustive()
    }
}

fn failed(e: openssl::error::ErrorStack) -> String {
    format!("the private CA failed: {e}")
}

impl PrivateCa {
    /// A root CA named `common_name`, valid for ten years.
    pub fn generate(common_name: &str) -> Result<Self, String> {
        let key = x509::p256_key().map_err(failed)?;
        let public = x509::public(&key).map_err(failed)?;
        let certificate = x509::certificate(
            common_name,
            &public,
            Signer::SelfSigned(&key),
            true,
            (-1, 3650),
        )
        .map_err(failed)?;
        Ok(Self { certificate, key })
    }

    /// An intermediate CA under this one.
    pub fn intermediate(&self, common_name: &str) -> Result<Self, String> {
        let key = x509::p256_key().map_err(failed)?;
        let public = x509::public(&key).map_err(failed)?;
        let certificate = x509::certificate(
            common_name,
            &public,
            Signer::Ca(&self.certificate, &self.key),
            true,
            (-1, 3650),
        )
        .map_err(failed)?;
        Ok(Self { certificate, key })
    }

    /// This CA's certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        x509::pem(&self.certificate)
    }

    /// A client certificate for the key of `key_pem` (a private or public
    /// key, PEM), valid from yesterday for a year.
    pub fn issue(&self, common_name: &str, key_pem: &str) -> Result<String, String> {
        self.issue_valid(common_name, key_pem, (-1, 365))
    }

    /// [`issue`](Self::issue) with a validity window in days from now
    /// (e.g. `(-30, -1)` for a certificate that has expired).
    pub fn issue_valid(
        &self,
        common_name: &str,
        key_pem: &str,
        days: (i64, i64),
    ) -> Result<String, String> {
        let public = match PKey::private_key_from_pem(key_pem.as_bytes()) {
            Ok(private) => x509::public(&private).map_err(failed)?,
            Err(_) => PKey::public_key_from_pem(key_pem.as_bytes())
                .map_err(|_| "the client key is not a PEM private or public key".to_owned())?,
        };
        let certificate = x509::certificate(
            common_name,
            &public,
            Signer::Ca(&self.certificate, &self.key),
            false,
            days,
        )
        .map_err(failed)?;
        Ok(x509::pem(&certificate))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::x509::verify_path;

    fn now() -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
    }

    fn client_key() -> String {
        let key = x509::p256_key().unwrap();
        String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
    }

    #[test]
    fn a_certificate_of_the_trusted_ca_verifies_directly_or_through_intermediates() {
        let root = PrivateCa::generate("root").unwrap();
        let key = client_key();
        let direct = root.issue("client", &key).unwrap();
        verify_path(&direct, "", &root.certificate_pem(), now()).unwrap();
        let issuing = root.intermediate("issuing").unwrap();
        let leaf = issuing.issue("client", &key).unwrap();
        let chain = format!("{}{}", issuing.certificate_pem(), root.certificate_pem());
        let der = verify_path(&leaf, &chain, &root.certificate_pem(), now()).unwrap();
        assert_eq!(
            der,
            X509::from_pem(leaf.as_bytes()).unwrap().to_der().unwrap()
        );
    }

    #[test]
    fn every_broken_path_is_rejected() {
        let root = PrivateCa::generate("root").unwrap();
        let issuing = root.intermediate("issuing").unwrap();
        let key = client_key();
        let trusted = root.certificate_pem();
        let leaf = issuing.issue("client", &key).unwrap();
        let reject = |leaf: &str, chain: &str, at: Duration| {
            verify_path(leaf, chain, &trusted, at).unwrap_err()
        };
        // the intermediate withheld
        assert!(reject(&leaf, "", now()).contains("does not chain"));
        // another CA of the same name
        let impostor = PrivateCa::generate("root").unwrap();
        let forged = impostor.issue("client", &key).unwrap();
        assert!(reject(&forged, &impostor.certificate_pem(), now()).contains("does not chain"));
        // a self-signed leaf
        let selfish = PrivateCa::generate("client").unwrap().certificate_pem();
        assert!(reject(&selfish, "", now()).contains("does not chain"));
        // expired, and not yet valid
        let expired = root.issue_valid("client", &key, (-30, -1)).unwrap();
        assert!(reject(&expired, "", now()).contains("expired"));
        let direct = root.issue("client", &key).unwrap();
        let before = now() - Duration::from_secs(3 * 86_400);
        assert!(reject(&direct, "", before).contains("not yet valid"));
        // not certificates at all
        assert!(reject("CERT", "", now()).contains("not a PEM certificate"));
        assert!(reject(&leaf, "garbage", now()).contains("not a list of PEM"));
    }
}
