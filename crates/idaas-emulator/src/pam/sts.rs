//! Cloud-account roles of the PAM API:
//! `ObtainCloudAccountRoleAccessCredential` returns temporary STS credentials
//! shaped like each cloud's. The session token is a JWT signed by the
//! emulator's key (verifiable against its JWKS: `sub` the role, `aud` the
//! cloud), the key id and secret are random.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::api_error;
use crate::server::{Reply, State};

/// The cloud of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloudVendor {
    /// Alibaba Cloud: `alibabaCloudStsToken`.
    AlibabaCloud,
    /// AWS: `awsStsToken`.
    Aws,
    /// Tencent Cloud: `tencentCloudStsToken`.
    TencentCloud,
}

impl CloudVendor {
    /// `alibaba_cloud`, `aws`, `tencent_cloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlibabaCloud => "alibaba_cloud",
            Self::Aws => "aws",
            Self::TencentCloud => "tencent_cloud",
        }
    }
}

/// A cloud-account role registered with
/// [`crate::Emulator::register_cloud_account_role`].
#[derive(Debug, Clone)]
pub struct CloudAccountRole {
    external_id: String,
    vendor: CloudVendor,
    account_id: String,
    name: String,
    max_session_secs: u64,
}

impl CloudAccountRole {
    /// The role `external_id` (e.g. `acs:ram::1234:role/deploy`) of `account_id` on `vendor`.
    pub fn new(
        external_id: impl Into<String>,
        vendor: CloudVendor,
        account_id: impl Into<String>,
    ) -> Self {
        let external_id = external_id.into();
        let name = external_id
            .rsplit(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            external_id,
            vendor,
            account_id: account_id.into(),
            name,
            max_session_secs: 43_200,
        }
    }

    /// The cloud's cap on a session (default 43200 s): longer requests are shortened.
    pub fn max_session(mut self, seconds: u64) -> Self {
        self.max_session_secs = seconds;
        self
    }

    /// Its external id.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
fn utc_timestamp(secs: u64) -> String {
    idaas_core::clock::rfc3339_utc(secs)
}

fn random_upper(len: usize) -> String {
    idaas_oauth::authorize::random_token(len)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(len)
        .collect()
}

impl State {
    pub(crate) fn register_role(&self, role: CloudAccountRole) {
        self.pam_state
            .roles
            .lock()
            .expect("pam lock")
            .insert(role.external_id.clone(), role);
    }

    pub(crate) fn obtain_role_credential(&self, params: &HashMap<String, String>) -> Reply {
        let Some(external_id) = params.get("cloudAccountRoleExternalId") else {
            return api_error(
                400,
                "invalid_parameter",
                "cloudAccountRoleExternalId is required",
            );
        };
        let Some(role) = self
            .pam_state
            .roles
            .lock()
            .expect("pam lock")
            .get(external_id)
            .cloned()
        else {
            return api_error(
                404,
                "cloud_account_role_not_found",
                "no such cloud account role",
            );
        };
        let duration = match params.get("durationSeconds").map(|d| d.parse::<u64>()) {
            None => 3600,
            Some(Ok(d)) if (900..=43_200).contains(&d) => d,
            Some(_) => {
                return api_error(
                    400,
                    "invalid_parameter",
                    "durationSeconds must be an integer between 900 and 43200",
                );
            }
        }
        .min(role.max_session_secs);
        let now = self.clock.now().as_secs();
        let expires_at = now + duration;
        let claims = json!({
            "iss": self.base_url,
            "sub": role.external_id,
            "aud": role.vendor.as_str(),
            "account": role.account_id,
            "iat": now,
            "exp": expires_at,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let session_token = match self.sign_claims("JWT", &claims) {
            Ok(t) => t,
            Err(e) => return api_error(500, "internal_error", &e),
        };
        let secret = idaas_oauth::authorize::random_token(30);
        let expiration = utc_timestamp(expires_at);
        let (block, token): (&str, Value) = match role.vendor {
            CloudVendor::AlibabaCloud => (
                "alibabaCloudStsToken",
                json!({
                    "accessKeyId": format!("STS.{}", random_upper(20)),
                    "accessKeySecret": secret,
                    "securityToken": session_token,
                    "expiration": expiration,
                }),
            ),
            CloudVendor::Aws => (
                "awsStsToken",
                json!({
                    "accessKeyId": format!("ASIA{}", random_upper(16)),
                    "secretAccessKey": secret,
                    "sessionToken": session_token,
                    "expiration": expiration,
                }),
            ),
            CloudVendor::TencentCloud => (
                "tencentCloudStsToken",
                json!({
                    "tmpSecretId": format!("AKID{}", random_upper(32)),
                    "tmpSecretKey": secret,
                    "token": session_token,
                    "expiration": expiration,
                }),
            ),
        };
        let mut credential = json!({"accessCredentialExpiresAt": expires_at});
        credential[block] = token;
        Reply::json(
            200,
            json!({
                "cloudAccountId": role.account_id,
                "cloudAccountVendorType": role.vendor.as_str(),
                "cloudAccountRoleId": format!("car_{}", role.name),
                "cloudAccountRoleExternalId": role.external_id,
                "cloudAccountRoleName": role.name,
                "cloudAccountRoleAccessCredential": credential,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::utc_timestamp;

    #[test]
    fn timestamps_are_utc_iso() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }
}
