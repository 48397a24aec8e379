//! Import acceptance tests on the real samples in `fixtures/`.

use cb_api::{import_file, FileReport};
use cb_domain::{Counts, NodeId};
use cb_store::{Actor, AlertSort, SqliteStore};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod contract;
mod prepared;
mod queue_view;
mod rootcause;
mod tidy;
mod usecases;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

const ALERTS: &str = "msticpy/tests/testdata/localdata/alerts_list.jsonl";

fn store() -> SqliteStore {
    SqliteStore::in_memory(Actor("test".into())).unwrap()
}

fn import(store: &mut SqliteStore, path: &Path) -> FileReport {
    import_file(store, path, &mut |_| true).unwrap_or_else(|e| panic!("{e}"))
}

/// Compare with a checked-in snapshot; `UPDATE_SNAPSHOTS=1` rewrites it.
#[track_caller]
fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::write(&path, actual).unwrap();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_none() {
            panic!("snapshot {name} was missing and has been written; check it and run again");
        }
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "snapshot {name} differs:\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// The case rendered as text, with ids replaced by labels so that the snapshot does not
/// depend on insertion order.
fn render(store: &SqliteStore) -> String {
    let mut out = String::new();
    let label = |id: NodeId| format!("{}<{}>", id.kind(), store.label(id).unwrap());
    let mut alerts: Vec<String> = store
        .alerts(AlertSort::Time)
        .unwrap()
        .into_iter()
        .map(|a| {
            let mut ents: Vec<String> = a.entities.iter().map(|e| label(*e)).collect();
            ents.sort();
            format!(
                "alert {} | {} | {} | {} | {} → {}\n  entities: {}\n",
                a.name,
                a.severity.map(|s| s.as_str()).unwrap_or("-"),
                a.status,
                a.start.as_deref().unwrap_or("-"),
                a.provider,
                a.end.as_deref().unwrap_or("-"),
                ents.join(", ")
            )
        })
        .collect();
    alerts.sort();
    out.extend(alerts);
    for e in store.entities(None).unwrap() {
        let mut rels: Vec<String> = store
            .relations_of(e.id)
            .unwrap()
            .into_iter()
            .filter(|r| r.from == e.id && r.kind != "involves")
            .map(|r| format!("{} {}", r.kind, label(r.to)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        rels.sort();
        out.push_str(&format!(
            "entity {} {} [{}] {}\n",
            e.kind,
            e.label,
            e.strength,
            rels.join("; ")
        ));
    }
    out
}

// --- SecurityAlert JSON lines ---------------------------------------------------------------

/// The real msticpy export: 25 SecurityAlert rows.
///
/// Hosts, derived by hand from the file's `Entities`:
/// * 20 "SSH Anomalous Login ML" rows name `{"HostName": "MSTICAlertsLxVM2"}` only, and 3
///   Detection rows name `HostName/NetBiosName "MSTICALERTSLXVM2"` with empty DnsDomain and
///   NTDomain: no strong identifier anywhere, the same weak identity (host names are
///   case-insensitive) → ONE weakly identified host;
/// * the "Suspicious Activity Detected" row names msticalertswin1 with an AzureID → one strong
///   host. Total: 2 hosts.
///
/// Accounts:
/// * the SSH rows' bare `{"Name": "dbadmin"}` → one weak account;
/// * the Detection rows' `dbadmin` with `Sid "1001:1001"` on the Linux host → one strong
///   account, kept apart from the bare name (linked as possibly_same_as);
/// * `ian` with `NTDomain msticalertswin1` → one strong account. Total: 3 accounts.
///
/// IPs: 23.97.60.214 (in every SSH row), 203.0.113.1 (in 4 of them), 104.211.30.1 (in one) → 3.
#[test]
fn sentinel_alerts_jsonl_real_export() {
    let mut s = store();
    let r = import(&mut s, &fixture(ALERTS));
    assert_eq!(r.format, "sentinel-securityalert-jsonl");
    assert_eq!(r.added.alerts, 25);
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_eq!(s.entities(Some("host")).unwrap().len(), 2);
    assert_eq!(s.entities(Some("account")).unwrap().len(), 3);
    assert_eq!(s.entities(Some("ip")).unwrap().len(), 3);
    let weak_hosts: Vec<_> = s
        .entities(Some("host"))
        .unwrap()
        .into_iter()
        .filter(|h| h.strength == "weak")
        .collect();
    assert_eq!(weak_hosts.len(), 1);

    // Every `$ref` in the file became a relation named after its property: count them
    // independently, per record (provenance is per record).
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let ents: Value = serde_json::from_str(row["Entities"].as_str().unwrap()).unwrap();
        for e in ents.as_array().unwrap() {
            for (k, v) in e.as_object().unwrap() {
                if v.get("$ref").is_some() {
                    *expected.entry(k.clone()).or_default() += 1;
                }
            }
        }
    }
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    let rows: Vec<(String, i64)> = {
        let mut st = s.conn().prepare("SELECT kind, count(*) FROM relations WHERE kind NOT IN ('involves', 'possibly_same_as') GROUP BY kind").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    for (k, n) in rows {
        got.insert(k, n as usize);
    }
    assert_eq!(got, expected);
    assert!(
        expected.values().sum::<usize>() >= 20,
        "the file has Host/Account/ImageFile/ParentProcess refs"
    );

    // the SSH dbadmin (weak) and the Linux dbadmin (Sid) are kept apart but linked
    let same: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM relations WHERE kind = 'possibly_same_as'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(same >= 1);

    // an ASC "Security incident detected" row groups the alerts it lists
    let incidents = s.incidents().unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        incidents[0].alerts.len(),
        2,
        "2 of its 3 SystemAlertIds are rows of this file"
    );

    // remediation steps, a JSON array inside a string, come out as a list
    let download = s
        .alerts(AlertSort::Time)
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Detected suspicious file download")
        .unwrap();
    let d = s.node(download.id).unwrap();
    let steps = d.fields["remediation"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    assert!(steps[0]
        .as_str()
        .unwrap()
        .starts_with("Review with dbadmin"));
    assert_eq!(d.fields["extended"]["Compromised Host"], "MSTICALERTSLXVM2");
    assert_eq!(d.fields["compromised_entity"], "MSTICALERTSLXVM2");

    check_snapshot("alerts_list.txt", &render(&s));
}

#[test]
fn reimporting_the_same_bytes_adds_nothing() {
    use sha2::Digest;
    let mut s = store();
    // hashed while it is parsed (no source of its size yet): the hash is the file's
    let first = import(&mut s, &fixture(ALERTS));
    let want = hex::encode(sha2::Sha256::digest(
        std::fs::read(fixture(ALERTS)).unwrap(),
    ));
    assert_eq!(first.sha256, want);
    let stored: String = s
        .conn()
        .query_row("SELECT sha256 FROM sources", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, want);
    let before = s.stats().unwrap();
    let again = import(&mut s, &fixture(ALERTS));
    assert!(again.duplicate_of.is_some());
    assert_eq!(again.added, Counts::default());
    assert_eq!(s.stats().unwrap(), before);
    // the same bytes under another name (a size seen before: hashed first)
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.jsonl");
    std::fs::copy(fixture(ALERTS), &copy).unwrap();
    let third = import(&mut s, &copy);
    assert_eq!(third.sha256, want);
    assert!(third
        .duplicate_of
        .unwrap()
        .ends_with(ALERTS.rsplit('/').next().unwrap()));
    assert_eq!(s.stats().unwrap(), before);
}

#[test]
fn same_alerts_in_another_file_merge_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let first5: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let p = dir.path().join("first5.jsonl");
    std::fs::write(&p, first5).unwrap();
    let mut s = store();
    import(&mut s, &fixture(ALERTS));
    let before = s.stats().unwrap();
    let r = import(&mut s, &p);
    assert_eq!(r.added.alerts, 0);
    assert_eq!(r.added.entities, 0);
    assert!(r.merged >= 5);
    assert_eq!(s.stats().unwrap().alerts, before.alerts);
}

#[test]
fn a_broken_line_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[6] = lines[6][..lines[6].len() / 2].to_string(); // line 7 cut in half
    lines[11] = lines[11].replacen("\"$id\\\":", "\"$ref-broken\\\":", 0); // unchanged
    let p = dir.path().join("broken.jsonl");
    std::fs::write(&p, lines.join("\n")).unwrap();
    let mut s = store();
    let r = import(&mut s, &p);
    assert_eq!(r.added.alerts, 24);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].record, 7);
    assert!(
        r.skipped[0].reason.contains("invalid JSON"),
        "{}",
        r.skipped[0].reason
    );
}

#[test]
fn a_dangling_ref_skips_only_that_record() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let mut rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // row 21 refers to host $id 4; point it at an id that does not exist
    let ents = rows[20]["Entities"]
        .as_str()
        .unwrap()
        .replace("\"$ref\": \"4\"", "\"$ref\": \"99\"");
    rows[20]["Entities"] = Value::String(ents);
    let p = dir.path().join("dangling.jsonl");
    std::fs::write(
        &p,
        rows.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let mut s = store();
    let r = import(&mut s, &p);
    assert_eq!(r.added.alerts, 24);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].record, 21);
    assert!(
        r.skipped[0].reason.contains("$ref \"99\""),
        "{}",
        r.skipped[0].reason
    );
}

// --- the same rows as CSV and as a JSON array -------------------------------------------------

fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Writes the real rows the way a DataFrame/portal export does: a leading unnamed index
/// column, no `Status` column, times with a space instead of `T` and without `Z`.
fn as_csv(rows: &[Value]) -> String {
    let cols: Vec<String> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "Status")
        .cloned()
        .collect();
    let mut out = format!(",{}\n", cols.join(","));
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| {
                let v = &r[c];
                match v.as_str() {
                    Some(t) if c.ends_with("Utc") || c == "TimeGenerated" => {
                        csv_cell(&Value::String(t.replacen('T', " ", 1)))
                    }
                    _ => csv_cell(v),
                }
            })
            .collect();
        out.push_str(&format!("{i},{}\n", cells.join(",")));
    }
    out
}

#[test]
fn csv_and_json_array_import_the_same_alerts_as_json_lines() {
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("alerts.csv");
    std::fs::write(&csv, as_csv(&rows)).unwrap();
    let arr = dir.path().join("alerts.json");
    std::fs::write(&arr, serde_json::to_string_pretty(&rows).unwrap()).unwrap();

    let mut a = store();
    import(&mut a, &fixture(ALERTS));
    let mut b = store();
    let rb = import(&mut b, &csv);
    assert_eq!(rb.format, "sentinel-securityalert-csv");
    assert!(rb.skipped.is_empty(), "{:?}", rb.skipped);
    let mut c = store();
    let rc = import(&mut c, &arr);
    assert_eq!(rc.format, "sentinel-securityalert-json-array");
    assert_eq!(render(&a), render(&b));
    assert_eq!(render(&a), render(&c));
    assert_eq!(a.stats().unwrap(), b.stats().unwrap());
}

// --- a failure mid-file leaves the case as it was ----------------------------------------------

#[test]
fn a_failure_mid_file_rolls_the_whole_file_back() {
    use cb_domain::{Sink, SinkError};
    let mut s = store();
    import(
        &mut s,
        &fixture("msticpy/tests/testdata/sent_incidents.jsonl"),
    );
    let before = s.stats().unwrap();
    let meta = cb_store::SourceMeta {
        path: "alerts".into(),
        sha256: "x".into(),
        size: 1,
        format: "f".into(),
    };
    let format = cb_ingest::detect(&cb_ingest::read_head(&fixture(ALERTS)).unwrap()).unwrap();
    let mut alerts_seen = 0;
    let mut parse = |sink: &mut dyn Sink| -> Result<(), SinkError> {
        struct Failing<'a> {
            inner: &'a mut dyn Sink,
            alerts: &'a mut usize,
        }
        impl Sink for Failing<'_> {
            fn entity(
                &mut self,
                r: &cb_domain::EntityRecord,
                h: Option<&str>,
                n: u64,
            ) -> Result<(NodeId, String), SinkError> {
                self.inner.entity(r, h, n)
            }
            fn alert(
                &mut self,
                a: &cb_domain::AlertRecord,
                raw: &Value,
                n: u64,
            ) -> Result<NodeId, SinkError> {
                *self.alerts += 1;
                if *self.alerts == 12 {
                    return Err(SinkError::Storage("disk full (injected)".into()));
                }
                self.inner.alert(a, raw, n)
            }
            fn incident(
                &mut self,
                i: &cb_domain::IncidentRecord,
                raw: &Value,
                n: u64,
            ) -> Result<NodeId, SinkError> {
                self.inner.incident(i, raw, n)
            }
            fn event(&mut self, e: &cb_domain::EventRecord, n: u64) -> Result<NodeId, SinkError> {
                self.inner.event(e, n)
            }
            fn relation(
                &mut self,
                f: NodeId,
                t: NodeId,
                k: &str,
                p: &serde_json::Map<String, Value>,
                n: u64,
            ) -> Result<(), SinkError> {
                self.inner.relation(f, t, k, p, n)
            }
            fn skip(&mut self, n: u64, reason: String) {
                self.inner.skip(n, reason)
            }
            fn progress(&mut self, r: u64, b: u64) -> Result<(), SinkError> {
                self.inner.progress(r, b)
            }
        }
        cb_ingest::import(
            format,
            &fixture(ALERTS),
            &mut Failing {
                inner: sink,
                alerts: &mut alerts_seen,
            },
        )
    };
    let err = s
        .import_source(&meta, &mut |_, _| true, &mut parse)
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(alerts_seen, 12, "the failure came mid-file");
    assert_eq!(s.stats().unwrap(), before);
}

#[test]
fn cancel_leaves_the_case_as_it_was() {
    let mut s = store();
    let before = s.stats().unwrap();
    let err = import_file(&mut s, &fixture(ALERTS), &mut |p| p.records < 3).unwrap_err();
    assert_eq!(err.code(), "cancelled");
    // progress is reported every 200 records, and at the end: cancelled at the end here
    assert_eq!(s.stats().unwrap(), before);
}

// --- REST and Graph shapes ----------------------------------------------------------------------

#[test]
fn defender_rest_alerts() {
    let mut s = store();
    let r = import(
        &mut s,
        &fixture(
            "azure-rest-api-specs/security-2022-01-01/Alerts/GetAlertsSubscription_example.json",
        ),
    );
    assert_eq!(r.format, "defender-alerts-json");
    // value[] holds two alerts (their systemAlertId repeats; the resource names differ)
    assert_eq!(r.added.alerts, 2);
    // entities: 1 ip in the first; host, account, 2 files, 2 processes in the second
    assert_eq!(r.added.entities, 7);
    assert_eq!(s.entities(Some("file")).unwrap().len(), 2);
    assert_eq!(s.entities(Some("process")).unwrap().len(), 2);
    let alerts = s.alerts(AlertSort::Time).unwrap();
    let screensaver = alerts
        .iter()
        .find(|a| a.name == "Suspicious Screensaver process executed")
        .unwrap();
    assert_eq!(screensaver.entities.len(), 6);
    let d = s.node(screensaver.id).unwrap();
    assert_eq!(d.fields["tactics"], serde_json::json!(["Execution"]));
    // techniques T1059, T1053, T1072 plus sub-techniques T1059.001, T1059.006, T1053.002
    assert_eq!(d.fields["techniques"].as_array().unwrap().len(), 6);
    assert!(!d.fields["remediation"].as_array().unwrap().is_empty());
    assert_eq!(d.fields["compromised_entity"], "vm2");
    // both are "isIncident" alerts that list no others: each stands as its own incident
    assert_eq!(r.added.incidents, 2);
}

#[test]
fn sentinel_incident_rest_shapes_join_in_any_order() {
    let base = "azure-rest-api-specs/securityinsights-2024-09-01/incidents/";
    let mut s = store();
    let a = import(
        &mut s,
        &fixture(&format!("{base}GetAllIncidentAlerts.json")),
    );
    assert_eq!(a.format, "sentinel-incident-alerts-json");
    assert_eq!(a.added.alerts, 1);
    let e = import(
        &mut s,
        &fixture(&format!("{base}GetAllIncidentEntities.json")),
    );
    assert_eq!(e.format, "sentinel-incident-entities-json");
    assert_eq!(e.added.entities, 1);
    let i = import(&mut s, &fixture(&format!("{base}GetIncidentById.json")));
    assert_eq!(i.format, "sentinel-incidents-json");
    assert_eq!(i.added.incidents, 1);
    let incidents = s.incidents().unwrap();
    // GetIncidentById is another incident (73e01a99…) than the alerts/entities (afbd324f…)
    assert_eq!(incidents.len(), 2);
    let by_id = incidents
        .iter()
        .find(|x| x.ext_id == "73e01a99-5cd7-4139-a149-9f2736ff2ab5")
        .unwrap();
    assert_eq!(by_id.title, "My incident");
    assert_eq!(by_id.status, "Resolved");
    assert_eq!(by_id.owner, "john doe");
    assert!(by_id.classification.starts_with("FalsePositive"));
    let stub = incidents
        .iter()
        .find(|x| x.ext_id == "afbd324f-6c48-459c-8710-8d1e1cd03812")
        .unwrap();
    assert_eq!(stub.alerts.len(), 1);
    let acc = s.entities(Some("account")).unwrap();
    assert_eq!(acc[0].label, "domain\\administrator");
    let rel = s.relations_of(stub.id).unwrap();
    assert_eq!(rel.iter().filter(|r| r.kind == "involves").count(), 1);
}

#[test]
fn sentinel_incident_table_rows() {
    let mut s = store();
    let r = import(
        &mut s,
        &fixture("msticpy/tests/testdata/sent_incidents.jsonl"),
    );
    assert_eq!(r.format, "sentinel-incidents-jsonl");
    assert_eq!(r.added.incidents, 5);
    let inc = s.incidents().unwrap();
    assert!(inc
        .iter()
        .all(|i| i.missing_alerts.len() == 1 && !i.title.is_empty()));
    // importing the alerts they name later would join them (they are not in this lab file)
}

#[test]
fn graph_alert_with_evidence() {
    let mut s = store();
    let r = import(
        &mut s,
        &fixture("msgraph-security-alerts_v2/security-alert-get.response.json"),
    );
    assert_eq!(r.format, "graph-alerts-json");
    assert_eq!(r.added.alerts, 1);
    let raw: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(
            "msgraph-security-alerts_v2/security-alert-get.response.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let evidence: Vec<String> = raw["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["@odata.type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(evidence.len(), 4, "{evidence:?}");
    // device; file MsSense.exe (+sha1, sha256); process (image MsSense.exe = the same file,
    // account NT AUTHORITY\SYSTEM, parent process 668 with image services.exe); registry key
    let kinds: BTreeMap<String, usize> =
        s.entities(None)
            .unwrap()
            .into_iter()
            .fold(BTreeMap::new(), |mut m, e| {
                *m.entry(e.kind).or_default() += 1;
                m
            });
    assert_eq!(kinds["host"], 1);
    assert_eq!(kinds["file"], 2);
    assert_eq!(kinds["filehash"], 2);
    assert_eq!(kinds["process"], 2);
    assert_eq!(kinds["registry-key"], 1);
    assert_eq!(kinds["account"], 1);
    assert_eq!(kinds.values().sum::<usize>(), 9);
    let a = &s.alerts(AlertSort::Time).unwrap()[0];
    let d = s.node(a.id).unwrap();
    assert_eq!(d.fields["tactics"], serde_json::json!(["DefenseEvasion"]));
    assert!(d.fields["remediation"].as_array().unwrap().len() > 3);
    let host = s.entities(Some("host")).unwrap().remove(0);
    let props = &s.node(host.id).unwrap().fields["props"];
    assert_eq!(props["verdict"], "unknown");
    assert_eq!(props["roles"], serde_json::json!(["compromised"]));
    assert_eq!(s.incidents().unwrap()[0].alerts, vec![a.id]);
}

#[test]
fn unknown_and_missing_files_are_refused_with_the_path() {
    let mut s = store();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, "hello").unwrap();
    let e = import_file(&mut s, &p, &mut |_| true).unwrap_err();
    assert_eq!(e.code(), "unknown_format");
    assert!(e.to_string().contains("notes.txt"));
    let e = import_file(&mut s, &dir.path().join("nope.json"), &mut |_| true).unwrap_err();
    assert_eq!(e.code(), "missing");
    let e = import_file(&mut s, dir.path(), &mut |_| true).unwrap_err();
    assert_eq!(e.code(), "directory");
    assert_eq!(s.stats().unwrap().sources, 0);
}

/// The same real rows under the column names of the Log Analytics `SecurityAlert` schema
/// (`DisplayName`, `AlertSeverity`, `StartTime`, `EndTime`; msticpy renamed them) and with
/// the Azure portal's CSV headers (`TimeGenerated [UTC]`): the same alerts come out.
#[test]
fn log_analytics_column_names_and_portal_csv_headers() {
    let text = std::fs::read_to_string(fixture(ALERTS)).unwrap();
    let renamed: Vec<Value> = text
        .lines()
        .map(|l| {
            let mut o: serde_json::Map<String, Value> = serde_json::from_str(l).unwrap();
            for (old, new) in [
                ("AlertDisplayName", "DisplayName"),
                ("Severity", "AlertSeverity"),
                ("StartTimeUtc", "StartTime"),
                ("EndTimeUtc", "EndTime"),
            ] {
                let v = o.remove(old).unwrap();
                o.insert(new.to_string(), v);
            }
            Value::Object(o)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("la.jsonl");
    std::fs::write(
        &jsonl,
        renamed
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let csv = dir.path().join("portal.csv");
    let body = as_csv(&renamed);
    let (header, rest) = body.split_once('\n').unwrap();
    let header = header
        .replace("TimeGenerated", "TimeGenerated [UTC]")
        .replace("StartTime,", "StartTime [UTC],")
        .replace("EndTime,", "EndTime [UTC],");
    assert_eq!(header.matches(" [UTC]").count(), 3, "{header}");
    std::fs::write(&csv, format!("{header}\n{rest}")).unwrap();

    let mut a = store();
    import(&mut a, &fixture(ALERTS));
    for p in [&jsonl, &csv] {
        let mut b = store();
        let r = import(&mut b, p);
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        assert_eq!(render(&a), render(&b), "{}", p.display());
    }
}

/// A new case gives the file system back the pages its imports left free (FTS5 merges free
/// the segments they merge): after a batch of files, and whenever asked, the free pages are
/// moved out and the file truncated, in one transaction, the rows untouched.
#[test]
fn free_pages_are_given_back_after_a_batch_of_files() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let zip = fixture("otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip");
    cb_api::import::import_paths(&case, &[zip], Actor("t".into()), &mut |_, _| true).unwrap();
    let c = rusqlite::Connection::open(&case).unwrap();
    let pragma = |c: &rusqlite::Connection, p: &str| -> i64 {
        c.pragma_query_value(None, p, |r| r.get(0)).unwrap()
    };
    assert_eq!(pragma(&c, "auto_vacuum"), 2, "incremental");
    assert!(pragma(&c, "freelist_count") < 64);
    let events = |c: &rusqlite::Connection| -> (i64, String) {
        c.query_row(
            &format!(
                "SELECT count(*), group_concat(length({}), ',') FROM events",
                cb_store::fields::sql("fields")
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    // free pages, as merged FTS segments leave them
    c.execute_batch(
        "CREATE TABLE scratch (x BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
         INSERT INTO scratch SELECT randomblob(12000) FROM n;
         DROP TABLE scratch;",
    )
    .unwrap();
    let free = pragma(&c, "freelist_count");
    assert!(free >= 400, "{free} free pages");
    drop(c);
    let size = || std::fs::metadata(&case).unwrap().len();
    let before = size();
    let mut s = SqliteStore::open(&case, Actor("t".into())).unwrap();
    let rows = events(s.conn());
    assert!(rows.0 > 1000, "{} events", rows.0);
    let given = s.give_back_free_pages().unwrap();
    assert!(
        given as i64 >= free - 8,
        "{given} of {free} pages given back"
    );
    assert_eq!(pragma(s.conn(), "freelist_count"), 0);
    assert_eq!(
        events(s.conn()),
        rows,
        "the events and their fields are as they were"
    );
    let ok: String = s
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(s);
    assert!(
        size() + given * 16384 <= before + 16384,
        "{before} → {} bytes",
        size()
    );
}
