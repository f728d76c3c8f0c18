//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Machine-to-machine and user identity from the shell: IDaaS tokens,
/// OAuth/OIDC flows, PAM and scope checks.
#[derive(Debug, Parser)]
#[command(name = "idaas", version, about, propagate_version = true)]
pub struct Cli {
    /// Output shared by every command.
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that shape the output of every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk through the SDK against an embedded emulator: no setup needed.
    Quickstart,
    /// The M2M access token from an IDaaS configuration file.
    Token {
        /// The configuration file (default: $CLOUD_IDAAS_CONFIG_PATH, then
        /// ~/.cloud_idaas/client-config.json).
        #[arg(long)]
        config: Option<PathBuf>,
        /// `audience|scope` instead of the configured scope.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Exchange a subject token for a token of the configured (or given) scope (RFC 8693).
    Exchange {
        /// The configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The token to exchange.
        #[arg(long, allow_hyphen_values = true)]
        subject_token: String,
        /// Its type.
        #[arg(long, default_value = "urn:ietf:params:oauth:token-type:access_token")]
        subject_token_type: String,
        /// The type of token wanted.
        #[arg(long)]
        requested_token_type: Option<String>,
        /// `audience|scope` instead of the configured scope.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Sign a person in with the device flow (RFC 8628): shows the code, a QR
    /// code of the verification URL, and waits for approval.
    Device {
        /// The device authorization endpoint.
        #[arg(long)]
        device_endpoint: String,
        /// The token endpoint.
        #[arg(long)]
        token_endpoint: String,
        /// The (public) client id.
        #[arg(long)]
        client_id: String,
        /// The scope to ask for.
        #[arg(long)]
        scope: Option<String>,
        /// Do not draw the QR code.
        #[arg(long)]
        no_qr: bool,
    },
    /// Client credentials grant with a generic OAuth client.
    ClientCredentials {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
    },
    /// Token introspection (RFC 7662): exit 0 if active, 1 if not.
    Introspect {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// `access_token` or `refresh_token`.
        #[arg(long)]
        hint: Option<String>,
    },
    /// Token revocation (RFC 7009).
    Revoke {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// `access_token` or `refresh_token`.
        #[arg(long)]
        hint: Option<String>,
    },
    /// Refresh token grant.
    Refresh {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// The refresh token.
        #[arg(long, allow_hyphen_values = true)]
        refresh_token: String,
    },
    /// Publish the public JWK set of a directory of private keys (kid = RFC 7638 thumbprint).
    Jwks {
        /// The directory of PEM/DER/JWK private keys.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Verify an access token as a resource server would (RFC 9068 checks,
    /// required scopes): exit 0 if accepted, 1 if refused.
    Verify(crate::commands::verify::VerifyArgs),
    /// Decode a JWT: header and claims, expiry in human time; the signature
    /// and claims are checked only with `--verify` (exit 1 if they fail).
    Decode {
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// Verify the signature with the issuer's published keys and check
        /// `iss`, `exp`, `nbf`, `iat` (and `aud` with `--audience`).
        #[arg(long, requires = "issuer")]
        verify: bool,
        /// The issuer whose keys (found by discovery) sign the token.
        #[arg(long)]
        issuer: Option<String>,
        /// The audience the token must be meant for.
        #[arg(long, requires = "verify")]
        audience: Option<String>,
    },
    /// Local scope decisions.
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// Run the IDaaS emulator on 127.0.0.1 until interrupted.
    Emulator {
        /// The port (default: an ephemeral one, printed at start).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// A client to register.
        #[arg(long, default_value = "demo-client")]
        client_id: String,
        /// Its secret.
        #[arg(long, default_value = "demo-secret", allow_hyphen_values = true)]
        client_secret: String,
    },
    /// Inspect IDaaS client configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The PAM developer API: API keys, OAuth and JWT authentication tokens,
    /// cloud-role credentials. The bearer token comes from the configuration.
    Pam {
        /// Where the client comes from.
        #[command(flatten)]
        target: PamArgs,
        /// The operation.
        #[command(subcommand)]
        command: PamCommand,
    },
    /// Sign a person in through the browser (authorization code + PKCE on a
    /// 127.0.0.1 listener); the session goes to the token store.
    Login {
        /// The provider and client.
        #[command(flatten)]
        signin: SignInArgs,
        /// The loopback port of the redirect URI (default: an ephemeral one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Do not start a browser: only print the URL.
        #[arg(long)]
        no_browser: bool,
    },
    /// The provider's userinfo for the stored session (refreshed if needed).
    Userinfo {
        /// The provider and client.
        #[command(flatten)]
        signin: SignInArgs,
    },
    /// The RP-initiated logout URL for the stored session.
    LogoutUrl {
        /// The provider and client.
        #[command(flatten)]
        signin: SignInArgs,
        /// Where the provider sends the browser after sign-out.
        #[arg(long)]
        post_logout_redirect_uri: Option<String>,
        /// `state` for the post-logout redirect.
        #[arg(long)]
        state: Option<String>,
    },
}

/// The PAM client of `idaas pam …`: from a configuration file, with overrides.
#[derive(Debug, Args)]
pub struct PamArgs {
    /// The configuration file (default: $CLOUD_IDAAS_CONFIG_PATH, then
    /// ~/.cloud_idaas/client-config.json).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// The developer API endpoint instead of the configured `developerApiEndpoint`.
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// The IDaaS instance id instead of the configured one.
    #[arg(long, global = true)]
    pub instance_id: Option<String>,
    /// `audience|scope` of the bearer token (default `urn:cloud:idaas:pam|.all`).
    #[arg(long = "token-scope", global = true)]
    pub token_scope: Option<String>,
}

/// Options of the OAuth token commands.
#[derive(Debug, Args)]
pub struct OAuthTokenArgs {
    /// The credential provider.
    #[arg(long)]
    pub provider: String,
    /// Space-separated scopes (default: the provider's), at most 256 characters.
    #[arg(long)]
    pub scope: Option<String>,
    /// Ask the person to authorize again.
    #[arg(long)]
    pub force_authentication: bool,
    /// `NAME=VALUE` appended to the upstream authorization URL (repeat the flag).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// `idaas pam …`
#[derive(Debug, Subcommand)]
pub enum PamCommand {
    /// Print the API key of a credential (exit 1 if it has none).
    GetApiKey {
        /// The credential identifier.
        credential_identifier: String,
    },
    /// Fetch an OAuth access token from a credential provider; with
    /// `--flow user_federation`, the authorization session if a person must authorize first.
    FetchOauthToken {
        /// The provider and what to ask.
        #[command(flatten)]
        oauth: OAuthTokenArgs,
        /// `m2m` or `user_federation`.
        #[arg(long, default_value = "m2m")]
        flow: String,
    },
    /// Where an authorization session stands (exit 1 if failed or expired).
    GetAuthorizationSession {
        /// `urn:ietf:params:oauth:request_uri:…`
        session_uri: String,
    },
    /// User federation end to end: print the authorization URL on stderr,
    /// wait for the person, print the access token.
    PollOauthToken {
        /// The provider and what to ask.
        #[command(flatten)]
        oauth: OAuthTokenArgs,
        /// Between two polls, milliseconds.
        #[arg(long, default_value_t = 3000)]
        interval_ms: u64,
        /// At most this many polls.
        #[arg(long, default_value_t = 60)]
        max_retries: u32,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
    },
    /// Generate a JWT authentication token and print it.
    GenerateJwt {
        /// The credential provider that signs.
        #[arg(long)]
        provider: String,
        /// `sub`.
        #[arg(long)]
        subject: String,
        /// An `aud` value (repeat the flag; not `urn:cloud:idaas…`).
        #[arg(long = "audience", required = true)]
        audiences: Vec<String>,
        /// `iss` (default: the provider's).
        #[arg(long)]
        issuer: Option<String>,
        /// Extra claims, a JSON object.
        #[arg(long)]
        claims: Option<String>,
        /// Lifetime, seconds (default: the provider's).
        #[arg(long)]
        expiration: Option<u64>,
        /// Also return a derived short token.
        #[arg(long)]
        derived_short_token: bool,
    },
    /// Print the JWT of an authentication token by its id.
    ObtainJwt {
        /// The consumer.
        #[arg(long)]
        consumer: String,
        /// The authentication token id.
        #[arg(long)]
        token_id: String,
    },
    /// Print the JWT a derived short token stands for.
    ObtainJwtByShortToken {
        /// The derived short token.
        #[arg(allow_hyphen_values = true)]
        short_token: String,
    },
    /// List the authentication tokens of a consumer and provider.
    ListTokens {
        /// The consumer.
        #[arg(long)]
        consumer: String,
        /// The credential provider.
        #[arg(long)]
        provider: String,
        /// Only revoked (`true`) or only unrevoked (`false`) tokens.
        #[arg(long)]
        revoked: Option<bool>,
        /// Only expired (`true`) or only unexpired (`false`) tokens.
        #[arg(long)]
        expired: Option<bool>,
        /// Page size.
        #[arg(long)]
        max_results: Option<u32>,
        /// The page after this one.
        #[arg(long, conflicts_with = "all", allow_hyphen_values = true)]
        next_token: Option<String>,
        /// Every page.
        #[arg(long)]
        all: bool,
    },
    /// Exit 0 if a JWT or derived short token is active, 1 if not.
    Validate {
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// A `token_type_hint` (the API currently needs none).
        #[arg(long)]
        hint: Option<String>,
    },
    /// Revoke a JWT (or its derived short token).
    Revoke {
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// A `token_type_hint` (the API currently needs none).
        #[arg(long)]
        hint: Option<String>,
    },
    /// Reinstate a revoked JWT (or its derived short token).
    Reinstate {
        /// The token.
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// A `token_type_hint` (the API currently needs none).
        #[arg(long)]
        hint: Option<String>,
    },
    /// Revoke every token of a consumer and provider.
    RevokeByConsumer {
        /// The consumer.
        #[arg(long)]
        consumer: String,
        /// The credential provider.
        #[arg(long)]
        provider: String,
    },
    /// Reinstate every token of a consumer and provider.
    ReinstateByConsumer {
        /// The consumer.
        #[arg(long)]
        consumer: String,
        /// The credential provider.
        #[arg(long)]
        provider: String,
    },
    /// Print temporary STS credentials of a cloud-account role.
    CloudCredential {
        /// The role's external id, e.g. an ARN.
        #[arg(long)]
        role: String,
        /// Validity, seconds (900..=43200).
        #[arg(long)]
        duration: Option<u32>,
    },
}

/// The provider and client of `login`, `userinfo`, `logout-url`; tokens are
/// kept in `$IDAAS_TOKEN_STORE_DIR` (default `~/.cloud_idaas/tokens`).
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// The issuer (discovered).
    #[arg(long)]
    pub issuer: String,
    /// The client id (a public native client unless a secret is given).
    #[arg(long)]
    pub client_id: String,
    /// A client secret, for confidential clients (or $IDAAS_CLIENT_SECRET).
    #[arg(
        long,
        env = "IDAAS_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub client_secret: Option<String>,
    /// A scope to request (repeat the flag; default `openid offline_access`).
    /// For `userinfo` and `logout-url`: the scopes of the stored sign-in to
    /// use (default: the latest sign-in of this issuer and client).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
}

/// The generic OAuth client of `client-credentials`, `introspect`, `revoke`, `refresh`.
#[derive(Debug, Args)]
pub struct OAuthArgs {
    /// The issuer: its metadata is discovered (OIDC discovery, then RFC 8414).
    #[arg(long)]
    pub issuer: String,
    /// The client id.
    #[arg(long)]
    pub client_id: String,
    /// The client secret (or $IDAAS_CLIENT_SECRET).
    #[arg(
        long,
        env = "IDAAS_CLIENT_SECRET",
        hide_env_values = true,
        conflicts_with = "private_key",
        allow_hyphen_values = true
    )]
    pub client_secret: Option<String>,
    /// A PEM file with the client's private key (private_key_jwt).
    #[arg(long)]
    pub private_key: Option<PathBuf>,
    /// The signing algorithm of the private key (default: chosen from the key).
    #[arg(long)]
    pub alg: Option<String>,
    /// client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none
    /// (default: client_secret_basic with a secret, private_key_jwt with a key, none otherwise).
    #[arg(long)]
    pub auth_method: Option<String>,
    /// A scope to request (repeat the flag for several).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// A resource indicator (RFC 8707).
    #[arg(long)]
    pub resource: Option<String>,
}

/// `idaas scope …`
#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Exit 0 if the scopes grant ACTION on RESOURCE, 1 if not.
    Check {
        /// A granted scope (repeat the flag for several).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The action, e.g. `read`.
        action: String,
        /// The resource, e.g. `projects.tasks`.
        resource: String,
    },
}

/// `idaas config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load a configuration as the SDK does and print it with secrets redacted.
    ///
    /// Without FILE: $CLOUD_IDAAS_CONFIG_PATH, else ~/.cloud_idaas/client-config.json.
    Check {
        /// The configuration file.
        file: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, PamCommand};

    fn parse(args: &[&str]) -> Command {
        let mut argv = vec!["idaas"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    const CLIENT: [&str; 4] = ["--issuer", "http://127.0.0.1:1", "--client-id", "c"];

    // Opaque tokens and secrets are base64url: one in 64 starts with `-`.
    #[test]
    fn tokens_and_secrets_may_start_with_a_hyphen() {
        for (before, after) in [(true, false), (false, true), (false, false)] {
            let mut args = vec!["introspect"];
            if before {
                args.extend_from_slice(&["--hint", "access_token"]);
            }
            args.extend_from_slice(&CLIENT);
            args.extend_from_slice(&["--client-secret", "-s3cret", "-tok_en"]);
            if after {
                args.extend_from_slice(&["--hint", "access_token"]);
            }
            match parse(&args) {
                Command::Introspect { oauth, token, hint } => {
                    assert_eq!(token, "-tok_en");
                    assert_eq!(oauth.client_secret.as_deref(), Some("-s3cret"));
                    assert_eq!(hint.is_some(), before || after, "{args:?}");
                }
                other => panic!("{other:?}"),
            }
        }
        let mut args = vec!["refresh"];
        args.extend_from_slice(&CLIENT);
        args.extend_from_slice(&["--refresh-token", "--rt"]);
        assert!(
            matches!(parse(&args), Command::Refresh { refresh_token, .. } if refresh_token == "--rt")
        );
        assert!(matches!(
            parse(&["exchange", "--subject-token", "-st"]),
            Command::Exchange { subject_token, .. } if subject_token == "-st"
        ));
        assert!(
            matches!(parse(&["decode", "-x.y.z"]), Command::Decode { token, .. } if token == "-x.y.z")
        );
        for op in ["validate", "revoke", "reinstate"] {
            let Command::Pam { command, .. } = parse(&["pam", op, "-jwt"]) else {
                panic!("{op}")
            };
            let token = match command {
                PamCommand::Validate { token, .. }
                | PamCommand::Revoke { token, .. }
                | PamCommand::Reinstate { token, .. } => token,
                other => panic!("{other:?}"),
            };
            assert_eq!(token, "-jwt");
        }
    }

    #[test]
    fn unknown_flags_are_still_usage_errors() {
        let mut args = vec!["idaas", "introspect"];
        args.extend_from_slice(&CLIENT);
        args.extend_from_slice(&["tok", "--no-such-flag"]);
        assert!(Cli::try_parse_from(args).is_err());
    }
}
