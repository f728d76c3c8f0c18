//! The one printing layer: every line the CLI writes goes through here.
//!
//! - [`field`] makes a server-supplied string safe for a terminal: control
//!   characters (C0, DEL, C1 — ESC included —, bidi overrides and isolates,
//!   line separators) are escaped as `\u{…}`, URL userinfo is redacted, and
//!   the result is capped at [`FIELD_CAP`] characters with
//!   `… (N more bytes)`.
//! - [`verbatim`] is for the values a command exists to print (tokens, keys):
//!   never capped, but still escaped (a real token holds no control byte).
//! - [`json_line`] serializes JSON with DEL, C1 and bidi characters escaped
//!   too (`serde_json` escapes only C0).
//! - [`out`] / [`err`] write a line; a closed stdout ends the process
//!   quietly (EPIPE → exit 0, as other Unix tools do; ENOSPC and other
//!   write errors → one line on stderr and exit 3), never a panic.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// The most characters of one server-supplied field that are printed.
pub(crate) const FIELD_CAP: usize = 1_000;

/// The most characters of one printed line of diagnostics (a message made
/// of a few capped fields stays under it).
pub(crate) const LINE_CAP: usize = 4_000;

/// Whether `c` must not reach a terminal raw.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Escapes unsafe characters as `\u{…}`, keeping at most `cap` output
/// characters (then `… (N more bytes)` of the input left out).
fn escape(text: &str, cap: Option<usize>) -> Cow<'_, str> {
    let fits = cap.is_none_or(|cap| text.len() <= cap);
    if fits && !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(cap.unwrap_or(usize::MAX)) + 32);
    let mut shown = 0usize;
    let mut piece = String::new();
    for (at, c) in text.char_indices() {
        piece.clear();
        if is_unsafe(c) {
            let _ = write!(piece, "\\u{{{:x}}}", c as u32);
        } else {
            piece.push(c);
        }
        let width = piece.chars().count();
        if let Some(cap) = cap
            && shown + width > cap
        {
            let _ = write!(out, "… ({} more bytes)", text.len() - at);
            return Cow::Owned(out);
        }
        shown += width;
        out.push_str(&piece);
    }
    Cow::Owned(out)
}

/// Replaces the userinfo of every `scheme://user:pw@host` in `text` with `***`.
pub(crate) fn redact_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                out.push_str("***");
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A server-supplied string, safe to print: escaped, userinfo redacted,
/// capped at [`FIELD_CAP`].
pub(crate) fn field(text: &str) -> String {
    escape(&redact_userinfo(text), Some(FIELD_CAP)).into_owned()
}

/// A diagnostic line made of capped fields: escaped, redacted, capped at
/// [`LINE_CAP`] as a last guard.
pub(crate) fn line(text: &str) -> String {
    // room for a prefix (`idaas: `) and the "… (N more bytes)" note
    escape(&redact_userinfo(text), Some(LINE_CAP - 64)).into_owned()
}

/// A value the command exists to print (a token, a key): escaped, never
/// capped or redacted.
pub(crate) fn verbatim(text: &str) -> Cow<'_, str> {
    escape(text, None)
}

/// Every string of a JSON value through [`field`] (for server text shown
/// to people, e.g. the device-flow line on stderr).
pub(crate) fn capped_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(field(s)),
        Value::Array(items) => Value::Array(items.iter().map(capped_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (field(k), capped_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One line of JSON: `serde_json` escapes C0; DEL, C1 and bidi characters
/// are escaped here as `\uXXXX` (still the same JSON value).
pub(crate) fn json_line(value: &serde_json::Value) -> String {
    escape_json_text(value.to_string())
}

/// Pretty JSON (several lines), escaped as [`json_line`].
pub(crate) fn json_pretty(value: &serde_json::Value) -> String {
    escape_json_text(serde_json::to_string_pretty(value).unwrap_or_default())
}

/// Escapes what `serde_json` leaves raw; its own output has no raw C0 but
/// the line breaks of pretty printing, which are kept.
fn escape_json_text(text: String) -> String {
    let unsafe_in_json = |c: char| is_unsafe(c) && c != '\n';
    if !text.chars().any(unsafe_in_json) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_in_json(c) {
            // none of these is outside the BMP: one \uXXXX each
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A Unix time as `2026-12-02T19:06:28Z (in 59 min)`.
pub(crate) fn when(unix: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let relative = if unix >= now {
        format!("in {}", span(unix - now))
    } else {
        format!("{} ago", span(now - unix))
    };
    format!("{} ({relative})", utc(unix))
}

/// A Unix time in RFC 3339 UTC (`2026-12-02T19:06:28Z`).
pub(crate) fn utc(unix: u64) -> String {
    idaas::clock::rfc3339_utc(unix)
}

fn span(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// Writes one line to stdout. A reader that went away (EPIPE) ends the
/// process with exit 0; any other write error (ENOSPC) with one line on
/// stderr and exit 3.
pub(crate) fn out(text: impl std::fmt::Display) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        closed(&error);
    }
}

/// Writes JSON as one line to stdout (see [`json_line`], [`out`]).
pub(crate) fn out_json(value: &serde_json::Value) {
    out(json_line(value));
}

/// Writes one line to stderr; a closed stderr is ignored.
pub(crate) fn err(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The end of the process after stdout failed.
fn closed(error: &std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    err(format_args!("idaas: cannot write the output: {error}"));
    std::process::exit(crate::exit::Code::Network as i32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}evil\u{2066}\r\n\t\u{7f}";
        let shown = field(hostile);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        assert_eq!(
            shown,
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}evil\\u{2066}\\u{d}\\u{a}\\u{9}\\u{7f}"
        );
        assert_eq!(field("plain text: ok é 日本"), "plain text: ok é 日本");
        assert_eq!(verbatim("eyJ.a-b_c.d"), "eyJ.a-b_c.d");
        assert_eq!(verbatim("a\u{1b}b"), "a\\u{1b}b");
    }

    #[test]
    fn long_fields_are_capped_with_the_rest_counted() {
        let long = "x".repeat(100_000);
        let shown = field(&long);
        assert_eq!(
            shown,
            format!("{}… (99000 more bytes)", "x".repeat(FIELD_CAP))
        );
        // an escape is never cut in half
        let escapes = "\u{1b}".repeat(2_000);
        let shown = field(&escapes);
        assert!(shown.starts_with("\\u{1b}"));
        assert!(shown.ends_with(&format!("… ({} more bytes)", 2_000 - FIELD_CAP / 6)));
        assert!(shown.chars().count() < FIELD_CAP + 30);
        assert_eq!(field(&"é".repeat(FIELD_CAP)), "é".repeat(FIELD_CAP));
    }

    #[test]
    fn times_are_dates_and_spans() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_796_246_260), "2026-12-02T21:17:40Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            when(now + 3_599).ends_with("(in 59 min)"),
            "{}",
            when(now + 3_599)
        );
        assert!(when(now - 90).ends_with("(90 s ago)"));
    }

    #[test]
    fn pretty_json_keeps_its_lines() {
        let text = json_pretty(&serde_json::json!({"a": "x\u{202e}\ny"}));
        assert_eq!(text, "{\n  \"a\": \"x\\u202e\\ny\"\n}");
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("see https://user:pw@host.example/x?y=1 and http://h/p"),
            "see https://***@host.example/x?y=1 and http://h/p"
        );
        assert_eq!(
            redact_userinfo("{\"u\":\"https://a:b@c\"}"),
            "{\"u\":\"https://***@c\"}"
        );
        assert_eq!(
            redact_userinfo("mail me@host.example"),
            "mail me@host.example"
        );
        assert_eq!(field("https://u:p@h/"), "https://***@h/");
    }

    #[test]
    fn json_lines_escape_what_serde_json_leaves_raw() {
        let value = serde_json::json!({"d": "a\u{9b}b\u{202e}c\u{1b}d\u{7f}"});
        let text = json_line(&value);
        assert!(!text.chars().any(is_unsafe), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        let capped = capped_json(&serde_json::json!({"user_code": "x".repeat(5_000), "n": 5}));
        assert!(
            capped["user_code"]
                .as_str()
                .unwrap()
                .ends_with("(4000 more bytes)")
        );
        assert_eq!(capped["n"], 5);
    }
}
