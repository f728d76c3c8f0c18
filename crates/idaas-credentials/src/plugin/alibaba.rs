//! The Alibaba Cloud OpenAPI plugin (`alibabacloudPluginCredentialProvider`):
//! the token comes from EIAM `GenerateOauthToken` (version 2021-12-01), a
//! `POST` with every parameter in the query string, signed ACS3-HMAC-SHA256
//! with an AccessKey from the environment.
//!
//! Signing follows the reference plugin as its spec describes it; no
//! official test vector was available here, so it is verified against the
//! emulator's independent implementation of the same rules.

use std::sync::Arc;

use async_trait::async_trait;
use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_core::config::{ClientConfig, Environment, ScopeSpec};
use idaas_core::http::{Bytes, HttpRequest, Method, SharedHttpClient};
use idaas_core::token::Credential;
use rand::RngCore;
use ring::{digest, hmac};
use serde_json::Value;

use super::CredentialPlugin;
use crate::error::Error;

/// The plugin's registered name (the reference's entry point).
pub const ALIBABA_PLUGIN_NAME: &str = "alibabacloudPluginCredentialProvider";
/// EIAM API version.
pub(crate) const EIAM_VERSION: &str = "2021-12-01";
/// The action.
pub const GENERATE_OAUTH_TOKEN: &str = "GenerateOauthToken";

const SOURCE: &str = "Alibaba Cloud OpenAPI GenerateOauthToken";

/// An Alibaba Cloud AccessKey (with an STS security token, if temporary).
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// `AccessKeyId`.
    pub id: String,
    /// `AccessKeySecret`.
    pub secret: SecretString,
    /// STS `SecurityToken`.
    pub security_token: Option<SecretString>,
}

impl AccessKey {
    /// From `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
    /// and, if set, `ALIBABA_CLOUD_SECURITY_TOKEN`: the first link of the
    /// Alibaba default credential chain. For the other links (OIDC role, CLI
    /// profile, ECS RAM role) register a plugin of your own under this name.
    pub fn from_env(env: &dyn Environment) -> Result<Self, Error> {
        let id = env.non_blank("ALIBABA_CLOUD_ACCESS_KEY_ID");
        let secret = env.non_blank("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
        match (id, secret) {
            (Some(id), Some(secret)) => Ok(Self {
                id,
                secret: secret.into(),
                security_token: env
                    .non_blank("ALIBABA_CLOUD_SECURITY_TOKEN")
                    .map(SecretString::from),
            }),
            _ => Err(Error::source(
                SOURCE,
                "no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            )),
        }
    }
}

/// Percent-encoding of ACS3: only `A–Z a–z 0–9 - _ . ~` stay literal
/// ([`idaas_core::percent::encode`]).
pub(crate) fn acs_encode(text: &str) -> String {
    idaas_core::percent::encode(text)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Authorization` value for a request: ACS3-HMAC-SHA256 over the
/// canonical request of `method`, `/`, the sorted query, the given headers
/// (lower-cased, trimmed, sorted) and the body hash.
pub fn acs3_authorization(
    key: &AccessKey,
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let mut sorted_query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (acs_encode(k), acs_encode(v)))
        .collect();
    sorted_query.sort();
    let canonical_query: Vec<String> = sorted_query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut sorted_headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    sorted_headers.sort();
    let canonical_headers: String = sorted_headers
        .iter()
        .map(|(k, v)| format!("{k}:{v}\n"))
        .collect();
    let signed: Vec<&str> = sorted_headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical = format!(
        "{method}\n/\n{}\n{canonical_headers}\n{signed}\n{}",
        canonical_query.join("&"),
        hex(digest::digest(&digest::SHA256, body).as_ref())
    );
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mac = hmac::Key::new(hmac::HMAC_SHA256, key.secret.expose_secret().as_bytes());
    let signature = hex(hmac::sign(&mac, string_to_sign.as_bytes()).as_ref());
    format!(
        "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature={signature}",
        key.id
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time.
fn iso8601(unix: u64) -> String {
    idaas_core::clock::rfc3339_utc(unix)
}

/// The plugin: one `GenerateOauthToken` call per refresh.
#[derive(Debug, Clone)]
pub struct AlibabaCloudPlugin {
    http: SharedHttpClient,
    env: Arc<dyn Environment>,
    clock: SharedClock,
}

impl AlibabaCloudPlugin {
    /// A plugin using `http`, AccessKeys from `env`, and `clock` for `x-acs-date`.
    pub fn new(http: SharedHttpClient, env: Arc<dyn Environment>, clock: SharedClock) -> Self {
        Self { http, env, clock }
    }
}

#[async_trait]
impl CredentialPlugin for AlibabaCloudPlugin {
    async fn fetch(&self, config: &ClientConfig, scope: &ScopeSpec) -> Result<Credential, Error> {
        let endpoint = config.open_api_endpoint.as_deref().ok_or_else(|| {
            Error::source(
                SOURCE,
                "openApiEndpoint is not configured (e.g. eiam.cn-hangzhou.aliyuncs.com)",
            )
        })?;
        let key = AccessKey::from_env(self.env.as_ref())?;
        let url = url::Url::parse(endpoint)
            .map_err(|e| Error::source(SOURCE, format!("bad openApiEndpoint: {e}")))?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut values = scope.values();
        values.sort_unstable(); // a stable order (the reference's is a hash set's)
        let mut query = vec![
            ("ApplicationId".to_owned(), config.client_id.clone()),
            ("Audience".to_owned(), scope.audience().to_owned()),
            ("InstanceId".to_owned(), config.idaas_instance_id.clone()),
        ];
        for (i, value) in values.iter().enumerate() {
            query.push((format!("ScopeValues.{}", i + 1), (*value).to_owned()));
        }
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let body: &[u8] = b"";
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            ("host".to_owned(), host),
            ("x-acs-action".to_owned(), GENERATE_OAUTH_TOKEN.to_owned()),
            (
                "x-acs-content-sha256".to_owned(),
                hex(digest::digest(&digest::SHA256, body).as_ref()),
            ),
            ("x-acs-date".to_owned(), iso8601(self.clock.now_secs())),
            ("x-acs-signature-nonce".to_owned(), hex(&nonce)),
            ("x-acs-version".to_owned(), EIAM_VERSION.to_owned()),
        ];
        if let Some(token) = &key.security_token {
            headers.push((
                "x-acs-security-token".to_owned(),
                token.expose_secret().to_owned(),
            ));
        }
        let authorization = acs3_authorization(&key, "POST", &query, &headers, body);
        let query_string: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", acs_encode(k), acs_encode(v)))
            .collect();
        let mut target = url.clone();
        target.set_path("/");
        target.set_query(Some(&query_string.join("&")));
        let mut builder = http::Request::builder()
            .method(Method::POST)
            .uri(target.as_str());
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request: HttpRequest = builder
            .header("authorization", authorization)
            .body(Bytes::new())
            .map_err(|e| Error::source(SOURCE, e.to_string()))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| Error::source(SOURCE, e.to_string()))?;
        let status = response.status().as_u16();
        let json: Value = serde_json::from_slice(response.body()).map_err(|_| {
            Error::source(
                SOURCE,
                format!("HTTP {status} with a body that is not JSON"),
            )
        })?;
        if !response.status().is_success() {
            return Err(Error::source(
                SOURCE,
                format!(
                    "code: {status}, {}: {} (request id {})",
                    json["Code"].as_str().unwrap_or("?"),
                    json["Message"].as_str().unwrap_or(""),
                    json["RequestId"].as_str().unwrap_or("?")
                ),
            ));
        }
        let token = &json["TokenResponse"];
        let access_token = token["AccessToken"].as_str().ok_or_else(|| {
            Error::source(SOURCE, "the response has no TokenResponse.AccessToken")
        })?;
        let mut credential = Credential::bearer(access_token, token["ExpiresAt"].as_u64());
        credential.expires_in = token["ExpiresIn"].as_u64().unwrap_or(0);
        if let Some(t) = token["TokenType"].as_str() {
            credential.token_type = t.to_owned();
        }
        Ok(credential.with_expiry_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_encoding() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(acs_encode("a b*~/é"), "a%20b%2A~%2F%C3%A9");
    }

    #[test]
    fn empty_body_hash_matches_the_spec() {
        assert_eq!(
            hex(digest::digest(&digest::SHA256, b"").as_ref()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
