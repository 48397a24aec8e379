//! Printing: `--json` prints the cb-api response as it is (the contract, see README); the
//! text forms are for people. Nothing here reads the case.

use anyhow::Result;
use cb_api::import::ImportReport;
use cb_api::queue::{AlertList, EntityList, IncidentList};
use cb_api::search::SearchReply;
use cb_api::show::NodeDetail;
use cb_api::sources::SourceList;
use cb_api::triage::Triaged;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;

/// `println!` that ends the program quietly when stdout is closed (`caseboard … | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        if writeln!(std::io::stdout(), "{}", crate::term::safe(&format!($($arg)*))).is_err() {
            std::process::exit(0);
        }
    };
}
pub(crate) use say;

/// Print `v` as pretty JSON.
pub fn json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Print `v` as JSON when `as_json`, else with `text`.
pub fn either<T: Serialize>(as_json: bool, v: &T, text: impl FnOnce(&T)) -> Result<()> {
    if as_json {
        json(v)
    } else {
        text(v);
        Ok(())
    }
}

fn sev(s: Option<cb_api::Severity>) -> &'static str {
    s.map(|s| s.as_str()).unwrap_or("-")
}

pub fn stats(s: &cb_api::case::Stats) {
    say!(
        "alerts {}  incidents {}  entities {}  relations {}  events {}  sources {}",
        s.alerts,
        s.incidents,
        s.entities,
        s.relations,
        s.events,
        s.sources
    );
}

pub fn alerts(l: &AlertList) {
    say!(
        "{:<10} {:<13} {:<10} {:<25} NAME",
        "ID",
        "SEVERITY",
        "STATUS",
        "START"
    );
    for a in &l.alerts {
        say!(
            "{:<10} {:<13} {:<10} {:<25} {} ({} entities)",
            a.id.to_string(),
            sev(a.severity),
            a.status,
            a.start.as_deref().unwrap_or("-"),
            a.name,
            a.entities.len()
        );
    }
}

pub fn incidents(l: &IncidentList) {
    for i in &l.incidents {
        say!(
            "{:<12} {:<13} {:<10} {} [{} alerts]{}",
            i.id.to_string(),
            sev(i.severity),
            i.status,
            if i.title.is_empty() {
                &i.ext_id
            } else {
                &i.title
            },
            i.alerts.len(),
            i.reason
                .as_ref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default()
        );
    }
}

pub fn entities(l: &EntityList) {
    for e in &l.entities {
        say!(
            "{:<12} {:<18} {:<7} {}",
            e.id.to_string(),
            e.kind,
            e.strength,
            e.label
        );
    }
}

pub fn node(d: &NodeDetail) {
    let n = &d.node;
    say!("{} {} — {}", n.kind, n.id, n.label);
    for (k, v) in &n.fields {
        if k == "raw" {
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        say!("  {k}: {text}");
    }
    for r in &n.relations {
        let (dir, other) = if r.from == n.id {
            ("->", r.to)
        } else {
            ("<-", r.from)
        };
        let label = d.labels.get(&other.to_string()).map_or("", String::as_str);
        let prov = match (&r.source, r.record) {
            (Some(s), Some(n)) => format!("{s} record {n}"),
            _ => "derived".into(),
        };
        say!("  {dir} {} {} {} ({prov})", r.kind, other, label);
    }
}

pub fn sources(l: &SourceList) {
    for s in &l.sources {
        say!(
            "{:<4} {} {} {} ({} bytes) {}",
            s.id,
            s.sha256,
            s.format,
            s.path,
            s.size,
            s.counts
        );
    }
}

pub fn triaged(t: &Triaged) {
    for i in &t.triaged {
        let s = &i.state;
        say!(
            "{} status {} classification {:?} severity {} owner {:?} tags {:?}",
            s.id,
            s.status,
            s.classification,
            sev(s.severity),
            s.owner,
            s.tags
        );
    }
}

pub fn activity(a: &cb_api::activity::Activity) {
    for r in &a.activity {
        say!(
            "{} {} {} {} {}",
            r.at,
            r.actor,
            r.action,
            r.target,
            r.detail
        );
    }
}

pub fn search(v: &SearchReply) {
    say!(
        "{} hits {}",
        v.total,
        serde_json::to_string(&v.by_source).unwrap_or_default()
    );
    for h in &v.hits {
        say!(
            "{:<12} {:<25} {:<16} {}",
            h.id.to_string(),
            h.time.as_deref().unwrap_or("-"),
            h.source,
            h.summary
        );
    }
}

pub fn import(r: &ImportReport) {
    for f in &r.files {
        match &f.duplicate_of {
            Some(prev) => say!(
                "{}: already imported (same SHA-256 as {prev}); nothing added",
                f.path
            ),
            None => say!(
                "{}: {} sha256 {}: added {} alerts, {} incidents, {} entities, {} relations, {} events; merged {}; skipped {}",
                f.path, f.format, f.sha256, f.added.alerts, f.added.incidents, f.added.entities,
                f.added.relations, f.added.events, f.merged, f.skipped_total.max(f.skipped.len() as u64)
            ),
        }
        for s in &f.skipped {
            say!("  skipped {} record {}: {}", f.path, s.record, s.reason);
        }
        if f.skipped_total > f.skipped.len() as u64 {
            say!(
                "  … {} more skipped records; by reason: {}",
                f.skipped_total - f.skipped.len() as u64,
                serde_json::to_string(&f.skipped_by_reason).unwrap_or_default()
            );
        }
    }
    for c in &r.not_imported {
        say!(
            "{}: not imported: {}",
            c.path,
            c.error.as_deref().unwrap_or("")
        );
    }
    if let Some(d) = &r.detect {
        say!(
            "detection: {} rules, {} matches; alerts {} added, {} updated",
            d.rules.loaded,
            d.matches,
            d.alerts.added,
            d.alerts.updated
        );
    }
    let new = r.correlated.iter().filter(|d| d.created).count();
    if new > 0 {
        say!("correlation: {new} new derived incidents");
    }
}

pub fn demo(r: &cb_api::demo::DemoReport, case: &std::path::Path) {
    for f in &r.files {
        say!(
            "{}: {} alerts, {} incidents, {} entities, {} events",
            f.path,
            f.added.alerts,
            f.added.incidents,
            f.added.entities,
            f.added.events
        );
    }
    say!("demo case ready: {}", case.display());
}
