//! What the OAuth authentication-token operations take and return (spec
//! §4.2–§4.5). Access-token values are `SecretString`s.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use idaas_core::SecretString;
use serde::Deserialize;

use crate::error::Error;
use crate::model::AuthenticationToken;

/// The longest `scope` the API takes, in characters (product docs).
pub const MAX_SCOPE_LEN: usize = 256;

/// Which authorization the caller expects the credential provider to need.
/// Not sent: the server decides by the provider's configuration; the client
/// uses it to reject a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorizationFlow {
    /// The provider's own client credentials; no person involved.
    #[default]
    M2m,
    /// A person authorizes at the upstream provider (three-legged OAuth).
    UserFederation,
}

impl AuthorizationFlow {
    /// `m2m` or `user_federation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::M2m => "m2m",
            Self::UserFederation => "user_federation",
        }
    }
}

impl fmt::Display for AuthorizationFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthorizationFlow {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        match text {
            "m2m" => Ok(Self::M2m),
            "user_federation" => Ok(Self::UserFederation),
            other => Err(Error::InvalidArgument(format!(
                "authorization_flow must be either 'm2m' or 'user_federation', not {other:?}"
            ))),
        }
    }
}

/// What [`crate::PamClient::fetch_oauth_authentication_token_v2`] asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchOAuthToken {
    /// The credential provider (required).
    pub credential_provider_identifier: String,
    /// The flow the caller expects.
    pub authorization_flow: AuthorizationFlow,
    /// Space-separated scopes, at most [`MAX_SCOPE_LEN`] characters
    /// (default: the provider's configured scope).
    pub scope: Option<String>,
    /// Start a new authorization even if the person already granted one.
    pub force_authentication: Option<bool>,
    /// Appended by the server to the upstream authorization URL, e.g.
    /// `access_type=offline`.
    pub custom_parameters: Option<BTreeMap<String, String>>,
}

impl FetchOAuthToken {
    /// A request for the provider with the given flow.
    pub fn new(credential_provider_identifier: impl Into<String>, flow: AuthorizationFlow) -> Self {
        Self {
            credential_provider_identifier: credential_provider_identifier.into(),
            authorization_flow: flow,
            ..Self::default()
        }
    }
}

/// An OAuth access token the PAM API fetched from a credential provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAccessTokenContent {
    /// The access token.
    pub access_token_value: SecretString,
    /// Usually `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// The scope granted.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The authorization a person still has to give (user federation).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAuthorizationSession {
    /// The session's id.
    #[serde(default)]
    pub session_id: Option<String>,
    /// `urn:ietf:params:oauth:request_uri:<sessionId>`: poll it with
    /// [`crate::PamClient::oauth_authorization_session`].
    #[serde(default)]
    pub session_uri: Option<String>,
    /// Where the person authorizes.
    #[serde(default)]
    pub authorization_url: Option<String>,
    /// Its status.
    #[serde(default)]
    pub session_status: Option<SessionStatus>,
}

/// The answer of `FetchOAuthAuthenticationToken`: a token, or a session the
/// person must complete first (the two are mutually exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAuthenticationToken {
    /// The authentication-token record (its id is empty while a session is pending).
    #[serde(flatten)]
    pub record: AuthenticationToken,
    /// The access token, once there is one.
    #[serde(default)]
    pub oauth_access_token_content: Option<OAuthAccessTokenContent>,
    /// The authorization still to be given.
    #[serde(default)]
    pub oauth_authorization_session: Option<OAuthAuthorizationSession>,
}

impl OAuthAuthenticationToken {
    /// Whether an access token came back.
    pub fn has_access_token_content(&self) -> bool {
        self.oauth_access_token_content.is_some()
    }

    /// Whether a person must authorize first.
    pub fn has_authorization_session(&self) -> bool {
        self.oauth_authorization_session.is_some()
    }

    /// The access token, if any.
    pub fn access_token(&self) -> Option<&SecretString> {
        self.oauth_access_token_content
            .as_ref()
            .map(|c| &c.access_token_value)
    }
}

/// Where an authorization session stands.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The person has not authorized yet.
    Pending,
    /// The upstream provider called back; the token is being fetched.
    CallbackReceived,
    /// Done: fetch the token again.
    Completed,
    /// The authorization failed (see the session's error fields).
    Failed,
    /// Too late: start again.
    Expired,
    /// A status this client does not know; polling goes on.
    #[serde(other)]
    Unknown,
}

/// `GetOAuthAuthorizationSession`'s answer. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationSession {
    /// The IDaaS instance.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The session's id.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Its URI.
    #[serde(default)]
    pub session_uri: Option<String>,
    /// Its status (`None` if the server sent none: still waiting).
    #[serde(default)]
    pub session_status: Option<SessionStatus>,
    /// The credential provider.
    #[serde(default)]
    pub credential_provider_identifier: Option<String>,
    /// `custom` or `application`.
    #[serde(default)]
    pub consumer_type: Option<String>,
    /// Who consumes the token.
    #[serde(default)]
    pub consumer_id: Option<String>,
    /// `application`.
    #[serde(default)]
    pub creator_type: Option<String>,
    /// Who started the session.
    #[serde(default)]
    pub creator_id: Option<String>,
    /// Where the person authorizes (while pending).
    #[serde(default)]
    pub authorization_url: Option<String>,
    /// When the session expires, ms.
    #[serde(default)]
    pub expiration_time: Option<u64>,
    /// The token issued (once completed).
    #[serde(default)]
    pub authentication_token_id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Why it failed, for people.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// How [`crate::PamClient::poll_oauth_authentication_token`] polls.
/// The defaults are the spec's: every 3 s, at most 60 polls, 180 s in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollOptions {
    /// Between two polls.
    pub interval: Duration,
    /// At most this many polls.
    pub max_retries: u32,
    /// Polling ends once the next poll would start later than this after the first.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            max_retries: 60,
            timeout: Duration::from_secs(180),
        }
    }
}
