//! `idaas device`: the device flow with the code, a QR code and a spinner.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use idaas::oauth::device::DeviceAuthorization;
use idaas::oauth::{ClientAuth, OAuthClient};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::exit::{Code, Failure};

pub struct Args {
    pub device_endpoint: String,
    pub token_endpoint: String,
    pub client_id: String,
    pub scope: Option<String>,
    pub qr: bool,
}

fn failure(error: &idaas::oauth::Error, json: bool) -> Failure {
    let code = match error {
        idaas::oauth::Error::OAuth(_) => Code::Auth,
        idaas::oauth::Error::Timeout(_) => Code::Auth,
        idaas::oauth::Error::Misconfigured(_) => Code::Usage,
        _ => Code::Network,
    };
    Failure::new(code, error.to_string(), json)
}

fn show(auth: &DeviceAuthorization, qr: bool) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "To sign in, open {}", auth.verification_uri);
    let _ = writeln!(err, "and enter the code:  {}", auth.user_code);
    if let Some(complete) = &auth.verification_uri_complete {
        if qr && let Ok(code) = QrCode::new(complete.as_bytes()) {
            let image = code.render::<Dense1x2>().quiet_zone(true).build();
            let _ = writeln!(err, "\nor scan:\n{image}");
        }
        let _ = writeln!(err, "(direct link: {complete})");
    }
}

pub async fn run(args: Args, json: bool) -> Result<Code, Failure> {
    let http = super::http_client(json)?;
    let client = OAuthClient::new(http, args.client_id, args.token_endpoint, ClientAuth::None);
    let auth = client
        .device_authorization(&args.device_endpoint, args.scope.as_deref())
        .await
        .map_err(|e| failure(&e, json))?;
    show(&auth, args.qr);
    let done = Arc::new(AtomicBool::new(false));
    let spinner = {
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
    };
    let result = client.poll_device_token(&auth, tokio::time::sleep).await;
    done.store(true, Ordering::Relaxed);
    let _ = spinner.await;
    let token = result.map_err(|e| failure(&e, json))?;
    let credential = token.credential;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "access_token": credential.access_token.expose_secret(),
                "token_type": credential.token_type,
                "expires_in": credential.expires_in,
                "refresh_token": credential.refresh_token.as_ref().map(|t| t.expose_secret()),
                "scope": credential.scope,
            })
        );
    } else {
        let _ = writeln!(std::io::stderr(), "signed in");
        println!("{}", credential.access_token.expose_secret());
    }
    Ok(Code::Ok)
}
