//! Client of the IDaaS PAM developer API: API keys, OAuth and JWT authentication
//! tokens and their lifecycle, cloud-account role credentials.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
