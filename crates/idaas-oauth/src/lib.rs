//! OAuth 2.0 and OpenID Connect protocol: client authentication, JOSE, grants,
//! discovery, introspection, revocation and the user sign-in flows.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
