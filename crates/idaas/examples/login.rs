//! A person signs in from a command-line tool: authorization code + PKCE
//! through a listener on 127.0.0.1 (RFC 8252), the ID token verified, the
//! session stored (0600) and refreshed ahead of expiry; then local
//! authorization decisions from the organizations claim.
//!
//! It needs a person and an OpenID Provider with a native (loopback)
//! client, so `cargo xtask test` compiles it but does not run it:
//!
//! ```sh
//! cargo run -p idaas --example login -- https://idp.example.com my-native-client
//! ```

use std::sync::Arc;
use std::time::Duration;

use idaas::http::HyperClient;
use idaas::oauth::store::TokenStore;
use idaas::oauth::{ClientAuth, LoginFlow, SessionOptions, UserClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(issuer), Some(client_id)) = (args.next(), args.next()) else {
        eprintln!("usage: login ISSUER CLIENT_ID");
        std::process::exit(2);
    };
    let http = Arc::new(HyperClient::new(Default::default())?);
    let client = UserClient::discover(http, &issuer, client_id.as_str(), ClientAuth::None).await?;
    let flow = LoginFlow::new()
        .scopes(["openid", "email", "offline_access"])
        .on_url(|url| eprintln!("Sign in at: {url}"))
        .session(
            SessionOptions::default()
                .refresh_buffer(Duration::from_secs(60))
                .store(TokenStore::default_location()?) // $IDAAS_TOKEN_STORE_DIR or ~/.cloud_idaas/tokens
                .on_refresh(|_| eprintln!("(session refreshed)")),
        );
    let session = client.login(&flow).await?; // the browser opens ($BROWSER first)
    let agent = session.agent_fresh().await?;
    println!(
        "signed in as {} ({}), email {:?}",
        agent.id(),
        agent.principal_type().as_str(),
        agent.email()
    );
    for org in agent.organizations().iter().map(|o| o.id()) {
        println!(
            "  {org}: owner {} admin {} may read projects: {}",
            agent.is_owner_of(org),
            agent.is_admin_of(org),
            agent.has_access_in(org, "read", "projects")
        );
    }
    Ok(())
}
