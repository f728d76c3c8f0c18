//! `idaas token [--config FILE] [--scope 'aud|scope']` and `idaas exchange …`.

use std::path::PathBuf;

use idaas::CredentialProviderFactory;
use serde_json::json;

use crate::cli::NetArgs;
use crate::exit::{Code, Failure};
use crate::output;

async fn factory(
    config: Option<PathBuf>,
    net: &NetArgs,
    json: bool,
) -> Result<CredentialProviderFactory, Failure> {
    let (config, options) = super::load_config(config.as_deref(), net, json)?;
    CredentialProviderFactory::from_config(config, options)
        .await
        .map_err(|e| Failure::of(&e, json))
}

pub(super) async fn run(
    config: Option<PathBuf>,
    scope: Option<String>,
    net: &NetArgs,
    json: bool,
) -> Result<Code, Failure> {
    let factory = factory(config, net, json).await?;
    let provider = match scope {
        Some(scope) => factory.provider_for_scope(&scope).await,
        None => factory.provider().await,
    }
    .map_err(|e| Failure::of(&e, json))?;
    let credential = provider
        .credential()
        .await
        .map_err(|e| Failure::of(&e, json))?;
    if json {
        output::out_json(&json!({
            "access_token": credential.access_token.expose_secret(),
            "token_type": credential.token_type,
            "expires_in": credential.expires_in,
            "expires_at": credential.expires_at,
            "scope": credential.scope.as_deref().unwrap_or(provider.scope().as_str()),
        }));
    } else {
        // printing the token is this command's job
        output::out(output::verbatim(credential.access_token.expose_secret()));
    }
    Ok(Code::Ok)
}

/// What `idaas exchange` sends.
pub(super) struct ExchangeArgs {
    pub subject_token: String,
    pub subject_token_type: String,
    /// The actor token and its type (delegation).
    pub actor: Option<(String, String)>,
    pub requested_token_type: Option<String>,
    pub scope: Option<String>,
}

pub(super) async fn exchange(
    config: Option<PathBuf>,
    args: ExchangeArgs,
    net: &NetArgs,
    json: bool,
) -> Result<Code, Failure> {
    let factory = factory(config, net, json).await?;
    let provider = match &args.scope {
        Some(scope) => factory.token_exchange_provider_for_scope(scope).await,
        None => factory.token_exchange_provider().await,
    }
    .map_err(|e| Failure::of(&e, json))?;
    let subject = args.subject_token.as_str().into();
    let requested = args.requested_token_type.as_deref();
    let issued = match &args.actor {
        Some((actor, actor_type)) => {
            provider
                .delegated_credential(
                    &subject,
                    &args.subject_token_type,
                    &actor.as_str().into(),
                    actor_type,
                    requested,
                )
                .await
        }
        None => {
            provider
                .credential(&subject, &args.subject_token_type, requested)
                .await
        }
    }
    .map_err(|e| Failure::of(&e, json))?;
    if json {
        output::out_json(&json!({
            "access_token": issued.access_token.expose_secret(),
            "issued_token_type": issued.issued_token_type,
            "token_type": issued.token_type,
            "expires_in": issued.expires_in,
            "expires_at": issued.expires_at,
        }));
    } else {
        output::out(output::verbatim(issued.access_token.expose_secret()));
    }
    Ok(Code::Ok)
}
