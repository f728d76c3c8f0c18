//! Reading token endpoint answers: success bodies into credentials, error
//! bodies into typed OAuth errors, anything else into a clear error.

use std::time::Duration;

use idaas_core::http::{HttpResponse, header};
use idaas_core::token::Credential;
use serde_json::Value;

use crate::error::{Error, OAuthError};

/// The response of a token request: the credential and the raw members.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The tokens and their expiry (`expires_at` filled from `expires_in`
    /// when the server sent only the latter).
    pub credential: Credential,
    /// `cnf.x5t#S256` of a certificate-bound JWT access token (RFC 8705
    /// §3.1): the thumbprint of the client certificate the token must be
    /// presented with. `None` for an opaque or unbound token.
    pub certificate_thumbprint: Option<String>,
}

/// Maps a non-success response to an error.
pub(crate) fn error_from(endpoint: &str, response: &HttpResponse) -> Error {
    let status = response.status().as_u16();
    if let Some(oauth) = OAuthError::from_response(status, response.body()) {
        return Error::OAuth(oauth);
    }
    Error::UnexpectedStatus {
        endpoint: endpoint.to_owned(),
        status,
        location: response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The JSON object of a success response.
pub(crate) fn json_object(
    endpoint: &str,
    response: &HttpResponse,
) -> Result<serde_json::Map<String, Value>, Error> {
    if !response.status().is_success() {
        return Err(error_from(endpoint, response));
    }
    let invalid = |reason: String| Error::InvalidResponse {
        endpoint: endpoint.to_owned(),
        reason,
    };
    match serde_json::from_slice::<Value>(response.body()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid(format!(
            "expected a JSON object, got {}",
            kind(&other)
        ))),
        Err(e) => Err(invalid(format!("the body is not JSON ({e})"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The longest lifetime a token response may claim: 10 years. A larger
/// `expires_in` (or an `expires_at` further ahead) is a broken or hostile
/// server, not a token to cache forever.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The token types a response may carry, as the `token_type` to keep; the
/// one place that decides it. `Bearer` (any case, RFC 6749 §5.1 says it is
/// case-insensitive) for a request without a DPoP proof; `DPoP` (RFC 9449
/// §5, written `DPoP` whatever its case) when and only when the request
/// carried one — a `Bearer` answer to a DPoP request is refused rather than
/// silently used as a bearer token; `N_A` for an RFC 8693 exchange that
/// issued something other than an access token. Anything else (`mac`, …)
/// is refused: handing it out as a bearer token would be wrong.
fn accepted_token_type(
    token_type: &str,
    issued_token_type: Option<&str>,
    dpop_bound: bool,
) -> Result<&'static str, String> {
    let is_bearer = token_type.eq_ignore_ascii_case("bearer");
    let is_dpop = token_type.eq_ignore_ascii_case(crate::dpop::DPOP_TOKEN_TYPE);
    match (dpop_bound, is_bearer, is_dpop) {
        (false, true, _) => Ok("Bearer"),
        (true, _, true) => Ok(crate::dpop::DPOP_TOKEN_TYPE),
        (true, true, _) => Err(format!(
            "token_type is {token_type:?} although the request carried a DPoP proof: the server did not bind the token (does it support DPoP for this client?)"
        )),
        (false, _, true) => Err("token_type is DPoP but the request carried no DPoP proof".into()),
        _ if token_type == "N_A"
            && issued_token_type.is_some_and(|t| t != idaas_core::token::ACCESS_TOKEN_TYPE) =>
        {
            Ok("N_A")
        }
        _ => Err(format!(
            "token_type {token_type:?} is not supported; only {} tokens are accepted",
            if dpop_bound { "DPoP" } else { "Bearer" }
        )),
    }
}

/// Parses a token response (RFC 6749 §5.1): `access_token` and `token_type`
/// are required strings; `expires_in`/`expires_at` numbers (or numeric
/// strings), at most 10 years ahead; `token_type` must be `Bearer` (any
/// case; `DPoP` only for a request that carried a DPoP proof, which
/// [`OAuthClient`](crate::OAuthClient) decides). The `scope` is the
/// server's granted scope; the caller fills in the requested one when it
/// is absent (RFC 6749 §5.1).
pub fn parse_token_response(
    endpoint: &str,
    response: &HttpResponse,
    now: Duration,
) -> Result<TokenResponse, Error> {
    parse_token_response_for(endpoint, response, now, false)
}

/// [`parse_token_response`] for a request that carried a DPoP proof
/// (`dpop_bound`) or not: see [`accepted_token_type`].
pub(crate) fn parse_token_response_for(
    endpoint: &str,
    response: &HttpResponse,
    now: Duration,
    dpop_bound: bool,
) -> Result<TokenResponse, Error> {
    let map = json_object(endpoint, response)?;
    let invalid = |reason: String| Error::InvalidResponse {
        endpoint: endpoint.to_owned(),
        reason,
    };
    for required in ["access_token", "token_type"] {
        match map.get(required) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(Value::String(_)) => return Err(invalid(format!("{required} is empty"))),
            Some(other) => {
                return Err(invalid(format!(
                    "{required} must be a string, got {}",
                    kind(other)
                )));
            }
            None => return Err(invalid(format!("{required} is missing"))),
        }
    }
    let mut credential: Credential = serde_json::from_value(Value::Object(map))
        .map_err(|e| invalid(format!("malformed member: {e}")))?;
    credential.token_type = accepted_token_type(
        &credential.token_type,
        credential.issued_token_type.as_deref(),
        dpop_bound,
    )
    .map_err(invalid)?
    .to_owned();
    let ceiling = MAX_TOKEN_LIFETIME.as_secs();
    if credential.expires_in > ceiling {
        return Err(invalid(format!(
            "expires_in {} s is more than 10 years; refusing a token that would never expire",
            credential.expires_in
        )));
    }
    if credential
        .expires_at
        .is_some_and(|at| at > now.as_secs().saturating_add(ceiling))
    {
        return Err(invalid(
            "expires_at lies more than 10 years ahead; refusing a token that would never expire"
                .into(),
        ));
    }
    if credential
        .scope
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        credential.scope = None;
    }
    let certificate_thumbprint =
        crate::mtls::bound_thumbprint(credential.access_token.expose_secret());
    Ok(TokenResponse {
        credential: credential.with_expiry_from(now),
        certificate_thumbprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpop_token_type_only_for_dpop_requests() {
        assert_eq!(
            accepted_token_type("dpop", None, true),
            Ok("DPoP"),
            "spelled as RFC 9449 does"
        );
        assert!(
            accepted_token_type("Bearer", None, true).is_err(),
            "no downgrade"
        );
        assert!(accepted_token_type("DPoP", None, false).is_err());
        assert_eq!(accepted_token_type("bEaReR", None, false), Ok("Bearer"));
        assert!(accepted_token_type("mac", None, false).is_err());
        assert!(accepted_token_type("mac", None, true).is_err());
        let id_token = Some("urn:ietf:params:oauth:token-type:id_token");
        assert_eq!(accepted_token_type("N_A", id_token, false), Ok("N_A"));
        assert!(
            accepted_token_type("N_A", Some(idaas_core::token::ACCESS_TOKEN_TYPE), false).is_err()
        );
    }
}
