//! Pushed authorization requests (RFC 9126): the authorization parameters
//! go to the provider over a client-authenticated back channel, and the
//! browser carries only `client_id` and the `request_uri` the provider
//! answered — nothing to read or alter in the URL.

use crate::authorize::PendingAuthorization;
use crate::discovery::ProviderMetadata;
use crate::error::Error;
use crate::form::Form;
use crate::response::{error_from, json_object};
use crate::user_client::UserClient;

/// The discovery member naming the PAR endpoint.
pub const PAR_ENDPOINT: &str = "pushed_authorization_request_endpoint";
/// The discovery member saying the provider accepts only pushed requests.
pub const REQUIRE_PAR: &str = "require_pushed_authorization_requests";

/// When a sign-in pushes its authorization request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Par {
    /// When the provider advertises a PAR endpoint (the default).
    #[default]
    Auto,
    /// Always; a provider without a PAR endpoint is a configuration error.
    Always,
    /// Never; a provider that requires PAR is a configuration error.
    Never,
}

/// The provider's PAR endpoint and whether it requires pushed requests.
pub fn par_endpoint(metadata: &ProviderMetadata) -> (Option<&str>, bool) {
    (
        metadata.raw.get(PAR_ENDPOINT).and_then(|v| v.as_str()),
        metadata.raw.get(REQUIRE_PAR).and_then(|v| v.as_bool()) == Some(true),
    )
}

impl UserClient {
    /// Pushes `pending`'s parameters to the provider's PAR endpoint as
    /// `par` says (with the client's authentication; a DPoP client's
    /// `dpop_jkt` goes with them), and points its URL at the authorization
    /// endpoint with only `client_id` and the returned `request_uri`.
    /// Not pushed, `pending` is returned unchanged.
    pub async fn push_authorization(
        &self,
        pending: PendingAuthorization,
        par: Par,
    ) -> Result<PendingAuthorization, Error> {
        let metadata = self.metadata();
        let endpoint = match (par, par_endpoint(metadata)) {
            (Par::Never, (_, true)) => {
                return Err(Error::Misconfigured(format!(
                    "{} requires pushed authorization requests (RFC 9126); use Par::Auto or Par::Always",
                    metadata.issuer
                )));
            }
            (Par::Never, _) | (Par::Auto, (None, false)) => return Ok(pending),
            (_, (Some(endpoint), _)) => endpoint.to_owned(),
            (_, (None, _)) => {
                return Err(Error::Misconfigured(format!(
                    "{} publishes no {PAR_ENDPOINT}",
                    metadata.issuer
                )));
            }
        };
        let oauth = self.oauth();
        let (mut form, headers) = oauth.authenticated(&endpoint, |_| {})?;
        let mut fields = Form::new();
        for (name, value) in &pending.params {
            // the client's authentication may carry it already
            if name == "client_id" && form.get("client_id").is_some() {
                continue;
            }
            fields.push(name, value.as_str());
        }
        form.append(fields);
        let response = oauth.post(&endpoint, "par", form, headers).await?;
        if response.status().as_u16() != 201 && response.status().as_u16() != 200 {
            return Err(error_from(&endpoint, &response));
        }
        let body = json_object(&endpoint, &response)?;
        let invalid = |reason: &str| Error::InvalidResponse {
            endpoint: endpoint.clone(),
            reason: reason.to_owned(),
        };
        let request_uri = body
            .get("request_uri")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("request_uri is missing or not a string"))?
            .to_owned();
        let expires_in = body
            .get("expires_in")
            .and_then(|v| v.as_u64())
            .filter(|s| *s > 0)
            .ok_or_else(|| invalid("expires_in is missing or not a positive integer"))?;
        tracing::debug!(
            endpoint = %endpoint,
            expires_in,
            "authorization request pushed"
        );
        self.with_front_channel(
            pending,
            vec![
                ("client_id".to_owned(), self.client_id().to_owned()),
                ("request_uri".to_owned(), request_uri),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use idaas_core::http::HyperClient;

    use super::*;
    use crate::authorize::AuthorizationRequest;
    use crate::client_auth::ClientAuth;

    fn client(extra: serde_json::Value) -> UserClient {
        let mut doc = serde_json::json!({
            "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://idp.example.com/jwks",
        });
        for (k, v) in extra.as_object().unwrap() {
            doc[k] = v.clone();
        }
        let metadata =
            ProviderMetadata::from_json(doc.to_string().as_bytes(), "https://idp.example.com")
                .unwrap();
        UserClient::from_metadata(
            Arc::new(HyperClient::new(Default::default()).unwrap()),
            Arc::new(metadata),
            "app",
            ClientAuth::None,
        )
        .unwrap()
    }

    fn pending() -> PendingAuthorization {
        AuthorizationRequest::new(
            "https://idp.example.com/authorize",
            "app",
            "http://127.0.0.1:8400/callback",
        )
        .build()
        .unwrap()
    }

    /// Without pushing nothing is sent, so these run without a server.
    #[tokio::test]
    async fn when_to_push_follows_the_provider_and_the_setting() {
        let plain = client(serde_json::json!({}));
        let unchanged = plain
            .push_authorization(pending(), Par::Auto)
            .await
            .unwrap();
        assert!(
            unchanged
                .url
                .query_pairs()
                .any(|(k, _)| k == "code_challenge")
        );
        assert_eq!(unchanged.params.len(), 8);
        let always = plain.push_authorization(pending(), Par::Always).await;
        assert!(
            matches!(&always, Err(Error::Misconfigured(m)) if m.contains(PAR_ENDPOINT)),
            "{always:?}"
        );

        let advertising =
            client(serde_json::json!({ PAR_ENDPOINT: "https://idp.example.com/par" }));
        let never = advertising
            .push_authorization(pending(), Par::Never)
            .await
            .unwrap();
        assert!(never.url.query_pairs().any(|(k, _)| k == "state"));

        let requiring = client(serde_json::json!({
            PAR_ENDPOINT: "https://idp.example.com/par",
            REQUIRE_PAR: true,
        }));
        let refused = requiring.push_authorization(pending(), Par::Never).await;
        assert!(
            matches!(&refused, Err(Error::Misconfigured(m)) if m.contains("requires pushed")),
            "{refused:?}"
        );
        assert_eq!(
            par_endpoint(requiring.metadata()),
            (Some("https://idp.example.com/par"), true)
        );
    }
}
