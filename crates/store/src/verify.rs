//! `verify` for the case file itself: the audit chain, its signatures and signed head, the
//! triage state replayed from the log, and what each import wrote (counts and digests per
//! table). Evidence files and seals are checked by cb-api on top of this report.

use crate::integrity::{self, fingerprint_hex, Initial, TableDigest};
use crate::{Result, SqliteStore};
use cb_domain::Severity;
use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// At most this many findings of one check are listed; the rest are counted in one more.
const FINDINGS_PER_CHECK: usize = 1000;

/// One thing `verify` found wrong (or worth saying).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    /// chain, signature, head, key, state, import, source, evidence, seal
    pub check: String,
    /// `true`: the case does not verify.
    pub fail: bool,
    /// What it is about: `audit:12`, `alert:3`, `source:2`…
    pub target: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyInfo {
    pub fingerprint: String,
    pub pubkey: String,
    pub actor: String,
    /// Entries it signed.
    pub entries: u64,
    pub trusted: bool,
}

/// A source as its import entry recorded it (the log is the reference, not the row).
#[derive(Debug, Clone, Serialize)]
pub struct ImportedSource {
    pub id: i64,
    pub path: String,
    pub typed_path: String,
    pub sha256: String,
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub case_id: String,
    pub entries: i64,
    pub head: String,
    /// The key that first signed in this case.
    pub case_key: Option<KeyInfo>,
    pub signers: Vec<KeyInfo>,
    pub sources: Vec<ImportedSource>,
    pub findings: Vec<Finding>,
}

#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    per_check: HashMap<String, usize>,
}

impl Findings {
    fn add(
        &mut self,
        check: &str,
        fail: bool,
        target: impl Into<String>,
        message: impl Into<String>,
    ) {
        let n = self.per_check.entry(check.to_string()).or_default();
        *n += 1;
        if *n <= FINDINGS_PER_CHECK {
            self.list.push(Finding {
                check: check.into(),
                fail,
                target: target.into(),
                message: message.into(),
            });
        }
    }
    fn finish(mut self) -> Vec<Finding> {
        for (check, n) in &self.per_check {
            if *n > FINDINGS_PER_CHECK {
                self.list.push(Finding {
                    check: check.clone(),
                    fail: true,
                    target: String::new(),
                    message: format!("… and {} more {check} findings", n - FINDINGS_PER_CHECK),
                });
            }
        }
        self.list
    }
}

/// Triage of one alert or incident as the log tells it.
#[derive(Default)]
struct Replayed {
    /// field → (value before the first change, value after the last)
    fields: BTreeMap<&'static str, (String, String)>,
    notes: Vec<(String, String)>,
    tags: BTreeSet<String>,
    related: BTreeMap<String, String>,
    /// incident membership changed by hand: alert ext id → present after the last change
    members: BTreeMap<String, bool>,
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl SqliteStore {
    /// Check the case file against its own signed audit log. `trusted` are fingerprints (or
    /// hex public keys) of analysts' keys accepted besides the case key.
    pub fn verify_integrity(&self, trusted: &[String]) -> Result<ChainReport> {
        let conn = &self.conn;
        let case_id = integrity::case_id(conn)?;
        let mut f = Findings::default();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, target, detail, prev_hash, hash, signer, sig FROM audit ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut prev = String::new();
        let mut pos: i64 = 0;
        let mut keys: Vec<KeyInfo> = vec![];
        let mut unsigned: Vec<i64> = vec![];
        let mut legacy: Vec<i64> = vec![];
        let mut untrusted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut replay: BTreeMap<String, Replayed> = BTreeMap::new();
        let mut imports: BTreeMap<i64, (i64, Value)> = BTreeMap::new();
        let mut derived: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let is_trusted = |pk: &str, keys: &[KeyInfo]| {
            keys.first().is_some_and(|k| k.pubkey == pk)
                || trusted
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(pk) || *t == fingerprint_hex(pk))
        };
        while let Some(r) = rows.next()? {
            pos += 1;
            let id: i64 = r.get(0)?;
            let at: String = r.get(1)?;
            let actor: String = r.get(2)?;
            let action: String = r.get(3)?;
            let target: String = r.get(4)?;
            let detail_s: String = r.get(5)?;
            let p: String = r.get(6)?;
            let h: String = r.get(7)?;
            let signer: Option<String> = r.get(8)?;
            let sig: Option<String> = r.get(9)?;
            let entry = format!("audit:{id}");
            if id != pos {
                f.add(
                    "chain",
                    true,
                    &entry,
                    format!("entry {id} stands at position {pos}: entries before it were deleted"),
                );
                pos = id;
            }
            if p != prev {
                f.add(
                    "chain",
                    true,
                    &entry,
                    format!("entry {id} does not follow the previous entry's hash (an entry was removed, inserted or rewritten)"),
                );
            }
            let recomputed = match &signer {
                None => crate::audit_hash(&p, &at, &actor, &action, &target, &detail_s),
                Some(sg) => integrity::entry_hash_v2(
                    &case_id, id, &p, &at, &actor, &action, &target, &detail_s, sg,
                ),
            };
            if recomputed != h {
                f.add(
                    "chain",
                    true,
                    &entry,
                    format!(
                        "entry {id} ({action} {target}) does not match its hash: it was edited"
                    ),
                );
            }
            prev = h.clone();
            let detail: Value = serde_json::from_str(&detail_s).unwrap_or(Value::Null);
            match signer.as_deref() {
                None => legacy.push(id),
                Some("") => unsigned.push(id),
                Some(pk) => {
                    if !integrity::check_sig(
                        pk,
                        sig.as_deref().unwrap_or(""),
                        &integrity::entry_message(&h),
                    ) {
                        f.add(
                            "signature",
                            true,
                            &entry,
                            format!("entry {id} ({action} {target}): signature does not verify (rewritten, or forged without the key)"),
                        );
                    }
                    if action == "key" {
                        if detail["pubkey"].as_str() != Some(pk) {
                            f.add(
                                "key",
                                true,
                                &entry,
                                format!(
                                    "entry {id} records a key other than the one that signed it"
                                ),
                            );
                        } else if !keys.iter().any(|k| k.pubkey == pk) {
                            keys.push(KeyInfo {
                                fingerprint: fingerprint_hex(pk),
                                pubkey: pk.to_string(),
                                actor: actor.clone(),
                                entries: 0,
                                trusted: false,
                            });
                        }
                    }
                    match keys.iter_mut().find(|k| k.pubkey == pk) {
                        Some(k) => k.entries += 1,
                        None => f.add(
                            "key",
                            true,
                            &entry,
                            format!(
                                "entry {id} is signed by key {} that the case never recorded",
                                fingerprint_hex(pk)
                            ),
                        ),
                    }
                    if !is_trusted(pk, &keys) {
                        untrusted.entry(pk.to_string()).or_default().push(id);
                    }
                }
            }
            replay_entry(
                &mut replay,
                &mut imports,
                &mut derived,
                id,
                &action,
                &target,
                &actor,
                &detail,
            );
        }
        drop(rows);
        drop(stmt);
        let entries = pos;
        if !legacy.is_empty() {
            f.add("signature", true, "audit", format!("{} entries ({}) were written before Caseboard signed its log: they cannot be checked against forgery", legacy.len(), span(&legacy)));
        }
        if !unsigned.is_empty() {
            f.add(
                "signature",
                true,
                "audit",
                format!(
                    "{} entries ({}) are not signed (written without an analyst key)",
                    unsigned.len(),
                    span(&unsigned)
                ),
            );
        }
        for (pk, ids) in &untrusted {
            let actor = keys
                .iter()
                .find(|k| k.pubkey == *pk)
                .map(|k| k.actor.clone())
                .unwrap_or_default();
            f.add(
                "key",
                true,
                "audit",
                format!(
                    "{} entries ({}) are signed by key {} ({actor}), not the case key{}; pass --trust {} if that analyst works this case",
                    ids.len(),
                    span(ids),
                    fingerprint_hex(pk),
                    keys.first().map(|k| format!(" {}", k.fingerprint)).unwrap_or_default(),
                    fingerprint_hex(pk)
                ),
            );
        }
        for k in keys.iter_mut() {
            k.trusted = !untrusted.contains_key(&k.pubkey);
        }

        // the signed head: entry count, last hash, triage state
        let last_hash = prev;
        let state_now = integrity::state_digest(conn)?;
        match integrity::head(conn)? {
            None if entries > 0 => f.add("head", true, "audit_head", "the case has no signed chain head: the log's end cannot be checked (truncation would go unseen)"),
            None => {}
            Some(hd) => {
                if hd.entries != entries {
                    f.add(
                        "head",
                        true,
                        "audit_head",
                        if hd.entries > entries {
                            format!("the signed head covers {} entries but the log holds {entries}: the log was truncated ({} entries missing)", hd.entries, hd.entries - entries)
                        } else {
                            format!("the signed head covers {} entries but the log holds {entries}: {} entries were appended without signing the head", hd.entries, entries - hd.entries)
                        },
                    );
                } else if hd.head != last_hash {
                    f.add("head", true, "audit_head", "the last entry's hash is not the signed head hash: the log was rewritten");
                }
                if hd.signer.is_empty() {
                    f.add("head", true, "audit_head", "the chain head is not signed (written without an analyst key)");
                } else if !hd.signature_valid(&case_id) {
                    f.add("head", true, "audit_head", "the chain head's signature does not verify: the head was rewritten without the key");
                } else if !is_trusted(&hd.signer, &keys) {
                    f.add("head", true, "audit_head", format!("the chain head is signed by key {}, not a trusted key of this case", fingerprint_hex(&hd.signer)));
                }
                if hd.state != state_now {
                    f.add("state", true, "triage", "the triage state (status, classification, owner, severity, notes, tags, marked entities, incident membership) differs from the state signed with the last audited action: it was edited outside Caseboard");
                }
            }
        }

        // the triage state replayed from the log
        let initial = self.compare_triage(&replay, &derived, &mut f)?;

        // what each import wrote
        let digests = integrity::all_digests(conn, &initial)?;
        let mut sources = vec![];
        #[allow(clippy::type_complexity)]
        let rows: Vec<(i64, String, String, i64, String, String, i64, String, Option<String>)> = conn
            .prepare("SELECT id, path, sha256, size, format, counts, merged, skipped, typed_path FROM sources ORDER BY id")?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut seen = BTreeSet::new();
        for (id, path, sha, size, format, counts, merged, skipped, typed) in &rows {
            seen.insert(*id);
            let target = format!("source:{id}");
            let Some((entry, d)) = imports.get(id) else {
                f.add("import", true, &target, format!("source {id} ({path}) has no import entry in the audit log: it was added outside Caseboard"));
                sources.push(ImportedSource {
                    id: *id,
                    path: path.clone(),
                    typed_path: typed.clone().unwrap_or_else(|| path.clone()),
                    sha256: sha.clone(),
                    size: Some(*size as u64),
                });
                continue;
            };
            let logged_sha = d["sha256"].as_str().unwrap_or_default();
            if logged_sha != sha {
                f.add("import", true, &target, format!("sources.sha256 of source {id} is {sha} but its import (audit:{entry}) recorded {logged_sha}"));
            }
            if d["path"].as_str().is_some_and(|p| p != path) {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the path of source {id} is {path:?} but its import recorded {:?}",
                        d["path"].as_str().unwrap_or_default()
                    ),
                );
            }
            if d["format"].as_str().is_some_and(|p| p != format) {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the format of source {id} is {format:?} but its import recorded {:?}",
                        d["format"].as_str().unwrap_or_default()
                    ),
                );
            }
            if d.get("size")
                .and_then(Value::as_i64)
                .is_some_and(|s| s != *size)
            {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the size of source {id} is {size} but its import recorded {}",
                        d["size"]
                    ),
                );
            }
            let counts_v: Value = serde_json::from_str(counts).unwrap_or(Value::Null);
            if d.get("added").is_some_and(|a| *a != counts_v) {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the counts of source {id} ({counts}) differ from its import's ({})",
                        d["added"]
                    ),
                );
            }
            if d.get("merged")
                .and_then(Value::as_i64)
                .is_some_and(|m| m != *merged)
            {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the merged count of source {id} is {merged} but its import recorded {}",
                        d["merged"]
                    ),
                );
            }
            if d.get("skipped_digest")
                .and_then(Value::as_str)
                .is_some_and(|x| x != integrity::text_digest(skipped))
            {
                f.add(
                    "import",
                    true,
                    &target,
                    format!(
                        "the skipped records of source {id} differ from what its import recorded"
                    ),
                );
            }
            match d.get("tables") {
                None => f.add("import", false, &target, format!("source {id} was imported before Caseboard recorded digests of what an import wrote: its rows cannot be checked")),
                Some(tables) => {
                    let empty = BTreeMap::new();
                    let now = digests.get(id).unwrap_or(&empty);
                    for integrity::Table { name: t, .. } in integrity::TABLES {
                        let logged: TableDigest = serde_json::from_value(tables[*t].clone()).unwrap_or_default();
                        let cur = now.get(*t).cloned().unwrap_or(TableDigest { n: 0, digest: empty_digest() });
                        // a table newer than the import's record (field_dicts) that holds nothing of it
                        if tables.get(*t).is_none() && cur.n == 0 {
                            continue;
                        }
                        if logged.n != cur.n {
                            f.add("import", true, &target, format!("{t} of source {id} ({path}): {} rows at import, {} now ({})", logged.n, cur.n, if cur.n < logged.n { "rows were deleted" } else { "rows were added" }));
                        } else if logged.digest != cur.digest {
                            f.add("import", true, &target, format!("{t} of source {id} ({path}): the rows differ from what the import wrote (edited outside Caseboard)"));
                        }
                    }
                }
            }
            sources.push(ImportedSource {
                id: *id,
                path: d["path"].as_str().unwrap_or(path).to_string(),
                typed_path: d["typed_path"]
                    .as_str()
                    .map(String::from)
                    .or(typed.clone())
                    .unwrap_or_else(|| path.clone()),
                sha256: if logged_sha.is_empty() {
                    sha.clone()
                } else {
                    logged_sha.to_string()
                },
                size: d.get("size").and_then(Value::as_u64).or(Some(*size as u64)),
            });
        }
        for (id, (entry, d)) in &imports {
            if !seen.contains(id) {
                f.add("import", true, format!("source:{id}"), format!("source {id} ({}) imported at audit:{entry} is gone from the case (its sources row was deleted)", d["path"].as_str().unwrap_or("?")));
                sources.push(ImportedSource {
                    id: *id,
                    path: d["path"].as_str().unwrap_or_default().to_string(),
                    typed_path: d["typed_path"]
                        .as_str()
                        .or(d["path"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    sha256: d["sha256"].as_str().unwrap_or_default().to_string(),
                    size: d.get("size").and_then(Value::as_u64),
                });
            }
        }
        for id in digests.keys() {
            if !seen.contains(id) && !imports.contains_key(id) {
                f.add(
                    "import",
                    true,
                    format!("source:{id}"),
                    format!("rows claim to come from source {id}, which was never imported"),
                );
            }
        }
        // the counts the map offers before an expansion, against a count of the relations
        for (entity, source, stored, counted) in
            crate::event_counts::check(&self.conn, FINDINGS_PER_CHECK + 1)?
        {
            f.add("counts", true, format!("entity:{entity}"), format!("entity:{entity} is said to relate to {stored} events of {source}; the relations hold {counted} (the counts were edited outside Caseboard)"));
        }
        // the entity pairs a path walks, against a count of the relations
        let said = |p: Option<(i64, i64)>| match p {
            Some((ev, n)) => format!("{n} events (the first event:{ev})"),
            None => "no event".to_string(),
        };
        for ((a, b), stored, counted) in
            crate::co_mentions::check(&self.conn, FINDINGS_PER_CHECK + 1)?
        {
            f.add("counts", true, format!("entity:{a}"), format!("entity:{a} and entity:{b} are said to share {}; the relations hold {} (the pairs were edited outside Caseboard)", said(stored), said(counted)));
        }
        sources.sort_by_key(|s| s.id);
        let case_key = keys.first().cloned();
        Ok(ChainReport {
            case_id,
            entries,
            head: last_hash,
            case_key,
            signers: keys,
            sources,
            findings: f.finish(),
        })
    }

    /// Compare triage state with the replayed log; returns the values at import the log
    /// implies, for the import digests.
    fn compare_triage(
        &self,
        replay: &BTreeMap<String, Replayed>,
        derived: &BTreeMap<String, Vec<String>>,
        f: &mut Findings,
    ) -> Result<Initial> {
        let conn = &self.conn;
        let mut initial: Initial = Default::default();
        // current values
        let mut current: BTreeMap<String, [Option<SqlValue>; 4]> = BTreeMap::new();
        for (t, prefix) in [("alerts", "alert"), ("incidents", "incident")] {
            let mut stmt = conn.prepare(&format!(
                "SELECT id, status, classification, owner, severity_override FROM {t}"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                current.insert(
                    format!("{prefix}:{id}"),
                    [
                        Some(r.get(1)?),
                        Some(r.get(2)?),
                        Some(r.get(3)?),
                        Some(r.get(4)?),
                    ],
                );
            }
        }
        let mut notes: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (t, a, x) in text_rows(conn, "SELECT target, actor, text FROM notes ORDER BY id")? {
            notes.entry(t).or_default().push((a, x));
        }
        let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in conn
            .prepare("SELECT target, tag FROM tags")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        {
            let (t, g) = row?;
            tags.entry(t).or_default().insert(g);
        }
        let mut related: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (t, e, why) in text_rows(conn, "SELECT target, entity, reason FROM marked_related")? {
            related.entry(t).or_default().insert(e, why);
        }
        let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in conn
            .prepare("SELECT incident_id, alert_ext_id FROM incident_alerts")?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        {
            let (i, a) = row?;
            members
                .entry(format!("incident:{i}"))
                .or_default()
                .insert(a);
        }
        let text = |v: &Option<SqlValue>| match v {
            Some(SqlValue::Text(t)) => t.clone(),
            Some(SqlValue::Integer(i)) => Severity::from_rank(*i).as_str().to_string(),
            _ => String::new(),
        };
        for (target, r) in replay {
            let Some(cur) = current.get(target) else {
                if !r.fields.is_empty() || !r.notes.is_empty() {
                    f.add(
                        "state",
                        true,
                        target,
                        format!(
                            "{target} was triaged in the log but is gone from the case (deleted)"
                        ),
                    );
                }
                continue;
            };
            let mut init: [Option<SqlValue>; 4] = [None, None, None, None];
            for (i, field) in ["status", "classification", "owner", "severity"]
                .iter()
                .enumerate()
            {
                let Some((first, last)) = r.fields.get(field) else {
                    continue;
                };
                let now = text(&cur[i]);
                if now != *last {
                    f.add(
                        "state",
                        true,
                        target,
                        format!(
                            "{target} {field} is {now:?} but the audit log last set it to {last:?}"
                        ),
                    );
                }
                init[i] = Some(if i == 3 {
                    SqlValue::Null
                } else {
                    SqlValue::Text(first.clone())
                });
            }
            if init.iter().any(Option::is_some) {
                initial.insert(target.clone(), init);
            }
        }
        let targets: BTreeSet<&String> = replay
            .keys()
            .chain(notes.keys())
            .chain(tags.keys())
            .chain(related.keys())
            .collect();
        let none = Replayed::default();
        for t in targets {
            let r = replay.get(t).unwrap_or(&none);
            let have = notes.get(t).cloned().unwrap_or_default();
            if have != r.notes {
                let msg = match (have.len(), r.notes.len()) {
                    (a, b) if a < b => format!("{t} has {a} notes but the audit log added {b}: a note was deleted"),
                    (a, b) if a > b => format!("{t} has {a} notes but the audit log added {b}: a note was added outside Caseboard"),
                    _ => {
                        let i = have.iter().zip(&r.notes).position(|(a, b)| a != b).unwrap_or(0);
                        format!("{t} note {} reads {:?} but the audit log recorded {:?}", i + 1, have[i].1, r.notes[i].1)
                    }
                };
                f.add("state", true, t, msg);
            }
            let have_tags = tags.get(t).cloned().unwrap_or_default();
            if have_tags != r.tags {
                let extra: Vec<_> = have_tags.difference(&r.tags).collect();
                let gone: Vec<_> = r.tags.difference(&have_tags).collect();
                f.add("state", true, t, format!("{t} tags differ from the audit log (not in the log: {extra:?}; missing: {gone:?})"));
            }
            let have_rel = related.get(t).cloned().unwrap_or_default();
            if have_rel != r.related {
                f.add("state", true, t, format!("{t} marked-related entities differ from the audit log (now {:?}, log {:?})", have_rel.keys().collect::<Vec<_>>(), r.related.keys().collect::<Vec<_>>()));
            }
            for (ext, present) in &r.members {
                let now = members.get(t).is_some_and(|m| m.contains(ext));
                if now != *present {
                    f.add(
                        "state",
                        true,
                        t,
                        format!(
                            "{t} {} alert {ext} but the audit log last {} it",
                            if now { "contains" } else { "does not contain" },
                            if *present { "added" } else { "removed" }
                        ),
                    );
                }
            }
        }
        // derived incidents: membership is exactly what correlation and hand edits made
        let derived_ids: Vec<(i64, String)> = conn
            .prepare("SELECT id, ext_id FROM incidents WHERE source_id IS NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, ext) in derived_ids {
            let t = format!("incident:{id}");
            let Some(made) = derived.get(&ext) else {
                f.add(
                    "state",
                    true,
                    &t,
                    format!("{t} ({ext}) has no audit entry that created it"),
                );
                continue;
            };
            let mut expect: BTreeSet<String> = made.iter().cloned().collect();
            if let Some(r) = replay.get(&t) {
                for (a, present) in &r.members {
                    if *present {
                        expect.insert(a.clone());
                    } else {
                        expect.remove(a);
                    }
                }
            }
            let now = members.get(&t).cloned().unwrap_or_default();
            if now != expect {
                let extra: Vec<_> = now.difference(&expect).collect();
                let gone: Vec<_> = expect.difference(&now).collect();
                f.add("state", true, &t, format!("{t} membership differs from the audit log (not in the log: {extra:?}; missing: {gone:?})"));
            }
        }
        Ok(initial)
    }

    /// The hash of audit entry `id`, if there is one.
    pub fn audit_entry_hash(&self, id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT hash FROM audit WHERE id = ?1", [id], |r| r.get(0))
            .optional()?)
    }
}

/// Rows of three text columns.
fn text_rows(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<(String, String, String)>> {
    Ok(conn
        .prepare(sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

fn empty_digest() -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::new().finalize())
}

#[allow(clippy::too_many_arguments)]
fn replay_entry(
    replay: &mut BTreeMap<String, Replayed>,
    imports: &mut BTreeMap<i64, (i64, Value)>,
    derived: &mut BTreeMap<String, Vec<String>>,
    id: i64,
    action: &str,
    target: &str,
    actor: &str,
    d: &Value,
) {
    let field: Option<&'static str> = match action {
        "status" => Some("status"),
        "classification" => Some("classification"),
        "owner" => Some("owner"),
        "severity" => Some("severity"),
        _ => None,
    };
    if let Some(field) = field {
        let r = replay.entry(target.to_string()).or_default();
        let (old, new) = (s(&d["old"]), s(&d["new"]));
        r.fields
            .entry(field)
            .and_modify(|e| e.1 = new.clone())
            .or_insert((old, new));
        return;
    }
    match action {
        "note" => replay
            .entry(target.to_string())
            .or_default()
            .notes
            .push((actor.to_string(), s(&d["text"]))),
        "tag" => {
            let r = replay.entry(target.to_string()).or_default();
            if let Some(a) = d["added"].as_str() {
                r.tags.insert(a.to_string());
            }
            if let Some(a) = d["removed"].as_str() {
                r.tags.remove(a);
            }
        }
        "mark_related" => {
            replay
                .entry(target.to_string())
                .or_default()
                .related
                .insert(s(&d["entity"]), s(&d["reason"]));
        }
        "incident.add_alert" | "incident.remove_alert" => {
            replay
                .entry(target.to_string())
                .or_default()
                .members
                .insert(s(&d["alert_ext_id"]), action == "incident.add_alert");
        }
        "incident.correlate" => {
            for c in d["created"].as_array().into_iter().flatten() {
                let alerts = c["alerts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(s)
                    .collect();
                derived.insert(s(&c["ext_id"]), alerts);
            }
        }
        "import" => {
            if let Some(src) = target
                .strip_prefix("source:")
                .and_then(|n| n.parse::<i64>().ok())
            {
                imports.insert(src, (id, d.clone()));
            }
        }
        _ => {}
    }
}

/// "3, 7-9, 12" for a sorted list of ids (at most 10 runs shown).
fn span(ids: &[i64]) -> String {
    let mut runs: Vec<(i64, i64)> = vec![];
    for &i in ids {
        match runs.last_mut() {
            Some(r) if r.1 + 1 == i => r.1 = i,
            _ => runs.push((i, i)),
        }
    }
    let mut out: Vec<String> = runs
        .iter()
        .take(10)
        .map(|(a, b)| {
            if a == b {
                format!("#{a}")
            } else {
                format!("#{a}-{b}")
            }
        })
        .collect();
    if runs.len() > 10 {
        out.push("…".into());
    }
    out.join(", ")
}
