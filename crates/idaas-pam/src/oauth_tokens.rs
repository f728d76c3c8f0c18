//! OAuth authentication tokens: fetched from a credential
//! provider, machine-to-machine or after a person authorizes (user
//! federation), with the authorization session polled until it completes.

use std::future::Future;
use std::time::{Duration, Instant};

use idaas_core::SecretString;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::oauth_model::{
    AuthorizationFlow, AuthorizationSession, FetchOAuthToken, MAX_SCOPE_LEN,
    OAuthAuthenticationToken, PollOptions, SessionStatus,
};
use crate::transport::{PamClient, parse, require};

const FETCH_PHRASE: &str = "fetch OAuth authentication token";
const FETCH_ACTION: &str = "FetchOAuthAuthenticationToken";
const FETCH_PATH: &str = "/authenticationTokens/_/actions/fetchOAuthAccessToken";

/// A scope the API would take: not blank, at most [`MAX_SCOPE_LEN`] characters.
pub(crate) fn check_scope(scope: Option<&str>) -> Result<(), Error> {
    let Some(scope) = scope else { return Ok(()) };
    if scope.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "scope must not be blank; leave it out for the provider's configured scope".into(),
        ));
    }
    let length = scope.chars().count();
    if length > MAX_SCOPE_LEN {
        return Err(Error::InvalidArgument(format!(
            "scope is {length} characters long; the API takes at most {MAX_SCOPE_LEN}"
        )));
    }
    Ok(())
}

fn check_request(request: &FetchOAuthToken) -> Result<(), Error> {
    require(
        &request.credential_provider_identifier,
        "credential_provider_identifier",
    )?;
    check_scope(request.scope.as_deref())?;
    if let Some(parameters) = &request.custom_parameters
        && parameters.keys().any(|k| k.trim().is_empty())
    {
        return Err(Error::InvalidArgument(
            "custom_parameters must not have an empty name".into(),
        ));
    }
    Ok(())
}

/// The body, keys in the API's (alphabetical) order, nulls left out.
fn fetch_body(request: &FetchOAuthToken, force_authentication: Option<bool>) -> Value {
    let mut body = Map::new();
    body.insert(
        "credentialProviderIdentifier".into(),
        json!(request.credential_provider_identifier),
    );
    if let Some(parameters) = &request.custom_parameters {
        body.insert("customParameters".into(), json!(parameters));
    }
    if let Some(force) = force_authentication {
        body.insert("forceAuthentication".into(), json!(force));
    }
    if let Some(scope) = &request.scope {
        body.insert("scope".into(), json!(scope));
    }
    Value::Object(body)
}

impl PamClient {
    async fn fetch(&self, body: Value) -> Result<Map<String, Value>, Error> {
        self.post((FETCH_PHRASE, FETCH_ACTION), FETCH_PATH, body, true)
            .await
    }

    /// `FetchOAuthAuthenticationToken`, first version: the access token
    /// value only, or `None` if the answer has none (for instance a provider
    /// that needs a person to authorize first).
    #[deprecated(
        since = "0.1.0",
        note = "use fetch_oauth_authentication_token_v2, which checks the flow and returns the authorization session"
    )]
    pub async fn fetch_oauth_authentication_token(
        &self,
        credential_provider_identifier: &str,
        scope: Option<&str>,
    ) -> Result<Option<SecretString>, Error> {
        require(
            credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        check_scope(scope)?;
        tracing::warn!(
            "fetch_oauth_authentication_token is deprecated; use fetch_oauth_authentication_token_v2"
        );
        let mut body = json!({"credentialProviderIdentifier": credential_provider_identifier});
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        let map = self.fetch(body).await?;
        let token: OAuthAuthenticationToken = parse(FETCH_PHRASE, map)?;
        Ok(token
            .oauth_access_token_content
            .map(|c| c.access_token_value))
    }

    /// `FetchOAuthAuthenticationToken`: an access token from a credential
    /// provider, or the authorization session a person must complete first.
    ///
    /// The flow is not sent; if it is [`AuthorizationFlow::M2m`] and the
    /// provider needs a person, the answer is
    /// [`Error::Authorization`] `authorization_flow_mismatch`.
    pub async fn fetch_oauth_authentication_token_v2(
        &self,
        request: &FetchOAuthToken,
    ) -> Result<OAuthAuthenticationToken, Error> {
        check_request(request)?;
        let map = self
            .fetch(fetch_body(request, request.force_authentication))
            .await?;
        let token: OAuthAuthenticationToken = parse(FETCH_PHRASE, map)?;
        if request.authorization_flow == AuthorizationFlow::M2m && token.has_authorization_session()
        {
            return Err(Error::authorization(
                "authorization_flow_mismatch",
                format!(
                    "authorization_flow 'm2m' does not match the credential provider {:?}, which \
                     requires user authorization: use user_federation",
                    request.credential_provider_identifier
                ),
            ));
        }
        Ok(token)
    }

    /// `GetOAuthAuthorizationSession`: where a user-federation authorization stands.
    pub async fn oauth_authorization_session(
        &self,
        session_uri: &str,
    ) -> Result<AuthorizationSession, Error> {
        require(session_uri, "session_uri")?;
        let phrase = "get OAuth authorization session";
        let map = self
            .post(
                (phrase, "GetOAuthAuthorizationSession"),
                "/oauthAuthorizationSessions/_/actions/get",
                json!({"sessionUri": session_uri}),
                true,
            )
            .await?;
        parse(phrase, map)
    }

    /// User federation end to end: fetch; if a person must authorize, hand
    /// the authorization URL to `on_authorization_url` (open a browser,
    /// print it), poll the session every `options.interval` until it
    /// completes, then fetch the token. Sleeps with tokio's timer; see
    /// [`Self::poll_oauth_authentication_token_with_sleep`] to choose.
    pub async fn poll_oauth_authentication_token<C>(
        &self,
        request: &FetchOAuthToken,
        on_authorization_url: C,
        options: PollOptions,
    ) -> Result<OAuthAuthenticationToken, Error>
    where
        C: FnOnce(&str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send,
    {
        self.poll_oauth_authentication_token_with_sleep(
            request,
            on_authorization_url,
            options,
            tokio::time::sleep,
        )
        .await
    }

    /// [`Self::poll_oauth_authentication_token`] sleeping with `sleep`
    /// between polls. Polling ends with [`Error::Authorization`]:
    /// `polling_timeout` (after `max_retries` polls, or when the next poll
    /// would start after `timeout`), `authorization_session_expired`, or the
    /// failed session's code (`authorization_failed` if it gave none).
    pub async fn poll_oauth_authentication_token_with_sleep<C, S, F>(
        &self,
        request: &FetchOAuthToken,
        on_authorization_url: C,
        options: PollOptions,
        sleep: S,
    ) -> Result<OAuthAuthenticationToken, Error>
    where
        C: FnOnce(&str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send,
        S: Fn(Duration) -> F + Send + Sync,
        F: Future<Output = ()> + Send,
    {
        let request = FetchOAuthToken {
            authorization_flow: AuthorizationFlow::UserFederation,
            ..request.clone()
        };
        let first = self.fetch_oauth_authentication_token_v2(&request).await?;
        if first.has_access_token_content() {
            return Ok(first);
        }
        let (session_uri, authorization_url) = first
            .oauth_authorization_session
            .as_ref()
            .and_then(|s| Some((s.session_uri.clone()?, s.authorization_url.clone()?)))
            .ok_or_else(|| Error::InvalidResponse {
                operation: FETCH_PHRASE,
                reason: "neither an access token nor an authorization session with a \
                         sessionUri and an authorizationUrl"
                    .into(),
            })?;
        on_authorization_url(&authorization_url).map_err(Error::Callback)?;
        self.wait_for_session(&session_uri, options, sleep).await?;
        // the person has authorized: fetch again, without forcing a new authorization
        let request = FetchOAuthToken {
            force_authentication: None,
            ..request
        };
        let map = self.fetch(fetch_body(&request, None)).await?;
        let token: OAuthAuthenticationToken = parse(FETCH_PHRASE, map)?;
        if !token.has_access_token_content() {
            return Err(Error::InvalidResponse {
                operation: FETCH_PHRASE,
                reason: "the authorization session completed but no access token was returned"
                    .into(),
            });
        }
        Ok(token)
    }

    async fn wait_for_session<S, F>(
        &self,
        session_uri: &str,
        options: PollOptions,
        sleep: S,
    ) -> Result<(), Error>
    where
        S: Fn(Duration) -> F + Send + Sync,
        F: Future<Output = ()> + Send,
    {
        let started = Instant::now();
        // time spent: the real clock, or the sleeps if an injected sleep is faster
        let mut slept = Duration::ZERO;
        for _ in 0..options.max_retries {
            if started.elapsed().max(slept) + options.interval > options.timeout {
                return Err(Error::authorization(
                    "polling_timeout",
                    format!(
                        "polling for OAuth authorization timed out after {} seconds; start again",
                        options.timeout.as_secs()
                    ),
                ));
            }
            sleep(options.interval).await;
            slept += options.interval;
            let session = self.oauth_authorization_session(session_uri).await?;
            match session.session_status {
                Some(SessionStatus::Completed) => return Ok(()),
                Some(SessionStatus::Failed) => {
                    return Err(Error::authorization(
                        session
                            .error_code
                            .unwrap_or_else(|| "authorization_failed".into()),
                        session
                            .error_description
                            .unwrap_or_else(|| "OAuth authorization failed".into()),
                    ));
                }
                Some(SessionStatus::Expired) => {
                    return Err(Error::authorization(
                        "authorization_session_expired",
                        "the OAuth authorization session has expired; start again",
                    ));
                }
                _ => {}
            }
        }
        Err(Error::authorization(
            "polling_timeout",
            format!(
                "polling for OAuth authorization timed out after {} retries; start again",
                options.max_retries
            ),
        ))
    }
}
