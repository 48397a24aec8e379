//! Case-level commands: import, stats, sources, export, demo (verify, seal and custody are in
//! `integrity`).

use crate::args::ExportFormat;
use crate::print::{self, say};
use crate::{actor, open};
use anyhow::{Context, Result};
use cb_api::export::ExportRequest;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn import(
    case: &Path,
    files: &[PathBuf],
    json: bool,
    rules: Option<cb_api::detect::DetectSettings>,
) -> Result<()> {
    let tty = std::io::stderr().is_terminal() && !json;
    let mut last = std::time::Instant::now();
    let mut progress = |f: &Path, p: cb_api::import::ImportProgress| {
        if tty && last.elapsed().as_millis() > 100 {
            last = std::time::Instant::now();
            let pct = (p.bytes * 100).checked_div(p.bytes_total).unwrap_or(0);
            eprint!(
                "\r\x1b[K{}: {pct:>3}% {} records",
                crate::term::safe(&f.display().to_string()),
                p.records
            );
        }
        true
    };
    let key = crate::integrity::key_file();
    let r = cb_api::import::import_paths_with(
        case,
        files,
        actor(),
        key.as_deref(),
        rules.as_ref(),
        &mut progress,
    );
    if tty {
        eprint!("\r\x1b[K");
    }
    let r = r.with_context(|| case.display().to_string())?;
    print::either(json, &r, print::import)
}

pub fn stats(case: &Path, json: bool) -> Result<()> {
    print::either(json, &cb_api::case::stats(&open(case)?)?, print::stats)
}

pub fn sources(case: &Path, json: bool) -> Result<()> {
    print::either(
        json,
        &cb_api::sources::sources(&open(case)?)?,
        print::sources,
    )
}

pub fn export(
    case: &Path,
    format: ExportFormat,
    node: Option<String>,
    investigation: Option<i64>,
    output: Option<PathBuf>,
) -> Result<()> {
    let req = ExportRequest {
        format: match format {
            ExportFormat::Graphml => cb_api::export::ExportFormat::Graphml,
            ExportFormat::Stix => cb_api::export::ExportFormat::Stix,
            ExportFormat::Html => cb_api::export::ExportFormat::Html,
            ExportFormat::Pdf => return crate::cmd_rootcause::export_pdf(case, node, output),
        },
        node: node.as_deref().map(cb_api::node_id).transpose()?,
        investigation,
    };
    let now = cb_domain::time::format(&chrono::Utc::now());
    let text = cb_api::export::export(&open(case)?, req, &now)?;
    match output {
        Some(p) => {
            cb_api::export::write_file(&p, text.as_bytes())?;
            eprintln!("wrote {}", p.display());
        }
        None if std::io::stdout().is_terminal() => say!("{}", text.trim_end()),
        // piped: the exported bytes as they are (XML and JSON escape controls already)
        None => {
            let mut o = std::io::stdout().lock();
            if writeln!(o, "{}", text.trim_end()).is_err() {
                std::process::exit(0);
            }
        }
    }
    Ok(())
}

pub fn demo(case: &Path, fixtures: &Path, json: bool) -> Result<()> {
    let key = crate::integrity::key_file();
    let r = cb_api::demo::demo(case, fixtures, actor(), key.as_deref())?;
    print::either(json, &r, |r| print::demo(r, case))
}
