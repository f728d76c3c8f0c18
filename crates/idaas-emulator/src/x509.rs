//! Certificates the emulator makes for its test doubles of a cloud signer
//! and a private CA (openssl), and the X.509 path check of PCA clients.

use std::time::Duration;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, PKeyRef, Private, Public};
use openssl::stack::Stack;
use openssl::x509::extension::BasicConstraints;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509NameBuilder, X509StoreContext};

/// A fresh P-256 key.
pub(crate) fn p256_key() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

/// Who signs a certificate: its own subject's key, or a CA.
pub(crate) enum Signer<'a> {
    /// Self-signed with this key (the subject's).
    SelfSigned(&'a PKeyRef<Private>),
    /// Signed by this CA certificate's key.
    Ca(&'a X509, &'a PKeyRef<Private>),
}

/// A certificate for `subject_key` named `common_name`, signed by `signer`,
/// valid from `not_before_days` to `not_after_days` from now (negative: in
/// the past).
pub(crate) fn certificate(
    common_name: &str,
    subject_key: &PKeyRef<Public>,
    signer: Signer<'_>,
    ca: bool,
    (not_before_days, not_after_days): (i64, i64),
) -> Result<X509, ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
    let name = name.build();
    let mut serial = BigNum::new()?;
    serial.rand(64, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let not_before = Asn1Time::from_unix(now + not_before_days * 86_400)?;
    let not_after = Asn1Time::from_unix(now + not_after_days * 86_400)?;
    let mut cert = X509::builder()?;
    cert.set_version(2)?;
    cert.set_serial_number(&serial)?;
    cert.set_subject_name(&name)?;
    let key = match signer {
        Signer::SelfSigned(key) => {
            cert.set_issuer_name(&name)?;
            key
        }
        Signer::Ca(issuer, key) => {
            cert.set_issuer_name(issuer.subject_name())?;
            key
        }
    };
    cert.set_pubkey(subject_key)?;
    cert.set_not_before(&not_before)?;
    cert.set_not_after(&not_after)?;
    if ca {
        cert.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    }
    cert.sign(key, MessageDigest::sha256())?;
    Ok(cert.build())
}

/// The public half of `key`.
pub(crate) fn public(key: &PKeyRef<Private>) -> Result<PKey<Public>, ErrorStack> {
    PKey::public_key_from_der(&key.public_key_to_der()?)
}

/// PEM text of `cert`.
pub(crate) fn pem(cert: &X509) -> String {
    cert.to_pem()
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .unwrap_or_default()
}

/// Checks that `leaf_pem` chains to `ca_pem` through the certificates of
/// `chain_pem` (any order; the CA itself may be among them), valid at `now`.
/// Returns the leaf's DER.
pub(crate) fn verify_path(
    leaf_pem: &str,
    chain_pem: &str,
    ca_pem: &str,
    now: Duration,
) -> Result<Vec<u8>, String> {
    let leaf = X509::from_pem(leaf_pem.as_bytes())
        .map_err(|_| "client_x509 is not a PEM certificate".to_owned())?;
    let ca = X509::from_pem(ca_pem.as_bytes())
        .map_err(|e| format!("the trusted CA certificate does not parse: {e}"))?;
    let intermediates = if chain_pem.trim().is_empty() {
        Vec::new()
    } else {
        X509::stack_from_pem(chain_pem.as_bytes())
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or("client_x509_chain is not a list of PEM certificates")?
    };
    let check = || -> Result<Result<(), String>, ErrorStack> {
        let mut store = X509StoreBuilder::new()?;
        store.add_cert(ca)?;
        let mut param = X509VerifyParam::new()?;
        param.set_time(now.as_secs() as _);
        store.set_param(&param)?;
        let store = store.build();
        let mut untrusted = Stack::new()?;
        for cert in intermediates {
            untrusted.push(cert)?;
        }
        let mut context = X509StoreContext::new()?;
        context.init(&store, &leaf, &untrusted, |c| {
            Ok(if c.verify_cert()? {
                Ok(())
            } else {
                Err(c.error().error_string().to_owned())
            })
        })
    };
    check()
        .map_err(|e| format!("cannot check the certificate path: {e}"))?
        .map_err(|reason| format!("client_x509 does not chain to the trusted CA: {reason}"))?;
    leaf.to_der().map_err(|e| e.to_string())
}
