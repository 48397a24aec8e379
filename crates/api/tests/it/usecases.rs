//! The use cases as both edges call them: reads that write nothing, the first map of an alert,
//! folder import, progress maths, error codes.

use super::{fixture, ALERTS};
use cb_api::import::{import_paths, ImportProgress};
use cb_api::queue::QueueSort;
use cb_api::{investigations, queue, Actor, Case, Progress};
use std::path::{Path, PathBuf};

const SCENARIO: &str = "scenario/contoso-malicious-sql.jsonl";

fn actor() -> Actor {
    Actor("test".into())
}

/// Lines holding a JSON object: the alerts of a JSON-lines export, counted without our parser.
fn json_lines(p: &Path) -> usize {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .count()
}

#[test]
fn reading_the_queue_twice_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.case");
    let mut case = Case::open_or_create(&path, actor()).unwrap();
    {
        // the low-level import, which does not correlate: a read that correlated would now
        // add the derived incidents
        let mut store = cb_store::SqliteStore::open(&path, actor()).unwrap();
        for f in [ALERTS, SCENARIO] {
            cb_api::import_file(&mut store, &fixture(f), &mut |_| true).unwrap();
        }
    }
    let audit = |c: &Case| cb_api::activity::activity(c, None).unwrap().activity;
    let incidents = |c: &Case| queue::incidents(c).unwrap().incidents;
    let (audit_before, incidents_before) = (audit(&case).len(), incidents(&case));
    for _ in 0..2 {
        let q = queue::queue(&case, QueueSort::Severity).unwrap();
        assert_eq!(
            q.alerts.len(),
            json_lines(&fixture(ALERTS)) + json_lines(&fixture(SCENARIO))
        );
    }
    assert_eq!(
        audit(&case).len(),
        audit_before,
        "the audit log is unchanged"
    );
    assert_eq!(
        incidents(&case),
        incidents_before,
        "incidents are unchanged"
    );

    // correlating on demand does group these alerts: the reads above had something to write
    let derived = cb_api::correlate::correlate(&mut case, &Default::default()).unwrap();
    assert!(derived.iter().any(|d| d.created), "{derived:?}");
    assert!(incidents(&case).len() > incidents_before.len());
    assert!(audit(&case).len() > audit_before);
}

#[test]
fn import_correlates_and_a_new_map_opens_with_the_alerts_entities() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.case");
    let r = import_paths(
        &path,
        &[fixture(ALERTS), fixture(SCENARIO)],
        actor(),
        &mut |_, _| true,
    )
    .unwrap();
    assert!(r.correlated.iter().any(|d| d.created), "import correlates");
    let mut case = Case::open(&path, actor()).unwrap();
    let listed = queue::incidents(&case).unwrap().incidents;
    for d in &r.correlated {
        assert!(listed.iter().any(|i| i.id == d.id && i.reason.is_some()));
    }

    let alert = queue::alerts(&case, QueueSort::Time)
        .unwrap()
        .alerts
        .into_iter()
        .find(|a| !a.entities.is_empty())
        .unwrap();
    let map = investigations::open_map(&mut case, alert.id).unwrap();
    let mut on_map: Vec<_> = map
        .nodes
        .iter()
        .map(|n| n.view.id)
        .filter(|n| *n != alert.id)
        .collect();
    on_map.sort();
    let mut want = alert.entities.clone();
    want.sort();
    want.dedup();
    assert_eq!(
        on_map, want,
        "the alert's entities, as the alert row lists them"
    );
    assert_eq!(map.history_len, 1);
    // opening it again is the same saved map, not a second one
    let again = investigations::open_map(&mut case, alert.id).unwrap();
    assert_eq!((again.id, again.history_len), (map.id, 1));
    assert_eq!(investigations::list(&case).unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn folders_import_recursively_unknown_files_are_reported_and_symlink_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    std::fs::copy(fixture(ALERTS), ev.join("alerts.jsonl")).unwrap();
    std::fs::copy(fixture(SCENARIO), ev.join("sub/scenario.jsonl")).unwrap();
    std::fs::write(ev.join("sub/notes.txt"), "just words").unwrap();
    std::os::unix::fs::symlink(&ev, ev.join("sub/loop")).unwrap();
    let path = dir.path().join("c.case");
    let r = import_paths(&path, std::slice::from_ref(&ev), actor(), &mut |_, _| true).unwrap();
    let imported: Vec<PathBuf> = r.files.iter().map(|f| PathBuf::from(&f.path)).collect();
    assert_eq!(
        imported,
        [ev.join("alerts.jsonl"), ev.join("sub/scenario.jsonl")]
    );
    let skipped: Vec<&str> = r.not_imported.iter().map(|c| c.path.as_str()).collect();
    assert!(
        skipped.iter().any(|p| p.ends_with("notes.txt")),
        "{skipped:?}"
    );
    let looped = r
        .not_imported
        .iter()
        .find(|c| c.path.ends_with("loop"))
        .expect("the loop is reported");
    assert!(
        looped.error.as_deref().unwrap().contains("loop"),
        "{looped:?}"
    );
    let case = Case::open(&path, actor()).unwrap();
    let stats = cb_api::case::stats(&case).unwrap();
    assert_eq!(
        stats.alerts as usize,
        json_lines(&fixture(ALERTS)) + json_lines(&fixture(SCENARIO))
    );
    assert_eq!(stats.sources, 2);

    // a folder with nothing Caseboard reads is refused, and no case is created
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("a.txt"), "words").unwrap();
    let other = dir.path().join("other.case");
    let e = import_paths(&other, &[empty], actor(), &mut |_, _| true).unwrap_err();
    assert_eq!(e.code(), "bad_input");
    assert!(!other.exists());
}

#[test]
fn progress_rate_and_eta() {
    let p = Progress {
        records: 100,
        bytes: 50,
        bytes_total: 200,
    };
    let x = ImportProgress::at(p, 2.0);
    assert_eq!(x.rate, 50.0);
    // 150 bytes left at 25 bytes/s
    assert_eq!(x.eta_secs, Some(6.0));
    let start = ImportProgress::at(Progress { bytes: 0, ..p }, 0.0);
    assert_eq!(start.eta_secs, None);
}

#[test]
fn errors_have_stable_codes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(cb_api::node_id("nope:1").unwrap_err().code(), "bad_input");
    let missing = dir.path().join("none.case");
    assert_eq!(
        Case::open(&missing, actor()).err().unwrap().code(),
        "not_a_case"
    );
    let path = dir.path().join("c.case");
    let mut case = Case::open_or_create(&path, actor()).unwrap();
    assert_eq!(
        investigations::get(&case, 99).unwrap_err().code(),
        "not_found"
    );
    let req = cb_api::triage::TriageRequest {
        status: Some("Sleeping".into()),
        ..Default::default()
    };
    let e = cb_api::triage::triage(&mut case, &[cb_api::NodeId::Alert(1)], req).unwrap_err();
    assert_eq!(e.code(), "bad_input");
    assert!(e.to_string().contains("Sleeping"), "{e}");
    assert_eq!(
        Case::create(&path, actor()).err().unwrap().code(),
        "bad_input"
    );
}

/// A damaged case file is a storage failure, never the analyst's bad input.
#[test]
fn a_damaged_case_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.case");
    import_paths(&path, &[fixture(ALERTS)], actor(), &mut |_, _| true).unwrap();
    let case = Case::open(&path, actor()).unwrap();
    // overwrite everything after the first page with garbage, behind SQLite's back
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes[..len]).unwrap();
    let _ = std::fs::remove_file(dir.path().join("c.case-wal"));
    let e = queue::alerts(&case, QueueSort::Time)
        .err()
        .or_else(|| {
            cb_api::search::search(
                &case,
                &cb_api::search::SearchRequest {
                    query: "Dumping".into(),
                    limit: None,
                    offset: None,
                    sources: vec![],
                },
            )
            .err()
        })
        .expect("reading a damaged case fails");
    assert_eq!(e.code(), "storage", "{e}");
}
