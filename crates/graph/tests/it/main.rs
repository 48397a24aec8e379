//! One integration-test binary for cb-graph.

mod common;
mod correlate;
mod explore;
mod fold;
mod groups;
mod investigation;
mod pane;
mod path;
mod trace;
mod windows;
