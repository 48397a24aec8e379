//! The investigation graph: expand, path, correlate, incident edits, saved investigations.
//! These print JSON always (`--json` is accepted for symmetry).

use crate::args::InvCmd;
use crate::open;
use crate::print::{self, say};
use anyhow::{Context, Result};
use cb_api::explore::PathRequest;
use cb_api::investigations as inv;
use std::io::Write;
use std::path::Path;

pub fn expand(
    case: &Path,
    node: &str,
    query: Option<&str>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> Result<()> {
    let (c, node) = (open(case)?, cb_api::node_id(node)?);
    match query {
        None => print::json(&cb_api::explore::queries(&c, node)?),
        Some(q) => print::json(&cb_api::explore::expand(&c, node, q, limit, offset)?),
    }
}

pub fn path(
    case: &Path,
    from: &str,
    to: &str,
    max_depth: Option<usize>,
    kinds: Vec<String>,
) -> Result<()> {
    let req = PathRequest {
        from: cb_api::node_id(from)?,
        to: cb_api::node_id(to)?,
        max_depth,
        kinds,
    };
    print::json(&cb_api::explore::path(&open(case)?, &req)?)
}

pub fn correlate(case: &Path, settings: Option<&Path>) -> Result<()> {
    let settings = match settings {
        None => cb_api::correlate::CorrelationSettings::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            cb_api::correlate::settings_from_json(&text).with_context(|| p.display().to_string())?
        }
    };
    print::json(&cb_api::correlate::correlate(&mut open(case)?, &settings)?)
}

pub fn incident(case: &Path, action: &str, incident: &str, alert: &str) -> Result<()> {
    let (i, a) = (cb_api::node_id(incident)?, cb_api::node_id(alert)?);
    let r = cb_api::correlate::edit_incident(&mut open(case)?, i, a, action == "add")?;
    print::json(&r)
}

pub fn investigation(case: &Path, cmd: InvCmd) -> Result<()> {
    let mut c = open(case)?;
    match cmd {
        InvCmd::New { name, start } => {
            print::json(&inv::create(&mut c, &name, cb_api::node_id(&start)?)?)
        }
        InvCmd::List => print::json(&inv::list(&c)?),
        InvCmd::Show { id, text: false } => print::json(&inv::get(&c, id)?),
        InvCmd::Show { id, text: true } => {
            say!("{}", inv::render(&c, id)?);
            Ok(())
        }
        InvCmd::Op { id, op } => {
            let parsed: inv::MapOp = serde_json::from_str(&op)
                .with_context(|| format!("invalid argument: map operation {op:?}"))?;
            print::json(&inv::apply(&mut c, id, parsed)?)
        }
        InvCmd::Undo { id } => print::json(&inv::undo(&mut c, id)?),
        InvCmd::Redo { id } => print::json(&inv::redo(&mut c, id)?),
        InvCmd::History { id } => print::json(&inv::history(&c, id)?),
        InvCmd::Rename { id, name } => print::json(&inv::rename(&mut c, id, &name)?),
        InvCmd::Delete { id } => {
            inv::delete(&mut c, id)?;
            print::json(&serde_json::json!({"deleted": id}))
        }
    }
}
