//! `caseboard tree` (the process tree of a host, logon session or process) and `caseboard
//! story` (the attack story of an incident or a trace), and the PDF form of `export`.

use crate::open;
use crate::print::{self, say};
use anyhow::{bail, Result};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn tree(case: &Path, node: &str, json: bool) -> Result<()> {
    let (c, node) = (open(case)?, cb_api::node_id(node)?);
    let t = cb_api::process_tree::process_tree(&c, node)?;
    print::either(json, &t, |t| {
        say!(
            "{} {} — {} processes, {} with alerts{}",
            t.scope_kind,
            t.scope_label,
            t.rows.len(),
            t.alerted,
            if t.truncated { " (truncated)" } else { "" }
        );
        for r in &t.rows {
            let pad = "  ".repeat(r.depth as usize);
            let alerts = if r.alerts > 0 {
                format!(
                    " [{} alert{}]",
                    r.alerts,
                    if r.alerts == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            };
            say!(
                "{pad}{} ({}){}{} {} {}",
                r.image,
                r.pid,
                r.user
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default(),
                alerts,
                r.time.as_deref().unwrap_or("-"),
                r.command_line
            );
        }
    })
}

pub fn story(case: &Path, node: &str, json: bool) -> Result<()> {
    let (c, node) = (open(case)?, cb_api::node_id(node)?);
    let s = cb_api::story::story(&c, node)?;
    print::either(json, &s, |s| {
        say!("{}", s.title);
        say!("{}", s.summary);
        for p in &s.paragraphs {
            say!("");
            say!("{}", p.heading);
            for x in &p.sentences {
                say!("  {}", x.text);
                for e in &x.evidence {
                    say!("      evidence: {} record {}", e.source, e.record);
                }
            }
        }
    })
}

/// `caseboard export --format pdf`: the report of `node` as a text PDF (to `output`, or to
/// stdout when it is piped).
pub fn export_pdf(case: &Path, node: Option<String>, output: Option<PathBuf>) -> Result<()> {
    let Some(node) = node else {
        bail!("--format pdf needs --node <alert, incident, event or process id>");
    };
    let (c, node) = (open(case)?, cb_api::node_id(&node)?);
    let now = cb_domain::time::format(&chrono::Utc::now());
    let bytes = cb_api::report::pdf(&c, node, &now)?;
    match output {
        Some(p) => {
            cb_api::export::write_file(&p, &bytes)?;
            eprintln!("wrote {}", p.display());
        }
        None if std::io::stdout().is_terminal() => {
            bail!("a PDF is binary: give --output FILE (or pipe it)")
        }
        None => {
            let mut o = std::io::stdout().lock();
            if o.write_all(&bytes).is_err() {
                std::process::exit(0);
            }
        }
    }
    Ok(())
}
