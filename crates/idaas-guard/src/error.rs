//! [`Error`]: why a request was not let through, mapped to its RFC 6750 §3
//! answer (status, `error` code, a description safe to send back).

use std::sync::Arc;

use idaas_oauth::jose::JwtError;

/// Why a token was refused (the `error_description` sent back is
/// [`Reason::description`], never the token or anything read from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Not a JWT and no introspection configured, or not decodable.
    Malformed,
    /// `typ` is not `at+jwt` (RFC 9068 §4).
    WrongType,
    /// `alg` is `none`, symmetric, or outside the allow-list.
    AlgorithmNotAllowed,
    /// No published key has the token's `kid` (even after a refetch).
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed.
    Expired,
    /// `nbf` or `iat` lies in the future.
    NotYetValid,
    /// `iss` is not the expected issuer.
    WrongIssuer,
    /// `aud` names none of the expected audiences.
    WrongAudience,
    /// A claim RFC 9068 requires is missing or has the wrong type.
    MissingClaim,
    /// The introspection endpoint says the token is not active.
    Inactive,
    /// The token's `jti` was seen before (replay cache).
    Replayed,
    /// The token is bound to a TLS client certificate (`cnf.x5t#S256`, RFC
    /// 8705 §3) and the request came without it, or with another one.
    CertificateMismatch,
    /// The token is DPoP-bound (`cnf.jkt`, RFC 9449) but came as a bearer
    /// token, without a proof.
    DpopBound,
}

impl Reason {
    /// A fixed, human-readable description (the `error_description`).
    pub fn description(self) -> &'static str {
        match self {
            Self::Malformed => "the access token is malformed",
            Self::WrongType => "the token is not an access token (typ must be at+jwt)",
            Self::AlgorithmNotAllowed => "the token's signing algorithm is not accepted",
            Self::UnknownKey => "the token is signed by an unknown key",
            Self::BadSignature => "the token's signature does not verify",
            Self::Expired => "the access token expired",
            Self::NotYetValid => "the access token is not valid yet",
            Self::WrongIssuer => "the token was issued by another issuer",
            Self::WrongAudience => "the token is not meant for this resource",
            Self::MissingClaim => "the token lacks a required claim",
            Self::Inactive => "the access token is not active (revoked, expired or unknown)",
            Self::Replayed => "the access token was already used",
            Self::CertificateMismatch => {
                "the access token is bound to a client certificate this request did not present"
            }
            Self::DpopBound => {
                "the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof"
            }
        }
    }
}

impl From<&JwtError> for Reason {
    fn from(e: &JwtError) -> Self {
        match e {
            JwtError::AlgorithmNotAllowed { .. } => Self::AlgorithmNotAllowed,
            JwtError::BadSignature => Self::BadSignature,
            JwtError::Expired { .. } => Self::Expired,
            JwtError::NotYetValid { .. } | JwtError::IssuedInFuture { .. } => Self::NotYetValid,
            JwtError::WrongIssuer { .. } => Self::WrongIssuer,
            JwtError::WrongAudience { .. } => Self::WrongAudience,
            JwtError::MissingClaim(_) => Self::MissingClaim,
            JwtError::UnknownKey(_) => Self::UnknownKey,
            _ => Self::Malformed,
        }
    }
}

/// What went wrong verifying or authorizing a request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request carries no bearer token (RFC 6750 §3.1: 401, no error
    /// code).
    #[error("the request carries no bearer token")]
    MissingToken,
    /// The `Authorization` header is not one well-formed `Bearer` credential
    /// (400 `invalid_request`).
    #[error("malformed Authorization header: {0}")]
    InvalidRequest(&'static str),
    /// The token was refused (401 `invalid_token`).
    #[error("invalid token: {}", .0.description())]
    InvalidToken(Reason),
    /// The request's DPoP proof was refused (RFC 9449 §7.1: 401
    /// `invalid_dpop_proof`, a `DPoP` challenge).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(&'static str),
    /// The token is valid but lacks what the request needs (403
    /// `insufficient_scope`).
    #[error("insufficient scope: {required} is required")]
    InsufficientScope {
        /// The requirement that failed, as a scope string.
        required: String,
    },
    /// The issuer could not be asked (JWKS, discovery or introspection
    /// failed with nothing cached): 503, try again later.
    #[error("the authorization server is unavailable: {0}")]
    Unavailable(Arc<idaas_oauth::Error>),
    /// The verifier is set up wrongly.
    #[error("misconfigured token verifier: {0}")]
    Misconfigured(String),
}

impl Error {
    /// The HTTP status of the answer: 400, 401, 403 or 503 (500 for a
    /// misconfiguration).
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingToken | Self::InvalidToken(_) | Self::InvalidDpopProof(_) => 401,
            Self::InvalidRequest(_) => 400,
            Self::InsufficientScope { .. } => 403,
            Self::Unavailable(_) => 503,
            Self::Misconfigured(_) => 500,
        }
    }

    /// The RFC 6750 `error` code, if the answer carries one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            Self::InsufficientScope { .. } => Some("insufficient_scope"),
            _ => None,
        }
    }

    /// The `error_description` sent back: fixed texts, nothing from the
    /// token.
    pub fn description(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(what) | Self::InvalidDpopProof(what) => Some(what),
            Self::InvalidToken(reason) => Some(reason.description()),
            Self::InsufficientScope { .. } => {
                Some("the access token does not grant what this request needs")
            }
            Self::Unavailable(_) => Some("the authorization server is unavailable; retry later"),
            _ => None,
        }
    }

    /// The reason of an [`Error::InvalidToken`].
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Self::InvalidToken(r) => Some(*r),
            _ => None,
        }
    }
}

impl From<JwtError> for Error {
    fn from(e: JwtError) -> Self {
        Self::InvalidToken(Reason::from(&e))
    }
}

/// An error of the layer below: a refused JWT is an invalid token, anything
/// else (transport, a bad answer) means the issuer is unavailable.
pub(crate) fn from_oauth(e: idaas_oauth::Error) -> Error {
    match e {
        idaas_oauth::Error::Jwt(jwt) => jwt.into(),
        idaas_oauth::Error::Misconfigured(m) => Error::Misconfigured(m),
        e @ idaas_oauth::Error::InvalidUrl { .. } => Error::Misconfigured(e.to_string()),
        other => Error::Unavailable(Arc::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_does_not_parse_is_a_misconfiguration_not_an_outage() {
        let e = from_oauth(idaas_oauth::Error::InvalidUrl {
            what: "issuer",
            url: "not a url".into(),
            source: url::ParseError::RelativeUrlWithoutBase,
        });
        assert_eq!(e.status(), 500, "{e}");
        assert!(
            matches!(&e, Error::Misconfigured(m) if m.contains("issuer")),
            "{e:?}"
        );
    }
}
