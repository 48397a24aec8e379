//! `caseboard detect`: run Sigma rules over a case (cb-api `detect`).

use crate::open;
use crate::print::say;
use anyhow::{bail, Result};
use cb_api::detect::{detect_case, DetectSettings, Level};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Which Sigma rules run (`caseboard detect`, `caseboard import --detect`).
#[derive(Args)]
pub struct RuleArgs {
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
}

impl RuleArgs {
    pub fn settings(self) -> Result<DetectSettings> {
        let mut settings = DetectSettings {
            bundled: !self.no_bundled,
            rule_dirs: self.rules,
            ..Default::default()
        };
        let Some(level) = Level::parse(&self.min_level) else {
            bail!(
                "--min-level {:?}: expected informational, low, medium, high or critical",
                self.min_level
            );
        };
        settings.selection.min_level = level;
        settings.selection.statuses = if self.status.eq_ignore_ascii_case("all") {
            vec![]
        } else {
            self.status
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
        Ok(settings)
    }
}

#[derive(Args)]
pub struct DetectArgs {
    case: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
    #[arg(long)]
    json: bool,
}

pub fn run(a: DetectArgs) -> Result<()> {
    let settings = a.rules.settings()?;
    let mut case = open(&a.case)?;
    let report = detect_case(&mut case, &settings, &mut |_| true)?;
    crate::print::either(a.json, &report, |report| {
        say!(
            "rules {} loaded, {} failed; {} events read, {} matches; alerts {} added, {} updated",
            report.rules.loaded,
            report.rules.failed.len(),
            report.events,
            report.matches,
            report.alerts.added,
            report.alerts.updated
        );
        for f in &report.rules.failed {
            say!("  failed {}: {}", f.file, f.reason);
        }
    })
}
