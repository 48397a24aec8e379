//! `caseboard trace`: from an alert, event or process back to the first foothold (or, with
//! `--forward`, what it led to).

use crate::open;
use crate::print::{self, say};
use anyhow::Result;
use std::io::Write;
use std::path::Path;

pub fn trace(
    case: &Path,
    node: &str,
    max_steps: Option<usize>,
    forward: bool,
    json: bool,
) -> Result<()> {
    let (c, node) = (open(case)?, cb_api::node_id(node)?);
    if forward {
        let f = cb_api::trace::forward(&c, node, max_steps)?;
        return print::either(json, &f, |f| {
            for (kind, n) in &f.counts {
                say!("{n:>6} {kind}");
            }
            for n in &f.nodes {
                say!("  {} {} {}", n.id, n.kind, n.label);
            }
            if f.truncated {
                say!("(stopped at the limit; --max-steps N for more)");
            }
        });
    }
    let t = cb_api::trace::trace(&c, node, max_steps)?;
    print::either(json, &t, |t| {
        for (i, s) in t.steps.iter().enumerate() {
            let mark = match (&s.inferred, &s.confidence) {
                (true, Some(c)) => format!(" [inferred, confidence {c}]"),
                (true, None) => " [inferred]".to_string(),
                _ => String::new(),
            };
            say!("{:>2}. {}{mark}", i + 1, s.text);
            for e in &s.evidence {
                say!("      evidence: {} record {}", e.source, e.record);
            }
        }
        say!("root: {} ({} {})", t.root.label, t.root.kind, t.root.id);
    })
}
