//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::secrets::SecretArg;

/// Machine-to-machine and user identity from the shell: IDaaS tokens,
/// OAuth/OIDC flows, PAM and scope checks.
#[derive(Debug, Parser)]
#[command(
    name = "idaas",
    version,
    about,
    propagate_version = true,
    after_help = crate::exit::HELP
)]
pub(crate) struct Cli {
    /// Output shared by every command.
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that shape the output of every command.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr: -v info (every HTTP exchange with its
    /// endpoint, status and duration), -vv debug, -vvv trace.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// The log level of the idaas crates (error, warn, info, debug, trace);
    /// without -v or this flag, $RUST_LOG decides (default warn).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

/// The token a command acts on: an argument, an environment variable, or
/// else standard input (off argv: `ps` shows arguments to every local user).
#[derive(Debug, Args)]
pub(crate) struct TokenArg {
    /// The token: the value, `-` (stdin) or `@FILE` (default: read stdin).
    #[arg(allow_hyphen_values = true, conflicts_with = "token_env")]
    pub token: Option<SecretArg>,
    /// The environment variable holding the token.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
}

impl TokenArg {
    /// The token, from wherever it was given.
    pub(crate) fn read(&self, json: bool) -> Result<String, crate::exit::Failure> {
        crate::secrets::token_or_stdin(
            self.token.as_ref(),
            self.token_env.as_deref(),
            "the token",
            json,
        )
    }
}

/// Transport options of every command that goes to the network.
#[derive(Debug, Args, Default)]
pub(crate) struct NetArgs {
    /// Trust the CA certificates (PEM, one or many) of this file too, beside
    /// the system's (repeat the flag for several files).
    #[arg(long = "ca-file", value_name = "PEM", global = true)]
    pub ca_files: Vec<PathBuf>,
    /// Do not verify TLS certificates at all. Dangerous: anyone on the path
    /// can read and change the traffic; for test servers only.
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Mutual TLS (RFC 8705): present this PEM client certificate (then its
    /// intermediates) to servers that ask for one; with --key.
    #[arg(long, value_name = "FILE", global = true, requires = "key")]
    pub cert: Option<PathBuf>,
    /// The PEM private key of --cert.
    #[arg(long, value_name = "FILE", global = true, requires = "cert")]
    pub key: Option<PathBuf>,
}

/// DPoP (RFC 9449) for the commands that request tokens.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct DpopArgs {
    /// Bind the tokens to a DPoP key: every token request carries a proof
    /// signed by it, the token comes back `token_type` DPoP with `cnf.jkt`
    /// (without --dpop-key: a fresh ES256 key, gone when the command ends).
    #[arg(long)]
    pub dpop: bool,
    /// The DPoP private key (PEM: EC P-256, Ed25519 or RSA); implies --dpop.
    /// Keep it to refresh or use the tokens later.
    #[arg(long, value_name = "PEM")]
    pub dpop_key: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
        /// Transport options.
        #[command(flatten)]
        net: NetArgs,
    },
    /// Exchange a subject token for a token of the configured (or given) scope (RFC 8693).
    Exchange {
        /// The configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The token to exchange: the value, `-` (stdin) or `@FILE`.
        #[arg(
            long,
            allow_hyphen_values = true,
            required_unless_present = "subject_token_env",
            conflicts_with = "subject_token_env"
        )]
        subject_token: Option<SecretArg>,
        /// The environment variable holding the subject token.
        #[arg(long, value_name = "VAR")]
        subject_token_env: Option<String>,
        /// Its type.
        #[arg(long, default_value = "urn:ietf:params:oauth:token-type:access_token")]
        subject_token_type: String,
        /// The actor's token (delegation: the issued token's `act` names
        /// it): the value, `-` (stdin) or `@FILE`.
        #[arg(long, allow_hyphen_values = true, conflicts_with = "actor_token_env")]
        actor_token: Option<SecretArg>,
        /// The environment variable holding the actor token.
        #[arg(long, value_name = "VAR")]
        actor_token_env: Option<String>,
        /// The actor token's type.
        #[arg(long, default_value = "urn:ietf:params:oauth:token-type:access_token")]
        actor_token_type: String,
        /// The type of token wanted.
        #[arg(long)]
        requested_token_type: Option<String>,
        /// `audience|scope` instead of the configured scope.
        #[arg(long)]
        scope: Option<String>,
        /// Transport options.
        #[command(flatten)]
        net: NetArgs,
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
        /// Do not draw the QR code (it is drawn only when stderr is a terminal).
        #[arg(long)]
        no_qr: bool,
        /// DPoP.
        #[command(flatten)]
        dpop: DpopArgs,
        /// Transport options.
        #[command(flatten)]
        net: NetArgs,
    },
    /// Client credentials grant with a generic OAuth client.
    ClientCredentials {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// DPoP.
        #[command(flatten)]
        dpop: DpopArgs,
    },
    /// Token introspection (RFC 7662): exit 0 if active, 1 if not.
    Introspect {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// The token.
        #[command(flatten)]
        token: TokenArg,
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
        #[command(flatten)]
        token: TokenArg,
        /// `access_token` or `refresh_token`.
        #[arg(long)]
        hint: Option<String>,
    },
    /// Refresh token grant.
    Refresh {
        /// The client.
        #[command(flatten)]
        oauth: OAuthArgs,
        /// The refresh token: the value, `-` (stdin) or `@FILE`.
        #[arg(
            long,
            allow_hyphen_values = true,
            required_unless_present = "refresh_token_env",
            conflicts_with = "refresh_token_env"
        )]
        refresh_token: Option<SecretArg>,
        /// The environment variable holding the refresh token.
        #[arg(long, value_name = "VAR")]
        refresh_token_env: Option<String>,
        /// DPoP (a DPoP-bound refresh token needs the key it was issued to).
        #[command(flatten)]
        dpop: DpopArgs,
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
        #[command(flatten)]
        token: TokenArg,
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
        /// Transport options (for `--verify`).
        #[command(flatten)]
        net: NetArgs,
    },
    /// Local scope decisions.
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// The RFC 7523 jwt-bearer grant (the baikal-sdk user grant): sign an
    /// assertion about a user and trade it for a token.
    JwtBearer(crate::commands::grants::JwtBearerArgs),
    /// Token exchange (RFC 8693) at any issuer, with an optional actor
    /// token: the subject token sent as given, in one round trip.
    TokenExchange(crate::commands::grants::TokenExchangeArgs),
    /// Run the IDaaS emulator on 127.0.0.1 until interrupted.
    Emulator(crate::commands::emulator::EmulatorArgs),
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
        /// Push the authorization request (PAR, RFC 9126) even if the
        /// provider does not require it (default: when it has the endpoint).
        #[arg(long, conflicts_with = "no_par")]
        par: bool,
        /// Never push the authorization request.
        #[arg(long)]
        no_par: bool,
        /// Send the authorization parameters as a request object (JAR, RFC
        /// 9101) signed by this private key (PEM), the one the client
        /// registered with the provider.
        #[arg(long, value_name = "PEM")]
        jar: Option<PathBuf>,
        /// Ask for a signed authorization response (JARM,
        /// `response_mode=jwt`), accepted only if it verifies with the
        /// provider's keys.
        #[arg(long)]
        jarm: bool,
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
pub(crate) struct PamArgs {
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
    /// Transport options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Options of the OAuth token commands.
#[derive(Debug, Args)]
pub(crate) struct OAuthTokenArgs {
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
pub(crate) enum PamCommand {
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
        #[command(flatten)]
        short_token: TokenArg,
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
        #[command(flatten)]
        token: TokenArg,
        /// A `token_type_hint` (the API currently needs none).
        #[arg(long)]
        hint: Option<String>,
    },
    /// Revoke a JWT (or its derived short token).
    Revoke {
        /// The token.
        #[command(flatten)]
        token: TokenArg,
        /// A `token_type_hint` (the API currently needs none).
        #[arg(long)]
        hint: Option<String>,
    },
    /// Reinstate a revoked JWT (or its derived short token).
    Reinstate {
        /// The token.
        #[command(flatten)]
        token: TokenArg,
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
        /// `env` (shell `export` lines with the vendor's variable names),
        /// `json` (the `--json` shape), or `aws-credential-process` (the
        /// JSON an AWS `credential_process` prints; AWS roles only).
        /// Default: env (with `--json`: json).
        #[arg(long, value_enum)]
        format: Option<CredentialFormat>,
    },
}

/// How `pam cloud-credential` prints the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CredentialFormat {
    /// `export NAME='value'` lines.
    Env,
    /// The `--json` shape.
    Json,
    /// `{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}`.
    AwsCredentialProcess,
}

/// The provider and client of `login`, `userinfo`, `logout-url`; tokens are
/// kept in `$IDAAS_TOKEN_STORE_DIR` (default `~/.cloud_idaas/tokens`).
#[derive(Debug, Args)]
pub(crate) struct SignInArgs {
    /// The issuer (discovered).
    #[arg(long)]
    pub issuer: String,
    /// The client id (a public native client unless a secret is given).
    #[arg(long)]
    pub client_id: String,
    /// A client secret, for confidential clients: the value, `-` (stdin) or
    /// `@FILE` (or $IDAAS_CLIENT_SECRET).
    #[arg(
        long,
        env = "IDAAS_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true,
        conflicts_with = "client_secret_env"
    )]
    pub client_secret: Option<SecretArg>,
    /// The environment variable holding the client secret.
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// A scope to request (repeat the flag; default `openid offline_access`).
    /// For `userinfo` and `logout-url`: the scopes of the stored sign-in to
    /// use (default: the latest sign-in of this issuer and client).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// DPoP: the tokens bound to a key (`login`; `userinfo` needs the
    /// same `--dpop-key` to use them).
    #[command(flatten)]
    pub dpop: DpopArgs,
    /// Transport options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// The generic OAuth client of `client-credentials`, `introspect`, `revoke`, `refresh`.
#[derive(Debug, Args)]
pub(crate) struct OAuthArgs {
    /// The issuer: its metadata is discovered (OIDC discovery, then RFC 8414).
    #[arg(long)]
    pub issuer: String,
    /// The client id.
    #[arg(long)]
    pub client_id: String,
    /// The client secret: the value, `-` (stdin) or `@FILE` (or $IDAAS_CLIENT_SECRET).
    #[arg(
        long,
        env = "IDAAS_CLIENT_SECRET",
        hide_env_values = true,
        conflicts_with_all = ["private_key", "client_secret_env"],
        allow_hyphen_values = true
    )]
    pub client_secret: Option<SecretArg>,
    /// The environment variable holding the client secret.
    #[arg(long, value_name = "VAR", conflicts_with = "private_key")]
    pub client_secret_env: Option<String>,
    /// A PEM file with the client's private key (private_key_jwt).
    #[arg(long)]
    pub private_key: Option<PathBuf>,
    /// The signing algorithm of the private key (default: chosen from the key).
    #[arg(long)]
    pub alg: Option<String>,
    /// How the client authenticates (default: client_secret_basic with a
    /// secret, private_key_jwt with a key, none otherwise).
    #[arg(long, value_enum)]
    pub auth_method: Option<AuthMethod>,
    /// A scope to request (repeat the flag for several).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// A resource indicator (RFC 8707).
    #[arg(long)]
    pub resource: Option<String>,
    /// The introspection endpoint instead of the discovered one.
    #[arg(long, value_name = "URL")]
    pub introspection_endpoint: Option<String>,
    /// The revocation endpoint instead of the discovered one.
    #[arg(long, value_name = "URL")]
    pub revocation_endpoint: Option<String>,
    /// Transport options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// `--auth-method`: the `token_endpoint_auth_method` names (RFC 7591 §2,
/// RFC 8705 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum AuthMethod {
    /// A public client: only `client_id` is sent.
    None,
    /// HTTP Basic with the client secret (needs --client-secret).
    ClientSecretBasic,
    /// The client secret in the form (needs --client-secret).
    ClientSecretPost,
    /// A JWT signed with the client secret (needs --client-secret).
    ClientSecretJwt,
    /// A JWT signed with the private key (needs --private-key).
    PrivateKeyJwt,
    /// The TLS client certificate, PKI-bound (needs --cert/--key).
    TlsClientAuth,
    /// The TLS client certificate, self-signed (needs --cert/--key).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// The method's registered name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::TlsClientAuth => "tls_client_auth",
            Self::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }
}

/// `idaas scope …`
#[derive(Debug, Subcommand)]
pub(crate) enum ScopeCommand {
    /// Exit 0 if the scopes grant ACTION on RESOURCE, 1 if not.
    Check {
        /// A granted scope (repeat the flag for several; none means denied).
        /// The IDaaS `audience|value` form is understood with `--audience`.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The audience (API) being called: of the `audience|value` scopes,
        /// only this audience's values count.
        #[arg(long)]
        audience: Option<String>,
        /// The action, e.g. `read`.
        action: String,
        /// The resource, e.g. `projects.tasks`.
        resource: String,
    },
}

/// `idaas config …`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
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
    use crate::secrets::SecretArg;

    fn parse(args: &[&str]) -> Command {
        let mut argv = vec!["idaas"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    fn value(s: &str) -> Option<SecretArg> {
        Some(SecretArg::Value(s.into()))
    }

    const CLIENT: [&str; 4] = ["--issuer", "http://127.0.0.1:1", "--client-id", "c"];

    #[test]
    fn auth_methods_are_their_registered_names_and_a_typo_is_a_usage_error() {
        use super::AuthMethod;
        use clap::ValueEnum;
        for method in AuthMethod::value_variants() {
            let mut args = vec!["client-credentials"];
            args.extend_from_slice(&CLIENT);
            args.extend_from_slice(&["--auth-method", method.name()]);
            let Command::ClientCredentials { oauth, .. } = parse(&args) else {
                panic!("{args:?}")
            };
            assert_eq!(oauth.auth_method, Some(*method));
        }
        let mut args = vec!["idaas", "client-credentials"];
        args.extend_from_slice(&CLIENT);
        args.extend_from_slice(&["--auth-method", "client-secret-basic"]);
        let error = Cli::try_parse_from(args).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
        assert!(
            error.to_string().contains("client_secret_basic"),
            "the error lists the names: {error}"
        );
    }

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
                Command::Introspect {
                    oauth, token, hint, ..
                } => {
                    assert_eq!(token.token, value("-tok_en"));
                    assert_eq!(oauth.client_secret, value("-s3cret"));
                    assert_eq!(hint.is_some(), before || after, "{args:?}");
                }
                other => panic!("{other:?}"),
            }
        }
        let mut args = vec!["refresh"];
        args.extend_from_slice(&CLIENT);
        args.extend_from_slice(&["--refresh-token", "--rt"]);
        assert!(
            matches!(parse(&args), Command::Refresh { refresh_token, .. } if refresh_token == value("--rt"))
        );
        assert!(matches!(
            parse(&["exchange", "--subject-token", "-st"]),
            Command::Exchange { subject_token, .. } if subject_token == value("-st")
        ));
        assert!(
            matches!(parse(&["decode", "-x.y.z"]), Command::Decode { token, .. } if token.token == value("-x.y.z"))
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
            assert_eq!(token.token, value("-jwt"));
        }
    }

    #[test]
    fn secrets_come_from_stdin_files_and_env_vars() {
        let token = |args: &[&str]| match parse(args) {
            Command::Decode { token, .. } => token,
            Command::Pam {
                command: PamCommand::Validate { token, .. },
                ..
            } => token,
            other => panic!("{other:?}"),
        };
        assert_eq!(token(&["decode", "-"]).token, Some(SecretArg::Stdin));
        let omitted = token(&["decode"]);
        assert!(omitted.token.is_none() && omitted.token_env.is_none());
        let env = token(&["pam", "validate", "--token-env", "JWT"]);
        assert_eq!(env.token_env.as_deref(), Some("JWT"));
        assert!(matches!(
            parse(&["exchange", "--subject-token", "@/run/t"]),
            Command::Exchange { subject_token: Some(SecretArg::File(p)), .. } if p == std::path::Path::new("/run/t")
        ));
        assert!(matches!(
            parse(&["exchange", "--subject-token-env", "T"]),
            Command::Exchange { subject_token: None, subject_token_env: Some(v), .. } if v == "T"
        ));
        let mut argv = vec!["idaas", "exchange"];
        assert!(
            Cli::try_parse_from(argv.clone()).is_err(),
            "a subject token is required"
        );
        argv.extend_from_slice(&["--subject-token", "a", "--subject-token-env", "B"]);
        assert!(Cli::try_parse_from(argv).is_err(), "one form at a time");
    }

    #[test]
    fn network_options_on_network_commands() {
        let Command::Token { net, .. } = parse(&[
            "token",
            "--ca-file",
            "a.pem",
            "--ca-file",
            "b.pem",
            "--insecure",
        ]) else {
            panic!()
        };
        assert_eq!(net.ca_files.len(), 2);
        assert!(net.insecure);
        let Command::Pam { target, .. } = parse(&["pam", "get-api-key", "x", "--ca-file", "c.pem"])
        else {
            panic!()
        };
        assert_eq!(target.net.ca_files, [std::path::PathBuf::from("c.pem")]);
    }

    #[test]
    fn unknown_flags_are_still_usage_errors() {
        let mut args = vec!["idaas", "introspect"];
        args.extend_from_slice(&CLIENT);
        args.extend_from_slice(&["tok", "--no-such-flag"]);
        assert!(Cli::try_parse_from(args).is_err());
    }
}
