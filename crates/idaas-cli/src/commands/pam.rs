//! `idaas pam <operation> …`: every operation of the PAM client, with the
//! client built from a configuration file (`--config`, as `idaas token`) and
//! `--endpoint` / `--instance-id` / `--token-scope` overrides.
//!
//! Exit codes: 0 ok; 1 inactive or refused (validate false, no API key, a
//! failed, expired or timed-out authorization); 2 usage or configuration
//! (bad arguments, a 400/404 answer, a flow mismatch); 3 network or server;
//! 4 authentication (401/403, or the bearer token could not be obtained).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use idaas::CredentialProviderFactory;
use idaas::config::PAM_SCOPE;
use idaas::pam::{
    AuthorizationFlow, Error, FetchOAuthToken, GenerateJwt, PamClient, PollOptions, SessionStatus,
    TokenFilter,
};
use serde_json::{Value, json};

use super::pam_json;
use crate::cli::{CredentialFormat, OAuthTokenArgs, PamArgs, PamCommand};
use crate::exit::{Code, Failure};
use crate::output;

fn usage(message: impl Into<String>, json: bool) -> Failure {
    Failure::new(Code::Usage, message, json)
}

fn failure(error: &Error, json: bool) -> Failure {
    Failure::of(error, json)
}

fn credential_failure(error: &idaas::credentials::Error, json: bool) -> Failure {
    Failure::of(error, json)
}

async fn client(args: PamArgs, json: bool) -> Result<PamClient, Failure> {
    let (config, options) = super::load_config(args.config.as_deref(), &args.net, json)?;
    let endpoint = args
        .endpoint
        .or_else(|| config.developer_api_endpoint.clone())
        .ok_or_else(|| {
            usage(
                "no developer API endpoint: set developerApiEndpoint in the configuration or pass --endpoint",
                json,
            )
        })?;
    let instance = args
        .instance_id
        .unwrap_or_else(|| config.idaas_instance_id.clone());
    let factory = CredentialProviderFactory::from_config(config, options)
        .await
        .map_err(|e| credential_failure(&e, json))?;
    let provider = factory
        .provider_for_scope(args.token_scope.as_deref().unwrap_or(PAM_SCOPE))
        .await
        .map_err(|e| credential_failure(&e, json))?;
    PamClient::builder()
        .developer_api_endpoint(endpoint)
        .idaas_instance_id(instance)
        .http_client(factory.http_client())
        .credential_provider(Arc::new(provider))
        .build()
        .map_err(|e| failure(&e, json))
}

/// Prints `value` in `--json` mode, `human` otherwise.
fn emit(json: bool, value: Value, human: impl FnOnce() -> String) {
    if json {
        output::out_json(&value);
    } else {
        output::out(human());
    }
}

fn fetch_request(
    args: OAuthTokenArgs,
    flow: AuthorizationFlow,
    json: bool,
) -> Result<FetchOAuthToken, Failure> {
    let mut parameters = BTreeMap::new();
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| usage(format!("--param {param:?}: expected NAME=VALUE"), json))?;
        parameters.insert(name.to_owned(), value.to_owned());
    }
    Ok(FetchOAuthToken {
        scope: args.scope,
        force_authentication: args.force_authentication.then_some(true),
        custom_parameters: (!parameters.is_empty()).then_some(parameters),
        ..FetchOAuthToken::new(args.provider, flow)
    })
}

fn human_oauth(token: &idaas::pam::OAuthAuthenticationToken) -> String {
    match (
        &token.oauth_access_token_content,
        &token.oauth_authorization_session,
    ) {
        // printing the token is this command's job
        (Some(content), _) => {
            output::verbatim(content.access_token_value.expose_secret()).into_owned()
        }
        (None, Some(session)) => format!(
            "authorize at: {}\nsession: {}",
            output::field(session.authorization_url.as_deref().unwrap_or("-")),
            output::field(session.session_uri.as_deref().unwrap_or("-"))
        ),
        (None, None) => "no access token and no authorization session".into(),
    }
}

pub(super) async fn run(target: PamArgs, command: PamCommand, json: bool) -> Result<Code, Failure> {
    // arguments that cannot be right fail before the configuration is read
    let flow = match &command {
        PamCommand::FetchOauthToken { flow, .. } => flow
            .parse::<AuthorizationFlow>()
            .map_err(|e| failure(&e, json))?,
        _ => AuthorizationFlow::UserFederation,
    };
    let claims = match &command {
        PamCommand::GenerateJwt {
            claims: Some(text), ..
        } => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => return Err(usage("--claims must be a JSON object", json)),
        },
        _ => None,
    };
    let pam = client(target, json).await?;
    let fail = |e: Error| failure(&e, json);
    match command {
        PamCommand::GetApiKey {
            credential_identifier,
        } => {
            let key = pam.api_key(&credential_identifier).await.map_err(fail)?;
            let value = key.as_ref().map(|k| k.expose_secret().to_owned());
            if key.is_none() && !json {
                output::err(format_args!(
                    "idaas: credential {} has no API key",
                    output::field(&credential_identifier)
                ));
                return Ok(Code::Denied);
            }
            // printing the key is this command's job
            emit(
                json,
                json!({"credential_identifier": credential_identifier, "api_key": value}),
                || output::verbatim(value.as_deref().unwrap_or_default()).into_owned(),
            );
            Ok(if key.is_some() {
                Code::Ok
            } else {
                Code::Denied
            })
        }
        PamCommand::FetchOauthToken { oauth, .. } => {
            let request = fetch_request(oauth, flow, json)?;
            let token = pam
                .fetch_oauth_authentication_token_v2(&request)
                .await
                .map_err(fail)?;
            emit(json, pam_json::oauth_token(&token), || human_oauth(&token));
            Ok(Code::Ok)
        }
        PamCommand::GetAuthorizationSession { session_uri } => {
            let session = pam
                .oauth_authorization_session(&session_uri)
                .await
                .map_err(fail)?;
            emit(json, pam_json::session(&session), || {
                let mut text = format!(
                    "status: {}",
                    pam_json::status(session.session_status.as_ref()).unwrap_or("-")
                );
                for (label, value) in [
                    ("authorize at", &session.authorization_url),
                    ("authentication token", &session.authentication_token_id),
                    ("error", &session.error_code),
                    ("description", &session.error_description),
                ] {
                    if let Some(value) = value {
                        text += &format!("\n{label}: {}", output::field(value));
                    }
                }
                text
            });
            Ok(match session.session_status {
                Some(SessionStatus::Failed | SessionStatus::Expired) => Code::Denied,
                _ => Code::Ok,
            })
        }
        PamCommand::PollOauthToken {
            oauth,
            interval_ms,
            max_retries,
            timeout,
        } => {
            let request = fetch_request(oauth, AuthorizationFlow::UserFederation, json)?;
            let options = PollOptions {
                interval: Duration::from_millis(interval_ms),
                max_retries,
                timeout: Duration::from_secs(timeout),
            };
            let token = pam
                .poll_oauth_authentication_token(
                    &request,
                    |url| {
                        output::err(format_args!(
                            "Open this URL to authorize, then wait here: {}",
                            output::verbatim(url)
                        ));
                        Ok(())
                    },
                    options,
                )
                .await
                .map_err(fail)?;
            emit(json, pam_json::oauth_token(&token), || human_oauth(&token));
            Ok(Code::Ok)
        }
        PamCommand::GenerateJwt {
            provider,
            subject,
            audiences,
            issuer,
            expiration,
            derived_short_token,
            ..
        } => {
            let request = GenerateJwt {
                credential_provider_identifier: provider,
                subject,
                audiences,
                issuer,
                custom_claims: claims,
                expiration,
                include_derived_short_token: derived_short_token,
            };
            let token = pam
                .generate_jwt_authentication_token(&request)
                .await
                .map_err(fail)?;
            let mut value = pam_json::record(&token.record);
            value["jwt_content"] = pam_json::jwt(&token.jwt_content);
            emit(json, value, || human_jwt(&token.jwt_content));
            Ok(Code::Ok)
        }
        PamCommand::ObtainJwt { consumer, token_id } => {
            let content = pam
                .obtain_jwt_authentication_token(&consumer, &token_id)
                .await
                .map_err(fail)?;
            emit(json, pam_json::jwt(&content), || human_jwt(&content));
            Ok(Code::Ok)
        }
        PamCommand::ObtainJwtByShortToken { short_token } => {
            let short_token = short_token.read(json)?;
            let content = pam
                .obtain_jwt_authentication_token_by_derived_short_token(&short_token.into())
                .await
                .map_err(fail)?;
            emit(json, pam_json::jwt(&content), || human_jwt(&content));
            Ok(Code::Ok)
        }
        PamCommand::ListTokens {
            consumer,
            provider,
            revoked,
            expired,
            max_results,
            next_token,
            all,
        } => {
            let filter = TokenFilter {
                revoked,
                expired,
                max_results,
            };
            let (tokens, total, next) = if all {
                let mut stream =
                    std::pin::pin!(pam.authentication_tokens(&consumer, &provider, filter));
                let mut tokens = Vec::new();
                while let Some(token) = stream.next().await {
                    tokens.push(token.map_err(fail)?);
                }
                let total = tokens.len() as u64;
                (tokens, Some(total), None)
            } else {
                let page = pam
                    .list_authentication_tokens(
                        &consumer,
                        &provider,
                        &filter,
                        next_token.as_deref(),
                    )
                    .await
                    .map_err(fail)?;
                (page.entities, page.total_count, page.next_token)
            };
            let records: Vec<Value> = tokens.iter().map(pam_json::record).collect();
            emit(
                json,
                json!({"tokens": records, "total_count": total, "next_token": next}),
                || {
                    let mut lines: Vec<String> = tokens
                        .iter()
                        .map(|t| {
                            format!(
                                "{}  {}  {}",
                                output::field(&t.authentication_token_id),
                                output::field(
                                    t.authentication_token_type.as_deref().unwrap_or("-")
                                ),
                                if t.revoked { "revoked" } else { "not revoked" }
                            )
                        })
                        .collect();
                    if let Some(next) = &next {
                        lines.push(format!("next page: --next-token {}", output::field(next)));
                    }
                    lines.join("\n")
                },
            );
            Ok(Code::Ok)
        }
        PamCommand::Validate { token, hint } => {
            let token = token.read(json)?;
            let active = pam
                .validate_authentication_token(&token.into(), hint.as_deref())
                .await
                .map_err(fail)?;
            emit(json, json!({"active": active}), || {
                if active { "active" } else { "inactive" }.into()
            });
            Ok(if active { Code::Ok } else { Code::Denied })
        }
        PamCommand::Revoke { token, hint } => {
            let token = token.read(json)?;
            pam.revoke_authentication_token(&token.into(), hint.as_deref())
                .await
                .map_err(fail)?;
            done(json, "revoke")
        }
        PamCommand::Reinstate { token, hint } => {
            let token = token.read(json)?;
            pam.reinstate_authentication_token(&token.into(), hint.as_deref())
                .await
                .map_err(fail)?;
            done(json, "reinstate")
        }
        PamCommand::RevokeByConsumer { consumer, provider } => {
            pam.revoke_authentication_token_by_consumer(&consumer, &provider)
                .await
                .map_err(fail)?;
            done(json, "revoke-by-consumer")
        }
        PamCommand::ReinstateByConsumer { consumer, provider } => {
            pam.reinstate_authentication_token_by_consumer(&consumer, &provider)
                .await
                .map_err(fail)?;
            done(json, "reinstate-by-consumer")
        }
        PamCommand::CloudCredential {
            role,
            duration,
            format,
        } => {
            let credential = pam
                .obtain_cloud_account_role_access_credential(&role, duration)
                .await
                .map_err(fail)?;
            let value = pam_json::cloud_credential(&credential);
            // printing the credentials is this command's job
            let format = format.unwrap_or(if json {
                CredentialFormat::Json
            } else {
                CredentialFormat::Env
            });
            match format {
                CredentialFormat::Json => output::out_json(&value),
                CredentialFormat::Env => {
                    for line in pam_json::env_lines(&value["credential"]) {
                        output::out(line);
                    }
                }
                CredentialFormat::AwsCredentialProcess => {
                    let process = pam_json::aws_credential_process(&value["credential"])
                        .ok_or_else(|| {
                            usage(
                                format!(
                                    "--format aws-credential-process needs an AWS role; {role} is {}",
                                    output::field(value["cloud_account_vendor_type"].as_str().unwrap_or("unknown"))
                                ),
                                json,
                            )
                        })?;
                    output::out_json(&process);
                }
            }
            Ok(Code::Ok)
        }
    }
}

fn human_jwt(content: &idaas::pam::JwtContent) -> String {
    // printing the JWT is these commands' job
    let mut text = output::verbatim(content.jwt_value.expose_secret()).into_owned();
    if let Some(short) = &content.derived_short_token {
        text += &format!(
            "\nderived short token: {}",
            output::verbatim(short.expose_secret())
        );
    }
    text
}

fn done(json: bool, operation: &str) -> Result<Code, Failure> {
    emit(json, json!({"ok": true, "operation": operation}), || {
        format!("{operation}: done")
    });
    Ok(Code::Ok)
}
