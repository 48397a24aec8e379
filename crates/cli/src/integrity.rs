//! `caseboard verify` and `caseboard seal`, and the analyst key every command signs with.

use crate::term::safe;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The analyst's key file: `CASEBOARD_KEY`, else `$XDG_CONFIG_HOME/caseboard/key`, else
/// `~/.config/caseboard/key`. Never inside a case.
pub fn key_file() -> Option<PathBuf> {
    cb_api::key_path(
        std::env::var_os("CASEBOARD_KEY").map(PathBuf::from),
        std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// Sign what `store` writes with the analyst's key (created on first use). Without one the
/// case still opens; what is written is unsigned and `verify` says so.
pub fn sign(case: &mut cb_api::Case) {
    match key_file() {
        Some(p) => {
            if let Err(e) = case.sign_with(&p) {
                eprintln!("caseboard: warning: {}; writing unsigned audit entries", safe(&e.to_string()));
            }
        }
        None => eprintln!("caseboard: warning: no key file (set CASEBOARD_KEY or HOME); writing unsigned audit entries"),
    }
}

/// What `verify` and `custody` check against.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// a seal file written by `caseboard seal` to check the chain against
    #[arg(long)]
    seal: Option<PathBuf>,
    /// where to look for evidence that moved (by file name, then SHA-256); repeatable
    #[arg(long = "evidence-dir")]
    evidence_dirs: Vec<PathBuf>,
    /// accept entries signed by this key too (fingerprint `SHA256:…` or hex public key)
    #[arg(long = "trust")]
    trusted: Vec<String>,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    case: PathBuf,
    #[command(flatten)]
    check: CheckArgs,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SealArgs {
    case: PathBuf,
    /// write the seal here (default: `<case>.seal.json` beside the case)
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

fn out(line: &str) {
    if writeln!(std::io::stdout(), "{}", safe(line)).is_err() {
        std::process::exit(0);
    }
}

#[derive(clap::Args)]
pub struct CustodyArgs {
    case: PathBuf,
    /// write the HTML here (default: stdout)
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    check: CheckArgs,
}

fn run_verify(case: &cb_api::Case, check: CheckArgs) -> Result<cb_api::VerifyReport> {
    let CheckArgs {
        seal,
        evidence_dirs,
        trusted,
    } = check;
    let local_pubkey = key_file().and_then(|p| cb_api::verify::local_pubkey(&p));
    let opts = cb_api::VerifyOptions {
        seal,
        evidence_dirs,
        trusted,
        local_pubkey,
    };
    Ok(cb_api::verify::verify_case(case, &opts)?)
}

/// `caseboard custody`: the chain-of-custody report (HTML, print-ready), with the verify
/// result in it. Exits 0 whatever the result: the report says it.
pub fn custody(a: CustodyArgs) -> Result<()> {
    let case = crate::open(&a.case)?;
    let check = a.check;
    let local_pubkey = key_file().and_then(|p| cb_api::verify::local_pubkey(&p));
    let opts = cb_api::VerifyOptions {
        seal: check.seal,
        evidence_dirs: check.evidence_dirs,
        trusted: check.trusted,
        local_pubkey,
    };
    let now = cb_domain::time::format(&chrono::Utc::now());
    let (html, r) = cb_api::verify::custody(&case, &opts, &now)?;
    match a.output {
        Some(p) => {
            std::fs::write(&p, html).with_context(|| format!("{}: cannot write", p.display()))?;
            eprintln!(
                "wrote {} (verify: {})",
                safe(&p.display().to_string()),
                if r.ok { "OK" } else { "FAILED" }
            );
        }
        None => {
            let mut o = std::io::stdout().lock();
            if o.write_all(html.as_bytes()).is_err() {
                std::process::exit(0);
            }
        }
    }
    Ok(())
}

pub fn verify(a: VerifyArgs) -> Result<()> {
    let case = crate::open(&a.case)?;
    let r = run_verify(&case, a.check)?;
    if a.json {
        crate::print::json(&r)?;
    } else {
        out(&format!("case {} (id {})", r.case, r.case_id));
        out(&format!(
            "audit log: {} entries, head {}",
            r.entries, r.head
        ));
        match &r.case_key {
            Some(k) => out(&format!("case key: {} ({})", k.fingerprint, k.actor)),
            None => out("case key: none (nothing in this case was signed)"),
        }
        for k in r.signers.iter().skip(1) {
            out(&format!(
                "also signed by: {} ({}, {} entries{})",
                k.fingerprint,
                k.actor,
                k.entries,
                if k.trusted { "" } else { ", not trusted" }
            ));
        }
        for s in &r.sources {
            let at = s
                .found_at
                .as_ref()
                .map(|f| format!(" (found at {f})"))
                .unwrap_or_default();
            out(&format!("{:<8} {} {}{at}", s.status, s.sha256, s.path));
        }
        if let Some(s) = &r.seal {
            out(&format!(
                "seal {}: {} ({} entries, sealed {} by {} with {})",
                s.path,
                if s.ok { "ok" } else { "FAILED" },
                s.entries,
                s.sealed_at,
                s.actor,
                s.fingerprint
            ));
        }
        for f in &r.findings {
            out(&format!(
                "{} {} {}: {}",
                if f.fail { "FAIL" } else { "note" },
                f.check,
                f.target,
                f.message
            ));
        }
        let n = r.findings.iter().filter(|f| f.fail).count();
        if r.ok {
            out("verify: OK — audit chain, signatures, state and evidence intact");
        } else {
            out(&format!("verify: FAILED — {n} problem(s)"));
        }
    }
    if !r.ok {
        let first = r
            .findings
            .iter()
            .find(|f| f.fail)
            .map(|f| f.message.clone())
            .unwrap_or_default();
        bail!(
            "{}: does not verify ({} problem(s); first: {first})",
            a.case.display(),
            r.findings.iter().filter(|f| f.fail).count()
        );
    }
    Ok(())
}

pub fn seal(a: SealArgs) -> Result<()> {
    let mut case = crate::open(&a.case)?;
    let Some(kp) = key_file() else {
        bail!("no key file to sign the seal with (set CASEBOARD_KEY or HOME)");
    };
    let now = cb_domain::time::format(&chrono::Utc::now());
    let seal = cb_api::verify::seal_case(&mut case, &kp, &now)?;
    let path = a.output.unwrap_or_else(|| default_seal_path(&a.case));
    let text = serde_json::to_string_pretty(&seal)? + "\n";
    std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    if a.json {
        crate::print::json(&json!({"seal": seal, "path": path.display().to_string()}))?;
    } else {
        out(&format!(
            "sealed {} at {} entries, head {} ({}) -> {}",
            a.case.display(),
            seal.entries,
            seal.head,
            seal.fingerprint,
            path.display()
        ));
    }
    Ok(())
}

fn default_seal_path(case: &Path) -> PathBuf {
    let mut name = case.file_name().unwrap_or_default().to_os_string();
    name.push(".seal.json");
    case.with_file_name(name)
}
