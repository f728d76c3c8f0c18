//! Cloud-account role credentials: temporary STS credentials of
//! Alibaba Cloud, AWS or Tencent Cloud. Secrets and session tokens are
//! `SecretString`s; key ids are not secret.

use idaas_core::SecretString;
use serde::Deserialize;

/// The shortest `durationSeconds` the API takes.
pub const MIN_ROLE_DURATION_SECS: u32 = 900;
/// The longest `durationSeconds` the API takes (the cloud may cap it lower).
pub const MAX_ROLE_DURATION_SECS: u32 = 43_200;

/// Alibaba Cloud STS credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlibabaCloudStsToken {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: SecretString,
    /// The STS security token.
    pub security_token: SecretString,
    /// Expiry, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub expiration: Option<String>,
}

/// AWS STS credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsStsToken {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// Expiry, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub expiration: Option<String>,
}

/// Tencent Cloud STS credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TencentCloudStsToken {
    /// The temporary secret id.
    pub tmp_secret_id: String,
    /// The temporary secret key.
    pub tmp_secret_key: SecretString,
    /// The session token.
    pub token: SecretString,
    /// Expiry, UTC.
    #[serde(default)]
    pub expiration: Option<String>,
}

/// The credential block; only the one of the account's cloud is present.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAccessCredential {
    /// When the credential expires, Unix **seconds**.
    #[serde(default)]
    pub access_credential_expires_at: Option<u64>,
    /// Alibaba Cloud's.
    #[serde(default)]
    pub alibaba_cloud_sts_token: Option<AlibabaCloudStsToken>,
    /// AWS's.
    #[serde(default)]
    pub aws_sts_token: Option<AwsStsToken>,
    /// Tencent Cloud's.
    #[serde(default)]
    pub tencent_cloud_sts_token: Option<TencentCloudStsToken>,
}

/// The credential, typed by cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsCredential<'a> {
    /// Alibaba Cloud.
    AlibabaCloud(&'a AlibabaCloudStsToken),
    /// AWS.
    Aws(&'a AwsStsToken),
    /// Tencent Cloud.
    TencentCloud(&'a TencentCloudStsToken),
}

impl RoleAccessCredential {
    /// The one credential present (Alibaba Cloud first if a server sent several).
    pub fn sts(&self) -> Option<StsCredential<'_>> {
        if let Some(t) = &self.alibaba_cloud_sts_token {
            Some(StsCredential::AlibabaCloud(t))
        } else if let Some(t) = &self.aws_sts_token {
            Some(StsCredential::Aws(t))
        } else {
            self.tencent_cloud_sts_token
                .as_ref()
                .map(StsCredential::TencentCloud)
        }
    }
}

/// `ObtainCloudAccountRoleAccessCredential`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudAccountRoleCredential {
    /// The cloud account.
    #[serde(default)]
    pub cloud_account_id: Option<String>,
    /// `alibaba_cloud`, `aws`, `tencent_cloud`.
    #[serde(default)]
    pub cloud_account_vendor_type: Option<String>,
    /// The role's IDaaS id.
    #[serde(default)]
    pub cloud_account_role_id: Option<String>,
    /// The role's business identifier (e.g. its ARN).
    #[serde(default)]
    pub cloud_account_role_external_id: Option<String>,
    /// The role's name.
    #[serde(default)]
    pub cloud_account_role_name: Option<String>,
    /// The temporary credential.
    pub cloud_account_role_access_credential: RoleAccessCredential,
}
