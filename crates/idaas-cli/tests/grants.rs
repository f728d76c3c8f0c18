//! `idaas jwt-bearer` and `idaas token-exchange --actor-token` end to end
//! against the certified OpenID Provider (oidc-provider, interop/): the
//! assertion's issuer is trusted through `/admin/trust`, the exchanged
//! token's `act` claim (seen by introspection) names the actor.

#[path = "support/mod.rs"]
mod cli_support;
#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use serde_json::{Value, json};

fn idaas(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idaas"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the idaas binary runs")
}

fn ok(out: &Output) -> Value {
    cli_support::ok_json(out)
}

fn trust(issuer: &str, jwks: Value) {
    use idaas_core::http::HttpClient;
    let p = support::provider();
    let http = idaas_core::http::HyperClient::new(Default::default()).unwrap();
    let request = http::Request::post(format!("{}/admin/trust", p.issuer()))
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(
            json!({"issuer": issuer, "jwks": jwks}).to_string(),
        ))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let response = rt.block_on(http.execute(request)).unwrap();
    assert!(response.status().is_success(), "{response:?}");
}

fn client_args(p: &support::Provider) -> Vec<String> {
    vec![
        "--issuer".into(),
        p.issuer(),
        "--client-id".into(),
        p.client("basic", "id"),
        "--client-secret-env".into(),
        "GRANTS_SECRET".into(),
    ]
}

#[test]
fn jwt_bearer_and_token_exchange_with_an_actor() {
    let p = support::provider();
    let secret = p.client("basic", "secret");
    let env = [("GRANTS_SECRET", secret.as_str())];
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("user-issuer.pem");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../idaas-oauth/tests/fixtures/p256-pkcs8.pem"
        ),
        &key,
    )
    .unwrap();
    let keys = idaas_oauth::KeyDirectory::load(dir.path()).unwrap();
    let our_issuer = "https://users.cli.example";
    trust(our_issuer, keys.jwk_set());
    let base = client_args(p);
    let base: Vec<&str> = base.iter().map(String::as_str).collect();

    let mut args = vec!["--json", "jwt-bearer"];
    args.extend(&base);
    args.extend([
        "--assertion-key",
        key.to_str().unwrap(),
        "--iss",
        our_issuer,
        "--sub",
        "user-42",
        "--scope",
        "openid api:read",
        "--purpose",
        "identify-customer",
        "--authorization-id",
        "auth-7",
        "--identifier",
        r#"{"id":"+34600000000","type":"phone_number"}"#,
    ]);
    let user = ok(&idaas(&args, &env));
    let user_token = user["access_token"].as_str().unwrap().to_owned();
    assert!(
        user["scope"].as_str().unwrap().contains("api:read"),
        "{user}"
    );

    // --dpop: the same grant, the token bound to a fresh key
    let mut bound = args.clone();
    bound.push("--dpop");
    let bound = ok(&idaas(&bound, &env));
    assert_eq!(bound["token_type"], "DPoP", "{bound}");

    // an untrusted issuer is refused: exit 4 (the credentials were refused)
    let mut bad = args.clone();
    let i = bad.iter().position(|a| *a == our_issuer).unwrap();
    bad[i] = "https://untrusted.example";
    let out = idaas(&bad, &env);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_grant"));

    // the actor: the client's own token
    let mut cc = vec!["--json", "client-credentials"];
    cc.extend(&base);
    cc.extend(["--scope", "api:read"]);
    let actor = ok(&idaas(&cc, &env))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ex = vec!["--json", "token-exchange"];
    ex.extend(&base);
    ex.extend([
        "--subject-token-env",
        "SUBJECT",
        "--actor-token-env",
        "ACTOR",
        "--requested-token-type",
        "urn:ietf:params:oauth:token-type:access_token",
        "--scope",
        "api:read",
    ]);
    let env3 = [
        ("GRANTS_SECRET", secret.as_str()),
        ("SUBJECT", user_token.as_str()),
        ("ACTOR", actor.as_str()),
    ];
    let issued = ok(&idaas(&ex, &env3));
    assert_eq!(
        issued["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let exchanged = issued["access_token"].as_str().unwrap();

    let mut intro = vec!["--json", "introspect", exchanged];
    intro.extend(&base);
    let info = ok(&idaas(&intro, &env));
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["exchanged_sub"], "user-42", "{info}");
    assert_eq!(info["act"]["sub"], p.client("basic", "id"), "{info}");

    // without an actor, no act claim
    let ex2: Vec<&str> = ex
        .iter()
        .copied()
        .filter(|a| *a != "--actor-token-env" && *a != "ACTOR")
        .collect();
    let plain = ok(&idaas(&ex2, &env3));
    let mut intro = vec![
        "--json",
        "introspect",
        plain["access_token"].as_str().unwrap(),
    ];
    intro.extend(&base);
    let info = ok(&idaas(&intro, &env));
    assert_eq!(info["exchanged_sub"], "user-42", "{info}");
    assert!(info.get("act").is_none_or(Value::is_null), "{info}");
}

/// `idaas exchange` (the configuration's client, client_secret_post) with
/// `--actor-token` (by file) or without: the issued token's `act` names
/// the actor's client.
#[test]
fn config_exchange_with_an_actor_token() {
    let p = support::provider();
    let secret = p.client("basic", "secret");
    let post_secret = p.client("post", "secret");
    let issuer = p.issuer();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("client-config.json");
    std::fs::write(
        &config,
        json!({
            "idaasInstanceId": "interop",
            "clientId": p.client("post", "id"),
            "issuer": issuer,
            "tokenEndpoint": format!("{issuer}/token"),
            "scope": p.info["idaas_scope"],
            "authnConfiguration": {"authnMethod": "CLIENT_SECRET_POST", "clientSecretEnvVarName": "POST_SECRET"}
        })
        .to_string(),
    )
    .unwrap();
    let env = [("GRANTS_SECRET", secret.as_str())];
    let base = client_args(p);
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let token_of = |client: &str, secret: &str| {
        let out = idaas(
            &[
                "--json",
                "client-credentials",
                "--issuer",
                &issuer,
                "--client-id",
                client,
                "--client-secret-env",
                "S",
                "--scope",
                "api:read",
            ],
            &[("S", secret)],
        );
        ok(&out)["access_token"].as_str().unwrap().to_owned()
    };
    let subject = token_of(&p.client("basic", "id"), &secret);
    let actor = token_of(&p.client("post", "id"), &post_secret);
    let actor_file = dir.path().join("actor.token");
    std::fs::write(&actor_file, format!("{actor}\n")).unwrap();
    let actor_arg = format!("@{}", actor_file.display());
    let config_arg = config.to_str().unwrap();
    let exchange = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "exchange",
            "--config",
            config_arg,
            "--subject-token-env",
            "SUBJECT",
            "--requested-token-type",
            "urn:ietf:params:oauth:token-type:access_token",
        ];
        args.extend_from_slice(extra);
        let issued = ok(&idaas(
            &args,
            &[
                ("POST_SECRET", post_secret.as_str()),
                ("SUBJECT", subject.as_str()),
            ],
        ));
        assert_eq!(
            issued["issued_token_type"],
            "urn:ietf:params:oauth:token-type:access_token"
        );
        let mut intro = vec![
            "--json",
            "introspect",
            issued["access_token"].as_str().unwrap(),
        ];
        intro.extend(&base);
        ok(&idaas(&intro, &env))
    };
    let info = exchange(&[
        "--actor-token",
        &actor_arg,
        "--actor-token-type",
        "urn:ietf:params:oauth:token-type:access_token",
    ]);
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["exchanged_sub"], p.client("basic", "id"), "{info}");
    assert_eq!(info["act"]["sub"], p.client("post", "id"), "{info}");
    let info = exchange(&[]);
    assert_eq!(info["exchanged_sub"], p.client("basic", "id"), "{info}");
    assert!(info.get("act").is_none_or(Value::is_null), "{info}");
}
