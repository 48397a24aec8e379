//! Cases for the tests: a hand-built scenario written through the import `Sink` (with tactics,
//! processes, events — what the real fixtures lack) and the real fixtures imported through
//! `cb_api::import_file`.

use cb_domain::{
    AlertRecord, EntityRecord, EventRecord, IncidentRecord, NodeId, Severity, Sink, SinkError,
};
use cb_store::{Actor, SourceMeta, SqliteStore};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn store() -> SqliteStore {
    SqliteStore::in_memory(Actor("tester".into())).unwrap()
}

/// Compare `actual` with `tests/snapshots/<name>.txt`; `UPDATE_SNAPSHOTS=1` rewrites it.
#[track_caller]
pub fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        actual, expected,
        "snapshot {name} differs (UPDATE_SNAPSHOTS=1 to accept)"
    );
}

/// Import every fixture file the importer recognises (but the Sigma regression EVTX files,
/// which cb-sigma's tests import); returns the files imported.
pub fn fixture_case(store: &mut SqliteStore) -> Vec<String> {
    let mut files = vec![];
    let mut stack = vec![root().join("fixtures")];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                // sigma: rules, not evidence; azure-sentinel-notebooks: a 22k-process scale
                // sample (the process tree's test), too big for walking every query of every node
                if p.ends_with("fixtures/sigma") || p.ends_with("fixtures/azure-sentinel-notebooks")
                {
                    continue;
                }
                stack.push(p);
            } else if cb_api::probe(&p).is_ok() {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = vec![];
    for f in files {
        if cb_api::import_file(store, &f, &mut |_| true).is_ok() {
            out.push(f.strip_prefix(root()).unwrap_or(&f).display().to_string());
        }
    }
    out
}

/// Node ids of the hand-built scenario, by name.
#[derive(Debug)]
pub struct Scenario {
    pub alerts: Vec<NodeId>,
    pub web01: NodeId,
    pub db01: NodeId,
    pub ian: NodeId,
    pub ip_ext: NodeId,
    pub ip_peer: NodeId,
    pub proc: NodeId,
    pub parent: NodeId,
    pub file: NodeId,
    pub hash: NodeId,
    pub bare_ian: NodeId,
    pub incident: NodeId,
}

fn alert(n: usize, time: &str, tactics: &[&str], sev: Severity) -> AlertRecord {
    AlertRecord {
        ext_id: format!("A{n}"),
        name: format!("Alert {n}"),
        alert_type: if n.is_multiple_of(2) {
            "Even".into()
        } else {
            "Odd".into()
        },
        severity: Some(sev),
        start: Some(time.into()),
        end: Some(time.into()),
        tactics: tactics.iter().map(|s| s.to_string()).collect(),
        provider: "Test".into(),
        ..Default::default()
    }
}

fn rel(s: &mut dyn Sink, a: NodeId, b: NodeId, kind: &str, rec: u64) -> Result<(), SinkError> {
    s.relation(a, b, kind, &Map::new(), rec)
}

/// Eight alerts over two hosts (see `correlate` tests for what groups), processes, a file and
/// its hash, events of two sources, network connections, an imported incident.
pub fn scenario(store: &mut SqliteStore) -> Scenario {
    let mut sc = None;
    let meta = SourceMeta {
        path: "scenario.jsonl".into(),
        sha256: "0".repeat(64),
        size: 1,
        format: "test".into(),
    };
    let mut parse = |s: &mut dyn Sink| -> Result<(), SinkError> {
        let web = EntityRecord::new("host")
            .with("HostName", "WEB01")
            .with("DnsDomain", "contoso.com");
        let db = EntityRecord::new("host")
            .with("HostName", "DB01")
            .with("DnsDomain", "contoso.com");
        let (web01, webkey) = s.entity(&web, None, 1)?;
        let (db01, _) = s.entity(&db, None, 1)?;
        let ian = s
            .entity(
                &EntityRecord::new("account")
                    .with("Name", "ian")
                    .with("UPNSuffix", "contoso.com"),
                None,
                1,
            )?
            .0;
        let bare_ian = s
            .entity(&EntityRecord::new("account").with("Name", "ian"), None, 2)?
            .0;
        let ip_ext = s
            .entity(
                &EntityRecord::new("ip").with("Address", "23.97.60.214"),
                None,
                1,
            )?
            .0;
        let ip_peer = s
            .entity(&EntityRecord::new("ip").with("Address", "8.8.8.8"), None, 1)?
            .0;
        let parent = s
            .entity(
                &EntityRecord::new("process")
                    .with("ProcessId", "0x10")
                    .with("CreationTimeUtc", "2019-02-15T01:29:00Z"),
                Some(&webkey),
                2,
            )?
            .0;
        let proc = s
            .entity(
                &EntityRecord::new("process")
                    .with("ProcessId", "0x4e55")
                    .with("CreationTimeUtc", "2019-02-15T01:30:00Z")
                    .with("CommandLine", "wget http://x"),
                Some(&webkey),
                2,
            )?
            .0;
        let file = s
            .entity(
                &EntityRecord::new("file")
                    .with("Directory", "/usr/bin")
                    .with("Name", "wget"),
                None,
                2,
            )?
            .0;
        let hash = s
            .entity(
                &EntityRecord::new("filehash")
                    .with("Algorithm", "SHA256")
                    .with("Value", "ab".repeat(32)),
                None,
                2,
            )?
            .0;
        rel(s, proc, web01, "Host", 2)?;
        rel(s, proc, ian, "Account", 2)?;
        rel(s, proc, parent, "ParentProcess", 2)?;
        rel(s, proc, file, "ImageFile", 2)?;
        rel(s, parent, web01, "Host", 2)?;
        rel(s, file, hash, "FileHashes", 2)?;
        let day = |d: u32, hm: &str| format!("2019-02-{d:02}T{hm}:00.000Z");
        let specs: Vec<(AlertRecord, Vec<NodeId>)> = vec![
            (
                alert(1, &day(15, "01:00"), &["InitialAccess"], Severity::Medium),
                vec![web01, ip_ext],
            ),
            (
                alert(2, &day(15, "01:30"), &["Execution"], Severity::High),
                vec![web01, proc, file, hash, parent],
            ),
            (
                alert(
                    3,
                    &day(15, "02:00"),
                    &["Persistence", "PrivilegeEscalation"],
                    Severity::Low,
                ),
                vec![web01, ian],
            ),
            (
                alert(
                    4,
                    &day(19, "02:00"),
                    &["CredentialAccess"],
                    Severity::Medium,
                ),
                vec![web01],
            ),
            (
                alert(5, &day(15, "03:00"), &["Discovery"], Severity::Low),
                vec![db01, ian],
            ),
            (
                alert(6, &day(15, "03:30"), &[], Severity::Informational),
                vec![db01, ian],
            ),
            (
                alert(7, &day(25, "03:30"), &[], Severity::Low),
                vec![db01, ian],
            ),
            (
                alert(8, &day(22, "02:00"), &["Impact"], Severity::High),
                vec![web01, bare_ian],
            ),
        ];
        let mut alerts = vec![];
        for (i, (a, ents)) in specs.into_iter().enumerate() {
            let id = s.alert(&a, &json!({}), 10 + i as u64)?;
            for e in ents {
                rel(s, id, e, "involves", 10 + i as u64)?;
            }
            alerts.push(id);
        }
        let inc = IncidentRecord {
            ext_id: "INC-1".into(),
            title: "Imported incident".into(),
            severity: Some(Severity::Low),
            alert_ext_ids: vec!["A7".into()],
            first_activity: Some(day(25, "03:30")),
            ..Default::default()
        };
        let incident = s.incident(&inc, &json!({}), 30)?;
        // events
        let ev = |src: &str, t: &str, summary: &str| EventRecord {
            source: src.into(),
            time: Some(t.into()),
            summary: summary.into(),
            fields: Map::<String, Value>::new(),
            ..Default::default()
        };
        for k in 0..3u64 {
            let e = s.event(
                &ev(
                    "SecurityEvent",
                    &day(15, &format!("0{k}:10")),
                    &format!("4624 logon {k}"),
                ),
                40 + k,
            )?;
            rel(s, e, ian, "mentions", 40 + k)?;
            rel(s, e, db01, "mentions", 40 + k)?;
        }
        let e = s.event(&ev("SigninLogs", &day(15, "00:50"), "sign-in ian"), 50)?;
        rel(s, e, ian, "mentions", 50)?;
        rel(s, e, ip_ext, "mentions", 50)?;
        s.relation(
            ian,
            db01,
            "logged_on",
            json!({"logon_type": 10}).as_object().unwrap(),
            40,
        )?;
        rel(s, ian, ip_ext, "signed_in_from", 50)?;
        s.relation(
            web01,
            ip_peer,
            "connected_to",
            json!({"port": 443}).as_object().unwrap(),
            60,
        )?;
        s.relation(
            ip_ext,
            ip_peer,
            "connected_to",
            json!({"port": 53}).as_object().unwrap(),
            61,
        )?;
        sc = Some(Scenario {
            alerts,
            web01,
            db01,
            ian,
            ip_ext,
            ip_peer,
            proc,
            parent,
            file,
            hash,
            bare_ian,
            incident,
        });
        Ok(())
    };
    store
        .import_source(&meta, &mut |_, _| true, &mut parse)
        .unwrap();
    sc.unwrap()
}

/// Every node of the case.
pub fn all_nodes(store: &SqliteStore) -> Vec<NodeId> {
    let mut v = vec![];
    for (t, f) in [
        ("alerts", NodeId::Alert as fn(i64) -> NodeId),
        ("incidents", NodeId::Incident),
        ("entities", NodeId::Entity),
        ("events", NodeId::Event),
    ] {
        let mut stmt = store
            .conn()
            .prepare(&format!("SELECT id FROM {t} ORDER BY id"))
            .unwrap();
        let ids: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        v.extend(ids.into_iter().map(f));
    }
    v
}

/// Replace entity and event numbers (which depend on what other importers create) by `#`.
pub fn normalise_ids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('e') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let pre = ["entity:", "event:"]
            .into_iter()
            .find(|p| rest.starts_with(p));
        match pre {
            Some(p) if rest[p.len()..].starts_with(|c: char| c.is_ascii_digit()) => {
                out.push_str(p);
                out.push('#');
                rest = rest[p.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
            }
            _ => {
                out.push('e');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
