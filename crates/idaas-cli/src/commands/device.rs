//! `idaas device`: the device flow. On a terminal: the code, a QR code of
//! the verification URL and a spinner on stderr. Redirected: plain lines,
//! no spinner, no QR. With `--json`: one JSON line on stderr as soon as the
//! code is known, the tokens as JSON on stdout at the end.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use idaas::oauth::device::DeviceAuthorization;
use idaas::oauth::{ClientAuth, OAuthClient};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;

use crate::cli::{DpopArgs, NetArgs};
use crate::exit::{Code, Failure};
use crate::output;

pub(super) struct Args {
    pub device_endpoint: String,
    pub token_endpoint: String,
    pub client_id: String,
    pub scope: Option<String>,
    pub qr: bool,
    pub dpop: DpopArgs,
}

/// What the person must do, on stderr (every field is server text).
fn show(auth: &DeviceAuthorization, terminal: bool, qr: bool, json: bool) {
    if json {
        let line = output::capped_json(&json!({
            "user_code": auth.user_code,
            "verification_uri": auth.verification_uri,
            "verification_uri_complete": auth.verification_uri_complete,
            "expires_in": auth.expires_in,
            "interval": auth.interval,
        }));
        output::err(output::json_line(&line));
        return;
    }
    output::err(format_args!(
        "To sign in, open {}",
        output::field(&auth.verification_uri)
    ));
    output::err(format_args!(
        "and enter the code:  {}",
        output::field(&auth.user_code)
    ));
    if let Some(complete) = &auth.verification_uri_complete {
        if terminal
            && qr
            && let Ok(code) = QrCode::new(complete.as_bytes())
        {
            let image = code.render::<Dense1x2>().quiet_zone(true).build();
            output::err(format_args!("\nor scan:\n{image}"));
        }
        output::err(format_args!("(direct link: {})", output::field(complete)));
    }
}

pub(super) async fn run(args: Args, net: &NetArgs, json: bool) -> Result<Code, Failure> {
    let http = super::http_client(net, json)?;
    let client = super::dpop::bind(
        OAuthClient::new(http, args.client_id, args.token_endpoint, ClientAuth::None),
        &args.dpop,
        json,
    )?;
    let auth = client
        .device_authorization(&args.device_endpoint, args.scope.as_deref())
        .await
        .map_err(|e| Failure::of(&e, json))?;
    let terminal = std::io::stderr().is_terminal();
    show(&auth, terminal, args.qr, json);
    let done = Arc::new(AtomicBool::new(false));
    let spinner = (terminal && !json).then(|| {
        let done = done.clone();
        tokio::spawn(async move {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            // write!, not eprint!: a closed stderr must not panic the command
            while !done.load(Ordering::Relaxed) {
                let _ = write!(
                    std::io::stderr(),
                    "\r{} waiting for approval…",
                    frames[i % frames.len()]
                );
                i += 1;
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        })
    });
    if spinner.is_none() && !json {
        output::err("waiting for approval…");
    }
    let result = client.poll_device_token(&auth, tokio::time::sleep).await;
    done.store(true, Ordering::Relaxed);
    if let Some(spinner) = spinner {
        let _ = spinner.await;
    }
    let token = result.map_err(|e| Failure::of(&e, json))?;
    let credential = token.credential;
    if json {
        output::out_json(&json!({
            "access_token": credential.access_token.expose_secret(),
            "token_type": credential.token_type,
            "expires_in": credential.expires_in,
            "refresh_token": credential.refresh_token.as_ref().map(|t| t.expose_secret()),
            "scope": credential.scope,
        }));
    } else {
        output::err("signed in");
        output::out(output::verbatim(credential.access_token.expose_secret()));
    }
    Ok(Code::Ok)
}
