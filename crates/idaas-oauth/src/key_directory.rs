//! Our own signing keys, loaded from a directory (baikal-sdk's
//! `private_certs_path`), and their public JWK set for a jwt-bearer issuer
//! to publish.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::Rng;
use serde_json::Value;

use crate::error::Error;
use crate::jose::{Algorithm, SigningKey, jwk_set};

/// The private keys of a directory.
///
/// Every regular file directly inside the directory is read (no recursion;
/// entries in file-name order). Formats, as baikal-sdk's README lists them:
///
/// | extension | content | result |
/// |---|---|---|
/// | any | PEM `PRIVATE KEY` / `RSA PRIVATE KEY` / `EC PRIVATE KEY` | a key |
/// | `pem` | PEM `PUBLIC KEY` / `CERTIFICATE` | skipped: public |
/// | `json` | a JWK with `d` | a key (without `d`: skipped, public) |
/// | `private` | DER private key (PKCS#1 or SEC1) | a key |
/// | `pkcs8` | DER PKCS#8 | a key |
/// | `public`, `spki` | DER SubjectPublicKeyInfo | skipped: public |
/// | `pkix`, `x509` | DER X.509 certificate | skipped: public |
///
/// Public material never counts as a signing key. RSA keys sign RS256 (as
/// the reference labels them); EC keys sign by curve (ES256, ES384, ES512 —
/// the reference wrongly labels every curve ES256).
#[derive(Debug, Clone, Default)]
pub struct KeyDirectory {
    keys: Vec<Arc<SigningKey>>,
    skipped: Vec<(PathBuf, String)>,
}

impl KeyDirectory {
    /// Loads the keys of `dir`. Fails only when the directory cannot be
    /// listed; unreadable or unusable files are recorded in
    /// [`KeyDirectory::skipped`] (and logged).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let io = |e: std::io::Error| Error::Io {
            action: "read",
            path: dir.display().to_string(),
            source: e,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        let mut out = Self::default();
        for path in paths {
            if !path.is_file() {
                continue;
            }
            match load_file(&path) {
                Ok(key) => out.keys.push(Arc::new(key)),
                Err(reason) => {
                    tracing::warn!(path = %path.display(), reason, "key file skipped");
                    out.skipped.push((path, reason));
                }
            }
        }
        Ok(out)
    }

    /// A set of keys already loaded.
    pub fn from_keys(keys: impl IntoIterator<Item = SigningKey>) -> Self {
        Self {
            keys: keys.into_iter().map(Arc::new).collect(),
            skipped: Vec::new(),
        }
    }

    /// The signing keys, in file-name order.
    pub fn keys(&self) -> &[Arc<SigningKey>] {
        &self.keys
    }

    /// The files left out, with the reason.
    pub fn skipped(&self) -> &[(PathBuf, String)] {
        &self.skipped
    }

    /// Whether no key was loaded.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A key picked uniformly at random (the reference's choice per
    /// assertion), `None` without keys.
    pub fn choose(&self) -> Option<&Arc<SigningKey>> {
        if self.keys.is_empty() {
            return None;
        }
        let i = rand::rng().random_range(0..self.keys.len());
        self.keys.get(i)
    }

    /// The public JWK set: `{"keys":[…]}` with `kty`, the public members,
    /// `kid` (RFC 7638 thumbprint), `alg` and `use: sig`, in key order.
    pub fn jwk_set(&self) -> Value {
        jwk_set(self.keys.iter().map(|k| k.as_ref()))
    }

    /// [`KeyDirectory::jwk_set`] as compact JSON text.
    pub fn jwk_set_json(&self) -> String {
        self.jwk_set().to_string()
    }
}

fn load_file(path: &Path) -> Result<SigningKey, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let key = if let Some(text) = std::str::from_utf8(&bytes)
        .ok()
        .filter(|t| t.contains("-----BEGIN"))
    {
        SigningKey::from_pem(text).map_err(|e| e.to_string())?
    } else {
        match ext.as_str() {
            "json" => {
                let jwk: Value =
                    serde_json::from_slice(&bytes).map_err(|e| format!("not a JSON JWK ({e})"))?;
                SigningKey::from_jwk(&jwk).map_err(|e| e.to_string())?
            }
            "private" | "pkcs8" | "der" | "key" => {
                SigningKey::from_der(&bytes).map_err(|e| e.to_string())?
            }
            "public" | "spki" | "pkix" | "x509" | "cer" | "crt" => {
                return Err("public material (a public key or certificate) cannot sign".into());
            }
            _ => SigningKey::from_der(&bytes)
                .map_err(|_| "not a private key in a supported format".to_owned())?,
        }
    };
    if key.algorithm().is_rsa() {
        key.with_algorithm(Algorithm::RS256)
            .map_err(|e| e.to_string())
    } else if key.algorithm().is_hmac() {
        Err("a symmetric key cannot be published".into())
    } else {
        Ok(key)
    }
}
