//! Opening a case and what it holds in all.

use crate::error::{ApiError, ApiResult};
use cb_store::{Actor, SqliteStore};
use serde::Serialize;
use std::path::Path;

pub use cb_store::Stats;

/// An open case. Every use case takes one; the edges never see the store behind it.
pub struct Case {
    pub(crate) store: SqliteStore,
    /// What the pane read of recent nodes (cb-graph `PaneCache`; dropped when the case changes).
    pub(crate) pane: std::sync::Mutex<cb_graph::overview::PaneCache>,
}

impl Case {
    /// Open an existing case (refused when `path` is missing or not a case; nothing is created).
    pub fn open(path: &Path, actor: Actor) -> ApiResult<Case> {
        Ok(Case {
            store: SqliteStore::open(path, actor)?,
            pane: Default::default(),
        })
    }

    /// Create a new case at `path`; refused when something is there already.
    pub fn create(path: &Path, actor: Actor) -> ApiResult<Case> {
        if path.exists() {
            return Err(ApiError::bad(format!(
                "{} already exists; open it instead, or choose a new file name",
                path.display()
            )));
        }
        Case::open_or_create(path, actor)
    }

    /// Open the case at `path`, creating it when missing.
    pub fn open_or_create(path: &Path, actor: Actor) -> ApiResult<Case> {
        Ok(Case {
            store: SqliteStore::open_or_create(path, actor)?,
            pane: Default::default(),
        })
    }

    /// Sign what this case writes from now on with the analyst's key at `key` (created on
    /// first use, kept outside the case).
    pub fn sign_with(&mut self, key: &Path) -> ApiResult<()> {
        crate::verify::use_key(&mut self.store, key)
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// Who this case's audit entries are written as.
    pub fn actor(&self) -> &str {
        &self.store.actor().0
    }
}

/// The open case: `path`, `name` (file name without extension) and its counts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseInfo {
    pub path: String,
    pub name: String,
    pub stats: Stats,
}

pub fn info(case: &Case) -> ApiResult<CaseInfo> {
    let path = case.path().to_string_lossy().into_owned();
    let name = case
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    Ok(CaseInfo {
        path,
        name,
        stats: case.store.stats()?,
    })
}

/// `caseboard stats`: `{"alerts","incidents","entities","relations","events","sources"}`.
pub fn stats(case: &Case) -> ApiResult<Stats> {
    Ok(case.store.stats()?)
}
