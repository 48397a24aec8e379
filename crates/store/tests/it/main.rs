//! Store tests: migrations, triage with its audit trail, the audit chain.

use cb_domain::{AlertRecord, NodeId, Severity, Sink, SinkError, Status};
use cb_store::migrations::{migrate, MIGRATIONS};
use cb_store::{Actor, Classification, SourceMeta, SqliteStore, TriageChange};
use rusqlite::Connection;

/// Import one made-up source (`sha` names it) into `s` with `parse` as its parser.
fn import(
    s: &mut SqliteStore,
    sha: &str,
    parse: &mut dyn FnMut(&mut dyn Sink) -> Result<(), SinkError>,
) {
    let meta = SourceMeta {
        path: format!("{sha}.jsonl"),
        sha256: sha.into(),
        size: 1,
        format: "test".into(),
    };
    s.import_source(&meta, &mut |_, _| true, parse).unwrap();
}

fn store_with_alerts(n: usize) -> (SqliteStore, Vec<NodeId>) {
    let mut s = SqliteStore::in_memory(Actor("judy".into())).unwrap();
    let mut ids = Vec::new();
    import(
        &mut s,
        "00",
        &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
            for i in 0..n {
                let a = AlertRecord {
                    ext_id: format!("a{i}"),
                    name: format!("Alert {i}"),
                    severity: Some(Severity::Medium),
                    ..Default::default()
                };
                ids.push(sink.alert(&a, &serde_json::Value::Null, i as u64 + 1)?);
            }
            Ok(())
        },
    );
    (s, ids)
}

/// A case file at `path` written by the first `version` migrations only, with one source row.
fn case_at_schema(path: &std::path::Path, version: usize) -> Connection {
    let c = Connection::open(path).unwrap();
    for m in &MIGRATIONS[..version] {
        c.execute_batch(m).unwrap();
    }
    c.pragma_update(None, "user_version", version as i64)
        .unwrap();
    c.pragma_update(None, "application_id", cb_store::migrations::APPLICATION_ID)
        .unwrap();
    c.execute(
        "INSERT INTO sources (path, sha256, size, format, imported_at, counts, merged, skipped) VALUES ('f', 'h', 1, 'x', 't', '{}', 0, '[]')",
        [],
    )
    .unwrap();
    c
}

#[test]
fn migrations_apply_from_scratch_and_are_idempotent() {
    let mut c = Connection::open_in_memory().unwrap();
    assert_eq!(migrate(&mut c).unwrap(), MIGRATIONS.len());
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, MIGRATIONS.len());
    migrate(&mut c).unwrap();
    let v2: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, v2);
}

#[test]
fn upgrade_from_the_oldest_schema_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.case");
    {
        // a case written by the first schema only
        let c = case_at_schema(&path, 1);
        c.execute(
            "INSERT INTO alerts (ext_id, name, alert_type, severity, status, provider, product, vendor, description, remediation, tactics, techniques,
             compromised_entity, resource_id, extended, contains_alerts, raw, source_id, record)
             VALUES ('x1', 'Old alert', '', 3, 'Active', '', '', '', '', '[]', '[]', '[]', '', '', '{}', '[]', 'null', 1, 1)",
            [],
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path, Actor("t".into())).unwrap();
    let v: i64 = s
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, MIGRATIONS.len());
    let alerts = s.alerts(cb_store::AlertSort::Severity).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].name, "Old alert");
    assert_eq!(alerts[0].severity, Some(Severity::High));
}

#[test]
fn a_foreign_sqlite_file_is_not_a_case_and_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path, Actor("t".into())).err().unwrap();
    assert!(err.to_string().contains("another application"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn dismissing_as_false_positive_needs_a_reason_and_is_audited() {
    let (mut s, ids) = store_with_alerts(3);
    let no_class = TriageChange {
        status: Some(Status::Dismissed),
        ..Default::default()
    };
    assert!(s
        .triage(&ids[..1], &no_class)
        .unwrap_err()
        .to_string()
        .contains("needs a classification"));
    let no_reason = TriageChange {
        status: Some(Status::Dismissed),
        classification: Some(Classification::FalsePositive),
        ..Default::default()
    };
    assert!(s
        .triage(&ids[..1], &no_reason)
        .unwrap_err()
        .to_string()
        .contains("needs a reason"));

    let fp = TriageChange {
        status: Some(Status::Dismissed),
        classification: Some(Classification::FalsePositive),
        reason: Some("scanner from the red team".into()),
        note: Some("checked with Sam".into()),
        add_tags: vec!["red-team".into()],
        ..Default::default()
    };
    let st = s.triage(&ids[..1], &fp).unwrap();
    assert_eq!(st[0].status, "Dismissed");
    assert_eq!(
        st[0].classification,
        "false_positive: scanner from the red team"
    );
    assert_eq!(st[0].tags, vec!["red-team"]);
    let activity = s.activity(ids[0]).unwrap();
    let actions: Vec<&str> = activity
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["status", "classification", "note", "tag"]);
    assert_eq!(activity[0]["actor"], "judy");
    assert_eq!(activity[0]["detail"]["old"], "Active");
    assert_eq!(activity[0]["detail"]["new"], "Dismissed");
    assert_eq!(s.verify_audit().unwrap(), None);
    // the other alerts are untouched
    assert_eq!(s.triage_state(ids[1]).unwrap().status, "Active");
}

#[test]
fn bulk_severity_override_and_owner() {
    let (mut s, ids) = store_with_alerts(4);
    let c = TriageChange {
        severity: Some(Severity::High),
        owner: Some("sam".into()),
        status: Some(Status::InProgress),
        ..Default::default()
    };
    s.triage(&ids[1..3], &c).unwrap();
    let alerts = s.alerts(cb_store::AlertSort::Severity).unwrap();
    // the two overridden alerts now sort first, as High
    assert_eq!(alerts[0].severity, Some(Severity::High));
    assert_eq!(alerts[1].severity, Some(Severity::High));
    assert_eq!(alerts[2].severity, Some(Severity::Medium));
    assert!(s.triage_state(ids[1]).unwrap().severity_overridden);
    assert_eq!(s.activity(ids[2]).unwrap().len(), 3);
    assert_eq!(s.activity(ids[0]).unwrap().len(), 0);
    // the same change again records nothing new
    s.triage(&ids[1..3], &c).unwrap();
    assert_eq!(s.activity(ids[2]).unwrap().len(), 3);
}

#[test]
fn tampering_with_the_audit_chain_is_detected() {
    let (mut s, ids) = store_with_alerts(2);
    s.triage(
        &ids,
        &TriageChange {
            owner: Some("x".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.verify_audit().unwrap(), None);
    // the triggers refuse edits...
    assert!(s
        .conn()
        .execute("UPDATE audit SET actor = 'mallory' WHERE id = 2", [])
        .is_err());
    // ...and a rewrite that bypasses them breaks the chain at the edited entry
    s.conn()
        .execute_batch(
            "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE id = 2;",
        )
        .unwrap();
    assert_eq!(s.verify_audit().unwrap(), Some(2));
}

#[test]
fn marking_an_entity_as_related_is_kept_and_audited() {
    let (mut s, ids) = store_with_alerts(1);
    let mut ent = None;
    import(
        &mut s,
        "01",
        &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
            ent = Some(
                sink.entity(
                    &cb_domain::EntityRecord::new("ip").with("Address", "10.0.0.5"),
                    None,
                    1,
                )?
                .0,
            );
            Ok(())
        },
    );
    let e = ent.unwrap();
    s.mark_related(ids[0], e, "same subnet as the attacker")
        .unwrap();
    let st = s.triage_state(ids[0]).unwrap();
    assert_eq!(st.related[0].entity, e);
    assert_eq!(s.activity(ids[0]).unwrap()[0]["action"], "mark_related");
    assert!(s.mark_related(e, e, "x").is_err());
}

/// Open the old case at `path` (upgraded to the newest schema), import one new event beside
/// its event 1 (`Image` C:\Windows\cmd.exe), and check that both read alike, in SQL and in
/// the node's view.
fn upgraded_reads_old_beside_new(path: &std::path::Path) -> SqliteStore {
    let mut s = SqliteStore::open(path, Actor("t".into())).unwrap();
    let v: i64 = s
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, MIGRATIONS.len());
    let mut new_id = None;
    import(
        &mut s,
        "01",
        &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
            let e = cb_domain::EventRecord {
                source: "Sysmon".into(),
                summary: "new".into(),
                fields: serde_json::from_str(r#"{"Image":"C:\\Windows\\notepad.exe","EventID":1}"#)
                    .unwrap(),
                ..Default::default()
            };
            new_id = Some(sink.event(&e, 1)?);
            Ok(())
        },
    );
    let new_id = new_id.unwrap();
    // SQL reads both through cb_fields
    let images: Vec<String> = s
        .conn()
        .prepare(&format!(
            "SELECT json_extract({}, '$.Image') FROM events ORDER BY id",
            cb_store::fields::sql("fields")
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(images, [r"C:\Windows\cmd.exe", r"C:\Windows\notepad.exe"]);
    // and so does the node's view
    let old = s.node_fields(NodeId::Event(1)).unwrap();
    assert_eq!(old["fields"]["Image"], r"C:\Windows\cmd.exe");
    let new = s.node_fields(new_id).unwrap();
    assert_eq!(new["fields"]["Image"], r"C:\Windows\notepad.exe");
    assert_eq!(new["fields"]["EventID"], 1);
    s
}

/// One column of every event, in id order.
fn event_column<T: rusqlite::types::FromSql>(s: &SqliteStore, expr: &str) -> Vec<T> {
    s.conn()
        .prepare(&format!("SELECT {expr} FROM events ORDER BY id"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

const OLD_FIELDS: &str = r#"{"Image":"C:\\Windows\\cmd.exe","EventID":1}"#;

/// A case of schema 5 (events.fields as JSON text) opens, is upgraded, and its old events
/// read as before beside new ones (whose fields are stored compressed).
#[test]
fn upgrade_from_schema_5_reads_old_and_new_event_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.case");
    {
        let c = case_at_schema(&path, 5);
        c.execute(
            "INSERT INTO events (source_id, record, source, channel, event_id, time, summary, fields) VALUES (1, 1, 'Sysmon', '', '1', NULL, 'old', ?1)",
            [OLD_FIELDS],
        )
        .unwrap();
    }
    let s = upgraded_reads_old_beside_new(&path);
    assert_eq!(
        event_column::<String>(&s, "typeof(fields)"),
        ["text", "blob"]
    );
}

/// A case of schema 8 (one zstd frame per event) is upgraded to blocks of fields: its events
/// read as before beside new ones, whose fields are in a block.
#[test]
fn upgrade_from_schema_8_reads_frames_beside_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v8.case");
    {
        let c = case_at_schema(&path, 8);
        let frame = zstd::bulk::compress(OLD_FIELDS.as_bytes(), 1).unwrap();
        c.execute(
            "INSERT INTO events (source_id, record, source, channel, event_id, time, summary, fields) VALUES (1, 1, 'Sysmon', '', '1', NULL, 'old', ?1)",
            [frame],
        )
        .unwrap();
    }
    let s = upgraded_reads_old_beside_new(&path);
    let in_block = event_column::<bool>(&s, "cb_block(fields) IS NOT NULL");
    assert_eq!(in_block, [false, true]);
}

/// A case of schema 6 is upgraded to relation indexes that hold both ends: its relations are
/// kept, and a hub's neighbours are read from the index alone (no table lookup per row).
#[test]
fn upgrade_from_schema_6_keeps_relations_and_covers_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.case");
    {
        let c = case_at_schema(&path, 6);
        for i in 1..=50 {
            c.execute(
                "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, 'entity:1', 'mentions', '{}', 1, ?2)",
                rusqlite::params![format!("event:{i}"), i],
            )
            .unwrap();
        }
        c.execute(
            "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES ('entity:2', 'entity:1', 'on_host', '{}', 1, 1)",
            [],
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path, Actor("t".into())).unwrap();
    let c = s.conn();
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, MIGRATIONS.len());
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM relations WHERE dst = 'entity:1' AND kind = 'mentions'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 50);
    for (index, cols) in [
        ("relations_src", ["src", "kind", "dst"]),
        ("relations_dst", ["dst", "kind", "src"]),
    ] {
        let got: Vec<String> = c
            .prepare(&format!(
                "SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, cols, "{index}");
    }
    let plan: Vec<String> = c
        .prepare("EXPLAIN QUERY PLAN SELECT src FROM relations WHERE dst = 'entity:1' AND kind = 'mentions'")
        .unwrap()
        .query_map([], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("COVERING INDEX relations_dst")),
        "{plan:?}"
    );
}

/// A case written by a newer Caseboard (a schema version this code does not know) is refused
/// with a clear error and left byte for byte as it was.
#[test]
fn a_case_newer_than_the_code_is_refused_and_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.case");
    drop(SqliteStore::open_or_create(&path, Actor("t".into())).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path, Actor("t".into())).err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("newer Caseboard"), "{msg}");
    assert!(
        msg.contains(&format!("schema version {}", MIGRATIONS.len() + 1)),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // nothing was written: the read-only probe leaves at most an empty WAL beside it
    let wal = dir.path().join("newer.case-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
}

/// The events counts an import keeps: one per event and entity whatever the number of
/// relations between them, a relation of an earlier event counted under that event's source,
/// and the table equal to a count of the relations (what `verify` checks) across two imports.
#[test]
fn event_counts_are_distinct_events_per_source() {
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let host_import = |s: &mut SqliteStore, sha: &str| {
        let mut host = None;
        import(
            s,
            sha,
            &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
                let h = cb_domain::EntityRecord::new("host").with("HostName", "ws1");
                let (h, _) = sink.entity(&h, None, 1)?;
                host = Some(h);
                let ev = |source: &str| cb_domain::EventRecord {
                    source: source.into(),
                    summary: "e".into(),
                    ..Default::default()
                };
                let a = sink.event(&ev("Sysmon"), 1)?;
                let none = serde_json::Map::new();
                sink.relation(a, h, "mentions", &none, 1)?;
                sink.relation(a, h, "other", &none, 1)?;
                let b = sink.event(&ev("SecurityEvent"), 2)?;
                sink.relation(b, h, "mentions", &none, 2)?;
                // a relation of the first event, stated after the second one
                sink.relation(a, h, "late", &none, 1)?;
                Ok(())
            },
        );
        host.unwrap()
    };
    let h = host_import(&mut s, "01");
    let h2 = host_import(&mut s, "02");
    assert_eq!(h, h2, "one host entity");
    let counts = cb_store::event_counts::of_entity(s.conn(), h.num()).unwrap();
    assert_eq!(
        counts,
        [("SecurityEvent".to_string(), 2), ("Sysmon".to_string(), 2)]
    );
    assert_eq!(cb_store::event_counts::check(s.conn(), 10).unwrap(), []);
}

/// The journal format the case file's header states (bytes 18–19: 1 rollback journal, 2 WAL).
fn header_journal(path: &std::path::Path) -> u8 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes[18], bytes[19]);
    bytes[18]
}

/// An import that owns the case goes through a rollback journal (pages it adds are written
/// once) and the case is back in WAL mode afterwards; a failed one leaves the case as it was;
/// with another connection open the import goes through the WAL, as the reader needs.
#[test]
fn an_import_alone_uses_a_rollback_journal_and_leaves_the_case_in_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.case");
    let mut s = SqliteStore::open_or_create(&path, Actor("t".into())).unwrap();
    assert_eq!(header_journal(&path), 2);
    let ev = |i: usize| cb_domain::EventRecord {
        source: "Sysmon".into(),
        summary: format!("event {i}"),
        fields: serde_json::from_str(&format!(r#"{{"EventID":1,"n":{i}}}"#)).unwrap(),
        ..Default::default()
    };
    let mut during = vec![];
    import(&mut s, "a1", &mut |sink: &mut dyn Sink| {
        during.push(header_journal(&path));
        for i in 0..100 {
            sink.event(&ev(i), i as u64 + 1)?;
        }
        Ok(())
    });
    assert_eq!(during, [1], "alone: a rollback journal while importing");
    assert_eq!(header_journal(&path), 2, "WAL again afterwards");
    let mode: String = s
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    // a failure half-way through: nothing of it stays, the case is in WAL mode
    let meta = SourceMeta {
        path: "b.jsonl".into(),
        sha256: "b2".into(),
        size: 1,
        format: "test".into(),
    };
    let failed = s.import_source(&meta, &mut |_, _| true, &mut |sink: &mut dyn Sink| {
        for i in 0..50 {
            sink.event(&ev(i), i as u64 + 1)?;
        }
        Err(SinkError::Storage("disk gone".into()))
    });
    assert!(failed.is_err());
    let count = |c: &Connection| -> (i64, i64) {
        c.query_row(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sources)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(count(s.conn()), (100, 1));
    assert_eq!(header_journal(&path), 2);

    // another connection open (a reader): the import goes through the WAL and the reader
    // keeps reading the case as it was before the import committed
    let reader = Connection::open(&path).unwrap();
    assert_eq!(count(&reader), (100, 1));
    let mut during = vec![];
    import(&mut s, "c3", &mut |sink: &mut dyn Sink| {
        for i in 0..100 {
            sink.event(&ev(i), i as u64 + 1)?;
        }
        during.push(header_journal(&path));
        during.push(count(&reader).0 as u8);
        Ok(())
    });
    assert_eq!(
        during,
        [2, 100],
        "with a reader: WAL, and the reader is not blocked"
    );
    assert_eq!(count(&reader), (200, 2));
    drop(reader);
    drop(s);
    // reopened: everything there, and the audit chain and each import's digests verify
    let s = SqliteStore::open(&path, Actor("t".into())).unwrap();
    assert_eq!(count(s.conn()), (200, 2));
    let report = s.verify_integrity(&[]).unwrap();
    assert_eq!(report.sources.len(), 2);
    // (no analyst key signed here: only the missing signatures are reported)
    let other: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.check != "signature" && f.check != "head")
        .map(|f| format!("{f:?}"))
        .collect();
    assert!(other.is_empty(), "{other:?}");
}

/// The entity pairs an import keeps (`co_mentions`): one row per ordered pair of distinct
/// entities an event relates to, whatever the number of relations between them, with the
/// smallest such event and the number of events; a relation of an earlier event adds that
/// event's pairs; a second import adds to the counts; a process placeholder folded into the
/// process it is takes its pairs along; the table equals a count of the relations.
#[test]
fn entity_pairs_are_kept_per_event_across_imports_and_folds() {
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let none = serde_json::Map::new();
    let ev = || cb_domain::EventRecord {
        source: "Sysmon".into(),
        summary: "e".into(),
        ..Default::default()
    };
    let mut ids = vec![];
    for sha in ["01", "02"] {
        import(
            &mut s,
            sha,
            &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
                let (h, hk) = sink.entity(
                    &cb_domain::EntityRecord::new("host").with("HostName", "ws1"),
                    None,
                    1,
                )?;
                let (u, _) = sink.entity(
                    &cb_domain::EntityRecord::new("account")
                        .with("Name", "bob")
                        .with("NTDomain", "CORP"),
                    Some(&hk),
                    1,
                )?;
                let (ip, _) = sink.entity(
                    &cb_domain::EntityRecord::new("ip").with("Address", "10.0.0.9"),
                    None,
                    1,
                )?;
                let a = sink.event(&ev(), 1)?;
                sink.relation(a, h, "mentions", &none, 1)?;
                sink.relation(a, h, "other", &none, 1)?;
                sink.relation(a, u, "mentions", &none, 1)?;
                let b = sink.event(&ev(), 2)?;
                sink.relation(b, h, "mentions", &none, 2)?;
                // a relation of the first event, stated after the second one
                sink.relation(a, ip, "late", &none, 1)?;
                ids = vec![h, u, ip, a, b];
                Ok(())
            },
        );
    }
    let num = |n: NodeId| n.num();
    let (h, u, ip) = (num(ids[0]), num(ids[1]), num(ids[2]));
    let rows = |s: &SqliteStore| -> Vec<(i64, i64, i64, i64)> {
        let mut st = s
            .conn()
            .prepare("SELECT a, b, event, n FROM co_mentions ORDER BY a, b")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // the first import's first event relates h, u and ip; the second import's too
    let first = 1;
    let mut want = vec![
        (h, u, first, 2),
        (h, ip, first, 2),
        (u, h, first, 2),
        (u, ip, first, 2),
        (ip, h, first, 2),
        (ip, u, first, 2),
    ];
    want.sort_unstable();
    assert_eq!(rows(&s), want);
    assert_eq!(cb_store::co_mentions::check(s.conn(), 10).unwrap(), []);
    assert_eq!(
        cb_store::co_mentions::of_entity(s.conn(), h).unwrap(),
        [(u.min(ip), first), (u.max(ip), first)]
    );

    // a placeholder parent (pid only) and the process it is (guid and pid) of one child:
    // folded, its pairs move to the process
    import(
        &mut s,
        "03",
        &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
            let (h, hk) = sink.entity(
                &cb_domain::EntityRecord::new("host").with("HostName", "ws1"),
                None,
                1,
            )?;
            let strong = cb_domain::EntityRecord::new("process")
                .with("ProcessGuid", "{11111111-2222-3333-4444-555555555555}")
                .with("ProcessId", "100");
            let (p, _) = sink.entity(&strong, Some(&hk), 1)?;
            let (w, _) = sink.entity(
                &cb_domain::EntityRecord::new("process").with("ProcessId", "100"),
                Some(&hk),
                1,
            )?;
            let child = cb_domain::EntityRecord::new("process")
                .with("ProcessGuid", "{99999999-2222-3333-4444-555555555555}")
                .with("ProcessId", "200");
            let (c, _) = sink.entity(&child, Some(&hk), 1)?;
            sink.relation(c, w, "ParentProcess", &none, 1)?;
            sink.relation(c, p, "ParentProcess", &none, 2)?;
            let e = sink.event(&ev(), 1)?;
            sink.relation(e, w, "mentions", &none, 1)?;
            sink.relation(e, h, "mentions", &none, 1)?;
            let f = sink.event(&ev(), 2)?;
            sink.relation(f, p, "mentions", &none, 2)?;
            sink.relation(f, h, "mentions", &none, 2)?;
            ids = vec![p, w, e, f];
            Ok(())
        },
    );
    let (p, w, e) = (num(ids[0]), num(ids[1]), num(ids[2]));
    let gone: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM entities WHERE id = ?1", [w], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(gone, 0, "the placeholder is folded");
    let all = rows(&s);
    assert!(all.iter().all(|r| r.0 != w && r.1 != w), "{all:?}");
    assert!(
        all.contains(&(p, h, e, 2)) && all.contains(&(h, p, e, 2)),
        "{all:?}"
    );
    assert_eq!(cb_store::co_mentions::check(s.conn(), 10).unwrap(), []);
}

/// A case of schema 7 is upgraded with the entity pairs of its events counted from its
/// relations.
#[test]
fn upgrade_from_schema_7_counts_entity_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v7.case");
    {
        let c = case_at_schema(&path, 7);
        for (src, dst) in [
            ("event:5", "entity:1"),
            ("event:5", "entity:2"),
            ("event:3", "entity:2"),
            ("event:3", "entity:1"),
            ("event:3", "entity:9"),
            ("entity:9", "entity:1"),
            ("alert:1", "entity:2"),
        ] {
            c.execute(
                "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, 'mentions', '{}', 1, 1)",
                [src, dst],
            )
            .unwrap();
        }
    }
    let s = SqliteStore::open(&path, Actor("t".into())).unwrap();
    let mut st = s
        .conn()
        .prepare("SELECT a, b, event, n FROM co_mentions ORDER BY a, b")
        .unwrap();
    let rows: Vec<(i64, i64, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            (1, 2, 3, 2),
            (1, 9, 3, 1),
            (2, 1, 3, 2),
            (2, 9, 3, 1),
            (9, 1, 3, 1),
            (9, 2, 3, 1)
        ]
    );
    assert_eq!(cb_store::co_mentions::check(s.conn(), 10).unwrap(), []);
}

#[test]
fn a_file_hashed_while_it_is_imported_is_checked_for_its_bytes_at_the_end() {
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let ev = |i: u64| cb_domain::EventRecord {
        source: "Test".into(),
        summary: format!("e{i}"),
        ..Default::default()
    };
    let mut ten = |sink: &mut dyn Sink| -> Result<(), SinkError> {
        for i in 0..10 {
            sink.event(&ev(i), i + 1)?;
        }
        Ok(())
    };
    import(&mut s, "aa", &mut ten);
    let count = |s: &SqliteStore| -> (i64, i64, i64) {
        s.conn()
            .query_row(
                "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sources), (SELECT count(*) FROM audit)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    let before = count(&s);
    assert_eq!((before.0, before.1), (10, 1));
    let meta = SourceMeta {
        path: "b.jsonl".into(),
        sha256: "not read".into(),
        size: 2,
        format: "test".into(),
    };
    let mut import_hashed = |s: &mut SqliteStore, hash: Result<&str, &str>| {
        s.import_source_hashed_meanwhile(&meta, None, &mut |_, _| true, &mut ten, &mut || {
            hash.map(str::to_string).map_err(str::to_string)
        })
    };
    // the bytes of "aa" under another name: found once hashed, nothing of the file is kept
    let dup = import_hashed(&mut s, Ok("aa")).unwrap();
    assert_eq!(dup.duplicate_of.as_deref(), Some("aa.jsonl"));
    assert_eq!(dup.source_id, None);
    assert_eq!(count(&s), before);
    // hashing failed: the import fails and leaves nothing
    assert!(import_hashed(&mut s, Err("disk gone")).is_err());
    assert_eq!(count(&s), before);
    // new bytes: stored under the hash given at the end, audited with it
    let new = import_hashed(&mut s, Ok("bb")).unwrap();
    assert_eq!(new.duplicate_of, None);
    let (sha, audited): (String, String) = s
        .conn()
        .query_row(
            "SELECT s.sha256, json_extract(a.detail, '$.sha256') FROM sources s JOIN audit a ON a.target = 'source:' || s.id WHERE s.id = ?1",
            [new.source_id.unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((sha.as_str(), audited.as_str()), ("bb", "bb"));
    assert_eq!(count(&s).0, 20);
    assert!(s.has_source_of_size(2).unwrap());
    assert!(!s.has_source_of_size(3).unwrap());
}
