//! One module per command.

mod config;
mod decode;
mod device;
mod emulator;
mod jwks;
mod oauth;
mod pam;
mod pam_json;
mod quickstart;
mod scope;
mod signin;
mod token;
pub(crate) mod verify;

use crate::cli::{Cli, Command};
use crate::exit::{Code, Failure};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Code, Failure> {
    let json = cli.output.json;
    match cli.command {
        Command::Config(command) => config::run(command, json),
        Command::Scope(command) => scope::run(command, json),
        Command::Decode {
            token,
            verify: false,
            ..
        } => decode::run(&token, json),
        Command::Decode {
            token,
            verify: true,
            issuer,
            audience,
        } => runtime(json)?.block_on(decode::verify(
            &token,
            issuer.unwrap_or_default(),
            audience,
            json,
        )),
        Command::Jwks { keys } => jwks::run(&keys, json),
        Command::Verify(args) => runtime(json)?.block_on(verify::run(args, json)),
        Command::ClientCredentials { oauth } => {
            runtime(json)?.block_on(oauth::client_credentials(oauth, json))
        }
        Command::Introspect { oauth, token, hint } => {
            runtime(json)?.block_on(oauth::introspect(oauth, token, hint, json))
        }
        Command::Revoke { oauth, token, hint } => {
            runtime(json)?.block_on(oauth::revoke(oauth, token, hint, json))
        }
        Command::Refresh {
            oauth,
            refresh_token,
        } => runtime(json)?.block_on(oauth::refresh(oauth, refresh_token, json)),
        Command::Token { config, scope } => {
            runtime(json)?.block_on(token::run(config, scope, json))
        }
        Command::Exchange {
            config,
            subject_token,
            subject_token_type,
            requested_token_type,
            scope,
        } => runtime(json)?.block_on(token::exchange(
            config,
            token::ExchangeArgs {
                subject_token,
                subject_token_type,
                requested_token_type,
                scope,
            },
            json,
        )),
        Command::Emulator {
            port,
            client_id,
            client_secret,
        } => runtime(json)?.block_on(emulator::run(port, client_id, client_secret, json)),
        Command::Pam { target, command } => {
            runtime(json)?.block_on(pam::run(target, command, json))
        }
        Command::Quickstart => runtime(json)?.block_on(quickstart::run(json)),
        Command::Login {
            signin,
            port,
            no_browser,
        } => runtime(json)?.block_on(signin::login(signin, port, no_browser, json)),
        Command::Userinfo { signin } => runtime(json)?.block_on(signin::userinfo(signin, json)),
        Command::LogoutUrl {
            signin,
            post_logout_redirect_uri,
            state,
        } => runtime(json)?.block_on(signin::logout_url(
            signin,
            post_logout_redirect_uri,
            state,
            json,
        )),
        Command::Device {
            device_endpoint,
            token_endpoint,
            client_id,
            scope,
            no_qr,
        } => runtime(json)?.block_on(device::run(
            device::Args {
                device_endpoint,
                token_endpoint,
                client_id,
                scope,
                qr: !no_qr,
            },
            json,
        )),
    }
}

/// The HTTP client of the network commands (the SDK's defaults: timeouts,
/// body cap, https except to loopback).
pub(crate) fn http_client(json: bool) -> Result<idaas::http::SharedHttpClient, Failure> {
    idaas::http::HyperClient::new(idaas::http::HttpOptions::default())
        .map(|client| std::sync::Arc::new(client) as idaas::http::SharedHttpClient)
        .map_err(|e| Failure::new(Code::Usage, e.to_string(), json))
}

fn runtime(json: bool) -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Code::Network,
                format!("cannot start the async runtime: {e}"),
                json,
            )
        })
}

/// Maps an SDK error to the documented exit codes.
pub(crate) fn credential_failure(error: &idaas::credentials::Error, json: bool) -> Failure {
    let code = if error.is_config() {
        Code::Usage
    } else if error.oauth_error().is_some() {
        Code::Auth
    } else {
        Code::Network
    };
    Failure::new(code, error.to_string(), json)
}
