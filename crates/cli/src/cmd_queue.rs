//! Reading the case: the alert queue, incidents, entities, one node, search.

use crate::args::SortArg;
use crate::open;
use crate::print;
use anyhow::{bail, Result};
use cb_api::queue::QueueSort;
use cb_api::search::SearchRequest;
use std::path::Path;

pub fn alerts(case: &Path, sort: SortArg, json: bool) -> Result<()> {
    let sort = match sort {
        SortArg::Severity => QueueSort::Severity,
        SortArg::Time => QueueSort::Time,
    };
    print::either(
        json,
        &cb_api::queue::alerts(&open(case)?, sort)?,
        print::alerts,
    )
}

pub fn incidents(case: &Path, json: bool) -> Result<()> {
    print::either(
        json,
        &cb_api::queue::incidents(&open(case)?)?,
        print::incidents,
    )
}

pub fn entities(case: &Path, kind: Option<&str>, json: bool) -> Result<()> {
    let l = cb_api::queue::entities(&open(case)?, kind)?;
    print::either(json, &l, print::entities)
}

pub fn show(case: &Path, id: &str, json: bool) -> Result<()> {
    let d = cb_api::show::show(&open(case)?, cb_api::node_id(id)?)?;
    print::either(json, &d, print::node)
}

pub fn search(case: &Path, query: String, limit: usize, offset: usize, json: bool) -> Result<()> {
    let req = SearchRequest {
        query,
        limit: Some(limit),
        offset: Some(offset),
        sources: vec![],
    };
    let r = cb_api::search::search(&open(case)?, &req)?;
    if let Some(s) = &r.syntax {
        bail!(
            "query syntax error at character {}: expected {}",
            s.position,
            s.expected
        );
    }
    print::either(json, &r, print::search)
}
