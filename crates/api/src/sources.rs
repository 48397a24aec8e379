//! The evidence sources of a case, and `verify` (cb-api `verify`: the sealed chain, state,
//! import digests and every evidence file).

use crate::case::Case;
use crate::error::ApiResult;
use serde::Serialize;

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

/// `verify` with no seal, no evidence folders and no other trusted keys (the window's Verify
/// action): the chain, signatures, state, import digests and every evidence file.
pub fn verify(case: &Case) -> ApiResult<crate::verify::VerifyReport> {
    crate::verify::verify(&case.store, &crate::verify::VerifyOptions::default())
}

/// [`crate::verify::verify`] on an open case.
pub fn verify_with(
    case: &Case,
    opts: &crate::verify::VerifyOptions,
) -> ApiResult<crate::verify::VerifyReport> {
    crate::verify::verify(&case.store, opts)
}

/// [`crate::verify::seal`] on an open case.
pub fn seal(
    case: &Case,
    key: &cb_store::integrity::Key,
    now: &str,
) -> ApiResult<crate::verify::Seal> {
    crate::verify::seal(&case.store, key, case.actor(), now)
}
