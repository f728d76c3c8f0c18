//! `idaas token [--config FILE] [--scope 'aud|scope']` and `idaas exchange …`.

use std::path::PathBuf;

use idaas::config::ClientConfig;
use idaas::{CredentialProviderFactory, FactoryOptions};

use super::credential_failure;
use crate::exit::{Code, Failure};

async fn factory(
    config: Option<PathBuf>,
    json: bool,
) -> Result<CredentialProviderFactory, Failure> {
    let config = ClientConfig::load(config.as_deref())
        .map_err(|e| Failure::new(Code::Usage, format!("invalid configuration: {e}"), json))?;
    CredentialProviderFactory::from_config(config, FactoryOptions::default())
        .await
        .map_err(|e| credential_failure(&e, json))
}

pub async fn run(
    config: Option<PathBuf>,
    scope: Option<String>,
    json: bool,
) -> Result<Code, Failure> {
    let factory = factory(config, json).await?;
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

/// What `idaas exchange` sends.
pub struct ExchangeArgs {
    pub subject_token: String,
    pub subject_token_type: String,
    pub requested_token_type: Option<String>,
    pub scope: Option<String>,
}

pub async fn exchange(
    config: Option<PathBuf>,
    args: ExchangeArgs,
    json: bool,
) -> Result<Code, Failure> {
    let factory = factory(config, json).await?;
    let provider = match &args.scope {
        Some(scope) => factory.token_exchange_provider_for_scope(scope).await,
        None => factory.token_exchange_provider().await,
    }
    .map_err(|e| credential_failure(&e, json))?;
    let issued = provider
        .credential(
            &args.subject_token.as_str().into(),
            &args.subject_token_type,
            args.requested_token_type.as_deref(),
        )
        .await
        .map_err(|e| credential_failure(&e, json))?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "access_token": issued.access_token.expose_secret(),
                "issued_token_type": issued.issued_token_type,
                "token_type": issued.token_type,
                "expires_in": issued.expires_in,
                "expires_at": issued.expires_at,
            })
        );
    } else {
        println!("{}", issued.access_token.expose_secret());
    }
    Ok(Code::Ok)
}
