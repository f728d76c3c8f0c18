//! The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2): `GET
//! /oauth2/authorize` checks the client and its redirect URI and shows a
//! login page (pick or enter a demo user, approve or deny); `POST
//! /oauth2/authorize` sends the browser back to the redirect URI with
//! `code`, `state` and `iss` (RFC 9207), or `error=access_denied`.
//!
//! PKCE S256 is required. Until the client and redirect URI are known good
//! errors are shown on the page, never redirected (RFC 6749 §4.1.2.1).
//! CSRF: each page carries its own random request id, bound to that one
//! authorization request and answered once; a POST whose `Origin` is another
//! site is refused; the page cannot be framed.

use std::collections::HashMap;
use std::sync::Mutex;

use http::HeaderMap;

use crate::html::{escape, page, query_value, same_origin};
use crate::server::{Reply, State};

/// How long the login page of one request stays answerable, seconds.
const REQUEST_LIFETIME: u64 = 600;
/// How long an authorization code lives, seconds.
pub(crate) const CODE_LIFETIME: u64 = 60;

/// An authorization request waiting for the person.
#[derive(Debug, Clone)]
struct PendingLogin {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    expires_at: u64,
}

/// Who signed in, when, and the `nonce` their client sent.
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    pub sub: String,
    pub nonce: Option<String>,
    pub auth_time: u64,
}

/// An issued authorization code, bound to its client, redirect URI and
/// PKCE challenge.
#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub sign_in: SignIn,
    pub expires_at: u64,
}

/// Pending login pages by request id, issued codes by code.
#[derive(Debug, Default)]
pub(crate) struct SignIns {
    pending: Mutex<HashMap<String, PendingLogin>>,
    codes: Mutex<HashMap<String, IssuedCode>>,
}

impl SignIns {
    /// Takes `code` out (a code is good for one attempt, whatever its outcome).
    pub(crate) fn redeem(&self, code: &str) -> Option<IssuedCode> {
        self.codes.lock().expect("codes lock").remove(code)
    }
}

/// `redirect_uri` with the response parameters added to its query.
fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> Reply {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            Reply::redirect(url.to_string())
        }
        Err(_) => page(
            400,
            "Bad redirect URI",
            "<p>The redirect URI does not parse.</p>",
        ),
    }
}

impl State {
    fn error_redirect(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        error: &str,
        description: &str,
    ) -> Reply {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", &self.base_url));
        redirect_to(redirect_uri, &params)
    }

    /// `GET /oauth2/authorize?…`: the login page, or an error.
    pub(crate) fn login_page(&self, query: &str) -> Reply {
        let get = |name: &str| query_value(query, name).filter(|v| !v.is_empty());
        let Some(client) = get("client_id").and_then(|id| self.client(&id)) else {
            return page(
                400,
                "Unknown client",
                "<p>No client with this <code>client_id</code> is registered here.</p>",
            );
        };
        let Some(redirect_uri) = get("redirect_uri").filter(|r| client.allows_redirect(r)) else {
            return page(
                400,
                "Redirect URI not registered",
                &format!(
                    "<p>The <code>redirect_uri</code> is missing or not registered for client <code>{}</code>.</p>",
                    escape(&client.id)
                ),
            );
        };
        let state = get("state");
        let refuse = |error: &str, description: &str| {
            self.error_redirect(&redirect_uri, state.as_deref(), error, description)
        };
        if get("request").is_some() {
            return refuse("request_not_supported", "request objects are not emulated");
        }
        if get("request_uri").is_some() {
            return refuse("request_uri_not_supported", "request_uri is not emulated");
        }
        if get("response_type").as_deref() != Some("code") {
            return refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
        if get("response_mode").is_some_and(|m| m != "query") {
            return refuse("invalid_request", "only response_mode=query is supported");
        }
        let Some(code_challenge) = get("code_challenge") else {
            return refuse(
                "invalid_request",
                "PKCE is required: code_challenge is missing",
            );
        };
        if get("code_challenge_method").as_deref() != Some("S256") {
            return refuse("invalid_request", "code_challenge_method must be S256");
        }
        let scope = get("scope").unwrap_or_default();
        let id = idaas_oauth::authorize::random_token(32);
        let pending = PendingLogin {
            client_id: client.id.clone(),
            redirect_uri,
            scope,
            state,
            nonce: get("nonce"),
            code_challenge,
            expires_at: self.clock.now().as_secs() + REQUEST_LIFETIME,
        };
        let reply = self.render_login(&id, &pending, None);
        let mut all = self.sign_ins.pending.lock().expect("pending lock");
        let now = self.clock.now().as_secs();
        all.retain(|_, p| p.expires_at > now);
        all.insert(id, pending);
        reply
    }

    fn render_login(&self, id: &str, pending: &PendingLogin, problem: Option<&str>) -> Reply {
        let users: String = self
            .users
            .iter()
            .map(|u| {
                format!(
                    "<option value=\"{}\">{}</option>",
                    escape(&u.sub),
                    escape(u.name.as_deref().unwrap_or(&u.sub))
                )
            })
            .collect();
        let first = self.users.first().map(|u| u.sub.as_str()).unwrap_or("");
        let problem = problem
            .map(|p| format!("<p id=\"problem\"><strong>{}</strong></p>", escape(p)))
            .unwrap_or_default();
        let origin = url::Url::parse(&pending.redirect_uri)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        page(
            200,
            "Sign in",
            &format!(
                "<p><code>{}</code> asks to sign you in (scope <code>{}</code>) and will get you back to <code>{}</code>.</p>{problem}\
                 <form method=\"post\" action=\"/oauth2/authorize\">\
                 <input type=\"hidden\" name=\"request\" value=\"{}\">\
                 <p><label>Demo user <input id=\"login\" name=\"login\" value=\"{}\" list=\"users\" \
                 autocomplete=\"off\"></label><datalist id=\"users\">{users}</datalist></p>\
                 <button id=\"approve\" name=\"decision\" value=\"approve\">Sign in and allow</button>\
                 <button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form>",
                escape(&pending.client_id),
                escape(&pending.scope),
                escape(&pending.redirect_uri),
                escape(id),
                escape(first),
            ),
        )
        .with_form_target(origin)
    }

    /// `POST /oauth2/authorize`: the person's answer to one login page.
    pub(crate) fn login_decision(&self, headers: &HeaderMap, body: &str) -> Reply {
        if let Err(refused) = same_origin(headers, &self.base_url) {
            return refused;
        }
        let field = |name: &str| query_value(body, name).unwrap_or_default();
        let id = field("request");
        let now = self.clock.now().as_secs();
        let mut all = self.sign_ins.pending.lock().expect("pending lock");
        let Some(pending) = all.get(&id).filter(|p| p.expires_at > now).cloned() else {
            return page(
                400,
                "Unknown sign-in request",
                "<p>This sign-in request is unknown, expired or already answered: start again from the application.</p>",
            );
        };
        let state = pending.state.as_deref();
        match field("decision").as_str() {
            "deny" => {
                all.remove(&id);
                self.error_redirect(
                    &pending.redirect_uri,
                    state,
                    "access_denied",
                    "the user denied the sign-in",
                )
            }
            "approve" => {
                let login = field("login");
                let login = login.trim();
                if !self.users.iter().any(|u| u.sub == login) {
                    let known: Vec<&str> = self.users.iter().map(|u| u.sub.as_str()).collect();
                    return self.render_login(
                        &id,
                        &pending,
                        Some(&format!(
                            "No demo user {login}; choose one of: {}",
                            known.join(", ")
                        )),
                    );
                }
                all.remove(&id);
                drop(all);
                let code = idaas_oauth::authorize::random_token(32);
                self.sign_ins.codes.lock().expect("codes lock").insert(
                    code.clone(),
                    IssuedCode {
                        client_id: pending.client_id.clone(),
                        redirect_uri: pending.redirect_uri.clone(),
                        scope: pending.scope.clone(),
                        code_challenge: pending.code_challenge.clone(),
                        sign_in: SignIn {
                            sub: login.to_owned(),
                            nonce: pending.nonce.clone(),
                            auth_time: now,
                        },
                        expires_at: now + CODE_LIFETIME,
                    },
                );
                let mut params = vec![("code", code.as_str())];
                if let Some(state) = state {
                    params.push(("state", state));
                }
                params.push(("iss", &self.base_url));
                redirect_to(&pending.redirect_uri, &params)
            }
            other => page(
                400,
                "Unknown decision",
                &format!(
                    "<p>Expected approve or deny, not <code>{}</code>.</p>",
                    escape(other)
                ),
            ),
        }
    }
}
