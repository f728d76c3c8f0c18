//! Every error of the SDK prints each of its causes exactly once when its
//! chain is printed: no text repeats its `source()` (the convention of
//! `std::error::Error`, which `idaas::Chain` and error reporters follow).
#![cfg(feature = "pam")]

use std::sync::Arc;

use idaas::cache::CacheError;
use idaas::config::{ClientConfig, SecretSource};
use idaas::{Chain, CredentialProviderFactory, FactoryOptions, TransportError};
use idaas_emulator::{Client, Emulator};

/// The texts of `error` and of each cause under it, outermost first.
fn links(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(e) = cause {
        texts.push(e.to_string());
        cause = e.source();
    }
    texts
}

/// Each link says something, and none repeats the one under it: the
/// printed chain holds the root cause's text exactly once.
fn assert_each_cause_once(error: &(dyn std::error::Error + 'static), depth: usize) {
    let texts = links(error);
    assert_eq!(texts.len(), depth, "{texts:#?}");
    for pair in texts.windows(2) {
        assert!(!pair[0].is_empty(), "{texts:#?}");
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its cause {:?}",
            pair[0],
            pair[1]
        );
    }
    let printed = Chain(error).to_string();
    let root = texts.last().unwrap();
    assert_eq!(printed.matches(root.as_str()).count(), 1, "{printed}");
    assert_eq!(printed, texts.join(": "));
}

fn io_error() -> idaas::oauth::Error {
    idaas::oauth::Error::Io {
        action: "read",
        path: "keys/".into(),
        source: std::io::Error::other("permission denied"),
    }
}

fn connect_error() -> TransportError {
    TransportError::Connect {
        host: "idp.example".into(),
        reason: "connection refused".into(),
    }
}

#[test]
fn every_wrapping_layer_prints_its_cause_once() {
    use idaas::credentials::Error as C;
    use idaas::pam::Error as P;
    let refresh_of = |inner: C| C::Refresh(CacheError::Refresh(Arc::new(inner)));
    // (error, how many links its chain has)
    let errors: Vec<(idaas::Error, usize)> = vec![
        (io_error().into(), 2),
        (C::OAuth(io_error()).into(), 2),
        (refresh_of(C::OAuth(io_error())).into(), 2),
        (P::Credential(refresh_of(C::OAuth(io_error()))).into(), 3),
        (P::Credential(C::OAuth(connect_error().into())).into(), 2),
        (P::Callback("no browser to open".into()).into(), 2),
        (P::Transport(connect_error()).into(), 1),
        (CacheError::Refresh(Arc::new(io_error())).into(), 2),
        (connect_error().into(), 1),
    ];
    for (error, depth) in &errors {
        assert_each_cause_once(error, *depth);
    }
    // the facade's error is transparent: its text and causes are the layer's
    let (error, _) = &errors[3];
    assert!(matches!(error, idaas::Error::Pam(_)));
    assert_eq!(
        error.chain().to_string(),
        "no bearer token for the PAM API: cannot read keys/: permission denied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_client_reports_the_server_error_once() {
    let emulator = Emulator::builder()
        .client(Client::new("app_chain").with_secret("right"))
        .start()
        .await
        .expect("the emulator starts");
    let config = ClientConfig::builder()
        .idaas_instance_id("idaas_chain")
        .client_id("app_chain")
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope("api.example.com|read:file")
        .client_secret_basic(SecretSource::Value("wrong".into()))
        .build()
        .expect("a valid configuration");
    let error: idaas::Error =
        CredentialProviderFactory::from_config(config, FactoryOptions::default())
            .await
            .expect_err("a wrong secret is refused")
            .into();
    let printed = error.chain().to_string();
    assert_eq!(printed.matches("invalid_client").count(), 1, "{printed}");
    assert_each_cause_once(&error, links(&error).len());
}
