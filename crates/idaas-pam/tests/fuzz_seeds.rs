//! The fuzz seeds of `pam_responses` are documents the client accepts, so
//! the fuzzer starts from complete records (and the seeds follow the model).

use idaas_pam::{CloudAccountRoleCredential, JwtAuthenticationToken, OAuthAuthenticationToken};

fn seed(name: &str) -> String {
    let path = format!(
        "{}/../../fuzz/seeds/pam_responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_seed_parses_into_a_complete_record() {
    let jwt: JwtAuthenticationToken = serde_json::from_str(&seed("jwt.json")).unwrap();
    assert!(jwt.jwt_content.derived_short_token.is_some());
    let oauth: OAuthAuthenticationToken = serde_json::from_str(&seed("oauth.json")).unwrap();
    assert!(oauth.has_access_token_content() && oauth.has_authorization_session());
    let sts: CloudAccountRoleCredential = serde_json::from_str(&seed("sts.json")).unwrap();
    let c = &sts.cloud_account_role_access_credential;
    assert!(
        c.alibaba_cloud_sts_token.is_some()
            && c.aws_sts_token.is_some()
            && c.tencent_cloud_sts_token.is_some()
    );
}
