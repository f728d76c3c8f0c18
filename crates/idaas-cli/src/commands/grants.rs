//! The grants that need no IDaaS configuration file: `idaas jwt-bearer`
//! (RFC 7523, the baikal-sdk user grant) and `idaas token-exchange` (RFC
//! 8693 at any issuer, the subject and actor tokens sent as given: one round
//! trip, no client-credentials token first).

use std::path::PathBuf;

use idaas::oauth::jose::SigningKey;
use idaas::oauth::{TokenExchange, UserAssertion};

use crate::cli::{DpopArgs, OAuthArgs};
use crate::exit::{Code, Failure};
use crate::secrets::{self, SecretArg};

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The arguments of `idaas jwt-bearer`.
#[derive(Debug, clap::Args)]
pub(crate) struct JwtBearerArgs {
    /// The client (its `--scope`s go into the assertion's `scope` claim).
    #[command(flatten)]
    pub oauth: OAuthArgs,
    /// The PEM private key that signs the assertion (EC or RSA).
    #[arg(long, value_name = "PEM")]
    pub assertion_key: PathBuf,
    /// The assertion header's `kid` (default: the key's RFC 7638 thumbprint).
    #[arg(long)]
    pub kid: Option<String>,
    /// `iss`: the issuer that vouches for the user (trusted by the server).
    #[arg(long)]
    pub iss: String,
    /// `sub`: the user.
    #[arg(long)]
    pub sub: String,
    /// `aud` (default: the authorization server's issuer, from discovery).
    #[arg(long)]
    pub aud: Option<String>,
    /// A purpose (repeatable; space-joined into the singular `purpose` claim).
    #[arg(long = "purpose")]
    pub purposes: Vec<String>,
    /// `authorization_id`.
    #[arg(long)]
    pub authorization_id: Option<String>,
    /// `identifier`: JSON (e.g. `{"id":"+15550100","type":"phone_number"}`)
    /// or, if it is not JSON, a string.
    #[arg(long)]
    pub identifier: Option<String>,
    /// The assertion's lifetime, seconds.
    #[arg(long, default_value_t = 3600)]
    pub lifetime: u64,
    /// DPoP.
    #[command(flatten)]
    pub dpop: DpopArgs,
}

/// The arguments of `idaas token-exchange`.
#[derive(Debug, clap::Args)]
pub(crate) struct TokenExchangeArgs {
    /// The client that exchanges.
    #[command(flatten)]
    pub oauth: OAuthArgs,
    /// The token to exchange: the value, `-` (stdin) or `@FILE`.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "subject_token_env")]
    pub subject_token: Option<SecretArg>,
    /// The environment variable holding the subject token.
    #[arg(long, value_name = "VAR")]
    pub subject_token_env: Option<String>,
    /// Its type.
    #[arg(long, default_value = ACCESS_TOKEN_TYPE)]
    pub subject_token_type: String,
    /// The actor's token (delegation: the issued token's `act` names it):
    /// the value, `-` or `@FILE`.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "actor_token_env")]
    pub actor_token: Option<SecretArg>,
    /// The environment variable holding the actor token.
    #[arg(long, value_name = "VAR")]
    pub actor_token_env: Option<String>,
    /// The actor token's type.
    #[arg(long, default_value = ACCESS_TOKEN_TYPE)]
    pub actor_token_type: String,
    /// The type of token wanted.
    #[arg(long)]
    pub requested_token_type: Option<String>,
    /// `audience` of the issued token.
    #[arg(long)]
    pub audience: Option<String>,
    /// DPoP.
    #[command(flatten)]
    pub dpop: DpopArgs,
}

fn usage(message: String, json: bool) -> Failure {
    Failure::new(Code::Usage, message, json)
}

/// `idaas jwt-bearer`.
pub(crate) async fn jwt_bearer(args: JwtBearerArgs, json: bool) -> Result<Code, Failure> {
    let pem = std::fs::read_to_string(&args.assertion_key).map_err(|e| {
        usage(
            format!("--assertion-key {}: {e}", args.assertion_key.display()),
            json,
        )
    })?;
    let mut key =
        SigningKey::from_pem(&pem).map_err(|e| usage(format!("--assertion-key: {e}"), json))?;
    if let Some(kid) = &args.kid {
        key = key.with_kid(kid.clone());
    }
    let client = super::dpop::bind(
        super::oauth::client(&args.oauth, json).await?,
        &args.dpop,
        json,
    )?;
    let audience = match (&args.aud, client.issuer()) {
        (Some(aud), _) => aud.clone(),
        (None, Some(issuer)) => issuer.to_owned(),
        (None, None) => {
            return Err(usage(
                "the server's metadata names no issuer: give --aud".into(),
                json,
            ));
        }
    };
    let mut assertion = UserAssertion::new(args.sub)
        .scopes(args.oauth.scopes.iter().flat_map(|s| s.split_whitespace()))
        .purposes(args.purposes);
    assertion.authorization_id = args.authorization_id;
    assertion.identifier = args
        .identifier
        .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)));
    assertion.lifetime = std::time::Duration::from_secs(args.lifetime);
    let now = idaas::clock::system().now();
    let signed = assertion
        .sign(&key, &args.iss, &audience, now)
        .map_err(|e| Failure::of(&e, json))?;
    let token = client
        .jwt_bearer(&signed, None)
        .await
        .map_err(|e| Failure::of(&e, json))?;
    super::oauth::print_tokens(&token, json);
    Ok(Code::Ok)
}

/// `idaas token-exchange`.
pub(crate) async fn token_exchange(args: TokenExchangeArgs, json: bool) -> Result<Code, Failure> {
    let subject = secrets::required(
        args.subject_token.as_ref(),
        args.subject_token_env.as_deref(),
        "--subject-token",
        json,
    )?;
    let actor = secrets::optional(
        args.actor_token.as_ref(),
        args.actor_token_env.as_deref(),
        "--actor-token",
        json,
    )?;
    let mut request = TokenExchange::new(subject, args.subject_token_type);
    request.actor = actor.map(|a| (a.into(), args.actor_token_type));
    request.requested_token_type = args.requested_token_type;
    request.audience = args.audience;
    request.resource = args.oauth.resource.clone();
    if !args.oauth.scopes.is_empty() {
        request.scope = Some(args.oauth.scopes.join(" "));
    }
    let client = super::dpop::bind(
        super::oauth::client(&args.oauth, json).await?,
        &args.dpop,
        json,
    )?;
    let token = client
        .token_exchange(&request)
        .await
        .map_err(|e| Failure::of(&e, json))?;
    super::oauth::print_tokens(&token, json);
    Ok(Code::Ok)
}
