//! The bearer token of a request (RFC 6750 §2.1), and the HTTP answer to a
//! refused one.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::error::Error;

/// The token of the request's `Authorization: Bearer <token>` header.
///
/// No header, or another scheme: [`Error::MissingToken`]. Two headers, or a
/// token outside the `b64token` syntax: [`Error::InvalidRequest`]. Tokens in
/// the query or the body (RFC 6750 §2.2, §2.3) are not looked for.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, Error> {
    match presented_token(headers, false)? {
        Presented::Bearer(token) => Ok(token),
        Presented::Dpop { .. } => Err(Error::MissingToken),
    }
}

/// The access token of a request, by its scheme.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Presented<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `Authorization: DPoP <token>` with one `DPoP: <proof>` header (read
    /// by the tower layer only).
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    Dpop { token: &'a str, proof: &'a str },
}

/// The request's token: `Bearer`, or `DPoP` with its proof when
/// `accept_dpop` (else the DPoP scheme is an unknown one:
/// [`Error::MissingToken`]).
pub(crate) fn presented_token(
    headers: &HeaderMap,
    accept_dpop: bool,
) -> Result<Presented<'_>, Error> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(Error::MissingToken)?;
    if values.next().is_some() {
        return Err(Error::InvalidRequest("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| Error::InvalidRequest("the Authorization header is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let dpop = accept_dpop && scheme.eq_ignore_ascii_case("dpop");
    if !dpop && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::MissingToken);
    }
    let token = token.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let b64token = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        return Err(Error::InvalidRequest(
            "the access token is empty or malformed",
        ));
    }
    if !dpop {
        return Ok(Presented::Bearer(token));
    }
    let mut proofs = headers.get_all(idaas_oauth::dpop::DPOP_HEADER).iter();
    let proof = proofs
        .next()
        .ok_or(Error::InvalidDpopProof("the request has no DPoP header"))?;
    if proofs.next().is_some() {
        return Err(Error::InvalidDpopProof(
            "the request has more than one DPoP header",
        ));
    }
    let proof = proof
        .to_str()
        .map_err(|_| Error::InvalidDpopProof("the DPoP header is not ASCII"))?;
    Ok(Presented::Dpop { token, proof })
}

/// The answer to a refused request: status, `WWW-Authenticate`, a JSON body
/// (`Cache-Control: no-store`).
pub fn refusal<B: From<Bytes>>(error: &Error, realm: Option<&str>) -> Response<B> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = Response::new(B::from(Bytes::from(error.body())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(challenge) = error.www_authenticate(realm)
        && let Ok(value) = HeaderValue::from_str(&challenge)
    {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_of(values: &[&str]) -> Result<&'static str, Error> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        bearer_token(Box::leak(Box::new(headers)))
    }

    #[test]
    fn the_bearer_credential() {
        assert_eq!(
            token_of(&["Bearer abc.def-_~+/=="]).unwrap(),
            "abc.def-_~+/=="
        );
        assert_eq!(token_of(&["bearer  abc"]).unwrap(), "abc");
        assert!(matches!(token_of(&[]), Err(Error::MissingToken)));
        assert!(matches!(token_of(&["Basic abc"]), Err(Error::MissingToken)));
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer ==",
            "Bearer a\"b",
        ] {
            assert!(
                matches!(token_of(&[bad]), Err(Error::InvalidRequest(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            token_of(&["Bearer a", "Bearer b"]),
            Err(Error::InvalidRequest(_))
        ));
    }
}
