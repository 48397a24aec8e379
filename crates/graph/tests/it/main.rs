//! One integration-test binary for cb-graph.

mod common;
mod correlate;
mod explore;
mod investigation;
mod path;
mod trace;
mod windows;
