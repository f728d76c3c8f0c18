//! `idaas decode TOKEN [--verify --issuer URL [--audience AUD]]`: header
//! and claims, times in human form; with `--verify`, the signature by the
//! issuer's published keys and the registered claims.

use idaas::oauth::discovery::Discovery;
use idaas::oauth::jose::{Jws, Validation, decode_jws};
use idaas::oauth::{JwtValidator, RemoteJwks};

use crate::exit::{Code, Failure};

fn human(unix: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if unix >= now {
        format!("in {}", span(unix - now))
    } else {
        format!("{} ago", span(now - unix))
    }
}

fn span(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

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
    json: bool,
) -> Result<Code, Failure> {
    let jws = decoded(token, json)?;
    let http = super::http_client(json)?;
    let metadata = Discovery::new(http.clone(), issuer)
        .metadata()
        .await
        .map_err(|e| Failure::new(Code::Network, e.to_string(), json))?;
    let jwks_uri = metadata.jwks_uri.clone().ok_or_else(|| {
        Failure::new(
            Code::Network,
            format!("{} publishes no jwks_uri", metadata.issuer),
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
                println!(
                    "{}",
                    serde_json::json!({
                        "header": jws.header,
                        "claims": jws.claims,
                        "verified": false,
                        "reason": e.to_string(),
                    })
                );
            } else {
                print(&jws, false, false);
            }
            eprintln!("idaas: the token is not valid: {e}");
            Ok(Code::Denied)
        }
        Err(e) => Err(Failure::new(Code::Network, e.to_string(), json)),
    }
}

fn print(jws: &Jws, verified: bool, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({"header": jws.header, "claims": jws.claims, "verified": verified})
        );
        return;
    }
    println!(
        "header: {}",
        serde_json::to_string_pretty(&jws.header).unwrap_or_default()
    );
    println!(
        "claims: {}",
        serde_json::to_string_pretty(&jws.claims).unwrap_or_default()
    );
    for name in ["iat", "nbf", "exp"] {
        if let Some(t) = jws.claims.get(name).and_then(|v| v.as_u64()) {
            println!("{name}: {t} ({})", human(t));
        }
    }
    if verified {
        println!("(signature and claims verified)");
    } else {
        println!("(signature not verified)");
    }
}
