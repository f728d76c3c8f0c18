//! A scripted HTTP/1.1 server on 127.0.0.1 for the CLI's failure tests: it
//! answers discovery with its own endpoints and every other request with
//! what the test scripted for its path (status, headers, body; or a
//! sequence of answers, one per request), one connection per request,
//! until dropped. It records every request and when it arrived.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A scripted answer.
#[derive(Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// More response headers (`Retry-After` …).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/html",
            body: body.to_owned(),
            headers: Vec::new(),
        }
    }

    /// The same answer with one more header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// The server; stops accepting when dropped (the thread ends at the next connection).
pub(crate) struct Server {
    pub base: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// Every request seen: its path and body.
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
    /// When each request to a path arrived, in order.
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Server {
    /// The bodies of the requests to `path`.
    pub(crate) fn bodies(&self, path: &str) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// When each request to `path` arrived, in order.
    pub(crate) fn arrivals(&self, path: &str) -> Vec<Instant> {
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, at)| *at)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, String::from_utf8_lossy(&body).into_owned()))
}

/// Starts a server answering `routes` by path (without the query); a path
/// not scripted gets 404.
pub(crate) fn serve(routes: Vec<(&'static str, Reply)>) -> Server {
    serve_in_turn(routes.into_iter().map(|(p, r)| (p, vec![r])).collect())
}

/// Like [`serve`], with a sequence of answers per path: the n-th request
/// to it gets the n-th answer, and every request after the last the last.
pub(crate) fn serve_in_turn(routes: Vec<(&'static str, Vec<Reply>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut routes: HashMap<String, Vec<Reply>> = routes
        .into_iter()
        .inspect(|(_, replies)| assert!(!replies.is_empty(), "an answer per path"))
        .map(|(p, r)| (p.to_owned(), r))
        .collect();
    let discovery = Reply::json(
        200,
        serde_json::json!({
            "issuer": base,
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "device_authorization_endpoint": format!("{base}/device"),
            "introspection_endpoint": format!("{base}/introspect"),
            "revocation_endpoint": format!("{base}/revoke"),
        }),
    );
    routes
        .entry("/.well-known/openid-configuration".into())
        .or_insert_with(|| vec![discovery]);
    let routes = Arc::new(routes);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (stop2, requests2, arrivals2) = (stop.clone(), requests.clone(), arrivals.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            let routes = routes.clone();
            let requests = requests2.clone();
            let arrivals = arrivals2.clone();
            thread::spawn(move || {
                let Some((path, body)) = read_request(&mut stream) else {
                    return;
                };
                let path = path.split('?').next().unwrap_or_default().to_owned();
                // the request's number on its path, counted as it arrives
                let turn = {
                    let mut arrivals = arrivals.lock().unwrap();
                    let turn = arrivals.iter().filter(|(p, _)| *p == path).count();
                    arrivals.push((path.clone(), Instant::now()));
                    turn
                };
                requests.lock().unwrap().push((path.clone(), body));
                let reply = routes
                    .iter()
                    .find(|(p, _)| {
                        path == **p
                            || (p.ends_with('*') && path.starts_with(p.trim_end_matches('*')))
                    })
                    .map(|(_, replies)| replies[turn.min(replies.len() - 1)].clone())
                    .unwrap_or_else(|| Reply::text(404, "not found"));
                let extra: String = reply
                    .headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}\r\n"))
                    .collect();
                let head = format!(
                    "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
                    reply.status,
                    reply.content_type,
                    reply.body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(reply.body.as_bytes());
            });
        }
    });
    Server {
        base,
        stop,
        requests,
        arrivals,
    }
}

/// Runs `idaas` with `args` (stdin empty unless given) and waits for it.
pub(crate) fn idaas(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
    cmd.args(args)
        .env_remove("CLOUD_IDAAS_CONFIG_PATH")
        .env_remove("IDAAS_CLIENT_SECRET")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the idaas binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// What a terminal must never receive raw: C0 but `\n`, DEL, C1, bidi
/// overrides and isolates.
pub(crate) fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c < ' ' && c != '\n')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

/// A client-config.json in `dir` for the server at `base` (client `c`,
/// `client_secret_post` with the secret in `$secret_var`).
pub(crate) fn config_file(
    dir: &std::path::Path,
    base: &str,
    secret_var: &str,
) -> std::path::PathBuf {
    let file = dir.join("config.json");
    let config = serde_json::json!({
        "idaasInstanceId": "idaas_s",
        "clientId": "c",
        "issuer": base,
        "tokenEndpoint": format!("{base}/token"),
        "developerApiEndpoint": base,
        "scope": "api.example.com|read:file",
        "authnConfiguration": {"authnMethod": "CLIENT_SECRET_POST", "clientSecretEnvVarName": secret_var}
    });
    std::fs::write(&file, config.to_string()).unwrap();
    file
}

/// `idaas [before…] client-credentials --issuer BASE --client-id c --client-secret SECRET`.
pub(crate) fn client_credentials(
    before: &[&str],
    base: &str,
    secret: &str,
    env: &[(&str, &str)],
) -> Output {
    let mut args = before.to_vec();
    args.extend(["client-credentials", "--issuer", base, "--client-id", "c"]);
    args.extend(["--client-secret", secret]);
    idaas(&args, None, env)
}

/// Reads `stream` line by line on its own thread: what `pick` finds in a
/// line is sent on the channel, the other lines are what the thread returns.
pub(crate) fn watch_lines<T: Send + 'static>(
    stream: impl Read + Send + 'static,
    pick: impl Fn(&str) -> Option<T> + Send + 'static,
) -> (std::sync::mpsc::Receiver<T>, thread::JoinHandle<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = thread::spawn(move || {
        let mut rest = String::new();
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            match pick(&line) {
                Some(found) => {
                    let _ = tx.send(found);
                }
                None => {
                    rest.push_str(&line);
                    rest.push('\n');
                }
            }
        }
        rest
    });
    (rx, reader)
}

/// The authorization URL `idaas login` prints on its own line.
pub(crate) fn printed_url(line: &str) -> Option<String> {
    let line = line.trim();
    line.starts_with("http://").then(|| line.to_owned())
}

/// The JSON a command printed on stdout, after asserting it exited 0.
pub(crate) fn ok_json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} / {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The discovered metadata of `issuer` (the device endpoint, the token endpoint…).
pub(crate) fn discover(issuer: &str) -> Arc<idaas::oauth::discovery::ProviderMetadata> {
    let http = Arc::new(idaas::http::HyperClient::new(Default::default()).unwrap());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(idaas::oauth::Discovery::new(http, issuer).metadata())
        .unwrap()
}
