//! The README's CLI tour, line by line, against `idaas emulator`: the block
//! between `<!-- tour:start -->` and `<!-- tour:end -->` is read from
//! README.md and run as written (the port swapped for a free one, the
//! shown device code for `BCDF-GHJK`, the authorization URL `idaas login`
//! printed for the one `emulator sign-in` is given), so the README cannot
//! drift.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod support;

struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tour() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("<!-- tour:start -->")
        .expect("README has the tour block");
    let end = readme
        .find("<!-- tour:end -->")
        .expect("the tour block ends");
    readme[start..end]
        .lines()
        .map(|l| {
            l.split(" #")
                .next()
                .unwrap()
                .trim()
                .trim_end_matches('&')
                .trim()
        })
        .filter(|l| l.starts_with("idaas ") || l.starts_with("export "))
        .map(str::to_owned)
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_readme_tour_runs_against_the_emulator() {
    let lines = tour();
    assert!(lines.len() >= 6, "{lines:?}");
    let port = free_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    let mut background = Killed(Vec::new());
    let mut device: Option<(Child, mpsc::Receiver<String>)> = None;
    let mut code = String::new();
    // the waiting `idaas login` (killed if the test fails first) and its URL
    let mut login = Killed(Vec::new());
    let mut login_url = String::new();
    let store = dir.path().join("tokens");
    for raw in lines {
        let mut line = raw.replace("8765", &port);
        for (name, value) in &env {
            line = line.replace(&format!("${name}"), value);
        }
        if let Some(assignments) = line.strip_prefix("export ") {
            for a in assignments.split_whitespace() {
                let (k, v) = a.split_once('=').unwrap();
                env.insert(k.to_owned(), v.to_owned());
            }
            continue;
        }
        if !code.is_empty() {
            line = line.replace("BCDF-GHJK", &code);
        }
        let mut args: Vec<&str> = line.split_whitespace().skip(1).collect();
        if args.starts_with(&["emulator", "sign-in"]) {
            assert!(!login_url.is_empty(), "the tour runs idaas login first");
            assert!(args[2].starts_with("'http://"), "{line}");
            args[2] = &login_url;
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_idaas"));
        cmd.args(&args)
            .current_dir(dir.path())
            .env_remove("CLOUD_IDAAS_CONFIG_PATH")
            .env_remove("IDAAS_EMULATOR_URL")
            .env("IDAAS_TOKEN_STORE_DIR", &store)
            .env("BROWSER", "/bin/false")
            .envs(&env)
            .stdin(Stdio::null());
        if args[0] == "emulator" && !matches!(args.get(1), Some(&"approve" | &"sign-in")) {
            let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            background.0.push(child);
            let banner: Vec<String> = stdout
                .lines()
                .map_while(Result::ok)
                .take_while(|l| l != "Ctrl-C to stop.")
                .collect();
            assert!(banner[0].contains(&port), "{banner:?}");
            continue;
        }
        if args[0] == "device" {
            let mut child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (rx, _) = support::watch_lines(child.stderr.take().unwrap(), |l| {
                l.strip_prefix("and enter the code:")
                    .map(|c| c.trim().to_owned())
            });
            code = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("{line}: no code shown"));
            device = Some((child, rx));
            continue;
        }
        if args[0] == "login" {
            let mut child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (rx, _) = support::watch_lines(child.stderr.take().unwrap(), support::printed_url);
            let url = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("{line}: no URL shown"));
            login.0.push(child);
            login_url = url;
            continue;
        }
        let signing_in = args.starts_with(&["emulator", "sign-in"]);
        let out = cmd.output().unwrap();
        if signing_in {
            // the login's listener got the redirect: it ends signed in
            let mut child = login.0.pop().unwrap();
            let status = child.wait().unwrap();
            let mut text = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            assert!(status.success(), "idaas login: {text}");
            assert!(text.contains("signed in as alice"), "{text}");
        }
        assert!(
            out.status.success(),
            "{line}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{line}: no output");
    }
    let (mut child, _) = device.expect("the tour runs the device flow");
    let status = child.wait().unwrap();
    let mut tokens = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut tokens)
        .unwrap();
    assert!(status.success(), "idaas device: {tokens}");
    assert!(!tokens.trim().is_empty(), "idaas device printed the token");
}
