//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3,
//! PKCE S256 enforced, RFC 7636 §4.6), the tokens of a person (access,
//! refresh, a signed ID token: OIDC Core §2), and the userinfo endpoint
//! (OIDC Core §5.3).

use idaas_oauth::jose::{JwtHeader, Validation, b64url, sign_jwt, verify_jwt};
use ring::digest;
use serde_json::{Value, json};

use crate::authorize::SignIn;
use crate::device::RefreshGrant;
use crate::registry::Client;
use crate::server::{Reply, State};
use crate::token_endpoint::oauth_error;

fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn well_formed_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl State {
    /// `grant_type=authorization_code`: the code must be unused, unexpired,
    /// issued to this client for this `redirect_uri`, and the
    /// `code_verifier` must hash (S256) to its `code_challenge`.
    pub(crate) fn authorization_code(
        &self,
        client: &Client,
        code: Option<&str>,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Reply {
        let Some(code) = code else {
            return oauth_error(400, "invalid_request", "code is missing");
        };
        let Some(issued) = self.sign_ins.redeem(code) else {
            return oauth_error(
                400,
                "invalid_grant",
                "the authorization code is unknown or was already used",
            );
        };
        if issued.client_id != client.id {
            return oauth_error(
                400,
                "invalid_grant",
                "the authorization code was issued to another client",
            );
        }
        if self.clock.now().as_secs() >= issued.expires_at {
            return oauth_error(400, "invalid_grant", "the authorization code expired");
        }
        if redirect_uri != Some(issued.redirect_uri.as_str()) {
            return oauth_error(
                400,
                "invalid_grant",
                "redirect_uri is not the one of the authorization request",
            );
        }
        let Some(verifier) = code_verifier.filter(|v| well_formed_verifier(v)) else {
            return oauth_error(
                400,
                "invalid_grant",
                "code_verifier is missing or malformed (PKCE is required)",
            );
        };
        let challenge = b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref());
        if !idaas_core::secret::constant_time_eq(
            challenge.as_bytes(),
            issued.code_challenge.as_bytes(),
        ) {
            return oauth_error(
                400,
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            );
        }
        self.person_tokens(
            client,
            &issued.scope,
            Some(&issued.sign_in),
            has_scope(&issued.scope, "offline_access"),
            has_scope(&issued.scope, "openid"),
        )
    }

    /// The tokens of a person: an access token about them (about the client
    /// for a device grant, `sign_in` none), a refresh token if `refresh`, an
    /// ID token if `id_token`.
    pub(crate) fn person_tokens(
        &self,
        client: &Client,
        scope: &str,
        sign_in: Option<&SignIn>,
        refresh: bool,
        id_token: bool,
    ) -> Reply {
        let subject = sign_in.map_or(client.id.as_str(), |s| s.sub.as_str());
        let mut reply = self.issue_for(subject, client, Some(scope), None);
        if refresh {
            let token = idaas_oauth::authorize::random_token(32);
            self.refresh_tokens.0.lock().expect("refresh lock").insert(
                token.clone(),
                RefreshGrant {
                    client_id: client.id.clone(),
                    scope: scope.to_owned(),
                    sign_in: sign_in.cloned(),
                },
            );
            reply.add_member("refresh_token", json!(token));
        }
        if id_token && let Some(sign_in) = sign_in {
            match self.sign_id_token(client, scope, sign_in) {
                Ok(token) => reply.add_member("id_token", json!(token)),
                Err(e) => return oauth_error(500, "server_error", e),
            }
        }
        reply
    }

    /// An ID token (OIDC Core §2): `iss`, `aud` = the client, `sub`,
    /// `nonce` when one was sent, `iat`, `exp`, `auth_time`, and the user's
    /// claims the scope allows; ES256 by the key of the JWKS.
    fn sign_id_token(
        &self,
        client: &Client,
        scope: &str,
        sign_in: &SignIn,
    ) -> Result<String, String> {
        let now = self.clock.now().as_secs();
        let mut claims = match self.users.iter().find(|u| u.sub == sign_in.sub) {
            Some(user) => user.claims(scope),
            None => serde_json::Map::from_iter([("sub".to_owned(), json!(sign_in.sub))]),
        };
        claims.insert("iss".into(), json!(self.base_url));
        claims.insert("aud".into(), json!(client.id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + self.token_lifetime.as_secs()));
        claims.insert("auth_time".into(), json!(sign_in.auth_time));
        if let Some(nonce) = &sign_in.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        let header = JwtHeader {
            typ: Some("JWT".into()),
            kid: self.verifying_key().kid().map(str::to_owned),
            ..JwtHeader::default()
        };
        sign_jwt(&self.signing_key, &header, &Value::Object(claims)).map_err(|e| e.to_string())
    }

    /// `GET|POST /oauth2/userinfo` with `Authorization: Bearer` and an
    /// access token of this emulator granted `openid`: the user's claims
    /// the token's scope allows.
    pub(crate) fn userinfo(&self, authorization: Option<&str>) -> Reply {
        let refuse = |description: &str| {
            oauth_error(401, "invalid_token", description).with_header(
                "www-authenticate",
                format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
            )
        };
        let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
            return oauth_error(401, "invalid_request", "a Bearer access token is required")
                .with_header("www-authenticate", "Bearer".into());
        };
        let validation = Validation {
            issuer: Some(self.base_url.clone()),
            audience: Some(self.base_url.clone()),
            ..Validation::default()
        };
        let Ok(claims) = verify_jwt(
            token.trim(),
            &[self.verifying_key()],
            &validation,
            self.clock.now(),
        ) else {
            return refuse("the access token is invalid or expired");
        };
        let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
        if !has_scope(scope, "openid") {
            return refuse("the access token was not granted openid");
        }
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        match self.users.iter().find(|u| u.sub == sub) {
            Some(user) => Reply::json(200, Value::Object(user.claims(scope))),
            None => refuse("the access token is not about a user"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifiers_are_43_to_128_unreserved_characters() {
        assert!(super::well_formed_verifier(&"a".repeat(43)));
        assert!(super::well_formed_verifier(&"-._~9".repeat(26)[..128]));
        assert!(!super::well_formed_verifier(&"a".repeat(42)));
        assert!(!super::well_formed_verifier(&"a".repeat(129)));
        assert!(!super::well_formed_verifier(&format!(
            "{}+",
            "a".repeat(43)
        )));
    }
}
