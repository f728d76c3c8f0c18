//! Token exchange (RFC 8693) with the reference SDK's parameters: no cache,
//! one request per call.

use std::sync::Arc;

use idaas_core::SecretString;
use idaas_core::token::{ACCESS_TOKEN_TYPE, Credential};
use idaas_oauth::TokenExchange;
use idaas_oauth::form::Form;

use crate::error::Error;
use crate::machine::Requester;

/// Exchanges a subject token for a token of the provider's scope.
#[derive(Debug, Clone)]
pub struct TokenExchangeProvider {
    requester: Arc<Requester>,
}

impl TokenExchangeProvider {
    pub(crate) fn new(requester: Requester) -> Self {
        Self {
            requester: Arc::new(requester),
        }
    }

    /// The full response: the issued token and its `issued_token_type`.
    /// `requested_token_type` defaults to the access token type.
    pub async fn credential(
        &self,
        subject_token: &SecretString,
        subject_token_type: &str,
        requested_token_type: Option<&str>,
    ) -> Result<Credential, Error> {
        self.exchange(
            subject_token,
            subject_token_type,
            None,
            requested_token_type,
        )
        .await
    }

    /// Delegation (RFC 8693 §1.1): like [`credential`](Self::credential),
    /// with the token of the party acting for the subject; the issued token
    /// names it in its `act` claim.
    pub async fn delegated_credential(
        &self,
        subject_token: &SecretString,
        subject_token_type: &str,
        actor_token: &SecretString,
        actor_token_type: &str,
        requested_token_type: Option<&str>,
    ) -> Result<Credential, Error> {
        if actor_token.is_blank() {
            return Err(Error::InvalidArgument("actor_token is blank".into()));
        }
        if actor_token_type.trim().is_empty() {
            return Err(Error::InvalidArgument("actor_token_type is blank".into()));
        }
        self.exchange(
            subject_token,
            subject_token_type,
            Some((actor_token, actor_token_type)),
            requested_token_type,
        )
        .await
    }

    async fn exchange(
        &self,
        subject_token: &SecretString,
        subject_token_type: &str,
        actor: Option<(&SecretString, &str)>,
        requested_token_type: Option<&str>,
    ) -> Result<Credential, Error> {
        if subject_token.is_blank() {
            return Err(Error::InvalidArgument("subject_token is blank".into()));
        }
        if subject_token_type.trim().is_empty() {
            return Err(Error::InvalidArgument("subject_token_type is blank".into()));
        }
        let mut exchange = TokenExchange::new(subject_token.clone(), subject_token_type);
        exchange.requested_token_type =
            Some(requested_token_type.unwrap_or(ACCESS_TOKEN_TYPE).to_owned());
        exchange.scope = Some(self.requester.scope.as_str().to_owned());
        exchange.actor = actor.map(|(token, kind)| (token.clone(), kind.to_owned()));
        let mut grant = Form::new();
        exchange.append_fields(&mut grant);
        self.requester.request(grant, "token-exchange").await
    }

    /// The issued token only.
    pub async fn issued_token(
        &self,
        subject_token: &SecretString,
        subject_token_type: &str,
        requested_token_type: Option<&str>,
    ) -> Result<SecretString, Error> {
        Ok(self
            .credential(subject_token, subject_token_type, requested_token_type)
            .await?
            .access_token)
    }
}
