//! `-v`/`-vv`/`-vvv`, `--log-level` and `RUST_LOG`: the SDK's `tracing`
//! spans and events on stderr (compact and human; JSON lines with `--json`).
//!
//! Without a flag, `RUST_LOG` decides (default `warn`, so the SDK's
//! warnings, e.g. disabled certificate checks, are always shown). A flag
//! sets the level of the idaas crates and leaves others at `warn`. Every
//! span is printed when it closes, with its fields (endpoint, status,
//! duration). No span or event of the SDK carries a secret.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The crates whose level the flags set.
const OURS: [&str; 9] = [
    "idaas",
    "idaas_core",
    "idaas_oauth",
    "idaas_credentials",
    "idaas_pam",
    "idaas_cache",
    "idaas_scope",
    "idaas_emulator",
    "idaas_cli",
];

/// The filter of the flags: `None` when no flag was given.
pub(crate) fn directives(verbose: u8, level: Option<&str>) -> Option<String> {
    let level = match (level, verbose) {
        (Some(level), _) => level,
        (None, 0) => return None,
        (None, 1) => "info",
        (None, 2) => "debug",
        (None, _) => "trace",
    };
    let mut text = String::from("warn");
    for name in OURS {
        text.push_str(&format!(",{name}={level}"));
    }
    Some(text)
}

/// Installs the subscriber. Errors are usage errors (a bad `--log-level`).
pub(crate) fn init(verbose: u8, level: Option<&str>, json: bool) -> Result<(), String> {
    let filter = match directives(verbose, level) {
        Some(text) => EnvFilter::try_new(&text).map_err(|e| format!("--log-level: {e}"))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE);
    let installed = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
    installed.map_err(|e| format!("cannot install the log subscriber: {e}"))
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn flags_set_our_crates_only() {
        assert_eq!(directives(0, None), None);
        let debug = directives(2, None).unwrap();
        assert!(
            debug.starts_with("warn,idaas=debug,idaas_core=debug"),
            "{debug}"
        );
        assert!(directives(9, None).unwrap().contains("idaas_oauth=trace"));
        assert!(
            directives(1, Some("error"))
                .unwrap()
                .contains("idaas_pam=error")
        );
    }
}
