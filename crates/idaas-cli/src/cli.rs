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
        #[arg(long)]
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
        #[arg(long)]
        refresh_token: String,
    },
    /// Publish the public JWK set of a directory of private keys (kid = RFC 7638 thumbprint).
    Jwks {
        /// The directory of PEM/DER/JWK private keys.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Decode a JWT: header and claims, expiry in human time (no verification).
    Decode {
        /// The token.
        token: String,
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
        #[arg(long, default_value = "demo-secret")]
        client_secret: String,
    },
    /// Inspect IDaaS client configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
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
    #[arg(long, env = "IDAAS_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// A scope to request (repeat the flag; default `openid offline_access`).
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
        conflicts_with = "private_key"
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
