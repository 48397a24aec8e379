//! The property pane and Timeline of the busiest host of a case (issue 12: < 300 ms p95):
//! `cargo run --release -p cb-api --example bench_pane -- CASE [ROUNDS]`.
//!
//! The busiest host is the host with the most events (its `events` exploration query). Each
//! round opens the case afresh (an empty pane cache, as a window that just opened it), then
//! times: the pane's overview (first open: reads the node's items), the Timeline's first page
//! (answered from the items read), a source filter, a time range, a page deep in the list,
//! and the overview again (a second click on the host). Prints p50/p95/max per step.

use cb_api::pane::TimelineRequest;
use cb_api::{Actor, Case, NodeId};
use std::path::PathBuf;
use std::time::Instant;

fn pct(xs: &[f64], p: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[((p / 100.0 * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(case) = args.next().map(PathBuf::from) else {
        eprintln!("usage: bench_pane CASE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let open = || Case::open(&case, Actor("bench".into())).expect("open the case");
    let c = open();
    let hosts = cb_api::queue::entities(&c, Some("host")).expect("hosts");
    let mut busiest: Option<(NodeId, String, u64)> = None;
    for h in &hosts.entities {
        let q = cb_api::explore::queries(&c, h.id).expect("queries");
        let n = q
            .queries
            .iter()
            .find(|x| x.id == "events")
            .map_or(0, |x| x.count);
        if busiest.as_ref().is_none_or(|b| n > b.2) {
            busiest = Some((h.id, q.node.label.clone(), n));
        }
    }
    let Some((host, label, events)) = busiest else {
        println!("no host in {}", case.display());
        return;
    };
    drop(c);
    println!("busiest host: {label} ({host}), {events} events; {rounds} rounds");
    let names = [
        "overview (first open)",
        "timeline first page",
        "timeline one source",
        "timeline time range",
        "timeline page at 80%",
        "overview again",
    ];
    let mut t: Vec<Vec<f64>> = vec![vec![]; names.len()];
    for _ in 0..rounds {
        let c = open();
        let time = |f: &mut dyn FnMut()| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1000.0
        };
        t[0].push(time(&mut || {
            cb_api::pane::overview(&c, host).unwrap();
        }));
        let mut first = None;
        t[1].push(time(&mut || {
            first = Some(cb_api::pane::timeline(&c, &TimelineRequest::of(host)).unwrap());
        }));
        let first = first.unwrap();
        assert_eq!(first.all, first.total);
        let src = first.sources[0].source.clone();
        t[2].push(time(&mut || {
            let p = cb_api::pane::timeline(
                &c,
                &TimelineRequest {
                    sources: vec![src.clone()],
                    ..TimelineRequest::of(host)
                },
            )
            .unwrap();
            assert_eq!(p.total, first.sources[0].count);
        }));
        let mid = first.buckets[first.buckets.len() / 2].from.clone();
        t[3].push(time(&mut || {
            cb_api::pane::timeline(
                &c,
                &TimelineRequest {
                    from: first.first.clone(),
                    to: Some(mid.clone()),
                    ..TimelineRequest::of(host)
                },
            )
            .unwrap();
        }));
        t[4].push(time(&mut || {
            let p = cb_api::pane::timeline(
                &c,
                &TimelineRequest {
                    offset: Some(first.total as usize * 4 / 5),
                    ..TimelineRequest::of(host)
                },
            )
            .unwrap();
            assert!(!p.items.is_empty());
        }));
        t[5].push(time(&mut || {
            cb_api::pane::overview(&c, host).unwrap();
        }));
    }
    for (n, xs) in names.iter().zip(&t) {
        println!(
            "{n:<24} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
            pct(xs, 50.0),
            pct(xs, 95.0),
            xs.iter().copied().fold(0.0, f64::max)
        );
    }
}
