//! IDaaS machine-to-machine credential providers, their factory and token exchange,
//! wire-compatible with the reference cloud-idaas-core SDK.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
