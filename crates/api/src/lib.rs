//! The use cases of Caseboard: every operation of the `caseboard` CLI and of the window is one
//! function here, taking typed requests and returning typed responses. The response types are
//! the wire types: the CLI prints them as its `--json` contract, the window receives them over
//! IPC (TypeScript bindings generated from them with the `ts` feature, `bindings()`).
//! Errors are one [`ApiError`] with a stable [`ErrorCode`].
//!
//! Library code: no printing, no global configuration; paths, the clock (`now`) and the actor
//! are passed in.
#![forbid(unsafe_code)]

pub mod activity;
pub mod case;
pub mod correlate;
pub mod demo;
pub mod detect;
pub mod error;
pub mod explore;
pub mod export;
pub mod import;
pub mod investigations;
pub mod mitre;
pub mod pane;
pub mod process_tree;
pub mod queue;
pub mod report;
pub mod search;
pub mod show;
pub mod sources;
pub mod story;
pub mod trace;
pub mod triage;
pub mod verify;

#[cfg(feature = "ts")]
mod bindings_ts;
#[cfg(feature = "ts")]
pub use bindings_ts::bindings;

pub use case::Case;
pub use cb_domain::{BadNodeId, NodeId, Severity};
pub use cb_store::Actor;
pub use demo::{build_demo_case, DEMO_FILES};
pub use error::{ApiError, ApiResult, ErrorCode, ErrorReply};
pub use import::{
    hash_file, hash_reader, import_file, import_file_with, probe, FileReport, Progress,
};
pub use verify::{key_path, seal, use_key, verify, Seal, VerifyOptions, VerifyReport};

/// Parse a node id (`alert:3`, `incident:1`, `entity:12`, `event:4`); `bad_input` otherwise.
pub fn node_id(text: &str) -> ApiResult<NodeId> {
    Ok(text.trim().parse::<NodeId>()?)
}
