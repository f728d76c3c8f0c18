//! `idaas decode TOKEN`: header and claims, times in human form.

use idaas::oauth::jose::decode_jws;

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

pub fn run(token: &str, json: bool) -> Result<Code, Failure> {
    let jws = decode_jws(token.trim())
        .map_err(|e| Failure::new(Code::Usage, format!("not a JWT: {e}"), json))?;
    if json {
        println!(
            "{}",
            serde_json::json!({"header": jws.header, "claims": jws.claims, "verified": false})
        );
        return Ok(Code::Ok);
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
    println!("(signature not verified)");
    Ok(Code::Ok)
}
