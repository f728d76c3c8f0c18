//! The authorization request (RFC 6749 §4.1) with PKCE S256 (RFC 7636),
//! `state` and `nonce`.

use std::fmt;

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use url::Url;

use crate::error::Error;
use crate::jose::b64url;

/// A random URL-safe string of `bytes` random bytes (CSPRNG), base64url.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the system CSPRNG is available");
    b64url(&buf)
}

/// A PKCE pair: the secret verifier and its S256 challenge.
#[derive(Clone)]
pub struct Pkce {
    verifier: crate::SecretString,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl Pkce {
    /// A new pair: a 43-character verifier (32 random bytes, base64url) and
    /// `BASE64URL(SHA256(verifier))`.
    pub fn new() -> Self {
        Self::from_verifier(random_token(32))
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref());
        Self {
            verifier: verifier.into(),
            challenge,
        }
    }

    /// `code_verifier`, sent with the code exchange.
    pub fn verifier(&self) -> &crate::SecretString {
        &self.verifier
    }

    /// `code_challenge`, sent in the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// What the client must remember between the redirect and the callback.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    /// The URL to open in the browser.
    pub url: Url,
    /// The `state` to expect back.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE pair.
    pub pkce: Pkce,
    /// The `redirect_uri` (sent again with the code exchange).
    pub redirect_uri: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The `audience` and `resource` parameters sent.
    pub audiences: Vec<String>,
    /// The authorization parameters, in order: those of `url` (after the
    /// endpoint's own query), or, once pushed (RFC 9126), those the
    /// provider holds behind the `request_uri`.
    pub params: Vec<(String, String)>,
}

/// An authorization request.
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthorizationRequest {
    endpoint: String,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    extra: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// A request to `authorization_endpoint` for `client_id`, returning to `redirect_uri`.
    pub fn new(
        authorization_endpoint: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: authorization_endpoint.into(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scopes: vec!["openid".into()],
            extra: Vec::new(),
        }
    }

    /// The scopes (default `openid`).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Any extra parameter: `prompt`, `login_hint`, `audience`, `resource`, …
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Builds the URL with fresh `state`, `nonce` and PKCE S256.
    pub fn build(self) -> Result<PendingAuthorization, Error> {
        let mut url = Url::parse(&self.endpoint).map_err(|source| Error::InvalidUrl {
            what: "authorization endpoint",
            url: self.endpoint.clone(),
            source,
        })?;
        let state = random_token(32);
        let nonce = random_token(32);
        let pkce = Pkce::new();
        let mut params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scopes.join(" ")),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", "S256"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.extend(self.extra.iter().cloned());
        url.query_pairs_mut().extend_pairs(&params);
        let audiences = self
            .extra
            .iter()
            .filter(|(k, _)| names_an_audience(k))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(PendingAuthorization {
            url,
            state,
            nonce,
            pkce,
            redirect_uri: self.redirect_uri,
            scopes: self.scopes,
            audiences,
            params,
        })
    }
}

/// Whether an authorization parameter names an audience of the tokens
/// (`audience`, or an RFC 8707 `resource`): part of their store key.
pub(crate) fn names_an_audience(param: &str) -> bool {
    param == "audience" || param == "resource"
}

/// Constant-time comparison of a returned `state` with the expected one.
pub fn state_matches(expected: &str, returned: &str) -> bool {
    idaas_core::secret::constant_time_eq(expected.as_bytes(), returned.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let fresh = Pkce::new();
        assert_eq!(fresh.verifier().expose_secret().len(), 43);
        assert!(!format!("{fresh:?}").contains(fresh.verifier().expose_secret()));
    }

    #[test]
    fn authorization_url_carries_every_parameter() {
        let pending = AuthorizationRequest::new(
            "https://idp.example.com/authorize?x=1",
            "app",
            "http://127.0.0.1:8400/callback",
        )
        .scopes(["openid", "profile", "offline_access"])
        .param("prompt", "consent")
        .param("login_hint", "a@b.c")
        .param("resource", "https://api.example.com")
        .build()
        .unwrap();
        let pairs: std::collections::HashMap<_, _> =
            pending.url.query_pairs().into_owned().collect();
        assert_eq!(pairs["x"], "1");
        // the parameters as sent (what a pushed request carries), after the endpoint's own
        let sent: Vec<(String, String)> = pending.url.query_pairs().into_owned().skip(1).collect();
        assert_eq!(sent, pending.params);
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["scope"], "openid profile offline_access");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["code_challenge"], pending.pkce.challenge());
        assert_eq!(pairs["state"], pending.state);
        assert_eq!(pairs["nonce"], pending.nonce);
        assert_eq!(pairs["prompt"], "consent");
        assert_eq!(pairs["resource"], "https://api.example.com");
        // what the tokens will be stored under
        assert_eq!(pending.scopes, ["openid", "profile", "offline_access"]);
        assert_eq!(pending.audiences, ["https://api.example.com"]);
        assert!(pending.state.len() >= 43 && pending.nonce != pending.state);
        assert!(state_matches(&pending.state, &pending.state.clone()));
        assert!(!state_matches(&pending.state, "other"));
    }
}
