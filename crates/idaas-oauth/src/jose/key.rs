//! Signing keys, parsed once: an HMAC secret, or an RSA, EC or Ed25519
//! private key from PEM (PKCS#8, PKCS#1, SEC1) or DER.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::Algorithm;
use crate::SecretString;

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM, or not a private key PEM this SDK reads.
    #[error("unsupported private key: {0}")]
    Unsupported(String),
    /// The key material is malformed.
    #[error("malformed private key ({format}): {reason}")]
    Malformed {
        /// The container format.
        format: &'static str,
        /// What ring reported.
        reason: String,
    },
    /// The algorithm does not fit the key.
    #[error("algorithm {alg} cannot be used with a {key} key")]
    WrongAlgorithm {
        /// The algorithm asked for.
        alg: Algorithm,
        /// The key's type.
        key: &'static str,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

enum Material {
    Hmac(SecretString),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, Curve),
    Ed(Ed25519KeyPair),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

/// A key that signs JWS, with its algorithm, parsed once and reused.
pub struct SigningKey {
    material: Material,
    alg: Algorithm,
    rng: SystemRandom,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("key", &self.key_type())
            .finish_non_exhaustive()
    }
}

const PKCS8_EC_P256_PREFIX: &[u8] = &[
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x03, 0x01, 0x07,
];
const PKCS8_EC_P384_PREFIX: &[u8] = &[
    0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04,
    0x00, 0x22,
];

/// DER length octets.
fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];

/// The private key length and curve OID (if present) of a SEC1 `ECPrivateKey`:
/// `SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID OPTIONAL, ... }`.
fn sec1_fields(der: &[u8]) -> Option<(usize, Option<&[u8]>)> {
    let body = match der {
        [0x30, len, rest @ ..] if *len < 0x80 => rest,
        [0x30, 0x81, _, rest @ ..] => rest,
        [0x30, 0x82, _, _, rest @ ..] => rest,
        _ => return None,
    };
    let [0x02, 0x01, 0x01, 0x04, len, rest @ ..] = body else {
        return None;
    };
    let key_len = *len as usize;
    let after = rest.get(key_len..)?;
    let oid = match after {
        [0xa0, _, 0x06, oid_len, oid @ ..] => oid.get(..*oid_len as usize),
        _ => None,
    };
    Some((key_len, oid))
}

/// Wraps a SEC1 EC key into PKCS#8 (ring reads PKCS#8 only).
fn sec1_to_pkcs8(sec1: &[u8]) -> Result<(Vec<u8>, Curve), KeyError> {
    let (key_len, oid) = sec1_fields(sec1).ok_or_else(|| KeyError::Malformed {
        format: "SEC1",
        reason: "not an ECPrivateKey structure".into(),
    })?;
    let curve = match (oid, key_len) {
        (Some(OID_P256), _) | (None, 32) => Curve::P256,
        (Some(OID_P384), _) | (None, 48) => Curve::P384,
        (Some(OID_P521), _) | (None, 66) => {
            return Err(KeyError::Unsupported(
                "EC P-521 (ES512) keys are not supported yet".into(),
            ));
        }
        (Some(OID_SECP256K1), _) => {
            return Err(KeyError::Unsupported(
                "the EC curve secp256k1 (only P-256 and P-384 are supported)".into(),
            ));
        }
        _ => {
            return Err(KeyError::Unsupported(
                "this EC curve (only P-256 and P-384 are supported)".into(),
            ));
        }
    };
    let prefix = match curve {
        Curve::P256 => PKCS8_EC_P256_PREFIX,
        Curve::P384 => PKCS8_EC_P384_PREFIX,
    };
    let mut content = vec![0x02, 0x01, 0x00];
    content.extend_from_slice(prefix);
    content.extend(der_tlv(0x04, sec1));
    Ok((der_tlv(0x30, &content), curve))
}

/// The algorithm the reference SDK picks for a key: RSA by modulus size,
/// EC by curve.
fn default_rsa_alg(bits: usize) -> Algorithm {
    match bits {
        0..=2048 => Algorithm::RS256,
        2049..=3072 => Algorithm::RS384,
        _ => Algorithm::RS512,
    }
}

impl SigningKey {
    /// An HMAC key (`client_secret_jwt`). The secret's UTF-8 bytes are the key.
    pub fn hmac(secret: SecretString, alg: Algorithm) -> Result<Self, KeyError> {
        if !alg.is_hmac() {
            return Err(KeyError::WrongAlgorithm { alg, key: "HMAC" });
        }
        Ok(Self {
            material: Material::Hmac(secret),
            alg,
            rng: SystemRandom::new(),
        })
    }

    /// A private key from PEM text: `PRIVATE KEY` (PKCS#8: RSA, EC, Ed25519),
    /// `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1). The algorithm is
    /// the reference SDK's choice for the key (RS256/384/512 by RSA size,
    /// ES256/ES384 by curve, EdDSA); [`SigningKey::with_algorithm`] changes it.
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let parsed = pem::parse(pem_text.trim())
            .map_err(|e| KeyError::Unsupported(format!("not PEM text ({e})")))?;
        match parsed.tag() {
            "PRIVATE KEY" => Self::from_pkcs8(parsed.contents()),
            "RSA PRIVATE KEY" => Self::from_pkcs1(parsed.contents()),
            "EC PRIVATE KEY" => {
                let (pkcs8, curve) = sec1_to_pkcs8(parsed.contents())?;
                Self::from_ec_pkcs8(&pkcs8, curve)
            }
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported(
                "encrypted private keys are not supported; decrypt it first".into(),
            )),
            other => Err(KeyError::Unsupported(format!(
                "a PEM block of type {other:?}"
            ))),
        }
    }

    /// A new random EC P-256 key (ES256), e.g. for a test issuer.
    pub fn generate_p256() -> Self {
        let pem = Self::generate_p256_pem();
        Self::from_pem(pem.expose_secret()).expect("a freshly generated key parses")
    }

    /// A new random EC P-256 private key as PKCS#8 PEM text (for a demo
    /// client's configuration).
    pub fn generate_p256_pem() -> SecretString {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the system RNG works");
        SecretString::new(pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            pkcs8.as_ref().to_vec(),
        )))
    }

    /// A PKCS#8 DER private key (RSA, EC P-256/P-384 or Ed25519).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            return Ok(Self::rsa(rsa));
        }
        for (curve, alg) in [
            (Curve::P256, Algorithm::ES256),
            (Curve::P384, Algorithm::ES384),
        ] {
            if let Ok(ec) = EcdsaKeyPair::from_pkcs8(ec_signing(alg), der, &SystemRandom::new()) {
                return Ok(Self::new(Material::Ec(ec, curve), alg));
            }
        }
        if let Ok(ed) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Self::new(Material::Ed(ed), Algorithm::EdDSA));
        }
        Err(KeyError::Malformed {
            format: "PKCS#8",
            reason: "not an RSA, EC P-256/P-384 or Ed25519 private key".into(),
        })
    }

    /// A PKCS#1 DER RSA private key (the reference SDK fails on these).
    pub fn from_pkcs1(der: &[u8]) -> Result<Self, KeyError> {
        RsaKeyPair::from_der(der)
            .map(Self::rsa)
            .map_err(|e| KeyError::Malformed {
                format: "PKCS#1",
                reason: e.to_string(),
            })
    }

    fn from_ec_pkcs8(der: &[u8], curve: Curve) -> Result<Self, KeyError> {
        let alg = match curve {
            Curve::P256 => Algorithm::ES256,
            Curve::P384 => Algorithm::ES384,
        };
        EcdsaKeyPair::from_pkcs8(ec_signing(alg), der, &SystemRandom::new())
            .map(|ec| Self::new(Material::Ec(ec, curve), alg))
            .map_err(|e| KeyError::Malformed {
                format: "SEC1",
                reason: e.to_string(),
            })
    }

    fn rsa(key: RsaKeyPair) -> Self {
        let alg = default_rsa_alg(key.public().modulus_len() * 8);
        Self::new(Material::Rsa(key), alg)
    }

    fn new(material: Material, alg: Algorithm) -> Self {
        Self {
            material,
            alg,
            rng: SystemRandom::new(),
        }
    }

    /// Uses another algorithm of the same key type (e.g. PS256 for RSA).
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        let fits = match &self.material {
            Material::Hmac(_) => alg.is_hmac(),
            Material::Rsa(_) => alg.is_rsa(),
            Material::Ec(_, Curve::P256) => alg == Algorithm::ES256,
            Material::Ec(_, Curve::P384) => alg == Algorithm::ES384,
            Material::Ed(_) => alg == Algorithm::EdDSA,
        };
        if !fits {
            return Err(KeyError::WrongAlgorithm {
                alg,
                key: self.key_type(),
            });
        }
        self.alg = alg;
        Ok(self)
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// `HMAC`, `RSA`, `EC` or `OKP`.
    pub fn key_type(&self) -> &'static str {
        match self.material {
            Material::Hmac(_) => "HMAC",
            Material::Rsa(_) => "RSA",
            Material::Ec(..) => "EC",
            Material::Ed(_) => "OKP",
        }
    }

    /// The public key bytes (SPKI contents for EC/Ed25519, PKCS#1 for RSA);
    /// `None` for HMAC.
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        match &self.material {
            Material::Hmac(_) => None,
            Material::Rsa(k) => Some(k.public_key().as_ref().to_vec()),
            Material::Ec(k, _) => Some(k.public_key().as_ref().to_vec()),
            Material::Ed(k) => Some(k.public_key().as_ref().to_vec()),
        }
    }

    /// The JWK type and public members (base64url), `None` for HMAC.
    pub(crate) fn public_members(&self) -> Option<(&'static str, Vec<(&'static str, String)>)> {
        use super::b64url;
        match &self.material {
            Material::Hmac(_) => None,
            Material::Rsa(k) => {
                let parts = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public());
                Some((
                    "RSA",
                    vec![("n", b64url(&parts.n)), ("e", b64url(&parts.e))],
                ))
            }
            Material::Ec(k, curve) => {
                let point = k.public_key().as_ref();
                let size = (point.len() - 1) / 2;
                let crv = match curve {
                    Curve::P256 => "P-256",
                    Curve::P384 => "P-384",
                };
                Some((
                    "EC",
                    vec![
                        ("crv", crv.to_owned()),
                        ("x", b64url(&point[1..1 + size])),
                        ("y", b64url(&point[1 + size..])),
                    ],
                ))
            }
            Material::Ed(k) => Some((
                "OKP",
                vec![
                    ("crv", "Ed25519".to_owned()),
                    ("x", b64url(k.public_key().as_ref())),
                ],
            )),
        }
    }

    /// Signs `message`, returning the JWS signature bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let fail = |e: ring::error::Unspecified| KeyError::Signing(e.to_string());
        match &self.material {
            Material::Hmac(secret) => {
                let alg = match self.alg {
                    Algorithm::HS384 => ring::hmac::HMAC_SHA384,
                    Algorithm::HS512 => ring::hmac::HMAC_SHA512,
                    _ => ring::hmac::HMAC_SHA256,
                };
                let key = ring::hmac::Key::new(alg, secret.expose_secret().as_bytes());
                Ok(ring::hmac::sign(&key, message).as_ref().to_vec())
            }
            Material::Rsa(key) => {
                let padding: &dyn signature::RsaEncoding = match self.alg {
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(padding, &self.rng, message, &mut out)
                    .map_err(fail)?;
                Ok(out)
            }
            Material::Ec(key, _) => key
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(fail),
            Material::Ed(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

fn ec_signing(alg: Algorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match alg {
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
    }
}
