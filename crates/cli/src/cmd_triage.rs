//! Working alerts and incidents: triage, mark related, activity.

use crate::open;
use crate::print::{self, say};
use anyhow::Result;
use cb_api::triage::TriageRequest;
use std::io::Write;
use std::path::Path;

pub fn triage(case: &Path, ids: &[String], req: TriageRequest, json: bool) -> Result<()> {
    let ids = ids
        .iter()
        .map(|i| cb_api::node_id(i))
        .collect::<Result<Vec<_>, _>>()?;
    let t = cb_api::triage::triage(&mut open(case)?, &ids, req)?;
    print::either(json, &t, print::triaged)
}

pub fn relate(case: &Path, target: &str, entity: &str, reason: &str) -> Result<()> {
    let (t, e) = (cb_api::node_id(target)?, cb_api::node_id(entity)?);
    cb_api::triage::mark_related(&mut open(case)?, t, e, reason)?;
    say!("{entity} marked as related to {target}");
    Ok(())
}

pub fn activity(case: &Path, id: Option<&str>, json: bool) -> Result<()> {
    let id = id.map(cb_api::node_id).transpose()?;
    let a = cb_api::activity::activity(&open(case)?, id)?;
    print::either(json, &a, print::activity)
}
