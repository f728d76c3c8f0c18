//! The configuration model against the reference SDK's schema: every example
//! parses, every misconfiguration gets its own error naming the field.

use std::path::{Path, PathBuf};
use std::time::Duration;

use idaas_core::config::*;
use serde_json::{Value, json};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/config")
}

fn base() -> Value {
    json!({
        "idaasInstanceId": "idaas_1",
        "clientId": "app_1",
        "issuer": "https://idp.example.com/oidc",
        "tokenEndpoint": "https://idp.example.com/oidc/token",
        "authnConfiguration": {
            "authnMethod": "CLIENT_SECRET_POST",
            "clientSecretEnvVarName": "IDAAS_CLIENT_SECRET"
        }
    })
}

/// Sets (or with `null`, removes) the member at a JSON pointer.
fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let obj = v.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    if value.is_null() {
        obj.remove(key);
    } else {
        obj.insert(key.to_owned(), value);
    }
    v
}

fn err(v: &Value) -> ConfigError {
    ClientConfig::from_json_value(v).expect_err("must be rejected")
}

fn assert_field(v: &Value, path: &str, problem: FieldProblem) -> String {
    let e = err(v);
    assert_eq!(e.field_path(), Some(path), "{e}");
    assert_eq!(e.problem(), Some(problem), "{e}");
    let text = e.to_string();
    assert!(text.starts_with(&format!("{path}: ")), "{text}");
    text
}

fn method(fields: Value) -> Value {
    with(base(), "/authnConfiguration", fields)
}

#[test]
fn every_example_config_parses() {
    let want = [
        ("client-secret-basic.json", AuthnMethod::ClientSecretBasic),
        ("client-secret-post.json", AuthnMethod::ClientSecretPost),
        ("client-secret-jwt.json", AuthnMethod::ClientSecretJwt),
        ("private-key-jwt.json", AuthnMethod::PrivateKeyJwt),
        ("pkcs7.json", AuthnMethod::Pkcs7),
        ("oidc.json", AuthnMethod::Oidc),
        ("pca.json", AuthnMethod::Pca),
        ("plugin.json", AuthnMethod::Plugin),
        ("snake-case.json", AuthnMethod::ClientSecretPost),
    ];
    let files = std::fs::read_dir(examples_dir()).unwrap().count();
    assert_eq!(files, want.len(), "every shipped example is covered");
    for (file, method) in want {
        let config = ClientConfig::from_file(&examples_dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(config.authn.method(), method, "{file}");
        assert_eq!(config.scope.audience(), "api.example.com");
        assert_eq!(
            config.developer_api_endpoint.as_deref(),
            Some("https://eiam-developerapi.cn-hangzhou.aliyuncs.com")
        );
    }
    let pca = ClientConfig::from_file(&examples_dir().join("pca.json")).unwrap();
    let AuthnMethodConfig::Pca {
        client_x509_certificate,
        x509_cert_chains,
        private_key,
        ..
    } = &pca.authn.method
    else {
        panic!("not PCA")
    };
    assert!(client_x509_certificate.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert_eq!(x509_cert_chains.matches("BEGIN CERTIFICATE").count(), 2);
    assert_eq!(private_key, &SecretSource::env("IDAAS_PRIVATE_KEY"));
    let plugin = ClientConfig::from_file(&examples_dir().join("plugin.json")).unwrap();
    assert_eq!(
        plugin.open_api_endpoint.as_deref(),
        Some("https://eiam.cn-hangzhou.aliyuncs.com")
    );
}

#[test]
fn defaults_follow_the_reference() {
    let c = ClientConfig::from_json_value(&base()).unwrap();
    assert_eq!(c.scope.as_str(), DEFAULT_SCOPE);
    assert_eq!(c.http.connect_timeout, Duration::from_millis(5000));
    assert_eq!(c.http.read_timeout, Duration::from_millis(10000));
    assert!(!c.http.unsafe_ignore_ssl_cert);
    assert_eq!(c.authn.identity_type, IdentityType::Client);
    assert_eq!(c.authn.human_authenticate_client_id, "iap_developer");
    // JSON null keeps defaults, like an absent key.
    let c = ClientConfig::from_json_value(&with(base(), "/scope", Value::Null)).unwrap();
    assert_eq!(c.scope.as_str(), DEFAULT_SCOPE);
}

#[test]
fn every_spelling_of_a_key_is_accepted() {
    let v = json!({
        "IDAAS_INSTANCE_ID": "idaas_1", "ClientId": "app_1", "issuer": "idp.example.com",
        "token_endpoint": "HTTPS://idp.example.com/token", "openapiEndpoint": "eiam.example.com",
        "authn_configuration": {"AUTHN_METHOD": "CLIENT_SECRET_BASIC", "clientSecretEnvVarName": "S"},
        "http_configuration": {"connect_timeout": 2000, "ReadTimeout": 60000},
        "someUnknownKey": 1
    });
    let c = ClientConfig::from_json_value(&v).unwrap();
    assert_eq!(c.client_id, "app_1");
    // Endpoint normalisation: no scheme → https, the scheme lower-cased.
    assert_eq!(c.issuer, "https://idp.example.com");
    assert_eq!(c.token_endpoint, "https://idp.example.com/token");
    assert_eq!(
        c.open_api_endpoint.as_deref(),
        Some("https://eiam.example.com")
    );
    assert_eq!(c.http.connect_timeout, Duration::from_millis(2000));
    assert_eq!(c.http.read_timeout, Duration::from_millis(60000));
    // Plain http stays only for loopback.
    let local = with(
        base(),
        "/tokenEndpoint",
        json!("http://127.0.0.1:8080/token"),
    );
    assert_eq!(
        ClientConfig::from_json_value(&local)
            .unwrap()
            .token_endpoint,
        "http://127.0.0.1:8080/token"
    );
    // Plain http to any other host is refused, naming the field (the
    // reference upgraded it silently); the host counts as written.
    for remote in [
        "http://idp.example.com/token",
        "HTTP://EXAMPLE.com/token",
        "http://2130706433/token",
        "http://127.1/token",
    ] {
        let err = ClientConfig::from_json_value(&with(base(), "/tokenEndpoint", json!(remote)))
            .unwrap_err();
        assert_eq!(err.field_path(), Some("tokenEndpoint"), "{remote}");
        assert_eq!(err.problem(), Some(FieldProblem::InvalidUrl), "{remote}");
        assert!(err.to_string().contains("write https://"), "{err}");
    }
    assert_eq!(
        ClientConfig::from_json_value(&with(
            base(),
            "/tokenEndpoint",
            json!("HTTP://localhost:8080/token")
        ))
        .unwrap()
        .token_endpoint,
        "http://localhost:8080/token"
    );
    // IDaaSInstanceId, dropped by the reference, is accepted.
    let v = with(
        with(base(), "/idaasInstanceId", Value::Null),
        "/IDaaSInstanceId",
        json!("idaas_2"),
    );
    assert_eq!(
        ClientConfig::from_json_value(&v).unwrap().idaas_instance_id,
        "idaas_2"
    );
}

#[test]
fn two_spellings_of_one_key_are_an_error() {
    let v = with(base(), "/client_id", json!("app_2"));
    let text = assert_field(&v, "clientId", FieldProblem::Duplicate);
    assert!(text.contains("client_id"), "{text}");
}

#[test]
fn each_required_field_missing_names_it() {
    for (pointer, path) in [
        ("/idaasInstanceId", "idaasInstanceId"),
        ("/clientId", "clientId"),
        ("/issuer", "issuer"),
        ("/tokenEndpoint", "tokenEndpoint"),
        ("/authnConfiguration", "authnConfiguration"),
        (
            "/authnConfiguration/authnMethod",
            "authnConfiguration.authnMethod",
        ),
        (
            "/authnConfiguration/clientSecretEnvVarName",
            "authnConfiguration.clientSecretEnvVarName",
        ),
    ] {
        assert_field(
            &with(base(), pointer, Value::Null),
            path,
            FieldProblem::Missing,
        );
    }
    for (pointer, path) in [
        ("/idaasInstanceId", "idaasInstanceId"),
        ("/clientId", "clientId"),
        ("/issuer", "issuer"),
        ("/tokenEndpoint", "tokenEndpoint"),
        (
            "/authnConfiguration/clientSecretEnvVarName",
            "authnConfiguration.clientSecretEnvVarName",
        ),
    ] {
        assert_field(
            &with(base(), pointer, json!("  ")),
            path,
            FieldProblem::Empty,
        );
    }
}

#[test]
fn each_method_requires_its_own_fields() {
    let cases = [
        (
            json!({"authnMethod": "PRIVATE_KEY_JWT"}),
            "privateKeyEnvVarName",
        ),
        (
            json!({"authnMethod": "CLIENT_SECRET_JWT"}),
            "clientSecretEnvVarName",
        ),
        (
            json!({"authnMethod": "CLIENT_SECRET_BASIC"}),
            "clientSecretEnvVarName",
        ),
        (
            json!({"authnMethod": "PKCS7", "clientDeployEnvironment": "ALIBABA_CLOUD_ECS"}),
            "applicationFederatedCredentialName",
        ),
        (
            json!({"authnMethod": "PKCS7", "applicationFederatedCredentialName": "f"}),
            "clientDeployEnvironment",
        ),
        (
            json!({"authnMethod": "OIDC", "applicationFederatedCredentialName": "f"}),
            "clientDeployEnvironment",
        ),
        (
            json!({"authnMethod": "PCA", "clientX509Certificate": "c", "x509CertChains": "x", "privateKeyEnvVarName": "K"}),
            "applicationFederatedCredentialName",
        ),
        (
            json!({"authnMethod": "PCA", "applicationFederatedCredentialName": "f", "x509CertChains": "x", "privateKeyEnvVarName": "K"}),
            "clientX509Certificate",
        ),
        (
            json!({"authnMethod": "PCA", "applicationFederatedCredentialName": "f", "clientX509Certificate": "c", "privateKeyEnvVarName": "K"}),
            "x509CertChains",
        ),
        (
            json!({"authnMethod": "PCA", "applicationFederatedCredentialName": "f", "clientX509Certificate": "c", "x509CertChains": "x"}),
            "privateKeyEnvVarName",
        ),
        (json!({"authnMethod": "PLUGIN"}), "pluginName"),
    ];
    for (fields, name) in cases {
        assert_field(
            &method(fields),
            &format!("authnConfiguration.{name}"),
            FieldProblem::Missing,
        );
    }
}

#[test]
fn a_method_with_another_methods_fields_is_rejected() {
    let v = method(json!({
        "authnMethod": "CLIENT_SECRET_POST",
        "clientSecretEnvVarName": "S",
        "privateKeyEnvVarName": "K"
    }));
    let text = assert_field(
        &v,
        "authnConfiguration.privateKeyEnvVarName",
        FieldProblem::NotForMethod,
    );
    assert!(
        text.contains("CLIENT_SECRET_POST") && text.contains("PRIVATE_KEY_JWT, PCA"),
        "{text}"
    );
    let v = method(
        json!({"authnMethod": "PRIVATE_KEY_JWT", "privateKeyEnvVarName": "K", "pluginName": "p"}),
    );
    assert_field(
        &v,
        "authnConfiguration.pluginName",
        FieldProblem::NotForMethod,
    );
    let v = method(json!({
        "authnMethod": "PKCS7", "applicationFederatedCredentialName": "f",
        "clientDeployEnvironment": "ALIBABA_CLOUD_ECS", "oidcTokenFilePath": "/t"
    }));
    assert_field(
        &v,
        "authnConfiguration.oidcTokenFilePath",
        FieldProblem::NotForMethod,
    );
}

#[test]
fn unknown_enum_values_name_the_value_and_the_allowed_set() {
    let text = assert_field(
        &with(
            base(),
            "/authnConfiguration/authnMethod",
            json!("client_secret_post"),
        ),
        "authnConfiguration.authnMethod",
        FieldProblem::UnknownValue,
    );
    assert!(
        text.contains("\"client_secret_post\"")
            && text.contains("CLIENT_SECRET_BASIC, CLIENT_SECRET_POST"),
        "{text}"
    );
    let text = assert_field(
        &with(base(), "/authnConfiguration/identityType", json!("human")),
        "authnConfiguration.identityType",
        FieldProblem::UnknownValue,
    );
    assert!(text.contains("CLIENT, HUMAN"), "{text}");
    let v = method(
        json!({"authnMethod": "OIDC", "applicationFederatedCredentialName": "f", "clientDeployEnvironment": "K8S"}),
    );
    assert_field(
        &v,
        "authnConfiguration.clientDeployEnvironment",
        FieldProblem::UnknownValue,
    );
    let v = method(
        json!({"authnMethod": "OIDC", "applicationFederatedCredentialName": "f", "clientDeployEnvironment": "AWS_EC2"}),
    );
    let text = assert_field(
        &v,
        "authnConfiguration.clientDeployEnvironment",
        FieldProblem::Unsupported,
    );
    assert!(text.contains("KUBERNETES"), "{text}");
}

#[test]
fn each_wrong_type_names_the_field() {
    for (pointer, value, path) in [
        ("/clientId", json!(42), "clientId"),
        ("/idaasInstanceId", json!(["a"]), "idaasInstanceId"),
        ("/scope", json!({"a": 1}), "scope"),
        ("/tokenEndpoint", json!(true), "tokenEndpoint"),
        (
            "/authnConfiguration",
            json!("CLIENT_SECRET_POST"),
            "authnConfiguration",
        ),
        (
            "/authnConfiguration/authnMethod",
            json!(1),
            "authnConfiguration.authnMethod",
        ),
        (
            "/authnConfiguration/clientSecretEnvVarName",
            json!(false),
            "authnConfiguration.clientSecretEnvVarName",
        ),
        ("/httpConfiguration", json!([]), "httpConfiguration"),
    ] {
        let text = assert_field(&with(base(), pointer, value), path, FieldProblem::WrongType);
        assert!(text.contains("expected"), "{text}");
    }
    for (http, path) in [
        (
            json!({"connectTimeout": "5000"}),
            "httpConfiguration.connectTimeout",
        ),
        (
            json!({"readTimeout": 5000.5}),
            "httpConfiguration.readTimeout",
        ),
        (
            json!({"connectTimeout": -5}),
            "httpConfiguration.connectTimeout",
        ),
        (
            json!({"unsafeIgnoreSslCert": "yes"}),
            "httpConfiguration.unsafeIgnoreSslCert",
        ),
    ] {
        assert_field(
            &with(base(), "/httpConfiguration", http),
            path,
            FieldProblem::WrongType,
        );
    }
}

#[test]
fn bad_timeouts_are_rejected_with_the_range() {
    for (key, ms) in [
        ("connectTimeout", 1999),
        ("connectTimeout", 60001),
        ("readTimeout", 0),
        ("readTimeout", 600000),
    ] {
        let v = with(base(), "/httpConfiguration", json!({ key: ms }));
        let text = assert_field(
            &v,
            &format!("httpConfiguration.{key}"),
            FieldProblem::OutOfRange,
        );
        assert!(text.contains("2000..=60000"), "{text}");
    }
}

#[test]
fn bad_scope_formats() {
    for (scope, problem) in [
        ("read write", FieldProblem::InvalidScope),
        ("api|read|write", FieldProblem::InvalidScope),
        ("|read", FieldProblem::InvalidScope),
        ("api|", FieldProblem::InvalidScope),
        ("", FieldProblem::InvalidScope),
        ("a|read b|write", FieldProblem::MultipleAudiences),
    ] {
        assert_field(&with(base(), "/scope", json!(scope)), "scope", problem);
    }
    let c = ClientConfig::from_json_value(&with(
        base(),
        "/scope",
        json!("api://svc|read  api://svc|write"),
    ))
    .unwrap();
    assert_eq!(
        c.scope.as_str(),
        "api://svc|read  api://svc|write",
        "sent verbatim"
    );
}

#[test]
fn bad_endpoints_and_human_identity() {
    assert_field(
        &with(base(), "/tokenEndpoint", json!("ftp://x/token")),
        "tokenEndpoint",
        FieldProblem::InvalidUrl,
    );
    assert_field(
        &with(base(), "/issuer", json!("https://")),
        "issuer",
        FieldProblem::InvalidUrl,
    );
    let human = with(base(), "/authnConfiguration/identityType", json!("HUMAN"));
    assert_field(&human, "deviceAuthorizationEndpoint", FieldProblem::Missing);
    let ok = with(
        human,
        "/deviceAuthorizationEndpoint",
        json!("https://idp.example.com/device"),
    );
    assert_eq!(
        ClientConfig::from_json_value(&ok)
            .unwrap()
            .authn
            .identity_type,
        IdentityType::Human
    );
}

#[test]
fn a_missing_env_var_names_the_field_and_the_variable() {
    let c = ClientConfig::from_json_value(&base()).unwrap();
    let e = c.check_environment(&MapEnv::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "authnConfiguration.clientSecretEnvVarName: environment variable IDAAS_CLIENT_SECRET is not set; export it with the secret"
    );
    assert_eq!(e.problem(), Some(FieldProblem::EnvVarNotSet));
    assert!(
        c.check_environment(&MapEnv::new().with("IDAAS_CLIENT_SECRET", " "))
            .is_err(),
        "blank counts as unset"
    );
    let env = MapEnv::new().with("IDAAS_CLIENT_SECRET", "s3cret");
    c.check_environment(&env).unwrap();
    let secret = c
        .authn
        .method
        .client_secret()
        .unwrap()
        .resolve(&env, "x")
        .unwrap();
    assert_eq!(secret.expose_secret(), "s3cret");
    let pk = method(json!({"authnMethod": "PRIVATE_KEY_JWT", "privateKeyEnvVarName": "MY_KEY"}));
    let e = ClientConfig::from_json_value(&pk)
        .unwrap()
        .check_environment(&MapEnv::new())
        .unwrap_err();
    assert_eq!(
        e.field_path(),
        Some("authnConfiguration.privateKeyEnvVarName")
    );
    assert!(e.to_string().contains("MY_KEY"));
}

#[test]
fn load_order_explicit_then_env_then_home() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, client: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, with(base(), "/clientId", json!(client)).to_string()).unwrap();
        path
    };
    let explicit = write("explicit.json", "explicit");
    let from_env = write("env.json", "env");
    std::fs::create_dir_all(dir.path().join(".cloud_idaas")).unwrap();
    write(".cloud_idaas/client-config.json", "home");
    let env = MapEnv::new()
        .with("HOME", dir.path().display().to_string())
        .with("IDAAS_CLIENT_SECRET", "s");
    let load = |explicit: Option<&Path>, env: &MapEnv| {
        ClientConfig::load_with(explicit, env).map(|c| c.client_id)
    };
    assert_eq!(load(None, &env).unwrap(), "home");
    let with_var = env
        .clone()
        .with(CONFIG_PATH_ENV, from_env.display().to_string());
    assert_eq!(load(None, &with_var).unwrap(), "env");
    assert_eq!(load(Some(&explicit), &with_var).unwrap(), "explicit");
    // A whitespace-only variable counts as unset.
    assert_eq!(
        load(None, &env.clone().with(CONFIG_PATH_ENV, "  ")).unwrap(),
        "home"
    );
    // `~` expands to HOME.
    assert_eq!(
        load(Some(Path::new("~/explicit.json")), &env).unwrap(),
        "explicit"
    );
    // Not found names the path and where it came from.
    let e = ClientConfig::load_with(Some(&dir.path().join("nope.json")), &env).unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::NotFound {
                origin: ConfigOrigin::Explicit,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("nope.json") && e.to_string().contains("CLOUD_IDAAS_CONFIG_PATH")
    );
    let empty_home = MapEnv::new().with("HOME", dir.path().join("empty").display().to_string());
    let e = ClientConfig::load_with(None, &empty_home).unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::NotFound {
                origin: ConfigOrigin::Default,
                ..
            }
        ),
        "{e}"
    );
    // A missing secret fails the load, naming the field.
    let no_secret = MapEnv::new().with("HOME", dir.path().display().to_string());
    let e = ClientConfig::load_with(None, &no_secret).unwrap_err();
    assert_eq!(
        e.field_path(),
        Some("authnConfiguration.clientSecretEnvVarName")
    );
}

#[test]
fn malformed_files_get_clear_errors_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, bytes: &[u8], needle: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = ClientConfig::from_file(&path).unwrap_err();
        let text = e.to_string();
        assert!(text.contains(needle), "{name}: {text}");
        assert!(
            text.contains(name),
            "{name}: the error names the file: {text}"
        );
    };
    check("empty.json", b"", "is empty");
    check("blank.json", b"  \n", "is empty");
    check("not-json.json", b"clientId = app", "not valid JSON");
    check("truncated.json", b"{\"clientId\": \"a\",", "line 1");
    check("array.json", b"[1, 2]", "JSON object");
    check("bom.json", b"\xEF\xBB\xBF{}", "byte-order mark");
    check("latin1.json", b"{\"clientId\": \"caf\xE9\"}", "not UTF-8");
    let big = vec![b' '; 50 * 1024 * 1024];
    check("huge.json", &big, "over the 1048576-byte limit");
    let e = ClientConfig::from_file(dir.path()).unwrap_err();
    assert!(matches!(e, ConfigError::Unreadable { .. }), "{e}");
}

#[test]
fn builder_validates_like_a_file() {
    let partial = || {
        ClientConfig::builder()
            .idaas_instance_id("i")
            .client_id("c")
            .issuer("https://idp.example.com")
            .token_endpoint("https://idp.example.com/token")
    };
    let e = partial()
        .scope("a|x b|y")
        .client_secret_basic(SecretSource::env("S"))
        .build()
        .unwrap_err();
    assert_eq!(e.problem(), Some(FieldProblem::MultipleAudiences));
    let e = partial()
        .private_key_jwt(SecretSource::env("K"))
        .connect_timeout(Duration::from_millis(100))
        .build()
        .unwrap_err();
    assert_eq!(e.field_path(), Some("httpConfiguration.connectTimeout"));
    let e = partial().build().unwrap_err();
    assert_eq!(e.field_path(), Some("authnConfiguration"));
    let c = partial()
        .pca(
            "fed",
            "CERT",
            "CHAIN",
            SecretSource::Value("-----BEGIN PRIVATE KEY-----".into()),
        )
        .read_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    assert_eq!(c.http.read_timeout, Duration::from_secs(30));
    assert_eq!(c.authn.method(), AuthnMethod::Pca);
}

#[test]
fn no_secret_in_debug_or_redacted_json() {
    let c = ClientConfig::builder()
        .idaas_instance_id("i")
        .client_id("c")
        .issuer("https://idp.example.com")
        .token_endpoint("https://idp.example.com/token")
        .client_secret_post(SecretSource::Value("TOPSECRET-VALUE".into()))
        .build()
        .unwrap();
    let debug = format!("{c:?} {:#?}", c.authn);
    assert!(!debug.contains("TOPSECRET"), "{debug}");
    let json = c.to_redacted_json().to_string();
    assert!(
        !json.contains("TOPSECRET") && json.contains("[REDACTED]"),
        "{json}"
    );
    // A secret from the environment never reaches Debug or the redacted view.
    let env = MapEnv::new().with("IDAAS_CLIENT_SECRET", "TOPSECRET-ENV");
    let from_env = ClientConfig::from_json_value(&base()).unwrap();
    from_env.check_environment(&env).unwrap();
    let redacted = from_env.to_redacted_json();
    assert_eq!(
        redacted["authnConfiguration"]["clientSecretEnvVarName"],
        "IDAAS_CLIENT_SECRET"
    );
    assert!(!format!("{from_env:?}{redacted}").contains("TOPSECRET"));
    // The redacted view of an env-based config is itself the same config.
    assert_eq!(ClientConfig::from_json_value(&redacted).unwrap(), from_env);
}
