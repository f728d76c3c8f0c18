//! Attested instance documents (`PKCS7`): a cloud's metadata service signs
//! the instance identity, with the audience the workload asked for, as a
//! PKCS#7 SignedData (base64 DER, as the Alibaba Cloud ECS service returns
//! it). [`CloudSigner`] plays the cloud in tests; the token endpoint
//! verifies documents against the signer certificate a federated credential
//! trusts.

use std::time::Duration;

use base64::Engine;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use serde_json::Value;

use crate::x509;

/// How far a document's `signingTime` may be from the emulator's clock.
pub const SIGNING_TIME_TOLERANCE: Duration = Duration::from_secs(300);

/// A stand-in for a cloud's instance-identity signer: a key and its
/// self-signed certificate.
pub struct CloudSigner {
    certificate: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for CloudSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudSigner").finish_non_exhaustive()
    }
}

impl CloudSigner {
    /// A new P-256 key with a one-day self-signed certificate for `common_name`.
    pub fn generate(common_name: &str) -> Result<Self, String> {
        let build = || -> Result<Self, openssl::error::ErrorStack> {
            let key = x509::p256_key()?;
            let public = x509::public(&key)?;
            let certificate = x509::certificate(
                common_name,
                &public,
                x509::Signer::SelfSigned(&key),
                false,
                (0, 1),
            )?;
            Ok(Self { certificate, key })
        };
        build().map_err(|e| format!("cannot create a signer: {e}"))
    }

    /// The certificate a federated credential trusts, PEM.
    pub fn certificate_pem(&self) -> String {
        x509::pem(&self.certificate)
    }

    /// Signs `identity` (the instance identity document, JSON) as the
    /// metadata service does: PKCS#7 SignedData with the content attached,
    /// base64 DER without PEM armour.
    pub fn attest(&self, identity: &Value) -> Result<String, String> {
        let content = identity.to_string();
        let no_certs = Stack::new().map_err(|e| e.to_string())?;
        let signed = Pkcs7::sign(
            &self.certificate,
            &self.key,
            &no_certs,
            content.as_bytes(),
            Pkcs7Flags::BINARY,
        )
        .and_then(|p| p.to_der())
        .map_err(|e| format!("cannot sign the document: {e}"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signed))
    }
}

/// Verifies an attested document: PKCS#7 SignedData signed by the key of
/// `signer_pem` (certificates inside the document are ignored), whose
/// content is a JSON object with an `audience` member — the JSON text
/// `{"aud": …, "signingTime": …}` the workload asked for — naming
/// `audience`, signed within [`SIGNING_TIME_TOLERANCE`] of `now`. Returns
/// the identity document.
pub fn verify_document(
    document: &str,
    signer_pem: &str,
    audience: &str,
    now: Duration,
) -> Result<Value, String> {
    let der = decode(document)?;
    let pkcs7 =
        Pkcs7::from_der(&der).map_err(|_| "the document is not PKCS#7 (DER, base64)".to_owned())?;
    let signer = X509::from_pem(signer_pem.as_bytes())
        .map_err(|e| format!("the trusted signer certificate does not parse: {e}"))?;
    let mut certs = Stack::new().map_err(|e| e.to_string())?;
    certs.push(signer).map_err(|e| e.to_string())?;
    let store = X509StoreBuilder::new().map_err(|e| e.to_string())?.build();
    let mut content = Vec::new();
    // NOINTERN: the signer must be the trusted certificate, not one the
    // document brings; NOVERIFY: that certificate is trusted as such
    pkcs7
        .verify(
            &certs,
            &store,
            None,
            Some(&mut content),
            Pkcs7Flags::NOINTERN | Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY,
        )
        .map_err(|_| {
            "the document's signature does not verify with the trusted signer".to_owned()
        })?;
    let identity: Value = serde_json::from_slice(&content)
        .map_err(|_| "the signed content is not a JSON identity document".to_owned())?;
    let requested = identity
        .get("audience")
        .and_then(Value::as_str)
        .ok_or("the identity document carries no audience")?;
    let requested: Value = serde_json::from_str(requested)
        .map_err(|_| "the document's audience is not the JSON the SDK sends".to_owned())?;
    if requested.get("aud").and_then(Value::as_str) != Some(audience) {
        return Err(format!(
            "the document is for audience {}, not {audience}",
            requested.get("aud").unwrap_or(&Value::Null)
        ));
    }
    let signed_at = requested
        .get("signingTime")
        .and_then(Value::as_u64)
        .ok_or("the document's audience has no signingTime")?;
    if now.as_secs().abs_diff(signed_at) > SIGNING_TIME_TOLERANCE.as_secs() {
        return Err(format!(
            "the document was signed at {signed_at}, more than {} s from now",
            SIGNING_TIME_TOLERANCE.as_secs()
        ));
    }
    Ok(identity)
}

/// Base64 DER, with or without PEM armour and line breaks.
fn decode(document: &str) -> Result<Vec<u8>, String> {
    let body: String = document
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .flat_map(|line| line.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| "the document is not base64".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(aud: &str, signing_time: u64) -> Value {
        json!({
            "instance-id": "i-test",
            "region-id": "cn-hangzhou",
            "audience": format!("{{\"aud\": \"{aud}\", \"signingTime\": {signing_time}}}"),
        })
    }

    const NOW: Duration = Duration::from_secs(1_795_000_000);

    #[test]
    fn a_document_of_the_trusted_signer_for_us_verifies() {
        let cloud = CloudSigner::generate("ecs").unwrap();
        let doc = cloud.attest(&identity("idaas_1", NOW.as_secs())).unwrap();
        let verified = verify_document(&doc, &cloud.certificate_pem(), "idaas_1", NOW).unwrap();
        assert_eq!(verified["instance-id"], "i-test");
    }

    #[test]
    fn every_flaw_is_rejected_with_its_reason() {
        let cloud = CloudSigner::generate("ecs").unwrap();
        let trusted = cloud.certificate_pem();
        let good = cloud.attest(&identity("idaas_1", NOW.as_secs())).unwrap();
        let reject = |doc: &str, aud: &str, now: Duration| {
            verify_document(doc, &trusted, aud, now).unwrap_err()
        };
        let impostor = CloudSigner::generate("ecs").unwrap();
        let forged = impostor
            .attest(&identity("idaas_1", NOW.as_secs()))
            .unwrap();
        assert!(reject(&forged, "idaas_1", NOW).contains("does not verify"));
        assert!(reject(&good, "idaas_2", NOW).contains("not idaas_2"));
        let late = NOW + SIGNING_TIME_TOLERANCE + Duration::from_secs(1);
        assert!(reject(&good, "idaas_1", late).contains("more than"));
        assert!(reject("not base64!", "idaas_1", NOW).contains("not base64"));
        assert!(reject("aGVsbG8=", "idaas_1", NOW).contains("not PKCS#7"));
        let no_audience = cloud.attest(&json!({"instance-id": "i-test"})).unwrap();
        assert!(reject(&no_audience, "idaas_1", NOW).contains("no audience"));
        // a flipped byte in the signed content
        let mut der = decode(&good).unwrap();
        let at = der.windows(6).position(|w| w == b"i-test").unwrap();
        der[at] = b'j';
        let tampered = base64::engine::general_purpose::STANDARD.encode(der);
        assert!(reject(&tampered, "idaas_1", NOW).contains("does not verify"));
    }

    #[test]
    fn pem_armour_and_line_breaks_are_accepted() {
        let cloud = CloudSigner::generate("ecs").unwrap();
        let doc = cloud.attest(&identity("idaas_1", NOW.as_secs())).unwrap();
        let wrapped: Vec<String> = doc
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let pem = format!(
            "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
            wrapped.join("\n")
        );
        verify_document(&pem, &cloud.certificate_pem(), "idaas_1", NOW).unwrap();
    }
}
