//! DPoP (RFC 9449): sender-constrained tokens. A token bound to a
//! [`DpopKey`] is useless without the key: every request carries a fresh
//! proof signed by it.
//!
//! - [`DpopKey`] — ES256 (default), EdDSA or RS256; generated or loaded
//!   once, its proof header encoded once;
//! - [`Dpop`] — a key and the nonces servers sent (`DPoP-Nonce`, per
//!   origin): what [`OAuthClient::with_dpop`](crate::OAuthClient::with_dpop)
//!   and resource calls use;
//! - [`normalise_htu`], [`access_token_hash`] — the `htu` and `ath` claims;
//! - [`parse_nonce`], [`parse_www_authenticate`] — the server's headers,
//!   read strictly.
//!
//! ```
//! use idaas_oauth::SecretString;
//! use idaas_oauth::dpop::{Dpop, DpopKey};
//! # use std::time::Duration;
//!
//! let dpop = Dpop::new(DpopKey::generate());
//! let token = SecretString::new("an-access-token");
//! let headers = dpop
//!     .resource_headers("GET", "https://api.example.com/v1/items?page=2", &token, Duration::from_secs(1_700_000_000))
//!     .unwrap();
//! assert!(headers.authorization.to_str().unwrap().starts_with("DPoP "));
//! ```

mod htu;
mod key;
mod nonce;

use std::sync::Arc;
use std::time::Duration;

use idaas_core::http::{HeaderMap, HeaderName, HeaderValue, HttpResponse, StatusCode, header};

pub use htu::normalise_htu;
pub use key::{DPOP_PROOF_TYPE, DpopKey, access_token_hash};
pub use nonce::{
    Challenge, MAX_NONCE_LEN, MAX_ORIGINS, NonceCache, asks_for_nonce, parse_nonce,
    parse_www_authenticate,
};

use crate::SecretString;
use crate::error::Error;

/// The `DPoP` request header (RFC 9449 §4.1).
pub const DPOP_HEADER: HeaderName = HeaderName::from_static("dpop");
/// The `DPoP-Nonce` response header (RFC 9449 §8).
pub const DPOP_NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// The `token_type` of a DPoP-bound access token.
pub const DPOP_TOKEN_TYPE: &str = "DPoP";

/// A DPoP key with the nonces its servers sent. Cheap to clone; clones
/// share the nonces.
#[derive(Debug, Clone)]
pub struct Dpop {
    key: DpopKey,
    nonces: Arc<NonceCache>,
}

/// The two headers of a DPoP-protected resource request.
#[derive(Debug, Clone)]
pub struct DpopHeaders {
    /// `Authorization: DPoP <access token>` (marked sensitive).
    pub authorization: HeaderValue,
    /// `DPoP: <proof>` (marked sensitive).
    pub proof: HeaderValue,
}

impl DpopHeaders {
    /// Puts both headers on `headers`.
    pub fn apply(self, headers: &mut HeaderMap) {
        headers.insert(header::AUTHORIZATION, self.authorization);
        headers.insert(DPOP_HEADER, self.proof);
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Error::Misconfigured("a DPoP header value is not a valid header value".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

impl Dpop {
    /// DPoP with `key` and no nonce yet.
    pub fn new(key: DpopKey) -> Self {
        Self {
            key,
            nonces: Arc::new(NonceCache::new()),
        }
    }

    /// The key.
    pub fn key(&self) -> &DpopKey {
        &self.key
    }

    /// The nonces remembered per origin.
    pub fn nonces(&self) -> &NonceCache {
        &self.nonces
    }

    /// The `DPoP` header of a request of `method` to `url` (with the
    /// origin's last nonce; with `ath` when `access_token` is given).
    pub fn proof_header(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&SecretString>,
        now: Duration,
    ) -> Result<HeaderValue, Error> {
        let nonce = self.nonces.get(url);
        let proof = self
            .key
            .proof(method, url, access_token, nonce.as_deref(), now)?;
        sensitive(proof.expose_secret())
    }

    /// `Authorization: DPoP <token>` and the proof for a resource request
    /// of `method` to `url`.
    pub fn resource_headers(
        &self,
        method: &str,
        url: &str,
        access_token: &SecretString,
        now: Duration,
    ) -> Result<DpopHeaders, Error> {
        Ok(DpopHeaders {
            authorization: sensitive(&format!(
                "{DPOP_TOKEN_TYPE} {}",
                access_token.expose_secret()
            ))?,
            proof: self.proof_header(method, url, Some(access_token), now)?,
        })
    }

    /// Reads a response from `url`: remembers its `DPoP-Nonce`, and says
    /// whether the request should be sent once more with it — the server
    /// refused the proof for want of a (new) nonce: a token endpoint's
    /// `400 use_dpop_nonce` (§8) or a resource server's `401` with a
    /// `DPoP error="use_dpop_nonce"` challenge (§9).
    pub fn needs_retry(&self, url: &str, response: &HttpResponse) -> bool {
        self.needs_retry_parts(url, response.status(), response.headers(), response.body())
    }

    /// [`needs_retry`](Self::needs_retry) for a response in parts (e.g. a
    /// tower or hyper client's, whose body is a stream: a resource server's
    /// 401 is read from its headers, `body` may be empty).
    pub fn needs_retry_parts(
        &self,
        url: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> bool {
        let fresh = headers
            .get(DPOP_NONCE_HEADER)
            .is_some_and(|v| self.nonces.store(url, v.as_bytes()));
        fresh
            && match status {
                StatusCode::BAD_REQUEST => serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .is_some_and(|v| v["error"] == "use_dpop_nonce"),
                StatusCode::UNAUTHORIZED => headers
                    .get_all(header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(asks_for_nonce),
                _ => false,
            }
    }
}
