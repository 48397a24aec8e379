//! A self-contained HTML report of one alert or incident. No script, no remote content; a CSP
//! meta tag forbids both; every string from evidence is escaped.

use crate::{subgraph, xml_escape as esc, ExportError, Result, Scope};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde_json::Value;

fn s(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(|x| x.as_array())
        .map(|a| a.iter().map(|x| s(Some(x))).collect())
        .unwrap_or_default()
}

/// The report. `generated` is the timestamp printed in it (passed in: reproducible reports).
pub fn html_report(store: &SqliteStore, target: NodeId, generated: &str) -> Result<String> {
    html_report_with(store, target, generated, &[])
}

/// Sections written here, escaped like everything else: headings, paragraphs, citations.
fn sections_html(extra: &[crate::Section]) -> String {
    use crate::Block;
    let mut h = String::new();
    for sec in extra {
        h.push_str(&format!("<h2>{}</h2>\n", esc(&sec.heading)));
        for b in &sec.blocks {
            match b {
                Block::Text(t) => h.push_str(&format!("<p>{}</p>\n", esc(t))),
                Block::Note(t) => h.push_str(&format!(
                    "<p class=\"cite\"><small>{}</small></p>\n",
                    esc(t)
                )),
                Block::Mono(t) => h.push_str(&format!("<pre>{}</pre>\n", esc(t))),
            }
        }
    }
    h
}

/// [`html_report`] with `extra` sections (the attack story, the report template) after the
/// alert's own description.
pub fn html_report_with(
    store: &SqliteStore,
    target: NodeId,
    generated: &str,
    extra: &[crate::Section],
) -> Result<String> {
    if !matches!(target, NodeId::Alert(_) | NodeId::Incident(_)) {
        return Err(ExportError::Invalid(format!(
            "{target} is not an alert or incident"
        )));
    }
    let d = store.node(target)?;
    let f = &d.fields;
    let g = subgraph(store, Scope::Around(target))?;
    let triage = store.triage_state(target)?;
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!("<title>{}</title>\n", esc(&d.label)));
    h.push_str("<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1e293b}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #cbd5e1}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e2e8f0;vertical-align:top}code,pre{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}.sev{font-weight:600}.High{color:#b91c1c}.Medium{color:#c2410c}.Low{color:#a16207}.Informational{color:#1d4ed8}.cite{margin:-.6rem 0 .6rem 1rem;color:#64748b}</style>\n");
    h.push_str("</head><body>\n");
    let sev = triage.severity.map(|x| x.as_str()).unwrap_or("-");
    h.push_str(&format!("<h1>{}</h1>\n", esc(&d.label)));
    h.push_str(&format!(
        "<p><span class=\"sev {sev}\">{sev}</span> · {} · status <b>{}</b>{}{}</p>\n",
        esc(&d.kind),
        esc(&triage.status),
        if triage.classification.is_empty() {
            String::new()
        } else {
            format!(" · classification <b>{}</b>", esc(&triage.classification))
        },
        if triage.owner.is_empty() {
            String::new()
        } else {
            format!(" · owner {}", esc(&triage.owner))
        },
    ));
    let desc = s(f.get("description"));
    if !desc.is_empty() {
        h.push_str(&format!("<h2>Description</h2>\n<p>{}</p>\n", esc(&desc)));
    }
    let steps = list(f.get("remediation"));
    if !steps.is_empty() {
        h.push_str("<h2>Remediation steps</h2>\n<ol>\n");
        for st in steps {
            h.push_str(&format!("<li>{}</li>\n", esc(&st)));
        }
        h.push_str("</ol>\n");
    }
    let tactics = list(f.get("tactics"));
    let techniques = list(f.get("techniques"));
    if !tactics.is_empty() || !techniques.is_empty() {
        h.push_str(&format!(
            "<h2>ATT&amp;CK</h2>\n<p>Tactics: {}<br>Techniques: {}</p>\n",
            esc(&tactics.join(", ")),
            esc(&techniques.join(", "))
        ));
    }
    h.push_str(&sections_html(extra));
    let mut alerts: Vec<&crate::Node> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.id, NodeId::Alert(_)))
        .collect();
    alerts.sort_by(|a, b| a.time.cmp(&b.time));
    if matches!(target, NodeId::Incident(_)) || alerts.len() > 1 {
        h.push_str(
            "<h2>Timeline</h2>\n<table><tr><th>Time</th><th>Severity</th><th>Alert</th></tr>\n",
        );
        for a in &alerts {
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"sev {}\">{}</td><td>{}</td></tr>\n",
                esc(a.time.as_deref().unwrap_or("-")),
                esc(a.severity.as_deref().unwrap_or("")),
                esc(a.severity.as_deref().unwrap_or("-")),
                esc(&a.label)
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Entities</h2>\n<table><tr><th>Type</th><th>Name</th><th>Id</th></tr>\n");
    for n in g.nodes.iter().filter(|n| matches!(n.id, NodeId::Entity(_))) {
        h.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            esc(&n.kind),
            esc(&n.label),
            esc(&n.id.to_string())
        ));
    }
    h.push_str("</table>\n");
    if let Some(Value::Object(ext)) = f.get("extended") {
        if !ext.is_empty() {
            h.push_str("<h2>Extended properties</h2>\n<table>\n");
            for (k, v) in ext {
                h.push_str(&format!(
                    "<tr><th>{}</th><td><code>{}</code></td></tr>\n",
                    esc(k),
                    esc(&s(Some(v)))
                ));
            }
            h.push_str("</table>\n");
        }
    }
    if !triage.notes.is_empty() {
        h.push_str("<h2>Notes</h2>\n<ul>\n");
        for n in &triage.notes {
            h.push_str(&format!(
                "<li>{} — {}: {}</li>\n",
                esc(&n.at),
                esc(&n.actor),
                esc(&n.text)
            ));
        }
        h.push_str("</ul>\n");
    }
    let activity = store.activity(target)?;
    if !activity.is_empty() {
        h.push_str("<h2>Activity</h2>\n<table><tr><th>When</th><th>Who</th><th>What</th><th>Detail</th></tr>\n");
        for a in activity {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                esc(&s(a.get("at"))),
                esc(&s(a.get("actor"))),
                esc(&s(a.get("action"))),
                esc(&s(a.get("detail")))
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str(
        "<h2>Evidence sources</h2>\n<table><tr><th>File</th><th>SHA-256</th><th>Format</th></tr>\n",
    );
    for src in store.sources()? {
        h.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            esc(&src.path),
            esc(&src.sha256),
            esc(&src.format)
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<p><small>Generated by Caseboard at {} from {} ({}).</small></p>\n</body></html>\n",
        esc(generated),
        esc(&store.path().display().to_string()),
        esc(&target.to_string())
    ));
    Ok(h)
}
