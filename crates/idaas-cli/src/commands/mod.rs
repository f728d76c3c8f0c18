//! One module per command.

mod config;
mod decode;
mod device;
mod dpop;
pub(crate) mod emulator;
pub(crate) mod grants;
mod jwks;
mod oauth;
mod pam;
mod pam_json;
#[cfg(feature = "emulator")]
mod quickstart;
mod scope;
mod signin;
mod token;
pub(crate) mod verify;

use crate::cli::{Cli, Command, NetArgs};
use crate::exit::{Code, Failure};
use crate::secrets;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> Result<Code, Failure> {
    let json = cli.output.json;
    match cli.command {
        Command::Config(command) => config::run(command, json),
        Command::Scope(command) => scope::run(command, json),
        Command::Decode {
            token,
            verify,
            issuer,
            audience,
            net,
        } => {
            let token = token.read(json)?;
            if verify {
                runtime(json)?.block_on(decode::verify(
                    &token,
                    issuer.unwrap_or_default(),
                    audience,
                    &net,
                    json,
                ))
            } else {
                decode::run(&token, json)
            }
        }
        Command::Jwks { keys } => jwks::run(&keys, json),
        Command::Verify(args) => runtime(json)?.block_on(verify::run(args, json)),
        Command::ClientCredentials { oauth, dpop } => {
            runtime(json)?.block_on(oauth::client_credentials(oauth, &dpop, json))
        }
        Command::Introspect { oauth, token, hint } => {
            let token = token.read(json)?;
            runtime(json)?.block_on(oauth::introspect(oauth, token, hint, json))
        }
        Command::Revoke { oauth, token, hint } => {
            let token = token.read(json)?;
            runtime(json)?.block_on(oauth::revoke(oauth, token, hint, json))
        }
        Command::Refresh {
            oauth,
            refresh_token,
            refresh_token_env,
            dpop,
        } => {
            let refresh_token = secrets::required(
                refresh_token.as_ref(),
                refresh_token_env.as_deref(),
                "--refresh-token",
                json,
            )?;
            runtime(json)?.block_on(oauth::refresh(oauth, refresh_token, &dpop, json))
        }
        Command::Token { config, scope, net } => {
            runtime(json)?.block_on(token::run(config, scope, &net, json))
        }
        Command::Exchange {
            config,
            subject_token,
            subject_token_env,
            subject_token_type,
            actor_token,
            actor_token_env,
            actor_token_type,
            requested_token_type,
            scope,
            net,
        } => {
            let subject_token = secrets::required(
                subject_token.as_ref(),
                subject_token_env.as_deref(),
                "--subject-token",
                json,
            )?;
            let actor_token = secrets::optional(
                actor_token.as_ref(),
                actor_token_env.as_deref(),
                "--actor-token",
                json,
            )?;
            runtime(json)?.block_on(token::exchange(
                config,
                token::ExchangeArgs {
                    subject_token,
                    subject_token_type,
                    actor: actor_token.map(|token| (token, actor_token_type)),
                    requested_token_type,
                    scope,
                },
                &net,
                json,
            ))
        }
        Command::JwtBearer(args) => runtime(json)?.block_on(grants::jwt_bearer(args, json)),
        Command::TokenExchange(args) => runtime(json)?.block_on(grants::token_exchange(args, json)),
        Command::Emulator(args) => runtime(json)?.block_on(emulator::run(args, json)),
        Command::Pam { target, command } => {
            runtime(json)?.block_on(pam::run(target, command, json))
        }
        #[cfg(feature = "emulator")]
        Command::Quickstart => runtime(json)?.block_on(quickstart::run(json)),
        #[cfg(not(feature = "emulator"))]
        Command::Quickstart => Err(emulator::without_emulator("idaas quickstart", json)),
        Command::Login {
            signin,
            port,
            no_browser,
            par,
            no_par,
            jar,
            jarm,
        } => {
            let options = signin::LoginOptions {
                port,
                no_browser,
                par: match (par, no_par) {
                    (true, _) => idaas::oauth::Par::Always,
                    (_, true) => idaas::oauth::Par::Never,
                    _ => idaas::oauth::Par::Auto,
                },
                jar,
                jarm,
            };
            runtime(json)?.block_on(signin::login(signin, options, json))
        }
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
            dpop,
            net,
        } => runtime(json)?.block_on(device::run(
            device::Args {
                device_endpoint,
                token_endpoint,
                client_id,
                scope,
                qr: !no_qr,
                dpop,
            },
            &net,
            json,
        )),
    }
}

/// The loud line `--insecure` prints every time a client is built with it.
const INSECURE_WARNING: &str = "idaas: WARNING: --insecure: TLS certificates are NOT verified; anyone on the network path can read and change this traffic, tokens and secrets included. Trust a private CA with --ca-file PEM instead.";

/// The HTTP options of `--ca-file` / `--insecure` / `--cert` + `--key` on top of `options`
/// (the SDK's defaults or a configuration's: timeouts, body cap, https
/// except to loopback).
fn http_options(mut options: idaas::http::HttpOptions, net: &NetArgs) -> idaas::http::HttpOptions {
    if net.insecure {
        crate::output::err(INSECURE_WARNING);
        options.unsafe_ignore_ssl_cert = true;
    }
    options
        .ca_certificate_files
        .extend(net.ca_files.iter().cloned());
    if let (Some(cert), Some(key)) = (&net.cert, &net.key) {
        options.client_identity = Some(idaas::http::ClientIdentity::from_files(cert, key));
    }
    options
}

fn build(
    options: idaas::http::HttpOptions,
    json: bool,
) -> Result<idaas::http::SharedHttpClient, Failure> {
    idaas::http::HyperClient::new(options)
        .map(|client| std::sync::Arc::new(client) as idaas::http::SharedHttpClient)
        .map_err(|e| Failure::of(&e, json))
}

/// A configuration file and the factory options of its commands: the HTTP
/// client of its `httpConfiguration` with `--insecure` / `--ca-file` applied.
pub(crate) fn load_config(
    path: Option<&std::path::Path>,
    net: &NetArgs,
    json: bool,
) -> Result<(idaas::config::ClientConfig, idaas::FactoryOptions), Failure> {
    let config = idaas::config::ClientConfig::load(path).map_err(|e| Failure::of(&e, json))?;
    // `unsafeIgnoreSslCert` in the file: the SDK's WARN event says so on stderr
    let http = build(http_options((&config.http).into(), net), json)?;
    let options = idaas::FactoryOptions::default().with_http(http);
    Ok((config, options))
}

/// The HTTP client of the network commands.
pub(crate) fn http_client(
    net: &NetArgs,
    json: bool,
) -> Result<idaas::http::SharedHttpClient, Failure> {
    build(http_options(idaas::http::HttpOptions::default(), net), json)
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
