//! DPoP-bound access tokens on the resource side (RFC 9449 §7): a token
//! whose `cnf` carries `jkt` is accepted only with `Authorization: DPoP`
//! and a `DPoP` proof of this very request, signed by the key the token is
//! bound to.
//!
//! The proof must be one compact JWS with `typ` `dpop+jwt`, an `alg` of the
//! verifier's allow-list (asymmetric only), a public `jwk` in its header
//! that verifies the signature; its claims: `htm` the request's method,
//! `htu` its URL (both normalised, RFC 9449 §4.3; query and fragment
//! ignored), `iat` within the proof lifetime (60 s by default, plus the
//! verifier's leeway), a `jti` never seen before for that key within the
//! lifetime (replay cache), `ath` the SHA-256 of the access token. The
//! JWK's RFC 7638 thumbprint must be the token's `cnf.jkt`. Server nonces
//! (`DPoP-Nonce`) are not demanded.
//!
//! A refused proof is 401 `invalid_dpop_proof` with a `DPoP` challenge; a
//! DPoP-bound token sent as `Bearer` (or checked without a proof) is 401
//! `invalid_token` ([`Reason::DpopBound`](crate::Reason::DpopBound)).

use std::time::Duration;

use idaas_oauth::dpop::{DPOP_PROOF_TYPE, access_token_hash, normalise_htu};
use idaas_oauth::jose::{Algorithm, VerifyingKey, decode_jws, jwk_thumbprint};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::replay::ReplayCache;

/// The default lifetime of a proof: its `iat` may be this old (plus the
/// leeway).
pub const DEFAULT_PROOF_LIFETIME: Duration = Duration::from_secs(60);
/// How many proof `jti`s the replay cache holds at most.
const REPLAY_CAPACITY: u64 = 100_000;

/// What a DPoP proof is checked against: the `DPoP` header and the request
/// it came with.
#[derive(Debug, Clone, Copy)]
pub struct DpopRequest<'a> {
    /// The `DPoP` header's value (the proof JWT).
    pub proof: &'a str,
    /// The request's method (`GET`, `POST`…).
    pub method: &'a str,
    /// The request's absolute URL as the client addressed it
    /// (`https://api.example.com/v1/items`).
    pub url: &'a str,
}

/// Checks proofs: the lifetime and the `jti`s seen.
#[derive(Debug)]
pub(crate) struct ProofChecker {
    lifetime: Duration,
    seen: ReplayCache,
}

fn invalid(what: &'static str) -> Error {
    Error::InvalidDpopProof(what)
}

impl ProofChecker {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            seen: ReplayCache::new(REPLAY_CAPACITY),
        }
    }

    /// Checks `request`'s proof for `token`, whose verified claims are
    /// `claims`, at `now`.
    pub(crate) fn check(
        &self,
        token: &str,
        claims: &Map<String, Value>,
        request: &DpopRequest<'_>,
        algorithms: &[Algorithm],
        now: Duration,
        leeway: Duration,
    ) -> Result<(), Error> {
        let bound = claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str)
            .ok_or(invalid("the access token is not DPoP-bound (no cnf.jkt)"))?;
        let jws = decode_jws(request.proof).map_err(|_| invalid("the DPoP proof is not a JWS"))?;
        if jws.header.get("typ").and_then(Value::as_str) != Some(DPOP_PROOF_TYPE) {
            return Err(invalid("the DPoP proof's typ is not dpop+jwt"));
        }
        let allowed = jws
            .alg()
            .and_then(|a| a.parse::<Algorithm>().ok())
            .is_some_and(|a| algorithms.contains(&a));
        if !allowed {
            return Err(invalid("the DPoP proof's algorithm is not accepted"));
        }
        let jwk = jws
            .header
            .get("jwk")
            .ok_or(invalid("the DPoP proof has no jwk"))?;
        let key = VerifyingKey::from_jwk(jwk)
            .map_err(|_| invalid("the DPoP proof's jwk is not a public key"))?;
        jws.verify(&key)
            .map_err(|_| invalid("the DPoP proof's signature does not verify"))?;
        let string = |name: &str| jws.claims.get(name).and_then(Value::as_str);
        if string("htm") != Some(request.method) {
            return Err(invalid("the DPoP proof is for another method (htm)"));
        }
        let same_url = match (string("htu").map(normalise_htu), normalise_htu(request.url)) {
            (Some(Ok(proof)), Ok(ours)) => proof == ours,
            _ => false,
        };
        if !same_url {
            return Err(invalid("the DPoP proof is for another URL (htu)"));
        }
        let iat = jws
            .claims
            .get("iat")
            .and_then(Value::as_u64)
            .ok_or(invalid("the DPoP proof has no iat"))?;
        let oldest = now.saturating_sub(self.lifetime + leeway).as_secs();
        if iat < oldest || iat > (now + leeway).as_secs() {
            return Err(invalid(
                "the DPoP proof is too old or from the future (iat)",
            ));
        }
        let ath = access_token_hash(token);
        if !string("ath")
            .is_some_and(|a| idaas_core::secret::constant_time_eq(a.as_bytes(), ath.as_bytes()))
        {
            return Err(invalid("the DPoP proof is for another access token (ath)"));
        }
        let thumbprint =
            jwk_thumbprint(jwk).ok_or(invalid("the DPoP proof's jwk is incomplete"))?;
        if !idaas_core::secret::constant_time_eq(thumbprint.as_bytes(), bound.as_bytes()) {
            return Err(invalid(
                "the DPoP proof is signed by another key than the token is bound to",
            ));
        }
        let jti = string("jti").filter(|j| !j.is_empty() && j.len() <= 256);
        self.seen
            .first_use(&thumbprint, jti, iat + self.lifetime.as_secs(), now, leeway)
            .map_err(|_| invalid("the DPoP proof was already used (jti)"))
    }
}

/// Whether verified claims are DPoP-bound (`cnf.jkt`).
pub(crate) fn is_bound(claims: &Map<String, Value>) -> bool {
    claims.get("cnf").and_then(|c| c.get("jkt")).is_some()
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, header};

    use crate::bearer::{Presented, presented_token};
    use crate::error::Error;

    fn headers(authorization: &str, proofs: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        for proof in proofs {
            headers.append("dpop", HeaderValue::from_str(proof).unwrap());
        }
        headers
    }

    #[test]
    fn the_dpop_scheme_needs_exactly_one_proof_and_is_unknown_unless_accepted() {
        let one = headers("DPoP tok.en", &["p.r.oof"]);
        assert!(matches!(
            presented_token(&one, true),
            Ok(Presented::Dpop {
                token: "tok.en",
                proof: "p.r.oof"
            })
        ));
        assert!(matches!(
            presented_token(&one, false),
            Err(Error::MissingToken)
        ));
        assert!(matches!(
            presented_token(&headers("dpop tok.en", &[]), true),
            Err(Error::InvalidDpopProof(_))
        ));
        assert!(matches!(
            presented_token(&headers("DPoP tok.en", &["a", "b"]), true),
            Err(Error::InvalidDpopProof(_))
        ));
        assert!(matches!(
            presented_token(&headers("DPoP a b", &["p"]), true),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            presented_token(&headers("Bearer tok", &["p"]), true),
            Ok(Presented::Bearer("tok"))
        ));
        let challenge = Error::InvalidDpopProof("the DPoP proof has no iat")
            .www_authenticate(Some("api"))
            .unwrap();
        assert_eq!(
            challenge,
            "DPoP realm=\"api\", error=\"invalid_dpop_proof\", error_description=\"the DPoP proof has no iat\""
        );
    }
}
