//! [`DpopKey`]: the client's proof-of-possession key and the proofs it
//! signs (RFC 9449 §4).

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ring::digest;
use serde::Serialize;
use serde_json::{Map, Value};

use super::htu::normalise_htu;
use crate::SecretString;
use crate::error::Error;
use crate::jose::{Algorithm, KeyError, SigningKey, b64url};

/// The `typ` of a DPoP proof.
pub const DPOP_PROOF_TYPE: &str = "dpop+jwt";

/// A DPoP key: a private key (ES256 by default, EdDSA or RS256) with its
/// proof header — `typ`, `alg` and the public `jwk` — encoded once.
/// Cheap to clone.
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    key: Arc<SigningKey>,
    /// base64url of the JOSE header, then `.`.
    header_prefix: String,
    jwk: Value,
    thumbprint: String,
    /// The last request URI and its `htu`: most proofs of a key are for
    /// the same endpoint, whose normalisation is a third of a proof's
    /// overhead beside the signature.
    last_htu: Mutex<Option<(String, String)>>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.algorithm())
            .field("jkt", &self.inner.thumbprint)
            .finish_non_exhaustive()
    }
}

/// The claims of a proof, in RFC 9449 §4.2's order.
#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// A proof's `jti`: 128 random bits, base64url, from the thread's CSPRNG
/// (ChaCha, seeded and reseeded by the OS: a proof needs a unique
/// identifier, and a system call per proof was a quarter of its overhead).
fn jti() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    b64url(&bytes)
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's
/// ASCII bytes.
pub fn access_token_hash(access_token: &str) -> String {
    b64url(digest::digest(&digest::SHA256, access_token.as_bytes()).as_ref())
}

impl DpopKey {
    /// A new random ES256 (P-256) key.
    pub fn generate() -> Self {
        Self::from_key(Arc::new(SigningKey::generate_p256())).expect("a P-256 key signs proofs")
    }

    /// A new random key for `alg`: ES256, EdDSA (Ed25519) or RS256 (2048
    /// bits).
    pub fn generate_for(alg: Algorithm) -> Result<Self, Error> {
        let key = match alg {
            Algorithm::ES256 => SigningKey::generate_p256(),
            Algorithm::EdDSA => {
                let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(
                    &ring::rand::SystemRandom::new(),
                )
                .map_err(|_| KeyError::Signing("cannot generate an Ed25519 key".into()))?;
                SigningKey::from_pkcs8(pkcs8.as_ref())?
            }
            Algorithm::RS256 => {
                let rsa = openssl::rsa::Rsa::generate(2048)
                    .and_then(|r| r.private_key_to_der())
                    .map_err(|e| KeyError::Signing(format!("cannot generate an RSA key: {e}")))?;
                SigningKey::from_pkcs1(&rsa)?.with_algorithm(Algorithm::RS256)?
            }
            other => {
                return Err(Error::Misconfigured(format!(
                    "DPoP keys are generated for ES256, EdDSA or RS256, not {other}"
                )));
            }
        };
        Self::from_key(Arc::new(key))
    }

    /// A DPoP key of an existing private key (any asymmetric algorithm the
    /// key signs with; not an HMAC secret).
    pub fn from_key(key: Arc<SigningKey>) -> Result<Self, Error> {
        let (kty, members) = key.public_members().ok_or_else(|| {
            Error::Misconfigured("a DPoP key must be a private key, not an HMAC secret".into())
        })?;
        let mut jwk = Map::new();
        jwk.insert("kty".into(), Value::from(kty));
        for (name, value) in &members {
            jwk.insert((*name).into(), Value::from(value.as_str()));
        }
        let jwk = Value::Object(jwk);
        let thumbprint = crate::jose::jwk_thumbprint(&jwk).expect("complete public members");
        let header = serde_json::json!({
            "typ": DPOP_PROOF_TYPE,
            "alg": key.algorithm().as_str(),
            "jwk": jwk,
        });
        let mut header_prefix = b64url(header.to_string().as_bytes());
        header_prefix.push('.');
        Ok(Self {
            inner: Arc::new(Inner {
                key,
                header_prefix,
                jwk,
                thumbprint,
                last_htu: Mutex::new(None),
            }),
        })
    }

    /// A DPoP key from private key PEM text (PKCS#8, PKCS#1, SEC1).
    pub fn from_pem(pem_text: &str) -> Result<Self, Error> {
        Self::from_key(Arc::new(SigningKey::from_pem(pem_text)?))
    }

    /// A DPoP key read from a PEM file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            action: "read",
            path: path.display().to_string(),
            source: e,
        })?;
        Self::from_pem(&text)
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.key.algorithm()
    }

    /// The public JWK sent in every proof.
    pub fn public_jwk(&self) -> &Value {
        &self.inner.jwk
    }

    /// The RFC 7638 thumbprint of the public key: the `dpop_jkt`
    /// authorization parameter and the `cnf.jkt` of bound tokens.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// [`normalise_htu`] of `uri`, remembered for the next proof.
    fn htu(&self, uri: &str) -> Result<String, Error> {
        let mut last = self
            .inner
            .last_htu
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((seen, htu)) = last.as_ref()
            && seen == uri
        {
            return Ok(htu.clone());
        }
        let htu = normalise_htu(uri)?;
        *last = Some((uri.to_owned(), htu.clone()));
        Ok(htu)
    }

    /// A proof for a request of `method` to `uri` at Unix time `now`:
    /// `htu` normalised (RFC 9449 §4.3), a fresh random `jti`, `ath` of
    /// `access_token` for a resource request, the server's `nonce` when it
    /// sent one.
    pub fn proof(
        &self,
        method: &str,
        uri: &str,
        access_token: Option<&SecretString>,
        nonce: Option<&str>,
        now: Duration,
    ) -> Result<SecretString, Error> {
        let htu = self.htu(uri)?;
        let claims = ProofClaims {
            jti: jti(),
            htm: method,
            htu: &htu,
            iat: now.as_secs(),
            ath: access_token.map(|t| access_token_hash(t.expose_secret())),
            nonce,
        };
        let claims = serde_json::to_vec(&claims).map_err(|e| KeyError::Signing(e.to_string()))?;
        let mut token =
            String::with_capacity(self.inner.header_prefix.len() + claims.len() * 2 + 360);
        token.push_str(&self.inner.header_prefix);
        token.push_str(&b64url(&claims));
        let signature = self.inner.key.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64url(&signature));
        Ok(SecretString::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{VerifyingKey, decode_jws};

    #[test]
    fn ath_is_the_sha256_of_the_token() {
        // RFC 9449 §7.1's example token and its hash
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn a_proof_has_the_header_and_claims_of_rfc9449() {
        for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
            let key = DpopKey::generate_for(alg).unwrap();
            let token = SecretString::new("at-123");
            let proof = key
                .proof(
                    "GET",
                    "HTTPS://RS.example:443/api/../v1?x=1#f",
                    Some(&token),
                    Some("n-1"),
                    Duration::from_secs(1_700_000_000),
                )
                .unwrap();
            let jws = decode_jws(proof.expose_secret()).unwrap();
            assert_eq!(jws.header["typ"], "dpop+jwt");
            assert_eq!(jws.header["alg"], alg.as_str());
            let jwk = &jws.header["jwk"];
            assert!(
                jwk.get("d").is_none() && jwk.get("p").is_none(),
                "no private members"
            );
            assert_eq!(crate::jose::jwk_thumbprint(jwk).unwrap(), key.thumbprint());
            jws.verify(
                &VerifyingKey::from_jwk(jwk)
                    .unwrap()
                    .with_algorithm(alg)
                    .unwrap(),
            )
            .unwrap();
            let c = &jws.claims;
            assert_eq!(c["htm"], "GET");
            assert_eq!(c["htu"], "https://rs.example/v1");
            assert_eq!(c["iat"], 1_700_000_000);
            assert_eq!(c["ath"], access_token_hash("at-123"));
            assert_eq!(c["nonce"], "n-1");
            assert!(c["jti"].as_str().unwrap().len() >= 22);
        }
    }

    #[test]
    fn every_proof_has_its_own_jti_and_token_requests_have_no_ath() {
        let key = DpopKey::generate();
        let claims = |p: SecretString| decode_jws(p.expose_secret()).unwrap().claims.clone();
        let now = Duration::from_secs(1);
        let a = claims(
            key.proof("POST", "https://as.example/token", None, None, now)
                .unwrap(),
        );
        let b = claims(
            key.proof("POST", "https://as.example/token", None, None, now)
                .unwrap(),
        );
        assert_ne!(a["jti"], b["jti"]);
        // the remembered htu is the one of the proof's own URI
        for (uri, htu) in [
            ("https://AS.example/token", "https://as.example/token"),
            ("https://rs.example:443/a?x", "https://rs.example/a"),
            ("https://AS.example/token", "https://as.example/token"),
        ] {
            let c = claims(key.proof("GET", uri, None, None, now).unwrap());
            assert_eq!(c["htu"], htu);
        }
        assert!(key.proof("GET", "not a url", None, None, now).is_err());
        assert!(a.get("ath").is_none() && a.get("nonce").is_none());
    }

    #[test]
    fn hmac_keys_cannot_be_dpop_keys() {
        let hmac = SigningKey::hmac_bytes(&[7; 32], Algorithm::HS256).unwrap();
        assert!(DpopKey::from_key(Arc::new(hmac)).is_err());
        assert!(DpopKey::generate_for(Algorithm::HS256).is_err());
        assert!(!format!("{:?}", DpopKey::generate()).contains("PRIVATE"));
    }
}
