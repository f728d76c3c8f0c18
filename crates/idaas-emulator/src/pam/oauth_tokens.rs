//! OAuth credential providers of the PAM API: `FetchOAuthAuthenticationToken`
//! (m2m: a token at once; user federation: an authorization session first,
//! completed, failed or expired through the emulator's hooks) and
//! `GetOAuthAuthorizationSession`. Access tokens are JWTs signed by the
//! emulator's key, recorded as `oauth_access_token` authentication tokens.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::{TokenRecord, api_error, provider_identifier, provider_not_found};
use crate::server::{Reply, State};

/// The prefix of session URIs.
pub(crate) const SESSION_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a person has to authorize.
const SESSION_LIFETIME_MS: u64 = 10 * 60 * 1000;
/// Lifetime of issued OAuth access tokens.
const OAUTH_TOKEN_LIFETIME_SECS: u64 = 3600;

/// An OAuth credential provider registered with
/// [`crate::Emulator::register_oauth_provider`].
#[derive(Debug, Clone)]
pub struct OAuthProvider {
    identifier: String,
    scope: String,
    /// `Some`: user federation, with the upstream authorization endpoint.
    authorization_endpoint: Option<String>,
}

impl OAuthProvider {
    /// A provider that fetches tokens with its own client credentials, with
    /// `scope` as its configured scope.
    pub fn m2m(identifier: impl Into<String>, scope: impl Into<String>) -> Self {
        Self {
            identifier: identifier.into(),
            scope: scope.into(),
            authorization_endpoint: None,
        }
    }

    /// A provider that needs a person to authorize at `authorization_endpoint`
    /// (the upstream provider's) before it has a token.
    pub fn user_federation(
        identifier: impl Into<String>,
        scope: impl Into<String>,
        authorization_endpoint: impl Into<String>,
    ) -> Self {
        Self {
            identifier: identifier.into(),
            scope: scope.into(),
            authorization_endpoint: Some(authorization_endpoint.into()),
        }
    }

    /// Its identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Completed,
    Failed,
    Expired,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone)]
struct Session {
    id: String,
    provider: String,
    consumer: String,
    scope: String,
    authorization_url: String,
    status: Status,
    expires_ms: u64,
    token_id: Option<String>,
    error: Option<(String, String)>,
}

/// Providers, sessions, and the grants people gave: (provider, consumer, scope) → token id.
#[derive(Debug, Default)]
pub(crate) struct OAuthState {
    providers: Mutex<HashMap<String, OAuthProvider>>,
    sessions: Mutex<HashMap<String, Session>>,
    grants: Mutex<HashMap<(String, String, String), String>>,
}

impl State {
    pub(crate) fn register_oauth_provider(&self, provider: OAuthProvider) {
        self.pam_state
            .oauth
            .providers
            .lock()
            .expect("pam lock")
            .insert(provider.identifier.clone(), provider);
    }

    /// Signs and records an OAuth access token.
    fn issue_oauth_token(
        &self,
        provider: &str,
        consumer: &str,
        scope: &str,
    ) -> Result<TokenRecord, String> {
        let now = self.clock.now().as_secs();
        let id = format!("at_{}", idaas_oauth::authorize::random_token(12));
        let claims = json!({
            "iss": self.base_url,
            "sub": consumer,
            "aud": provider,
            "scope": scope,
            "iat": now,
            "exp": now + OAUTH_TOKEN_LIFETIME_SECS,
            "jti": id,
        });
        let jwt = self.sign_claims("at+jwt", &claims)?;
        let record = TokenRecord {
            id,
            kind: "oauth_access_token",
            provider: provider.to_owned(),
            consumer_id: consumer.to_owned(),
            jwt,
            short: None,
            revoked: false,
            created_ms: self.now_ms(),
            expires_ms: (now + OAUTH_TOKEN_LIFETIME_SECS) * 1000,
        };
        self.pam_state
            .tokens
            .lock()
            .expect("pam lock")
            .push(record.clone());
        Ok(record)
    }

    fn token_reply(&self, record: &TokenRecord, scope: &str) -> Reply {
        let mut body = self.record_json(record, false);
        body["oauthAccessTokenContent"] = json!({
            "accessTokenValue": record.jwt,
            "tokenType": "Bearer",
            "scope": scope,
        });
        Reply::json(200, body)
    }

    /// An active token a person already granted for this provider, consumer and scope.
    fn granted_token(&self, key: &(String, String, String)) -> Option<TokenRecord> {
        let id = self
            .pam_state
            .oauth
            .grants
            .lock()
            .expect("pam lock")
            .get(key)?
            .clone();
        let now = self.now_ms();
        self.pam_state
            .tokens
            .lock()
            .expect("pam lock")
            .iter()
            .find(|t| t.id == id && !t.revoked && t.expires_ms > now)
            .cloned()
    }

    pub(crate) fn fetch_oauth_token(&self, caller: &str, body: &Map<String, Value>) -> Reply {
        let identifier = provider_identifier(body);
        let Some(provider) = self
            .pam_state
            .oauth
            .providers
            .lock()
            .expect("pam lock")
            .get(identifier)
            .cloned()
        else {
            return provider_not_found();
        };
        let scope = match body.get("scope").and_then(Value::as_str) {
            Some(s) if s.chars().count() > 256 => {
                return api_error(
                    400,
                    "invalid_parameter",
                    "scope is longer than 256 characters",
                );
            }
            Some(s) => s.to_owned(),
            None => provider.scope.clone(),
        };
        let Some(endpoint) = &provider.authorization_endpoint else {
            return match self.issue_oauth_token(identifier, caller, &scope) {
                Ok(record) => self.token_reply(&record, &scope),
                Err(e) => api_error(500, "internal_error", &e),
            };
        };
        let key = (identifier.to_owned(), caller.to_owned(), scope.clone());
        let force = body
            .get("forceAuthentication")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !force && let Some(record) = self.granted_token(&key) {
            return self.token_reply(&record, &scope);
        }
        let session_id = format!("oas_{}", idaas_oauth::authorize::random_token(12));
        let mut parameters: BTreeMap<String, String> = BTreeMap::from([
            ("response_type".into(), "code".into()),
            ("client_id".into(), identifier.to_owned()),
            ("scope".into(), scope.clone()),
            ("state".into(), session_id.clone()),
        ]);
        if let Some(custom) = body.get("customParameters").and_then(Value::as_object) {
            for (k, v) in custom {
                if let Some(v) = v.as_str() {
                    parameters.insert(k.clone(), v.to_owned());
                }
            }
        }
        let query: Vec<String> = parameters
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    idaas_oauth::form::encode_component(k),
                    idaas_oauth::form::encode_component(v)
                )
            })
            .collect();
        let session = Session {
            id: session_id.clone(),
            provider: identifier.to_owned(),
            consumer: caller.to_owned(),
            scope,
            authorization_url: format!("{endpoint}?{}", query.join("&")),
            status: Status::Pending,
            expires_ms: self.now_ms() + SESSION_LIFETIME_MS,
            token_id: None,
            error: None,
        };
        let reply = Reply::json(
            200,
            json!({
                "credentialProviderId": identifier,
                "authenticationTokenType": "oauth_access_token",
                "consumerType": "application",
                "consumerId": caller,
                "oauthAuthorizationSession": {
                    "sessionId": session.id,
                    "sessionUri": format!("{SESSION_URI_PREFIX}{}", session.id),
                    "authorizationUrl": session.authorization_url,
                    "sessionStatus": "pending",
                },
            }),
        );
        self.pam_state
            .oauth
            .sessions
            .lock()
            .expect("pam lock")
            .insert(session_id, session);
        reply
    }

    pub(crate) fn get_authorization_session(&self, caller: &str, session_uri: &str) -> Reply {
        let Some(id) = session_uri.strip_prefix(SESSION_URI_PREFIX) else {
            return api_error(
                400,
                "invalid_parameter",
                &format!("sessionUri must start with {SESSION_URI_PREFIX}"),
            );
        };
        let now = self.now_ms();
        let mut sessions = self.pam_state.oauth.sessions.lock().expect("pam lock");
        let Some(session) = sessions.get_mut(id).filter(|s| s.consumer == caller) else {
            return api_error(404, "authorization_session_not_found", "no such session");
        };
        if session.status == Status::Pending && session.expires_ms <= now {
            session.status = Status::Expired;
        }
        let mut body = json!({
            "sessionId": session.id,
            "sessionUri": session_uri,
            "sessionStatus": session.status.as_str(),
            "credentialProviderIdentifier": session.provider,
            "consumerType": "application",
            "consumerId": session.consumer,
            "creatorType": "application",
            "creatorId": session.consumer,
            "expirationTime": session.expires_ms,
        });
        match session.status {
            Status::Pending => body["authorizationUrl"] = json!(session.authorization_url),
            Status::Completed => body["authenticationTokenId"] = json!(session.token_id),
            Status::Failed => {
                if let Some((code, description)) = &session.error {
                    body["errorCode"] = json!(code);
                    body["errorDescription"] = json!(description);
                }
            }
            Status::Expired => {}
        }
        Reply::json(200, body)
    }

    /// Runs `end` on the pending session `session_id`; false if there is none.
    fn with_pending(&self, session_id: &str, end: impl FnOnce(&mut Session) -> bool) -> bool {
        let mut sessions = self.pam_state.oauth.sessions.lock().expect("pam lock");
        sessions
            .get_mut(session_id)
            .filter(|s| s.status == Status::Pending)
            .is_some_and(end)
    }

    /// The person authorized: the session completes and its token is issued.
    pub(crate) fn complete_session(&self, session_id: &str) -> bool {
        self.with_pending(session_id, |session| self.complete(session))
    }

    fn complete(&self, session: &mut Session) -> bool {
        let Ok(record) =
            self.issue_oauth_token(&session.provider, &session.consumer, &session.scope)
        else {
            return false;
        };
        session.status = Status::Completed;
        session.token_id = Some(record.id.clone());
        self.pam_state
            .oauth
            .grants
            .lock()
            .expect("pam lock")
            .insert(
                (
                    session.provider.clone(),
                    session.consumer.clone(),
                    session.scope.clone(),
                ),
                record.id,
            );
        true
    }

    /// The upstream provider refused (`Some`), or the session ran out (`None`).
    pub(crate) fn end_session(&self, session_id: &str, error: Option<(String, String)>) -> bool {
        self.with_pending(session_id, |session| {
            session.status = if error.is_some() {
                Status::Failed
            } else {
                Status::Expired
            };
            session.error = error;
            true
        })
    }
}
