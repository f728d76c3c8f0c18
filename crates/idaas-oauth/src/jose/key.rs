//! Signing keys, parsed once: an HMAC secret, or an RSA, EC or Ed25519
//! private key from PEM (PKCS#8, PKCS#1, SEC1), DER or a private JWK.
//!
//! Backends are chosen per algorithm by measurement (`cargo xtask bench
//! oauth`): RSA signs through OpenSSL (about twice as fast as `ring`'s RSA),
//! ES256/ES384, EdDSA and HMAC through `ring`, ES512 (P-521, which `ring`
//! lacks) through OpenSSL via `josekit`.

use std::fmt;

use josekit::jwk::KeyPair as _;
use josekit::jws::JwsSigner as _;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::Value;

use super::Algorithm;
use super::asn1::{self, OID_P256, OID_P384, OID_P521, OID_SECP256K1};
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
        /// What the parser reported.
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

struct HmacKey {
    secret: Vec<u8>,
    key: ring::hmac::Key,
}

struct RsaKey {
    private: PKey<Private>,
    /// PKCS#1 `RSAPublicKey`.
    public_der: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
}

struct P521Key {
    signer: josekit::jws::alg::ecdsa::EcdsaJwsSigner,
    x: Vec<u8>,
    y: Vec<u8>,
}

enum Material {
    Hmac(Box<HmacKey>),
    Rsa(Box<RsaKey>),
    Ec(EcdsaKeyPair, Curve),
    P521(Box<P521Key>),
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
    kid: Option<String>,
    rng: SystemRandom,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("key", &self.key_type())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The algorithm the reference SDK picks for an RSA key, by modulus size.
fn default_rsa_alg(bits: usize) -> Algorithm {
    match bits {
        0..=2048 => Algorithm::RS256,
        2049..=3072 => Algorithm::RS384,
        _ => Algorithm::RS512,
    }
}

fn malformed(format: &'static str, reason: impl fmt::Display) -> KeyError {
    KeyError::Malformed {
        format,
        reason: reason.to_string(),
    }
}

fn hmac_algorithm(alg: Algorithm) -> ring::hmac::Algorithm {
    match alg {
        Algorithm::HS384 => ring::hmac::HMAC_SHA384,
        Algorithm::HS512 => ring::hmac::HMAC_SHA512,
        _ => ring::hmac::HMAC_SHA256,
    }
}

impl SigningKey {
    /// An HMAC key (`client_secret_jwt`). The secret's UTF-8 bytes are the key.
    pub fn hmac(secret: SecretString, alg: Algorithm) -> Result<Self, KeyError> {
        Self::hmac_bytes(secret.expose_secret().as_bytes(), alg)
    }

    /// An HMAC key of raw bytes (an `oct` JWK's `k`).
    pub fn hmac_bytes(secret: &[u8], alg: Algorithm) -> Result<Self, KeyError> {
        if !alg.is_hmac() {
            return Err(KeyError::WrongAlgorithm { alg, key: "HMAC" });
        }
        let key = ring::hmac::Key::new(hmac_algorithm(alg), secret);
        Ok(Self::new(
            Material::Hmac(Box::new(HmacKey {
                secret: secret.to_vec(),
                key,
            })),
            alg,
        ))
    }

    /// A private key from PEM text: `PRIVATE KEY` (PKCS#8: RSA, EC P-256,
    /// P-384, P-521, Ed25519), `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY`
    /// (SEC1). The algorithm is the reference SDK's choice for the key
    /// (RS256/384/512 by RSA size, ES256/384/512 by curve, EdDSA);
    /// [`SigningKey::with_algorithm`] changes it.
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let parsed = pem::parse(pem_text.trim())
            .map_err(|e| KeyError::Unsupported(format!("not PEM text ({e})")))?;
        match parsed.tag() {
            "PRIVATE KEY" => Self::from_pkcs8(parsed.contents()),
            "RSA PRIVATE KEY" => Self::from_pkcs1(parsed.contents()),
            "EC PRIVATE KEY" => Self::from_sec1(parsed.contents()),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported(
                "encrypted private keys are not supported; decrypt it first".into(),
            )),
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(KeyError::Unsupported(format!(
                "a {} is public material and cannot sign",
                parsed.tag()
            ))),
            other => Err(KeyError::Unsupported(format!(
                "a PEM block of type {other:?}"
            ))),
        }
    }

    /// A DER private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), recognised by
    /// structure.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        if asn1::sec1_curve(der).is_some() {
            return Self::from_sec1(der);
        }
        if RsaKeyPair::from_der(der).is_ok() {
            return Self::from_pkcs1(der);
        }
        Self::from_pkcs8(der)
    }

    /// A private JWK (`RSA`, `EC` P-256/P-384/P-521, `OKP` Ed25519 with
    /// `d`; or `oct` with `k`). Its `alg` (when present) is kept, its `kid`
    /// too.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let obj = jwk
            .as_object()
            .ok_or_else(|| malformed("JWK", "a JWK must be a JSON object"))?;
        let kty = obj.get("kty").and_then(Value::as_str).unwrap_or("");
        let alg = match obj.get("alg").and_then(Value::as_str) {
            Some(a) => Some(
                a.parse::<Algorithm>()
                    .map_err(|e| KeyError::Unsupported(e.to_string()))?,
            ),
            None => None,
        };
        let key = if kty == "oct" {
            let k = obj
                .get("k")
                .and_then(Value::as_str)
                .and_then(super::b64url_decode)
                .ok_or_else(|| malformed("JWK", "an oct JWK needs a base64url k"))?;
            Self::hmac_bytes(&k, alg.unwrap_or(Algorithm::HS256))?
        } else {
            if !obj.contains_key("d") {
                return Err(KeyError::Unsupported(
                    "a JWK without the private member d is public material and cannot sign".into(),
                ));
            }
            let parsed =
                josekit::jwk::Jwk::from_map(obj.clone()).map_err(|e| malformed("JWK", e))?;
            // PKCS#8 PEM through OpenSSL
            let pem_bytes = match kty {
                "RSA" => josekit::jwk::alg::rsa::RsaKeyPair::from_jwk(&parsed)
                    .map(|k| k.to_pem_private_key()),
                "EC" => return Self::from_ec_jwk(obj, alg),
                "OKP" => josekit::jwk::alg::ed::EdKeyPair::from_jwk(&parsed)
                    .map(|k| k.to_pem_private_key()),
                other => {
                    return Err(KeyError::Unsupported(format!("JWK key type {other:?}")));
                }
            }
            .map_err(|e| malformed("JWK", e))?;
            let text = String::from_utf8(pem_bytes).map_err(|e| malformed("JWK", e))?;
            let key = Self::from_pem(&text)?;
            match alg {
                Some(alg) => key.with_algorithm(alg)?,
                None => key,
            }
        };
        Ok(match obj.get("kid").and_then(Value::as_str) {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }

    /// An EC private JWK: SEC1 built from `d`, `x`, `y` (with the public
    /// point, which `ring` needs), then parsed as SEC1. Every member must be
    /// the curve's full size (RFC 7518 §6.2): a longer `d` would make
    /// OpenSSL's key export fail inside josekit, which panics on it. A JWK
    /// without `x` and `y` gets them computed from `d`.
    fn from_ec_jwk(
        obj: &serde_json::Map<String, Value>,
        alg: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        let (curve, nid, size) = match obj.get("crv").and_then(Value::as_str) {
            Some("P-256") => (OID_P256, Nid::X9_62_PRIME256V1, 32),
            Some("P-384") => (OID_P384, Nid::SECP384R1, 48),
            Some("P-521") => (OID_P521, Nid::SECP521R1, 66),
            other => {
                return Err(KeyError::Unsupported(format!(
                    "the EC curve {other:?} (P-256, P-384 and P-521 are supported)"
                )));
            }
        };
        let member = |name: &str, value: Option<&Value>| -> Result<Option<Vec<u8>>, KeyError> {
            let Some(value) = value else { return Ok(None) };
            let bytes = value
                .as_str()
                .and_then(super::b64url_decode)
                .ok_or_else(|| malformed("JWK", format!("EC member {name} is not base64url")))?;
            if bytes.len() != size {
                return Err(malformed(
                    "JWK",
                    format!("EC member {name} must be {size} bytes on this curve"),
                ));
            }
            Ok(Some(bytes))
        };
        let d =
            member("d", obj.get("d"))?.ok_or_else(|| malformed("JWK", "EC member d missing"))?;
        let (x, y) = match (member("x", obj.get("x"))?, member("y", obj.get("y"))?) {
            (Some(x), Some(y)) => (x, y),
            (None, None) => ec_public_point(nid, &d, size as i32)
                .map_err(|e| malformed("JWK", format!("EC member d is not a private key: {e}")))?,
            _ => return Err(malformed("JWK", "an EC JWK needs both x and y, or neither")),
        };
        let sec1 = asn1::sec1_from_parts(curve, &d, &x, &y);
        let key = Self::from_sec1(&sec1)?;
        let key = match alg {
            Some(alg) => key.with_algorithm(alg)?,
            None => key,
        };
        Ok(match obj.get("kid").and_then(Value::as_str) {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
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

    /// A PKCS#8 DER private key (RSA, EC P-256/P-384/P-521 or Ed25519).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            return Self::rsa(&rsa, der);
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
        if let Ok(ec) = josekit::jwk::alg::ec::EcKeyPair::from_der(der, None) {
            return match ec.curve() {
                josekit::jwk::alg::ec::EcCurve::P521 => Self::p521(der),
                josekit::jwk::alg::ec::EcCurve::P256 | josekit::jwk::alg::ec::EcCurve::P384 => {
                    Err(malformed(
                        "PKCS#8",
                        "the EC key lacks its public point or is inconsistent",
                    ))
                }
                other => Err(KeyError::Unsupported(format!(
                    "the EC curve {} (P-256, P-384 and P-521 are supported)",
                    other.name()
                ))),
            };
        }
        if let Ok(k) = PKey::private_key_from_der(der)
            && k.rsa().is_ok()
        {
            return Err(KeyError::Unsupported(
                "this RSA key: RSA keys must have 2048 to 8192 bits".into(),
            ));
        }
        Err(malformed(
            "PKCS#8",
            "not an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 private key",
        ))
    }

    /// A PKCS#1 DER RSA private key (the reference SDK fails on these).
    pub fn from_pkcs1(der: &[u8]) -> Result<Self, KeyError> {
        let rsa = RsaKeyPair::from_der(der).map_err(|e| malformed("PKCS#1", e))?;
        Self::rsa(&rsa, &asn1::pkcs1_to_pkcs8(der))
    }

    /// A SEC1 DER EC private key (P-256, P-384, P-521).
    pub fn from_sec1(der: &[u8]) -> Result<Self, KeyError> {
        let curve =
            asn1::sec1_curve(der).ok_or_else(|| malformed("SEC1", "not an ECPrivateKey"))?;
        let pkcs8 = asn1::sec1_to_pkcs8(der, &curve);
        let alg = match curve.as_str() {
            OID_P256 => Algorithm::ES256,
            OID_P384 => Algorithm::ES384,
            OID_P521 => return Self::p521(&pkcs8),
            OID_SECP256K1 => {
                return Err(KeyError::Unsupported(
                    "the EC curve secp256k1 (P-256, P-384 and P-521 are supported)".into(),
                ));
            }
            _ => {
                return Err(KeyError::Unsupported(
                    "this EC curve (P-256, P-384 and P-521 are supported)".into(),
                ));
            }
        };
        let curve = if alg == Algorithm::ES256 {
            Curve::P256
        } else {
            Curve::P384
        };
        EcdsaKeyPair::from_pkcs8(ec_signing(alg), &pkcs8, &SystemRandom::new())
            .map(|ec| Self::new(Material::Ec(ec, curve), alg))
            .map_err(|e| malformed("SEC1", e))
    }

    fn rsa(ring_key: &RsaKeyPair, pkcs8: &[u8]) -> Result<Self, KeyError> {
        let private = PKey::private_key_from_der(pkcs8).map_err(|e| malformed("PKCS#8", e))?;
        let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(ring_key.public());
        let alg = default_rsa_alg(ring_key.public().modulus_len() * 8);
        Ok(Self::new(
            Material::Rsa(Box::new(RsaKey {
                private,
                public_der: ring_key.public().as_ref().to_vec(),
                n: public.n,
                e: public.e,
            })),
            alg,
        ))
    }

    fn p521(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let signer = josekit::jws::ES512
            .signer_from_der(pkcs8)
            .map_err(|e| malformed("PKCS#8", e))?;
        // the public point through OpenSSL's fallible calls: josekit's
        // export unwraps them and panics on a key OpenSSL cannot export
        let point = || -> Result<(Vec<u8>, Vec<u8>), openssl::error::ErrorStack> {
            let ec = PKey::private_key_from_der(pkcs8)?.ec_key()?;
            let mut ctx = openssl::bn::BigNumContext::new()?;
            let (mut x, mut y) = (openssl::bn::BigNum::new()?, openssl::bn::BigNum::new()?);
            ec.public_key()
                .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)?;
            Ok((x.to_vec_padded(66)?, y.to_vec_padded(66)?))
        };
        let (x, y) =
            point().map_err(|e| malformed("PKCS#8", format!("P-521 public point: {e}")))?;
        Ok(Self::new(
            Material::P521(Box::new(P521Key { signer, x, y })),
            Algorithm::ES512,
        ))
    }

    fn new(material: Material, alg: Algorithm) -> Self {
        Self {
            material,
            alg,
            kid: None,
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
            Material::P521(_) => alg == Algorithm::ES512,
            Material::Ed(_) => alg == Algorithm::EdDSA,
        };
        if !fits {
            return Err(KeyError::WrongAlgorithm {
                alg,
                key: self.key_type(),
            });
        }
        if let Material::Hmac(h) = &mut self.material {
            h.key = ring::hmac::Key::new(hmac_algorithm(alg), &h.secret);
        }
        self.alg = alg;
        Ok(self)
    }

    /// Sets the key id (`kid`) this key is known by.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key id, if one was set (or came with a JWK).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
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
            Material::Ec(..) | Material::P521(_) => "EC",
            Material::Ed(_) => "OKP",
        }
    }

    /// The public key bytes (the EC point or Ed25519 key, PKCS#1
    /// `RSAPublicKey` for RSA); `None` for HMAC.
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        match &self.material {
            Material::Hmac(_) => None,
            Material::Rsa(k) => Some(k.public_der.clone()),
            Material::Ec(k, _) => Some(k.public_key().as_ref().to_vec()),
            Material::P521(k) => {
                let mut point = vec![4];
                point.extend_from_slice(&k.x);
                point.extend_from_slice(&k.y);
                Some(point)
            }
            Material::Ed(k) => Some(k.public_key().as_ref().to_vec()),
        }
    }

    /// The JWK type and public members (base64url), `None` for HMAC.
    pub(crate) fn public_members(&self) -> Option<(&'static str, Vec<(&'static str, String)>)> {
        use super::b64url;
        match &self.material {
            Material::Hmac(_) => None,
            Material::Rsa(k) => Some(("RSA", vec![("n", b64url(&k.n)), ("e", b64url(&k.e))])),
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
            Material::P521(k) => Some((
                "EC",
                vec![
                    ("crv", "P-521".to_owned()),
                    ("x", b64url(&k.x)),
                    ("y", b64url(&k.y)),
                ],
            )),
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
        let fail = |e: &dyn fmt::Display| KeyError::Signing(e.to_string());
        match &self.material {
            Material::Hmac(h) => Ok(ring::hmac::sign(&h.key, message).as_ref().to_vec()),
            Material::Rsa(key) => rsa_sign(&key.private, self.alg, message).map_err(|e| fail(&e)),
            Material::Ec(key, _) => key
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| fail(&e)),
            Material::P521(key) => key.signer.sign(message).map_err(|e| fail(&e)),
            Material::Ed(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// RSASSA-PKCS1-v1_5 or RSASSA-PSS (salt = digest length, MGF1 with the
/// same digest, RFC 7518 §3.5) through OpenSSL.
fn rsa_sign(
    key: &PKey<Private>,
    alg: Algorithm,
    message: &[u8],
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let (md, pss) = match alg {
        Algorithm::RS384 => (MessageDigest::sha384(), false),
        Algorithm::RS512 => (MessageDigest::sha512(), false),
        Algorithm::PS256 => (MessageDigest::sha256(), true),
        Algorithm::PS384 => (MessageDigest::sha384(), true),
        Algorithm::PS512 => (MessageDigest::sha512(), true),
        _ => (MessageDigest::sha256(), false),
    };
    let mut signer = Signer::new(md, key)?;
    if pss {
        signer.set_rsa_padding(Padding::PKCS1_PSS)?;
        signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
        signer.set_rsa_mgf1_md(md)?;
    }
    signer.update(message)?;
    signer.sign_to_vec()
}

fn ec_signing(alg: Algorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match alg {
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
    }
}

/// The public point `d·G` of an EC private scalar, as fixed-size `x` and
/// `y` (every OpenSSL call here is fallible; a zero or out-of-range `d` is
/// an error, not a panic).
fn ec_public_point(
    nid: Nid,
    d: &[u8],
    size: i32,
) -> Result<(Vec<u8>, Vec<u8>), openssl::error::ErrorStack> {
    use openssl::bn::{BigNum, BigNumContext};
    use openssl::ec::{EcGroup, EcKey, EcPoint};
    let group = EcGroup::from_curve_name(nid)?;
    let mut ctx = BigNumContext::new()?;
    let scalar = BigNum::from_slice(d)?;
    let mut order = BigNum::new()?;
    group.order(&mut order, &mut ctx)?;
    if scalar.num_bits() == 0 || scalar >= order {
        return Err(openssl::error::ErrorStack::get());
    }
    let mut point = EcPoint::new(&group)?;
    point.mul_generator2(&group, &scalar, &mut ctx)?;
    // checks the pair as OpenSSL would before signing with it
    EcKey::from_private_components(&group, &scalar, &point)?.check_key()?;
    let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
    point.affine_coordinates(&group, &mut x, &mut y, &mut ctx)?;
    Ok((x.to_vec_padded(size)?, y.to_vec_padded(size)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_p521_keys_sign_es512() {
        let pair = josekit::jwk::alg::ec::EcKeyPair::generate(josekit::jwk::alg::ec::EcCurve::P521)
            .unwrap();
        let pkcs8 = String::from_utf8(pair.to_pem_private_key()).unwrap();
        let sec1 = String::from_utf8(pair.to_traditional_pem_private_key()).unwrap();
        assert!(pkcs8.contains("BEGIN PRIVATE KEY") && sec1.contains("BEGIN EC PRIVATE KEY"));
        for key in [
            SigningKey::from_pem(&pkcs8).unwrap(),
            SigningKey::from_pem(&sec1).unwrap(),
            SigningKey::from_der(&pair.to_der_private_key()).unwrap(),
        ] {
            assert_eq!(key.algorithm(), Algorithm::ES512);
            assert_eq!(key.sign(b"m").unwrap().len(), 132);
        }
        assert!(SigningKey::from_der(&pair.to_traditional_pem_private_key()).is_err());
    }

    /// The fuzz crash of stop 21's CI: a 38-byte `d` on P-256 with no `y`
    /// made josekit's export unwrap an OpenSSL error.
    #[test]
    fn ec_jwks_with_members_of_the_wrong_size_are_refused_not_panicked_on() {
        let crashed = serde_json::json!({"kty": "EC", "crv": "P-256", "alg": "ES256",
            "x": "f66TJ3D2xF1Bg8vt83OJ3D2xF1gB8uvb9tLHLN_tue659LNpXW6pCyStikYjKIWI5a0",
            "d": "jnnQpsLN_tue659LNpW7pCy7pCyStikYjKIWI5aStikYjKIWI5a0"});
        let err = SigningKey::from_jwk(&crashed).err().unwrap().to_string();
        assert!(err.contains("EC member"), "{err}");
        let b64 = |bytes: &[u8]| crate::jose::b64url(bytes);
        for (crv, size) in [("P-256", 32), ("P-384", 48), ("P-521", 66)] {
            for d in [
                vec![0u8; size],
                vec![0xff; size],
                vec![1; size + 1],
                vec![1; size - 1],
            ] {
                let jwk = serde_json::json!({"kty": "EC", "crv": crv, "d": b64(&d)});
                assert!(
                    SigningKey::from_jwk(&jwk).is_err(),
                    "{crv} d of {} bytes",
                    d.len()
                );
            }
        }
    }

    #[test]
    fn an_ec_jwk_without_its_public_point_gets_it_from_d() {
        for curve in [
            josekit::jwk::alg::ec::EcCurve::P256,
            josekit::jwk::alg::ec::EcCurve::P384,
            josekit::jwk::alg::ec::EcCurve::P521,
        ] {
            let pair = josekit::jwk::alg::ec::EcKeyPair::generate(curve).unwrap();
            let full = Value::Object(pair.to_jwk_key_pair().as_ref().clone());
            let mut bare = full.clone();
            let obj = bare.as_object_mut().unwrap();
            obj.remove("x");
            obj.remove("y");
            let (a, b) = (
                SigningKey::from_jwk(&full).unwrap(),
                SigningKey::from_jwk(&bare).unwrap(),
            );
            assert_eq!(a.public_key_der(), b.public_key_der(), "{curve}");
            bare.as_object_mut()
                .unwrap()
                .insert("x".into(), full["x"].clone());
            assert!(SigningKey::from_jwk(&bare).is_err(), "x without y");
        }
    }

    #[test]
    fn hmac_keys_refuse_other_algorithms() {
        let key = SigningKey::hmac("k".into(), Algorithm::HS256).unwrap();
        assert!(key.with_algorithm(Algorithm::RS256).is_err());
        assert!(SigningKey::hmac("k".into(), Algorithm::ES256).is_err());
    }
}
