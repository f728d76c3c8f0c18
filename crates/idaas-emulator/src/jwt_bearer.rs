//! The jwt-bearer authorization grant (RFC 7523 §2.1): an assertion from an
//! issuer the client trusts, about a subject, exchanged for an access token
//! about that subject.

use idaas_oauth::jose::{Validation, decode_jws, verify_jwt};
use serde_json::Value;

use crate::registry::Client;
use crate::server::{Reply, State};
use crate::token_endpoint::oauth_error;

impl State {
    /// The assertion must name in `iss` an issuer `client` trusts, be signed
    /// by one of its keys, carry this emulator's issuer or token endpoint in
    /// `aud`, be unexpired and name a `sub`. The token's scope is the
    /// assertion's `scope` claim (the baikal-sdk user grant carries it
    /// there), else the request's.
    pub(crate) fn jwt_bearer(
        &self,
        client: &Client,
        assertion: Option<&str>,
        scope: Option<&str>,
    ) -> Reply {
        let Some(assertion) = assertion else {
            return oauth_error(400, "invalid_request", "assertion is missing");
        };
        let Some(issuer) = unverified_issuer(assertion) else {
            return oauth_error(400, "invalid_grant", "the assertion has no readable iss");
        };
        let Some((_, keys)) = client.assertion_issuers.iter().find(|(i, _)| *i == issuer) else {
            return oauth_error(
                400,
                "invalid_grant",
                format!(
                    "client {} does not trust assertions from {issuer}",
                    client.id
                ),
            );
        };
        let mut last_error = String::from("no audience matched");
        for audience in [self.base_url.clone(), self.token_endpoint()] {
            let validation = Validation {
                issuer: Some(issuer.clone()),
                audience: Some(audience),
                ..Validation::default()
            };
            match verify_jwt(assertion, keys, &validation, self.clock.now()) {
                Ok(claims) => {
                    let Some(subject) = claims.get("sub").and_then(Value::as_str) else {
                        return oauth_error(400, "invalid_grant", "the assertion has no sub");
                    };
                    let granted = claims
                        .get("scope")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .or(scope);
                    return self.issue_for(subject, client, granted, None);
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        oauth_error(
            400,
            "invalid_grant",
            format!("assertion rejected: {last_error}"),
        )
    }
}

/// The `iss` claim of a compact JWS, read before verification only to pick
/// the keys to verify it with.
fn unverified_issuer(jws: &str) -> Option<String> {
    let decoded = decode_jws(jws).ok()?;
    decoded.claims.get("iss")?.as_str().map(str::to_owned)
}
