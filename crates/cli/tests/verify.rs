//! `caseboard verify` and `seal` against tampering: every attack an analyst's adversary can
//! make on the case file (direct SQL through rusqlite, the audit triggers dropped first as an
//! attacker would) or on the evidence must make `verify` exit non-zero and name what broke;
//! an untouched case verifies clean from any directory.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::*;

struct Case {
    dir: tempfile::TempDir,
    key: PathBuf,
}

impl Case {
    fn case(&self) -> PathBuf {
        self.dir.path().join("c.case")
    }
    fn c(&self) -> String {
        self.case().to_str().unwrap().to_string()
    }
    fn run_in(&self, cwd: &Path, key: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_caseboard"))
            .args(args)
            .current_dir(cwd)
            .env("CASEBOARD_ANALYST", "verify-test")
            .env("CASEBOARD_KEY", key)
            .output()
            .unwrap()
    }
    fn run(&self, args: &[&str]) -> Output {
        self.run_in(self.dir.path(), &self.key, args)
    }
    /// `verify --json`: (exit ok, report)
    fn verify(&self, extra: &[&str]) -> (bool, Value) {
        let c = self.c();
        let mut args = vec!["verify", c.as_str(), "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(out.status.success(), v["ok"] == true);
        (out.status.success(), v)
    }
    fn tamper(&self, sql: &str) {
        let db = rusqlite::Connection::open(self.case()).unwrap();
        db.execute_batch(
            "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; PRAGMA foreign_keys = OFF;",
        )
        .unwrap();
        db.execute_batch(sql).unwrap();
    }
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A case with two evidence files imported by relative path (copies in `evidence/`), some
/// triage, a note, a tag and a marked entity.
fn worked_case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys").join("analyst.key");
    let ev = dir.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::copy(fixture(ALERTS), ev.join("alerts.jsonl")).unwrap();
    std::fs::copy(fixture(LOGONS), ev.join("logons.jsonl")).unwrap();
    let case = Case { dir, key };
    let c = case.c();
    ok(&case.run(&[
        "import",
        &c,
        "evidence/alerts.jsonl",
        "evidence/logons.jsonl",
    ]));
    ok(&case.run(&[
        "triage",
        &c,
        "alert:1",
        "--status",
        "Resolved",
        "--classification",
        "tp",
        "--note",
        "contained",
        "--tag",
        "phish",
        "--owner",
        "ana",
        "--severity",
        "High",
    ]));
    ok(&case.run(&["triage", &c, "alert:2", "--status", "InProgress"]));
    ok(&case.run(&["relate", &c, "alert:1", "entity:1", "--reason", "same host"]));
    case
}

#[test]
fn an_older_copy_of_a_sealed_case_fails_against_the_seal() {
    let case = worked_case();
    let c = case.c();
    let older = case.dir.path().join("older.case");
    std::fs::copy(case.case(), &older).unwrap();
    ok(&case.run(&[
        "triage",
        &c,
        "alert:3",
        "--status",
        "Resolved",
        "--classification",
        "fp",
        "--reason",
        "test",
    ]));
    let seal = case.dir.path().join("s.json");
    ok(&case.run(&["seal", &c, "-o", seal.to_str().unwrap()]));
    // the older copy is consistent in itself …
    std::fs::copy(&older, case.case()).unwrap();
    assert!(case.verify(&[]).0);
    // … but not what was sealed
    fails_naming(
        &case,
        &["--seal", seal.to_str().unwrap()],
        &["truncated since the seal"],
    );
}

/// The failing findings' messages of a report, joined.
fn failures(v: &Value) -> String {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fail"] == true)
        .map(|f| {
            format!(
                "[{}] {}",
                f["check"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn fails_naming(case: &Case, extra: &[&str], needles: &[&str]) -> Value {
    let (passed, v) = case.verify(extra);
    assert!(!passed, "verify passed a tampered case: {v:#}");
    let f = failures(&v);
    for n in needles {
        assert!(f.contains(n), "findings should name {n:?}:\n{f}");
    }
    // the plain output names it too, and exits non-zero
    let c = case.c();
    let mut args = vec!["verify", c.as_str()];
    args.extend_from_slice(extra);
    let out = case.run(&args);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL") && text.contains("verify: FAILED"),
        "{text}"
    );
    v
}

#[test]
fn an_untouched_case_verifies_clean_from_any_directory() {
    let case = worked_case();
    let (passed, v) = case.verify(&[]);
    assert!(passed, "{}", failures(&v));
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    for s in v["sources"].as_array().unwrap() {
        assert_eq!(s["status"], "ok");
        assert!(Path::new(s["path"].as_str().unwrap()).is_absolute());
        assert!(s["typed_path"].as_str().unwrap().starts_with("evidence/"));
    }
    // the case key is recorded in the case and shown
    let fp = v["case_key"]["fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("SHA256:"));
    // from another directory, by a relative path to the case
    let elsewhere = tempfile::tempdir().unwrap();
    let rel = pathdiff(&case.case(), elsewhere.path());
    let out = case.run_in(elsewhere.path(), &case.key, &["verify", &rel]);
    let text = ok(&out);
    assert!(text.contains("verify: OK"), "{text}");
    assert!(text.contains(fp));
}

/// `target` relative to `from` (both absolute).
fn pathdiff(target: &Path, from: &Path) -> String {
    let t: Vec<_> = target.components().collect();
    let f: Vec<_> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut p = PathBuf::new();
    for _ in common..f.len() {
        p.push("..");
    }
    for c in &t[common..] {
        p.push(c);
    }
    p.to_str().unwrap().to_string()
}

#[test]
fn tail_truncation_fails() {
    let case = worked_case();
    // all triage history gone, the alert still Resolved
    case.tamper("DELETE FROM audit WHERE action <> 'import' AND action <> 'key';");
    fails_naming(&case, &[], &["truncated", "alert:1 has 1 notes"]);
}

#[test]
fn last_entry_truncated_with_the_head_rewritten_fails() {
    let case = worked_case();
    // drop the last entry and point the head at the new last one (cannot re-sign)
    case.tamper(
        "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit);
         UPDATE audit_head SET entries = entries - 1, head = (SELECT hash FROM audit ORDER BY id DESC LIMIT 1);",
    );
    fails_naming(&case, &[], &["head's signature does not verify"]);
}

/// The entry hash as documented (ARCHITECTURE, cb-store `integrity`), computed here
/// independently: domain tag, then each part length-prefixed.
#[allow(clippy::too_many_arguments)]
fn v2_hash(case_id: &str, id: i64, prev: &str, parts: [&str; 6]) -> String {
    let mut h = Sha256::new();
    h.update(b"caseboard-audit-entry-v2\0");
    let mut put = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(case_id.as_bytes());
    put(&id.to_le_bytes());
    put(prev.as_bytes());
    for p in parts {
        put(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Rewrite the whole chain from `rows` (as an attacker with the formula but not the key).
fn rehash_all(case: &Case, edit: impl Fn(i64, &mut [String; 6])) {
    let db = rusqlite::Connection::open(case.case()).unwrap();
    db.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
    let case_id: String = db
        .query_row("SELECT v FROM case_meta WHERE k = 'case_id'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let rows: Vec<(i64, [String; 6])> = db
        .prepare("SELECT id, at, actor, action, target, detail, signer FROM audit ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                [
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = String::new();
    for (id, mut parts) in rows {
        edit(id, &mut parts);
        let p: [&str; 6] = std::array::from_fn(|i| parts[i].as_str());
        let h = v2_hash(&case_id, id, &prev, p);
        db.execute(
            "UPDATE audit SET at=?2, actor=?3, action=?4, target=?5, detail=?6, signer=?7, prev_hash=?8, hash=?9 WHERE id=?1",
            rusqlite::params![id, parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], prev, h],
        )
        .unwrap();
        prev = h;
    }
    db.execute("UPDATE audit_head SET head = ?1", [&prev])
        .unwrap();
}

#[test]
fn a_rewritten_entry_with_the_chain_recomputed_fails() {
    let case = worked_case();
    // the hash formula alone is enough to make the chain consistent again …
    rehash_all(&case, |_, p| {
        if p[2] == "note" {
            p[4] = r#"{"text":"nothing found"}"#.into();
        }
    });
    case.tamper("UPDATE notes SET text = 'nothing found';");
    let (_, v) = case.verify(&[]);
    assert_eq!(
        v["audit_broken_at"],
        Value::Null,
        "the links and hashes are consistent"
    );
    // … but not the signatures
    fails_naming(&case, &[], &["signature does not verify"]);
}

#[test]
fn a_forged_append_without_the_key_fails() {
    let case = worked_case();
    // a chain-correct entry (formula known, no key), head count and hash moved to it
    let db = rusqlite::Connection::open(case.case()).unwrap();
    let case_id: String = db
        .query_row("SELECT v FROM case_meta WHERE k = 'case_id'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let (last, prev, signer): (i64, String, String) = db
        .query_row(
            "SELECT id, hash, signer FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let parts = [
        "2026-01-01T00:00:00.000Z",
        "verify-test",
        "status",
        "alert:3",
        r#"{"old":"Active","new":"Dismissed"}"#,
        signer.as_str(),
    ];
    let h = v2_hash(&case_id, last + 1, &prev, parts);
    db.execute(
        "INSERT INTO audit (id, at, actor, action, target, detail, prev_hash, hash, signer, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '00')",
        rusqlite::params![last + 1, parts[0], parts[1], parts[2], parts[3], parts[4], prev, h, parts[5]],
    )
    .unwrap();
    db.execute(
        "UPDATE audit_head SET entries = entries + 1, head = ?1",
        [&h],
    )
    .unwrap();
    db.execute("UPDATE alerts SET status = 'Dismissed' WHERE id = 3", [])
        .unwrap();
    drop(db);
    let v = fails_naming(&case, &[], &["signature does not verify"]);
    assert_eq!(v["audit_broken_at"], Value::Null);
}

#[test]
fn entries_signed_by_another_key_fail_unless_trusted() {
    let case = worked_case();
    let other = case.dir.path().join("keys").join("mallory.key");
    let c = case.c();
    ok(&case.run_in(
        case.dir.path(),
        &other,
        &["triage", &c, "alert:3", "--owner", "mallory"],
    ));
    let v = fails_naming(&case, &[], &["not the case key"]);
    let fp = v["signers"][1]["fingerprint"].as_str().unwrap().to_string();
    let (passed, v) = case.verify(&["--trust", &fp]);
    assert!(passed, "{}", failures(&v));
}

#[test]
fn direct_edit_of_an_untriaged_alert_fails() {
    let case = worked_case();
    case.tamper("UPDATE alerts SET status = 'Dismissed' WHERE id = 5;");
    fails_naming(&case, &[], &["alerts of source 1", "triage state"]);
}

#[test]
fn direct_edit_of_a_triaged_alert_names_the_field() {
    let case = worked_case();
    case.tamper("UPDATE alerts SET status = 'Active', owner = 'nobody' WHERE id = 1;");
    fails_naming(
        &case,
        &[],
        &[
            "alert:1 status is \"Active\" but the audit log last set it to \"Resolved\"",
            "alert:1 owner",
        ],
    );
}

#[test]
fn direct_edit_of_alert_content_fails() {
    let case = worked_case();
    case.tamper("UPDATE alerts SET description = 'benign' WHERE id = 7;");
    fails_naming(
        &case,
        &[],
        &["alerts of source 1", "edited outside Caseboard"],
    );
}

#[test]
fn deleted_alert_fails() {
    let case = worked_case();
    case.tamper("DELETE FROM alerts WHERE id = 9;");
    fails_naming(&case, &[], &["alerts of source 1", "rows were deleted"]);
}

#[test]
fn edited_and_deleted_notes_fail() {
    let case = worked_case();
    case.tamper("UPDATE notes SET text = 'false alarm';");
    fails_naming(&case, &[], &["alert:1 note 1 reads \"false alarm\""]);
    let case = worked_case();
    case.tamper("DELETE FROM notes;");
    fails_naming(&case, &[], &["a note was deleted"]);
}

#[test]
fn tags_severity_and_marked_entities_edited_fail() {
    let case = worked_case();
    case.tamper("DELETE FROM tags; UPDATE alerts SET severity_override = NULL WHERE id = 1; DELETE FROM marked_related;");
    fails_naming(
        &case,
        &[],
        &["alert:1 tags", "alert:1 severity", "marked-related"],
    );
}

#[test]
fn incident_membership_edited_fails() {
    let case = worked_case();
    case.tamper("INSERT INTO incident_alerts (incident_id, alert_ext_id) SELECT id, 'forged-alert' FROM incidents LIMIT 1;");
    fails_naming(&case, &[], &["incident membership"]);
}

#[test]
fn edited_and_deleted_events_fail() {
    let case = worked_case();
    case.tamper("UPDATE events SET fields = '{}' WHERE id = 3;");
    fails_naming(
        &case,
        &[],
        &["events of source 2", "edited outside Caseboard"],
    );
    let case = worked_case();
    case.tamper("DELETE FROM events WHERE id = 4;");
    fails_naming(&case, &[], &["events of source 2", "rows were deleted"]);
}

#[test]
fn edited_or_deleted_sources_rows_fail() {
    let case = worked_case();
    case.tamper("UPDATE sources SET sha256 = (SELECT sha256 FROM sources WHERE id = 1) || '0' WHERE id = 2;");
    fails_naming(&case, &[], &["sources.sha256 of source 2"]);
    let case = worked_case();
    case.tamper("UPDATE sources SET counts = '{}' WHERE id = 1;");
    fails_naming(&case, &[], &["counts of source 1"]);
    let case = worked_case();
    case.tamper("DELETE FROM events WHERE source_id = 2; DELETE FROM relations WHERE source_id = 2; DELETE FROM sources WHERE id = 2;");
    fails_naming(&case, &[], &["source 2", "its sources row was deleted"]);
}

#[test]
fn changed_missing_and_moved_evidence() {
    let case = worked_case();
    let ev = case.dir.path().join("evidence");
    // changed: one byte appended
    let mut bytes = std::fs::read(ev.join("logons.jsonl")).unwrap();
    bytes.push(b'\n');
    std::fs::write(ev.join("logons.jsonl"), &bytes).unwrap();
    let v = fails_naming(&case, &[], &["logons.jsonl has changed"]);
    assert_eq!(v["sources"][1]["status"], "changed");
    bytes.pop();
    std::fs::write(ev.join("logons.jsonl"), &bytes).unwrap();
    assert!(case.verify(&[]).0);
    // moved: missing where it was imported …
    let handed = case.dir.path().join("handed-over").join("deep");
    std::fs::create_dir_all(&handed).unwrap();
    std::fs::rename(ev.join("alerts.jsonl"), handed.join("alerts.jsonl")).unwrap();
    let v = fails_naming(&case, &[], &["alerts.jsonl is missing"]);
    assert_eq!(v["sources"][0]["status"], "missing");
    // … found by name and hash in --evidence-dir
    let dir = case.dir.path().join("handed-over");
    let (passed, v) = case.verify(&["--evidence-dir", dir.to_str().unwrap()]);
    assert!(passed, "{}", failures(&v));
    assert_eq!(v["sources"][0]["status"], "moved");
    // a same-named file with other bytes is no substitute
    std::fs::write(handed.join("alerts.jsonl"), b"{}\n").unwrap();
    fails_naming(
        &case,
        &["--evidence-dir", dir.to_str().unwrap()],
        &["has changed"],
    );
}

#[test]
fn seal_pins_the_chain() {
    let case = worked_case();
    let c = case.c();
    let seal = case.dir.path().join("c.seal.json");
    ok(&case.run(&["seal", &c, "-o", seal.to_str().unwrap()]));
    let s: Value = serde_json::from_slice(&std::fs::read(&seal).unwrap()).unwrap();
    for k in [
        "case_id",
        "entries",
        "head",
        "signature",
        "sealed_at",
        "pubkey",
    ] {
        assert!(!s[k].is_null(), "seal has {k}");
    }
    let sp = seal.to_str().unwrap();
    let (passed, v) = case.verify(&["--seal", sp]);
    assert!(passed, "{}", failures(&v));
    assert_eq!(v["seal"]["ok"], true);
    // work after the seal is fine (and said)
    ok(&case.run(&["triage", &c, "alert:4", "--note", "after the seal"]));
    let (passed, v) = case.verify(&["--seal", sp]);
    assert!(passed, "{}", failures(&v));
    assert!(v["findings"].to_string().contains("added after the seal"));
    // another case is not the sealed one
    let other = Case {
        dir: tempfile::tempdir().unwrap(),
        key: case.key.clone(),
    };
    std::fs::copy(fixture(ALERTS), other.dir.path().join("a.jsonl")).unwrap();
    ok(&other.run(&["import", &other.c(), "a.jsonl"]));
    fails_naming(&other, &["--seal", sp], &["seals case"]);
    // a seal edited to claim fewer entries
    let mut s2 = s.clone();
    s2["entries"] = Value::from(s["entries"].as_i64().unwrap() - 1);
    std::fs::write(&seal, serde_json::to_vec(&s2).unwrap()).unwrap();
    fails_naming(
        &case,
        &["--seal", sp],
        &["seal's signature does not verify"],
    );
    // truncation below the seal
    std::fs::write(&seal, serde_json::to_vec(&s).unwrap()).unwrap();
    case.tamper("DELETE FROM audit WHERE id > 3; UPDATE audit_head SET entries = 3, head = (SELECT hash FROM audit WHERE id = 3);");
    fails_naming(&case, &["--seal", sp], &["truncated since the seal"]);
}

#[test]
fn seal_refuses_a_tampered_case() {
    let case = worked_case();
    case.tamper("UPDATE notes SET text = 'x';");
    let out = case.run(&["seal", &case.c()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not sealed"));
}

#[test]
fn custody_report_lists_sources_actions_and_the_verify_result() {
    let case = worked_case();
    let c = case.c();
    let seal = case.dir.path().join("s.json");
    ok(&case.run(&["seal", &c, "-o", seal.to_str().unwrap()]));
    let out_file = case.dir.path().join("custody.html");
    ok(&case.run(&[
        "custody",
        &c,
        "--seal",
        seal.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(&out_file).unwrap();
    for f in ["alerts.jsonl", "logons.jsonl"] {
        let bytes = std::fs::read(case.dir.path().join("evidence").join(f)).unwrap();
        assert!(
            html.contains(&hex::encode(Sha256::digest(&bytes))),
            "{f}'s SHA-256"
        );
        assert!(html.contains(&format!("evidence/{f}")));
    }
    let db = rusqlite::Connection::open(case.case()).unwrap();
    let entries: i64 = db
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    drop(db);
    let actions = html.split("<h2>Every action</h2>").nth(1).unwrap();
    assert_eq!(actions.matches("<tr><td>").count() as i64, entries);
    assert!(html.contains("verify-test") && html.contains("contained"));
    assert!(html.contains("OK — audit chain"));
    assert!(html.contains("<h2>Seal</h2>"));
    assert!(html.contains("default-src 'none'"));
    // tampered: the report says so
    case.tamper("UPDATE notes SET text = '<script>alert(1)</script>';");
    let html = String::from_utf8(ok(&case.run(&["custody", &c])).into_bytes()).unwrap();
    assert!(html.contains("FAILED"));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
}

/// A case holding one real OTRF lab file, which verifies.
fn lab_case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys").join("analyst.key");
    let ev = dir.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    let zip = "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip";
    std::fs::copy(fixture(zip), ev.join("lab.zip")).unwrap();
    let case = Case { dir, key };
    let c = case.c();
    ok(&case.run(&["import", &c, "evidence/lab.zip"]));
    let (passed, v) = case.verify(&[]);
    assert!(passed, "{}", failures(&v));
    case
}

/// Events' fields are stored compressed in blocks of consecutive events (`field_blocks`): a
/// block edited outside Caseboard changes what the fields of every event in it say, so the
/// blocks are in the import's signed digests and `verify` names them.
#[test]
fn an_edited_fields_block_fails() {
    let case = lab_case();
    let db = rusqlite::Connection::open(case.case()).unwrap();
    let (blocks, events): (i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM field_blocks WHERE source_id = 1), (SELECT count(*) FROM events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(db);
    assert!(
        blocks > 1 && blocks < events,
        "{blocks} blocks for {events} events"
    );
    // the same length, the last 8 bytes zeroed: zstd may still decode it, to other text
    case.tamper("UPDATE field_blocks SET data = CAST(substr(data, 1, length(data) - 8) || x'0000000000000000' AS BLOB) WHERE id = (SELECT min(id) FROM field_blocks);");
    fails_naming(&case, &[], &["field_blocks of source 1"]);
}

/// The events an entity is said to relate to before an expansion are counted at import; a
/// count edited in the case file is named, with the entity.
#[test]
fn an_edited_event_count_fails() {
    let case = lab_case();
    let db = rusqlite::Connection::open(case.case()).unwrap();
    let (entity, source): (i64, String) = db
        .query_row(
            "SELECT entity, source FROM entity_event_counts ORDER BY n DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(db);
    case.tamper(&format!(
        "UPDATE entity_event_counts SET n = n + 1 WHERE entity = {entity} AND source = '{source}';"
    ));
    fails_naming(
        &case,
        &[],
        &[&format!("entity:{entity} is said to relate to")],
    );
}

/// The entity pairs a path walks are kept at import; a pair edited in the case file, or one
/// deleted, is named with both entities.
#[test]
fn an_edited_or_deleted_entity_pair_fails() {
    let case = lab_case();
    let db = rusqlite::Connection::open(case.case()).unwrap();
    let pairs: Vec<(i64, i64)> = db
        .prepare("SELECT a, b FROM co_mentions ORDER BY n DESC, a, b LIMIT 2")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(db);
    let [(a, b), (c, d)] = pairs[..] else {
        panic!("the lab case has entity pairs: {pairs:?}")
    };
    case.tamper(&format!(
        "UPDATE co_mentions SET n = n + 1 WHERE a = {a} AND b = {b}; DELETE FROM co_mentions WHERE a = {c} AND b = {d};"
    ));
    fails_naming(
        &case,
        &[],
        &[
            &format!("entity:{a} and entity:{b} are said to share"),
            &format!("entity:{c} and entity:{d} are said to share no event"),
        ],
    );
}
