//! `idaas emulator sign-in URL [--user U] [--deny]`: what a person does on
//! the emulator's login page, from a terminal — open the authorization URL
//! `idaas login --no-browser` printed, answer the page as `--user`, and
//! follow the redirect back to the waiting application.

use bytes::Bytes;
use idaas::http::HttpClient;

use super::approve::{hidden_value, request};
use crate::cli::NetArgs;
use crate::exit::{Code, Failure};
use crate::output;

/// The arguments of `idaas emulator sign-in`.
#[derive(Debug, clap::Args)]
pub(crate) struct SignInArgs {
    /// The authorization URL (`idaas login --no-browser` prints it).
    pub url: String,
    /// The demo user to sign in as (default: the one the page suggests).
    #[arg(long)]
    pub user: Option<String>,
    /// Deny the sign-in instead (the application gets `access_denied`).
    #[arg(long)]
    pub deny: bool,
    /// Transport options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// The text of the page's `<title>`.
fn title(page: &str) -> &str {
    page.split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map_or("", |(t, _)| t)
}

/// The text of the page's problem line, if it shows one.
fn problem(page: &str) -> Option<&str> {
    let rest = page.split_once("<p id=\"problem\"><strong>")?.1;
    Some(rest.split_once("</strong>")?.0)
}

async fn execute(
    http: &idaas::http::SharedHttpClient,
    request: http::Request<Bytes>,
    json: bool,
) -> Result<http::Response<Bytes>, Failure> {
    http.execute(request)
        .await
        .map_err(|e| Failure::of(&e, json))
}

fn text(response: &http::Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// Answers the login page: exit 0 once the application got its redirect
/// (with a code, or with `access_denied` under `--deny`).
pub(super) async fn run(args: SignInArgs, json: bool) -> Result<Code, Failure> {
    let usage = |e: String| Failure::new(Code::Usage, format!("{}: {e}", args.url), json);
    let url = url::Url::parse(&args.url).map_err(|e| usage(e.to_string()))?;
    let http = super::super::http_client(&args.net, json)?;
    let page = execute(
        &http,
        request("GET", url.as_str(), String::new()).map_err(usage)?,
        json,
    )
    .await?;
    let body = text(&page);
    let Some(request_id) = hidden_value(&body, "request").filter(|_| page.status() == 200) else {
        return Err(Failure::new(
            Code::Usage,
            format!(
                "{} answered {} {:?}, not a login page: is it an idaas emulator's authorization URL?",
                output::field(url.as_str()),
                page.status().as_u16(),
                output::field(title(&body))
            ),
            json,
        ));
    };
    let user = match &args.user {
        Some(user) => user.clone(),
        None => hidden_suggestion(&body).to_owned(),
    };
    let decision = if args.deny { "deny" } else { "approve" };
    let form = format!(
        "request={}&login={}&decision={decision}",
        idaas::oauth::form::encode_component(request_id),
        idaas::oauth::form::encode_component(&user)
    );
    let mut action = url.clone();
    action.set_query(None);
    let answer = execute(
        &http,
        request("POST", action.as_str(), form).map_err(usage)?,
        json,
    )
    .await?;
    let location = answer
        .headers()
        .get(http::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location.filter(|_| answer.status() == 302) else {
        let body = text(&answer);
        let reason = problem(&body).unwrap_or(title(&body));
        return Err(Failure::new(
            Code::Usage,
            format!(
                "the login page answered {}: {}",
                answer.status().as_u16(),
                output::field(reason)
            ),
            json,
        ));
    };
    // the browser's last step: the application's redirect URI (its
    // loopback listener exchanges the code before it answers)
    let landed = execute(
        &http,
        request("GET", &location, String::new()).map_err(usage)?,
        json,
    )
    .await?;
    let status = landed.status().as_u16();
    let landed_body = text(&landed);
    let page_title = title(&landed_body);
    let decided = if args.deny { "denied" } else { "approved" };
    if json {
        output::out_json(&serde_json::json!({
            "user": user,
            "decision": decided,
            "application_status": status,
            "application_page": page_title,
        }));
    } else {
        output::out(format_args!(
            "{}: {decided}; the application answered {status} ({})",
            output::field(&user),
            output::field(page_title)
        ));
    }
    if (200..400).contains(&status) {
        Ok(Code::Ok)
    } else {
        Err(Failure::new(
            Code::Network,
            format!("the application's redirect URI answered {status}"),
            json,
        ))
    }
}

/// The demo user the page prefills.
fn hidden_suggestion(page: &str) -> &str {
    page.split_once("id=\"login\" name=\"login\" value=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("", |(v, _)| v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_page() {
        let page = "<title>Sign in</title><p id=\"problem\"><strong>No demo user</strong></p>\
                    <input id=\"login\" name=\"login\" value=\"alice\" list=\"users\">";
        assert_eq!(super::title(page), "Sign in");
        assert_eq!(super::problem(page), Some("No demo user"));
        assert_eq!(super::hidden_suggestion(page), "alice");
        assert_eq!(super::problem("<p>fine</p>"), None);
    }
}
