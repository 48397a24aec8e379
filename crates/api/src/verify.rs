//! `verify` and `seal`: the case checked against its signed audit log (cb-store), every
//! evidence file re-hashed against the hash its import recorded, and a seal file checked
//! against the chain. Library code: paths, time, the actor and the key are passed in.

use crate::{hash_file, ApiError};
use cb_store::integrity::{self, Key};
use cb_store::{Finding, KeyInfo, SqliteStore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where an analyst's key lives: `explicit` (e.g. `CASEBOARD_KEY`), else
/// `$XDG_CONFIG_HOME/caseboard/key`, else `$HOME/.config/caseboard/key`. The edge passes the
/// environment in.
pub fn key_path(
    explicit: Option<PathBuf>,
    xdg_config_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    explicit
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            xdg_config_home
                .filter(|p| p.is_absolute())
                .map(|d| d.join("caseboard").join("key"))
        })
        .or_else(|| {
            home.filter(|p| !p.as_os_str().is_empty())
                .map(|h| h.join(".config").join("caseboard").join("key"))
        })
}

/// Sign what `store` writes with the key at `path` (created on first use).
pub fn use_key(store: &mut SqliteStore, path: &Path) -> Result<(), ApiError> {
    let key = integrity::load_or_create_key(path)?;
    store.set_signer(key);
    Ok(())
}

/// A seal: the chain head at one moment, signed; kept beside the evidence or handed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub format: String,
    pub case_id: String,
    pub entries: i64,
    pub head: String,
    pub sealed_at: String,
    pub actor: String,
    pub pubkey: String,
    pub fingerprint: String,
    pub signature: String,
}

pub const SEAL_FORMAT: &str = "caseboard-seal/1";

/// Seal the case as it is now. Refuses a case whose log does not verify (a seal vouches for
/// the chain).
pub fn seal(store: &SqliteStore, key: &Key, actor: &str, now: &str) -> Result<Seal, ApiError> {
    let pk = integrity::pubkey_hex(key);
    let report = store.verify_integrity(std::slice::from_ref(&pk))?;
    let broken: Vec<&Finding> = report.findings.iter().filter(|f| f.fail).collect();
    if let Some(first) = broken.first() {
        return Err(ApiError::NotSealed {
            path: store.path().into(),
            reason: format!(
                "{} problem(s), first: {}; run `caseboard verify`",
                broken.len(),
                first.message
            ),
        });
    }
    let msg = integrity::seal_message(&report.case_id, report.entries, &report.head, now, actor);
    Ok(Seal {
        format: SEAL_FORMAT.into(),
        case_id: report.case_id,
        entries: report.entries,
        head: report.head,
        sealed_at: now.into(),
        actor: actor.into(),
        fingerprint: integrity::fingerprint_hex(&pk),
        signature: integrity::sign_hex(key, &msg),
        pubkey: pk,
    })
}

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// A seal file to check the chain against.
    pub seal: Option<PathBuf>,
    /// Folders where moved evidence is looked for (by file name, then hash).
    pub evidence_dirs: Vec<PathBuf>,
    /// Fingerprints (or hex public keys) of other analysts' keys accepted.
    pub trusted: Vec<String>,
    /// This analyst's public key (hex), to say whether the case key is theirs.
    pub local_pubkey: Option<String>,
}

/// One evidence file checked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceCheck {
    pub id: i64,
    /// Absolute path as imported.
    pub path: String,
    pub typed_path: String,
    /// SHA-256 its import recorded.
    pub sha256: String,
    /// ok, moved (found intact elsewhere), changed, missing
    pub status: String,
    /// Where the file was read, when not at `path`.
    pub found_at: Option<String>,
    /// SHA-256 of what is there now, when it differs.
    pub actual_sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SealCheck {
    pub path: String,
    pub entries: i64,
    pub head: String,
    pub sealed_at: String,
    pub actor: String,
    pub fingerprint: String,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    pub case: String,
    /// No failing finding.
    pub ok: bool,
    pub case_id: String,
    pub entries: i64,
    pub head: String,
    /// The first audit entry whose link or hash is broken, if any.
    pub audit_broken_at: Option<i64>,
    pub case_key: Option<KeyInfo>,
    pub signers: Vec<KeyInfo>,
    pub sources: Vec<SourceCheck>,
    pub seal: Option<SealCheck>,
    /// Every problem found (and notes, `fail: false`).
    pub findings: Vec<Finding>,
}

fn finding(check: &str, fail: bool, target: &str, message: String) -> Finding {
    Finding {
        check: check.into(),
        fail,
        target: target.into(),
        message,
    }
}

/// Check the case: chain, signatures, head, state, import digests (cb-store); every evidence
/// file; the seal if given.
pub fn verify(store: &SqliteStore, opts: &VerifyOptions) -> Result<VerifyReport, ApiError> {
    let chain = store.verify_integrity(&opts.trusted)?;
    let mut findings = chain.findings;
    if let (Some(local), Some(ck)) = (&opts.local_pubkey, &chain.case_key) {
        if *local != ck.pubkey {
            findings.push(finding(
                "key",
                false,
                "case",
                format!(
                    "the case key {} ({}) is not this analyst's key {}",
                    ck.fingerprint,
                    ck.actor,
                    integrity::fingerprint_hex(local)
                ),
            ));
        }
    }
    let mut sources = vec![];
    for s in &chain.sources {
        let c = check_source(s, &opts.evidence_dirs);
        let target = format!("source:{}", s.id);
        match c.status.as_str() {
            "missing" => findings.push(finding(
                "evidence",
                true,
                &target,
                format!(
                    "evidence file {} is missing (imported as {})",
                    s.path, s.typed_path
                ),
            )),
            "changed" => findings.push(finding(
                "evidence",
                true,
                &target,
                format!(
                    "evidence file {} has changed: SHA-256 {} now, {} at import",
                    c.found_at.as_deref().unwrap_or(&s.path),
                    c.actual_sha256.as_deref().unwrap_or("?"),
                    s.sha256
                ),
            )),
            "moved" => findings.push(finding(
                "evidence",
                false,
                &target,
                format!(
                    "evidence file {} found intact at {}",
                    s.path,
                    c.found_at.as_deref().unwrap_or("?")
                ),
            )),
            _ => {}
        }
        sources.push(c);
    }
    let seal = match &opts.seal {
        None => None,
        Some(p) => Some(check_seal(
            store,
            p,
            &chain.case_id,
            chain.entries,
            chain.case_key.as_ref(),
            &opts.trusted,
            &mut findings,
        )?),
    };
    Ok(VerifyReport {
        case: store.path().display().to_string(),
        ok: !findings.iter().any(|f| f.fail),
        case_id: chain.case_id,
        entries: chain.entries,
        head: chain.head,
        audit_broken_at: store.verify_audit()?,
        case_key: chain.case_key,
        signers: chain.signers,
        sources,
        seal,
        findings,
    })
}

fn check_source(s: &cb_store::ImportedSource, dirs: &[PathBuf]) -> SourceCheck {
    let mut c = SourceCheck {
        id: s.id,
        path: s.path.clone(),
        typed_path: s.typed_path.clone(),
        sha256: s.sha256.clone(),
        status: "missing".into(),
        found_at: None,
        actual_sha256: None,
    };
    let here = Path::new(&s.path);
    if here.is_file() {
        match hash_file(here) {
            Ok((h, _)) if h == s.sha256 => {
                c.status = "ok".into();
                return c;
            }
            Ok((h, _)) => {
                c.status = "changed".into();
                c.actual_sha256 = Some(h);
            }
            Err(_) => c.status = "missing".into(),
        }
    }
    let Some(name) = here
        .file_name()
        .or_else(|| Path::new(&s.typed_path).file_name())
    else {
        return c;
    };
    for d in dirs {
        for cand in find_named(d, name, 8) {
            match hash_file(&cand) {
                Ok((h, _)) if h == s.sha256 => {
                    c.status = "moved".into();
                    c.found_at = Some(cand.display().to_string());
                    c.actual_sha256 = None;
                    return c;
                }
                Ok((h, _)) if c.status == "missing" => {
                    c.status = "changed".into();
                    c.found_at = Some(cand.display().to_string());
                    c.actual_sha256 = Some(h);
                }
                _ => {}
            }
        }
    }
    c
}

/// Files called `name` under `dir` (at most `depth` levels down, symlinks not followed).
fn find_named(dir: &Path, name: &std::ffi::OsStr, depth: usize) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, level)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() && level < depth {
                stack.push((e.path(), level + 1));
            } else if t.is_file() && e.file_name() == name {
                out.push(e.path());
            }
        }
    }
    out
}

fn check_seal(
    store: &SqliteStore,
    path: &Path,
    case_id: &str,
    entries: i64,
    case_key: Option<&KeyInfo>,
    trusted: &[String],
    findings: &mut Vec<Finding>,
) -> Result<SealCheck, ApiError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ApiError::Unreadable {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let seal: Seal = serde_json::from_str(&text).map_err(|e| ApiError::Unreadable {
        path: path.into(),
        reason: format!("not a Caseboard seal ({e})"),
    })?;
    let before = findings.iter().filter(|f| f.fail).count();
    let mut fail = |m: String| findings.push(finding("seal", true, "seal", m));
    if seal.format != SEAL_FORMAT {
        fail(format!("{shown}: unknown seal format {:?}", seal.format));
    }
    if seal.case_id != case_id {
        fail(format!(
            "{shown} seals case {} but this case is {case_id}",
            seal.case_id
        ));
    }
    let msg = integrity::seal_message(
        &seal.case_id,
        seal.entries,
        &seal.head,
        &seal.sealed_at,
        &seal.actor,
    );
    if !integrity::check_sig(&seal.pubkey, &seal.signature, &msg) {
        fail(format!(
            "{shown}: the seal's signature does not verify (the seal was edited)"
        ));
    }
    let trusted_key = case_key.is_some_and(|k| k.pubkey == seal.pubkey)
        || trusted.iter().any(|t| {
            t.eq_ignore_ascii_case(&seal.pubkey) || *t == integrity::fingerprint_hex(&seal.pubkey)
        });
    if !trusted_key {
        fail(format!(
            "{shown} is signed by key {}, not the case key",
            integrity::fingerprint_hex(&seal.pubkey)
        ));
    }
    if seal.entries > entries {
        fail(format!("the case holds {entries} audit entries but was sealed with {}: the log was truncated since the seal", seal.entries));
    } else {
        match store.audit_entry_hash(seal.entries)? {
            Some(h) if h == seal.head => {}
            _ if seal.entries == 0 && seal.head.is_empty() => {}
            _ => fail(format!(
                "audit entry {} is not the sealed head: the log was rewritten since the seal",
                seal.entries
            )),
        }
    }
    let ok = findings.iter().filter(|f| f.fail).count() == before;
    if ok && entries > seal.entries {
        findings.push(finding(
            "seal",
            false,
            "seal",
            format!(
                "{} audit entries were added after the seal of {}",
                entries - seal.entries,
                seal.sealed_at
            ),
        ));
    }
    Ok(SealCheck {
        path: shown,
        entries: seal.entries,
        head: seal.head,
        sealed_at: seal.sealed_at,
        actor: seal.actor,
        fingerprint: seal.fingerprint,
        ok,
    })
}

/// The hex public key of the key file at `path`, when there is one (nothing is created).
pub fn local_pubkey(path: &Path) -> Option<String> {
    path.is_file()
        .then(|| integrity::load_or_create_key(path).ok())
        .flatten()
        .map(|k| integrity::pubkey_hex(&k))
}

/// `caseboard verify`: [`verify`] on an open case.
pub fn verify_case(case: &crate::Case, opts: &VerifyOptions) -> Result<VerifyReport, ApiError> {
    verify(&case.store, opts)
}

/// `caseboard seal`: sign the chain head with the key at `key` (created on first use).
pub fn seal_case(case: &mut crate::Case, key: &Path, now: &str) -> Result<Seal, ApiError> {
    use_key(&mut case.store, key)?;
    let k = case
        .store
        .signer()
        .cloned()
        .ok_or_else(|| ApiError::NotSealed {
            path: case.store.path().into(),
            reason: "no signing key".into(),
        })?;
    let actor = case.store.actor().0.clone();
    seal(&case.store, &k, &actor, now)
}

/// `caseboard custody`: the chain-of-custody report (HTML) with the verify result in it.
pub fn custody(
    case: &crate::Case,
    opts: &VerifyOptions,
    now: &str,
) -> Result<(String, VerifyReport), ApiError> {
    let r = verify(&case.store, opts)?;
    let v = serde_json::to_value(&r).map_err(|e| ApiError::BadInput(e.to_string()))?;
    let html = cb_export::custody_html(&case.store, &v, now)?;
    Ok((html, r))
}
