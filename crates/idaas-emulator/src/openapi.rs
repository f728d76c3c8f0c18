//! Alibaba Cloud OpenAPI `GenerateOauthToken` (EIAM 2021-12-01), verifying
//! the ACS3-HMAC-SHA256 signature with registered AccessKeys. Written from
//! the spec independently of the client's signer, so the two check each other.

use ring::{digest, hmac};
use serde_json::json;

use crate::server::{Reply, State};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    })
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn decode(text: &str) -> String {
    idaas_oauth::form::decode(&format!("x={}", text.replace('+', "%2B")))
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn api_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"Code": code, "Message": message, "RequestId": uuid::Uuid::new_v4().to_string()}),
    )
}

impl State {
    /// Handles `POST /?ApplicationId=…` with `x-acs-action: GenerateOauthToken`.
    pub(crate) fn open_api(&self, query: &str, headers: &http::HeaderMap, body: &[u8]) -> Reply {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        if header("x-acs-action") != "GenerateOauthToken" || header("x-acs-version") != "2021-12-01"
        {
            return api_error(
                400,
                "InvalidAction.NotFound",
                "only GenerateOauthToken 2021-12-01 is emulated",
            );
        }
        let authorization = header("authorization");
        let Some(fields) = authorization.strip_prefix("ACS3-HMAC-SHA256 ") else {
            return api_error(401, "InvalidAuthorization", "expected ACS3-HMAC-SHA256");
        };
        let mut credential = "";
        let mut signed_headers = "";
        let mut signature = "";
        for part in fields.split(',') {
            match part.trim().split_once('=') {
                Some(("Credential", v)) => credential = v,
                Some(("SignedHeaders", v)) => signed_headers = v,
                Some(("Signature", v)) => signature = v,
                _ => {}
            }
        }
        let Some(secret) = self.access_key_secret(credential) else {
            return api_error(404, "InvalidAccessKeyId.NotFound", "unknown AccessKeyId");
        };
        let payload_hash = hex(digest::digest(&digest::SHA256, body).as_ref());
        if header("x-acs-content-sha256") != payload_hash {
            return api_error(
                400,
                "IncompleteSignature",
                "x-acs-content-sha256 does not match the body",
            );
        }
        let mut params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        params.sort();
        let canonical_query = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut canonical_headers = String::new();
        for name in signed_headers.split(';') {
            canonical_headers.push_str(&format!("{name}:{}\n", header(name)));
        }
        let canonical = format!(
            "POST\n/\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
        );
        let to_sign = format!(
            "ACS3-HMAC-SHA256\n{}",
            hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret().as_bytes());
        let expected = hex(hmac::sign(&key, to_sign.as_bytes()).as_ref());
        let required = [
            "host",
            "x-acs-action",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-version",
        ];
        if required
            .iter()
            .any(|h| !signed_headers.split(';').any(|s| s == *h))
        {
            return api_error(
                400,
                "IncompleteSignature",
                "a required header is not signed",
            );
        }
        if !idaas_core::secret::constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return api_error(
                400,
                "SignatureDoesNotMatch",
                "the request signature does not match",
            );
        }
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let (Some(app), Some(audience), Some(_instance)) = (
            param("ApplicationId"),
            param("Audience"),
            param("InstanceId"),
        ) else {
            return api_error(
                400,
                "MissingParameter",
                "ApplicationId, Audience and InstanceId are required",
            );
        };
        if self.client(&app).is_none() {
            return api_error(400, "EntityNotExists.Application", "app missing");
        }
        self.count(&app);
        let values: Vec<String> = (1..)
            .map_while(|i| param(&format!("ScopeValues.{i}")))
            .collect();
        let scope = values
            .iter()
            .map(|v| format!("{audience}|{v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match self.sign_access_token(&app, &audience, &scope) {
            Ok((token, expires_at)) => Reply::json(
                200,
                json!({
                    "RequestId": uuid::Uuid::new_v4().to_string(),
                    "TokenResponse": {
                        "AccessToken": token,
                        "TokenType": "Bearer",
                        "ExpiresIn": self.token_lifetime.as_secs(),
                        "ExpiresAt": expires_at,
                    }
                }),
            ),
            Err(e) => api_error(500, "InternalError", &e),
        }
    }
}
