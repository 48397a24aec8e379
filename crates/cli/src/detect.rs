//! `caseboard detect`: run Sigma rules over a case (cb-api `detect`), and the `rule` object
//! of alerts that came from one.

use anyhow::{bail, Result};
use cb_api::detect::{alert_rule, detect, DetectSettings};
use cb_sigma::Level;
use cb_store::{Actor, SqliteStore};
use clap::Args;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct DetectArgs {
    case: PathBuf,
    /// a folder (or file) of Sigma rules to run too (repeatable)
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// lowest rule level run: informational, low, medium (default), high, critical
    #[arg(long, default_value = "medium")]
    min_level: String,
    /// rule statuses run, comma-separated, or `all` (default: stable,test)
    #[arg(long, default_value = "stable,test")]
    status: String,
    /// leave the bundled SigmaHQ rules out (only --rules)
    #[arg(long)]
    no_bundled: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(a: DetectArgs) -> Result<()> {
    let mut settings = DetectSettings {
        bundled: !a.no_bundled,
        rule_dirs: a.rules,
        ..Default::default()
    };
    let Some(level) = Level::parse(&a.min_level) else {
        bail!(
            "--min-level {:?}: expected informational, low, medium, high or critical",
            a.min_level
        );
    };
    settings.selection.min_level = level;
    settings.selection.statuses = if a.status.eq_ignore_ascii_case("all") {
        vec![]
    } else {
        a.status
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for d in &settings.rule_dirs {
        if !d.exists() {
            bail!("{}: no such rules folder", d.display());
        }
    }
    let mut store = SqliteStore::open(&a.case, Actor::from_env())?;
    let report = detect(&mut store, &settings, &mut |_| true)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "rules {} loaded, {} failed; {} events read, {} matches; alerts {} added, {} updated",
        report.rules.loaded,
        report.rules.failed.len(),
        report.events,
        report.matches,
        report.alerts.added,
        report.alerts.updated
    )?;
    for f in &report.rules.failed {
        writeln!(out, "  failed {}: {}", f.file, f.reason)?;
    }
    Ok(())
}

/// `caseboard alerts --json` rows, with `rule` on the alerts a rule raised.
pub fn alerts_json(store: &SqliteStore, rows: Vec<cb_store::AlertRow>) -> Result<Value> {
    let mut out = vec![];
    for a in rows {
        let rule = alert_rule(store, a.id.num())?;
        let mut v = serde_json::to_value(&a)?;
        if let (Some(rule), Some(o)) = (rule, v.as_object_mut()) {
            o.insert("rule".into(), rule);
        }
        out.push(v);
    }
    Ok(serde_json::json!({ "alerts": out }))
}

/// `caseboard import --detect`: import, running the default rules on each event as it is
/// stored; then the alerts of each file. JSON: `{"files":[…],"detect":{…}}` (the `detect`
/// report of `caseboard detect`).
pub fn import(case: &std::path::Path, files: &[PathBuf], json: bool) -> Result<()> {
    for f in files {
        cb_api::probe(f)?;
    }
    let settings = DetectSettings::default();
    let (rules, loaded) = settings.load();
    let mut store = SqliteStore::open_or_create(case, Actor::from_env())?;
    let mut streamed = cb_api::detect::Streamed::new(&rules);
    let mut report = cb_api::detect::DetectReport {
        rules: cb_api::detect::RulesReport {
            loaded: loaded.loaded,
            failed: loaded.failed,
        },
        ..Default::default()
    };
    let mut files_out = vec![];
    for f in files {
        let r = cb_api::import_file_with(&mut store, f, &mut |_| true, Some(&mut streamed))?;
        let a = streamed.store(&mut store)?;
        report.events += r.added.events;
        report.alerts.added += a.added;
        report.alerts.updated += a.updated;
        files_out.push(r);
    }
    report.matches = streamed.matches;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({"files": files_out, "detect": report}),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    for r in &files_out {
        writeln!(
            out,
            "{}: {} sha256 {}: {} events{}",
            r.path,
            r.format,
            r.sha256,
            r.added.events,
            if r.duplicate_of.is_some() {
                " (already imported)"
            } else {
                ""
            }
        )?;
    }
    writeln!(
        out,
        "detection: {} rules, {} matches; alerts {} added, {} updated",
        report.rules.loaded, report.matches, report.alerts.added, report.alerts.updated
    )?;
    Ok(())
}
