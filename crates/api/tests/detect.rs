//! cb-api `detect` as a job: progress reaches the case's event count, a cancel writes nothing.

use cb_api::detect::{detect, DetectSettings};
use cb_api::{import_file, ApiError};
use cb_store::{Actor, SqliteStore};
use std::path::Path;

const EVTX: &str = "sigma/regression/rules/windows/process_creation/proc_creation_win_certutil_export_pfx/3ffd6f51-e6c1-47b7-94b4-c1e61d4117c5.evtx";

#[test]
fn detect_reports_progress_and_cancel_leaves_the_case_as_it_was() {
    let mut store = SqliteStore::in_memory(Actor("test".into())).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(EVTX);
    let rep = import_file(&mut store, &path, &mut |_| true).unwrap();
    let before = store.stats().unwrap();
    let audit_before = store.audit_log(None).unwrap().len();
    let r = detect(&mut store, &DetectSettings::default(), &mut |_| false);
    assert!(matches!(r, Err(ApiError::Cancelled { .. })), "{r:?}");
    assert_eq!(store.stats().unwrap(), before);
    assert_eq!(store.audit_log(None).unwrap().len(), audit_before);

    let mut last = None;
    let r = detect(&mut store, &DetectSettings::default(), &mut |p| {
        last = Some(p);
        true
    })
    .unwrap();
    let last = last.unwrap();
    assert_eq!(last.events, rep.added.events);
    assert_eq!(last.events_total, rep.added.events);
    assert_eq!(r.events, rep.added.events);
    assert_eq!(r.alerts.added, 1);
    assert_eq!(store.stats().unwrap().alerts, 1);
}
