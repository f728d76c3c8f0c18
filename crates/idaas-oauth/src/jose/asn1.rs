//! The few DER structures the key loaders need: SEC1 → PKCS#8 and PKCS#1 →
//! PKCS#8 wrapping, RSA public keys, and SubjectPublicKeyInfo / X.509
//! certificate reading, all encoded and decoded by the `der` and
//! `x509-cert` crates (the structures are composed here; the DER rules —
//! lengths, integer signs, tags — are the crates').

use der::asn1::{
    AnyRef, BitStringRef, ContextSpecific, Null, ObjectIdentifier, OctetStringRef, UintRef,
};
use der::{Decode, Encode, Tag, TagMode, TagNumber};
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoRef;

/// `rsaEncryption`.
pub(crate) const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// `id-ecPublicKey`.
pub(crate) const OID_EC: &str = "1.2.840.10045.2.1";
/// `id-Ed25519`.
pub(crate) const OID_ED25519: &str = "1.3.101.112";
/// Named curves.
pub(crate) const OID_P256: &str = "1.2.840.10045.3.1.7";
pub(crate) const OID_P384: &str = "1.3.132.0.34";
pub(crate) const OID_P521: &str = "1.3.132.0.35";
pub(crate) const OID_SECP256K1: &str = "1.3.132.0.10";

/// One DER element of `tag` around already-encoded `content` (a SEQUENCE of
/// the elements in it).
fn element(tag: Tag, content: &[u8]) -> Vec<u8> {
    AnyRef::new(tag, content)
        .and_then(|any| any.to_der())
        .expect("a key-sized element encodes")
}

fn encoded(value: &impl Encode) -> Vec<u8> {
    value.to_der().expect("a key-sized value encodes")
}

/// A DER INTEGER of a non-negative big-endian number (leading zeros
/// dropped, a zero byte added before a set high bit, by `der`).
fn uint(bytes: &[u8]) -> Vec<u8> {
    encoded(&UintRef::new(bytes).expect("a key-sized integer"))
}

fn octets(bytes: &[u8]) -> Vec<u8> {
    encoded(&OctetStringRef::new(bytes).expect("a key-sized octet string"))
}

/// The encoded OBJECT IDENTIFIER of a dotted OID.
fn oid_der(dotted: &str) -> Vec<u8> {
    encoded(&ObjectIdentifier::new_unwrap(dotted))
}

/// PKCS#1 `RSAPublicKey` of a modulus and exponent.
pub(crate) fn rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    element(Tag::Sequence, &[uint(n), uint(e)].concat())
}

/// PKCS#8 `PrivateKeyInfo` (version 0) of an algorithm identifier's
/// contents and the algorithm's private key.
fn pkcs8(algorithm: &[u8], private_key: &[u8]) -> Vec<u8> {
    element(
        Tag::Sequence,
        &[
            encoded(&0u8),
            element(Tag::Sequence, algorithm),
            octets(private_key),
        ]
        .concat(),
    )
}

/// Wraps a PKCS#1 `RSAPrivateKey` into PKCS#8.
pub(crate) fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    pkcs8(&[oid_der(OID_RSA), encoded(&Null)].concat(), pkcs1)
}

/// Wraps a SEC1 `ECPrivateKey` into PKCS#8 for the curve `curve_oid`.
pub(crate) fn sec1_to_pkcs8(sec1: &[u8], curve_oid: &str) -> Vec<u8> {
    pkcs8(&[oid_der(OID_EC), oid_der(curve_oid)].concat(), sec1)
}

/// A SEC1 `ECPrivateKey` of its parts: the private scalar `d`, the curve and
/// the public point `04‖x‖y` (which `ring` requires to be present).
pub(crate) fn sec1_from_parts(curve_oid: &str, d: &[u8], x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut scalar = vec![0u8; x.len().saturating_sub(d.len())];
    scalar.extend_from_slice(d);
    let point = [&[0x04][..], x, y].concat();
    let parameters = ContextSpecific {
        tag_number: TagNumber::N0,
        tag_mode: TagMode::Explicit,
        value: ObjectIdentifier::new_unwrap(curve_oid),
    };
    let public_key = ContextSpecific {
        tag_number: TagNumber::N1,
        tag_mode: TagMode::Explicit,
        value: BitStringRef::from_bytes(&point).expect("a key-sized bit string"),
    };
    element(
        Tag::Sequence,
        &[
            encoded(&1u8),
            octets(&scalar),
            encoded(&parameters),
            encoded(&public_key),
        ]
        .concat(),
    )
}

/// The curve of a SEC1 `ECPrivateKey`: its `parameters` OID if present,
/// otherwise guessed from the private key length. `None` when the bytes are
/// not an `ECPrivateKey`.
pub(crate) fn sec1_curve(der_bytes: &[u8]) -> Option<String> {
    let mut reader = der::SliceReader::new(der_bytes).ok()?;
    let parsed = der::Reader::sequence(&mut reader, |r| {
        let version = der::asn1::UintRef::decode(r)?;
        let key = der::asn1::OctetStringRef::decode(r)?;
        let params: Option<der::asn1::ContextSpecific<der::asn1::ObjectIdentifier>> =
            der::asn1::ContextSpecific::decode_explicit(r, der::TagNumber::N0)?;
        // the optional [1] public key and anything after it are left unread
        while !der::Reader::is_finished(r) {
            der::asn1::AnyRef::decode(r)?;
        }
        Ok((
            version.as_bytes().to_vec(),
            key.as_bytes().len(),
            params.map(|p| p.value.to_string()),
        ))
    });
    let (version, key_len, oid) = parsed.ok()?;
    if version != [1] {
        return None;
    }
    Some(oid.unwrap_or_else(|| {
        match key_len {
            32 => OID_P256,
            48 => OID_P384,
            66 => OID_P521,
            _ => "",
        }
        .to_owned()
    }))
}

/// A public key read from a SubjectPublicKeyInfo.
pub(crate) enum PublicKeyInfo {
    /// PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// An EC point with the curve OID.
    Ec { curve: String, point: Vec<u8> },
    /// An Ed25519 key.
    Ed25519(Vec<u8>),
}

/// Reads a DER SubjectPublicKeyInfo.
pub(crate) fn read_spki(der_bytes: &[u8]) -> Result<PublicKeyInfo, String> {
    let spki = SubjectPublicKeyInfoRef::from_der(der_bytes).map_err(|e| e.to_string())?;
    spki_to_info(&spki)
}

fn spki_to_info(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<PublicKeyInfo, String> {
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or("the public key bit string has unused bits")?
        .to_vec();
    match spki.algorithm.oid.to_string().as_str() {
        OID_RSA => Ok(PublicKeyInfo::Rsa(key)),
        OID_ED25519 => Ok(PublicKeyInfo::Ed25519(key)),
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
                .ok_or("an EC public key without a named curve")?;
            Ok(PublicKeyInfo::Ec {
                curve: curve.to_string(),
                point: key,
            })
        }
        other => Err(format!("unsupported public key algorithm {other}")),
    }
}

/// Reads the public key of a DER X.509 certificate.
/// `notBefore` and `notAfter` of a DER certificate, as Unix seconds.
pub(crate) fn read_certificate_validity(der_bytes: &[u8]) -> Result<(u64, u64), String> {
    let cert = Certificate::from_der(der_bytes).map_err(|e| e.to_string())?;
    let validity = &cert.tbs_certificate.validity;
    Ok((
        validity.not_before.to_unix_duration().as_secs(),
        validity.not_after.to_unix_duration().as_secs(),
    ))
}

pub(crate) fn read_certificate_key(der_bytes: &[u8]) -> Result<PublicKeyInfo, String> {
    let cert = Certificate::from_der(der_bytes).map_err(|e| e.to_string())?;
    let spki_der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    read_spki(&spki_der)
}

/// The modulus and exponent of a PKCS#1 `RSAPublicKey`.
pub(crate) fn rsa_components(pkcs1: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut reader = der::SliceReader::new(pkcs1).ok()?;
    der::Reader::sequence(&mut reader, |r| {
        let n = der::asn1::UintRef::decode(r)?;
        let e = der::asn1::UintRef::decode(r)?;
        Ok((n.as_bytes().to_vec(), e.as_bytes().to_vec()))
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_public_key_round_trips() {
        let n = [0x80u8, 1, 2, 3];
        let der = rsa_public_key(&n, &[1, 0, 1]);
        assert_eq!(rsa_components(&der), Some((n.to_vec(), vec![1, 0, 1])));
    }

    #[test]
    fn wrapping_is_byte_exact() {
        // a set high bit gets a zero byte; leading zeros go
        assert_eq!(
            rsa_public_key(&[0, 0x80], &[1, 0, 1]),
            [0x30, 0x09, 0x02, 0x02, 0x00, 0x80, 0x02, 0x03, 1, 0, 1]
        );
        // long-form lengths past 127 bytes
        let wrapped = pkcs1_to_pkcs8(&[7u8; 200]);
        assert_eq!(&wrapped[..3], [0x30, 0x81, 0xdd]);
        assert_eq!(
            &wrapped[3..22],
            [
                0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
                0x01, 0x01, 0x05, 0x00, 0x04
            ]
        );
        assert_eq!(&wrapped[22..24], [0x81, 200]);
        let sec1 = sec1_from_parts(OID_P256, &[1], &[2; 32], &[3; 32]);
        assert_eq!(sec1_curve(&sec1).as_deref(), Some(OID_P256));
        // the scalar is left-padded to the field size
        assert_eq!(&sec1[2..9], [0x02, 0x01, 0x01, 0x04, 0x20, 0x00, 0x00]);
    }

    #[test]
    fn sec1_curve_of_garbage_is_none() {
        assert_eq!(sec1_curve(b""), None);
        assert_eq!(sec1_curve(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }
}
