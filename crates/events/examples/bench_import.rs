//! Import benchmark over the performance corpus, read in place (never copied):
//!
//! ```text
//! /usr/bin/time -v cargo run --release -p cb-events --example bench_import -- [../shared/data/perf]
//! ```
//!
//! Prints: JSON-corpus import events/s; EVTX import wall time against `evtx_dump -o jsonl` on
//! the same files (when `evtx_dump` is on PATH, else against the evtx crate's own JSON
//! rendering in-process); search p50/p95 over a fixed set of queries and, when `rg` is on PATH,
//! the same terms with `rg` over the raw files; peak RSS (VmHWM).

use cb_domain::Sink;
use cb_events::{detect, import, EventFormat, Settings};
use cb_search::{search, SearchOptions};
use cb_store::{Actor, SourceMeta, SqliteStore};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut v: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn head(p: &Path) -> Vec<u8> {
    let mut h = Vec::new();
    if let Ok(f) = std::fs::File::open(p) {
        let _ = f.take(65536).read_to_end(&mut h);
    }
    h
}

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
            })
        })
        .map(|kb| format!("{:.0} MB", kb as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(cmd))
            .find(|p| p.is_file())
    })
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/data/perf".into()),
    );
    if !root.is_dir() {
        println!(
            "perf corpus MISSING at {} — nothing measured (pass its path as the first argument)",
            root.display()
        );
        return;
    }
    println!("perf corpus: {} (read in place)", root.display());
    let mut all = vec![];
    files(&root, &mut all);
    let mut json = vec![];
    let mut evtx = vec![];
    for p in all {
        match detect(&p, &head(&p)) {
            Some(EventFormat::Evtx) => evtx.push(p),
            Some(f) => json.push((p, f)),
            None => {}
        }
    }
    let case = std::env::temp_dir().join(format!("cb-bench-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&case);
    let mut store = SqliteStore::open_or_create(&case, Actor("bench".into())).expect("case");
    let settings = Settings::default();
    let run = |store: &mut SqliteStore, p: &Path, f: EventFormat| -> (u64, u64) {
        let meta = SourceMeta {
            path: p.display().to_string(),
            sha256: p.display().to_string(),
            size: 0,
            format: f.name().into(),
        };
        match store.import_source(&meta, &mut |_, _| true, &mut |s: &mut dyn Sink| {
            import(f, p, s, &settings)
        }) {
            Ok(o) => (o.added.events, o.skipped.len() as u64),
            Err(e) => {
                println!("  {}: {e}", p.display());
                (0, 0)
            }
        }
    };

    // JSON corpus (JSON lines, arrays, CSV, zip, tar.gz, STIX)
    let t = Instant::now();
    let (mut events, mut skipped) = (0u64, 0u64);
    let verbose = std::env::var_os("CB_BENCH_VERBOSE").is_some();
    for (p, f) in &json {
        let t1 = Instant::now();
        let (e, s) = run(&mut store, p, *f);
        if verbose {
            println!(
                "  {:>7} events {:>6.2}s {}",
                e,
                t1.elapsed().as_secs_f64(),
                p.display()
            );
        }
        events += e;
        skipped += s;
    }
    let json_wall = t.elapsed();
    println!(
        "JSON corpus: {} files, {events} events ({skipped} records skipped) in {:.2}s = {:.0} events/s (import incl. FTS index and entity links)",
        json.len(),
        json_wall.as_secs_f64(),
        events as f64 / json_wall.as_secs_f64()
    );

    // EVTX
    let t = Instant::now();
    let mut evtx_events = 0;
    for p in &evtx {
        evtx_events += run(&mut store, p, EventFormat::Evtx).0;
    }
    let ours = t.elapsed();
    // evtx_dump: on PATH, else the workspace's `.tools` (`cargo install evtx --locked --root
    // .tools`), else a scratch install
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/evtx_dump");
    let (base, base_name) = match which("evtx_dump")
        .or_else(|| Some(tools).filter(|p| p.is_file()))
        .or_else(|| which("/tmp/cbtools/bin/evtx_dump").filter(|p| p.is_file()))
    {
        Some(bin) => {
            let t = Instant::now();
            for p in &evtx {
                let _ = Command::new(&bin)
                    .args(["-o", "jsonl"])
                    .arg(p)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            (t.elapsed(), "evtx_dump -o jsonl")
        }
        None => {
            let t = Instant::now();
            for p in &evtx {
                if let Ok(mut parser) = evtx::EvtxParser::from_path(p) {
                    for r in parser.records_json() {
                        std::hint::black_box(&r);
                    }
                }
            }
            (
                t.elapsed(),
                "evtx crate records_json() in-process (evtx_dump not on PATH)",
            )
        }
    };
    println!(
        "EVTX: {} files, {evtx_events} events imported in {:.2}s; {base_name}: {:.2}s; ratio {:.2} (goal <= 2.0)",
        evtx.len(),
        ours.as_secs_f64(),
        base.as_secs_f64(),
        ours.as_secs_f64() / base.as_secs_f64().max(1e-9)
    );

    // search
    let queries = [
        "mimikatz",
        "\"lsass.exe\"",
        "EventID:4688",
        "eventid:4624 LogonType:10",
        "host:msticalertswin1",
        "ip:10.0.1.4",
        "user:pgustavo*",
        "powershell AND NOT svchost",
        "(wmic OR psexec) AND source:Sysmon",
        "TargetUserName:admin*",
        "CommandLine:whoami*",
        "zeek.dns OR zeek.http",
        "source:SigninLogs ResultType:50126",
        "process:cmd.exe",
        "file:powershell.exe",
        "hash:3c*",
        "\"Network connection detected\"",
        "rundll32 source:Sysmon",
        "dns:microsoft.com",
        "severity>=medium",
        "attack-pattern",
        "DestinationPort:3389",
        "NOT Sysmon conhost",
        "QueryName:www*",
    ];
    let mut times = vec![];
    let mut sel = vec![];
    for q in queries {
        let mut best = Duration::MAX;
        let mut total = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = search(
                &store,
                q,
                &SearchOptions {
                    limit: 50,
                    ..Default::default()
                },
            );
            let d = t.elapsed();
            best = best.min(d);
            times.push(d);
            total = r.map(|r| r.total).unwrap_or(0);
        }
        println!(
            "  search {q:<45} {total:>8} hits  {:>8.2} ms",
            best.as_secs_f64() * 1000.0
        );
        sel.push((q, total, best));
    }
    times.sort();
    println!(
        "search over {} queries x3: p50 {:.2} ms, p95 {:.2} ms (goal p95 < 50 ms)",
        queries.len(),
        pct(&times, 0.5).as_secs_f64() * 1000.0,
        pct(&times, 0.95).as_secs_f64() * 1000.0
    );
    if let Some(rg) = which("rg") {
        // rg over the raw files (-z reads gzip; zip members are not searched by rg)
        for word in ["mimikatz", "whoami", "lsass.exe", "rundll32", "powershell"] {
            let t = Instant::now();
            let _ = Command::new(&rg)
                .args(["-z", "-c", "-i", "-F", word])
                .arg(&root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let rgt = t.elapsed();
            let t = Instant::now();
            let _ = search(&store, word, &SearchOptions::default());
            let ours = t.elapsed();
            println!(
                "  rg -z -c -i -F {word:<14} {:>8.2} ms vs search {:>6.2} ms: {:.0}x faster",
                rgt.as_secs_f64() * 1000.0,
                ours.as_secs_f64() * 1000.0,
                rgt.as_secs_f64() / ours.as_secs_f64().max(1e-9)
            );
        }
    } else {
        println!("rg not on PATH: no rg comparison");
    }
    println!("peak RSS (VmHWM): {}", peak_rss_mb());
    drop(store);
    if std::env::var_os("CB_BENCH_KEEP").is_some() {
        println!("case kept at {}", case.display());
        return;
    }
    let _ = std::fs::remove_file(&case);
    let _ = std::fs::remove_file(case.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(case.with_extension("sqlite-shm"));
}
