//! The device authorization grant (RFC 8628): codes, a person's decision
//! (made by the test through [`crate::Emulator`]), and polling answers.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;

use crate::registry::Client;
use crate::server::{Reply, State};
use crate::token_endpoint::oauth_error;

/// Where a device code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    client_id: String,
    user_code: String,
    scope: String,
    decision: Decision,
    slow_down_next: bool,
    expires_at: u64,
}

/// Device grants by device code.
#[derive(Debug, Default)]
pub(crate) struct DeviceGrants(Mutex<HashMap<String, DeviceGrant>>);

/// The interval the emulator asks clients to poll at by default, seconds.
pub(crate) const DEVICE_INTERVAL: u64 = 5;
/// How long device codes live, seconds.
pub(crate) const DEVICE_LIFETIME: u64 = 600;

fn user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let raw = uuid::Uuid::new_v4().to_string();
    let letters: String = raw
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .take(8)
        .map(|b| ALPHABET[(b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

impl State {
    /// `POST /oauth2/device_authorization`.
    pub(crate) fn device_authorization(&self, client: &Client, scope: &str) -> Reply {
        let device_code = idaas_oauth::authorize::random_token(32);
        let user_code = user_code();
        let now = self.clock.now().as_secs();
        self.devices.0.lock().expect("device lock").insert(
            device_code.clone(),
            DeviceGrant {
                client_id: client.id.clone(),
                user_code: user_code.clone(),
                scope: scope.to_owned(),
                decision: Decision::Pending,
                slow_down_next: false,
                expires_at: now + DEVICE_LIFETIME,
            },
        );
        let verification_uri = format!("{}/device", self.base_url);
        Reply::json(
            200,
            json!({
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": verification_uri,
                "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
                "expires_in": DEVICE_LIFETIME,
                "interval": self.device_interval,
            }),
        )
    }

    /// The `device_code` grant at the token endpoint.
    pub(crate) fn device_token(&self, client: &Client, device_code: Option<&str>) -> Reply {
        let Some(device_code) = device_code else {
            return oauth_error(400, "invalid_request", "device_code is missing");
        };
        let now = self.clock.now().as_secs();
        let mut grants = self.devices.0.lock().expect("device lock");
        let Some(grant) = grants
            .get_mut(device_code)
            .filter(|g| g.client_id == client.id)
        else {
            return oauth_error(400, "invalid_grant", "unknown device_code");
        };
        if now >= grant.expires_at {
            return oauth_error(400, "expired_token", "the device code expired");
        }
        if std::mem::take(&mut grant.slow_down_next) {
            return oauth_error(400, "slow_down", "polling too fast");
        }
        match grant.decision {
            Decision::Pending => oauth_error(400, "authorization_pending", "waiting for the user"),
            Decision::Denied => oauth_error(400, "access_denied", "the user denied the request"),
            Decision::Redeemed => {
                oauth_error(400, "invalid_grant", "the device code was already used")
            }
            Decision::Approved => {
                grant.decision = Decision::Redeemed;
                let scope = grant.scope.clone();
                drop(grants);
                self.issue_with_refresh(client, &scope)
            }
        }
    }

    /// Records the person's decision for `user_code`; false if unknown.
    pub(crate) fn decide_device(&self, user_code: &str, decision: Decision) -> bool {
        let mut grants = self.devices.0.lock().expect("device lock");
        match grants.values_mut().find(|g| g.user_code == user_code) {
            Some(grant) => {
                grant.decision = decision;
                true
            }
            None => false,
        }
    }

    /// Records the decision only if `user_code` is still waiting (the
    /// verification page: a used or decided code cannot be decided again).
    pub(crate) fn decide_pending_device(&self, user_code: &str, decision: Decision) -> bool {
        let now = self.clock.now().as_secs();
        let mut grants = self.devices.0.lock().expect("device lock");
        match grants.values_mut().find(|g| {
            g.user_code == user_code && g.decision == Decision::Pending && g.expires_at > now
        }) {
            Some(grant) => {
                grant.decision = decision;
                true
            }
            None => false,
        }
    }

    /// Makes the next poll for `user_code` answer `slow_down`.
    pub(crate) fn slow_down_device(&self, user_code: &str) -> bool {
        let mut grants = self.devices.0.lock().expect("device lock");
        match grants.values_mut().find(|g| g.user_code == user_code) {
            Some(grant) => {
                grant.slow_down_next = true;
                true
            }
            None => false,
        }
    }
}

/// Refresh tokens issued to people, by value.
#[derive(Debug, Default)]
pub(crate) struct RefreshTokens(pub(crate) Mutex<HashMap<String, RefreshGrant>>);

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub scope: String,
    /// The person of an authorization code sign-in (device grants: none,
    /// their tokens are about the client).
    pub sign_in: Option<crate::authorize::SignIn>,
}

impl State {
    /// An access token plus a refresh token (device grants: a person).
    fn issue_with_refresh(&self, client: &Client, scope: &str) -> Reply {
        self.person_tokens(client, scope, None, true, false)
    }

    /// The `refresh_token` grant: rotates the refresh token.
    pub(crate) fn refresh(&self, client: &Client, refresh_token: Option<&str>) -> Reply {
        let Some(token) = refresh_token else {
            return oauth_error(400, "invalid_request", "refresh_token is missing");
        };
        let found = self
            .refresh_tokens
            .0
            .lock()
            .expect("refresh lock")
            .remove(token);
        match found {
            Some(grant) if grant.client_id == client.id => {
                // OIDC Core §12.2: a new ID token, same sub and auth_time, no nonce
                let sign_in = grant
                    .sign_in
                    .map(|s| crate::authorize::SignIn { nonce: None, ..s });
                let id_token = sign_in.is_some();
                self.person_tokens(client, &grant.scope, sign_in.as_ref(), true, id_token)
            }
            _ => oauth_error(400, "invalid_grant", "unknown or used refresh token"),
        }
    }
}
