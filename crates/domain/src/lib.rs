//! Caseboard's domain model: what a case holds, independent of storage and of any file format.
//!
//! * [`NodeId`] names anything that can sit on the investigation map (`alert:3`, `entity:12`…).
//! * [`EntityRecord`] + [`identity`] implement Sentinel's strong/weak identifier rules.
//! * [`Sink`] is the contract between parsers (crate `cb-ingest`) and the store (`cb-store`).
#![forbid(unsafe_code)]

pub mod head;
pub mod identity;
pub mod identity_win;
pub mod model;
pub mod sink;
pub mod time;

pub use identity::{identify, Identity, Strength};
pub use model::*;
pub use sink::{EventPreparer, PreparedEvent, RecordNo, Sink, SinkError};
