//! Tidy: the architecture's invariants (ARCHITECTURE.md "Invariants"), checked on the tree.
//! Each rule names the files that break it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (package name, directory) of every workspace member.
fn members() -> Vec<(String, PathBuf)> {
    let ws: toml::Value = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    ws["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let dir = root().join(m.as_str().unwrap());
            let t: toml::Value = std::fs::read_to_string(dir.join("Cargo.toml"))
                .unwrap()
                .parse()
                .unwrap();
            (t["package"]["name"].as_str().unwrap().to_string(), dir)
        })
        .collect()
}

/// Every dependency name of a member (normal, dev, build, target-specific).
fn deps(dir: &Path) -> Vec<String> {
    deps_of(
        dir,
        &["dependencies", "dev-dependencies", "build-dependencies"],
    )
}

/// The dependency names of a member in the tables `kinds`.
fn deps_of(dir: &Path, kinds: &[&str]) -> Vec<String> {
    let t: toml::Value = std::fs::read_to_string(dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut tables = vec![];
    for &k in kinds {
        if let Some(d) = t.get(k) {
            tables.push(d.clone());
        }
        if let Some(targets) = t.get("target").and_then(|x| x.as_table()) {
            for (_, tt) in targets {
                if let Some(d) = tt.get(k) {
                    tables.push(d.clone());
                }
            }
        }
    }
    tables
        .iter()
        .filter_map(|d| d.as_table())
        .flat_map(|d| d.keys().cloned())
        .collect()
}

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !["target", "node_modules", "dist", "gen"].contains(&name.as_str()) {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

#[track_caller]
fn none(rule: &str, broken: Vec<String>) {
    assert!(broken.is_empty(), "{rule}:\n  {}", broken.join("\n  "));
}

#[test]
fn only_the_window_depends_on_tauri() {
    let broken = members()
        .into_iter()
        .filter(|(name, _)| name != "caseboard-app")
        .flat_map(|(name, dir)| {
            deps(&dir)
                .into_iter()
                .filter(|d| d.starts_with("tauri"))
                .map(move |d| format!("{name} depends on {d}"))
        })
        .collect();
    none("only src-tauri (caseboard-app) may depend on tauri", broken);
}

/// The crates whose SQL runs on the store's connection. cb-graph's exploration/correlation
/// queries, cb-search's compiled queries and cb-api's detection storage (`detect.rs`: the
/// scan over events and the alerts a rule raises) still live in their crates (moving them
/// behind cb-store is open work); no other crate may name rusqlite.
const SQL_CRATES: &[&str] = &["cb-store", "cb-graph", "cb-search", "cb-api"];

/// Product code only: tests may open a case with SQL to tamper with it as an attacker would
/// (the integrity tests do), so dev-dependencies and `tests/` are not checked.
#[test]
fn rusqlite_only_in_the_store_and_its_query_crates() {
    let mut broken = vec![];
    for (name, dir) in members() {
        if SQL_CRATES.contains(&name.as_str()) {
            continue;
        }
        if deps_of(&dir, &["dependencies", "build-dependencies"])
            .iter()
            .any(|d| d == "rusqlite")
        {
            broken.push(format!("{name} depends on rusqlite"));
        }
        let mut rs = vec![];
        files(&dir.join("src"), &[".rs"], &mut rs);
        for f in rs {
            let text = std::fs::read_to_string(&f).unwrap();
            // (the needles are spelt in two halves so that this file does not match itself)
            let (path_use, use_decl) = (concat!("rusq", "lite::"), concat!("use rusq", "lite"));
            if text.contains(path_use) || text.contains(use_decl) {
                broken.push(format!("{} uses rusqlite", f.display()));
            }
        }
    }
    none(
        "rusqlite is used only by cb-store (and its query crates)",
        broken,
    );
}

#[test]
fn the_edges_use_only_cb_api_and_cb_domain() {
    let edges = ["cb-cli", "caseboard-app"];
    let ours: Vec<String> = members().into_iter().map(|(n, _)| n).collect();
    let broken = members()
        .into_iter()
        .filter(|(name, _)| edges.contains(&name.as_str()))
        .flat_map(|(name, dir)| {
            let ours = ours.clone();
            deps(&dir)
                .into_iter()
                .filter(move |d| ours.contains(d) && d != "cb-api" && d != "cb-domain")
                .map(move |d| format!("{name} depends on {d}"))
        })
        .collect();
    none(
        "src-tauri and crates/cli use no library crate but cb-api and cb-domain",
        broken,
    );
}

#[test]
fn only_ui_ipc_imports_tauri_js() {
    let src = root().join("ui/src");
    let ipc = src.join("ipc");
    let mut fs = vec![];
    files(&src, &[".ts", ".svelte", ".js", ".mjs"], &mut fs);
    assert!(!fs.is_empty(), "ui/src has source files");
    let broken = fs
        .into_iter()
        .filter(|f| !f.starts_with(&ipc))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("@tauri-apps/"))
        .map(|f| format!("{} imports @tauri-apps", f.display()))
        .collect();
    none("only ui/src/ipc imports @tauri-apps/api", broken);
}

/// Reading the clock or the environment, in library code (`crates/*/src`, the CLI excepted).
const GLOBALS: &[&str] = &[
    "Utc::now(",
    "Local::now(",
    "SystemTime::now(",
    "env::var(",
    "env::var_os(",
    "env::vars(",
];

/// Known breaks, at most this many per file: cb-store stamps audit entries, the signed chain
/// head and imports with the clock and `Actor::from_env` reads the user (moving the clock into `SqliteStore::open`
/// is open work); cb-graph stamps a new investigation. A new break anywhere fails.
const KNOWN: &[(&str, usize)] = &[
    ("crates/store/src/lib.rs", 5),
    ("crates/store/src/triage.rs", 1),
    ("crates/store/src/import.rs", 1),
    ("crates/graph/src/investigation.rs", 1),
];

#[test]
fn library_crates_take_clock_and_environment_as_arguments() {
    let mut broken = vec![];
    let crates = root().join("crates");
    for e in std::fs::read_dir(&crates).unwrap().flatten() {
        if e.file_name() == "cli" {
            continue;
        }
        let mut rs = vec![];
        files(&e.path().join("src"), &[".rs"], &mut rs);
        for f in rs {
            let text = std::fs::read_to_string(&f).unwrap();
            let n: usize = GLOBALS.iter().map(|g| text.matches(g).count()).sum();
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let rel = rel.trim_start_matches("./").to_string();
            let allowed = KNOWN.iter().find(|(p, _)| *p == rel).map_or(0, |(_, n)| *n);
            if n > allowed {
                broken.push(format!(
                    "{rel}: {n} reads of the clock/environment (allowed {allowed})"
                ));
            }
        }
    }
    none(
        "library crates take the clock and the actor as arguments",
        broken,
    );
}
