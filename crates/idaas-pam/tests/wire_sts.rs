//! On the wire: cloud-account role STS credentials of each cloud.

mod support;

use idaas_pam::StsCredential;
use serde_json::json;
use support::{Capture, assert_request};

#[tokio::test]
async fn obtain_cloud_account_role_access_credential() {
    let server = Capture::start().await;
    let pam = server.client();
    let header = |vendor: &str| {
        json!({
            "cloudAccountId": "1234", "cloudAccountVendorType": vendor, "cloudAccountRoleId": "car_1",
            "cloudAccountRoleExternalId": "acs:ram::1234:role/deploy", "cloudAccountRoleName": "deploy",
        })
    };
    let mut alibaba = header("alibaba_cloud");
    alibaba["cloudAccountRoleAccessCredential"] = json!({
        "accessCredentialExpiresAt": 1_795_003_600u64,
        "alibabaCloudStsToken": {"accessKeyId": "STS.AK", "accessKeySecret": "ali-secret", "securityToken": "ali-token", "expiration": "2026-11-18T12:06:40Z"},
    });
    server.reply(200, alibaba);
    let c = pam
        .obtain_cloud_account_role_access_credential("acs:ram::1234:role/deploy", Some(900))
        .await
        .unwrap();
    let r = server.take_one();
    assert_request(
        &r,
        "GET",
        "/cloudAccountRoles/_/actions/obtainAccessCredential",
        "ObtainCloudAccountRoleAccessCredential",
        true,
    );
    assert_eq!(
        r.query.as_deref(),
        Some("cloudAccountRoleExternalId=acs%3Aram%3A%3A1234%3Arole%2Fdeploy&durationSeconds=900")
    );
    assert_eq!(c.cloud_account_id.as_deref(), Some("1234"));
    assert_eq!(
        c.cloud_account_vendor_type.as_deref(),
        Some("alibaba_cloud")
    );
    assert_eq!(c.cloud_account_role_id.as_deref(), Some("car_1"));
    assert_eq!(
        c.cloud_account_role_external_id.as_deref(),
        Some("acs:ram::1234:role/deploy")
    );
    assert_eq!(c.cloud_account_role_name.as_deref(), Some("deploy"));
    let credential = &c.cloud_account_role_access_credential;
    assert_eq!(credential.access_credential_expires_at, Some(1_795_003_600));
    let Some(StsCredential::AlibabaCloud(t)) = credential.sts() else {
        panic!("{credential:?}")
    };
    assert_eq!(t.access_key_id, "STS.AK");
    assert_eq!(t.access_key_secret.expose_secret(), "ali-secret");
    assert_eq!(t.security_token.expose_secret(), "ali-token");
    assert_eq!(t.expiration.as_deref(), Some("2026-11-18T12:06:40Z"));

    // AWS, optional fields absent
    server.reply(
        200,
        json!({"cloudAccountRoleAccessCredential": {"awsStsToken": {"accessKeyId": "ASIA1", "secretAccessKey": "aws-secret", "sessionToken": "aws-token"}}}),
    );
    let c = pam
        .obtain_cloud_account_role_access_credential("arn:aws:iam::1:role/r", None)
        .await
        .unwrap();
    assert_eq!(
        server.take_one().query.as_deref(),
        Some("cloudAccountRoleExternalId=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr")
    );
    assert_eq!(
        (c.cloud_account_id, c.cloud_account_role_name),
        (None, None)
    );
    let Some(StsCredential::Aws(t)) = c.cloud_account_role_access_credential.sts() else {
        panic!()
    };
    assert_eq!(t.secret_access_key.expose_secret(), "aws-secret");
    assert_eq!(t.session_token.expose_secret(), "aws-token");
    assert_eq!(t.expiration, None);

    // Tencent Cloud
    server.reply(
        200,
        json!({"cloudAccountRoleAccessCredential": {"tencentCloudStsToken": {"tmpSecretId": "AKID1", "tmpSecretKey": "tc-secret", "token": "tc-token", "expiration": "2026-11-18T12:06:40Z"}}}),
    );
    let c = pam
        .obtain_cloud_account_role_access_credential("qcs::cam::uin/1:roleName/r", None)
        .await
        .unwrap();
    let Some(StsCredential::TencentCloud(t)) = c.cloud_account_role_access_credential.sts() else {
        panic!()
    };
    assert_eq!(t.tmp_secret_id, "AKID1");
    assert_eq!(t.tmp_secret_key.expose_secret(), "tc-secret");
    assert_eq!(t.token.expose_secret(), "tc-token");
}
