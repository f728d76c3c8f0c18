//! `ObtainCredential`: the API key of a credential.

use idaas_core::SecretString;
use serde_json::Value;

use crate::error::Error;
use crate::transport::{PamClient, require};

impl PamClient {
    /// `ObtainCredential`: the API key of a credential, or `None` for a
    /// credential without one (an OAuth client).
    pub async fn api_key(
        &self,
        credential_identifier: &str,
    ) -> Result<Option<SecretString>, Error> {
        require(credential_identifier, "credential_identifier")?;
        let map = self
            .get(
                ("obtain credential", "ObtainCredential"),
                "/credentials/_/actions/obtain",
                vec![("credentialIdentifier", credential_identifier.to_owned())],
            )
            .await?;
        Ok(map
            .get("credentialContent")
            .and_then(|c| c.get("apiKeyContent"))
            .and_then(|c| c.get("apiKey"))
            .and_then(Value::as_str)
            .map(SecretString::from))
    }
}
