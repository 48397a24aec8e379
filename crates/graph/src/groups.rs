//! Aggregation: an exploration query's result as counted groups instead of one node per
//! member. Events group by log source and EventID ("Sysmon 10 · process access · 13,469"),
//! entities by kind ("IPs · 1,950"). A group is opened as a paged table of its members
//! ([`members`]) and members picked there are put on the map one by one.
//!
//! Every statement runs over the query's own SQL set (see `explore`), so a group's count and
//! its member pages come from the same rows the plain expansion would page over: the counts of
//! a query's groups always add up to the query's count.

use crate::explore::{bind_all, query_set, QuerySet, Returns};
use crate::{GraphError, Result};
use cb_domain::NodeId;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Entity expansions larger than this become counted groups per kind (the window's setting
/// overrides it).
pub const DEFAULT_THRESHOLD: usize = 50;

/// Which members of which query a group holds: the query from `parent`, narrowed to one
/// source and EventID (events; `event_id` may be absent in the log) or one entity kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupKey {
    pub parent: NodeId,
    pub query: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// The rest of a source: its events whose EventID is none of these (the EventIDs that
    /// have groups of their own when a query has more than [`MAX_GROUPS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rest_of: Option<Vec<String>>,
}

/// Most groups one query adds: the largest `MAX_GROUPS - 1` EventIDs keep their own group,
/// the others fold into one "other EventIDs" group per source.
pub const MAX_GROUPS: usize = 12;

/// One counted group of a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupInfo {
    pub key: GroupKey,
    /// "Sysmon 10 · process access · 13,469", "IPs · 1,950".
    pub label: String,
    /// `event` or the entity kind of the members.
    pub member_kind: String,
    pub count: u64,
    /// Earliest and latest member time (events only).
    pub first: Option<String>,
    pub last: Option<String>,
}

/// A node a member row names (an event's entities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Named {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
}

/// One member of a group as its table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    pub time: Option<String>,
    /// The entities an event mentions (first 8), empty for entities.
    pub entities: Vec<Named>,
}

/// A page of a group's members (events by time, entities by label), with the count of all
/// members matching the text filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberPage {
    pub total: u64,
    pub offset: usize,
    pub members: Vec<Member>,
}

/// Whether a query's result is shown as groups: events always, entities above `threshold`.
/// Alerts and incidents never (they are few and each matters).
pub fn should_group(
    store: &cb_store::SqliteStore,
    node: NodeId,
    query: &str,
    threshold: usize,
) -> Result<bool> {
    let set = query_set(store, node, query)?;
    Ok(match set.returns {
        Returns::Events => true,
        Returns::Entities => distinct_count(store, &set)? > threshold as u64,
        Returns::Alerts | Returns::Incidents => false,
    })
}

fn distinct_count(store: &cb_store::SqliteStore, set: &QuerySet) -> Result<u64> {
    let sql = format!("SELECT count(DISTINCT n) FROM ({})", set.sql);
    let mut stmt = store.conn().prepare_cached(&sql)?;
    bind_all(&mut stmt, &set.params)?;
    let mut rows = stmt.raw_query();
    Ok(match rows.next()? {
        Some(r) => r.get::<_, i64>(0)? as u64,
        None => 0,
    })
}

/// The groups of one query from `node`, largest first.
pub fn groups(store: &cb_store::SqliteStore, node: NodeId, query: &str) -> Result<Vec<GroupInfo>> {
    let set = query_set(store, node, query)?;
    let key = |source: Option<String>, event_id: Option<String>, kind: Option<String>| GroupKey {
        parent: node,
        query: query.to_string(),
        source,
        event_id,
        kind,
        rest_of: None,
    };
    let mut out = vec![];
    match set.returns {
        Returns::Events => {
            let sql = format!(
                "SELECT e.source, e.event_id, count(*), min(e.time), max(e.time)
                 FROM (SELECT DISTINCT n FROM ({})) s JOIN events e ON e.id = s.n
                 GROUP BY e.source, e.event_id ORDER BY count(*) DESC, e.source, e.event_id",
                set.sql
            );
            let mut stmt = store.conn().prepare_cached(&sql)?;
            bind_all(&mut stmt, &set.params)?;
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next()? {
                let (source, eid): (String, Option<String>) = (r.get(0)?, r.get(1)?);
                let count = r.get::<_, i64>(2)? as u64;
                out.push(GroupInfo {
                    label: event_label(&source, eid.as_deref(), count),
                    key: key(Some(source), eid, None),
                    member_kind: "event".into(),
                    count,
                    first: r.get(3)?,
                    last: r.get(4)?,
                });
            }
        }
        Returns::Entities => {
            let sql = format!(
                "SELECT e.kind, count(*) FROM (SELECT DISTINCT n FROM ({})) s JOIN entities e ON e.id = s.n
                 GROUP BY e.kind ORDER BY count(*) DESC, e.kind",
                set.sql
            );
            let mut stmt = store.conn().prepare_cached(&sql)?;
            bind_all(&mut stmt, &set.params)?;
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next()? {
                let kind: String = r.get(0)?;
                let count = r.get::<_, i64>(1)? as u64;
                out.push(GroupInfo {
                    label: format!("{} · {}", plural(&kind), thousands(count)),
                    key: key(None, None, Some(kind.clone())),
                    member_kind: kind,
                    count,
                    first: None,
                    last: None,
                });
            }
        }
        Returns::Alerts | Returns::Incidents => {
            return Err(GraphError::Invalid(format!(
                "query {query:?} of {node} returns alerts or incidents, which are never grouped"
            )))
        }
    }
    Ok(fold_small(out))
}

/// Keep the largest event groups and fold the others into one group per source.
fn fold_small(mut out: Vec<GroupInfo>) -> Vec<GroupInfo> {
    if out.len() <= MAX_GROUPS || out.iter().any(|g| g.member_kind != "event") {
        return out;
    }
    let tail = out.split_off(MAX_GROUPS - 1);
    let mut rest: Vec<GroupInfo> = vec![];
    for g in tail {
        let src = g.key.source.clone().unwrap_or_default();
        let kept: Vec<String> = out
            .iter()
            .filter(|k| k.key.source.as_deref() == Some(&src))
            .filter_map(|k| k.key.event_id.clone())
            .collect();
        match rest
            .iter_mut()
            .find(|r| r.key.source.as_deref() == Some(&src))
        {
            Some(r) => {
                r.count += g.count;
                r.first = r
                    .first
                    .clone()
                    .min(g.first.clone())
                    .or(r.first.clone())
                    .or(g.first);
                r.last = r.last.clone().max(g.last.clone());
            }
            None => rest.push(GroupInfo {
                key: GroupKey {
                    event_id: None,
                    rest_of: Some(kept),
                    ..g.key.clone()
                },
                ..g
            }),
        }
    }
    for r in &mut rest {
        let n = r.key.rest_of.as_ref().map_or(0, Vec::len);
        let src = r.key.source.clone().unwrap_or_default();
        r.label = if n == 0 {
            format!("{src} · all EventIDs · {}", thousands(r.count))
        } else {
            format!("{src} · other EventIDs · {}", thousands(r.count))
        };
    }
    out.extend(rest);
    out
}

/// The member statement of a group: `SELECT id, label, time, kind` over the group, filtered by
/// `?6` (source or kind), `?7` (EventID), `?8` (text, or NULL).
fn member_sql(set: &QuerySet, key: &GroupKey) -> Result<String> {
    let base = format!("(SELECT DISTINCT n FROM ({})) s", set.sql);
    Ok(match (set.returns, &key.source, &key.kind) {
        (Returns::Events, Some(_), _) if key.rest_of.is_some() => format!(
            "SELECT e.id, e.summary, e.time, 'event' FROM {base} JOIN events e ON e.id = s.n
             WHERE e.source = ?6 AND (e.event_id IS NULL OR e.event_id NOT IN (SELECT value FROM json_each(?9)))
               AND (?8 IS NULL OR instr(lower(e.summary), lower(?8)) > 0)"
        ),
        (Returns::Events, Some(_), _) => format!(
            "SELECT e.id, e.summary, e.time, 'event' FROM {base} JOIN events e ON e.id = s.n
             WHERE e.source = ?6 AND e.event_id IS ?7 AND (?8 IS NULL OR instr(lower(e.summary), lower(?8)) > 0)"
        ),
        (Returns::Entities, _, Some(_)) => format!(
            "SELECT e.id, e.label, NULL, e.kind FROM {base} JOIN entities e ON e.id = s.n
             WHERE e.kind = ?6 AND (?8 IS NULL OR instr(lower(e.label), lower(?8)) > 0)"
        ),
        _ => {
            return Err(GraphError::Invalid(format!(
                "group of {} {:?} names neither a source (events) nor a kind (entities)",
                key.parent, key.query
            )))
        }
    })
}

fn member_params(set: &QuerySet, key: &GroupKey, text: Option<&str>) -> Vec<Value> {
    let mut p = set.params.clone();
    let t = |s: &Option<String>| s.clone().map(Value::Text).unwrap_or(Value::Null);
    p.push(if key.source.is_some() {
        t(&key.source)
    } else {
        t(&key.kind)
    });
    p.push(t(&key.event_id));
    p.push(
        text.filter(|s| !s.trim().is_empty())
            .map(|s| Value::Text(s.trim().to_string()))
            .unwrap_or(Value::Null),
    );
    p.push(Value::Text(
        serde_json::to_string(key.rest_of.as_deref().unwrap_or(&[])).unwrap_or_default(),
    ));
    p
}

/// Whether two keys name the same members: equal, or the same source/EventID of the events
/// of the same node through `events` and `events:<source>`.
pub fn same_members(a: &GroupKey, b: &GroupKey) -> bool {
    let events = |q: &str| q == "events" || q.starts_with("events:");
    a == b
        || (a.parent == b.parent
            && events(&a.query)
            && events(&b.query)
            && a.rest_of.is_none()
            && b.rest_of.is_none()
            && a.source.is_some()
            && a.source == b.source
            && a.event_id == b.event_id)
}

/// A page of the group's members matching `text` (case-insensitive substring of the summary
/// or label; `None` = all), events by time, entities by label.
pub fn members(
    store: &cb_store::SqliteStore,
    key: &GroupKey,
    text: Option<&str>,
    limit: usize,
    offset: usize,
) -> Result<MemberPage> {
    let set = query_set(store, key.parent, &key.query)?;
    let sel = member_sql(&set, key)?;
    let mut p = member_params(&set, key, text);
    let total: i64 = {
        let mut stmt = store
            .conn()
            .prepare_cached(&format!("SELECT count(*) FROM ({sel})"))?;
        bind_all(&mut stmt, &p)?;
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(r) => r.get(0)?,
            None => 0,
        }
    };
    p[3] = Value::Integer(limit.min(10_000) as i64);
    p[4] = Value::Integer(offset.min(i64::MAX as usize) as i64);
    let order = if set.returns == Returns::Events {
        "ORDER BY 3, 1"
    } else {
        "ORDER BY 2, 1"
    };
    let mut page = vec![];
    {
        let mut stmt = store
            .conn()
            .prepare_cached(&format!("{sel} {order} LIMIT ?4 OFFSET ?5"))?;
        bind_all(&mut stmt, &p)?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(0)?;
            let kind: String = r.get(3)?;
            page.push(Member {
                id: if set.returns == Returns::Events {
                    NodeId::Event(n)
                } else {
                    NodeId::Entity(n)
                },
                label: r.get(1)?,
                time: r.get(2)?,
                kind,
                entities: vec![],
            });
        }
    }
    for m in page.iter_mut().filter(|m| matches!(m.id, NodeId::Event(_))) {
        m.entities = mentioned(store, m.id)?;
    }
    Ok(MemberPage {
        total: total as u64,
        offset,
        members: page,
    })
}

/// The first 8 entities an event names.
fn mentioned(store: &cb_store::SqliteStore, ev: NodeId) -> Result<Vec<Named>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT DISTINCT en.id, en.kind, en.label FROM relations r JOIN entities en ON en.id = CAST(substr(r.dst, 8) AS INTEGER)
         WHERE r.src = ?1 AND r.dst LIKE 'entity:%' ORDER BY en.id LIMIT 8",
    )?;
    let rows = stmt.query_map([ev.to_string()], |r| {
        Ok(Named {
            id: NodeId::Entity(r.get(0)?),
            kind: r.get(1)?,
            label: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every member id of the group (to check that nodes put on the map from it belong to it).
pub fn member_ids(store: &cb_store::SqliteStore, key: &GroupKey) -> Result<HashSet<NodeId>> {
    let set = query_set(store, key.parent, &key.query)?;
    let sel = member_sql(&set, key)?;
    let p = member_params(&set, key, None);
    let mut stmt = store
        .conn()
        .prepare_cached(&format!("SELECT id FROM ({sel})"))?;
    bind_all(&mut stmt, &p)?;
    let mut rows = stmt.raw_query();
    let mut out = HashSet::new();
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(0)?;
        out.insert(if set.returns == Returns::Events {
            NodeId::Event(n)
        } else {
            NodeId::Entity(n)
        });
    }
    Ok(out)
}

/// `13469` → `13,469`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `process` → `Processes`, `ip` → `IPs`.
pub fn plural(kind: &str) -> String {
    match kind {
        "ip" => "IPs".into(),
        "dns" => "DNS names".into(),
        "host-logon-session" => "Logon sessions".into(),
        "filehash" => "File hashes".into(),
        "process" => "Processes".into(),
        "registry-key" => "Registry keys".into(),
        "registry-value" => "Registry values".into(),
        "url" => "URLs".into(),
        k => {
            let mut c = k.chars();
            match c.next() {
                Some(f) => format!("{}{}s", f.to_uppercase(), c.as_str()),
                None => "Entities".into(),
            }
        }
    }
}

/// What a Windows EventID records, for the group label (Sysmon's event types; the Security
/// events analysts meet most).
fn event_name(source: &str, eid: &str) -> Option<&'static str> {
    let sysmon = match eid {
        "1" => "process create",
        "2" => "file time changed",
        "3" => "network connection",
        "4" => "Sysmon state",
        "5" => "process terminated",
        "6" => "driver loaded",
        "7" => "image loaded",
        "8" => "remote thread",
        "9" => "raw disk read",
        "10" => "process access",
        "11" => "file create",
        "12" => "registry create/delete",
        "13" => "registry value set",
        "14" => "registry rename",
        "15" => "file stream",
        "16" => "Sysmon config",
        "17" => "pipe created",
        "18" => "pipe connected",
        "19" | "20" | "21" => "WMI event",
        "22" => "DNS query",
        "23" => "file delete",
        "24" => "clipboard",
        "25" => "process tampering",
        "26" => "file delete logged",
        _ => "",
    };
    if source == "Sysmon" {
        return (!sysmon.is_empty()).then_some(sysmon);
    }
    Some(match eid {
        "4624" => "logon",
        "4625" => "failed logon",
        "4627" => "group membership",
        "4634" => "logoff",
        "4647" => "user logoff",
        "4648" => "explicit credentials",
        "4656" => "handle requested",
        "4658" => "handle closed",
        "4660" => "object deleted",
        "4661" => "SAM handle",
        "4662" => "AD object access",
        "4663" => "object access",
        "4672" => "special privileges",
        "4673" | "4674" => "privileged service",
        "4688" => "process create",
        "4689" => "process exit",
        "4690" => "handle duplicated",
        "4697" | "7045" => "service installed",
        "4698" => "scheduled task created",
        "4703" => "token rights adjusted",
        "4720" => "account created",
        "4732" => "added to local group",
        "4768" => "Kerberos TGT",
        "4769" => "Kerberos service ticket",
        "4776" => "NTLM validation",
        "4798" | "4799" => "group enumeration",
        "5140" => "share access",
        "5145" => "share object check",
        "5156" => "WFP connection allowed",
        "5158" => "WFP bind allowed",
        "4103" => "PowerShell pipeline",
        "4104" => "PowerShell script block",
        _ => return None,
    })
}

fn event_label(source: &str, eid: Option<&str>, count: u64) -> String {
    let name = eid.and_then(|e| event_name(source, e));
    match (eid, name) {
        (Some(e), Some(n)) => format!("{source} {e} · {n} · {}", thousands(count)),
        (Some(e), None) => format!("{source} {e} · {}", thousands(count)),
        (None, _) => format!("{source} · {}", thousands(count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_labels() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(13469), "13,469");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(
            event_label("Sysmon", Some("10"), 13469),
            "Sysmon 10 · process access · 13,469"
        );
        assert_eq!(event_label("Zeek", None, 3), "Zeek · 3");
        assert_eq!(plural("ip"), "IPs");
        assert_eq!(plural("host"), "Hosts");
    }
}
