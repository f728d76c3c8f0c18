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
pub(super) fn run(token: &str, json: bool) -> Result<Code, Failure> {
    let jws = decoded(token, json)?;
    print(&jws, false, json);
    Ok(Code::Ok)
}

/// Decodes, then verifies with the keys the issuer publishes (its
/// discovery document's `jwks_uri`): exit 0 if valid, 1 if not.
pub(super) async fn verify(
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

/// What the `cnf` claim binds the token to (RFC 7800): a DPoP key's
/// thumbprint (`jkt`, RFC 9449) and/or a client certificate's
/// (`x5t#S256`, RFC 8705), as `{"method", "jkt" | "x5t#S256"}` entries.
fn binding(claims: &serde_json::Map<String, serde_json::Value>) -> Vec<serde_json::Value> {
    let Some(cnf) = claims.get("cnf").and_then(|c| c.as_object()) else {
        return Vec::new();
    };
    [("jkt", "dpop"), ("x5t#S256", "mtls")]
        .into_iter()
        .filter_map(|(member, method)| {
            let value = cnf.get(member)?.as_str()?;
            Some(serde_json::json!({"method": method, member: value}))
        })
        .collect()
}

/// `binding` in human form.
fn describe_binding(claims: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let mut lines: Vec<String> = binding(claims)
        .iter()
        .map(|b| match b["method"].as_str() {
            Some("dpop") => format!(
                "bound to a DPoP key (RFC 9449): jkt {} — use it only with proofs signed by that key",
                output::field(b["jkt"].as_str().unwrap_or_default())
            ),
            _ => format!(
                "bound to a client certificate (RFC 8705): x5t#S256 {} — use it only over mutual TLS with that certificate",
                output::field(b["x5t#S256"].as_str().unwrap_or_default())
            ),
        })
        .collect();
    if lines.is_empty() && claims.contains_key("cnf") {
        lines.push(
            "cnf: a confirmation method idaas does not know (neither jkt nor x5t#S256)".into(),
        );
    }
    lines
}

fn print(jws: &Jws, verified: bool, json: bool) {
    if json {
        output::out_json(&serde_json::json!({
            "header": jws.header,
            "claims": jws.claims,
            "verified": verified,
            "binding": binding(&jws.claims),
        }));
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
    for line in describe_binding(&jws.claims) {
        output::out(line);
    }
    if verified {
        output::out("(signature and claims verified)");
    } else {
        output::out("(signature not verified)");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn cnf_in_human_form() {
        let claims = |v: serde_json::Value| v.as_object().unwrap().clone();
        let both = claims(json!({"cnf": {"jkt": "abc", "x5t#S256": "def"}}));
        assert_eq!(
            super::binding(&both),
            [
                json!({"method": "dpop", "jkt": "abc"}),
                json!({"method": "mtls", "x5t#S256": "def"})
            ]
        );
        let lines = super::describe_binding(&both);
        assert!(
            lines[0].contains("DPoP key") && lines[0].contains("jkt abc"),
            "{lines:?}"
        );
        assert!(lines[1].contains("client certificate") && lines[1].contains("x5t#S256 def"));
        assert!(super::describe_binding(&claims(json!({"sub": "x"}))).is_empty());
        let odd = super::describe_binding(&claims(json!({"cnf": {"jwk": {}}})));
        assert!(odd[0].contains("does not know"), "{odd:?}");
        // server text is escaped
        let hostile = super::describe_binding(&claims(json!({"cnf": {"jkt": "\u{1b}]0;x\u{7}"}})));
        assert!(!hostile[0].contains('\u{1b}'), "{hostile:?}");
    }
}
