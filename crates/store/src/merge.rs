//! Order-independent merging and relations derived at the end of an import.

use rusqlite::{params, Transaction};
use serde_json::Value;
use std::collections::BTreeSet;

/// Whether `a` should replace `b` when two records disagree on a property: the smaller
/// value wins (text order), so a merge does not depend on import order.
pub(crate) fn smaller(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (a, b) = (t(a), t(b));
    if a.eq_ignore_ascii_case(&b) {
        // the same text in another case: keep the one with more lower case (`MSTICAlertsWin1`
        // over `MSTICALERTSWIN1`), the text-greater one
        a > b
    } else {
        a < b
    }
}

/// Whether a process record and a stored process (its props as JSON) are two processes: both
/// have a Sysmon `ProcessGuid` and the guids differ.
pub(crate) fn distinct_process(rec: &cb_domain::EntityRecord, stored: &str) -> bool {
    if rec.kind != "process" {
        return false;
    }
    let Some(mine) = rec.get("ProcessGuid") else {
        return false;
    };
    let theirs: serde_json::Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
    match theirs.get("ProcessGuid").and_then(Value::as_str) {
        Some(t) => {
            cb_domain::identity_win::normalize_guid(t)
                != cb_domain::identity_win::normalize_guid(&mine)
        }
        None => false,
    }
}

/// Relation kinds the end-of-file pass derives from (see [`link_session_hosts`]).
pub(crate) const SESSION_FROM_IP: &str = "from_ip";
pub(crate) const HOST_HAS_IP: &str = "has_ip";
pub(crate) const SESSION_FROM_HOST: &str = "from_host";

/// A logon session whose source IP is an address some host owns (learned from that host's own
/// records) comes `from_host` that host: the network logon becomes one host → session → host
/// step. Only the addresses this file linked are looked at; the relation is stored once
/// (no source: it is derived from both files, whichever came first).
pub(crate) fn link_session_hosts(
    tx: &Transaction,
    ips: &BTreeSet<String>,
) -> rusqlite::Result<u64> {
    let mut added = 0;
    for ip in ips {
        let src_of = |kind: &str| -> rusqlite::Result<Vec<String>> {
            let mut st = tx.prepare_cached(
                "SELECT DISTINCT src FROM relations WHERE dst = ?1 AND kind = ?2",
            )?;
            let rows = st.query_map(params![ip, kind], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        let sessions = src_of(SESSION_FROM_IP)?;
        if sessions.is_empty() {
            continue;
        }
        let hosts = src_of(HOST_HAS_IP)?;
        let label: String = tx
            .prepare_cached("SELECT label FROM entities WHERE id = CAST(substr(?1, 8) AS INTEGER)")?
            .query_row([ip], |r| r.get(0))
            .unwrap_or_default();
        for s in &sessions {
            // the host the session is on is not where it came from
            let on: Vec<String> = {
                let mut st = tx.prepare_cached(
                    "SELECT dst FROM relations WHERE src = ?1 AND kind = 'on_host'",
                )?;
                let rows = st.query_map([s], |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for h in hosts.iter().filter(|h| !on.contains(h)) {
                let exists: bool = tx
                    .prepare_cached("SELECT EXISTS(SELECT 1 FROM relations WHERE src = ?1 AND kind = ?2 AND dst = ?3)")?
                    .query_row(params![s, SESSION_FROM_HOST, h], |r| r.get(0))?;
                if !exists {
                    tx.prepare_cached(
                        "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, ?3, ?4, NULL, NULL)",
                    )?
                    .execute(params![s, h, SESSION_FROM_HOST, format!("{{\"via_ip\":{}}}", Value::String(label.clone()))])?;
                    added += 1;
                }
            }
        }
    }
    Ok(added)
}

/// A process whose creator was named by pid only (4688's `ProcessId`, a weak placeholder)
/// and, by another record of the same process, by guid (Sysmon 1's `ParentProcessGuid`) has
/// two parents that are one process: the placeholder is folded into the strong entity (its
/// relations and keys move there), so the parent chain has one node per process whichever
/// record came first. Returns how many placeholders were folded.
pub(crate) fn fold_parent_placeholders(
    tx: &Transaction,
    children: &BTreeSet<String>,
) -> rusqlite::Result<u64> {
    let mut folded = 0;
    for child in children {
        let parents: Vec<(i64, String, Option<String>)> = {
            let mut st = tx.prepare_cached(
                "SELECT DISTINCT e.id, e.strength, CAST(json_extract(e.props, '$.ProcessId') AS TEXT) FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
                 WHERE r.src = ?1 AND r.kind = 'ParentProcess' AND r.dst LIKE 'entity:%' AND e.kind = 'process'",
            )?;
            let rows = st.query_map([child], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let strong: Vec<&(i64, String, Option<String>)> =
            parents.iter().filter(|p| p.1 == "strong").collect();
        let [s] = strong.as_slice() else { continue };
        for w in parents.iter().filter(|p| p.1 == "weak") {
            if w.2.is_some() && s.2.is_some() && w.2 != s.2 {
                continue;
            }
            fold(tx, w.0, s.0)?;
            folded += 1;
        }
    }
    Ok(folded)
}

/// Move everything of entity `from` to entity `to` and delete `from`.
fn fold(tx: &Transaction, from: i64, to: i64) -> rusqlite::Result<()> {
    let (f, t) = (format!("entity:{from}"), format!("entity:{to}"));
    tx.prepare_cached("UPDATE relations SET src = ?2 WHERE src = ?1")?
        .execute(params![f, t])?;
    tx.prepare_cached("UPDATE relations SET dst = ?2 WHERE dst = ?1")?
        .execute(params![f, t])?;
    tx.prepare_cached("DELETE FROM relations WHERE src = ?1 AND dst = ?1")?
        .execute([&t])?;
    crate::event_counts::recount(tx, &[from, to])?;
    crate::co_mentions::recount(tx, &[from, to])?;
    tx.prepare_cached("UPDATE entity_keys SET entity_id = ?2 WHERE entity_id = ?1")?
        .execute(params![from, to])?;
    tx.prepare_cached("DELETE FROM entities WHERE id = ?1")?
        .execute([from])?;
    Ok(())
}
