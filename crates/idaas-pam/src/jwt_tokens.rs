//! JWT authentication tokens: generate, obtain (also by a derived short
//! token), list (paged and as a stream), and their lifecycle — validate,
//! revoke, reinstate, by token or by consumer.

use futures_util::Stream;
use idaas_core::SecretString;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::model::{
    AuthenticationToken, GenerateJwt, JwtAuthenticationToken, JwtContent, TokenFilter, TokenPage,
};
use crate::transport::{Call, PamClient, parse, require};

/// The reserved audience prefix generated JWTs may not use.
pub const RESERVED_AUDIENCE_PREFIX: &str = "urn:cloud:idaas";

impl PamClient {
    /// `GenerateJwtAuthenticationToken`.
    pub async fn generate_jwt_authentication_token(
        &self,
        request: &GenerateJwt,
    ) -> Result<JwtAuthenticationToken, Error> {
        require(
            &request.credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        require(&request.subject, "subject")?;
        if request.audiences.is_empty() {
            return Err(Error::InvalidArgument(
                "at least one audience is required".into(),
            ));
        }
        if let Some(reserved) = request
            .audiences
            .iter()
            .find(|a| a.starts_with(RESERVED_AUDIENCE_PREFIX))
        {
            return Err(Error::InvalidArgument(format!(
                "audience {reserved:?} uses the reserved prefix {RESERVED_AUDIENCE_PREFIX}"
            )));
        }
        let mut body = Map::new();
        body.insert("audiences".into(), json!(request.audiences));
        body.insert(
            "credentialProviderIdentifier".into(),
            json!(request.credential_provider_identifier),
        );
        if let Some(claims) = &request.custom_claims {
            body.insert("customClaims".into(), Value::Object(claims.clone()));
        }
        if let Some(expiration) = request.expiration {
            body.insert("expiration".into(), json!(expiration));
        }
        if request.include_derived_short_token {
            body.insert("includeDerivedShortToken".into(), json!(true));
        }
        if let Some(issuer) = &request.issuer {
            body.insert("issuer".into(), json!(issuer));
        }
        body.insert("subject".into(), json!(request.subject));
        let map = self
            .post(
                (
                    "generate JWT authentication token",
                    "GenerateJwtAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/generateJwt",
                Value::Object(body),
                true,
            )
            .await?;
        parse("generate JWT authentication token", map)
    }

    /// `ObtainJwtAuthenticationToken`: the JWT of a token by its id.
    pub async fn obtain_jwt_authentication_token(
        &self,
        consumer_id: &str,
        authentication_token_id: &str,
    ) -> Result<JwtContent, Error> {
        require(consumer_id, "consumer_id")?;
        require(authentication_token_id, "authentication_token_id")?;
        let body =
            json!({"authenticationTokenId": authentication_token_id, "consumerId": consumer_id});
        let map = self
            .post(
                (
                    "obtain JWT authentication token",
                    "ObtainJwtAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/obtainJwt",
                body,
                true,
            )
            .await?;
        jwt_content("obtain JWT authentication token", map)
    }

    /// `ObtainJwtAuthenticationTokenByDerivedShortToken` (no bearer token: a consumer call).
    pub async fn obtain_jwt_authentication_token_by_derived_short_token(
        &self,
        derived_short_token: &SecretString,
    ) -> Result<JwtContent, Error> {
        require(derived_short_token.expose_secret(), "derived_short_token")?;
        let map = self
            .post(
                (
                    "obtain JWT authentication token by derived short token",
                    "ObtainJwtAuthenticationTokenByDerivedShortToken",
                ),
                "/authenticationTokens/_/actions/obtainJwtByDerivedShortToken",
                json!({"derivedShortToken": derived_short_token.expose_secret()}),
                false,
            )
            .await?;
        jwt_content(
            "obtain JWT authentication token by derived short token",
            map,
        )
    }

    /// `ListAuthenticationTokens`: one page.
    pub async fn list_authentication_tokens(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
        filter: &TokenFilter,
        next_token: Option<&str>,
    ) -> Result<TokenPage, Error> {
        require(consumer_id, "consumer_id")?;
        require(
            credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        let mut query = vec![
            ("consumerId", consumer_id.to_owned()),
            (
                "credentialProviderIdentifier",
                credential_provider_identifier.to_owned(),
            ),
        ];
        if let Some(expired) = filter.expired {
            query.push(("expired", expired.to_string()));
        }
        if let Some(max) = filter.max_results {
            query.push(("maxResults", max.to_string()));
        }
        if let Some(token) = next_token {
            query.push(("nextToken", token.to_owned()));
        }
        if let Some(revoked) = filter.revoked {
            query.push(("revoked", revoked.to_string()));
        }
        let map = self
            .get(
                ("list authentication tokens", "ListAuthenticationTokens"),
                "/authenticationTokens",
                query,
            )
            .await?;
        parse("list authentication tokens", map)
    }

    /// Every token of a consumer and provider, page after page.
    pub fn authentication_tokens<'a>(
        &'a self,
        consumer_id: &'a str,
        credential_provider_identifier: &'a str,
        filter: TokenFilter,
    ) -> impl Stream<Item = Result<AuthenticationToken, Error>> + Send + 'a {
        use futures_util::StreamExt;
        enum State {
            Start,
            Next(String),
            Done,
        }
        futures_util::stream::unfold(State::Start, move |state| {
            let filter = filter.clone();
            async move {
                let next = match state {
                    State::Done => return None,
                    State::Start => None,
                    State::Next(token) => Some(token),
                };
                let page = self
                    .list_authentication_tokens(
                        consumer_id,
                        credential_provider_identifier,
                        &filter,
                        next.as_deref(),
                    )
                    .await;
                Some(match page {
                    Ok(page) => {
                        let state = match page.next_token.filter(|t| !t.is_empty()) {
                            Some(token) => State::Next(token),
                            None => State::Done,
                        };
                        (
                            futures_util::stream::iter(page.entities.into_iter().map(Ok))
                                .left_stream(),
                            state,
                        )
                    }
                    Err(e) => (
                        futures_util::stream::iter(vec![Err(e)]).right_stream(),
                        State::Done,
                    ),
                })
            }
        })
        .flatten()
    }

    /// `ValidateAuthenticationToken` (no bearer token): whether a JWT or
    /// derived short token is active.
    ///
    /// `token_type_hint` (`jwt`, `derived_short_token`) is sent when given;
    /// the API needs none today.
    pub async fn validate_authentication_token(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<bool, Error> {
        let map = self
            .post(
                (
                    "validate authentication token",
                    "ValidateAuthenticationToken",
                ),
                "/authenticationTokens/_/actions/validate",
                token_body(token, token_type_hint)?,
                false,
            )
            .await?;
        map.get("active")
            .and_then(Value::as_bool)
            .ok_or(Error::InvalidResponse {
                operation: "validate authentication token",
                reason: "no boolean `active`".into(),
            })
    }

    async fn lifecycle(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        body: Value,
    ) -> Result<(), Error> {
        let path = self.path(rest);
        self.no_content(Call::post((phrase, action), &path, body, true))
            .await
    }

    async fn by_token(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        let body = token_body(token, token_type_hint)?;
        self.lifecycle(phrase, action, rest, body).await
    }

    async fn by_consumer(
        &self,
        phrase: &'static str,
        action: &'static str,
        rest: &str,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        require(consumer_id, "consumer_id")?;
        require(
            credential_provider_identifier,
            "credential_provider_identifier",
        )?;
        let body = json!({"consumerId": consumer_id, "credentialProviderIdentifier": credential_provider_identifier});
        self.lifecycle(phrase, action, rest, body).await
    }

    /// `RevokeAuthenticationToken`: by the JWT or its derived short token.
    ///
    /// `token_type_hint` (`jwt`, `derived_short_token`) is sent when given;
    /// the API needs none today.
    pub async fn revoke_authentication_token(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        self.by_token(
            "revoke authentication token",
            "RevokeAuthenticationToken",
            "/authenticationTokens/_/actions/revoke",
            token,
            token_type_hint,
        )
        .await
    }

    /// `ReinstateAuthenticationToken`: by the JWT or its derived short token.
    ///
    /// `token_type_hint` (`jwt`, `derived_short_token`) is sent when given;
    /// the API needs none today.
    pub async fn reinstate_authentication_token(
        &self,
        token: &SecretString,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        self.by_token(
            "reinstate authentication token",
            "ReinstateAuthenticationToken",
            "/authenticationTokens/_/actions/reinstate",
            token,
            token_type_hint,
        )
        .await
    }

    /// `RevokeAuthenticationTokenByConsumer`: every token of a consumer and provider.
    pub async fn revoke_authentication_token_by_consumer(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        let rest = "/authenticationTokens/_/actions/revokeByConsumer";
        let (phrase, action) = (
            "revoke authentication token by consumer",
            "RevokeAuthenticationTokenByConsumer",
        );
        self.by_consumer(
            phrase,
            action,
            rest,
            consumer_id,
            credential_provider_identifier,
        )
        .await
    }

    /// `ReinstateAuthenticationTokenByConsumer`: every token of a consumer and provider.
    pub async fn reinstate_authentication_token_by_consumer(
        &self,
        consumer_id: &str,
        credential_provider_identifier: &str,
    ) -> Result<(), Error> {
        let rest = "/authenticationTokens/_/actions/reinstateByConsumer";
        let (phrase, action) = (
            "reinstate authentication token by consumer",
            "ReinstateAuthenticationTokenByConsumer",
        );
        self.by_consumer(
            phrase,
            action,
            rest,
            consumer_id,
            credential_provider_identifier,
        )
        .await
    }
}

/// `{"token", "token_type_hint"}`: the hint is snake_case on the wire, unlike
/// every other field of the API, and left out when `None`.
fn token_body(token: &SecretString, token_type_hint: Option<&str>) -> Result<Value, Error> {
    require(token.expose_secret(), "token")?;
    let mut body = json!({"token": token.expose_secret()});
    if let Some(hint) = token_type_hint {
        require(hint, "token_type_hint")?;
        body["token_type_hint"] = json!(hint);
    }
    Ok(body)
}

fn jwt_content(operation: &'static str, mut map: Map<String, Value>) -> Result<JwtContent, Error> {
    let content = map.remove("jwtContent").ok_or(Error::InvalidResponse {
        operation,
        reason: "no jwtContent".into(),
    })?;
    serde_json::from_value(content).map_err(|e| Error::InvalidResponse {
        operation,
        reason: e.to_string(),
    })
}
