//! The oidc-provider peer: one per test binary, started on first use, stopped
//! when the test process exits (it exits when its stdin closes).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The running provider: its announcement line and the process handles.
pub(crate) struct Provider {
    /// The JSON line it printed: issuer, port, resource, clients.
    pub info: Value,
    _process: Mutex<(Child, ChildStdin)>,
}

impl Provider {
    /// The issuer URL.
    pub(crate) fn issuer(&self) -> String {
        self.info["issuer"].as_str().unwrap().to_owned()
    }

    /// The resource indicator of the JWT access tokens.
    #[allow(dead_code)]
    pub(crate) fn resource(&self) -> String {
        self.info["resource"].as_str().unwrap().to_owned()
    }

    /// A client's member (`id`, `secret`) by auth method name.
    pub(crate) fn client(&self, method: &str, member: &str) -> String {
        self.info["clients"][method][member]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The provider's public client `which` (by the announcement's name:
/// `native`, `par_native`…), discovered.
#[allow(dead_code)]
pub(crate) async fn user_client(which: &str) -> idaas_oauth::UserClient {
    let p = provider();
    idaas_oauth::UserClient::discover(
        std::sync::Arc::new(idaas_core::http::HyperClient::new(Default::default()).unwrap()),
        &p.issuer(),
        p.client(which, "id"),
        idaas_oauth::ClientAuth::None,
    )
    .await
    .unwrap()
}

/// A TLS fixture of `crates/idaas-core/tests/fixtures/tls` (the test CA,
/// client certificates for mutual TLS).
#[allow(dead_code)]
pub(crate) fn tls_fixture(name: &str) -> PathBuf {
    workspace()
        .join("crates/idaas-core/tests/fixtures/tls")
        .join(name)
}

/// A file of `crates/idaas-oauth/tests/fixtures`.
#[allow(dead_code)]
pub(crate) fn fixture(name: &str) -> PathBuf {
    workspace()
        .join("crates/idaas-oauth/tests/fixtures")
        .join(name)
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The shared provider, started once.
pub(crate) fn provider() -> &'static Provider {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    PROVIDER.get_or_init(start)
}

/// Node.js, which runs the interop peers (oidc-provider, playwright): a
/// missing or broken `node` fails the test with what to install, not with
/// a bare spawn error.
pub(crate) fn require_node() {
    static CHECKED: OnceLock<Result<String, String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        Ok(out) => Err(format!("`node --version` failed ({})", out.status)),
        Err(e) => Err(format!("`node` cannot be started ({e})")),
    });
    if let Err(why) = checked {
        panic!(
            "this interop test needs Node.js: {why}. Install Node.js 18 or later on PATH \
             (Debian: `apt-get install nodejs npm`), then `npm ci --prefix interop` \
             (`cargo xtask test` runs it)"
        );
    }
}

fn start() -> Provider {
    require_node();
    let interop = workspace().join("interop");
    assert!(
        interop.join("node_modules/oidc-provider").is_dir(),
        "the interop peer is not installed: run `npm ci --prefix interop` (cargo xtask test does it)"
    );
    let mut child = Command::new("node")
        .arg(interop.join("oidc-provider.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(match std::env::var_os("IDAAS_INTEROP_LOG") {
            // the provider's own log, for debugging a failing interop test
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::null(),
        })
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node interop/oidc-provider.mjs: {e}"));
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // keep draining: a closed pipe would kill the provider on its next write
        std::io::copy(&mut reader, &mut std::io::sink()).ok();
    });
    let started = Instant::now();
    // node, three providers (one on https with mTLS) and their keys: under
    // a parallel test run on 2 cores this took over 20 s in a CI rehearsal
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("oidc-provider did not start within {:?}", started.elapsed()));
    let info: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("oidc-provider announced {line:?}: {e}"));
    Provider {
        info,
        _process: Mutex::new((child, stdin)),
    }
}
