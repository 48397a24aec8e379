//! Order-independent merging and relations derived at the end of an import.

use rusqlite::{params, Transaction};
use serde_json::Value;
use std::collections::BTreeSet;

/// Whether `a` should replace `b` when two records disagree on a property: the smaller
/// value wins (text order of the JSON), so a merge does not depend on import order.
pub(crate) fn smaller(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    t(a) < t(b)
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
        for s in &sessions {
            for h in &hosts {
                let exists: bool = tx
                    .prepare_cached("SELECT EXISTS(SELECT 1 FROM relations WHERE src = ?1 AND kind = ?2 AND dst = ?3)")?
                    .query_row(params![s, SESSION_FROM_HOST, h], |r| r.get(0))?;
                if !exists {
                    tx.prepare_cached(
                        "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, ?3, ?4, NULL, NULL)",
                    )?
                    .execute(params![s, h, SESSION_FROM_HOST, format!("{{\"via_ip\":{}}}", Value::String(ip.clone()))])?;
                    added += 1;
                }
            }
        }
    }
    Ok(added)
}
