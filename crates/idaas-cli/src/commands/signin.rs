//! User sign-in from the shell: `idaas login` (browser + loopback listener,
//! the session saved in the token store), `idaas userinfo` and
//! `idaas logout-url` on the stored session.

use std::path::PathBuf;
use std::sync::Arc;

use idaas::oauth::jose::SigningKey;
use idaas::oauth::store::{StoredTokens, TokenStore};
use idaas::oauth::{
    Agent, ClientAuth, Error, LoginFlow, LogoutRequest, Par, Session, SessionOptions, UserClient,
};
use serde_json::{Value, json};

use crate::cli::SignInArgs;
use crate::exit::{Code, Failure};
use crate::output;
use crate::secrets;

fn failure(error: &Error, json: bool) -> Failure {
    Failure::of(error, json)
}

async fn client(args: &SignInArgs, json: bool) -> Result<(UserClient, TokenStore), Failure> {
    let http = super::http_client(&args.net, json)?;
    let secret = secrets::client_secret(
        args.client_secret.as_ref(),
        args.client_secret_env.as_deref(),
        json,
    )?;
    let auth = match secret {
        Some(secret) => ClientAuth::basic(secret),
        None => ClientAuth::None,
    };
    let mut client = UserClient::discover(http, &args.issuer, args.client_id.clone(), auth)
        .await
        .map_err(|e| failure(&e, json))?;
    if let Some(dpop) = super::dpop::key(&args.dpop, json)? {
        client = client.with_dpop(dpop);
    }
    let store = TokenStore::default_location()
        .map_err(|e| Failure::new(Code::Usage, e.to_string(), json))?;
    Ok((client, store))
}

/// The scopes of `--scope`, by default `openid offline_access`.
fn scopes(args: &SignInArgs) -> Vec<String> {
    if args.scopes.is_empty() {
        vec!["openid".to_owned(), "offline_access".to_owned()]
    } else {
        args.scopes.clone()
    }
}

fn flow(args: &SignInArgs, store: &TokenStore) -> LoginFlow {
    LoginFlow::new()
        .scopes(scopes(args))
        .session(SessionOptions::default().store(store.clone()))
}

/// The stored sign-in `userinfo` and `logout-url` act on: the one of
/// exactly these `--scope`s when given, else the latest of this issuer +
/// client (tokens are stored per scope set).
fn stored_tokens(
    client: &UserClient,
    args: &SignInArgs,
    store: &TokenStore,
    json: bool,
) -> Result<Option<StoredTokens>, Failure> {
    let found = if args.scopes.is_empty() {
        store
            .stored_for(client.issuer(), client.client_id())
            .map(|all| all.into_iter().next())
    } else {
        store.load(&flow(args, store).store_key(client))
    };
    found.map_err(|e| failure(&e, json))
}

async fn stored(
    client: &UserClient,
    args: &SignInArgs,
    store: &TokenStore,
    json: bool,
) -> Result<Session, Failure> {
    let tokens = stored_tokens(client, args, store, json)?.ok_or_else(|| {
        let scopes = if args.scopes.is_empty() {
            String::new()
        } else {
            format!(" with scopes {:?}", args.scopes.join(" "))
        };
        Failure::new(
            Code::Auth,
            format!(
                "not signed in to {} as {}{scopes}; run `idaas login` first",
                client.issuer(),
                client.client_id(),
            ),
            json,
        )
    })?;
    client
        .session(tokens, SessionOptions::default().store(store.clone()))
        .await
        .map_err(|e| failure(&e, json))
}

fn describe(agent: &Agent) -> Value {
    let organizations: Vec<Value> = agent
        .organizations()
        .iter()
        .map(|o| json!({"id": o.id(), "title": o.title(), "scopes": o.scopes()}))
        .collect();
    json!({
        "sub": agent.id(),
        "principal_type": agent.principal_type().as_str(),
        "email": agent.email(),
        "organizations": organizations,
        "expires_at": agent.expires_at(),
        "scope": agent.tokens().scope,
    })
}

/// How `idaas login` signs in.
pub(super) struct LoginOptions {
    /// The loopback port (0: ephemeral).
    pub port: u16,
    /// Only print the URL.
    pub no_browser: bool,
    /// Whether to push the request (PAR).
    pub par: Par,
    /// The key that signs a request object (JAR).
    pub jar: Option<PathBuf>,
    /// Ask for a signed response (JARM).
    pub jarm: bool,
}

/// `idaas login`.
pub(super) async fn login(
    args: SignInArgs,
    options: LoginOptions,
    json: bool,
) -> Result<Code, Failure> {
    let (client, store) = client(&args, json).await?;
    let mut flow = flow(&args, &store)
        .port(options.port)
        .open_browser(!options.no_browser)
        .par(options.par)
        .jarm(options.jarm);
    if let Some(path) = &options.jar {
        let key = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| SigningKey::from_pem(&pem).map_err(|e| e.to_string()))
            .map_err(|e| {
                Failure::new(Code::Usage, format!("--jar {}: {e}", path.display()), json)
            })?;
        flow = flow.request_object(Arc::new(key));
    }
    let flow = flow.on_url(|url| {
        output::err(format_args!(
            "To sign in, open this URL in a browser:\n\n  {}\n",
            output::verbatim(url)
        ))
    });
    let session = client.login(&flow).await.map_err(|e| failure(&e, json))?;
    let agent = session.agent();
    if json {
        output::out_json(&describe(&agent));
    } else {
        output::out(format_args!(
            "signed in as {}{}",
            output::field(agent.id()),
            agent
                .email()
                .map(|e| format!(" ({})", output::field(e)))
                .unwrap_or_default()
        ));
    }
    Ok(Code::Ok)
}

/// `idaas userinfo`.
pub(super) async fn userinfo(args: SignInArgs, json: bool) -> Result<Code, Failure> {
    let (client, store) = client(&args, json).await?;
    let session = stored(&client, &args, &store, json).await?;
    let agent = session.agent_fresh().await.map_err(|e| failure(&e, json))?;
    let info = client
        .userinfo(&agent)
        .await
        .map_err(|e| failure(&e, json))?;
    if json {
        output::out_json(&Value::Object(info.claims().clone()));
    } else {
        for (name, value) in info.claims() {
            output::out(format_args!(
                "{}: {}",
                output::field(name),
                output::field(&value.to_string())
            ));
        }
    }
    Ok(Code::Ok)
}

/// `idaas logout-url`.
pub(super) async fn logout_url(
    args: SignInArgs,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    json: bool,
) -> Result<Code, Failure> {
    let (client, store) = client(&args, json).await?;
    let tokens = stored_tokens(&client, &args, &store, json)?;
    let url = client
        .logout_url(&LogoutRequest {
            id_token_hint: tokens.as_ref().and_then(|t| t.id_token.as_ref()),
            post_logout_redirect_uri: post_logout_redirect_uri.as_deref(),
            state: state.as_deref(),
        })
        .map_err(|e| failure(&e, json))?;
    if json {
        output::out_json(&json!({"url": url.as_str(), "id_token_hint": tokens.is_some()}));
    } else {
        // the URL carries the ID token as id_token_hint: printing it is the job
        output::out(output::verbatim(url.as_str()));
    }
    Ok(Code::Ok)
}
