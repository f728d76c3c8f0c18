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

/// Parses a token response (RFC 6749 §5.1): `access_token` and `token_type`
/// are required strings; `expires_in`/`expires_at` numbers (or numeric strings).
pub fn parse_token_response(
    endpoint: &str,
    response: &HttpResponse,
    now: Duration,
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
    let credential: Credential = serde_json::from_value(Value::Object(map))
        .map_err(|e| invalid(format!("malformed member: {e}")))?;
    Ok(TokenResponse {
        credential: credential.with_expiry_from(now),
    })
}

/// The `token_type` of a token response against the request: `DPoP` when
/// (and only when) the request carried a DPoP proof (RFC 9449 §5), written
/// `DPoP` whatever its case; a `Bearer` answer to a DPoP request is refused
/// rather than silently used as a bearer token.
pub(crate) fn check_token_type(
    endpoint: &str,
    mut response: TokenResponse,
    dpop_bound: bool,
) -> Result<TokenResponse, Error> {
    let is_dpop = response
        .credential
        .token_type
        .eq_ignore_ascii_case(crate::dpop::DPOP_TOKEN_TYPE);
    let invalid = |reason: String| Error::InvalidResponse {
        endpoint: endpoint.to_owned(),
        reason,
    };
    match (dpop_bound, is_dpop) {
        (true, true) => {
            response.credential.token_type = crate::dpop::DPOP_TOKEN_TYPE.to_owned();
            Ok(response)
        }
        (true, false) => Err(invalid(format!(
            "token_type is {:?} although the request carried a DPoP proof: the server did not bind the token (does it support DPoP for this client?)",
            response.credential.token_type
        ))),
        (false, true) => Err(invalid(
            "token_type is DPoP but the request carried no DPoP proof".into(),
        )),
        (false, false) => Ok(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idaas_core::token::Credential;

    fn answer(token_type: &str) -> TokenResponse {
        let mut credential = Credential::bearer("t", None);
        credential.token_type = token_type.into();
        TokenResponse { credential }
    }

    #[test]
    fn dpop_token_type_only_for_dpop_requests() {
        let ok = check_token_type("e", answer("dpop"), true).unwrap();
        assert_eq!(ok.credential.token_type, "DPoP", "spelled as RFC 9449 does");
        assert!(
            check_token_type("e", answer("Bearer"), true).is_err(),
            "no downgrade"
        );
        assert!(check_token_type("e", answer("DPoP"), false).is_err());
        assert!(check_token_type("e", answer("Bearer"), false).is_ok());
    }
}
