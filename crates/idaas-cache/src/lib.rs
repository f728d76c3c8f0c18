//! Refresh-ahead token cache with single-flight refresh and stale-if-error.
//!
//! Decides how often the identity provider is called and how long callers wait.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
