//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! - `test`  — every test of the workspace, with the peers the integration
//!   tests need installed first (the oidc-provider node project in `interop/`),
//!   then the facade's examples that need no person.
//! - `lint`  — rustfmt, clippy (`-D warnings`, all targets), rustdoc
//!   (`-D warnings`), each crate and each feature of the facade alone, and
//!   cargo-deny's license/bans/sources checks (offline), and `tidy`.
//! - `tidy`  — the architecture doc's dependency table against the
//!   manifests, and no doc or comment citing a file not in the repository
//!   (see `tidy.rs`), and the library crates' public surface against
//!   `docs/public-api.txt` (`tidy --bless` rewrites it; see `surface.rs`).
//! - `ci`    — lint, then test, then the fuzz smoke run.
//! - `bench [scope|cache|oauth|all]` — criterion benchmarks; figures land in
//!   `target/bench/<name>.json`.
//! - `fuzz --smoke | --long [TARGET]` — every cargo-fuzz target, bounded in time.
//!
//! Only `std`: the task runner must build in seconds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod surface;
mod tidy;

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <task>
tasks:
  test                  run every test (installs the interop peer with npm ci first)
  lint                  tidy, fmt --check, clippy -D warnings, rustdoc -D warnings, cargo-deny (offline)
  tidy [--bless]        the architecture doc against the manifests; no citation of a missing file;
                        the public surface against docs/public-api.txt (--bless rewrites it)
  ci                    lint + test + fuzz --smoke
  bench [NAME|all]      criterion benchmarks: scope, cache, oauth (default: all)
  fuzz --smoke|--long [TARGET]
                        every fuzz target for 30 s (smoke) or an hour (long)";

/// The runnable examples of the facade that need no person (each starts
/// the embedded emulator itself).
const EXAMPLES: &[&str] = &[
    "m2m_token",
    "token_exchange",
    "jwt_bearer",
    "device",
    "scopes",
];

/// The benchmarks: (name, crate, bench target).
const BENCHES: &[(&str, &str, &str)] = &[
    ("scope", "idaas-scope", "scope"),
    ("cache", "idaas-cache", "cache"),
    ("cache", "idaas-credentials", "provider"),
    ("oauth", "idaas-oauth", "jose"),
    ("retry", "idaas-oauth", "retry"),
    ("guard", "idaas-guard", "guard"),
    ("cache", "idaas-cache-redis", "fleet"),
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("lint") => lint(),
        Some("tidy") if args.get(1).map(String::as_str) == Some("--bless") => bless(),
        Some("tidy") => tidy::tidy(&root()),
        Some("ci") => lint()
            .and_then(|()| test())
            .and_then(|()| fuzz(&["--smoke".into()])),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Rewrites the public-surface snapshot from the source.
fn bless() -> Result {
    let root = root();
    let text = surface::render(&surface::read(&root)?);
    let path = root.join(surface::SNAPSHOT);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("xtask: wrote {}", surface::SNAPSHOT);
    Ok(())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_owned()
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) -> Result {
    eprintln!("xtask: $ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Installs the node peers of the interop tests, pinned by their lockfiles.
fn install_interop_peers() -> Result {
    let dir = root().join("interop");
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (lock.metadata(), installed.metadata()) {
        (Ok(l), Ok(i)) => i.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir))
}

/// The `idaas` binary with its embedded emulator (not in the default build).
const CLI_WITH_EMULATOR: &str = "idaas-cli/emulator";

fn test() -> Result {
    install_interop_peers()?;
    run(cargo().args([
        "test",
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
        // the CLI tests that run `idaas emulator` / `idaas quickstart`
        "--features",
        CLI_WITH_EMULATOR,
    ]))?;
    run(cargo().args(["test", "--workspace", "--doc"]))?;
    for example in EXAMPLES {
        run(cargo().args(["run", "--quiet", "-p", "idaas", "--example", example]))?;
    }
    // the guard's axum parts and their example need feature `axum`
    run(cargo().args(["test", "-p", "idaas-guard", "--all-features", "--tests"]))?;
    run(cargo()
        .args(["run", "--quiet", "-p", "idaas", "--features", "axum"])
        .args(["--example", "protected_service"]))?;
    Ok(())
}

fn lint() -> Result {
    tidy::tidy(&root())?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--features",
        CLI_WITH_EMULATOR,
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    crates_alone()?;
    facade_features()?;
    deny()
}

/// Each crate must build with only the features it asks for itself: in a
/// workspace build, another member's features can hide a missing one.
fn crates_alone() -> Result {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .map_err(|e| format!("cannot list crates/: {e}"))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        run(cargo().args(["check", "--quiet", "-p", &name]))?;
    }
    Ok(())
}

/// The facade's optional layers, one feature each: every one must build alone.
const FACADE_FEATURES: &[&str] = &[
    "",
    "scope",
    "transport",
    "cache",
    "oauth",
    "credentials",
    "pam",
    "guard",
    "axum",
    "redis",
];

fn facade_features() -> Result {
    for feature in FACADE_FEATURES {
        let mut cmd = cargo();
        cmd.args(["check", "--quiet", "-p", "idaas", "--no-default-features"]);
        if !feature.is_empty() {
            cmd.args(["--features", feature]);
        }
        run(&mut cmd)?;
    }
    run(cargo().args([
        "check",
        "--quiet",
        "-p",
        "idaas-core",
        "--no-default-features",
    ]))?;
    lean_builds()
}

/// What `idaas` with only `scope` must not pull: the transport and runtime
/// (core's `transport` feature off).
const NOT_IN_THE_SCOPE_BUILD: &[&str] = &["hyper", "hyper-util", "hyper-rustls", "rustls", "tokio"];

/// Builds whose dependency graph must lack some crates: `idaas` with only
/// `scope` pulls no transport, and the `idaas` binary without its
/// `emulator` feature does not link the emulator.
fn lean_builds() -> Result {
    tree_lacks(
        &[
            "-p",
            "idaas",
            "--no-default-features",
            "--features",
            "scope",
        ],
        NOT_IN_THE_SCOPE_BUILD,
        "a dependency lost `default-features = false` or a `transport` gate",
    )?;
    tree_lacks(
        &["-p", "idaas-cli"],
        &["idaas-emulator"],
        "the emulator must stay behind idaas-cli's `emulator` feature",
    )
}

/// `cargo tree <package args> -e normal` names none of `banned`.
fn tree_lacks(package: &[&str], banned: &[&str], why: &str) -> Result {
    eprintln!("xtask: $ cargo tree {} -e normal", package.join(" "));
    let tree = cargo()
        .args(["tree", "--quiet"])
        .args(package)
        .args(["-e", "normal", "--prefix", "none"])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !tree.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&tree.stderr)
        ));
    }
    let pulled = crates_in_tree(&String::from_utf8_lossy(&tree.stdout), banned);
    if pulled.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`cargo tree {}` pulls {}: {why}",
            package.join(" "),
            pulled.join(", ")
        ))
    }
}

/// Which of `banned` appear as crate names in `cargo tree --prefix none` output.
fn crates_in_tree(tree: &str, banned: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| banned.contains(name))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// cargo-deny's license, bans and sources checks. The advisories check is
/// left out: its database cannot be fetched from this network.
fn deny() -> Result {
    let available = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !available {
        return Err(
            "cargo-deny is not installed: `cargo install cargo-deny --locked` (.ci/run does it)"
                .into(),
        );
    }
    run(cargo().args(["deny", "check", "licenses", "bans", "sources"]))
}

fn bench(args: &[String]) -> Result {
    let wanted = args.first().map(String::as_str).unwrap_or("all");
    let selected: Vec<_> = BENCHES
        .iter()
        .filter(|(name, ..)| wanted == "all" || wanted == *name)
        .collect();
    if selected.is_empty() {
        let names: Vec<_> = BENCHES.iter().map(|(n, ..)| *n).collect();
        return Err(format!(
            "unknown benchmark {wanted:?}; one of {} or all",
            names.join(", ")
        ));
    }
    for (_, krate, target) in selected {
        let mut cmd = cargo();
        cmd.args(["bench", "-p", krate, "--bench", target]);
        if *target == "fleet" {
            // its oidc-provider row
            install_interop_peers()?;
        }
        if *target == "provider" {
            // as the CLI builds it (feature redis): with the fleet-cache hook
            // on the hit path (unconfigured for most rows, so its cost is
            // the branch), and rows with a `redis-server` configured
            cmd.args(["--features", "redis"]);
            match reference_sdk_python() {
                Ok(python) => {
                    cmd.env("IDAAS_REFERENCE_PYTHON", python);
                }
                Err(why) => eprintln!(
                    "xtask: the reference SDK is not timed this run ({why}); its recorded figure is used"
                ),
            }
        }
        run(&mut cmd)?;
        eprintln!("xtask: figures in target/bench/{target}.json");
    }
    Ok(())
}

/// The reference Python SDK the provider benchmark times itself against,
/// pinned (PyPI), installed once into a virtualenv under `target/bench`.
const REFERENCE_SDK: &str = "cloud-idaas-core==0.0.5b0";

/// The virtualenv's Python, with [`REFERENCE_SDK`] installed.
fn reference_sdk_python() -> Result<PathBuf> {
    let venv = root().join("target/bench/reference-sdk");
    let python = venv.join("bin/python");
    let stamp = venv.join(REFERENCE_SDK);
    if stamp.exists() {
        return Ok(python);
    }
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", REFERENCE_SDK]))?;
    std::fs::write(&stamp, "").map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

fn fuzz(args: &[String]) -> Result {
    let seconds = match args.first().map(String::as_str) {
        Some("--smoke") => 30,
        Some("--long") => 3600,
        _ => return Err("fuzz needs --smoke or --long".into()),
    };
    let dir = root().join("fuzz");
    let listed = Command::new("cargo")
        .args(["+nightly", "fuzz", "list"])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run cargo +nightly fuzz: {e}"))?;
    if !listed.status.success() {
        return Err(format!(
            "`cargo +nightly fuzz list` failed (install with `cargo install cargo-fuzz --locked`): {}",
            String::from_utf8_lossy(&listed.stderr)
        ));
    }
    let targets: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .filter(|t| args.get(1).is_none_or(|only| only == t))
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        return Err("no fuzz target selected".into());
    }
    for target in targets {
        // new inputs go to corpus/<target> (not committed); seeds/<target>,
        // committed, starts the fuzzer from valid documents
        let corpus = dir.join("corpus").join(&target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let seeds = dir.join("seeds").join(&target);
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&dir)
            .args(["+nightly", "fuzz", "run", &target])
            .arg(&corpus);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        run(cmd
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_build_check_finds_exactly_the_banned_crates() {
        let tree = "idaas v0.1.0 (/w/crates/idaas)\nhyper-util v0.1.21\nrustls-pki-types v1.12.0\ntokio v1.54.1\ntokio v1.54.1 (*)\nurl v2.5.8\n";
        assert_eq!(
            crates_in_tree(tree, NOT_IN_THE_SCOPE_BUILD),
            ["hyper-util", "tokio"]
        );
        assert!(crates_in_tree("idaas v0.1.0\nurl v2.5.8\n", NOT_IN_THE_SCOPE_BUILD).is_empty());
    }
}
