//! Config lookup order (SPEC 1), with a temporary directory standing in for
//! every location and an env closure for the variables.

use std::path::{Path, PathBuf};

use super::super::ConfigError;
use super::super::lookup::lookup_in;
use super::{env_of, no_env};

/// A temporary tree with a config file at each implicit location.
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        Tree { _dir: dir, root }
    }

    /// Create `rel` under the root (with parents) and return its path.
    fn file(&self, rel: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "").unwrap();
        path
    }

    fn path(&self, rel: &str) -> String {
        self.root.join(rel).display().to_string()
    }
}

fn found(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    platform: Option<&Path>,
) -> Option<PathBuf> {
    lookup_in(explicit, env, platform).expect("lookup should not fail")
}

#[test]
fn explicit_config_wins_over_everything() {
    let tree = Tree::new();
    let explicit = tree.file("mine.toml");
    tree.file("env.toml");
    tree.file("xdg/evtop/config.toml");
    let env = env_of(&[
        ("EVTOP_CONFIG", &tree.path("env.toml")),
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
    ]);
    assert_eq!(found(Some(&explicit), &env, None), Some(explicit));
}

#[test]
fn missing_explicit_config_is_an_error_naming_it() {
    let tree = Tree::new();
    tree.file("xdg/evtop/config.toml");
    let missing = tree.root.join("nope.toml");
    let env = env_of(&[("XDG_CONFIG_HOME", &tree.path("xdg"))]);
    let error = lookup_in(Some(&missing), &env, None).unwrap_err();
    assert!(matches!(error, ConfigError::NotFound { via: "--config", .. }));
    let os_reason = std::fs::metadata(&missing).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{} (named by --config): {os_reason}", missing.display())
    );
}

#[test]
fn evtop_config_wins_over_implicit_locations() {
    let tree = Tree::new();
    let named = tree.file("env.toml");
    tree.file("xdg/evtop/config.toml");
    let env = env_of(&[
        ("EVTOP_CONFIG", &tree.path("env.toml")),
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
    ]);
    assert_eq!(found(None, &env, None), Some(named));
}

#[test]
fn missing_evtop_config_is_an_error_naming_it() {
    let tree = Tree::new();
    tree.file("xdg/evtop/config.toml");
    let env = env_of(&[
        ("EVTOP_CONFIG", &tree.path("gone.toml")),
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
    ]);
    let message = lookup_in(None, &env, None).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("{} (named by $EVTOP_CONFIG): ", tree.path("gone.toml"))),
        "{message}"
    );
}

#[test]
fn empty_evtop_config_is_skipped() {
    let tree = Tree::new();
    let xdg = tree.file("xdg/evtop/config.toml");
    let env = env_of(&[("EVTOP_CONFIG", ""), ("XDG_CONFIG_HOME", &tree.path("xdg"))]);
    assert_eq!(found(None, &env, None), Some(xdg));
}

#[test]
fn xdg_config_home_wins_over_home() {
    let tree = Tree::new();
    let xdg = tree.file("xdg/evtop/config.toml");
    tree.file("home/.config/evtop/config.toml");
    let env = env_of(&[
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
        ("HOME", &tree.path("home")),
    ]);
    assert_eq!(found(None, &env, None), Some(xdg));
}

#[test]
fn home_is_used_when_xdg_has_no_config() {
    let tree = Tree::new();
    std::fs::create_dir_all(tree.root.join("xdg/evtop")).unwrap();
    let home = tree.file("home/.config/evtop/config.toml");
    let platform = tree.file("platform/config.toml");
    let env = env_of(&[
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
        ("HOME", &tree.path("home")),
    ]);
    assert_eq!(found(None, &env, Some(&platform)), Some(home));
}

#[test]
fn platform_dir_is_last() {
    let tree = Tree::new();
    let platform = tree.file("platform/config.toml");
    let env = env_of(&[
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
        ("HOME", &tree.path("home")),
    ]);
    assert_eq!(found(None, &env, Some(&platform)), Some(platform.clone()));
    assert_eq!(found(None, &no_env, Some(&platform)), Some(platform));
}

#[test]
fn nothing_found_is_none() {
    let tree = Tree::new();
    let env = env_of(&[
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
        ("HOME", &tree.path("home")),
    ]);
    assert_eq!(
        found(None, &env, Some(&tree.root.join("platform/config.toml"))),
        None
    );
    assert_eq!(found(None, &no_env, None), None);
}

#[test]
fn a_directory_where_the_implicit_config_would_be_is_skipped() {
    let tree = Tree::new();
    std::fs::create_dir_all(tree.root.join("xdg/evtop/config.toml")).unwrap();
    let home = tree.file("home/.config/evtop/config.toml");
    let env = env_of(&[
        ("XDG_CONFIG_HOME", &tree.path("xdg")),
        ("HOME", &tree.path("home")),
    ]);
    assert_eq!(found(None, &env, None), Some(home));
}
