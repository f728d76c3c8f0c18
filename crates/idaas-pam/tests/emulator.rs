//! The PAM client against the emulator's PAM API: API keys, the JWT token
//! lifecycle, paging, errors and the 401 retry.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures_util::StreamExt;
use idaas_core::SecretString;
use idaas_core::clock::Clock;
use idaas_core::token::{ACCESS_TOKEN_TYPE, Credential};
use idaas_credentials::{CredentialProvider, CredentialProviderFactory, StaticCredentialProvider};
use idaas_emulator::Emulator;
use idaas_pam::*;

mod support;

async fn setup() -> (Emulator, CredentialProviderFactory, PamClient) {
    let (emulator, factory, pam) = support::emulator_setup().await;
    emulator.register_api_key("openai-prod", "sk-live-123");
    emulator.register_oauth_client_credential("github-oauth", "gh-client", "gh-secret");
    emulator.register_jwt_provider("jwt-cp", "https://jwt.example.com");
    (emulator, factory, pam)
}

fn generate(subject: &str, short: bool) -> GenerateJwt {
    GenerateJwt {
        credential_provider_identifier: "jwt-cp".into(),
        subject: subject.into(),
        audiences: vec!["https://api.example.com".into()],
        custom_claims: Some(
            serde_json::json!({"team": "payments"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        expiration: Some(600),
        include_derived_short_token: short,
        ..GenerateJwt::default()
    }
}

#[tokio::test]
async fn api_keys() {
    let (_emulator, _factory, pam) = setup().await;
    let key = pam.api_key("openai-prod").await.unwrap().unwrap();
    assert_eq!(key.expose_secret(), "sk-live-123");
    assert!(!format!("{key:?}").contains("sk-live"));
    // an OAuth client credential: its secret is not exposed as an API key
    assert!(pam.api_key("github-oauth").await.unwrap().is_none());
    let err = pam.api_key("nope").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(matches!(
        pam.api_key(" ").await,
        Err(Error::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn jwt_lifecycle() {
    let (emulator, _factory, pam) = setup().await;
    let token = pam
        .generate_jwt_authentication_token(&generate("svc-a", true))
        .await
        .unwrap();
    assert_eq!(token.record.consumer_id.as_deref(), Some("svc-a"));
    assert!(!format!("{token:?}").contains(token.jwt_content.jwt_value.expose_secret()));
    let jwt = token.jwt_content.jwt_value.clone();
    let short = token.jwt_content.derived_short_token.clone().unwrap();
    let claims = idaas_oauth::jose::verify_jwt(
        jwt.expose_secret(),
        &[emulator.verifying_key()],
        &idaas_oauth::jose::Validation {
            issuer: Some("https://jwt.example.com".into()),
            audience: Some("https://api.example.com".into()),
            ..Default::default()
        },
        idaas_core::clock::SystemClock.now(),
    )
    .unwrap();
    assert_eq!(claims["team"], "payments");

    assert!(pam.validate_authentication_token(&jwt, None).await.unwrap());
    pam.revoke_authentication_token(&jwt, None).await.unwrap();
    assert!(!pam.validate_authentication_token(&jwt, None).await.unwrap());
    assert!(
        !pam.validate_authentication_token(&short, None)
            .await
            .unwrap(),
        "the short token follows the JWT"
    );
    pam.reinstate_authentication_token(&short, None)
        .await
        .unwrap();
    assert!(pam.validate_authentication_token(&jwt, None).await.unwrap());

    pam.revoke_authentication_token_by_consumer("svc-a", "jwt-cp")
        .await
        .unwrap();
    assert!(!pam.validate_authentication_token(&jwt, None).await.unwrap());
    pam.reinstate_authentication_token_by_consumer("svc-a", "jwt-cp")
        .await
        .unwrap();
    assert!(pam.validate_authentication_token(&jwt, None).await.unwrap());

    let by_id = pam
        .obtain_jwt_authentication_token("svc-a", &token.record.authentication_token_id)
        .await
        .unwrap();
    let by_short = pam
        .obtain_jwt_authentication_token_by_derived_short_token(&short)
        .await
        .unwrap();
    assert_eq!(by_id.jwt_value, jwt);
    assert_eq!(by_short.jwt_value, jwt);
    assert!(
        !pam.validate_authentication_token(&"forged".into(), None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn client_side_validation_sends_nothing() {
    let (_emulator, _factory, pam) = setup().await;
    let mut reserved = generate("svc", false);
    reserved.audiences = vec!["urn:cloud:idaas:pam".into()];
    let err = pam
        .generate_jwt_authentication_token(&reserved)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reserved prefix"), "{err}");
    let mut no_aud = generate("svc", false);
    no_aud.audiences.clear();
    assert!(matches!(
        pam.generate_jwt_authentication_token(&no_aud).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        pam.obtain_jwt_authentication_token("", "x").await,
        Err(Error::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn listing_250_tokens_by_page_and_by_stream() {
    let (_emulator, _factory, pam) = setup().await;
    let mut ids = HashSet::new();
    for _ in 0..250 {
        let t = pam
            .generate_jwt_authentication_token(&generate("svc-list", false))
            .await
            .unwrap();
        ids.insert(t.record.authentication_token_id);
    }
    let filter = TokenFilter {
        max_results: Some(40),
        ..TokenFilter::default()
    };
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = pam
            .list_authentication_tokens("svc-list", "jwt-cp", &filter, next.as_deref())
            .await
            .unwrap();
        assert_eq!(page.total_count, Some(250));
        seen.extend(page.entities.into_iter().map(|t| t.authentication_token_id));
        match page.next_token {
            Some(t) => next = Some(t),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250);
    assert_eq!(
        seen.iter().cloned().collect::<HashSet<_>>(),
        ids,
        "each exactly once"
    );
    let streamed: Vec<_> = pam
        .authentication_tokens("svc-list", "jwt-cp", filter.clone())
        .map(|t| t.unwrap().authentication_token_id)
        .collect()
        .await;
    assert_eq!(streamed.len(), 250);
    assert_eq!(streamed.into_iter().collect::<HashSet<_>>(), ids);
    // filters
    let first = seen[0].clone();
    let jwt = pam
        .obtain_jwt_authentication_token("svc-list", &first)
        .await
        .unwrap()
        .jwt_value;
    pam.revoke_authentication_token(&jwt, None).await.unwrap();
    let revoked = pam
        .list_authentication_tokens(
            "svc-list",
            "jwt-cp",
            &TokenFilter {
                revoked: Some(true),
                ..TokenFilter::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(revoked.entities.len(), 1);
    assert!(revoked.entities[0].revoked);
}

#[tokio::test]
async fn the_readme_example_token_exchange_then_a_static_provider() {
    let (emulator, factory, _pam) = setup().await;
    let caller = factory
        .provider()
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap()
        .to_secret();
    let exchange = factory
        .token_exchange_provider_for_scope("urn:cloud:idaas:pam|.all")
        .await
        .unwrap();
    let issued = exchange
        .credential(&caller, ACCESS_TOKEN_TYPE, None)
        .await
        .unwrap();
    let pam = PamClient::builder()
        .developer_api_endpoint(emulator.base_url())
        .idaas_instance_id("idaas_pam")
        .credential_provider(Arc::new(StaticCredentialProvider::new(issued)))
        .build()
        .unwrap();
    assert_eq!(
        pam.api_key("openai-prod")
            .await
            .unwrap()
            .unwrap()
            .expose_secret(),
        "sk-live-123"
    );
}

/// A provider whose first token is stale: the client refreshes once and retries once.
#[derive(Debug)]
struct Rotating {
    good: SecretString,
    calls: AtomicUsize,
    invalidations: AtomicUsize,
}

#[async_trait]
impl CredentialProvider for Rotating {
    async fn credential(&self) -> Result<Arc<Credential>, idaas_credentials::Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = if self.invalidations.load(Ordering::SeqCst) == 0 && n == 0 {
            SecretString::new("stale-token")
        } else {
            self.good.clone()
        };
        Ok(Arc::new(Credential::bearer(token, None)))
    }

    fn invalidate(&self) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let (emulator, factory, _pam) = setup().await;
    let good = factory
        .provider_for_scope("urn:cloud:idaas:pam|.all")
        .await
        .unwrap()
        .bearer_token()
        .await
        .unwrap()
        .to_secret();
    let provider = Arc::new(Rotating {
        good,
        calls: AtomicUsize::new(0),
        invalidations: AtomicUsize::new(0),
    });
    let pam = support::client_with(emulator.base_url(), provider.clone());
    assert!(pam.api_key("openai-prod").await.unwrap().is_some());
    assert_eq!(provider.invalidations.load(Ordering::SeqCst), 1);
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);

    // a token that stays bad: one retry, then the error (no loop)
    let bad = support::client_with(
        emulator.base_url(),
        Arc::new(StaticCredentialProvider::new(Credential::bearer(
            "garbage", None,
        ))),
    );
    let err = bad.api_key("openai-prod").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    // a valid token without the PAM scope: the API's auth error
    let other = factory
        .provider_for_scope("api.example.com|read")
        .await
        .unwrap();
    let wrong_scope = support::client_with(emulator.base_url(), Arc::new(other));
    let err = wrong_scope.api_key("openai-prod").await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    assert!(err.to_string().contains("insufficient_scope"));
}
