//! Signing a person in with the device flow (RFC 8628), as a CLI on a
//! machine without a browser does: `cargo run -p idaas --example device`.
//!
//! The client shows a code and a URL; the person opens the URL on another
//! device and approves while the client polls. Here the embedded emulator
//! stands in for the identity provider, and the example approves the code
//! itself, through the emulator's test hook, where a person would.

use std::sync::Arc;

use idaas::http::HyperClient;
use idaas::oauth::{ClientAuth, OAuthClient};
use idaas_emulator::{Client, Emulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Arc::new(
        Emulator::builder()
            .client(Client::new("example-cli")) // a public client: no secret
            .device_interval(1)
            .start()
            .await?,
    );
    let client = OAuthClient::new(
        Arc::new(HyperClient::new(Default::default())?),
        "example-cli",
        emulator.token_endpoint(),
        ClientAuth::None,
    );
    let person = emulator.clone();
    let token = client
        .device_flow(
            &emulator.device_authorization_endpoint(),
            Some("openid api.example.com|read"),
            move |authorization| {
                println!(
                    "To sign in, open {} and enter the code {}",
                    authorization.verification_uri, authorization.user_code
                );
                // the person approves on their phone a moment later
                let code = authorization.user_code.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    person.approve_device(&code);
                });
            },
        )
        .await?;
    let credential = &token.credential;
    println!(
        "signed in: {} token for {}, expires in {} s, refresh token: {}",
        credential.token_type,
        credential.scope.as_deref().unwrap_or(""),
        credential.expires_in,
        if credential.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    assert!(credential.refresh_token.is_some());
    Ok(())
}
