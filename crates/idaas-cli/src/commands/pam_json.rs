//! The `--json` shapes of `idaas pam …` (documented in docs/cli.md): the
//! API's fields in snake_case. Secrets appear only where printing them is
//! the command's job.

use idaas::pam::{
    AuthenticationToken, AuthorizationSession, CloudAccountRoleCredential, JwtContent,
    OAuthAuthenticationToken, SessionStatus, StsCredential,
};
use serde_json::{Value, json};

pub(super) fn status(status: Option<&SessionStatus>) -> Option<&'static str> {
    status.map(|s| match s {
        SessionStatus::Pending => "pending",
        SessionStatus::CallbackReceived => "callback_received",
        SessionStatus::Completed => "completed",
        SessionStatus::Failed => "failed",
        SessionStatus::Expired => "expired",
        SessionStatus::Unknown => "unknown",
    })
}

/// An authentication-token record (no secret in it).
pub(super) fn record(t: &AuthenticationToken) -> Value {
    json!({
        "instance_id": t.instance_id,
        "authentication_token_id": t.authentication_token_id,
        "credential_provider_id": t.credential_provider_id,
        "authentication_token_type": t.authentication_token_type,
        "revoked": t.revoked,
        "creator_type": t.creator_type,
        "creator_id": t.creator_id,
        "consumer_type": t.consumer_type,
        "consumer_id": t.consumer_id,
        "create_time": t.create_time,
        "update_time": t.update_time,
        "expiration_time": t.expiration_time,
    })
}

/// A fetched OAuth token: the record, the token (printing it is the job), or the session.
pub(super) fn oauth_token(t: &OAuthAuthenticationToken) -> Value {
    let mut v = record(&t.record);
    let content = t.oauth_access_token_content.as_ref();
    v["access_token"] = json!(content.map(|c| c.access_token_value.expose_secret()));
    v["token_type"] = json!(content.and_then(|c| c.token_type.as_deref()));
    v["scope"] = json!(content.and_then(|c| c.scope.as_deref()));
    v["authorization_session"] = match &t.oauth_authorization_session {
        Some(s) => json!({
            "session_id": s.session_id,
            "session_uri": s.session_uri,
            "authorization_url": s.authorization_url,
            "session_status": status(s.session_status.as_ref()),
        }),
        None => Value::Null,
    };
    v
}

pub(super) fn session(s: &AuthorizationSession) -> Value {
    json!({
        "instance_id": s.instance_id,
        "session_id": s.session_id,
        "session_uri": s.session_uri,
        "session_status": status(s.session_status.as_ref()),
        "credential_provider_identifier": s.credential_provider_identifier,
        "consumer_type": s.consumer_type,
        "consumer_id": s.consumer_id,
        "creator_type": s.creator_type,
        "creator_id": s.creator_id,
        "authorization_url": s.authorization_url,
        "expiration_time": s.expiration_time,
        "authentication_token_id": s.authentication_token_id,
        "error_code": s.error_code,
        "error_description": s.error_description,
    })
}

pub(super) fn jwt(content: &JwtContent) -> Value {
    json!({
        "jwt": content.jwt_value.expose_secret(),
        "derived_short_token": content.derived_short_token.as_ref().map(|s| s.expose_secret()),
    })
}

/// STS credentials, secrets included: printing them is `cloud-credential`'s job.
pub(super) fn cloud_credential(c: &CloudAccountRoleCredential) -> Value {
    let access = &c.cloud_account_role_access_credential;
    let credential = match access.sts() {
        Some(StsCredential::AlibabaCloud(t)) => json!({
            "vendor": "alibaba_cloud",
            "access_key_id": t.access_key_id,
            "access_key_secret": t.access_key_secret.expose_secret(),
            "security_token": t.security_token.expose_secret(),
            "expiration": t.expiration,
        }),
        Some(StsCredential::Aws(t)) => json!({
            "vendor": "aws",
            "access_key_id": t.access_key_id,
            "secret_access_key": t.secret_access_key.expose_secret(),
            "session_token": t.session_token.expose_secret(),
            "expiration": t.expiration,
        }),
        Some(StsCredential::TencentCloud(t)) => json!({
            "vendor": "tencent_cloud",
            "tmp_secret_id": t.tmp_secret_id,
            "tmp_secret_key": t.tmp_secret_key.expose_secret(),
            "token": t.token.expose_secret(),
            "expiration": t.expiration,
        }),
        Some(_) | None => Value::Null,
    };
    json!({
        "cloud_account_id": c.cloud_account_id,
        "cloud_account_vendor_type": c.cloud_account_vendor_type,
        "cloud_account_role_id": c.cloud_account_role_id,
        "cloud_account_role_external_id": c.cloud_account_role_external_id,
        "cloud_account_role_name": c.cloud_account_role_name,
        "access_credential_expires_at": access.access_credential_expires_at,
        "credential": credential,
    })
}

/// The environment variables each vendor's tools read, by field of the
/// `credential` object.
const ENV_NAMES: [(&str, &str); 9] = [
    ("access_key_id", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("access_key_secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("security_token", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
    ("session_token", "AWS_SESSION_TOKEN"),
    ("tmp_secret_id", "TENCENTCLOUD_SECRET_ID"),
    ("tmp_secret_key", "TENCENTCLOUD_SECRET_KEY"),
    ("token", "TENCENTCLOUD_SESSION_TOKEN"),
    ("expiration", "IDAAS_CREDENTIAL_EXPIRATION"),
];

/// `export NAME='value'` lines of a `credential` object (values single-quoted
/// for the shell).
pub(super) fn env_lines(credential: &Value) -> Vec<String> {
    let aws = credential["vendor"] == "aws";
    let mut lines = Vec::new();
    let Some(fields) = credential.as_object() else {
        return lines;
    };
    for (field, value) in fields {
        let Some(text) = value.as_str() else { continue };
        let name = match field.as_str() {
            "vendor" => continue,
            "access_key_id" if aws => "AWS_ACCESS_KEY_ID",
            other => match ENV_NAMES.iter().find(|(f, _)| *f == other) {
                Some((_, name)) => name,
                None => continue,
            },
        };
        let quoted = text.replace('\'', "'\\''");
        lines.push(format!(
            "export {name}='{}'",
            crate::output::verbatim(&quoted)
        ));
    }
    lines
}

/// The AWS `credential_process` JSON of an AWS `credential` object.
pub(super) fn aws_credential_process(credential: &Value) -> Option<Value> {
    if credential["vendor"] != "aws" {
        return None;
    }
    let mut out = json!({
        "Version": 1,
        "AccessKeyId": credential["access_key_id"],
        "SecretAccessKey": credential["secret_access_key"],
        "SessionToken": credential["session_token"],
    });
    if let Some(expiration) = credential["expiration"].as_str() {
        out["Expiration"] = json!(expiration);
    }
    Some(out)
}
