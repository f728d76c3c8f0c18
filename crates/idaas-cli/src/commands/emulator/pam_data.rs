//! The PAM data `idaas emulator` loads: the built-in demo set
//! (`demo-pam.json`) or a `--pam-data FILE` of the same shape (docs/cli.md).

use idaas_emulator::{CloudAccountRole, CloudVendor, Emulator, OAuthProvider};
use serde_json::Value;

/// The built-in demo data.
pub(crate) const DEMO: &str = include_str!("demo-pam.json");

fn field<'a>(entry: &'a Value, list: &str, i: usize, name: &str) -> Result<&'a str, String> {
    entry[name]
        .as_str()
        .ok_or_else(|| format!("{list}[{i}].{name}: a string is required"))
}

fn entries<'a>(data: &'a Value, list: &str) -> Result<&'a [Value], String> {
    match &data[list] {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(format!("{list}: an array is expected")),
    }
}

fn vendor(name: &str, i: usize) -> Result<CloudVendor, String> {
    match name {
        "aws" => Ok(CloudVendor::Aws),
        "alibaba_cloud" => Ok(CloudVendor::AlibabaCloud),
        "tencent_cloud" => Ok(CloudVendor::TencentCloud),
        other => Err(format!(
            "cloudAccountRoles[{i}].vendor: {other:?} is not aws, alibaba_cloud or tencent_cloud"
        )),
    }
}

/// Loads `text` into a throwaway emulator (the tests' check).
#[cfg(test)]
fn load_checked(text: &str) -> Result<Summary, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let emulator = Emulator::start().await.unwrap();
        load(&emulator, text)
    })
}

/// Registers everything `text` (the JSON document) describes; the error
/// names the member that is wrong.
pub(crate) fn load(emulator: &Emulator, text: &str) -> Result<Summary, String> {
    let data: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !data.is_object() {
        return Err("a JSON object is expected".into());
    }
    let mut summary = Summary::default();
    for (i, e) in entries(&data, "apiKeys")?.iter().enumerate() {
        let id = field(e, "apiKeys", i, "credentialIdentifier")?;
        emulator.register_api_key(id, field(e, "apiKeys", i, "apiKey")?);
        summary.api_keys.push(id.to_owned());
    }
    for (i, e) in entries(&data, "oauthClientCredentials")?.iter().enumerate() {
        let list = "oauthClientCredentials";
        emulator.register_oauth_client_credential(
            field(e, list, i, "credentialIdentifier")?,
            field(e, list, i, "clientId")?,
            field(e, list, i, "clientSecret")?,
        );
    }
    for (i, e) in entries(&data, "oauthProviders")?.iter().enumerate() {
        let id = field(e, "oauthProviders", i, "identifier")?;
        let scope = field(e, "oauthProviders", i, "scope")?;
        emulator.register_oauth_provider(match e["authorizationEndpoint"].as_str() {
            Some(endpoint) => OAuthProvider::user_federation(id, scope, endpoint),
            None => OAuthProvider::m2m(id, scope),
        });
        summary.oauth_providers.push(id.to_owned());
    }
    for (i, e) in entries(&data, "jwtProviders")?.iter().enumerate() {
        let id = field(e, "jwtProviders", i, "identifier")?;
        emulator.register_jwt_provider(id, field(e, "jwtProviders", i, "issuer")?);
        summary.jwt_providers.push(id.to_owned());
    }
    for (i, e) in entries(&data, "cloudAccountRoles")?.iter().enumerate() {
        let list = "cloudAccountRoles";
        let id = field(e, list, i, "externalId")?;
        emulator.register_cloud_account_role(CloudAccountRole::new(
            id,
            vendor(field(e, list, i, "vendor")?, i)?,
            field(e, list, i, "accountId")?,
        ));
        summary.cloud_account_roles.push(id.to_owned());
    }
    Ok(summary)
}

/// The identifiers loaded, for the banner.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub api_keys: Vec<String>,
    pub oauth_providers: Vec<String>,
    pub jwt_providers: Vec<String>,
    pub cloud_account_roles: Vec<String>,
}

impl Summary {
    /// As the `pam` member of the `--json` banner.
    pub(crate) fn json(&self) -> Value {
        serde_json::json!({
            "api_keys": self.api_keys,
            "oauth_providers": self.oauth_providers,
            "jwt_providers": self.jwt_providers,
            "cloud_account_roles": self.cloud_account_roles,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_name_the_member() {
        let e = super::load_checked(r#"{"apiKeys":[{"credentialIdentifier":"x"}]}"#).unwrap_err();
        assert_eq!(e, "apiKeys[0].apiKey: a string is required");
        let e = super::load_checked(
            r#"{"cloudAccountRoles":[{"externalId":"r","vendor":"gcp","accountId":"1"}]}"#,
        )
        .unwrap_err();
        assert!(e.starts_with("cloudAccountRoles[0].vendor"), "{e}");
        assert!(super::load_checked(super::DEMO).is_ok());
    }
}
