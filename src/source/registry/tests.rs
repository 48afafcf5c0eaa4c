//! SPEC 8's promise, checked on the source tree: a kind's name appears
//! under `src/` only in its own module folder and the registry.
//!
//! What counts as naming a kind, in code that is not a test and not a
//! comment: the string literal of its name (`"webhook"`, also inside
//! `kind = \"webhook\"` config text) and a path to its variant
//! (`SourceKind::Webhook`). Test code is left out: files named `tests.rs`
//! or `*_tests.rs`, files under a `tests/` folder, the TUI's test
//! `fixture.rs`, and everything after a `#[cfg(test)]` line. A few uses
//! are not the kind at all and are listed in [`NOT_THE_KIND`] with why.

use std::path::{Path, PathBuf};

/// `(file, text, why)`: places that spell a kind's name but mean
/// something else.
const NOT_THE_KIND: &[(&str, &str, &str)] = &[
    ("src/cli.rs", "\"poll\"", "the --poll command-line flag"),
    (
        "src/demo.rs",
        "kind = \\\"poll\\\"",
        "the demo's config text, written as a user writes it",
    ),
    (
        "src/demo.rs",
        "\"poll\"",
        "the same config text (its `\"poll\"` part)",
    ),
    (
        "src/cli.rs",
        "kind = \\\"websocket\\\"",
        "the --help examples, config text as a user writes it",
    ),
    (
        "src/cli.rs",
        "kind = \\\"nats\\\"",
        "the relay's --help naming its viewers' config, as a user writes it",
    ),
    (
        "src/demo/websocket.rs",
        "\"websocket\"",
        "the demo's WebSocket sources' config text, written as a user writes it",
    ),
];

/// Each kind's folder name with the literals and paths that name it.
fn needles() -> Vec<(&'static str, Vec<String>)> {
    let variants: &[(&str, &[&str])] = &[
        ("sse", &["Sse"]),
        ("poll", &["Poll"]),
        ("webhook", &["Webhook"]),
        ("file", &["File", "FileRoute"]),
        ("websocket", &["WebSocket"]),
        ("nats", &["Nats"]),
    ];
    variants
        .iter()
        .map(|(name, vs)| {
            let mut n = vec![format!("\"{name}\""), format!("kind = \\\"{name}\\\"")];
            n.extend(vs.iter().map(|v| format!("SourceKind::{v}")));
            (*name, n)
        })
        .collect()
}

/// Where a kind may be named: its module, its folder, the registry.
fn allowed(file: &str, kind: &str) -> bool {
    file == "src/source/registry.rs"
        || file == format!("src/source/{kind}.rs")
        || file.starts_with(&format!("src/source/{kind}/"))
}

/// Whether the file is test code as a whole.
fn is_test_file(file: &str) -> bool {
    file.ends_with("tests.rs") || file.contains("/tests/") || file.ends_with("/fixture.rs")
}

/// Every place in `text` (the file `file`, relative to the crate) that
/// names a kind outside its module, as `file:line: needle`.
fn violations(file: &str, text: &str) -> Vec<String> {
    if is_test_file(file) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        for (kind, needles) in needles() {
            for needle in &needles {
                let exempt = NOT_THE_KIND.iter().any(|(f, t, _)| *f == file && t == needle);
                if line.contains(needle.as_str()) && !exempt && !allowed(file, kind) {
                    out.push(format!("{file}:{}: {needle}", no + 1));
                }
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn kinds_are_named_only_in_their_module_and_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut found = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        found.extend(violations(&file, &std::fs::read_to_string(&path).unwrap()));
    }
    assert!(
        found.is_empty(),
        "kinds named outside their module:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_a_kind_named_elsewhere() {
    let store = "fn f(k: &SourceKind) -> bool {\n    matches!(k, SourceKind::Webhook(_))\n}\n";
    assert_eq!(
        violations("src/store.rs", store),
        ["src/store.rs:2: SourceKind::Webhook"]
    );
    let raw = "const K: &str = \"sse\";\n// \"sse\" in a comment\n";
    assert_eq!(
        violations("src/config/raw.rs", raw),
        ["src/config/raw.rs:1: \"sse\""]
    );
    assert!(violations("src/source/webhook/server.rs", store).is_empty());
    assert!(violations("src/source/registry.rs", raw).is_empty());
    let test_code = "#[cfg(test)]\nmod tests {\n    const K: &str = \"file\";\n}\n";
    assert!(violations("src/recording.rs", test_code).is_empty());
}
