//! Matching cost alone: read one evidence file through cb-events into memory, then time the
//! bundled rules over its events: `cargo run --release -p cb-sigma --example match_speed -- FILE`.
#[path = "../tests/common/mod.rs"]
mod common;

use cb_sigma::{RuleSet, Selection};
use std::time::Instant;

fn main() {
    let path = std::path::PathBuf::from(std::env::args().nth(1).expect("FILE"));
    let head = std::fs::read(&path).unwrap();
    let format = cb_events::detect(&path, &head[..head.len().min(65536)]).expect("format");
    let mut sink = common::Events::default();
    cb_events::import(format, &path, &mut sink, &cb_events::Settings::default()).unwrap();
    let (set, report) = RuleSet::load_bundled_and(&[], &Selection::default());
    let t = Instant::now();
    let mut hits = 0;
    for e in &sink.events {
        if set.may_match(e) {
            hits += set.matches(e).len();
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} rules; {} events, {hits} matches in {s:.3} s = {:.1} µs/event",
        report.loaded,
        sink.events.len(),
        1e6 * s / sink.events.len() as f64
    );
}
