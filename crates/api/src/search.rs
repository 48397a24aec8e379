//! Search over the case (query language in cb-search). A syntax error comes back as data with
//! its position, so the window can point at it; the CLI reports it as an error.

use crate::case::Case;
use crate::error::ApiResult;
use crate::show::{labels, Labels};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use cb_search::Hit;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchRequest {
    pub query: String,
    /// Page size, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: Option<usize>,
    /// Only these sources (`SecurityEvent`, `Sysmon`, `SecurityAlert`, `Entity`…); empty = all.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Where the query stopped making sense.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyntaxProblem {
    /// Character offset in the query.
    pub position: usize,
    pub expected: String,
}

/// `caseboard search --json`: `{"total","by_source","hits":[{"id","time","source","summary",
/// "entities"}],"syntax","labels"}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchReply {
    pub total: u64,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub by_source: BTreeMap<String, u64>,
    pub hits: Vec<Hit>,
    /// Set (and the rest empty) when the query does not parse.
    pub syntax: Option<SyntaxProblem>,
    /// Labels of the entities named in `hits`.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub labels: Labels,
}

pub fn search(case: &Case, req: &SearchRequest) -> ApiResult<SearchReply> {
    let opts = cb_search::SearchOptions {
        limit: req.limit.unwrap_or(50).clamp(1, 500),
        offset: req.offset.unwrap_or(0),
        sources: req.sources.clone(),
        ..Default::default()
    };
    match cb_search::search(&case.store, &req.query, &opts) {
        Ok(r) => Ok(SearchReply {
            labels: labels(
                &case.store,
                r.hits.iter().flat_map(|h| h.entities.iter().copied()),
            ),
            total: r.total,
            by_source: r.by_source,
            hits: r.hits,
            syntax: None,
        }),
        Err(cb_search::SearchError::Syntax { position, expected }) => Ok(SearchReply {
            total: 0,
            by_source: BTreeMap::new(),
            hits: vec![],
            syntax: Some(SyntaxProblem { position, expected }),
            labels: Labels::new(),
        }),
        Err(e) => Err(e.into()),
    }
}
