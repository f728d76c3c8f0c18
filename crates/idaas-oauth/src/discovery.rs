//! OpenID Connect Discovery 1.0 and RFC 8414 authorization server metadata,
//! fetched once and cached with a time-to-live and stale-if-error.

use std::sync::Arc;
use std::time::Duration;

use idaas_core::clock::{self, SharedClock};
use idaas_core::http::{SharedHttpClient, check_url};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::error::Error;
use crate::fetch::get_json;

/// The metadata of an authorization server (the members this SDK uses;
/// every member is kept in [`ProviderMetadata::raw`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// `issuer`: equal to the issuer it was discovered from.
    pub issuer: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `jwks_uri`.
    pub jwks_uri: Option<String>,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `introspection_endpoint` (RFC 7662); optional, unlike the reference.
    pub introspection_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009).
    pub revocation_endpoint: Option<String>,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: Option<String>,
    /// `device_authorization_endpoint` (RFC 8628).
    pub device_authorization_endpoint: Option<String>,
    /// `end_session_endpoint`.
    pub end_session_endpoint: Option<String>,
    /// `token_endpoint_auth_methods_supported`.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `grant_types_supported`.
    pub grant_types_supported: Vec<String>,
    /// `scopes_supported`.
    pub scopes_supported: Vec<String>,
    /// `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Vec<String>,
    /// Every member, as sent.
    pub raw: Map<String, Value>,
}

impl ProviderMetadata {
    /// Reads a metadata document and checks it: `issuer` must equal
    /// `expected_issuer` exactly (OIDC Discovery §4.3, RFC 8414 §3.3),
    /// `token_endpoint` must be present, and every endpoint must be an
    /// https URL (plain http only on loopback).
    pub fn from_json_object(
        raw: Map<String, Value>,
        expected_issuer: &str,
        source: &str,
    ) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidResponse {
            endpoint: source.to_owned(),
            reason,
        };
        let string = |name: &str| -> Result<Option<String>, Error> {
            match raw.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(format!("{name} must be a string"))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, Error> {
            match raw.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid(format!("{name} must hold strings")))
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("{name} must be an array"))),
            }
        };
        let issuer = string("issuer")?.ok_or_else(|| invalid("issuer is missing".into()))?;
        if issuer != expected_issuer {
            return Err(invalid(format!(
                "issuer {issuer:?} differs from the expected {expected_issuer:?} (a mix-up or a wrong URL)"
            )));
        }
        let endpoint = |name: &str| -> Result<Option<String>, Error> {
            match string(name)? {
                Some(url) => {
                    check_url(&url).map_err(|e| invalid(format!("{name}: {e}")))?;
                    Ok(Some(url))
                }
                None => Ok(None),
            }
        };
        match raw.get(crate::mtls::MTLS_ENDPOINT_ALIASES) {
            None | Some(Value::Null) => {}
            Some(Value::Object(aliases)) => {
                for (name, url) in aliases {
                    let url = url.as_str().ok_or_else(|| {
                        invalid(format!("mtls_endpoint_aliases.{name} must be a string"))
                    })?;
                    check_url(url)
                        .map_err(|e| invalid(format!("mtls_endpoint_aliases.{name}: {e}")))?;
                }
            }
            Some(_) => return Err(invalid("mtls_endpoint_aliases must be an object".into())),
        }
        Ok(Self {
            token_endpoint: endpoint("token_endpoint")?
                .ok_or_else(|| invalid("token_endpoint is missing".into()))?,
            jwks_uri: endpoint("jwks_uri")?,
            authorization_endpoint: endpoint("authorization_endpoint")?,
            introspection_endpoint: endpoint("introspection_endpoint")?,
            revocation_endpoint: endpoint("revocation_endpoint")?,
            userinfo_endpoint: endpoint("userinfo_endpoint")?,
            device_authorization_endpoint: endpoint("device_authorization_endpoint")?,
            end_session_endpoint: endpoint("end_session_endpoint")?,
            token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported")?,
            grant_types_supported: list("grant_types_supported")?,
            scopes_supported: list("scopes_supported")?,
            code_challenge_methods_supported: list("code_challenge_methods_supported")?,
            issuer,
            raw,
        })
    }

    /// The metadata a client authenticating by its TLS certificate uses
    /// (RFC 8705 §5): every endpoint named in `mtls_endpoint_aliases`
    /// (token, introspection, revocation, userinfo, device authorization,
    /// PAR, any other) replaced by its alias, in the typed fields and in
    /// [`raw`](Self::raw). Endpoints without an alias stay; so does the
    /// browser-facing authorization endpoint. Without aliases, a copy.
    pub fn mtls_aliased(&self) -> Self {
        let mut out = self.clone();
        let Some(Value::Object(aliases)) = self.raw.get(crate::mtls::MTLS_ENDPOINT_ALIASES) else {
            return out;
        };
        for (name, url) in aliases {
            // checked by from_json_object
            let Some(url) = url.as_str() else { continue };
            let typed = match name.as_str() {
                "token_endpoint" => {
                    out.token_endpoint = url.to_owned();
                    None
                }
                "introspection_endpoint" => Some(&mut out.introspection_endpoint),
                "revocation_endpoint" => Some(&mut out.revocation_endpoint),
                "userinfo_endpoint" => Some(&mut out.userinfo_endpoint),
                "device_authorization_endpoint" => Some(&mut out.device_authorization_endpoint),
                _ => None,
            };
            if let Some(field) = typed {
                *field = Some(url.to_owned());
            }
            if name != "authorization_endpoint" {
                out.raw.insert(name.clone(), Value::String(url.to_owned()));
            }
        }
        out
    }

    /// Parses the JSON text of a metadata document (see
    /// [`ProviderMetadata::from_json_object`]).
    pub fn from_json(bytes: &[u8], expected_issuer: &str) -> Result<Self, Error> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(raw)) => Self::from_json_object(raw, expected_issuer, expected_issuer),
            _ => Err(Error::InvalidResponse {
                endpoint: expected_issuer.to_owned(),
                reason: "the metadata document is not a JSON object".into(),
            }),
        }
    }
}

/// Where the metadata document of `issuer` lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataKind {
    /// `<issuer>/.well-known/openid-configuration`, then RFC 8414's
    /// `/.well-known/oauth-authorization-server<path>` if that fails.
    Auto,
    /// OpenID Connect Discovery only.
    OpenIdConfiguration,
    /// RFC 8414 only.
    OAuthAuthorizationServer,
}

/// The OpenID Connect discovery URL of an issuer.
pub fn openid_configuration_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The RFC 8414 §3.1 metadata URL of an issuer: the well-known segment goes
/// between host and path.
pub fn oauth_authorization_server_url(issuer: &str) -> Result<String, Error> {
    let url = url::Url::parse(issuer).map_err(|source| Error::InvalidUrl {
        what: "issuer",
        url: issuer.to_owned(),
        source,
    })?;
    let path = url.path().trim_end_matches('/');
    let mut base = url.clone();
    base.set_path("");
    base.set_query(None);
    base.set_fragment(None);
    Ok(format!(
        "{}/.well-known/oauth-authorization-server{path}",
        base.as_str().trim_end_matches('/')
    ))
}

#[derive(Debug)]
struct Cached {
    metadata: Arc<ProviderMetadata>,
    fetched_at: Duration,
}

#[derive(Debug)]
struct DiscoveryInner {
    http: SharedHttpClient,
    issuer: String,
    kind: MetadataKind,
    ttl: Duration,
    stale_if_error: Duration,
    clock: SharedClock,
    cached: Mutex<Option<Cached>>,
}

/// Fetches and caches one issuer's metadata. Cheap to clone (clones share
/// the cache); concurrent callers share one fetch.
///
/// The document is kept for `ttl` (900 s by default); after that it is
/// fetched again, and when that fetch fails, the old document is served
/// until `stale_if_error` (1200 s) after it was fetched.
#[derive(Debug, Clone)]
pub struct Discovery {
    inner: Arc<DiscoveryInner>,
}

impl Discovery {
    /// Discovery of `issuer` (OIDC first, then RFC 8414).
    pub fn new(http: SharedHttpClient, issuer: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(DiscoveryInner {
                http,
                issuer: issuer.into(),
                kind: MetadataKind::Auto,
                ttl: Duration::from_secs(900),
                stale_if_error: Duration::from_secs(1200),
                clock: clock::system(),
                cached: Mutex::new(None),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut DiscoveryInner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| DiscoveryInner {
            http: shared.http.clone(),
            issuer: shared.issuer.clone(),
            kind: shared.kind,
            ttl: shared.ttl,
            stale_if_error: shared.stale_if_error,
            clock: shared.clock.clone(),
            cached: Mutex::new(None),
        });
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Which well-known document to read.
    pub fn with_kind(self, kind: MetadataKind) -> Self {
        self.with(|i| i.kind = kind)
    }

    /// How long a document is used before it is fetched again, and until
    /// when (since its fetch) it is still served if a new fetch fails.
    pub fn with_ttl(self, ttl: Duration, stale_if_error: Duration) -> Self {
        self.with(|i| {
            i.ttl = ttl;
            i.stale_if_error = stale_if_error.max(ttl);
        })
    }

    /// The clock for the cache's times.
    pub fn with_clock(self, clock: SharedClock) -> Self {
        self.with(|i| i.clock = clock)
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The metadata, from the cache when fresh.
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, Error> {
        let inner = &self.inner;
        let mut cached = inner.cached.lock().await;
        let now = inner.clock.now();
        if let Some(c) = cached.as_ref()
            && now.saturating_sub(c.fetched_at) < inner.ttl
        {
            return Ok(c.metadata.clone());
        }
        match self.fetch().await {
            Ok(metadata) => {
                let metadata = Arc::new(metadata);
                *cached = Some(Cached {
                    metadata: metadata.clone(),
                    fetched_at: now,
                });
                Ok(metadata)
            }
            Err(e) => match cached.as_ref() {
                Some(c) if now.saturating_sub(c.fetched_at) < inner.stale_if_error => {
                    tracing::warn!(issuer = %inner.issuer, error = %e, "metadata refresh failed; serving the cached document");
                    Ok(c.metadata.clone())
                }
                _ => {
                    *cached = None;
                    Err(e)
                }
            },
        }
    }

    /// Drops the cached document: the next call fetches.
    pub async fn invalidate(&self) {
        *self.inner.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<ProviderMetadata, Error> {
        let inner = &self.inner;
        let issuer = &inner.issuer;
        let oidc = openid_configuration_url(issuer);
        let first = match inner.kind {
            MetadataKind::OAuthAuthorizationServer => oauth_authorization_server_url(issuer)?,
            _ => oidc,
        };
        let result = get_json(&inner.http, &first, "discovery")
            .await
            .and_then(|raw| ProviderMetadata::from_json_object(raw, issuer, &first));
        match (result, inner.kind) {
            (Err(e), MetadataKind::Auto) if !matches!(e, Error::Transport(_)) => {
                let second = oauth_authorization_server_url(issuer)?;
                let raw = get_json(&inner.http, &second, "discovery")
                    .await
                    .map_err(|_| e)?;
                ProviderMetadata::from_json_object(raw, issuer, &second)
            }
            (result, _) => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls() {
        assert_eq!(
            openid_configuration_url("https://idp.example.com/tenant/"),
            "https://idp.example.com/tenant/.well-known/openid-configuration"
        );
        assert_eq!(
            oauth_authorization_server_url("https://idp.example.com/tenant").unwrap(),
            "https://idp.example.com/.well-known/oauth-authorization-server/tenant"
        );
        assert_eq!(
            oauth_authorization_server_url("https://idp.example.com").unwrap(),
            "https://idp.example.com/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn mtls_aliases_replace_the_endpoints_a_client_calls() {
        let doc = br#"{"issuer":"https://idp.example.com","token_endpoint":"https://idp.example.com/token",
            "authorization_endpoint":"https://idp.example.com/auth",
            "introspection_endpoint":"https://idp.example.com/introspect",
            "revocation_endpoint":"https://idp.example.com/revoke",
            "pushed_authorization_request_endpoint":"https://idp.example.com/par",
            "mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example.com/token",
              "revocation_endpoint":"https://mtls.idp.example.com/revoke",
              "pushed_authorization_request_endpoint":"https://mtls.idp.example.com/par",
              "device_authorization_endpoint":"https://mtls.idp.example.com/device",
              "authorization_endpoint":"https://mtls.idp.example.com/auth"}}"#;
        let plain = ProviderMetadata::from_json(doc, "https://idp.example.com").unwrap();
        let m = plain.mtls_aliased();
        assert_eq!(m.token_endpoint, "https://mtls.idp.example.com/token");
        assert_eq!(
            m.revocation_endpoint.as_deref(),
            Some("https://mtls.idp.example.com/revoke")
        );
        assert_eq!(
            m.device_authorization_endpoint.as_deref(),
            Some("https://mtls.idp.example.com/device")
        );
        assert_eq!(
            m.raw["pushed_authorization_request_endpoint"],
            "https://mtls.idp.example.com/par"
        );
        // no alias: the plain one; the browser's endpoint is never aliased
        assert_eq!(
            m.introspection_endpoint.as_deref(),
            Some("https://idp.example.com/introspect")
        );
        assert_eq!(
            m.authorization_endpoint.as_deref(),
            Some("https://idp.example.com/auth")
        );
        assert_eq!(
            m.raw["authorization_endpoint"],
            "https://idp.example.com/auth"
        );
        assert_eq!(plain.token_endpoint, "https://idp.example.com/token");
        for bad in [
            &br#"{"issuer":"https://i.example","token_endpoint":"https://i.example/t","mtls_endpoint_aliases":[]}"#[..],
            br#"{"issuer":"https://i.example","token_endpoint":"https://i.example/t","mtls_endpoint_aliases":{"token_endpoint":5}}"#,
            br#"{"issuer":"https://i.example","token_endpoint":"https://i.example/t","mtls_endpoint_aliases":{"token_endpoint":"http://i.example/t"}}"#,
        ] {
            let e = ProviderMetadata::from_json(bad, "https://i.example").unwrap_err();
            assert!(e.to_string().contains("mtls_endpoint_aliases"), "{e}");
        }
    }

    #[test]
    fn metadata_checks_issuer_types_and_schemes() {
        let ok = br#"{"issuer":"https://idp.example.com","token_endpoint":"https://idp.example.com/token","grant_types_supported":["client_credentials"]}"#;
        let m = ProviderMetadata::from_json(ok, "https://idp.example.com").unwrap();
        assert_eq!(m.grant_types_supported, ["client_credentials"]);
        assert_eq!(m.introspection_endpoint, None);
        for (body, why) in [
            (&br#"{"issuer":"https://evil.example.com","token_endpoint":"https://idp.example.com/token"}"#[..], "issuer"),
            (br#"{"issuer":"https://idp.example.com"}"#, "token_endpoint"),
            (br#"{"issuer":"https://idp.example.com","token_endpoint":"http://idp.example.com/token"}"#, "http"),
            (br#"{"issuer":"https://idp.example.com","token_endpoint":5}"#, "string"),
            (br#"{"issuer":"https://idp.example.com","token_endpoint":"https://idp.example.com/t","scopes_supported":"a"}"#, "array"),
            (br#"[1]"#, "object"),
        ] {
            let err = ProviderMetadata::from_json(body, "https://idp.example.com").unwrap_err();
            assert!(err.to_string().contains(why), "{why}: {err}");
        }
    }
}
