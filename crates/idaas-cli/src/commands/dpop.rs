//! `--dpop [--dpop-key PEM]`: the key the token commands bind their tokens
//! to (RFC 9449), through the library's `Dpop` (proofs, nonces, retries).

use idaas::oauth::OAuthClient;
use idaas::oauth::dpop::{Dpop, DpopKey};

use crate::cli::DpopArgs;
use crate::exit::{Code, Failure};

/// The key of `--dpop-key`, a fresh ES256 one for a bare `--dpop`, or
/// none.
pub(super) fn key(args: &DpopArgs, json: bool) -> Result<Option<Dpop>, Failure> {
    match (&args.dpop_key, args.dpop) {
        (Some(path), _) => DpopKey::from_file(path)
            .map(|key| Some(Dpop::new(key)))
            .map_err(|e| {
                Failure::new(
                    Code::Usage,
                    format!("--dpop-key {}: {e}", path.display()),
                    json,
                )
            }),
        (None, true) => Ok(Some(Dpop::new(DpopKey::generate()))),
        (None, false) => Ok(None),
    }
}

/// `client`, bound to the DPoP key if one was asked for.
pub(super) fn bind(
    client: OAuthClient,
    args: &DpopArgs,
    json: bool,
) -> Result<OAuthClient, Failure> {
    Ok(match key(args, json)? {
        Some(dpop) => client.with_dpop(dpop),
        None => client,
    })
}
