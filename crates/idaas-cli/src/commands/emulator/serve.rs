//! `idaas emulator` serving: the emulator with the demo clients, users and
//! PAM data, its client configuration printed, until Ctrl-C (feature
//! `emulator`).

use idaas_emulator::{Client, Emulator, User};
use serde_json::json;

use super::{EmulatorArgs, pam_data};
use crate::exit::{Code, Failure};
use crate::output;

/// The secret's environment variable in the printed configuration.
const SECRET_ENV: &str = "IDAAS_DEMO_CLIENT_SECRET";

/// The redirect URI registered for the native client: any port (RFC 8252).
const NATIVE_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// The people of the login page.
fn demo_users() -> Vec<User> {
    vec![
        User::new("alice")
            .with_name("Alice Demo")
            .with_email("alice@example.com"),
        User::new("bob")
            .with_name("Bob Demo")
            .with_email("bob@example.com"),
    ]
}

/// The client configuration of the confidential client (its secret by
/// environment variable, `SECRET_ENV`).
fn client_config(emulator: &Emulator, client_id: &str) -> serde_json::Value {
    json!({
        "idaasInstanceId": "idaas_demo",
        "clientId": client_id,
        "issuer": emulator.base_url(),
        "tokenEndpoint": emulator.token_endpoint(),
        "scope": "urn:cloud:idaas:pam|.all",
        "developerApiEndpoint": emulator.base_url(),
        "authnConfiguration": {
            "authnMethod": "CLIENT_SECRET_BASIC",
            "clientSecretEnvVarName": SECRET_ENV
        }
    })
}

/// Serves until interrupted.
pub(super) async fn run(args: EmulatorArgs, json: bool) -> Result<Code, Failure> {
    let pam_text = match &args.pam_data {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                Code::Usage,
                format!("cannot read --pam-data {}: {e}", path.display()),
                json,
            )
        })?,
        None => pam_data::DEMO.to_owned(),
    };
    let users = demo_users();
    let mut builder = Emulator::builder();
    for user in &users {
        builder = builder.user(user.clone());
    }
    let emulator = builder
        .port(args.port)
        .device_interval(args.device_interval)
        .client(Client::new(args.client_id.clone()).with_secret(args.client_secret.clone()))
        .client(Client::new(args.device_client_id.clone()))
        .client(Client::new(args.native_client_id.clone()).with_redirect_uri(NATIVE_REDIRECT_URI))
        .start()
        .await
        .map_err(|e| Failure::new(Code::Network, e.to_string(), json))?;
    let pam = pam_data::load(&emulator, &pam_text).map_err(|e| {
        let source = args
            .pam_data
            .as_ref()
            .map_or("the demo PAM data".to_owned(), |p| p.display().to_string());
        Failure::new(Code::Usage, format!("{source}: {e}"), json)
    })?;
    let config = client_config(&emulator, &args.client_id);
    let config_text = serde_json::to_string_pretty(&config).unwrap_or_default();
    if let Some(path) = &args.write_config {
        std::fs::write(path, format!("{config_text}\n")).map_err(|e| {
            Failure::new(
                Code::Usage,
                format!("cannot write --write-config {}: {e}", path.display()),
                json,
            )
        })?;
    }
    let base = emulator.base_url().to_owned();
    if json {
        output::out_json(&json!({
            "base_url": base,
            "token_endpoint": emulator.token_endpoint(),
            "device_authorization_endpoint": emulator.device_authorization_endpoint(),
            "verification_uri": format!("{base}/device"),
            "client_id": args.client_id,
            "client_secret_env": SECRET_ENV,
            "device_client_id": args.device_client_id,
            "native_client_id": args.native_client_id,
            "native_redirect_uri": NATIVE_REDIRECT_URI,
            "authorization_endpoint": emulator.authorization_endpoint(),
            "users": users.iter().map(|u| u.sub.as_str()).collect::<Vec<_>>(),
            "config": config,
            "config_path": args.write_config.as_ref().map(|p| p.display().to_string()),
            "pam": pam.json(),
        }));
    } else {
        let lines = [
            format!("IDaaS emulator listening on {base}"),
            format!("  token endpoint   {}", emulator.token_endpoint()),
            format!("  JWKS             {base}/oauth2/jwks"),
            format!(
                "  M2M client       {} (secret {}; client_secret_basic / _post / _jwt)",
                args.client_id, args.client_secret
            ),
            format!(
                "  device client    {} (public) — approve at {base}/device or: idaas emulator approve CODE --url {base}",
                args.device_client_id
            ),
            format!(
                "  native client    {} (public, redirect {NATIVE_REDIRECT_URI} on any port) — idaas login --issuer {base} --client-id {}",
                args.native_client_id, args.native_client_id
            ),
            format!(
                "  login page       {} — demo users {}; or: idaas emulator sign-in URL --user alice",
                emulator.authorization_endpoint(),
                users
                    .iter()
                    .map(|u| u.sub.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "  PAM              API keys {}; OAuth providers {}; JWT providers {}; cloud roles {}",
                pam.api_keys.join(", "),
                pam.oauth_providers.join(", "),
                pam.jwt_providers.join(", "),
                pam.cloud_account_roles.join(", ")
            ),
            String::new(),
            match &args.write_config {
                Some(path) => format!("client-config.json (written to {}):", path.display()),
                None => "client-config.json (save it, or use --write-config PATH):".into(),
            },
            config_text,
            format!("export {SECRET_ENV}={}", args.client_secret),
            String::new(),
            "Ctrl-C to stop.".into(),
        ];
        for line in lines {
            output::out(line);
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.stop().await;
    Ok(Code::Ok)
}
