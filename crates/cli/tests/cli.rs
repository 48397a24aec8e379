//! The `caseboard` binary: its JSON contract and its refusals.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
        .canonicalize()
        .unwrap()
}

const ALERTS: &str = "msticpy/tests/testdata/localdata/alerts_list.jsonl";

fn caseboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseboard"))
        .args(args)
        .env("CASEBOARD_ANALYST", "cli-test")
        .env(
            "CASEBOARD_KEY",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-test.key"),
        )
        .output()
        .unwrap()
}

#[track_caller]
fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[track_caller]
fn refused(out: &Output, needle: &str) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should name {needle:?}");
    err
}

#[test]
fn import_reports_the_evidence_hash_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // work on a copy so that the mtime check is about this import alone
    let evidence = dir.path().join("alerts_list.jsonl");
    std::fs::copy(fixture(ALERTS), &evidence).unwrap();
    let bytes_before = std::fs::read(&evidence).unwrap();
    let mtime_before = std::fs::metadata(&evidence).unwrap().modified().unwrap();
    let case = dir.path().join("c.case");

    let out = caseboard(&[
        "import",
        case.to_str().unwrap(),
        evidence.to_str().unwrap(),
        "--json",
    ]);
    let v = json_of(&out);
    let f = &v["files"][0];
    let expected = hex::encode(Sha256::digest(&bytes_before));
    assert_eq!(f["sha256"], expected.as_str());
    if let Ok(o) = Command::new("sha256sum").arg(&evidence).output() {
        let sum = String::from_utf8_lossy(&o.stdout);
        assert_eq!(sum.split_whitespace().next().unwrap(), expected);
    }
    assert_eq!(f["path"], evidence.to_str().unwrap());
    assert_eq!(f["format"], "sentinel-securityalert-jsonl");
    for k in ["alerts", "incidents", "entities", "relations", "events"] {
        assert!(f["added"][k].is_u64(), "added.{k}");
    }
    assert_eq!(f["added"]["alerts"], 25);
    assert_eq!(f["skipped"], serde_json::json!([]));
    assert!(f["merged"].is_u64());

    assert_eq!(std::fs::read(&evidence).unwrap(), bytes_before);
    assert_eq!(
        std::fs::metadata(&evidence).unwrap().modified().unwrap(),
        mtime_before
    );

    // again: nothing added, and it says so
    let again = json_of(&caseboard(&[
        "import",
        case.to_str().unwrap(),
        evidence.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(again["files"][0]["added"]["alerts"], 0);
    assert_eq!(
        again["files"][0]["duplicate_of"],
        evidence.to_str().unwrap()
    );
    let text = caseboard(&["import", case.to_str().unwrap(), evidence.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("already imported"));

    let stats = json_of(&caseboard(&["stats", case.to_str().unwrap(), "--json"]));
    for k in [
        "alerts",
        "incidents",
        "entities",
        "relations",
        "events",
        "sources",
    ] {
        assert!(stats[k].is_i64(), "stats.{k}");
    }
    assert_eq!(stats["alerts"], 25);
    assert_eq!(stats["sources"], 1);
}

#[test]
fn alerts_entities_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    json_of(&caseboard(&[
        "import",
        c,
        fixture(ALERTS).to_str().unwrap(),
        "--json",
    ]));
    let alerts = json_of(&caseboard(&["alerts", c, "--json"]));
    let list = alerts["alerts"].as_array().unwrap();
    assert_eq!(list.len(), 25);
    assert_eq!(
        list[0]["severity"], "Medium",
        "severity sort puts the one Medium alert first"
    );
    for a in list {
        for k in [
            "id", "name", "severity", "status", "start", "end", "provider", "entities",
        ] {
            assert!(a.get(k).is_some(), "alert.{k}");
        }
    }
    let by_time = json_of(&caseboard(&["alerts", c, "--sort", "time", "--json"]));
    let times: Vec<&str> = by_time["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let hosts = json_of(&caseboard(&["entities", c, "--type", "host", "--json"]));
    assert_eq!(hosts["entities"].as_array().unwrap().len(), 2);

    let id = list[0]["id"].as_str().unwrap();
    let shown = json_of(&caseboard(&["show", c, id, "--json"]));
    assert_eq!(shown["id"], id);
    let rels = shown["relations"].as_array().unwrap();
    assert!(!rels.is_empty());
    assert!(rels.iter().all(|r| r["kind"] == "involves"
        && r["source"].as_str().unwrap().ends_with("alerts_list.jsonl")
        && r["record"].is_i64()));
    let text = String::from_utf8_lossy(&caseboard(&["show", c, id]).stdout).to_string();
    assert!(text.contains("involves") && text.contains("record"));
}

#[test]
fn bad_arguments_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("new.case");
    let c = case.to_str().unwrap();
    let missing = dir.path().join("missing.jsonl");
    refused(
        &caseboard(&["import", c, missing.to_str().unwrap()]),
        "missing.jsonl: no such file",
    );
    // a folder imports recursively; one with nothing Caseboard reads is refused
    refused(
        &caseboard(&["import", c, dir.path().to_str().unwrap()]),
        "no file in this folder is in a format Caseboard reads",
    );
    let unknown = dir.path().join("readme.txt");
    std::fs::write(&unknown, "just words").unwrap();
    refused(
        &caseboard(&["import", c, unknown.to_str().unwrap()]),
        "readme.txt: unknown format",
    );
    // one bad file among good ones: nothing imported at all
    refused(
        &caseboard(&[
            "import",
            c,
            fixture(ALERTS).to_str().unwrap(),
            unknown.to_str().unwrap(),
        ]),
        "unknown format",
    );
    assert!(!case.exists(), "no case was created");

    // a file that is not a case is never modified
    let not_case = dir.path().join("notes.case");
    std::fs::write(
        &not_case,
        "definitely not sqlite, but long enough to look like a header....",
    )
    .unwrap();
    let before = std::fs::read(&not_case).unwrap();
    refused(
        &caseboard(&["stats", not_case.to_str().unwrap()]),
        "not a Caseboard case",
    );
    refused(
        &caseboard(&[
            "import",
            not_case.to_str().unwrap(),
            fixture(ALERTS).to_str().unwrap(),
        ]),
        "notes.case",
    );
    assert_eq!(std::fs::read(&not_case).unwrap(), before);
    refused(
        &caseboard(&["stats", dir.path().join("nope.case").to_str().unwrap()]),
        "nope.case",
    );
    assert!(!dir.path().join("nope.case").exists());
}

#[test]
fn audit_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    json_of(&caseboard(&[
        "import",
        c,
        fixture(ALERTS).to_str().unwrap(),
        "--json",
    ]));
    let v = json_of(&caseboard(&["verify", c, "--json"]));
    assert_eq!(v["audit_broken_at"], Value::Null);
    assert_eq!(v["sources"][0]["status"], "ok");
}

#[test]
fn triage_from_the_command_line_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    json_of(&caseboard(&[
        "import",
        c,
        fixture(ALERTS).to_str().unwrap(),
        "--json",
    ]));
    let alerts = json_of(&caseboard(&["alerts", c, "--json"]));
    let ids: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    refused(
        &caseboard(&["triage", c, ids[0], "--status", "Dismissed"]),
        "needs a classification",
    );
    let v = json_of(&caseboard(&[
        "triage",
        c,
        ids[0],
        ids[1],
        "--status",
        "Dismissed",
        "--classification",
        "false_positive",
        "--reason",
        "lab scanner",
        "--json",
    ]));
    assert_eq!(v["triaged"].as_array().unwrap().len(), 2);
    assert_eq!(v["triaged"][0]["status"], "Dismissed");
    let act = json_of(&caseboard(&["activity", c, ids[1], "--json"]));
    let entries = act["activity"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["actor"], "cli-test");
    assert_eq!(entries[0]["detail"]["new"], "Dismissed");
    let after = json_of(&caseboard(&["alerts", c, "--json"]));
    let dismissed = after["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "Dismissed")
        .count();
    assert_eq!(dismissed, 2);
}

/// `caseboard investigation new` and the window's Investigate (`cb_api::investigations::
/// open_map`, what its `investigation_start` command calls) save the same map.
#[test]
fn investigation_new_saves_the_map_the_window_opens() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.case"), dir.path().join("b.case"));
    for case in [&a, &b] {
        json_of(&caseboard(&[
            "import",
            case.to_str().unwrap(),
            fixture(ALERTS).to_str().unwrap(),
            fixture("scenario/contoso-malicious-sql.jsonl")
                .to_str()
                .unwrap(),
            "--json",
        ]));
    }
    let alerts = json_of(&caseboard(&["alerts", a.to_str().unwrap(), "--json"]));
    let incidents = json_of(&caseboard(&["incidents", a.to_str().unwrap(), "--json"]));
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| !x["entities"].as_array().unwrap().is_empty())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let incident = incidents["incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // any node: an entity too (its map opens with its alerts and its entities, grouped)
    let entities = json_of(&caseboard(&["entities", a.to_str().unwrap(), "--json"]));
    let entity = entities["entities"][0]["id"].as_str().unwrap().to_string();
    for start in [alert, incident, entity] {
        let cli = json_of(&caseboard(&[
            "investigation",
            a.to_str().unwrap(),
            "new",
            "from the CLI",
            &start,
        ]));
        let mut window = cb_api::Case::open(&b, cb_api::Actor("window".into())).unwrap();
        let w = cb_api::investigations::open_map(&mut window, cb_api::node_id(&start).unwrap())
            .unwrap();
        let w = serde_json::to_value(&w).unwrap();
        for k in ["nodes", "edges", "groups", "history_len", "cursor", "start"] {
            assert_eq!(cli[k], w[k], "{start}: {k}");
        }
        assert!(
            cli["nodes"].as_array().unwrap().len() > 1,
            "{start}: first expansion"
        );
        // and the saved map reads back the same from both
        let id = cli["id"].to_string();
        let shown = json_of(&caseboard(&[
            "investigation",
            a.to_str().unwrap(),
            "show",
            &id,
        ]));
        assert_eq!(shown["nodes"], w["nodes"]);
    }
    // rename and delete (audited)
    let list = json_of(&caseboard(&["investigation", a.to_str().unwrap(), "list"]));
    let first = list[0]["id"].to_string();
    let r = json_of(&caseboard(&[
        "investigation",
        a.to_str().unwrap(),
        "rename",
        &first,
        "renamed map",
    ]));
    assert_eq!(r["name"], "renamed map");
    json_of(&caseboard(&[
        "investigation",
        a.to_str().unwrap(),
        "delete",
        &first,
    ]));
    let after = json_of(&caseboard(&["investigation", a.to_str().unwrap(), "list"]));
    assert_eq!(
        after.as_array().unwrap().len(),
        list.as_array().unwrap().len() - 1
    );
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != list[0]["id"]));
}
