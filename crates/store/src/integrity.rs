//! The sealed audit chain: every entry's hash covers the case id, its position, the previous
//! hash, the entry itself and the public key that signed it; every entry and the chain head
//! (entry count, head hash, a digest of the triage state) are signed with the analyst's
//! ed25519 key. The key lives outside the case (its path is passed in by the edge); the case
//! records the public key in a `key` audit entry the first time that key writes.
//!
//! An attacker who edits the SQLite file can truncate, rewrite or extend the log, but cannot
//! sign: truncation leaves the signed head count behind, a rehash breaks every signature, a
//! forged append has no valid signature of a trusted key, and a direct edit of triage state no
//! longer matches the signed state digest.

use crate::{Result, StoreError};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;

pub use ed25519_dalek::SigningKey as Key;

/// Migration 5: signatures on the audit log, the signed head, the case id, absolute source
/// paths.
pub const SCHEMA: &str = r#"
ALTER TABLE audit ADD COLUMN signer TEXT;   -- hex ed25519 public key ('' unsigned; NULL: written before migration 5)
ALTER TABLE audit ADD COLUMN sig TEXT;      -- hex signature of the entry hash
CREATE TABLE case_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO case_meta (k, v) VALUES ('case_id', lower(hex(randomblob(16))));
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,  -- how many audit entries the head covers
    head TEXT NOT NULL,        -- hash of the last one
    state TEXT NOT NULL,       -- digest of the triage state after it
    at TEXT NOT NULL,
    signer TEXT NOT NULL,
    sig TEXT NOT NULL
);
ALTER TABLE sources ADD COLUMN typed_path TEXT; -- the path as the analyst gave it (`path` is absolute)
ALTER TABLE sources ADD COLUMN skipped_summary TEXT; -- JSON {total, by_reason}; `skipped` keeps the first 1,000
"#;

const ENTRY_DOMAIN: &[u8] = b"caseboard-audit-entry-v2\0";
const HEAD_DOMAIN: &[u8] = b"caseboard-audit-head-v2\0";
const SEAL_DOMAIN: &[u8] = b"caseboard-seal-v1\0";

/// The analyst's signing key, read from `path` or created there (mode 0600) on first use.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey> {
    let bad = |reason: String| StoreError::Key {
        path: path.into(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let hex_key = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .ok_or_else(|| bad("empty key file".into()))?;
            let bytes: [u8; 32] = hex::decode(hex_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("not a Caseboard key (64 hex digits expected)".into()))?;
            Ok(SigningKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| bad(format!("no randomness: {e}")))?;
            let key = SigningKey::from_bytes(&seed);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
            }
            // written whole under a private name, then linked into place: a process that reads
            // the key meanwhile never sees a half-written (empty) file, and when two create it
            // at once the first link wins and the other uses that key
            let tmp = path.with_file_name(format!(
                ".{}.{}-{}.tmp",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
                std::process::id(),
                hex::encode(&seed[..4])
            ));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let text = format!(
                "# Caseboard analyst signing key (ed25519 secret). Keep it private; never put it in a case.\n# public key fingerprint {}\n{}\n",
                fingerprint(&key.verifying_key()),
                hex::encode(seed)
            );
            let written = opts.open(&tmp).and_then(|mut f| {
                use std::io::Write;
                f.write_all(text.as_bytes()).and_then(|_| f.sync_all())
            });
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(bad(e.to_string()));
            }
            let linked = std::fs::hard_link(&tmp, path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                // another process created it meanwhile: use theirs
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_key(path),
                Err(e) => Err(bad(e.to_string())),
            }
        }
        Err(e) => Err(bad(e.to_string())),
    }
}

/// `SHA256:` and the first 32 hex digits of the SHA-256 of the public key.
pub fn fingerprint(vk: &VerifyingKey) -> String {
    fingerprint_hex(&hex::encode(vk.as_bytes()))
}

/// Fingerprint of a hex public key (as stored in the case).
pub fn fingerprint_hex(pubkey_hex: &str) -> String {
    let bytes = hex::decode(pubkey_hex).unwrap_or_default();
    let d = hex::encode(Sha256::digest(&bytes));
    format!("SHA256:{}", &d[..32])
}

fn part(h: &mut Sha256, s: &[u8]) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s);
}

/// Hash of an entry written since migration 5.
#[allow(clippy::too_many_arguments)]
pub(crate) fn entry_hash_v2(
    case_id: &str,
    id: i64,
    prev: &str,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    signer: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(ENTRY_DOMAIN);
    part(&mut h, case_id.as_bytes());
    part(&mut h, &id.to_le_bytes());
    for p in [prev, at, actor, action, target, detail, signer] {
        part(&mut h, p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn head_message(case_id: &str, entries: i64, head: &str, state: &str, at: &str) -> Vec<u8> {
    let mut m = HEAD_DOMAIN.to_vec();
    for p in [case_id, &entries.to_string(), head, state, at] {
        m.extend_from_slice(&(p.len() as u64).to_le_bytes());
        m.extend_from_slice(p.as_bytes());
    }
    m
}

pub(crate) fn entry_message(hash: &str) -> Vec<u8> {
    let mut m = ENTRY_DOMAIN.to_vec();
    m.extend_from_slice(hash.as_bytes());
    m
}

/// The message a seal signs.
pub fn seal_message(
    case_id: &str,
    entries: i64,
    head: &str,
    sealed_at: &str,
    actor: &str,
) -> Vec<u8> {
    let mut m = SEAL_DOMAIN.to_vec();
    for p in [case_id, &entries.to_string(), head, sealed_at, actor] {
        m.extend_from_slice(&(p.len() as u64).to_le_bytes());
        m.extend_from_slice(p.as_bytes());
    }
    m
}

/// Verify a hex signature of `msg` by a hex public key.
pub fn check_sig(pubkey_hex: &str, sig_hex: &str, msg: &[u8]) -> bool {
    let Some(pk) = hex::decode(pubkey_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = hex::decode(sig_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    pk.verify(msg, &sig).is_ok()
}

pub fn sign_hex(key: &SigningKey, msg: &[u8]) -> String {
    hex::encode(key.sign(msg).to_bytes())
}

pub fn pubkey_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().as_bytes())
}

/// The case's random id (migration 5).
pub fn case_id(conn: &Connection) -> Result<String> {
    Ok(conn
        .query_row("SELECT v FROM case_meta WHERE k = 'case_id'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_default())
}

/// Feed one SQLite value into a digest, typed and length-prefixed.
pub(crate) fn hash_value(h: &mut Sha256, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.update([0u8]),
        ValueRef::Integer(i) => {
            h.update([1u8]);
            h.update(i.to_le_bytes());
        }
        ValueRef::Real(f) => {
            h.update([2u8]);
            h.update(f.to_bits().to_le_bytes());
        }
        ValueRef::Text(t) => {
            h.update([3u8]);
            part(h, t);
        }
        ValueRef::Blob(b) => {
            h.update([4u8]);
            part(h, b);
        }
    }
}

/// The triage state queries whose rows the signed head's `state` digest covers, in order.
pub(crate) const STATE_QUERIES: &[&str] = &[
    "SELECT id, status, classification, owner, severity_override FROM alerts ORDER BY id",
    "SELECT id, status, classification, owner, severity_override FROM incidents ORDER BY id",
    "SELECT id, target, actor, text FROM notes ORDER BY id",
    "SELECT target, tag FROM tags ORDER BY target, tag",
    "SELECT target, entity, reason, actor FROM marked_related ORDER BY target, entity",
    "SELECT incident_id, alert_ext_id FROM incident_alerts ORDER BY incident_id, alert_ext_id",
];

/// Digest of the analyst-visible triage state (status, classification, owner, severity
/// override of every alert and incident; notes; tags; marked entities; incident membership).
pub fn state_digest(conn: &Connection) -> Result<String> {
    let mut h = Sha256::new();
    for q in STATE_QUERIES {
        part(&mut h, q.as_bytes());
        let mut stmt = conn.prepare_cached(q)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            for i in 0..n {
                hash_value(&mut h, r.get_ref(i)?);
            }
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// Append one audit entry: hash-chained, and signed when a key is given.
pub(crate) fn append(
    conn: &Connection,
    key: Option<&SigningKey>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    at: &str,
) -> Result<()> {
    let case_id = case_id(conn)?;
    let (last, prev): (i64, String) = conn
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, String::new()));
    let id = last + 1;
    let signer = key.map(pubkey_hex).unwrap_or_default();
    let hash = entry_hash_v2(
        &case_id, id, &prev, at, actor, action, target, detail, &signer,
    );
    let sig = key
        .map(|k| sign_hex(k, &entry_message(&hash)))
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO audit (id, at, actor, action, target, detail, prev_hash, hash, signer, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![id, at, actor, action, target, detail, prev, hash, signer, sig],
    )?;
    Ok(())
}

/// Before the first entry a key signs in this case, record its public key (and fingerprint)
/// in the log itself.
pub(crate) fn introduce_key(
    conn: &Connection,
    key: &SigningKey,
    actor: &str,
    at: &str,
) -> Result<()> {
    let pk = pubkey_hex(key);
    let known: Option<i64> = conn
        .query_row(
            "SELECT id FROM audit WHERE signer = ?1 LIMIT 1",
            [&pk],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_none() {
        let detail = serde_json::json!({"pubkey": pk, "fingerprint": fingerprint(&key.verifying_key()), "actor": actor});
        append(
            conn,
            Some(key),
            actor,
            "key",
            "case",
            &detail.to_string(),
            at,
        )?;
    }
    Ok(())
}

/// Re-sign the chain head (count, last hash, triage state) at the end of a write transaction.
pub(crate) fn sign_head(conn: &Connection, key: Option<&SigningKey>, at: &str) -> Result<()> {
    let case_id = case_id(conn)?;
    let (entries, head): (i64, String) = conn.query_row(
        "SELECT count(*), ifnull((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '') FROM audit",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let state = state_digest(conn)?;
    let (signer, sig) = match key {
        Some(k) => (
            pubkey_hex(k),
            sign_hex(k, &head_message(&case_id, entries, &head, &state, at)),
        ),
        None => (String::new(), String::new()),
    };
    conn.execute(
        "INSERT OR REPLACE INTO audit_head (id, entries, head, state, at, signer, sig) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![entries, head, state, at, signer, sig],
    )?;
    Ok(())
}

/// The signed head as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Head {
    pub entries: i64,
    pub head: String,
    pub state: String,
    pub at: String,
    pub signer: String,
    pub sig: String,
}

impl Head {
    pub fn signature_valid(&self, case_id: &str) -> bool {
        check_sig(
            &self.signer,
            &self.sig,
            &head_message(case_id, self.entries, &self.head, &self.state, &self.at),
        )
    }
}

pub fn head(conn: &Connection) -> Result<Option<Head>> {
    Ok(conn
        .query_row(
            "SELECT entries, head, state, at, signer, sig FROM audit_head WHERE id = 1",
            [],
            |r| {
                Ok(Head {
                    entries: r.get(0)?,
                    head: r.get(1)?,
                    state: r.get(2)?,
                    at: r.get(3)?,
                    signer: r.get(4)?,
                    sig: r.get(5)?,
                })
            },
        )
        .optional()?)
}

pub fn text_digest(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// One table whose rows an import writes, as its digests see them.
pub(crate) struct Table {
    pub name: &'static str,
    /// The columns no later action changes (triage columns last: they are the values at
    /// import, which `verify` recovers by replaying the log).
    pub cols: &'static str,
    /// How many of `cols` are triage columns.
    pub triage: usize,
    /// Row ids grow with insertion, so an import's rows are those above the highest id before
    /// it began. When false (ids chosen otherwise) its rows are told apart by `source_id` alone.
    pub ordered_ids: bool,
}

const fn table(name: &'static str, cols: &'static str, triage: usize) -> Table {
    Table {
        name,
        cols,
        triage,
        ordered_ids: true,
    }
}

/// The rows an import writes, per table.
pub(crate) const TABLES: &[Table] = &[
    table("events", "id, record, source, channel, event_id, time, summary, fields", 0),
    table("alerts", "id, ext_id, name, alert_type, severity, provider, product, vendor, description, remediation, tactics, techniques, start_time, end_time, generated, compromised_entity, resource_id, extended, contains_alerts, raw, record, status, classification, owner, severity_override", 4),
    table("incidents", "id, ext_id, reason, record, status, classification, owner, severity_override", 4),
    table("entities", "id, kind, key, strength, label, alias, record", 0),
    table("relations", "id, src, dst, kind, props, record, n", 0),
    // the zstd dictionaries events.fields are compressed with (cb-store `fields`): a
    // dictionary edited outside Caseboard changes what every field it decodes says. Its id
    // is the zstd dictionary id, not in insertion order.
    Table {
        ordered_ids: false,
        ..table("field_dicts", "id, source, dict", 0)
    },
    // the blocks events.fields are compressed in (cb-store `fields`, schema 9)
    table("field_blocks", "id, data", 0),
];

/// The highest row id of each of [`TABLES`] (before an import: its rows come after);
/// `i64::MIN` for a table whose ids are not in insertion order.
pub(crate) fn last_ids(conn: &Connection) -> Result<Vec<i64>> {
    TABLES
        .iter()
        .map(|t| {
            if !t.ordered_ids {
                return Ok(i64::MIN);
            }
            Ok(conn.query_row(
                &format!("SELECT ifnull(max(id), 0) FROM {}", t.name),
                [],
                |r| r.get(0),
            )?)
        })
        .collect()
}

/// Count and digest of the rows one table holds from one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableDigest {
    pub n: u64,
    pub digest: String,
}

/// Triage values of an alert or incident at import, as the log implies them (`None`: the
/// current value, no audit entry changed it).
pub(crate) type Initial = std::collections::HashMap<String, [Option<rusqlite::types::Value>; 4]>;

struct Acc {
    n: u64,
    h: Sha256,
}

fn feed_row(
    acc: &mut Acc,
    r: &rusqlite::Row<'_>,
    first_col: usize,
    ncols: usize,
    triage: usize,
    init: Option<&[Option<rusqlite::types::Value>; 4]>,
) -> rusqlite::Result<()> {
    acc.n += 1;
    for i in 0..ncols {
        let j = i + first_col;
        let t = (ncols - triage..ncols)
            .contains(&i)
            .then(|| i - (ncols - triage));
        match (t, init) {
            (Some(k), Some(init)) if init[k].is_some() => {
                let v = init[k]
                    .as_ref()
                    .map(ValueRef::from)
                    .unwrap_or(ValueRef::Null);
                hash_value(&mut acc.h, v);
            }
            _ => hash_value(&mut acc.h, r.get_ref(j)?),
        }
    }
    Ok(())
}

/// Digests of the rows of `source_id` (all with ids above `before`, the [`last_ids`] taken
/// when its import began).
pub(crate) fn import_digests(
    conn: &Connection,
    source_id: i64,
    before: &[i64],
) -> Result<std::collections::BTreeMap<String, TableDigest>> {
    let mut out = std::collections::BTreeMap::new();
    for (
        Table {
            name: t,
            cols,
            triage,
            ..
        },
        min,
    ) in TABLES.iter().zip(before)
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT {cols} FROM {t} WHERE id > ?1 AND source_id = ?2 ORDER BY id"
        ))?;
        let ncols = stmt.column_count();
        let mut acc = Acc {
            n: 0,
            h: Sha256::new(),
        };
        let mut rows = stmt.query(params![min, source_id])?;
        while let Some(r) = rows.next()? {
            feed_row(&mut acc, r, 0, ncols, *triage, None)?;
        }
        out.insert(
            t.to_string(),
            TableDigest {
                n: acc.n,
                digest: hex::encode(acc.h.finalize()),
            },
        );
    }
    Ok(out)
}

/// Digests per source of every table (one pass each), triage columns taken from `initial`.
pub(crate) fn all_digests(
    conn: &Connection,
    initial: &Initial,
) -> Result<std::collections::BTreeMap<i64, std::collections::BTreeMap<String, TableDigest>>> {
    let mut out: std::collections::BTreeMap<i64, std::collections::BTreeMap<String, TableDigest>> =
        Default::default();
    for Table {
        name: t,
        cols,
        triage,
        ..
    } in TABLES
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT source_id, {cols} FROM {t} WHERE source_id IS NOT NULL ORDER BY id"
        ))?;
        let ncols = stmt.column_count() - 1;
        let prefix = match *t {
            "alerts" => "alert:",
            "incidents" => "incident:",
            _ => "",
        };
        let mut accs: std::collections::BTreeMap<i64, Acc> = Default::default();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let src: i64 = r.get(0)?;
            let acc = accs.entry(src).or_insert_with(|| Acc {
                n: 0,
                h: Sha256::new(),
            });
            let init = if *triage > 0 {
                let id: i64 = r.get(1)?;
                initial.get(&format!("{prefix}{id}"))
            } else {
                None
            };
            feed_row(acc, r, 1, ncols, *triage, init)?;
        }
        for (src, acc) in accs {
            out.entry(src).or_default().insert(
                t.to_string(),
                TableDigest {
                    n: acc.n,
                    digest: hex::encode(acc.h.finalize()),
                },
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes and threads that need the key at the same moment all get the same one and
    /// never read a half-written file (CLI tests run many `caseboard` processes against one
    /// key path; one used to fail with "empty key file").
    #[test]
    fn a_key_created_by_many_at_once_is_one_key_and_never_read_half_written() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..20 {
            let path = dir.path().join(format!("k{round}.key"));
            let keys: Vec<_> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..8)
                    .map(|_| s.spawn(|| load_or_create_key(&path).map(|k| k.to_bytes())))
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let first = keys[0].as_ref().expect("key").to_owned();
            for k in &keys {
                assert_eq!(k.as_ref().expect("key"), &first);
            }
            assert_eq!(load_or_create_key(&path).unwrap().to_bytes(), first);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary key files left: {left:?}");
    }
}
