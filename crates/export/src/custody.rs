//! The chain-of-custody report: every evidence source (path, size, SHA-256, who imported it
//! and when, and whether it is intact now), every analyst action from the audit log, the
//! verify result and the seal. Self-contained HTML (no script, CSP), print-ready: "Save as
//! PDF" in a browser gives the paper copy.

use crate::{xml_escape as esc, Result};
use cb_store::SqliteStore;
use serde_json::Value;

fn s(v: &Value) -> String {
    match v {
        Value::String(t) => t.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The report. `verify` is the JSON of a verify report (cb-api `VerifyReport`); `generated`
/// the timestamp printed in it.
pub fn custody_html(store: &SqliteStore, verify: &Value, generated: &str) -> Result<String> {
    let log = store.audit_log(None)?;
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str("<title>Chain of custody</title>\n");
    h.push_str("<style>body{font:13px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1e293b}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #cbd5e1}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #e2e8f0;vertical-align:top}code{font-family:ui-monospace,monospace;word-break:break-all}.fail{color:#b91c1c;font-weight:600}.ok{color:#15803d;font-weight:600}@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}</style>\n");
    h.push_str("</head><body>\n<h1>Chain of custody</h1>\n<table>\n");
    let ok = verify["ok"] == true;
    for (k, v) in [
        ("Case", s(&verify["case"])),
        ("Case id", s(&verify["case_id"])),
        ("Generated", generated.to_string()),
        ("Audit entries", s(&verify["entries"])),
        ("Chain head", s(&verify["head"])),
        (
            "Case key",
            format!(
                "{} ({})",
                s(&verify["case_key"]["fingerprint"]),
                s(&verify["case_key"]["actor"])
            ),
        ),
    ] {
        h.push_str(&format!(
            "<tr><th>{}</th><td><code>{}</code></td></tr>\n",
            esc(k),
            esc(&v)
        ));
    }
    h.push_str(&format!(
        "<tr><th>Verify</th><td class=\"{}\">{}</td></tr>\n</table>\n",
        if ok { "ok" } else { "fail" },
        if ok {
            "OK — audit chain, signatures, state and evidence intact"
        } else {
            "FAILED — see the findings below"
        }
    ));

    h.push_str("<h2>Evidence</h2>\n<table><tr><th>#</th><th>Path (as typed / absolute)</th><th>Size</th><th>SHA-256</th><th>Imported by, at</th><th>Now</th></tr>\n");
    for src in verify["sources"].as_array().into_iter().flatten() {
        let id = src["id"].as_i64().unwrap_or(0);
        let target = format!("source:{id}");
        let imp = log
            .iter()
            .find(|e| e["action"] == "import" && e["target"] == target.as_str());
        let (who, when, size) = imp
            .map(|e| (s(&e["actor"]), s(&e["at"]), s(&e["detail"]["size"])))
            .unwrap_or_default();
        let status = s(&src["status"]);
        h.push_str(&format!(
            "<tr><td>{id}</td><td><code>{}</code><br><code>{}</code>{}</td><td>{}</td><td><code>{}</code></td><td>{}<br>{}</td><td class=\"{}\">{}</td></tr>\n",
            esc(&s(&src["typed_path"])),
            esc(&s(&src["path"])),
            src["found_at"].as_str().map(|f| format!("<br>found at <code>{}</code>", esc(f))).unwrap_or_default(),
            esc(&size),
            esc(&s(&src["sha256"])),
            esc(&who),
            esc(&when),
            if status == "ok" || status == "moved" { "ok" } else { "fail" },
            esc(&status)
        ));
    }
    h.push_str("</table>\n");

    if let Some(seal) = verify.get("seal").filter(|v| !v.is_null()) {
        h.push_str(&format!(
            "<h2>Seal</h2>\n<p class=\"{}\"><code>{}</code>: {} entries, sealed {} by {} with key {}</p>\n",
            if seal["ok"] == true { "ok" } else { "fail" },
            esc(&s(&seal["path"])),
            esc(&s(&seal["entries"])),
            esc(&s(&seal["sealed_at"])),
            esc(&s(&seal["actor"])),
            esc(&s(&seal["fingerprint"]))
        ));
    }

    let findings: Vec<&Value> = verify["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if !findings.is_empty() {
        h.push_str("<h2>Findings</h2>\n<table><tr><th></th><th>Check</th><th>About</th><th>What</th></tr>\n");
        for f in findings {
            let fail = f["fail"] == true;
            h.push_str(&format!(
                "<tr><td class=\"{}\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                if fail { "fail" } else { "ok" },
                if fail { "FAIL" } else { "note" },
                esc(&s(&f["check"])),
                esc(&s(&f["target"])),
                esc(&s(&f["message"]))
            ));
        }
        h.push_str("</table>\n");
    }

    h.push_str("<h2>Every action</h2>\n<table><tr><th>#</th><th>At</th><th>Who</th><th>Action</th><th>On</th><th>Detail</th></tr>\n");
    for e in &log {
        let mut detail = e["detail"].clone();
        // the per-table digests are for verify, not for reading
        if let Some(o) = detail.as_object_mut() {
            o.remove("tables");
        }
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
            esc(&s(&e["id"])),
            esc(&s(&e["at"])),
            esc(&s(&e["actor"])),
            esc(&s(&e["action"])),
            esc(&s(&e["target"])),
            esc(&detail.to_string())
        ));
    }
    h.push_str("</table>\n</body></html>\n");
    Ok(h)
}
