//! The PAM developer API (2022-02-25) with in-memory state: API keys, JWT
//! credential providers and the authentication tokens they issue, OAuth
//! credential providers ([`oauth_tokens`]) and cloud-account roles
//! ([`sts`]). Callers are authorised by bearer tokens of this emulator
//! carrying the PAM scope.

pub(crate) mod oauth_tokens;
pub(crate) mod sts;

use std::collections::HashMap;
use std::sync::Mutex;

use idaas_oauth::jose::{JwtHeader, Validation, sign_jwt, verify_jwt};
use serde_json::{Map, Value, json};

use crate::server::{Reply, State};

/// The scope a caller's token needs.
pub(crate) const PAM_SCOPE: &str = "urn:cloud:idaas:pam|.all";
/// The narrower scope that is enough for cloud-role credentials.
pub(crate) const STS_SCOPE: &str = "urn:cloud:idaas:pam|cloud_account:obtain_access_credential";

#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub(crate) id: String,
    /// `jwt` or `oauth_access_token`.
    pub(crate) kind: &'static str,
    pub(crate) provider: String,
    pub(crate) consumer_id: String,
    /// The JWT, or the OAuth access token (also a JWT of this emulator).
    pub(crate) jwt: String,
    pub(crate) short: Option<String>,
    pub(crate) revoked: bool,
    pub(crate) created_ms: u64,
    pub(crate) expires_ms: u64,
}

#[derive(Debug, Default)]
pub(crate) struct PamState {
    pub api_keys: Mutex<HashMap<String, String>>,
    /// Credentials of type `oauth_client`: (client id, client secret).
    pub oauth_clients: Mutex<HashMap<String, (String, String)>>,
    pub providers: Mutex<HashMap<String, String>>,
    pub(crate) tokens: Mutex<Vec<TokenRecord>>,
    pub(crate) oauth: oauth_tokens::OAuthState,
    pub(crate) roles: Mutex<HashMap<String, sts::CloudAccountRole>>,
}

pub(crate) fn api_error(status: u16, code: &str, description: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": code, "error_description": description, "request_id": uuid::Uuid::new_v4().to_string()}),
    )
}

/// `credentialProviderIdentifier` of a request body (empty if absent).
pub(crate) fn provider_identifier(body: &Map<String, Value>) -> &str {
    body.get("credentialProviderIdentifier")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub(crate) fn provider_not_found() -> Reply {
    api_error(
        404,
        "credential_provider_not_found",
        "no such credential provider",
    )
}

fn ok_empty() -> Reply {
    Reply::json(200, json!({}))
}

impl State {
    /// Routes `/v2/{instance}/…`; `None` if the path is not the PAM API's.
    pub(crate) fn pam(
        &self,
        method: &str,
        path: &str,
        query: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Option<Reply> {
        let rest = path.strip_prefix("/v2/")?;
        let (_instance, op) = rest.split_once('/')?;
        let op = format!("/{op}");
        let body: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
        let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let params: HashMap<String, String> =
            idaas_oauth::form::decode(query).into_iter().collect();
        let public = matches!(
            op.as_str(),
            "/authenticationTokens/_/actions/validate"
                | "/authenticationTokens/_/actions/obtainJwtByDerivedShortToken"
        );
        let scopes: &[&str] = if op == "/cloudAccountRoles/_/actions/obtainAccessCredential" {
            &[PAM_SCOPE, STS_SCOPE]
        } else {
            &[PAM_SCOPE]
        };
        let caller = if public {
            String::new()
        } else {
            match self.pam_caller(authorization, scopes) {
                Ok(caller) => caller,
                Err(reply) => return Some(reply),
            }
        };
        Some(match (method, op.as_str()) {
            ("POST", "/authenticationTokens/_/actions/fetchOAuthAccessToken") => {
                self.fetch_oauth_token(&caller, &body)
            }
            ("POST", "/oauthAuthorizationSessions/_/actions/get") => {
                self.get_authorization_session(&caller, &text("sessionUri"))
            }
            ("GET", "/cloudAccountRoles/_/actions/obtainAccessCredential") => {
                self.obtain_role_credential(&params)
            }
            ("GET", "/credentials/_/actions/obtain") => {
                self.obtain_credential(params.get("credentialIdentifier"))
            }
            ("POST", "/authenticationTokens/_/actions/generateJwt") => self.generate_jwt(&body),
            ("POST", "/authenticationTokens/_/actions/obtainJwt") => {
                let (id, consumer) = (text("authenticationTokenId"), text("consumerId"));
                self.find_token(|t| t.kind == "jwt" && t.id == id && t.consumer_id == consumer)
            }
            ("POST", "/authenticationTokens/_/actions/obtainJwtByDerivedShortToken") => {
                let short = text("derivedShortToken");
                self.find_token(|t| t.kind == "jwt" && t.short.as_deref() == Some(short.as_str()))
            }
            ("GET", "/authenticationTokens") => self.list_tokens(&params),
            ("POST", "/authenticationTokens/_/actions/validate") => {
                self.validate_token(&text("token"))
            }
            ("POST", "/authenticationTokens/_/actions/revoke") => {
                self.set_revoked_by_token(&text("token"), true)
            }
            ("POST", "/authenticationTokens/_/actions/reinstate") => {
                self.set_revoked_by_token(&text("token"), false)
            }
            ("POST", "/authenticationTokens/_/actions/revokeByConsumer") => self
                .set_revoked_by_consumer(
                    &text("consumerId"),
                    &text("credentialProviderIdentifier"),
                    true,
                ),
            ("POST", "/authenticationTokens/_/actions/reinstateByConsumer") => self
                .set_revoked_by_consumer(
                    &text("consumerId"),
                    &text("credentialProviderIdentifier"),
                    false,
                ),
            _ => api_error(404, "not_found", &format!("{method} {op} is not emulated")),
        })
    }

    /// The caller: a token of this emulator with one of `scopes`.
    fn pam_caller(&self, authorization: Option<&str>, scopes: &[&str]) -> Result<String, Reply> {
        let token = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .ok_or_else(|| api_error(401, "invalid_token", "a bearer token is required"))?;
        let validation = Validation {
            issuer: Some(self.base_url.clone()),
            ..Validation::default()
        };
        let claims = verify_jwt(
            token,
            &[self.verifying_key()],
            &validation,
            self.clock.now(),
        )
        .map_err(|e| api_error(401, "invalid_token", &format!("bearer token rejected: {e}")))?;
        // a valid token of another audience or scope is refused, not unknown
        let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
        let audience_ok = claims.get("aud").and_then(Value::as_str) == Some("urn:cloud:idaas:pam");
        if !audience_ok || !scope.split_whitespace().any(|s| scopes.contains(&s)) {
            return Err(api_error(
                403,
                "insufficient_scope",
                &format!("the token lacks {}", scopes.join(" or ")),
            ));
        }
        Ok(claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned())
    }

    fn obtain_credential(&self, identifier: Option<&String>) -> Reply {
        let Some(identifier) = identifier else {
            return api_error(400, "invalid_parameter", "credentialIdentifier is required");
        };
        let key = self
            .pam_state
            .api_keys
            .lock()
            .expect("pam lock")
            .get(identifier)
            .cloned();
        let client = self
            .pam_state
            .oauth_clients
            .lock()
            .expect("pam lock")
            .get(identifier)
            .cloned();
        let (kind, content) = match (key, client) {
            (Some(key), _) => ("api_key", json!({"apiKeyContent": {"apiKey": key}})),
            (None, Some((id, secret))) => (
                "oauth_client",
                json!({"oauthClientContent": {"clientId": id, "clientSecret": secret}}),
            ),
            (None, None) => {
                return api_error(404, "credential_not_found", "no such credential");
            }
        };
        Reply::json(
            200,
            json!({
                "credentialIdentifier": identifier,
                "credentialType": kind,
                "credentialScenarioLabel": "llm",
                "credentialCreationType": "user_custom",
                "status": "enabled",
                "credentialContent": content,
            }),
        )
    }

    /// Signs `claims` with the emulator's key (its `kid` in the header).
    pub(crate) fn sign_claims(&self, typ: &str, claims: &Value) -> Result<String, String> {
        let header = JwtHeader {
            typ: Some(typ.into()),
            kid: self.verifying_key().kid().map(str::to_owned),
            ..JwtHeader::default()
        };
        sign_jwt(&self.signing_key, &header, claims).map_err(|e| e.to_string())
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now().as_millis() as u64
    }

    pub(crate) fn record_json(&self, t: &TokenRecord, with_jwt: bool) -> Value {
        let mut v = json!({
            "authenticationTokenId": t.id,
            "credentialProviderId": t.provider,
            "authenticationTokenType": t.kind,
            "revoked": t.revoked,
            "creatorType": "application",
            "consumerType": if t.kind == "jwt" { "custom" } else { "application" },
            "consumerId": t.consumer_id,
            "createTime": t.created_ms,
            "updateTime": t.created_ms,
            "expirationTime": t.expires_ms,
        });
        if with_jwt && t.kind == "jwt" {
            let mut content = json!({"jwtValue": t.jwt});
            if let Some(short) = &t.short {
                content["derivedShortToken"] = json!(short);
            }
            v["jwtContent"] = content;
        }
        v
    }

    fn generate_jwt(&self, body: &Map<String, Value>) -> Reply {
        let provider = provider_identifier(body);
        let Some(default_issuer) = self
            .pam_state
            .providers
            .lock()
            .expect("pam lock")
            .get(provider)
            .cloned()
        else {
            return provider_not_found();
        };
        let subject = body.get("subject").and_then(Value::as_str).unwrap_or("");
        let audiences: Vec<&str> = body
            .get("audiences")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if subject.is_empty() || audiences.is_empty() {
            return api_error(
                400,
                "invalid_parameter",
                "subject and audiences are required",
            );
        }
        if audiences.iter().any(|a| a.starts_with("urn:cloud:idaas")) {
            return api_error(400, "invalid_parameter", "reserved audience prefix");
        }
        let lifetime = body
            .get("expiration")
            .and_then(Value::as_u64)
            .unwrap_or(3600);
        let now = self.clock.now().as_secs();
        let id = format!("at_{}", idaas_oauth::authorize::random_token(12));
        let mut claims = body
            .get("customClaims")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in [
            (
                "iss",
                json!(
                    body.get("issuer")
                        .and_then(Value::as_str)
                        .unwrap_or(&default_issuer)
                ),
            ),
            ("sub", json!(subject)),
            ("aud", json!(audiences)),
            ("iat", json!(now)),
            ("exp", json!(now + lifetime)),
            ("jti", json!(id)),
        ] {
            claims.insert(k.into(), v);
        }
        let jwt = match self.sign_claims("JWT", &Value::Object(claims)) {
            Ok(j) => j,
            Err(e) => return api_error(500, "internal_error", &e),
        };
        let include_short = body
            .get("includeDerivedShortToken")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let record = TokenRecord {
            id,
            kind: "jwt",
            provider: provider.to_owned(),
            consumer_id: subject.to_owned(),
            jwt,
            short: include_short
                .then(|| format!("st_{}", idaas_oauth::authorize::random_token(18))),
            revoked: false,
            created_ms: self.now_ms(),
            expires_ms: (now + lifetime) * 1000,
        };
        let reply = Reply::json(200, self.record_json(&record, true));
        self.pam_state.tokens.lock().expect("pam lock").push(record);
        reply
    }

    fn find_token(&self, matches: impl Fn(&TokenRecord) -> bool) -> Reply {
        let tokens = self.pam_state.tokens.lock().expect("pam lock");
        match tokens.iter().find(|t| matches(t)) {
            Some(t) => Reply::json(200, self.record_json(t, true)),
            None => api_error(404, "authentication_token_not_found", "no such token"),
        }
    }

    fn list_tokens(&self, params: &HashMap<String, String>) -> Reply {
        let get = |k: &str| params.get(k).map(String::as_str);
        let (Some(consumer), Some(provider)) =
            (get("consumerId"), get("credentialProviderIdentifier"))
        else {
            return api_error(
                400,
                "invalid_parameter",
                "consumerId and credentialProviderIdentifier are required",
            );
        };
        let flag = |k: &str| get(k).map(|v| v.eq_ignore_ascii_case("true"));
        let (revoked, expired) = (flag("revoked"), flag("expired"));
        let max = get("maxResults")
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(20)
            .clamp(1, 100);
        let start = get("nextToken")
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(0);
        let now = self.now_ms();
        let tokens = self.pam_state.tokens.lock().expect("pam lock");
        let matching: Vec<&TokenRecord> = tokens
            .iter()
            .filter(|t| t.consumer_id == consumer && t.provider == provider)
            .filter(|t| revoked.is_none_or(|r| t.revoked == r))
            .filter(|t| expired.is_none_or(|e| (t.expires_ms <= now) == e))
            .collect();
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(max)
            .map(|t| self.record_json(t, false))
            .collect();
        let mut body = json!({"entities": page, "totalCount": matching.len(), "maxResults": max});
        if start + max < matching.len() {
            body["nextToken"] = json!((start + max).to_string());
        }
        Reply::json(200, body)
    }

    fn validate_token(&self, token: &str) -> Reply {
        let now = self.now_ms();
        let tokens = self.pam_state.tokens.lock().expect("pam lock");
        let active = tokens
            .iter()
            .find(|t| t.jwt == token || t.short.as_deref() == Some(token))
            .is_some_and(|t| !t.revoked && t.expires_ms > now);
        Reply::json(200, json!({"active": active}))
    }

    fn set_revoked_by_token(&self, token: &str, revoked: bool) -> Reply {
        let mut tokens = self.pam_state.tokens.lock().expect("pam lock");
        match tokens
            .iter_mut()
            .find(|t| t.jwt == token || t.short.as_deref() == Some(token))
        {
            Some(t) => {
                t.revoked = revoked;
                ok_empty()
            }
            None => api_error(404, "authentication_token_not_found", "no such token"),
        }
    }

    fn set_revoked_by_consumer(&self, consumer: &str, provider: &str, revoked: bool) -> Reply {
        let mut tokens = self.pam_state.tokens.lock().expect("pam lock");
        for t in tokens
            .iter_mut()
            .filter(|t| t.consumer_id == consumer && t.provider == provider)
        {
            t.revoked = revoked;
        }
        ok_empty()
    }
}
