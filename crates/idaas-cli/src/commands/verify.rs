//! `idaas verify TOKEN --issuer URL --audience AUD [--require SCOPE]…`: the
//! resource server's check of an access token (idaas-guard): exit 0 when
//! valid and every required scope is granted, 1 when refused, 3 when the
//! issuer cannot be reached. `--json` prints the principal.

use idaas::guard::{Error, Principal, Requirement, TokenVerifier, TypPolicy};

use crate::exit::{Code, Failure};

/// The arguments of `idaas verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The access token (a JWT; opaque tokens need introspection, which
    /// this command does not configure).
    #[arg(allow_hyphen_values = true)]
    pub token: String,
    /// The issuer whose keys (found by discovery) sign the token.
    #[arg(long)]
    pub issuer: String,
    /// An audience of this resource (`aud` must name one); repeatable.
    #[arg(long, required = true)]
    pub audience: Vec<String>,
    /// A scope the token must grant (`projects:write` hierarchically);
    /// repeatable.
    #[arg(long)]
    pub require: Vec<String>,
    /// Also accept `typ: JWT` (or none), not only `at+jwt`.
    #[arg(long)]
    pub allow_plain_jwt: bool,
    /// Transport options.
    #[command(flatten)]
    pub net: crate::cli::NetArgs,
}

fn principal_json(p: &Principal) -> serde_json::Value {
    serde_json::json!({
        "active": true,
        "subject": p.subject(),
        "client_id": p.client_id(),
        "scopes": p.scopes(),
        "expires_at": p.expires_at(),
        "claims": p.claims(),
    })
}

/// Verifies the token and checks the required scopes.
pub(crate) async fn run(args: VerifyArgs, json: bool) -> Result<Code, Failure> {
    let mut builder =
        TokenVerifier::builder(args.issuer).http(super::http_client(&args.net, json)?);
    for audience in args.audience {
        builder = builder.audience(audience);
    }
    if args.allow_plain_jwt {
        builder = builder.typ(TypPolicy::AllowPlainJwt);
    }
    let checked = match builder.build().await {
        Ok(verifier) => verifier.verify(args.token.trim()).await.and_then(|p| {
            let required: Vec<Requirement> = args.require.iter().map(Requirement::scope).collect();
            p.require_all(&required).map(|()| p)
        }),
        Err(e) => Err(e),
    };
    match checked {
        Ok(principal) => {
            if json {
                println!("{}", principal_json(&principal));
            } else {
                println!(
                    "valid: subject {}, client {}, scopes {}",
                    principal.subject().unwrap_or("-"),
                    principal.client_id().unwrap_or("-"),
                    principal.scopes().join(" ")
                );
            }
            Ok(Code::Ok)
        }
        Err(e @ (Error::Unavailable(_) | Error::Misconfigured(_))) => {
            let code = if matches!(e, Error::Unavailable(_)) {
                Code::Network
            } else {
                Code::Usage
            };
            Err(Failure::new(code, e.to_string(), json))
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "active": false,
                        "error": e.code(),
                        "error_description": e.description(),
                    })
                );
            }
            eprintln!("idaas: the token is refused: {e}");
            Ok(Code::Denied)
        }
    }
}
