//! `cargo xtask tidy`: checks that keep the docs true to the tree (the model
//! is rust-analyzer's `xtask/src/tidy.rs`), each a pure function of text so
//! its unit test can feed it a bad input.
//!
//! - [`check_dependency_table`]: `docs/architecture.md`'s dependency table
//!   names exactly the workspace crates each `Cargo.toml` depends on (normal
//!   dependencies, optional ones marked), and no crate depends on a layer at
//!   or above its own.
//! - [`check_emulator_out_of_libraries`]: the emulator is in no library's
//!   dependency graph (only the CLI's).
//! - [`check_citations`]: no doc or comment cites a file that is not in the
//!   repository (a path that does not resolve, or the reference
//!   specification this project was written from, which is not shipped).
//! - [`crate::surface::check`]: every item the library crates export is in
//!   `docs/public-api.txt`, and every line there is still exported (an item
//!   public by accident fails; `cargo xtask tidy --bless` records a
//!   deliberate change).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// Runs every check on the tree at `root`; reports all failures at once.
pub(crate) fn tidy(root: &Path) -> Result {
    let mut problems = Vec::new();
    let manifests = read_manifests(root)?;
    let doc_path = root.join("docs/architecture.md");
    let doc = std::fs::read_to_string(&doc_path)
        .map_err(|e| format!("cannot read {}: {e}", doc_path.display()))?;
    problems.extend(check_dependency_table(&doc, &manifests));
    problems.extend(check_emulator_out_of_libraries(&manifests));
    // a doc may cite a crate's file from the crate's root (`tests/faults.rs`)
    let crates: Vec<PathBuf> = std::iter::once(PathBuf::from("crates"))
        .chain(manifests.keys().map(|name| Path::new("crates").join(name)))
        .collect();
    for file in tracked_files(root)? {
        // this file's tests hold the bad citations they feed the check
        if file == Path::new("xtask/src/tidy.rs") {
            continue;
        }
        let Some(kind) = CommentKind::of(&file) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue;
        };
        let exists = |candidate: &Path| root.join(candidate).exists();
        problems.extend(check_citations(&file, &text, kind, &crates, &exists));
    }
    let snapshot_path = root.join(crate::surface::SNAPSHOT);
    let snapshot = std::fs::read_to_string(&snapshot_path).unwrap_or_default();
    problems.extend(crate::surface::check(
        &snapshot,
        &crate::surface::read(root)?,
    ));
    if problems.is_empty() {
        eprintln!(
            "xtask: tidy: the architecture doc, the citations and the public surface are true to the tree"
        );
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// A crate's dependencies on other workspace crates: name → optional.
pub(crate) type Deps = BTreeMap<String, bool>;

/// Every `crates/*/Cargo.toml`, by package name.
fn read_manifests(root: &Path) -> Result<BTreeMap<String, Deps>> {
    let mut names = BTreeSet::new();
    let mut texts = Vec::new();
    let dir = root.join("crates");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path().join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let name = package_name(&text)
                .ok_or_else(|| format!("{}: no [package] name", path.display()))?;
            names.insert(name.clone());
            texts.push((name, text));
        }
    }
    Ok(texts
        .into_iter()
        .map(|(name, text)| {
            let deps = workspace_deps(&text, &names);
            (name, deps)
        })
        .collect())
}

fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_owned());
        }
    }
    None
}

/// The normal dependencies (`[dependencies]`, also target-specific ones) of a
/// manifest on the crates named in `workspace`. Dev- and build-dependencies
/// do not count: they are not in a user's dependency graph.
pub(crate) fn workspace_deps(manifest: &str, workspace: &BTreeSet<String>) -> Deps {
    let mut deps = Deps::new();
    let mut section = String::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            // `[dependencies.name]` table form
            if let Some(name) = section.strip_prefix("dependencies.")
                && workspace.contains(name)
            {
                deps.insert(name.to_owned(), false);
            }
            continue;
        }
        if let Some(name) = section.strip_prefix("dependencies.")
            && deps.contains_key(name)
            && line.replace(' ', "") == "optional=true"
        {
            deps.insert(name.to_owned(), true);
            continue;
        }
        let normal = section == "dependencies"
            || (section.starts_with("target.") && section.ends_with(".dependencies"));
        if !normal {
            continue;
        }
        let key: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if workspace.contains(&key) {
            let optional = line.replace(' ', "").contains("optional=true");
            deps.insert(key, optional);
        }
    }
    deps
}

/// One row of the doc's table: layer, required and optional dependencies.
#[derive(Debug, PartialEq)]
pub(crate) struct Row {
    pub layer: u32,
    pub deps: Deps,
}

/// The rows of the table whose header is `| layer | crate | depends on |…`.
/// The third cell lists workspace crates by short name (`core` for
/// `idaas-core`, `idaas` for the facade), comma-separated, `—` for none;
/// optional ones follow `; optional:`. Text in parentheses is a note.
pub(crate) fn parse_table(doc: &str) -> std::result::Result<BTreeMap<String, Row>, String> {
    let mut rows = BTreeMap::new();
    let mut lines = doc.lines().skip_while(|line| {
        let cells = cells(line);
        !(cells.len() >= 3 && cells[0] == "layer" && cells[1] == "crate")
    });
    if lines.next().is_none() {
        return Err("docs/architecture.md: no `| layer | crate | depends on |` table".into());
    }
    for line in lines.skip(1) {
        let cells = cells(line);
        if cells.len() < 3 {
            break;
        }
        let layer = cells[0]
            .parse()
            .map_err(|_| format!("docs/architecture.md: layer {:?} is not a number", cells[0]))?;
        let name = cells[1].trim_matches('`').to_owned();
        let (required, optional) = match cells[2].split_once("; optional:") {
            Some((required, optional)) => (required, optional),
            None => (cells[2], ""),
        };
        let mut deps = Deps::new();
        for (list, is_optional) in [(required, false), (optional, true)] {
            for item in strip_notes(list).split(',') {
                let item = item.trim().trim_matches('`');
                if item.is_empty() || item == "—" {
                    continue;
                }
                if !item.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                    return Err(format!(
                        "docs/architecture.md: `{name}` row: {item:?} is not a crate's short name (notes go in parentheses or the last column)"
                    ));
                }
                let full = if item == "idaas" {
                    item.to_owned()
                } else {
                    format!("idaas-{item}")
                };
                deps.insert(full, is_optional);
            }
        }
        rows.insert(name, Row { layer, deps });
    }
    Ok(rows)
}

fn cells(line: &str) -> Vec<&str> {
    let line = line.trim();
    if !line.starts_with('|') {
        return Vec::new();
    }
    line.trim_matches('|').split('|').map(str::trim).collect()
}

/// `text` without its parenthesised notes (nesting allowed).
fn strip_notes(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The table against the manifests: the same crates, the same dependencies
/// (and optional-ness), each dependency on a lower layer.
pub(crate) fn check_dependency_table(doc: &str, manifests: &BTreeMap<String, Deps>) -> Vec<String> {
    let rows = match parse_table(doc) {
        Ok(rows) => rows,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    for (name, deps) in manifests {
        let Some(row) = rows.get(name) else {
            problems.push(format!(
                "docs/architecture.md: crate `{name}` is missing from the dependency table"
            ));
            continue;
        };
        if &row.deps != deps {
            problems.push(format!(
                "docs/architecture.md: `{name}` depends on {} per its Cargo.toml, the table says {}",
                describe(deps),
                describe(&row.deps)
            ));
        }
        for dep in deps.keys() {
            if let Some(below) = rows.get(dep)
                && below.layer >= row.layer
            {
                problems.push(format!(
                    "docs/architecture.md: `{name}` (layer {}) depends on `{dep}` (layer {}): a crate depends only on lower layers",
                    row.layer, below.layer
                ));
            }
        }
    }
    for name in rows.keys() {
        if !manifests.contains_key(name) {
            problems.push(format!(
                "docs/architecture.md: the dependency table names `{name}`, which is no crate under crates/"
            ));
        }
    }
    problems
}

fn describe(deps: &Deps) -> String {
    if deps.is_empty() {
        return "nothing of the workspace".into();
    }
    let names: Vec<String> = deps
        .iter()
        .map(|(name, optional)| {
            if *optional {
                format!("{name} (optional)")
            } else {
                name.clone()
            }
        })
        .collect();
    names.join(", ")
}

/// The crates whose dependency graph may hold the emulator (a test double).
const EMULATOR_USERS: &[&str] = &["idaas-cli"];

/// No library reaches `idaas-emulator` through its normal dependencies.
pub(crate) fn check_emulator_out_of_libraries(manifests: &BTreeMap<String, Deps>) -> Vec<String> {
    let mut problems = Vec::new();
    for name in manifests.keys() {
        if name == "idaas-emulator" || EMULATOR_USERS.contains(&name.as_str()) {
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut todo = vec![name.clone()];
        while let Some(next) = todo.pop() {
            for dep in manifests.get(&next).into_iter().flat_map(Deps::keys) {
                if dep == "idaas-emulator" {
                    problems.push(format!(
                        "`{name}` has the emulator in its dependency graph (through `{next}`): it is a test double, for dev-dependencies only"
                    ));
                }
                if seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
    }
    problems
}

/// How comments are written in a file, or `None` to skip it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CommentKind {
    /// Markdown: all of it is prose.
    Prose,
    /// `//` comments (Rust, JavaScript).
    Slashes,
    /// `#` comments (TOML, shell, Python).
    Hash,
}

impl CommentKind {
    fn of(path: &Path) -> Option<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext {
            "md" => Some(Self::Prose),
            "rs" | "js" | "mjs" => Some(Self::Slashes),
            "toml" | "py" | "sh" => Some(Self::Hash),
            "" if path.starts_with(".ci") => Some(Self::Hash),
            _ => None,
        }
    }
}

/// The file extensions a cited path is recognised by.
const CITED_EXTENSIONS: &[&str] = &[
    "rs", "md", "toml", "json", "js", "mjs", "py", "pem", "txt", "lock", "yml", "yaml", "sh",
];

/// Every path cited in `text`'s comments (all of it for prose) must resolve,
/// from the file's folder or one of its parents up to the root, or from one
/// of the `crates` (a crate's root: `tests/faults.rs`), and no text
/// may cite the reference specification, which is not in the repository.
pub(crate) fn check_citations(
    file: &Path,
    text: &str,
    kind: CommentKind,
    crates: &[PathBuf],
    exists: &dyn Fn(&Path) -> bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(comment) = comment_of(line, kind) else {
            continue;
        };
        let at = format!("{}:{}", file.display(), number + 1);
        let lower = comment.to_lowercase();
        if lower.contains("spec §") || lower.contains("shared/spec") {
            problems.push(format!(
                "{at}: cites the reference specification, which is not in the repository: state the fact in our own words or cite the public API reference"
            ));
        }
        for token in
            comment.split(|c: char| !(c.is_ascii_alphanumeric() || "._/-~$*{}<>".contains(c)))
        {
            if let Some(path) = cited_path(token)
                && !resolves(file, &path, crates, exists)
            {
                problems.push(format!(
                    "{at}: cites `{}`, which is not in the repository",
                    path.display()
                ));
            }
        }
    }
    problems
}

fn comment_of(line: &str, kind: CommentKind) -> Option<&str> {
    match kind {
        CommentKind::Prose => Some(line),
        CommentKind::Slashes => {
            let mut from = 0;
            while let Some(at) = line[from..].find("//") {
                let at = from + at;
                if !line[..at].ends_with(':') {
                    return Some(&line[at + 2..]);
                }
                from = at + 2;
            }
            None
        }
        CommentKind::Hash => line.find('#').map(|at| &line[at + 1..]),
    }
}

/// The token as a repository path, when it looks like one: a `/` in it,
/// a known extension, nothing absolute, home-relative, templated or built.
fn cited_path(token: &str) -> Option<PathBuf> {
    let token = token.trim_end_matches('.');
    if !token.contains('/')
        || token.starts_with('/')
        || token.starts_with('~')
        || token.starts_with("target/")
        || token.contains(|c| "$*{}<>".contains(c))
    {
        return None;
    }
    let ext = Path::new(token).extension()?.to_str()?;
    CITED_EXTENSIONS
        .contains(&ext)
        .then(|| PathBuf::from(token.trim_start_matches("./")))
}

fn resolves(file: &Path, cited: &Path, crates: &[PathBuf], exists: &dyn Fn(&Path) -> bool) -> bool {
    let ancestors = file.ancestors().skip(1);
    ancestors
        .chain(crates.iter().map(PathBuf::as_path))
        .filter_map(|base| normalise(&base.join(cited)))
        .any(|candidate| exists(&candidate))
}

/// `a/b/../c` → `a/c`; `None` when it climbs out of the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// The files git tracks, relative to the root.
fn tracked_files(root: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git ls-files: {e}"))?;
    if !output.status.success() {
        return Err("git ls-files failed: tidy needs a git checkout".into());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(PathBuf::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "intro\n\n| layer | crate | depends on | also |\n|---|---|---|---|\n\
        | 0 | `idaas-core` | — | tokio |\n\
        | 1 | `idaas-cache` | core (the config) | |\n\
        | 2 | `idaas-oauth` | core, cache; optional: `idaas` (feature x) | |\n\nafter\n";

    fn deps(items: &[(&str, bool)]) -> Deps {
        items.iter().map(|(n, o)| (n.to_string(), *o)).collect()
    }

    fn manifests() -> BTreeMap<String, Deps> {
        BTreeMap::from([
            ("idaas-core".to_owned(), Deps::new()),
            ("idaas-cache".to_owned(), deps(&[("idaas-core", false)])),
            (
                "idaas-oauth".to_owned(),
                deps(&[
                    ("idaas-core", false),
                    ("idaas-cache", false),
                    ("idaas", true),
                ]),
            ),
            ("idaas".to_owned(), Deps::new()),
        ])
    }

    #[test]
    fn the_table_is_parsed_with_notes_and_optional_dependencies() {
        let rows = parse_table(TABLE).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows["idaas-core"].deps, Deps::new());
        assert_eq!(rows["idaas-cache"].deps, deps(&[("idaas-core", false)]));
        assert_eq!(
            rows["idaas-oauth"].deps,
            deps(&[
                ("idaas-core", false),
                ("idaas-cache", false),
                ("idaas", true)
            ])
        );
        assert_eq!(rows["idaas-oauth"].layer, 2);
    }

    #[test]
    fn a_table_true_to_the_manifests_passes() {
        let doc = format!("{TABLE}| 3 | `idaas` | — | |\n");
        // the row after the blank line is not part of the table
        let problems = check_dependency_table(&doc, &manifests());
        assert_eq!(
            problems,
            ["docs/architecture.md: crate `idaas` is missing from the dependency table"]
        );
        let doc = TABLE.replace("\n\nafter", "\n| 3 | `idaas` | — | |\n\nafter");
        let problems = check_dependency_table(&doc, &manifests());
        // `idaas-oauth` (layer 2) on `idaas` (layer 3) is upward
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("depends only on lower layers"));
        let doc = TABLE.replace("\n\nafter", "\n| 1 | `idaas` | — | |\n\nafter");
        assert_eq!(
            check_dependency_table(&doc, &manifests()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_missing_extra_or_wrongly_optional_dependency_fails() {
        let full = TABLE.replace("\n\nafter", "\n| 1 | `idaas` | — | |\n\nafter");
        for bad in [
            full.replace("| core (the config) |", "| — |"),
            full.replace("| core (the config) |", "| core, oauth |"),
            full.replace("; optional: `idaas`", ", `idaas`"),
        ] {
            let problems = check_dependency_table(&bad, &manifests());
            assert!(
                problems.iter().any(|p| p.contains("per its Cargo.toml")),
                "{bad}\n{problems:?}"
            );
        }
        let mut more = manifests();
        more.insert("idaas-pam".into(), Deps::new());
        let problems = check_dependency_table(&full, &more);
        assert!(
            problems[0].contains("`idaas-pam` is missing"),
            "{problems:?}"
        );
        let problems = check_dependency_table(
            &full.replace("`idaas-cache`", "`idaas-kache`"),
            &manifests(),
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`idaas-kache`, which is no crate"))
        );
        assert!(check_dependency_table("no table", &manifests())[0].contains("no `| layer"));
        let prose = full.replace("| core (the config) |", "| core behind a feature |");
        let problems = check_dependency_table(&prose, &manifests());
        assert!(
            problems[0].contains("is not a crate's short name"),
            "{problems:?}"
        );
    }

    #[test]
    fn manifests_are_read_for_normal_dependencies_only() {
        let workspace: BTreeSet<String> =
            ["idaas-core", "idaas-cache", "idaas-emulator", "idaas-x"]
                .map(String::from)
                .into();
        let manifest = r#"
[package]
name = "idaas-oauth"

[dependencies]
idaas-core.workspace = true
idaas-cache = { workspace = true, optional = true }
serde.workspace = true

[target.'cfg(unix)'.dependencies]
idaas-x = { workspace = true }

[dev-dependencies]
idaas-emulator.workspace = true
"#;
        assert_eq!(package_name(manifest).as_deref(), Some("idaas-oauth"));
        assert_eq!(
            workspace_deps(manifest, &workspace),
            deps(&[
                ("idaas-core", false),
                ("idaas-cache", true),
                ("idaas-x", false)
            ])
        );
        let table_form = "[dependencies.idaas-core]\nworkspace = true\noptional = true\n";
        assert_eq!(
            workspace_deps(table_form, &workspace),
            deps(&[("idaas-core", true)])
        );
    }

    #[test]
    fn the_emulator_in_a_library_graph_fails() {
        let mut graph = BTreeMap::from([
            ("idaas-emulator".to_owned(), deps(&[("idaas-core", false)])),
            ("idaas-core".to_owned(), Deps::new()),
            ("idaas-cli".to_owned(), deps(&[("idaas-emulator", false)])),
            ("idaas-pam".to_owned(), deps(&[("idaas-core", false)])),
        ]);
        assert_eq!(
            check_emulator_out_of_libraries(&graph),
            Vec::<String>::new()
        );
        graph.insert("idaas-guard".into(), deps(&[("idaas-pam", false)]));
        graph.insert("idaas-pam".into(), deps(&[("idaas-emulator", true)]));
        let problems = check_emulator_out_of_libraries(&graph);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`idaas-guard`") && p.contains("`idaas-pam`"))
        );
    }

    fn citations(file: &str, text: &str) -> Vec<String> {
        let present = |p: &Path| {
            [
                "crates/a/src/lib.rs",
                "crates/a/tests/support/mod.rs",
                "docs/cache.md",
            ]
            .iter()
            .any(|f| Path::new(f) == p)
        };
        let file = Path::new(file);
        let crates = [PathBuf::from("crates/a")];
        check_citations(
            file,
            text,
            CommentKind::of(file).unwrap(),
            &crates,
            &present,
        )
    }

    #[test]
    fn citations_of_present_files_pass() {
        let text = "//! see `tests/support/mod.rs`, docs/cache.md and [it](../../docs/cache.md).\n\
                    //! https://example.com/x/spec.md is a URL, ~/.x/c.json and /etc/a.pem absolute,\n\
                    //! target/bench/x.json built, crates/*/src/*.rs a pattern\n\
                    let s = \"missing/in/code.rs\"; // not cited: ./lib.rs\n";
        assert_eq!(citations("crates/a/src/lib.rs", text), Vec::<String>::new());
        // from a crate's root
        let text = "the support (`tests/support/mod.rs`) of each test\n";
        assert_eq!(citations("docs/x.md", text), Vec::<String>::new());
    }

    #[test]
    fn a_citation_of_a_missing_file_or_of_the_spec_fails() {
        let problems = citations(
            "crates/a/src/lib.rs",
            "//! see (`../shared/spec/idaas-pam.md`)\n",
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("reference specification"));
        assert!(problems[1].contains("`../shared/spec/idaas-pam.md`"));
        let problems = citations(
            "crates/a/src/lib.rs",
            "fn f() {} // as the spec §4.2 says\n",
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("crates/a/src/lib.rs:1:"));
        let problems = citations("docs/x.md", "line\nsee docs/gone.md.\n");
        assert_eq!(
            problems,
            ["docs/x.md:2: cites `docs/gone.md`, which is not in the repository"]
        );
        let problems = citations("Cargo.toml", "a = 1 # from tests/gone.rs\n");
        assert_eq!(problems.len(), 1);
    }
}
