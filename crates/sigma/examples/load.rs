//! Load Sigma rule folders and print what compiled and what did not:
//! `cargo run -p cb-sigma --example load -- DIR...`
use cb_sigma::{RuleSet, Selection};
use std::path::PathBuf;

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let t = std::time::Instant::now();
    let (set, report) = RuleSet::load(&dirs, &Selection::all());
    println!(
        "loaded {} (in set {}), other logsource {}, not selected {}, failed {} in {:?}",
        report.loaded,
        set.len(),
        report.other_logsource,
        report.not_selected,
        report.failed.len(),
        t.elapsed()
    );
    for f in &report.failed {
        println!("  {}: {}", f.file, f.reason);
    }
}
