//! The device flow (RFC 8628) end to end: the client polls at the server's
//! pace, slows down when told, and ends on approval, denial or expiry.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use idaas_core::clock::{ManualClock, SharedClock};
use idaas_core::http::{HttpOptions, HyperClient};
use idaas_emulator::{Client, Emulator};
use idaas_oauth::{ClientAuth, Error, OAuthClient, OAuthErrorCode};

async fn setup(clock: Option<ManualClock>) -> (Arc<Emulator>, OAuthClient) {
    let mut builder = Emulator::builder().client(Client::new("cli"));
    if let Some(clock) = clock {
        builder = builder.clock(Arc::new(clock) as SharedClock);
    }
    let emulator = Arc::new(builder.start().await.unwrap());
    let http = Arc::new(HyperClient::new(HttpOptions::default()).unwrap());
    let client = OAuthClient::new(http, "cli", emulator.token_endpoint(), ClientAuth::None);
    (emulator, client)
}

#[tokio::test]
async fn approval_after_a_slow_down() {
    let (emulator, client) = setup(None).await;
    let auth = client
        .device_authorization(
            &emulator.device_authorization_endpoint(),
            Some("api.example.com|read"),
        )
        .await
        .unwrap();
    assert_eq!(auth.interval, 5);
    assert!(
        auth.verification_uri_complete
            .as_deref()
            .unwrap()
            .ends_with(&auth.user_code)
    );
    assert!(
        !format!("{auth:?}").contains(auth.device_code.expose_secret()),
        "Debug hides the device code"
    );
    let waits = Arc::new(Mutex::new(Vec::new()));
    let sleep = {
        let (waits, emulator, code) = (waits.clone(), emulator.clone(), auth.user_code.clone());
        move |d: Duration| {
            let mut w = waits.lock().unwrap();
            w.push(d.as_secs());
            match w.len() {
                1 => assert!(emulator.slow_down_device(&code)),
                3 => assert!(emulator.approve_device(&code)),
                _ => {}
            }
            std::future::ready(())
        }
    };
    let token = client.poll_device_token(&auth, sleep).await.unwrap();
    assert_eq!(
        *waits.lock().unwrap(),
        [5, 10, 10],
        "5 s, then +5 s after slow_down"
    );
    assert_eq!(
        token.credential.scope.as_deref(),
        Some("api.example.com|read")
    );
    // a device code is redeemed once
    let again = client
        .poll_device_token(&auth, |_| std::future::ready(()))
        .await
        .unwrap_err();
    assert_eq!(again.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
}

#[tokio::test]
async fn denial_and_expiry_end_the_flow() {
    let (emulator, client) = setup(None).await;
    let auth = client
        .device_authorization(&emulator.device_authorization_endpoint(), None)
        .await
        .unwrap();
    assert!(emulator.deny_device(&auth.user_code));
    let err = client
        .poll_device_token(&auth, |_| std::future::ready(()))
        .await
        .unwrap_err();
    assert_eq!(err.oauth_code(), Some(&OAuthErrorCode::AccessDenied));

    let clock = ManualClock::at_secs(1_700_000_000);
    let (emulator, client) = setup(Some(clock.clone())).await;
    let auth = client
        .device_authorization(&emulator.device_authorization_endpoint(), None)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(601));
    let err = client
        .poll_device_token(&auth, |_| std::future::ready(()))
        .await
        .unwrap_err();
    assert_eq!(err.oauth_code(), Some(&OAuthErrorCode::ExpiredToken));

    // a server that never decides: the client stops at the codes' lifetime
    let (emulator, client) = setup(None).await;
    let auth = client
        .device_authorization(&emulator.device_authorization_endpoint(), None)
        .await
        .unwrap();
    let polls = Arc::new(Mutex::new(0u32));
    let counter = polls.clone();
    let err = client
        .poll_device_token(&auth, move |_| {
            *counter.lock().unwrap() += 1;
            std::future::ready(())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(
        *polls.lock().unwrap(),
        600 / 5,
        "one poll per interval over the lifetime"
    );
}
