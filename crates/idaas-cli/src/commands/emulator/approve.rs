//! `idaas emulator approve|deny CODE --url URL`: what the verification
//! page's buttons do, from another terminal — fetch the form (for its form
//! token), then post the decision.

use bytes::Bytes;
use idaas::http::HttpClient;

use crate::cli::NetArgs;
use crate::exit::{Code, Failure};
use crate::output;

/// The arguments of `idaas emulator approve|deny`.
#[derive(Debug, clap::Args)]
pub(crate) struct DecideArgs {
    /// The code the device shows (`user_code`, e.g. `BCDF-GHJK`).
    pub code: String,
    /// The emulator's base URL (printed at its start).
    #[arg(long, env = "IDAAS_EMULATOR_URL")]
    pub url: String,
    /// Transport options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// The value of the form's hidden input `name` (the emulator's pages write
/// `name="…" value="…"`).
pub(super) fn hidden_value<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\" value=\"");
    let rest = &page[page.find(&marker)? + marker.len()..];
    Some(&rest[..rest.find('"')?])
}

/// The value of the form's hidden `csrf` input.
fn form_token(page: &str) -> Option<&str> {
    hidden_value(page, "csrf")
}

pub(super) async fn send(
    http: &idaas::http::SharedHttpClient,
    request: http::Request<Bytes>,
    json: bool,
) -> Result<(u16, String), Failure> {
    let response = http
        .execute(request)
        .await
        .map_err(|e| Failure::of(&e, json))?;
    Ok((
        response.status().as_u16(),
        String::from_utf8_lossy(response.body()).into_owned(),
    ))
}

pub(super) fn request(
    method: &str,
    url: &str,
    body: String,
) -> Result<http::Request<Bytes>, String> {
    let mut builder = http::Request::builder().method(method).uri(url);
    if method == "POST" {
        builder = builder.header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    }
    builder.body(Bytes::from(body)).map_err(|e| e.to_string())
}

/// Approves (or denies) `args.code`: exit 0 when decided, 1 when the
/// emulator knows no such waiting code.
pub(super) async fn run(args: DecideArgs, approve: bool, json: bool) -> Result<Code, Failure> {
    let page_url = format!("{}/device", args.url.trim_end_matches('/'));
    let usage = |e: String| Failure::new(Code::Usage, format!("--url {}: {e}", args.url), json);
    let http = super::super::http_client(&args.net, json)?;
    let (status, page) = send(
        &http,
        request("GET", &page_url, String::new()).map_err(usage)?,
        json,
    )
    .await?;
    let token = form_token(&page).filter(|_| status == 200).ok_or_else(|| {
        Failure::new(
            Code::Network,
            format!("{page_url} answered {status} without the verification form: is it an idaas emulator?"),
            json,
        )
    })?;
    let decision = if approve { "approve" } else { "deny" };
    let body = format!(
        "csrf={}&user_code={}&decision={decision}",
        idaas::oauth::form::encode_component(token),
        idaas::oauth::form::encode_component(args.code.trim())
    );
    let (status, _) = send(
        &http,
        request("POST", &page_url, body).map_err(usage)?,
        json,
    )
    .await?;
    let code = output::field(args.code.trim());
    let decided = if approve { "approved" } else { "denied" };
    match status {
        200 => {
            if json {
                output::out_json(
                    &serde_json::json!({"user_code": args.code.trim(), "decision": decided}),
                );
            } else {
                output::out(format_args!("{code}: {decided}"));
            }
            Ok(Code::Ok)
        }
        404 => Err(Failure::new(
            Code::Denied,
            format!("no device is waiting with code {code} (mistyped, expired or already decided)"),
            json,
        )),
        other => Err(Failure::new(
            Code::Network,
            format!("{page_url} answered {other} to the decision"),
            json,
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_form_token() {
        let page = r#"<input type="hidden" name="csrf" value="abc-123"><input name="user_code">"#;
        assert_eq!(super::form_token(page), Some("abc-123"));
        assert_eq!(super::form_token("<p>no form</p>"), None);
    }
}
