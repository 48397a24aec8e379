//! Helpers shared by the CLI test files that use them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const ALERTS: &str = "msticpy/tests/testdata/localdata/alerts_list.jsonl";
pub const LOGONS: &str = "msticpy/tests/testdata/localdata/host_logons.jsonl";

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
        .canonicalize()
        .unwrap()
}
