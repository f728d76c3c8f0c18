//! [`VerifyingKey`]: public keys (and HMAC secrets) to verify with, from
//! JWK, PEM, SPKI, PKCS#1 or a certificate, each with its algorithm
//! allow-list: an HMAC algorithm never with a public key (algorithm
//! confusion), an RSA key never with an EC algorithm.

use std::sync::Arc;

use ring::signature::{self, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::error::JwtError;
use super::{Algorithm, asn1, b64url, b64url_decode};
use crate::SecretString;

struct HmacKeys {
    hs256: ring::hmac::Key,
    hs384: ring::hmac::Key,
    hs512: ring::hmac::Key,
}

#[derive(Clone)]
enum Material {
    Hmac(Arc<HmacKeys>),
    /// PKCS#1 `RSAPublicKey` DER (what ring verifies fastest) and its parts.
    Rsa {
        der: Vec<u8>,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    P256(Vec<u8>),
    P384(Vec<u8>),
    P521 {
        verifier: Arc<josekit::jws::alg::ecdsa::EcdsaJwsVerifier>,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

/// A key that verifies signatures, with its `kid` and, when its JWK named
/// one, the only algorithm it accepts.
///
/// Verification runs on `ring` (RSA, P-256, P-384, Ed25519, HMAC) and on
/// OpenSSL through `josekit` for P-521, which `ring` lacks.
#[derive(Clone)]
pub struct VerifyingKey {
    material: Material,
    kid: Option<String>,
    alg: Option<Algorithm>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kty", &self.key_type())
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

fn b64_field(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, JwtError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .and_then(b64url_decode)
        .ok_or_else(|| JwtError::Malformed(format!("JWK member {name} missing or not base64url")))
}

fn ec_point(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    point
}

impl VerifyingKey {
    fn of(material: Material) -> Self {
        Self {
            material,
            kid: None,
            alg: None,
        }
    }

    /// An HMAC key of the secret's UTF-8 bytes.
    pub fn hmac(secret: SecretString) -> Self {
        Self::hmac_bytes(secret.expose_secret().as_bytes())
    }

    /// An HMAC key of raw bytes.
    pub fn hmac_bytes(secret: &[u8]) -> Self {
        Self::of(Material::Hmac(Arc::new(HmacKeys {
            hs256: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            hs384: ring::hmac::Key::new(ring::hmac::HMAC_SHA384, secret),
            hs512: ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret),
        })))
    }

    /// An RSA public key from its big-endian modulus and exponent.
    pub fn rsa(n: Vec<u8>, e: Vec<u8>) -> Self {
        let der = asn1::rsa_public_key(&n, &e);
        let strip = |v: Vec<u8>| {
            let skip = v.iter().take_while(|b| **b == 0).count();
            v[skip..].to_vec()
        };
        Self::of(Material::Rsa {
            der,
            n: strip(n),
            e: strip(e),
        })
    }

    /// An EC P-256 public key (uncompressed point `04‖x‖y`).
    pub fn p256(point: Vec<u8>) -> Self {
        Self::of(Material::P256(point))
    }

    /// An EC P-384 public key (uncompressed point).
    pub fn p384(point: Vec<u8>) -> Self {
        Self::of(Material::P384(point))
    }

    /// An EC P-521 public key (uncompressed point, 133 bytes).
    pub fn p521(point: Vec<u8>) -> Result<Self, JwtError> {
        if point.len() != 133 || point[0] != 4 {
            return Err(JwtError::Malformed(
                "a P-521 point must be 04 followed by two 66-byte coordinates".into(),
            ));
        }
        let mut jwk = josekit::jwk::Jwk::new("EC");
        jwk.set_curve("P-521");
        jwk.set_parameter("x", Some(Value::String(b64url(&point[1..67]))))
            .and_then(|()| jwk.set_parameter("y", Some(Value::String(b64url(&point[67..])))))
            .map_err(|e| JwtError::Malformed(e.to_string()))?;
        let verifier = josekit::jws::ES512
            .verifier_from_jwk(&jwk)
            .map_err(|e| JwtError::Malformed(format!("P-521 public key: {e}")))?;
        Ok(Self::of(Material::P521 {
            verifier: Arc::new(verifier),
            point,
        }))
    }

    /// An Ed25519 public key.
    pub fn ed25519(key: Vec<u8>) -> Self {
        Self::of(Material::Ed25519(key))
    }

    /// Sets the `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Restricts the key to one algorithm (a JWK's `alg`). Fails when the
    /// algorithm does not fit the key type.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, JwtError> {
        if !self.fits(alg) {
            return Err(JwtError::AlgorithmNotAllowed {
                alg: alg.as_str().to_owned(),
                key: self.key_type(),
            });
        }
        self.alg = Some(alg);
        Ok(self)
    }

    /// The `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key is restricted to, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// A public JWK (RSA, EC P-256/P-384/P-521, OKP Ed25519). Private
    /// members and symmetric keys (`oct`) are refused: a key set fetched from
    /// a server must never turn into an HMAC secret.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JwtError> {
        let obj = jwk
            .as_object()
            .ok_or_else(|| JwtError::Malformed("a JWK must be an object".into()))?;
        if obj.contains_key("d") {
            return Err(JwtError::Malformed(
                "a public JWK must not carry the private member d".into(),
            ));
        }
        let key = match (
            obj.get("kty").and_then(Value::as_str),
            obj.get("crv").and_then(Value::as_str),
        ) {
            (Some("RSA"), _) => Self::rsa(b64_field(obj, "n")?, b64_field(obj, "e")?),
            (Some("EC"), Some(crv @ ("P-256" | "P-384" | "P-521"))) => {
                let (x, y) = (b64_field(obj, "x")?, b64_field(obj, "y")?);
                let size = match crv {
                    "P-256" => 32,
                    "P-384" => 48,
                    _ => 66,
                };
                if x.len() != size || y.len() != size {
                    return Err(JwtError::Malformed(format!(
                        "EC {crv} coordinates must be {size} bytes"
                    )));
                }
                let point = ec_point(&x, &y);
                match crv {
                    "P-256" => Self::p256(point),
                    "P-384" => Self::p384(point),
                    _ => Self::p521(point)?,
                }
            }
            (Some("OKP"), Some("Ed25519")) => Self::ed25519(b64_field(obj, "x")?),
            (kty, crv) => {
                return Err(JwtError::Malformed(format!(
                    "unsupported JWK kty {kty:?} crv {crv:?}"
                )));
            }
        };
        let key = match obj.get("alg").and_then(Value::as_str) {
            Some(alg) => {
                let alg: Algorithm = alg.parse().map_err(JwtError::Malformed)?;
                key.with_algorithm(alg)?
            }
            None => key,
        };
        Ok(match obj.get("kid").and_then(Value::as_str) {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }

    /// A public key from PEM: `PUBLIC KEY` (SubjectPublicKeyInfo), `RSA
    /// PUBLIC KEY` (PKCS#1) or `CERTIFICATE` (X.509; its key is used, the
    /// certificate itself is not validated).
    pub fn from_pem(text: &str) -> Result<Self, JwtError> {
        let parsed = pem::parse(text.trim())
            .map_err(|e| JwtError::Malformed(format!("not PEM text ({e})")))?;
        match parsed.tag() {
            "PUBLIC KEY" => Self::from_spki_der(parsed.contents()),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(parsed.contents()),
            "CERTIFICATE" => Self::from_certificate_der(parsed.contents()),
            other => Err(JwtError::Malformed(format!(
                "a PEM block of type {other:?} is not a public key"
            ))),
        }
    }

    /// A DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, JwtError> {
        Self::from_info(asn1::read_spki(der).map_err(JwtError::Malformed)?)
    }

    /// A DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, JwtError> {
        let (n, e) = asn1::rsa_components(der)
            .ok_or_else(|| JwtError::Malformed("not a PKCS#1 RSAPublicKey".into()))?;
        Ok(Self::rsa(n, e))
    }

    /// The public key of a DER X.509 certificate.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, JwtError> {
        Self::from_info(asn1::read_certificate_key(der).map_err(JwtError::Malformed)?)
    }

    fn from_info(info: asn1::PublicKeyInfo) -> Result<Self, JwtError> {
        match info {
            asn1::PublicKeyInfo::Rsa(der) => Self::from_pkcs1_der(&der),
            asn1::PublicKeyInfo::Ed25519(key) => Ok(Self::ed25519(key)),
            asn1::PublicKeyInfo::Ec { curve, point } => match curve.as_str() {
                asn1::OID_P256 => Ok(Self::p256(point)),
                asn1::OID_P384 => Ok(Self::p384(point)),
                asn1::OID_P521 => Self::p521(point),
                other => Err(JwtError::Malformed(format!("unsupported EC curve {other}"))),
            },
        }
    }

    /// The public JWK of this key (`None` for HMAC): `kid` as set, or the
    /// RFC 7638 thumbprint; `alg` when restricted; `use: sig`.
    pub fn to_jwk(&self) -> Option<Value> {
        let (kty, members): (&str, Vec<(&'static str, String)>) = match &self.material {
            Material::Hmac(_) => return None,
            Material::Rsa { n, e, .. } => ("RSA", vec![("n", b64url(n)), ("e", b64url(e))]),
            Material::P256(p) | Material::P384(p) | Material::P521 { point: p, .. } => {
                let size = (p.len().max(1) - 1) / 2;
                let crv = match size {
                    32 => "P-256",
                    48 => "P-384",
                    _ => "P-521",
                };
                (
                    "EC",
                    vec![
                        ("crv", crv.to_owned()),
                        ("x", b64url(p.get(1..1 + size)?)),
                        ("y", b64url(p.get(1 + size..)?)),
                    ],
                )
            }
            Material::Ed25519(k) => ("OKP", vec![("crv", "Ed25519".to_owned()), ("x", b64url(k))]),
        };
        let mut jwk = Map::new();
        jwk.insert("kty".into(), Value::String(kty.into()));
        for (name, value) in &members {
            jwk.insert((*name).into(), Value::String(value.clone()));
        }
        let kid = match &self.kid {
            Some(kid) => kid.clone(),
            None => super::jwk::thumbprint(kty, &members),
        };
        jwk.insert("kid".into(), Value::String(kid));
        if let Some(alg) = self.alg {
            jwk.insert("alg".into(), Value::String(alg.as_str().into()));
        }
        jwk.insert("use".into(), Value::String("sig".into()));
        Some(Value::Object(jwk))
    }

    /// `oct`, `RSA`, `EC` or `OKP`.
    pub fn key_type(&self) -> &'static str {
        match self.material {
            Material::Hmac(_) => "oct",
            Material::Rsa { .. } => "RSA",
            Material::P256(_) | Material::P384(_) | Material::P521 { .. } => "EC",
            Material::Ed25519(_) => "OKP",
        }
    }

    fn fits(&self, alg: Algorithm) -> bool {
        match self.material {
            Material::Hmac(_) => alg.is_hmac(),
            Material::Rsa { .. } => alg.is_rsa(),
            Material::P256(_) => alg == Algorithm::ES256,
            Material::P384(_) => alg == Algorithm::ES384,
            Material::P521 { .. } => alg == Algorithm::ES512,
            Material::Ed25519(_) => alg == Algorithm::EdDSA,
        }
    }

    /// Whether this key may verify `alg` (the allow-list): the algorithms of
    /// its key type, narrowed to its JWK's `alg` when it had one. An HMAC
    /// algorithm is never allowed with a public key.
    pub fn allows(&self, alg: Algorithm) -> bool {
        self.fits(alg) && self.alg.is_none_or(|only| only == alg)
    }

    pub(super) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(keys) => {
                let key = match alg {
                    Algorithm::HS384 => &keys.hs384,
                    Algorithm::HS512 => &keys.hs512,
                    _ => &keys.hs256,
                };
                ring::hmac::verify(key, message, sig).is_ok()
            }
            Material::Rsa { der, .. } => {
                let params = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                UnparsedPublicKey::new(params, der)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::P256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::P384(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::P521 { verifier, .. } => {
                use josekit::jws::JwsVerifier as _;
                sig.len() == 132 && verifier.verify(message, sig).is_ok()
            }
            Material::Ed25519(key) => UnparsedPublicKey::new(&signature::ED25519, key)
                .verify(message, sig)
                .is_ok(),
        }
    }
}
