//! Local emulator of the IDaaS token endpoint and PAM developer API, for demos,
//! tests and offline work. A test double with real checks, not an identity provider.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
