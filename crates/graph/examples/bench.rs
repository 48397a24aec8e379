//! Benchmark of the interactive path: "list queries with counts" and "expand with limit 50"
//! on random nodes of a large case.
//!
//! ```text
//! cargo run --release -p cb-graph --example bench -- [--case PATH] [--events N] [--entities N]
//!     [--alerts N] [--samples N] [--seed N]
//! ```
//!
//! Builds (once; reused when it exists) a case shaped like the real fixtures — hosts, accounts,
//! IPs, processes with Host/Account/ParentProcess/ImageFile, files and hashes, alerts involving
//! them, and raw events (logons, process creations, sign-ins, flows) that mention them with
//! `logged_on` / `signed_in_from` / `connected_to` relations — then times both operations on
//! random nodes and prints p50/p95/max.

use cb_domain::{AlertRecord, EntityRecord, EventRecord, NodeId, Severity, Sink, SinkError};
use cb_store::{Actor, SourceMeta, SqliteStore};
use serde_json::{json, Map};
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Skewed pick: a few hot items, a long tail (like real logs).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as usize % n.max(1)
    }
}

struct Args {
    case: PathBuf,
    events: usize,
    entities: usize,
    alerts: usize,
    samples: usize,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        case: std::env::temp_dir().join("caseboard-bench.cbx"),
        events: 1_000_000,
        entities: 100_000,
        alerts: 20_000,
        samples: 1000,
        seed: 7,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < v.len() {
        let n = || v[i + 1].parse::<usize>().expect("a number");
        match v[i].as_str() {
            "--case" => a.case = PathBuf::from(&v[i + 1]),
            "--events" => a.events = n(),
            "--entities" => a.entities = n(),
            "--alerts" => a.alerts = n(),
            "--samples" => a.samples = n(),
            "--seed" => a.seed = n() as u64,
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn build(store: &mut SqliteStore, a: &Args) {
    let meta = SourceMeta {
        path: "generated".into(),
        sha256: format!("{:064x}", a.seed),
        size: 0,
        format: "bench".into(),
    };
    let mut rng = Rng(a.seed);
    let n = a.entities;
    let (n_host, n_acct, n_ip, n_file) = (n / 100, n / 20, n / 5, n / 8);
    let n_hash = n_file;
    let n_proc = n - n_host - n_acct - n_ip - n_file - n_hash;
    let mut parse = |s: &mut dyn Sink| -> Result<(), SinkError> {
        let e = Map::new();
        let rec = std::cell::Cell::new(1u64);
        let mk = |s: &mut dyn Sink,
                  r: EntityRecord,
                  host: Option<&str>|
         -> Result<(NodeId, String), SinkError> {
            rec.set(rec.get() + 1);
            s.entity(&r, host, rec.get())
        };
        let mut hosts = vec![];
        for i in 0..n_host {
            hosts.push(mk(
                s,
                EntityRecord::new("host")
                    .with("HostName", format!("HOST{i:05}"))
                    .with("DnsDomain", "corp.example"),
                None,
            )?);
        }
        let mut accts = vec![];
        for i in 0..n_acct {
            accts.push(
                mk(
                    s,
                    EntityRecord::new("account")
                        .with("Name", format!("user{i:05}"))
                        .with("UPNSuffix", "corp.example"),
                    None,
                )?
                .0,
            );
        }
        let mut ips = vec![];
        for i in 0..n_ip {
            let addr = format!(
                "{}.{}.{}.{}",
                20 + (i >> 24) % 200,
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            );
            ips.push(mk(s, EntityRecord::new("ip").with("Address", addr), None)?.0);
        }
        let mut files = vec![];
        let mut hashes = vec![];
        for i in 0..n_file {
            let f = mk(
                s,
                EntityRecord::new("file")
                    .with("Directory", "/usr/bin")
                    .with("Name", format!("tool{i:05}")),
                None,
            )?
            .0;
            let h = mk(
                s,
                EntityRecord::new("filehash")
                    .with("Algorithm", "SHA256")
                    .with("Value", format!("{i:064x}")),
                None,
            )?
            .0;
            s.relation(f, h, "FileHashes", &e, rec.get())?;
            files.push(f);
            hashes.push(h);
        }
        let mut procs: Vec<NodeId> = vec![];
        for i in 0..n_proc {
            let (host, hkey) = hosts[rng.skewed(n_host)].clone();
            let p = mk(
                s,
                EntityRecord::new("process")
                    .with("ProcessId", format!("0x{i:x}"))
                    .with("CreationTimeUtc", "2019-02-15T01:30:00Z"),
                Some(&hkey),
            )?
            .0;
            s.relation(p, host, "Host", &e, rec.get())?;
            s.relation(p, accts[rng.skewed(n_acct)], "Account", &e, rec.get())?;
            s.relation(p, files[rng.skewed(n_file)], "ImageFile", &e, rec.get())?;
            if !procs.is_empty() {
                s.relation(
                    p,
                    procs[rng.below(procs.len())],
                    "ParentProcess",
                    &e,
                    rec.get(),
                )?;
            }
            procs.push(p);
        }
        let tactics = [
            "InitialAccess",
            "Execution",
            "Persistence",
            "CredentialAccess",
            "Discovery",
            "LateralMovement",
        ];
        for i in 0..a.alerts {
            rec.set(rec.get() + 1);
            let t = format!(
                "2019-02-{:02}T{:02}:{:02}:00.000Z",
                1 + i % 27,
                (i / 27) % 24,
                i % 60
            );
            let al = AlertRecord {
                ext_id: format!("bench-{i}"),
                name: format!("Alert type {}", i % 40),
                alert_type: format!("T{}", i % 40),
                severity: Some(Severity::from_rank((i % 4) as i64)),
                start: Some(t),
                tactics: vec![tactics[i % tactics.len()].to_string()],
                ..Default::default()
            };
            let id = s.alert(&al, &json!({}), rec.get())?;
            let ents = [
                hosts[rng.skewed(n_host)].0,
                accts[rng.skewed(n_acct)],
                ips[rng.skewed(n_ip)],
                procs[rng.below(n_proc)],
                files[rng.skewed(n_file)],
            ];
            for x in ents.iter().take(3 + i % 3) {
                s.relation(id, *x, "involves", &e, rec.get())?;
            }
        }
        let sources = [
            "SecurityEvent",
            "Sysmon",
            "SigninLogs",
            "AzureNetworkAnalytics_CL",
        ];
        for i in 0..a.events {
            rec.set(rec.get() + 1);
            let src = sources[i % 4];
            let ev = EventRecord {
                source: src.into(),
                event_id: Some("4624".into()),
                time: Some(format!(
                    "2019-02-{:02}T{:02}:{:02}:{:02}.000Z",
                    1 + i % 27,
                    (i / 27) % 24,
                    (i / 7) % 60,
                    i % 60
                )),
                summary: format!("{src} event {i}"),
                ..Default::default()
            };
            let id = s.event(&ev, rec.get())?;
            let host = hosts[rng.skewed(n_host)].0;
            let acct = accts[rng.skewed(n_acct)];
            let ip = ips[rng.skewed(n_ip)];
            match i % 4 {
                0 => {
                    for x in [host, acct, ip] {
                        s.relation(id, x, "mentions", &e, rec.get())?;
                    }
                    s.relation(acct, host, "logged_on", &e, rec.get())?;
                }
                1 => {
                    let p = procs[rng.skewed(n_proc)];
                    for x in [host, acct, p] {
                        s.relation(id, x, "mentions", &e, rec.get())?;
                    }
                }
                2 => {
                    for x in [acct, ip] {
                        s.relation(id, x, "mentions", &e, rec.get())?;
                    }
                    s.relation(acct, ip, "signed_in_from", &e, rec.get())?;
                }
                _ => {
                    let peer = ips[rng.below(n_ip)];
                    for x in [ip, peer] {
                        s.relation(id, x, "mentions", &e, rec.get())?;
                    }
                    s.relation(ip, peer, "connected_to", &e, rec.get())?;
                }
            }
            if i % 100_000 == 0 {
                s.progress(i as u64, 0)?;
            }
        }
        Ok(())
    };
    store
        .import_source(&meta, &mut |_, _| true, &mut parse)
        .expect("generate");
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let a = args();
    let mut store = SqliteStore::open_or_create(&a.case, Actor("bench".into())).expect("case");
    let st = store.stats().expect("stats");
    if (st.events as usize) < a.events || (st.entities as usize) < a.entities {
        let t = Instant::now();
        build(&mut store, &a);
        println!(
            "generated {} in {:.1} s",
            a.case.display(),
            t.elapsed().as_secs_f64()
        );
    }
    let st = store.stats().expect("stats");
    println!(
        "case: {} alerts, {} entities, {} events, {} relations",
        st.alerts, st.entities, st.events, st.relations
    );
    let conn = store.conn();
    let ids = |t: &str| -> Vec<i64> {
        let mut s = conn.prepare(&format!("SELECT id FROM {t}")).unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let (alerts, ents, events) = (ids("alerts"), ids("entities"), ids("events"));
    let mut rng = Rng(a.seed ^ 0xABCD);
    // random alerts and entities (the nodes an analyst expands); plus random events
    for (what, pool) in [
        (
            "alerts+entities",
            alerts
                .iter()
                .map(|&i| NodeId::Alert(i))
                .chain(ents.iter().map(|&i| NodeId::Entity(i)))
                .collect::<Vec<_>>(),
        ),
        ("events", events.iter().map(|&i| NodeId::Event(i)).collect()),
    ] {
        let mut tq = vec![];
        let mut tx = vec![];
        for _ in 0..a.samples {
            let node = pool[rng.below(pool.len())];
            let t = Instant::now();
            let qs = cb_graph::queries(&store, node).expect("queries");
            tq.push(t.elapsed());
            let q = qs.iter().max_by_key(|q| q.count).expect("a query");
            let t = Instant::now();
            cb_graph::expand(&store, node, &q.id, 50, 0).expect("expand");
            tx.push(t.elapsed());
        }
        if what == "alerts+entities" {
            let mut tp = vec![];
            let mut found = 0;
            for _ in 0..a.samples.min(50) {
                let (from, to) = (pool[rng.below(pool.len())], pool[rng.below(pool.len())]);
                let t = Instant::now();
                let p = cb_graph::path(&store, from, to, 4, None).expect("path");
                tp.push(t.elapsed());
                found += usize::from(!p.nodes.is_empty());
            }
            println!(
                "{:>16} ({} random pairs, depth 4, {found} found): p50 {:.1} ms p95 {:.1} ms max {:.1} ms",
                "path",
                tp.len(),
                pct(&mut tp, 0.5),
                pct(&mut tp, 0.95),
                pct(&mut tp, 1.0)
            );
        }
        println!(
            "{what:>16} ({} random): queries with counts p50 {:.2} ms p95 {:.2} ms max {:.2} ms | expand (largest query) limit 50 p50 {:.2} ms p95 {:.2} ms max {:.2} ms",
            a.samples,
            pct(&mut tq, 0.5),
            pct(&mut tq, 0.95),
            pct(&mut tq, 1.0),
            pct(&mut tx, 0.5),
            pct(&mut tx, 0.95),
            pct(&mut tx, 1.0)
        );
    }
    let t = Instant::now();
    let d = cb_graph::correlate(&mut store, &cb_graph::CorrelationSettings::default())
        .expect("correlate");
    println!(
        "{:>16} ({} alerts): {} derived incidents ({} new) in {:.0} ms",
        "correlate",
        alerts.len(),
        d.len(),
        d.iter().filter(|x| x.created).count(),
        t.elapsed().as_secs_f64() * 1000.0
    );
}
