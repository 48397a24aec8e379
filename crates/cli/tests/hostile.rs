//! Hostile input at the command line: evidence that carries terminal control sequences (in
//! its records and its file name), search queries built to overflow the parser, queries that
//! start with `-`, and a `kill -9` while a case is being created.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::*;

fn caseboard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseboard"))
        .args(args)
        .current_dir(dir)
        .env("CASEBOARD_ANALYST", "hostile-test")
        .env("CASEBOARD_KEY", dir.join("analyst.key"))
        .output()
        .unwrap()
}

const NASTY: &str =
    "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\x1b[6n\u{9b}31m";

#[test]
fn plain_output_escapes_control_characters_from_evidence() {
    let dir = tempfile::tempdir().unwrap();
    // a real alert record, its name and one entity's host name made hostile
    let first = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let mut rec: Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let name = format!("Evil{NASTY}alert");
    rec["AlertName"] = Value::from(name.clone());
    rec["DisplayName"] = Value::from(name.clone());
    rec["AlertDisplayName"] = Value::from(name.clone());
    let file_name = "ev\x1b[31mil.jsonl";
    std::fs::write(dir.path().join(file_name), format!("{rec}\n")).unwrap();
    let out = caseboard(dir.path(), &["import", "c.case", file_name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for o in [&out.stdout, &out.stderr] {
        assert!(
            !o.contains(&0x1b),
            "raw ESC in import output: {:?}",
            String::from_utf8_lossy(o)
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("ev\\x1b[31mil.jsonl"));
    let out = caseboard(dir.path(), &["alerts", "c.case"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b') && !text.contains('\u{9b}') && !text.contains('\x07'),
        "{text:?}"
    );
    assert!(text.contains("Evil\\x1b[2J\\x1b]0;owned\\x07"), "{text}");
    assert!(text.contains("\\u{9b}31m"), "{text}");
    let out = caseboard(dir.path(), &["show", "c.case", "alert:1"]);
    assert!(!out.stdout.contains(&0x1b));
    // --json is unchanged: the exact string, escaped by JSON itself
    let out = caseboard(dir.path(), &["alerts", "c.case", "--json"]);
    assert!(!out.stdout.contains(&0x1b));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["alerts"][0]["name"], name.as_str());
    // an error naming a hostile file name is escaped too
    let out = caseboard(dir.path(), &["import", "c.case", "no\x1b]0;x\x07such"]);
    assert!(!out.status.success());
    assert!(
        !out.stderr.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hostile_queries_get_a_clear_error_and_dash_queries_work_after_double_dash() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture(ALERTS);
    let out = caseboard(dir.path(), &["import", "c.case", a.to_str().unwrap()]);
    assert!(out.status.success());
    for q in [
        "NOT ".repeat(10_000) + "x",
        "(".repeat(10_000) + "x" + &")".repeat(10_000),
        (0..3000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" OR "),
        "x".repeat(70_000),
    ] {
        let out = caseboard(dir.path(), &["search", "c.case", "--", &q]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("syntax error at character"), "{err}");
        assert!(
            !err.contains("database error") && !err.to_lowercase().contains("sqlite"),
            "{err}"
        );
    }
    // the documented NOT shorthand as the first word
    let all = caseboard(dir.path(), &["search", "c.case", "SSH", "--json"]);
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    let not_ssh = caseboard(dir.path(), &["search", "c.case", "--json", "--", "-SSH"]);
    assert!(
        not_ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&not_ssh.stderr)
    );
    let not_ssh: Value = serde_json::from_slice(&not_ssh.stdout).unwrap();
    let everything = caseboard(dir.path(), &["search", "c.case", "", "--json"]);
    let everything: Value = serde_json::from_slice(&everything.stdout).unwrap();
    let (a, n, e) = (
        all["total"].as_u64().unwrap(),
        not_ssh["total"].as_u64().unwrap(),
        everything["total"].as_u64().unwrap(),
    );
    assert!(a > 0 && n > 0);
    assert_eq!(a + n, e, "SSH and -SSH partition the case");
}

/// `kill -9` at random moments in the first milliseconds of creating a case: the case is
/// either absent or opens (never "not a Caseboard case").
#[test]
fn a_crash_while_creating_a_case_never_leaves_an_unopenable_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture(ALERTS);
    let mut present = 0;
    for trial in 0..20u64 {
        let case = dir.path().join(format!("t{trial}.case"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_caseboard"))
            .args(["import", case.to_str().unwrap(), a.to_str().unwrap()])
            .env("CASEBOARD_KEY", dir.path().join("k"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // spread over 0–40 ms (pseudo-random, reproducible)
        let wait = (trial * 7919) % 41;
        std::thread::sleep(std::time::Duration::from_millis(wait));
        let _ = child.kill();
        let _ = child.wait();
        if case.exists() {
            present += 1;
            let out = caseboard(dir.path(), &["stats", case.to_str().unwrap(), "--json"]);
            assert!(
                out.status.success(),
                "trial {trial} (killed after {wait} ms): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let out = caseboard(dir.path(), &["verify", case.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "trial {trial}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    eprintln!("{present} of 20 killed imports had created the case; all open");
}
