//! `ObtainCloudAccountRoleAccessCredential`: temporary cloud
//! credentials of a role, for "AK-less" access to Alibaba Cloud, AWS or
//! Tencent Cloud.

use crate::error::Error;
use crate::sts_model::{
    CloudAccountRoleCredential, MAX_ROLE_DURATION_SECS, MIN_ROLE_DURATION_SECS,
};
use crate::transport::{PamClient, parse, require};

impl PamClient {
    /// Temporary credentials of the cloud-account role `role_external_id`
    /// (e.g. a role ARN), valid `duration_seconds` (900..=43200; default:
    /// the role's). The bearer token's scope must grant
    /// `cloud_account:obtain_access_credential` (or `.all`) on `urn:cloud:idaas:pam`.
    pub async fn obtain_cloud_account_role_access_credential(
        &self,
        role_external_id: &str,
        duration_seconds: Option<u32>,
    ) -> Result<CloudAccountRoleCredential, Error> {
        require(role_external_id, "cloud_account_role_external_id")?;
        let mut query = vec![("cloudAccountRoleExternalId", role_external_id.to_owned())];
        if let Some(duration) = duration_seconds {
            if !(MIN_ROLE_DURATION_SECS..=MAX_ROLE_DURATION_SECS).contains(&duration) {
                return Err(Error::InvalidArgument(format!(
                    "duration_seconds is {duration}; it must be between \
                     {MIN_ROLE_DURATION_SECS} and {MAX_ROLE_DURATION_SECS}"
                )));
            }
            query.push(("durationSeconds", duration.to_string()));
        }
        let phrase = "obtain cloud account role access credential";
        let map = self
            .get(
                (phrase, "ObtainCloudAccountRoleAccessCredential"),
                "/cloudAccountRoles/_/actions/obtainAccessCredential",
                query,
            )
            .await?;
        parse(phrase, map)
    }
}
