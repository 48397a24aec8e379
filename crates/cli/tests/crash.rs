//! Crash test: `kill -9` at pseudo-random moments during case creation, a large import and a
//! bulk triage. After every kill the case passes SQLite's `integrity_check`, opens, and
//! `caseboard verify` passes; an import or a bulk triage is all or nothing.
//!
//! `CRASH_TRIALS` sets the trials per kind (default 20; `CRASH_TRIALS=200 cargo test -p cb-cli
//! --release --test crash -- --nocapture` for the documented run).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

fn trials() -> u64 {
    std::env::var("CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn caseboard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseboard"))
        .args(args)
        .current_dir(dir)
        .env("CASEBOARD_KEY", dir.join("analyst.key"))
        .output()
        .unwrap()
}

/// Start `args`, kill it after `after`, reap it.
fn kill_after(dir: &Path, args: &[&str], after: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caseboard"))
        .args(args)
        .current_dir(dir)
        .env("CASEBOARD_KEY", dir.join("analyst.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

/// How long `args` takes when left alone (ms).
fn duration_of(dir: &Path, args: &[&str]) -> u64 {
    let t = Instant::now();
    let out = caseboard(dir, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed().as_millis() as u64
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

#[track_caller]
fn intact(dir: &Path, case: &Path) -> Value {
    let db = rusqlite::Connection::open(case).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(db);
    let c = case.to_str().unwrap();
    let out = caseboard(dir, &["verify", c]);
    assert!(
        out.status.success(),
        "verify after a kill: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = caseboard(dir, &["stats", c, "--json"]);
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn kill_9_during_creation_import_and_triage_leaves_a_consistent_case() {
    let n = trials();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // evidence: the real alerts, and 2,500 real logon records (the sample's, repeated)
    std::fs::copy(fixture(ALERTS), d.join("alerts.jsonl")).unwrap();
    let ls = std::fs::read_to_string(fixture(LOGONS)).unwrap();
    let per = ls.lines().count();
    std::fs::write(d.join("logons.jsonl"), ls.repeat(2_500 / per)).unwrap();
    let events_in_file = (2_500 / per * per) as u64;
    let mut rng = Lcg(13);

    // creation (and the first import)
    let t_create = duration_of(d, &["import", "probe.case", "alerts.jsonl"]);
    for i in 0..n {
        let case = d.join(format!("new{i}.case"));
        kill_after(
            d,
            &["import", case.to_str().unwrap(), "alerts.jsonl"],
            Duration::from_millis(rng.below(t_create + 10)),
        );
        if case.exists() {
            intact(d, &case);
        }
    }

    // a large import into an existing case: all or none of its events
    let case = d.join("c.case");
    let c = case.to_str().unwrap().to_string();
    assert!(caseboard(d, &["import", &c, "alerts.jsonl"])
        .status
        .success());
    let t_import = duration_of(d, &["import", "probe.case", "logons.jsonl"]);
    let mut committed = 0;
    for _ in 0..n {
        let before = intact(d, &case)["events"].as_u64().unwrap();
        if before > 0 {
            break; // imported: the rest of the trials would be duplicates
        }
        kill_after(
            d,
            &["import", &c, "logons.jsonl"],
            Duration::from_millis(rng.below(t_import)),
        );
        let after = intact(d, &case)["events"].as_u64().unwrap();
        assert!(
            after == 0 || after == events_in_file,
            "partial import: {after} events"
        );
        committed += (after > 0) as u32;
    }

    // bulk triage of every alert: all or none noted
    let alerts: Value =
        serde_json::from_slice(&caseboard(d, &["alerts", &c, "--json"]).stdout).unwrap();
    let ids: Vec<String> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let mut args: Vec<&str> = vec!["triage", &c];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--note", "bulk"]);
    let t_triage = duration_of(d, &args);
    let notes = |case: &Path| -> i64 {
        let db = rusqlite::Connection::open(case).unwrap();
        db.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
            .unwrap()
    };
    let mut expected = notes(&case);
    for _ in 0..n {
        kill_after(d, &args, Duration::from_millis(rng.below(t_triage + 5)));
        intact(d, &case);
        let now = notes(&case);
        assert!(
            now == expected || now == expected + ids.len() as i64,
            "partial bulk triage: {now} notes, {expected} before"
        );
        expected = now;
    }
    eprintln!(
        "crash test: {n} trials each; creation {t_create} ms, import {t_import} ms ({committed} killed imports committed), bulk triage {t_triage} ms; every case intact and verified"
    );
}
