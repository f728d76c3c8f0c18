//! Issue 17's CLI flags against oidc-provider (interop/): `--dpop
//! [--dpop-key]` on a token command (the token's `cnf.jkt` is the key's
//! thumbprint, shown by `decode`; the nonce dance of a provider that
//! demands one), `login --par --dpop-key` for a client that must push and
//! bind, `login --jar --jarm` (pushed, and on the front channel with
//! `--no-par`) for a client that must sign its requests; `device
//! --dpop-key`, then `refresh` (refused with another key) and
//! `token-exchange --dpop-key`.

#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/browser.rs"]
mod browser;
#[path = "support/mod.rs"]
mod cli_support;
#[allow(dead_code)]
#[path = "../../idaas-oauth/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

fn idaas(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(store, args, env).output().unwrap()
}

fn command(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idaas"));
    command
        .args(args)
        .env("IDAAS_TOKEN_STORE_DIR", store)
        .env("BROWSER", "/bin/false")
        .env_remove("IDAAS_CLIENT_SECRET")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

fn ok(out: &Output) -> Value {
    cli_support::ok_json(out)
}

fn key_file() -> PathBuf {
    support::fixture("p256-pkcs8.pem")
}

#[test]
fn dpop_bound_client_credentials_and_decode_shows_cnf() {
    let p = support::provider();
    let issuer = p.issuer();
    let resource = p.resource();
    let secret = p.client("dpop", "secret");
    let dir = tempfile::tempdir().unwrap();
    let key = key_file();
    let thumbprint = idaas_oauth::dpop::DpopKey::from_file(&key)
        .unwrap()
        .thumbprint()
        .to_owned();
    let cc = |client: &str, dpop: &[&str]| {
        let mut args = vec!["--json", "client-credentials", "--issuer", &issuer];
        args.extend(["--client-id", client, "--client-secret-env", "S"]);
        args.extend(["--scope", "api:read", "--resource", &resource]);
        args.extend_from_slice(dpop);
        idaas(dir.path(), &args, &[("S", secret.as_str())])
    };
    let dpop_client = p.client("dpop", "id");
    let key_arg = key.to_str().unwrap();
    let token = ok(&cc(&dpop_client, &["--dpop-key", key_arg]));
    assert_eq!(token["token_type"], "DPoP", "{token}");
    let jwt = token["access_token"].as_str().unwrap();

    let decoded = ok(&idaas(dir.path(), &["--json", "decode", jwt], &[]));
    assert_eq!(decoded["claims"]["cnf"]["jkt"], thumbprint.as_str());
    assert_eq!(
        decoded["binding"],
        serde_json::json!([{"method": "dpop", "jkt": thumbprint}])
    );
    let text = idaas(dir.path(), &["decode", jwt], &[]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("bound to a DPoP key (RFC 9449): jkt {thumbprint}")),
        "{text}"
    );

    // the client must bind: without a key the provider refuses
    let out = cc(&dpop_client, &[]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");

    // a provider that demands a nonce: the proof is redone with it, once
    let token = ok(&cc(&p.client("dpop_nonce", "id"), &["--dpop"]));
    assert_eq!(token["token_type"], "DPoP", "{token}");
    let decoded = ok(&idaas(
        dir.path(),
        &["--json", "decode", token["access_token"].as_str().unwrap()],
        &[],
    ));
    let fresh = decoded["binding"][0]["jkt"].as_str().unwrap();
    assert_ne!(fresh, thumbprint, "a bare --dpop makes a fresh key");
}

/// `idaas --json login --no-browser …` for `client` (scope openid) with
/// `flags`; the printed URL is checked by `url_check`, then the scripted
/// browser signs usr_alice in. Returns the login's JSON.
fn login(store: &Path, client: &str, flags: &[&str], url_check: impl Fn(&str)) -> Value {
    let p = support::provider();
    let issuer = p.issuer();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut args = vec!["--json", "login", "--no-browser", "--port", &port];
    args.extend([
        "--issuer",
        &issuer,
        "--client-id",
        client,
        "--scope",
        "openid",
    ]);
    args.extend_from_slice(flags);
    let mut child = command(store, &args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (rx, _) = cli_support::watch_lines(child.stderr.take().unwrap(), cli_support::printed_url);
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("idaas login printed the authorization URL");
    url_check(&url);
    let account = &p.info["accounts"]["usr_alice"];
    let landing = tokio::runtime::Runtime::new().unwrap().block_on(async {
        browser::Browser::new(
            account["login"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .drive(&url, &format!("http://127.0.0.1:{port}/callback"), true)
        .await
    });
    assert!(landing.body.contains("Signed in"), "{landing:?}");
    ok(&child.wait_with_output().unwrap())
}

#[test]
fn login_pushed_and_dpop_bound() {
    let p = support::provider();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file();
    let key_arg = key.to_str().unwrap();
    let client = p.client("par_native", "id");
    let signed_in = login(
        dir.path(),
        &client,
        &["--par", "--dpop-key", key_arg],
        |url| {
            assert!(
                url.contains("request_uri=") && !url.contains("code_challenge"),
                "{url}"
            );
        },
    );
    assert_eq!(signed_in["sub"], "usr_alice");
    // the DPoP-bound session, used with the same key
    let info = ok(&idaas(
        dir.path(),
        &[
            "--json",
            "userinfo",
            "--issuer",
            &p.issuer(),
            "--client-id",
            &client,
            "--dpop-key",
            key_arg,
        ],
        &[],
    ));
    assert_eq!(info["sub"], "usr_alice");
}

#[test]
fn login_with_a_signed_request_and_a_signed_response() {
    let p = support::provider();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file();
    let key_arg = key.to_str().unwrap();
    let client = p.client("jar_native", "id");
    // pushed (the provider has PAR): only the handle on the front channel
    let signed_in = login(dir.path(), &client, &["--jar", key_arg, "--jarm"], |url| {
        assert!(url.contains("request_uri="), "{url}");
    });
    assert_eq!(signed_in["sub"], "usr_alice");
    // --no-par: the request object itself on the front channel
    let signed_in = login(
        dir.path(),
        &client,
        &["--no-par", "--jar", key_arg, "--jarm"],
        |url| {
            assert!(
                url.contains("request=eyJ") && !url.contains("code_challenge"),
                "{url}"
            );
        },
    );
    assert_eq!(signed_in["sub"], "usr_alice");
    // without the request object this client is refused
    let out = idaas(
        dir.path(),
        &[
            "--json",
            "login",
            "--no-browser",
            "--issuer",
            &p.issuer(),
            "--client-id",
            &client,
            "--par",
        ],
        &[],
    );
    assert_ne!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn device_flow_refresh_and_token_exchange_with_dpop() {
    let p = support::provider();
    let issuer = p.issuer();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file();
    let key_arg = key.to_str().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let metadata = cli_support::discover(&issuer);
    let device_endpoint = metadata.raw["device_authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let native = p.client("dpop_native", "id");
    let mut child = command(
        dir.path(),
        &[
            "--json",
            "device",
            "--device-endpoint",
            &device_endpoint,
            "--token-endpoint",
            &metadata.token_endpoint,
            "--client-id",
            &native,
            "--scope",
            "openid offline_access",
            "--dpop-key",
            key_arg,
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (rx, _) = cli_support::watch_lines(child.stderr.take().unwrap(), |line| {
        serde_json::from_str::<Value>(line)
            .ok()
            .filter(|v| v["user_code"].is_string())
    });
    let shown = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("idaas device showed the code");
    let account = &p.info["accounts"]["usr_bob"];
    let uri = shown["verification_uri"].as_str().unwrap();
    let landing = runtime.block_on(async {
        browser::Browser::new(
            account["login"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .drive(
            &format!("{uri}?user_code={}", shown["user_code"].as_str().unwrap()),
            &format!("{uri}/never"),
            false,
        )
        .await
    });
    assert!(landing.body.contains("Device signed in"), "{landing:?}");
    let tokens = ok(&child.wait_with_output().unwrap());
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    // a public client's refresh token is bound to the key (RFC 9449 §5)
    let refresh = |dpop: &[&str]| {
        let mut args = vec![
            "--json",
            "refresh",
            "--issuer",
            &issuer,
            "--client-id",
            &native,
        ];
        args.extend(["--refresh-token-env", "RT"]);
        args.extend_from_slice(dpop);
        idaas(dir.path(), &args, &[("RT", refresh_token.as_str())])
    };
    let out = refresh(&["--dpop"]);
    assert_ne!(out.status.code(), Some(0), "another key: {out:?}");
    let renewed = ok(&refresh(&["--dpop-key", key_arg]));
    assert_eq!(renewed["token_type"], "DPoP", "{renewed}");

    // token exchange by the DPoP client: the issued token is bound too
    let basic_id = p.client("basic", "id");
    let basic_secret = p.client("basic", "secret");
    let subject = ok(&idaas(
        dir.path(),
        &[
            "--json",
            "client-credentials",
            "--issuer",
            &issuer,
            "--client-id",
            &basic_id,
            "--client-secret-env",
            "S",
            "--scope",
            "api:read",
        ],
        &[("S", basic_secret.as_str())],
    ))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let dpop_id = p.client("dpop", "id");
    let dpop_secret = p.client("dpop", "secret");
    let exchanged = ok(&idaas(
        dir.path(),
        &[
            "--json",
            "token-exchange",
            "--issuer",
            &issuer,
            "--client-id",
            &dpop_id,
            "--client-secret-env",
            "S",
            "--subject-token-env",
            "SUBJECT",
            "--dpop-key",
            key_arg,
        ],
        &[("S", dpop_secret.as_str()), ("SUBJECT", subject.as_str())],
    ));
    assert_eq!(exchanged["token_type"], "DPoP", "{exchanged}");
}
