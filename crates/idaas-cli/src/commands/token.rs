//! `idaas token [--config FILE] [--scope 'aud|scope']`.

use std::path::PathBuf;

use idaas::config::ClientConfig;
use idaas::{CredentialProvider, CredentialProviderFactory, FactoryOptions};

use super::credential_failure;
use crate::exit::{Code, Failure};

pub async fn run(
    config: Option<PathBuf>,
    scope: Option<String>,
    json: bool,
) -> Result<Code, Failure> {
    let config = ClientConfig::load(config.as_deref())
        .map_err(|e| Failure::new(Code::Usage, format!("invalid configuration: {e}"), json))?;
    let factory = CredentialProviderFactory::from_config(config, FactoryOptions::default())
        .await
        .map_err(|e| credential_failure(&e, json))?;
    let provider = match scope {
        Some(scope) => factory.provider_for_scope(&scope).await,
        None => factory.provider().await,
    }
    .map_err(|e| credential_failure(&e, json))?;
    let credential = provider
        .credential()
        .await
        .map_err(|e| credential_failure(&e, json))?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "access_token": credential.access_token.expose_secret(),
                "token_type": credential.token_type,
                "expires_in": credential.expires_in,
                "expires_at": credential.expires_at,
                "scope": provider.scope().as_str(),
            })
        );
    } else {
        // printing the token is this command's job
        println!("{}", credential.access_token.expose_secret());
    }
    Ok(Code::Ok)
}
