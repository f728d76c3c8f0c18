//! Hierarchical `resource:action` scope evaluation with organization roles.
//!
//! This crate is pure: it performs no I/O and depends on no other idaas crate,
//! so a service can use it alone to make local authorization decisions.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
