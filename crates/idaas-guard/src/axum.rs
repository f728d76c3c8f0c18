//! The axum side: [`Principal`] as an extractor (from the extensions that
//! [`RequireToken`](crate::RequireToken) fills) and [`Error`] as a response.

use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use crate::bearer::refusal;
use crate::error::Error;
use crate::principal::Principal;

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Error;

    /// The principal [`RequireToken`](crate::RequireToken) verified; a
    /// route not behind that layer answers 500 (never lets a request
    /// through unverified).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| {
            Error::Misconfigured(
                "no verified Principal in the request: put the route behind RequireToken".into(),
            )
        })
    }
}

impl IntoResponse for Error {
    /// The RFC 6750 answer (see [`Error::www_authenticate`]).
    fn into_response(self) -> Response {
        refusal::<Body>(&self, None)
    }
}
