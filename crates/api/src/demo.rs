//! The bundled demo case.

use crate::error::ApiResult;
use crate::import::{import_file, FileReport};
use cb_store::SqliteStore;
use serde::Serialize;
use std::path::Path;

/// Files of the bundled demo case, relative to the repository's `fixtures/` folder, in
/// import order: the msticpy lab's alerts, the demo scenario's two synthetic alerts (see
/// `fixtures/scenario/README.md`), then the real logs of the same hosts.
pub const DEMO_FILES: &[&str] = &[
    "msticpy/tests/testdata/localdata/alerts_list.jsonl",
    "scenario/contoso-malicious-sql.jsonl",
    "msticpy/tests/testdata/localdata/host_logons.jsonl",
    "msticpy/tests/testdata/localdata/processes_on_host.jsonl",
    "msticpy/tests/testdata/localdata/all_events_df.jsonl",
    "msticpy/tests/testdata/localdata/az_net_comms_df.jsonl",
    "msticpy/tests/testdata/localdata/aad_logons.jsonl",
];

/// Build (or complete) the demo case at `case` from the fixtures folder.
pub fn build_demo_case(
    case: &Path,
    fixtures: &Path,
    actor: cb_store::Actor,
    key: Option<&Path>,
) -> ApiResult<Vec<FileReport>> {
    let mut store = SqliteStore::open_or_create(case, actor)?;
    if let Some(k) = key {
        crate::verify::use_key(&mut store, k)?;
    }
    let mut out = Vec::new();
    for f in DEMO_FILES {
        out.push(import_file(&mut store, &fixtures.join(f), &mut |_| true)?);
    }
    Ok(out)
}

/// `caseboard demo --json`: `{"files": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DemoReport {
    pub files: Vec<FileReport>,
}

/// Build (or complete) the demo case, then correlate its alerts like any import.
pub fn demo(
    case: &Path,
    fixtures: &Path,
    actor: cb_store::Actor,
    key: Option<&Path>,
) -> ApiResult<DemoReport> {
    let files = build_demo_case(case, fixtures, actor.clone(), key)?;
    let mut store = SqliteStore::open(case, actor)?;
    if let Some(k) = key {
        crate::verify::use_key(&mut store, k)?;
    }
    cb_graph::correlate(&mut store, &cb_graph::CorrelationSettings::default())?;
    Ok(DemoReport { files })
}
