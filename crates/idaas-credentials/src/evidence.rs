//! Client evidence that is not a secret in the configuration: the OIDC
//! federated token file and cloud instance attested documents (PKCS7).

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use idaas_core::SecretString;
use idaas_core::clock::SharedClock;
use idaas_core::config::{Environment, OidcTokenFile};
use idaas_core::http::{Bytes, HttpRequest, Method, SharedHttpClient};
use idaas_core::percent::encode as encode_strict;

use crate::error::Error;

/// Reads the OIDC federated token file at every refresh (the kubelet
/// rotates it); the content is sent verbatim, trailing newline included.
#[derive(Debug, Clone)]
pub struct OidcTokenFileSource {
    file: OidcTokenFile,
    env: Arc<dyn Environment>,
}

/// Token files larger than this are refused (a JWT is a few KiB).
const MAX_TOKEN_FILE: u64 = 64 * 1024;

impl OidcTokenFileSource {
    /// A source for the configured file.
    pub fn new(file: OidcTokenFile, env: Arc<dyn Environment>) -> Self {
        Self { file, env }
    }

    /// The path that will be read.
    pub fn path(&self) -> PathBuf {
        self.file.resolve(self.env.as_ref())
    }

    /// Reads the token.
    pub async fn read(&self) -> Result<SecretString, Error> {
        let path = self.path();
        let name = format!("OIDC token file {}", path.display());
        let meta = tokio::fs::metadata(&path).await.map_err(|e| {
            Error::source(
                &name,
                format!("cannot be read ({e}); check oidcTokenFilePath or the projected volume"),
            )
        })?;
        if meta.len() > MAX_TOKEN_FILE {
            return Err(Error::source(
                &name,
                format!("is {} bytes, too large for a token", meta.len()),
            ));
        }
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| Error::source(&name, format!("cannot be read as UTF-8 text ({e})")))?;
        if text.trim().is_empty() {
            return Err(Error::source(&name, "is empty"));
        }
        Ok(SecretString::new(text))
    }
}

/// A source of attested documents for `PKCS7`.
#[async_trait]
pub trait DocumentSource: Send + Sync + Debug {
    /// A fresh attested document for the IDaaS instance.
    async fn document(&self) -> Result<SecretString, Error>;
}

/// The Alibaba Cloud ECS metadata service (`http://100.100.100.200`): a
/// metadata token by `PUT /latest/api/token`, then the PKCS7 document by
/// `GET /latest/dynamic/instance-identity/pkcs7?audience=…`.
#[derive(Debug, Clone)]
pub struct EcsDocumentSource {
    /// Base URL (overridable for tests).
    pub base_url: String,
    /// The IDaaS instance id: the document's audience.
    pub idaas_instance_id: String,
    /// Metadata token lifetime (default 3600 s).
    pub token_ttl: Duration,
    http: SharedHttpClient,
    clock: SharedClock,
}

/// The ECS metadata service.
pub const ECS_METADATA_URL: &str = "http://100.100.100.200";
/// The AWS EC2 instance metadata service.
pub const AWS_METADATA_URL: &str = "http://169.254.169.254";

async fn call(
    http: &SharedHttpClient,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<String, Error> {
    let mut builder = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request: HttpRequest = builder
        .body(Bytes::new())
        .map_err(|e| Error::source(url, format!("invalid metadata URL ({e})")))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| Error::source(url, format!("metadata service unreachable: {e}")))?;
    if !response.status().is_success() {
        return Err(Error::source(
            url,
            format!(
                "metadata service answered HTTP {}",
                response.status().as_u16()
            ),
        ));
    }
    let text = String::from_utf8(response.body().to_vec())
        .map_err(|_| Error::source(url, "metadata service answered non-UTF-8 bytes"))?;
    if text.trim_start().starts_with('<') {
        return Err(Error::source(
            url,
            "metadata service answered HTML, not a document; is this a cloud instance?",
        ));
    }
    Ok(text)
}

impl EcsDocumentSource {
    /// A source for `idaas_instance_id` at the real metadata service.
    pub fn new(
        idaas_instance_id: impl Into<String>,
        http: SharedHttpClient,
        clock: SharedClock,
    ) -> Self {
        Self {
            base_url: ECS_METADATA_URL.to_owned(),
            idaas_instance_id: idaas_instance_id.into(),
            token_ttl: Duration::from_secs(3600),
            http,
            clock,
        }
    }

    /// The `audience` query value: `{"aud": "<instance>", "signingTime": <now>}`
    /// with the reference's spacing, strictly percent-encoded.
    pub fn audience_param(&self, signing_time: u64) -> String {
        let aud = serde_json::to_string(&self.idaas_instance_id).unwrap_or_default();
        encode_strict(&format!(
            "{{\"aud\": {aud}, \"signingTime\": {signing_time}}}"
        ))
    }
}

#[async_trait]
impl DocumentSource for EcsDocumentSource {
    async fn document(&self) -> Result<SecretString, Error> {
        let signing_time = self.clock.now_secs();
        let ttl = self.token_ttl.as_secs().to_string();
        let token = call(
            &self.http,
            Method::PUT,
            &format!("{}/latest/api/token", self.base_url),
            &[("X-aliyun-ecs-metadata-token-ttl-seconds", &ttl)],
        )
        .await?;
        let url = format!(
            "{}/latest/dynamic/instance-identity/pkcs7?audience={}",
            self.base_url,
            self.audience_param(signing_time)
        );
        let document = call(
            &self.http,
            Method::GET,
            &url,
            &[("X-aliyun-ecs-metadata-token", token.trim())],
        )
        .await?;
        Ok(SecretString::new(document))
    }
}

/// The AWS EC2 instance metadata service, IMDSv2: a session token by
/// `PUT /latest/api/token`, then `GET /latest/dynamic/instance-identity/pkcs7`.
#[derive(Debug, Clone)]
pub struct AwsDocumentSource {
    /// Base URL (overridable for tests).
    pub base_url: String,
    http: SharedHttpClient,
}

impl AwsDocumentSource {
    /// A source at the real metadata service.
    pub fn new(http: SharedHttpClient) -> Self {
        Self {
            base_url: AWS_METADATA_URL.to_owned(),
            http,
        }
    }
}

#[async_trait]
impl DocumentSource for AwsDocumentSource {
    async fn document(&self) -> Result<SecretString, Error> {
        let token = call(
            &self.http,
            Method::PUT,
            &format!("{}/latest/api/token", self.base_url),
            &[("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
        )
        .await?;
        let url = format!("{}/latest/dynamic/instance-identity/pkcs7", self.base_url);
        let document = call(
            &self.http,
            Method::GET,
            &url,
            &[("X-aws-ec2-metadata-token", token.trim())],
        )
        .await?;
        Ok(SecretString::new(document))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_matches_the_reference_encoding() {
        let http: SharedHttpClient =
            Arc::new(idaas_core::http::HyperClient::new(Default::default()).unwrap());
        let source = EcsDocumentSource::new("idaas_x", http, idaas_core::clock::system());
        assert_eq!(
            source.audience_param(1795384773),
            "%7B%22aud%22%3A%20%22idaas_x%22%2C%20%22signingTime%22%3A%201795384773%7D"
        );
    }
}
