//! The evidence sources of a case, and `verify`: re-hash every source and walk the audit
//! hash chain.

use crate::case::Case;
use crate::error::ApiResult;
use crate::import::hash_file;
use serde::Serialize;
use std::path::Path;

pub use cb_store::SourceRow;

/// `caseboard sources --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceList {
    pub sources: Vec<SourceRow>,
}

pub fn sources(case: &Case) -> ApiResult<SourceList> {
    Ok(SourceList {
        sources: case.store.sources()?,
    })
}

/// One source re-hashed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceCheck {
    pub path: String,
    /// The SHA-256 recorded at import.
    pub sha256: String,
    /// `ok` (same bytes), `changed`, or `missing` (cannot be read).
    pub status: String,
}

/// `caseboard verify --json`: `{"audit_broken_at": id or null, "sources": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    /// The first audit entry whose hash does not chain; `null` when the chain is intact.
    pub audit_broken_at: Option<i64>,
    pub sources: Vec<SourceCheck>,
}

/// Re-hash every source (read-only) and walk the audit hash chain.
pub fn verify(case: &Case) -> ApiResult<VerifyReport> {
    let broken = case.store.verify_audit()?;
    let mut sources = Vec::new();
    for s in case.store.sources()? {
        let now = hash_file(Path::new(&s.path)).ok().map(|(h, _)| h);
        let status = match now {
            None => "missing",
            Some(h) if h == s.sha256 => "ok",
            Some(_) => "changed",
        };
        sources.push(SourceCheck {
            path: s.path,
            sha256: s.sha256,
            status: status.into(),
        });
    }
    Ok(VerifyReport {
        audit_broken_at: broken,
        sources,
    })
}
