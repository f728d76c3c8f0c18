//! Resource calls with a provider's token: `Authorization: Bearer …`, or
//! for a DPoP-bound token (`dpop` in the configuration) `Authorization:
//! DPoP …` with a fresh `DPoP` proof of the call (`htm`, `htu`, `ath`, the
//! resource server's nonce).
//!
//! ```no_run
//! use idaas_credentials::{CredentialProviderFactory, ResourceRetry, resource_authorization, resource_retry};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let factory = CredentialProviderFactory::init().await?;
//! let provider = factory.provider().await?;
//! let url = "https://api.example.com/v1/items";
//! let mut headers = idaas_core::http::HeaderMap::new();
//! resource_authorization(&provider, "GET", url).await?.apply(&mut headers);
//! // … send the request; after a 401, ask what to do:
//! # let (status, answer) = (idaas_core::http::StatusCode::UNAUTHORIZED, idaas_core::http::HeaderMap::new());
//! match resource_retry(&provider, url, status, &answer) {
//!     ResourceRetry::SameToken => { /* the server sent a DPoP nonce: sign again, resend */ }
//!     ResourceRetry::NewToken => { /* the token was invalidated: get a new one, resend */ }
//!     ResourceRetry::No => {}
//! }
//! # Ok(()) }
//! ```

use idaas_core::clock::SharedClock;
use idaas_core::http::{HeaderMap, HeaderValue, StatusCode, header};
use idaas_oauth::dpop::{DPOP_HEADER, DPOP_TOKEN_TYPE, Dpop};

use crate::error::Error;
use crate::provider::CredentialProvider;

/// A provider's DPoP key (with the nonces its servers sent) and the clock
/// its proofs are dated by.
#[derive(Debug, Clone)]
pub struct DpopBinding {
    dpop: Dpop,
    clock: SharedClock,
}

impl DpopBinding {
    /// Proofs by `dpop`, dated by `clock`.
    pub fn new(dpop: Dpop, clock: SharedClock) -> Self {
        Self { dpop, clock }
    }

    /// The key and nonces.
    pub fn dpop(&self) -> &Dpop {
        &self.dpop
    }

    /// The thumbprint of the key (RFC 7638): the `cnf.jkt` of the bound
    /// tokens.
    pub fn thumbprint(&self) -> &str {
        self.dpop.key().thumbprint()
    }

    /// The clock proofs are dated by.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

/// The headers of a resource call: `Authorization`, and `DPoP` for a
/// DPoP-bound token. Both are marked sensitive.
#[derive(Debug, Clone)]
pub struct ResourceAuthorization {
    /// `Bearer <token>` or `DPoP <token>`.
    pub authorization: HeaderValue,
    /// The proof, for a DPoP-bound token.
    pub proof: Option<HeaderValue>,
}

impl ResourceAuthorization {
    /// Puts the headers on `headers` (replacing what was there).
    pub fn apply(self, headers: &mut HeaderMap) {
        headers.insert(header::AUTHORIZATION, self.authorization);
        match self.proof {
            Some(proof) => {
                headers.insert(DPOP_HEADER, proof);
            }
            None => {
                headers.remove(DPOP_HEADER);
            }
        }
    }
}

/// The headers of a `method` call to `url` with `provider`'s current
/// token: `Bearer`, or `DPoP` plus a proof when the token is DPoP-bound
/// (`url` must then be absolute: it is the proof's `htu`).
pub async fn resource_authorization<P: CredentialProvider + ?Sized>(
    provider: &P,
    method: &str,
    url: &str,
) -> Result<ResourceAuthorization, Error> {
    let token = provider.bearer_token().await?;
    let credential = token.credential();
    if !credential.token_type.eq_ignore_ascii_case(DPOP_TOKEN_TYPE) {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                Error::InvalidArgument("the access token is not a valid header value".into())
            })?;
        authorization.set_sensitive(true);
        return Ok(ResourceAuthorization {
            authorization,
            proof: None,
        });
    }
    let binding = provider.dpop().ok_or_else(|| {
        Error::InvalidArgument(
            "the token is DPoP-bound but the provider has no DPoP key to sign proofs with".into(),
        )
    })?;
    let headers = binding.dpop.resource_headers(
        method,
        url,
        &credential.access_token,
        binding.clock.now(),
    )?;
    Ok(ResourceAuthorization {
        authorization: headers.authorization,
        proof: Some(headers.proof),
    })
}

/// What to do after a resource server's answer to a call to `url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceRetry {
    /// Nothing: not a 401, or already retried.
    No,
    /// The server asked for a DPoP nonce (`DPoP error="use_dpop_nonce"`
    /// with a new `DPoP-Nonce`, RFC 9449 §9), now remembered: resend once
    /// with the same token and a new proof.
    SameToken,
    /// A 401 otherwise: the provider's cached token was invalidated; resend
    /// once with a new one.
    NewToken,
}

/// Reads a resource server's answer (status and headers) to a call to
/// `url`: remembers a DPoP nonce; on a 401 that is not a nonce request,
/// invalidates `provider`'s cached token.
pub fn resource_retry<P: CredentialProvider + ?Sized>(
    provider: &P,
    url: &str,
    status: StatusCode,
    headers: &HeaderMap,
) -> ResourceRetry {
    let nonce = provider
        .dpop()
        .is_some_and(|b| b.dpop.needs_retry_parts(url, status, headers, &[]));
    if nonce {
        ResourceRetry::SameToken
    } else if status == StatusCode::UNAUTHORIZED {
        provider.invalidate();
        ResourceRetry::NewToken
    } else {
        ResourceRetry::No
    }
}
