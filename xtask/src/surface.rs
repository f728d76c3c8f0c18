//! The public surface of the library crates, read from their source, and
//! its snapshot `docs/public-api.txt`.
//!
//! The compiler's `unreachable_pub` lint refuses a `pub` item no path
//! reaches; this check refuses the opposite accident, an item that became
//! reachable without anyone deciding it: every item a library crate exports
//! (each `pub` item at the top level of its root and of its `pub mod`s, each
//! name a `pub use` re-exports) must be in the snapshot, and every snapshot
//! line must still be exported. A deliberate change is recorded with
//! `cargo xtask tidy --bless`, so it shows in the diff a reviewer reads.
//!
//! The reader is a small lexer, not a Rust parser: it skips comments,
//! strings and character literals, keeps the statements at brace depth 0 of
//! each module, and reads their visibility, kind and name. `cfg` attributes
//! are ignored, so the snapshot is the same for every feature set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::Result;

/// Where the snapshot lives, from the workspace root.
pub(crate) const SNAPSHOT: &str = "docs/public-api.txt";

const HEADER: &str = "\
# The public surface of every library crate: each item its root and its
# `pub mod`s export, and each name a `pub use` re-exports (`name = source`).
# Written by `cargo xtask tidy --bless`, checked by `cargo xtask tidy`: an
# item missing here is public by accident (make it `pub(crate)`), or new on
# purpose (bless it, and say so in the README's changelog).
";

/// The surface of every crate under `crates/` that has a `src/lib.rs`.
pub(crate) fn read(root: &Path) -> Result<BTreeSet<String>> {
    let mut surface = BTreeSet::new();
    let dir = root.join("crates");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let lib = entry.path().join("src/lib.rs");
        if !lib.exists() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().replace('-', "_");
        module(&lib, &name, &mut surface)?;
    }
    Ok(surface)
}

/// The snapshot file's text for `surface`.
pub(crate) fn render(surface: &BTreeSet<String>) -> String {
    let mut text = HEADER.to_owned();
    for line in surface {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The problems of `surface` against the snapshot's text.
pub(crate) fn check(snapshot: &str, surface: &BTreeSet<String>) -> Vec<String> {
    let recorded: BTreeSet<String> = snapshot
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut problems = Vec::new();
    for item in surface.difference(&recorded) {
        problems.push(format!(
            "`{item}` is public but not in {SNAPSHOT}: make it pub(crate), or run \
             `cargo xtask tidy --bless` if it is meant to be public"
        ));
    }
    for item in recorded.difference(surface) {
        problems.push(format!(
            "`{item}` is in {SNAPSHOT} but no longer public: run `cargo xtask tidy --bless` \
             (and list the removal in the README's changelog)"
        ));
    }
    problems
}

/// Adds the surface of the module in `file` (path `path`) to `out`.
fn module(file: &Path, path: &str, out: &mut BTreeSet<String>) -> Result {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let children = items(&text, path, out);
    for child in children {
        match child {
            Child::File(name) => {
                let file = child_file(file, &name)
                    .ok_or_else(|| format!("{}: no file for `pub mod {name};`", file.display()))?;
                module(&file, &format!("{path}::{name}"), out)?;
            }
            Child::Inline(name, body) => {
                let path = format!("{path}::{name}");
                // an inline module's own `pub mod`s are not read: refuse
                // them rather than leave their items out unseen
                if !items(&body, &path, out).is_empty() {
                    return Err(format!(
                        "{}: `pub mod {name} {{ … }}` declares public modules; \
                         the surface check does not read those",
                        file.display()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `pub mod name;` declared in `parent`: the file named after the module, or
/// the `mod.rs` of the directory named after it, beside a
/// `lib.rs`/`mod.rs`, else in the directory named after `parent`.
fn child_file(parent: &Path, name: &str) -> Option<PathBuf> {
    let dir = parent.parent()?;
    let stem = parent.file_stem()?.to_str()?;
    let base = if stem == "lib" || stem == "mod" {
        dir.to_owned()
    } else {
        dir.join(stem)
    };
    [
        base.join(format!("{name}.rs")),
        base.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|candidate| candidate.exists())
}

/// A public child module still to read.
#[derive(Debug, PartialEq)]
enum Child {
    /// `pub mod name;`
    File(String),
    /// `pub mod name { body }`
    Inline(String, String),
}

/// Adds the public items of module `path`, whose source is `text`, to `out`;
/// returns its public child modules.
fn items(text: &str, path: &str, out: &mut BTreeSet<String>) -> Vec<Child> {
    let mut children = Vec::new();
    for statement in statements(text) {
        let head = strip_attributes(&statement.head);
        let words: Vec<&str> = head.split_whitespace().collect();
        if words.first() != Some(&"pub") {
            continue;
        }
        let rest = &words[1..];
        match rest {
            ["use", ..] => {
                let tree = head.trim_start_matches("pub").trim_start()["use".len()..]
                    .trim()
                    .trim_end_matches(';');
                for (name, source) in use_leaves(tree) {
                    out.insert(format!("{path}::{name} = {source}"));
                }
            }
            ["mod", name, ..] => {
                let name = name.trim_end_matches(';').to_owned();
                out.insert(format!("{path}::{name} (mod)"));
                match statement.body {
                    Some(body) => children.push(Child::Inline(name, body)),
                    None => children.push(Child::File(name)),
                }
            }
            _ => {
                if let Some((kind, name)) = kind_and_name(rest) {
                    out.insert(format!("{path}::{name} ({kind})"));
                }
            }
        }
    }
    children
}

/// The kind and name of an item after its `pub`: `fn`, `struct`, `enum`,
/// `trait`, `type`, `const`, `static`, `union`, `macro`.
fn kind_and_name<'a>(words: &[&'a str]) -> Option<(&'static str, &'a str)> {
    let mut words = words.iter().copied().peekable();
    while let Some(word) = words.next() {
        let kind = match word {
            "async" | "unsafe" | "extern" | "\"C\"" => continue,
            "const"
                if words
                    .peek()
                    .is_some_and(|w| matches!(*w, "fn" | "async" | "unsafe")) =>
            {
                continue;
            }
            "fn" => "fn",
            "struct" => "struct",
            "enum" => "enum",
            "trait" => "trait",
            "type" => "type",
            "const" => "const",
            "static" => "static",
            "union" => "union",
            "macro" => "macro",
            _ => return None,
        };
        let raw = words.next()?;
        let name: String = raw
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let end = name.len();
        return (!name.is_empty()).then_some((kind, &raw[..end]));
    }
    None
}

/// The names a use tree brings in, each with its source path:
/// `a::{b, c::d as e, f::*}` → `b = a::b`, `e = a::c::d`, `* = a::f::*`.
pub(crate) fn use_leaves(tree: &str) -> Vec<(String, String)> {
    // one space between words, none around punctuation: `d as e`, `a::{b,c}`
    let words = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut compact = String::with_capacity(words.len());
    let chars: Vec<char> = words.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let punct = |c: Option<&char>| c.is_some_and(|c| ":{},*".contains(*c));
        if *c == ' '
            && (punct(chars.get(i + 1)) || punct(i.checked_sub(1).and_then(|j| chars.get(j))))
        {
            continue;
        }
        compact.push(*c);
    }
    let mut leaves = Vec::new();
    leaves_of(&compact, "", &mut leaves);
    leaves
}

fn leaves_of(tree: &str, prefix: &str, out: &mut Vec<(String, String)>) {
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            format!("{a}::{b}")
        }
    };
    if let Some(open) = tree.find('{') {
        let base = tree[..open].trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let prefix = join(prefix, base);
        for part in split_top(inner) {
            leaves_of(part, &prefix, out);
        }
        return;
    }
    if tree.is_empty() {
        return;
    }
    let (source, alias) = match tree.split_once(" as ") {
        Some((source, alias)) => (source, Some(alias)),
        None => (tree, None),
    };
    let source = if source == "self" {
        prefix.to_owned()
    } else {
        join(prefix, source)
    };
    let name = match alias {
        Some(alias) => alias.to_owned(),
        None => source.rsplit("::").next().unwrap_or(&source).to_owned(),
    };
    out.push((name, source));
}

/// `a, b::{c, d}, e` → `a`, `b::{c, d}`, `e`.
fn split_top(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// `#[…] #[…] pub fn x` → `pub fn x`.
fn strip_attributes(head: &str) -> String {
    let mut rest = head.trim_start();
    while let Some(after) = rest.strip_prefix("#[") {
        let end = closing(after, '[', ']').map_or(after.len(), |i| i + 1);
        rest = after[end..].trim_start();
    }
    rest.to_owned()
}

/// The byte offset in `text`, which starts just after an `open`, of the
/// `close` that matches it.
fn closing(text: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// A statement at brace depth 0: its text up to `;` or `{`, and the text
/// inside its braces if it has a block (a use tree's braces belong to its
/// head).
#[derive(Debug, PartialEq)]
pub(crate) struct Statement {
    head: String,
    body: Option<String>,
}

/// The statements at depth 0 of `text`, comments, strings and character
/// literals replaced by a space (their braces do not count).
pub(crate) fn statements(text: &str) -> Vec<Statement> {
    let code = blank_literals(text);
    let mut statements = Vec::new();
    let mut head = String::new();
    let mut rest = code.as_str();
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            ';' => statements.push(Statement {
                head: std::mem::take(&mut head),
                body: None,
            }),
            '{' => {
                let end = closing(rest, '{', '}').unwrap_or(rest.len());
                let block = &rest[..end];
                rest = rest.get(end + 1..).unwrap_or("");
                if is_use(&head) {
                    // a use tree: its braces are part of the head
                    head.push('{');
                    head.push_str(block);
                    head.push('}');
                } else {
                    statements.push(Statement {
                        head: std::mem::take(&mut head),
                        body: Some(block.to_owned()),
                    });
                }
            }
            c => head.push(c),
        }
    }
    statements
}

fn is_use(head: &str) -> bool {
    let head = strip_attributes(head);
    let mut words = head.split_whitespace();
    match words.next() {
        Some("use") => true,
        Some(vis) if vis.starts_with("pub") => {
            // `pub use`, `pub(crate) use`, `pub(in x) use`
            head.split_whitespace()
                .find(|w| !w.starts_with("pub") && !w.ends_with(')'))
                == Some("use")
        }
        _ => false,
    }
}

/// `text` with every comment, string and character literal replaced by one
/// space; byte offsets are not kept.
fn blank_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            out.push(' ');
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(len) = raw_string_at(&chars, i) {
            i += len;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The length of a raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i`.
fn raw_string_at(chars: &[char], i: usize) -> Option<usize> {
    // not the `r` ending an identifier (`for"` cannot happen, `bar#` can't either)
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes - i);
        }
        j += 1;
    }
    Some(chars.len() - i)
}

/// Whether the `'` at `i` opens a character literal (`'x'`, `'\n'`,
/// `'\u{7f}'`) rather than a lifetime (`'a`, `'static`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface_of(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let children = items(text, "krate", &mut out);
        for child in children {
            if let Child::Inline(name, body) = child {
                items(&body, &format!("krate::{name}"), &mut out);
            }
        }
        out
    }

    #[test]
    fn public_items_are_read_and_private_ones_and_bodies_are_not() {
        let text = r##"
            //! A crate. pub fn not_this() {}
            /// Docs with a brace { and a `pub fn nor_this`.
            #[derive(Debug)]
            pub struct Options { pub field: u8 }
            pub(crate) fn helper() {}
            fn private() { let c = '{'; let s = "}}"; let r = r#"{"#; }
            pub const fn made() -> u8 { 1 }
            pub const LIMIT: usize = 3;
            impl Options { pub fn method(&self) {} }
            pub async fn fetch<'a>(x: &'a str) -> &'a str { x }
            #[cfg(feature = "x")]
            pub mod prelude { pub use crate::Options; pub fn inner() {} }
            mod hidden { pub fn reachable_only_if_re_exported() {} }
            pub use hidden::{reachable_only_if_re_exported as reached, self as h};
            pub use std::time::Duration;
        "##;
        let surface = surface_of(text);
        let expected: BTreeSet<String> = [
            "krate::Options (struct)",
            "krate::made (fn)",
            "krate::LIMIT (const)",
            "krate::fetch (fn)",
            "krate::prelude (mod)",
            "krate::prelude::Options = crate::Options",
            "krate::prelude::inner (fn)",
            "krate::reached = hidden::reachable_only_if_re_exported",
            "krate::h = hidden",
            "krate::Duration = std::time::Duration",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        assert_eq!(surface, expected);
    }

    #[test]
    fn use_trees_nest() {
        let leaves = use_leaves("a::{b, c::{d as e, f}, g::*, self}");
        let pairs: Vec<(&str, &str)> = leaves
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("b", "a::b"),
                ("e", "a::c::d"),
                ("f", "a::c::f"),
                ("*", "a::g::*"),
                ("a", "a"),
            ]
        );
        // `as` inside a name is not an alias
        assert_eq!(
            use_leaves("oauth::has_scope"),
            [("has_scope".to_owned(), "oauth::has_scope".to_owned())]
        );
    }

    #[test]
    fn a_new_item_and_a_removed_one_are_both_reported() {
        let surface: BTreeSet<String> = ["k::a (fn)", "k::b (fn)"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let snapshot = "# header\nk::a (fn)\nk::gone (struct)\n";
        let problems = check(snapshot, &surface);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`k::b (fn)` is public but not in"));
        assert!(problems[1].contains("`k::gone (struct)` is in"));
        assert!(check(&render(&surface), &surface).is_empty());
    }
}
