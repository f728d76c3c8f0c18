//! The jwt-bearer grant (RFC 7523) as the baikal-sdk user grant: our own
//! issuer vouches for a user with an assertion signed by a key of its key
//! directory; the authorization server (here the embedded emulator) trusts
//! that issuer's public JWK set and issues a token about the user:
//! `cargo run -p idaas --example jwt_bearer`.

use std::sync::Arc;

use idaas::clock::{Clock, SystemClock};
use idaas::http::HyperClient;
use idaas::oauth::jose::{SigningKey, Validation, VerifyingKey, verify_jwt, verifying_key};
use idaas::oauth::{ClientAuth, KeyDirectory, OAuthClient, UserAssertion};
use idaas_emulator::{Client, Emulator};

const OUR_ISSUER: &str = "https://accounts.example.com";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Our keys: in production `KeyDirectory::load("keys/")`, whose public
    // half `idaas jwks --keys keys/` publishes for the server to trust.
    let keys = KeyDirectory::from_keys([SigningKey::generate_p256()]);
    let trusted: Vec<VerifyingKey> = keys
        .keys()
        .iter()
        .filter_map(|k| verifying_key(k))
        .collect();
    println!("our JWK set: {}", keys.jwk_set_json());

    let emulator = Emulator::builder()
        .client(
            Client::new("accounts-backend")
                .with_secret("backend-secret")
                .trusting_assertions_from(OUR_ISSUER, trusted),
        )
        .start()
        .await?;
    let client = OAuthClient::new(
        Arc::new(HyperClient::new(Default::default())?),
        "accounts-backend",
        emulator.token_endpoint(),
        ClientAuth::basic("backend-secret"),
    )
    .with_issuer(emulator.base_url());

    let user = UserAssertion::new("user-42")
        .scopes(["api.example.com|read:profile"])
        .purposes(["support"]);
    let token = client.grant_user(&keys, OUR_ISSUER, &user).await?;
    // the access token is a JWT the emulator signed: verify it as a resource server would
    let validation = Validation {
        issuer: Some(emulator.base_url().to_owned()),
        audience: Some("api.example.com".into()),
        ..Validation::default()
    };
    let claims = verify_jwt(
        token.credential.access_token.expose_secret(),
        &[emulator.verifying_key()],
        &validation,
        SystemClock.now(),
    )?;
    println!(
        "token about {} with scope {}, expires in {} s",
        claims["sub"], claims["scope"], token.credential.expires_in
    );
    assert_eq!(claims["sub"], "user-42");
    emulator.stop().await;
    Ok(())
}
