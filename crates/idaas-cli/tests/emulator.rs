//! `idaas emulator` as a user runs it, in its own process: the printed
//! banner and client-config.json, the device flow approved on the /device
//! page in headless Chromium and with `idaas emulator approve`, and PAM
//! commands against the default demo data.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

mod support;

/// A running `idaas emulator`, killed when dropped.
struct Running {
    child: Child,
    banner: Value,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn idaas() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.env_remove("CLOUD_IDAAS_CONFIG_PATH")
        .env_remove("IDAAS_EMULATOR_URL")
        .env("IDAAS_DEMO_CLIENT_SECRET", "demo-secret")
        .stdin(Stdio::null());
    cmd
}

fn start(extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("client-config.json");
    let mut child = idaas()
        .args([
            "--json",
            "emulator",
            "--device-interval",
            "1",
            "--write-config",
        ])
        .arg(&config)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let banner: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    Running {
        child,
        banner,
        config,
        _dir: dir,
    }
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out: Output = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pam(config: &Path, args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(idaas()
        .arg("--json")
        .arg("pam")
        .arg("--config")
        .arg(config)
        .args(args));
    assert_eq!(code, Some(0), "pam {args:?}: {stdout} {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn prints_and_writes_a_config_that_works() {
    let e = start(&[]);
    let base = e.banner["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    let written: Value = serde_json::from_slice(&std::fs::read(&e.config).unwrap()).unwrap();
    assert_eq!(written, e.banner["config"]);
    assert_eq!(written["tokenEndpoint"], format!("{base}/oauth2/token"));
    assert_eq!(e.banner["pam"]["api_keys"][0], "openai-demo");
    let (code, token, stderr) = run(idaas().arg("token").arg("--config").arg(&e.config));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(token.trim().split('.').count(), 3, "a JWT: {token}");
}

#[test]
fn pam_commands_work_against_the_demo_data() {
    let e = start(&[]);
    let v = pam(&e.config, &["get-api-key", "openai-demo"]);
    assert_eq!(v["api_key"], "sk-demo-0123456789");
    let v = pam(
        &e.config,
        &[
            "cloud-credential",
            "--role",
            "arn:aws:iam::123456789012:role/deploy",
        ],
    );
    assert_eq!(v["cloud_account_vendor_type"], "aws", "{v}");
    let v = pam(
        &e.config,
        &[
            "generate-jwt",
            "--provider",
            "jwt-demo",
            "--subject",
            "svc-a",
            "--audience",
            "api",
        ],
    );
    assert_eq!(v["consumer_id"], "svc-a", "{v}");
}

#[test]
fn pam_data_from_a_file_and_errors_naming_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pam.json");
    std::fs::write(
        &data,
        r#"{"apiKeys":[{"credentialIdentifier":"mine","apiKey":"sk-mine"}]}"#,
    )
    .unwrap();
    let e = start(&["--pam-data", data.to_str().unwrap()]);
    assert_eq!(
        pam(&e.config, &["get-api-key", "mine"])["api_key"],
        "sk-mine"
    );
    let (code, _, _) = run(idaas()
        .arg("--json")
        .arg("pam")
        .arg("--config")
        .arg(&e.config)
        .args(["get-api-key", "openai-demo"]));
    assert_ne!(code, Some(0), "the demo data is not loaded beside a file");

    std::fs::write(&data, r#"{"apiKeys":[{"credentialIdentifier":"mine"}]}"#).unwrap();
    let (code, _, stderr) = run(idaas().args(["emulator", "--pam-data"]).arg(&data));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("apiKeys[0].apiKey"), "{stderr}");
}

/// `idaas --json device` against the emulator's device client; the code
/// from its first stderr line goes to `decide`; returns the device's exit
/// code and stdout.
fn device_flow(e: &Running, decide: impl FnOnce(&str, &str)) -> (Option<i32>, String) {
    let base = e.banner["base_url"].as_str().unwrap();
    let mut child = idaas()
        .args(["--json", "device", "--device-endpoint"])
        .arg(e.banner["device_authorization_endpoint"].as_str().unwrap())
        .arg("--token-endpoint")
        .arg(format!("{base}/oauth2/token"))
        .args([
            "--client-id",
            e.banner["device_client_id"].as_str().unwrap(),
            "--scope",
            "openid",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (rx, reader) = support::watch_lines(child.stderr.take().unwrap(), |line| {
        serde_json::from_str::<Value>(line)
            .ok()
            .filter(|v| v["user_code"].is_string())
    });
    let shown = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a code is shown");
    assert_eq!(shown["verification_uri"], format!("{base}/device"));
    decide(
        shown["verification_uri"].as_str().unwrap(),
        shown["user_code"].as_str().unwrap(),
    );
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn emulator_approve_completes_the_device_flow_and_deny_refuses_it() {
    let e = start(&[]);
    let base = e.banner["base_url"].as_str().unwrap().to_owned();
    let (code, stdout) = device_flow(&e, |_, user_code| {
        let (c, out, err) = run(idaas().args(["emulator", "approve", user_code, "--url", &base]));
        assert_eq!(c, Some(0), "{out} {err}");
        assert!(out.contains("approved"), "{out}");
        // decided once: a second decision finds no waiting code
        let (c, _, err) = run(idaas().args(["emulator", "deny", user_code, "--url", &base]));
        assert_eq!(c, Some(1), "{err}");
    });
    assert_eq!(code, Some(0), "{stdout}");
    let tokens: Value = serde_json::from_str(&stdout).unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");

    let (code, _) = device_flow(&e, |_, user_code| {
        let (c, _, err) = run(idaas()
            .env("IDAAS_EMULATOR_URL", &base)
            .args(["emulator", "deny", user_code]));
        assert_eq!(c, Some(0), "{err}");
    });
    assert_eq!(code, Some(1), "denied is exit 1");

    let (c, _, err) = run(idaas().args(["emulator", "approve", "ZZZZ-ZZZZ", "--url", &base]));
    assert_eq!(c, Some(1), "{err}");
}

#[test]
fn the_verification_page_escapes_what_it_echoes_and_refuses_forged_posts() {
    let e = start(&[]);
    let base = e.banner["base_url"].as_str().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = idaas_core::http::HyperClient::new(Default::default()).unwrap();
    use idaas_core::http::HttpClient;
    let get = |query: &str| {
        let request = http::Request::get(format!("{base}/device?{query}"))
            .body(bytes::Bytes::new())
            .unwrap();
        rt.block_on(http.execute(request)).unwrap()
    };
    let page = get("user_code=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22");
    let text = String::from_utf8_lossy(page.body());
    assert!(!text.contains("<script>"), "{text}");
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"),
        "{text}"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let post = |body: &str, origin: Option<&str>| {
        let mut request = http::Request::post(format!("{base}/device"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let request = request.body(bytes::Bytes::from(body.to_owned())).unwrap();
        rt.block_on(http.execute(request))
            .unwrap()
            .status()
            .as_u16()
    };
    // no form token, a wrong one, or another origin: refused
    assert_eq!(post("user_code=X&decision=approve", None), 403);
    assert_eq!(post("csrf=guess&user_code=X&decision=approve", None), 403);
    let token = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        post(
            &format!("csrf={token}&user_code=X&decision=approve"),
            Some("https://evil.example")
        ),
        403
    );
    assert_eq!(
        post(
            &format!("csrf={token}&user_code=X&decision=approve"),
            Some(base)
        ),
        404
    );
}

/// Chromium and the interop folder (its playwright-core installed), or
/// `None` when this machine has no Chromium (never in CI): `test` is skipped.
fn chromium(test: &str) -> Option<(PathBuf, PathBuf)> {
    let path = PathBuf::from(
        std::env::var_os("IDAAS_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    if !path.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (install the `chromium` package, or set IDAAS_CHROMIUM)"
        );
        eprintln!("SKIPPED {test}: no Chromium (set IDAAS_CHROMIUM)");
        return None;
    }
    let interop = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix interop`"
    );
    Some((path, interop))
}

#[test]
fn headless_chromium_approves_on_the_device_page() {
    let Some((chromium, interop)) = chromium("headless_chromium_approves_on_the_device_page")
    else {
        return;
    };
    let e = start(&[]);
    let (code, stdout) = device_flow(&e, |uri, user_code| {
        let out = Command::new("node")
            .arg(interop.join("chromium-device.mjs"))
            .args([uri, user_code, "approve"])
            .env("IDAAS_CHROMIUM", &chromium)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "chromium-device failed: {stderr}");
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["title"], "Approved", "{result}");
        assert!(
            result["text"].as_str().unwrap().contains(user_code),
            "{result}"
        );
    });
    assert_eq!(code, Some(0), "{stdout}");
    let tokens: Value = serde_json::from_str(&stdout).unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");
}

/// `idaas --json login --no-browser` against the emulator's native client
/// (token store in `store`); the printed authorization URL goes to
/// `answer`; returns the login's exit code and stdout.
fn login_flow(
    e: &Running,
    store: &Path,
    answer: impl FnOnce(&str),
) -> (Option<i32>, String, String) {
    let base = e.banner["base_url"].as_str().unwrap();
    let mut child = idaas()
        .env("IDAAS_TOKEN_STORE_DIR", store)
        .env("BROWSER", "/bin/false")
        .args(["--json", "login", "--no-browser", "--issuer", base])
        .args([
            "--client-id",
            e.banner["native_client_id"].as_str().unwrap(),
        ])
        .args([
            "--scope",
            "openid",
            "--scope",
            "email",
            "--scope",
            "offline_access",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (rx, reader) = support::watch_lines(child.stderr.take().unwrap(), support::printed_url);
    let url = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("idaas login printed the authorization URL");
    assert!(
        url.starts_with(e.banner["authorization_endpoint"].as_str().unwrap()),
        "{url}"
    );
    answer(&url);
    // bounded: a login that never sees the redirect is killed and fails
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = reader.join().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn login_on_the_login_page_then_userinfo_and_a_denial_is_exit_1() {
    let e = start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens");
    let base = e.banner["base_url"].as_str().unwrap().to_owned();
    assert_eq!(e.banner["users"][0], "alice");

    let (code, stdout, stderr) = login_flow(&e, &store, |url| {
        // an unknown demo user: the page refuses, exit 2 naming the problem
        let (c, out, err) = run(idaas().args(["emulator", "sign-in", url, "--user", "mallory"]));
        assert_eq!(c, Some(2), "{out} {err}");
        assert!(err.contains("No demo user mallory"), "{err}");
        let (c, out, err) =
            run(idaas().args(["--json", "emulator", "sign-in", url, "--user", "bob"]));
        assert_eq!(c, Some(0), "{out} {err}");
        let answered: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(answered["decision"], "approved");
        assert_eq!(answered["application_status"], 200);
        assert_eq!(answered["application_page"], "Signed in", "{answered}");
    });
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    let signed_in: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(signed_in["sub"], "bob");
    assert_eq!(signed_in["email"], "bob@example.com");

    let (c, out, err) = run(idaas().env("IDAAS_TOKEN_STORE_DIR", &store).args([
        "--json",
        "userinfo",
        "--issuer",
        &base,
        "--client-id",
        "demo-native",
    ]));
    assert_eq!(c, Some(0), "{out} {err}");
    let info: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["sub"], "bob");
    assert_eq!(info["email_verified"], true);

    // denied on the page: access_denied, exit 1 (the CLI's exit map)
    let (code, stdout, stderr) = login_flow(&e, &store, |url| {
        let (c, out, err) = run(idaas().args(["emulator", "sign-in", url, "--deny"]));
        assert_eq!(c, Some(0), "{out} {err}");
        assert!(out.contains("denied"), "{out}");
    });
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    let failed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(failed["exit_code"], 1);
    assert!(
        failed["error"].as_str().unwrap().contains("access_denied"),
        "{failed}"
    );
}

#[test]
fn headless_chromium_signs_in_on_the_login_page() {
    let Some((chromium, interop)) = chromium("headless_chromium_signs_in_on_the_login_page") else {
        return;
    };
    let e = start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens");
    let (code, stdout, stderr) = login_flow(&e, &store, |url| {
        let out = Command::new("node")
            .arg(interop.join("chromium-emulator-login.mjs"))
            .args([url, "alice", "approve"])
            .env("IDAAS_CHROMIUM", &chromium)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "chromium-emulator-login failed: {stderr}"
        );
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["title"], "Signed in", "{result}");
        assert!(
            result["url"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
    });
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    let signed_in: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(signed_in["sub"], "alice");
}
