//! `idaas quickstart`: the SDK against an embedded emulator, with no setup.

use std::time::{Duration, Instant};

use idaas::config::{ClientConfig, SecretSource};
use idaas::oauth::jose::{SigningKey, verifying_key};
use idaas::scope::ScopeSet;
use idaas::token::ACCESS_TOKEN_TYPE;
use idaas::{CredentialProviderFactory, FactoryOptions};
use idaas_emulator::{Client, Emulator};
use serde_json::{Value, json};

use crate::exit::{Code, Failure};
use crate::output;

const SCOPE: &str = "api.example.com|read:file";

struct Report {
    json: bool,
    steps: Vec<Value>,
}

impl Report {
    fn step(&mut self, title: &str, detail: String, data: Value) {
        if self.json {
            self.steps
                .push(json!({"step": title, "detail": detail, "data": data}));
        } else {
            output::out(format_args!("  ✓ {title:<38} {detail}"));
        }
    }
}

fn micros(d: Duration) -> String {
    if d < Duration::from_micros(10) {
        format!("{} ns", d.as_nanos())
    } else if d < Duration::from_millis(10) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

fn config(emulator: &Emulator, client_id: &str) -> idaas::config::ClientConfigBuilder {
    ClientConfig::builder()
        .idaas_instance_id("idaas_quickstart")
        .client_id(client_id)
        .issuer(emulator.base_url())
        .token_endpoint(emulator.token_endpoint())
        .scope(SCOPE)
}

pub(super) async fn run(json: bool) -> Result<Code, Failure> {
    let fail = |e: idaas::credentials::Error| Failure::of(&e, json);
    let mut report = Report {
        json,
        steps: Vec::new(),
    };
    let key_pem = SigningKey::generate_p256_pem();
    let client_key = SigningKey::from_pem(key_pem.expose_secret())
        .map_err(|e| Failure::new(Code::Usage, e.to_string(), json))?;
    let emulator = Emulator::builder()
        .client(Client::new("quickstart-secret").with_secret("quickstart-secret-value"))
        .client(
            Client::new("quickstart-key")
                .with_public_key(verifying_key(&client_key).expect("an EC key")),
        )
        .start()
        .await
        .map_err(|e| Failure::new(Code::Network, e.to_string(), json))?;
    if !json {
        output::out(format_args!(
            "idaas quickstart — the SDK against an embedded IDaaS emulator at {}\n",
            emulator.base_url()
        ));
    }

    // 1. M2M token by client secret
    let secret_config = config(&emulator, "quickstart-secret")
        .client_secret_post(SecretSource::Value("quickstart-secret-value".into()))
        .build()
        .map_err(|e| Failure::new(Code::Usage, e.to_string(), json))?;
    let started = Instant::now();
    let factory = CredentialProviderFactory::from_config(secret_config, FactoryOptions::default())
        .await
        .map_err(fail)?;
    let first = started.elapsed();
    let provider = factory.provider().await.map_err(fail)?;
    let credential = provider.credential().await.map_err(fail)?;
    report.step(
        "M2M token (client_secret_post)",
        format!(
            "expires in {} s, fetched in {}",
            credential.expires_in,
            micros(first)
        ),
        json!({"expires_in": credential.expires_in, "fetch_us": first.as_micros() as u64}),
    );

    // 2. the cached second call
    let started = Instant::now();
    let again = provider.credential().await.map_err(fail)?;
    let cached = started.elapsed();
    let same = again.access_token == credential.access_token;
    report.step(
        "second call, from the cache",
        format!("{} ({}), {} token request in all", micros(cached), if same { "same token" } else { "new token" }, emulator.token_requests("quickstart-secret")),
        json!({"cached_ns": cached.as_nanos() as u64, "same_token": same, "token_requests": emulator.token_requests("quickstart-secret")}),
    );

    // 3. M2M token by private key JWT
    let key_config = config(&emulator, "quickstart-key")
        .private_key_jwt(SecretSource::Value(key_pem))
        .build()
        .map_err(|e| Failure::new(Code::Usage, e.to_string(), json))?;
    let key_factory = CredentialProviderFactory::from_config(key_config, FactoryOptions::default())
        .await
        .map_err(fail)?;
    let key_token = key_factory
        .provider()
        .await
        .map_err(fail)?
        .credential()
        .await
        .map_err(fail)?;
    report.step(
        "M2M token (private_key_jwt, ES256)",
        format!(
            "expires at {}",
            key_token.expires_at.map(output::when).unwrap_or_default()
        ),
        json!({"expires_at": key_token.expires_at}),
    );

    // 4. token exchange
    let exchange = factory
        .token_exchange_provider_for_scope("urn:cloud:idaas:pam|.all")
        .await
        .map_err(fail)?;
    let issued = exchange
        .credential(&credential.access_token, ACCESS_TOKEN_TYPE, None)
        .await
        .map_err(fail)?;
    report.step(
        "token exchange (RFC 8693)",
        format!(
            "issued {}",
            issued.issued_token_type.as_deref().unwrap_or("?")
        ),
        json!({"issued_token_type": issued.issued_token_type}),
    );

    // 5. PAM: an API key, then a JWT authentication token's lifecycle
    emulator.register_api_key("quickstart-llm", "sk-quickstart-demo");
    emulator.register_jwt_provider("quickstart-jwt", "https://jwt.quickstart.example");
    let pam_failure = |e: idaas::pam::Error| Failure::of(&e, json);
    let pam = idaas::pam::PamClient::builder()
        .developer_api_endpoint(emulator.base_url())
        .idaas_instance_id("idaas_quickstart")
        .credential_provider(std::sync::Arc::new(idaas::StaticCredentialProvider::new(
            issued.clone(),
        )))
        .build()
        .map_err(pam_failure)?;
    let api_key = pam.api_key("quickstart-llm").await.map_err(pam_failure)?;
    report.step(
        "PAM API key (with the exchanged token)",
        format!(
            "{} characters, never printed",
            api_key.as_ref().map_or(0, |k| k.expose_secret().len())
        ),
        json!({"found": api_key.is_some()}),
    );
    let generated = pam
        .generate_jwt_authentication_token(&idaas::pam::GenerateJwt {
            credential_provider_identifier: "quickstart-jwt".into(),
            subject: "quickstart-service".into(),
            audiences: vec!["https://api.example.com".into()],
            expiration: Some(600),
            include_derived_short_token: true,
            ..Default::default()
        })
        .await
        .map_err(pam_failure)?;
    let jwt = generated.jwt_content.jwt_value.clone();
    let mut lifecycle = vec![
        pam.validate_authentication_token(&jwt, None)
            .await
            .map_err(pam_failure)?,
    ];
    pam.revoke_authentication_token(&jwt, None)
        .await
        .map_err(pam_failure)?;
    lifecycle.push(
        pam.validate_authentication_token(&jwt, None)
            .await
            .map_err(pam_failure)?,
    );
    pam.reinstate_authentication_token(&jwt, None)
        .await
        .map_err(pam_failure)?;
    lifecycle.push(
        pam.validate_authentication_token(&jwt, None)
            .await
            .map_err(pam_failure)?,
    );
    let word = |active: bool| if active { "valid" } else { "invalid" };
    report.step(
        "PAM JWT token lifecycle",
        format!(
            "generated → {} → revoked → {} → reinstated → {}",
            word(lifecycle[0]),
            word(lifecycle[1]),
            word(lifecycle[2])
        ),
        json!({"validations": lifecycle}),
    );

    // 6. a local scope decision
    let scopes = ScopeSet::new(["projects:**", "users:read"]);
    let allowed = scopes.allows("write", "projects.tasks.comments");
    let denied = !scopes.allows("write", "users");
    report.step(
        "scope check",
        format!(
            "projects:** grants write on projects.tasks.comments: {allowed}; users:read denies write on users: {denied}"
        ),
        json!({"granted": allowed, "denied": denied}),
    );

    emulator.stop().await;
    if json {
        output::out_json(&json!({"ok": true, "steps": report.steps}));
    } else {
        output::out(
            "\nAll steps passed. Next: `idaas token --config FILE` with your own IDaaS configuration.",
        );
    }
    Ok(Code::Ok)
}
