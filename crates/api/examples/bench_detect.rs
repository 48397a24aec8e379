//! Import with Sigma detection on vs off over a corpus (default `../shared/data/perf`):
//! `cargo run --release -p cb-api --example bench_detect [-- DIR]`. Prints events/s both ways,
//! the extra time detection costs, rules compiled and alerts produced. Each way imports every
//! file the importers recognise into a fresh temporary case.

use cb_api::detect::{DetectSettings, Streamed};
use cb_store::{Actor, SqliteStore};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(p) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if cb_api::probe(&p).is_ok() {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/perf"));
    if !dir.is_dir() {
        println!("perf corpus MISSING: {}", dir.display());
        return;
    }
    let mut files = vec![];
    walk(&dir, &mut files);
    files.sort();
    let evtx = files
        .iter()
        .filter(|f| cb_api::probe(f).is_ok_and(|n| n == "evtx"))
        .count();
    println!(
        "{} files ({} EVTX, {} other) under {}",
        files.len(),
        evtx,
        files.len() - evtx,
        dir.display()
    );
    let t = Instant::now();
    let (rules, loaded) = DetectSettings::default().load();
    println!(
        "rules: {} compiled (bundled SigmaHQ, stable+test, level >= medium), {} failed, {} for logs not imported, in {:.2} s",
        loaded.loaded,
        loaded.failed.len(),
        loaded.other_logsource,
        t.elapsed().as_secs_f64()
    );
    let tmp = std::env::temp_dir().join(format!("cb-bench-detect-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut results = vec![];
    for on in [false, true] {
        let case = tmp.join(if on { "on.case" } else { "off.case" });
        let mut store = SqliteStore::open_or_create(&case, Actor("bench".into())).unwrap();
        let mut streamed = Streamed::new(&rules);
        let (mut events, mut alerts, mut updated) = (0u64, 0u64, 0u64);
        let t = Instant::now();
        for f in &files {
            let r = if on {
                let r = cb_api::import_file_with(&mut store, f, &mut |_| true, Some(&mut streamed));
                let a = streamed.store(&mut store).unwrap();
                alerts += a.added;
                updated += a.updated;
                r
            } else {
                cb_api::import_file(&mut store, f, &mut |_| true)
            };
            match r {
                Ok(r) => events += r.added.events,
                Err(e) => println!("  {}: {e}", f.display()),
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "detection {}: {events} events in {s:.1} s = {:.0} events/s{}",
            if on { "on " } else { "off" },
            events as f64 / s,
            if on {
                format!(
                    "; {} matches, {alerts} alerts ({updated} updates)",
                    streamed.matches
                )
            } else {
                String::new()
            }
        );
        results.push(s);
    }
    println!(
        "detection costs {:+.1} % import time (goal <= 30 %)",
        100.0 * (results[1] / results[0] - 1.0)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
