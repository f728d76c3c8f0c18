//! tower layers: [`RequireToken`] for a service that receives tokens,
//! [`BearerAuth`] for a client that sends them.

mod client;
mod server;

pub use client::{BearerAuth, BearerAuthService, BoxError};
pub use server::{RequireToken, RequireTokenService};
