//! `idaas decode TOKEN [--verify --issuer URL [--audience AUD]]`: header
//! and claims, times in human form; with `--verify`, the signature by the
//! issuer's published keys and the registered claims.

use idaas::oauth::discovery::Discovery;
use idaas::oauth::jose::{Jws, Validation, decode_jws};
use idaas::oauth::{JwtValidator, RemoteJwks};

use crate::cli::NetArgs;
use crate::exit::{Code, Failure};
use crate::output;

fn decoded(token: &str, json: bool) -> Result<Jws<'_>, Failure> {
    decode_jws(token.trim()).map_err(|e| Failure::new(Code::Usage, format!("not a JWT: {e}"), json))
}

/// Decodes without verifying.
pub fn run(token: &str, json: bool) -> Result<Code, Failure> {
    let jws = decoded(token, json)?;
    print(&jws, false, json);
    Ok(Code::Ok)
}

/// Decodes, then verifies with the keys the issuer publishes (its
/// discovery document's `jwks_uri`): exit 0 if valid, 1 if not.
pub async fn verify(
    token: &str,
    issuer: String,
    audience: Option<String>,
    net: &NetArgs,
    json: bool,
) -> Result<Code, Failure> {
    let jws = decoded(token, json)?;
    let http = super::http_client(net, json)?;
    let metadata = Discovery::new(http.clone(), issuer)
        .metadata()
        .await
        .map_err(|e| Failure::of(&e, json))?;
    let jwks_uri = metadata.jwks_uri.clone().ok_or_else(|| {
        Failure::new(
            Code::Network,
            format!("{} publishes no jwks_uri", output::field(&metadata.issuer)),
            json,
        )
    })?;
    let validator = JwtValidator::new(
        RemoteJwks::new(http, jwks_uri),
        Validation {
            issuer: Some(metadata.issuer.clone()),
            audience,
            ..Validation::default()
        },
    );
    match validator.validate(token.trim()).await {
        Ok(_) => {
            print(&jws, true, json);
            Ok(Code::Ok)
        }
        Err(idaas::oauth::Error::Jwt(e)) => {
            if json {
                output::out_json(&serde_json::json!({
                    "header": jws.header,
                    "claims": jws.claims,
                    "verified": false,
                    "reason": e.to_string(),
                }));
            } else {
                print(&jws, false, false);
            }
            output::err(format_args!(
                "idaas: the token is not valid: {}",
                output::field(&e.to_string())
            ));
            Ok(Code::Denied)
        }
        Err(e) => Err(Failure::of(&e, json)),
    }
}

fn print(jws: &Jws, verified: bool, json: bool) {
    if json {
        output::out_json(
            &serde_json::json!({"header": jws.header, "claims": jws.claims, "verified": verified}),
        );
        return;
    }
    for (label, value) in [("header", &jws.header), ("claims", &jws.claims)] {
        output::out(format_args!(
            "{label}: {}",
            output::json_pretty(&serde_json::Value::Object(value.clone()))
        ));
    }
    for name in ["iat", "nbf", "exp"] {
        if let Some(t) = jws.claims.get(name).and_then(|v| v.as_u64()) {
            output::out(format_args!("{name}: {}", output::when(t)));
        }
    }
    if verified {
        output::out("(signature and claims verified)");
    } else {
        output::out("(signature not verified)");
    }
}
