//! What the property pane shows of a node, in bounded work whatever the node's size: the
//! node's own fields, counts of its neighbours per type, first/last seen, its alerts, the
//! first entities it is linked to, its provenance grouped per evidence file with record
//! ranges — never the list of all its relations (a busy host has tens of thousands) — and its
//! timeline as counts first (per source, a histogram over time), then pages by time.
//!
//! Every statement reads the node's relations through the `relations_src`/`relations_dst`
//! indexes; user input (times, sources) is bound, never spliced.

use crate::Result;
use cb_domain::{NodeId, Severity};
use cb_store::SqliteStore;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

/// Neighbours of the node, each once, with the relation that links it, the relation's
/// provenance and how many records said so.
const NEIGHBOURS: &str = "nb AS (
    SELECT r.src AS o, r.kind AS k, r.source_id AS sid, r.record AS rec, r.n AS n FROM relations r WHERE r.dst = ?1
    UNION ALL
    SELECT r.dst, r.kind, r.source_id, r.record, r.n FROM relations r WHERE r.src = ?1)";

/// The node's dated items: the events and alerts it is linked to (an incident: its alerts).
const ITEMS: &str = "ev AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'event:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'event:%'),
 al AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'alert:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'alert:%'
    UNION SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE 'incident:' || ia.incident_id = ?1),
 items AS (
    SELECT 'event:' || e.id AS id, e.time AS time, e.source AS source, e.summary AS label FROM ev JOIN events e ON e.id = ev.n
    UNION ALL
    SELECT 'alert:' || a.id, a.start_time, 'alert', a.name FROM al JOIN alerts a ON a.id = al.n)";

/// Neighbour counts per node type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NeighbourCounts {
    pub alerts: u64,
    pub incidents: u64,
    pub entities: u64,
    pub events: u64,
}

/// A node the pane lists (an alert, an entity), with the relation that links it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Linked {
    pub id: NodeId,
    /// `alert` or the entity kind.
    pub kind: String,
    pub label: String,
    pub relation: String,
    pub severity: Option<Severity>,
    pub status: Option<String>,
    pub time: Option<String>,
}

/// The node's provenance from one evidence file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProvenanceFile {
    pub file: String,
    /// Stored relations citing the file, and how many records said them.
    pub links: u64,
    pub records_said: u64,
    /// Distinct first records cited, as ranges ("1–4, 7"), at most 12 ranges (then "…").
    pub records: String,
    pub record_count: u64,
}

/// `caseboard show`'s counterpart for the pane: bounded whatever the node's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Overview {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub counts: NeighbourCounts,
    /// Its alerts (an incident's: the alerts it contains), by time, at most 500.
    pub alerts: Vec<Linked>,
    /// The first 200 entities it is linked to (by id); `counts.entities` has them all.
    pub entities: Vec<Linked>,
    pub provenance: Vec<ProvenanceFile>,
}

pub const ENTITY_PAGE: usize = 200;

fn node_param(id: NodeId) -> Value {
    Value::Text(id.to_string())
}

pub fn overview(store: &SqliteStore, id: NodeId) -> Result<Overview> {
    let fields = store.node_fields(id)?;
    let label = store.label(id)?;
    let c = store.conn();
    let mut counts = NeighbourCounts::default();
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {NEIGHBOURS} SELECT substr(o, 1, instr(o, ':') - 1), count(DISTINCT o) FROM nb GROUP BY 1"
        ))?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        for r in rows {
            let (t, n) = r?;
            match t.as_str() {
                "alert" => counts.alerts = n,
                "incident" => counts.incidents = n,
                "entity" => counts.entities = n,
                "event" => counts.events = n,
                _ => {}
            }
        }
    }
    let (first_seen, last_seen) = {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {ITEMS} SELECT min(time), max(time) FROM items WHERE time IS NOT NULL"
        ))?;
        stmt.query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
    };
    let (first_seen, last_seen) = match id {
        // an alert's own span, an event's own time, before what it links to
        NodeId::Alert(_) | NodeId::Incident(_) | NodeId::Event(_) => {
            let own = |k: &[&str]| {
                k.iter()
                    .find_map(|k| fields.get(*k).and_then(|v| v.as_str()).map(String::from))
            };
            (
                own(&["start_time", "first_activity", "time"]).or(first_seen),
                own(&["end_time", "last_activity", "time"]).or(last_seen),
            )
        }
        NodeId::Entity(_) => (first_seen, last_seen),
    };
    let mut alerts = vec![];
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {ITEMS} SELECT a.id, a.name, a.severity, a.status, a.start_time FROM al JOIN alerts a ON a.id = al.n
             ORDER BY a.start_time IS NULL, a.start_time, a.id LIMIT 500"
        ))?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok(Linked {
                id: NodeId::Alert(r.get(0)?),
                kind: "alert".into(),
                label: r.get(1)?,
                relation: "involves".into(),
                severity: r.get::<_, Option<i64>>(2)?.map(Severity::from_rank),
                status: r.get(3)?,
                time: r.get(4)?,
            })
        })?;
        for r in rows {
            alerts.push(r?);
        }
    }
    if matches!(id, NodeId::Incident(_)) {
        counts.alerts = counts.alerts.max(alerts.len() as u64);
    }
    let mut entities = vec![];
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {NEIGHBOURS} SELECT en.id, en.kind, en.label, min(nb.k) FROM nb JOIN entities en ON en.id = CAST(substr(nb.o, 8) AS INTEGER)
             WHERE nb.o LIKE 'entity:%' GROUP BY en.id ORDER BY en.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(rusqlite::params![id.to_string(), ENTITY_PAGE as i64], |r| {
            Ok(Linked {
                id: NodeId::Entity(r.get(0)?),
                kind: r.get(1)?,
                label: r.get(2)?,
                relation: r.get(3)?,
                severity: None,
                status: None,
                time: None,
            })
        })?;
        for r in rows {
            entities.push(r?);
        }
    }
    Ok(Overview {
        id,
        kind: id.kind().into(),
        label,
        provenance: provenance(store, id, &fields)?,
        fields,
        first_seen,
        last_seen,
        counts,
        alerts,
        entities,
    })
}

fn provenance(
    store: &SqliteStore,
    id: NodeId,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<ProvenanceFile>> {
    let c = store.conn();
    let mut out: Vec<(Option<i64>, ProvenanceFile)> = vec![];
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {NEIGHBOURS} SELECT nb.sid, coalesce(s.path, ''), count(*), sum(nb.n), count(DISTINCT nb.rec)
             FROM nb LEFT JOIN sources s ON s.id = nb.sid GROUP BY nb.sid ORDER BY count(*) DESC, nb.sid"
        ))?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                ProvenanceFile {
                    file: r.get(1)?,
                    links: r.get::<_, i64>(2)? as u64,
                    records_said: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                    records: String::new(),
                    record_count: r.get::<_, i64>(4)? as u64,
                },
            ))
        })?;
        for r in rows {
            out.push(r?);
        }
    }
    // record ranges per file: consecutive records share `rec - row_number()`
    let mut stmt = c.prepare_cached(&format!(
        "WITH {NEIGHBOURS}, d AS (SELECT DISTINCT sid, rec FROM nb WHERE rec IS NOT NULL),
         g AS (SELECT sid, rec, rec - row_number() OVER (PARTITION BY sid ORDER BY rec) AS grp FROM d)
         SELECT sid, min(rec), max(rec) FROM g GROUP BY sid, grp ORDER BY sid, min(rec)"
    ))?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok((
            r.get::<_, Option<i64>>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut ranges: std::collections::HashMap<Option<i64>, Vec<(i64, i64)>> = Default::default();
    for r in rows {
        let (sid, a, b) = r?;
        ranges.entry(sid).or_default().push((a, b));
    }
    for (sid, p) in out.iter_mut() {
        p.records = fmt_ranges(ranges.get(sid).map(Vec::as_slice).unwrap_or(&[]));
    }
    // the node's own record (entities, alerts, events keep the first record that named them)
    if let (Some(sid), Some(rec)) = (
        fields.get("source_id").and_then(|v| v.as_i64()),
        fields.get("record").and_then(|v| v.as_i64()),
    ) {
        if !out.iter().any(|(s, _)| *s == Some(sid)) {
            let file: Option<String> = c
                .prepare_cached("SELECT path FROM sources WHERE id = ?1")?
                .query_row([sid], |r| r.get(0))
                .ok();
            out.push((
                Some(sid),
                ProvenanceFile {
                    file: file.unwrap_or_default(),
                    links: 0,
                    records_said: 1,
                    records: rec.to_string(),
                    record_count: 1,
                },
            ));
        }
    }
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

fn fmt_ranges(r: &[(i64, i64)]) -> String {
    let mut parts: Vec<String> = r
        .iter()
        .take(12)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    if r.len() > 12 {
        parts.push("…".into());
    }
    parts.join(", ")
}

/// A timeline question: the node's items in `[from, to]` of these sources (empty = all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelineRequest {
    pub node: NodeId,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: Option<usize>,
}

impl TimelineRequest {
    /// Everything of `node`, first page.
    pub fn of(node: NodeId) -> TimelineRequest {
        TimelineRequest {
            node,
            sources: vec![],
            from: None,
            to: None,
            limit: None,
            offset: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceCount {
    pub source: String,
    pub count: u64,
}

/// One bar of the histogram: items from `from` for `TimelinePage::bucket_secs` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Bucket {
    pub from: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelineItem {
    pub id: NodeId,
    pub time: Option<String>,
    /// The event's log source, or `alert`.
    pub source: String,
    pub label: String,
}

/// NeighbourCounts first, then one page by time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelinePage {
    /// Every dated or undated item of the node.
    pub all: u64,
    /// Items matching the sources and the time range.
    pub total: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Per source, within the time range (so a source filter shows what it would give).
    pub sources: Vec<SourceCount>,
    /// The whole span of the chosen sources, about 60 bars (the brush picks `from`/`to`).
    pub buckets: Vec<Bucket>,
    pub bucket_secs: i64,
    pub offset: usize,
    pub items: Vec<TimelineItem>,
}

const FILTER: &str = "(?2 IS NULL OR time >= ?2) AND (?3 IS NULL OR time <= ?3) AND (?4 IS NULL OR source IN (SELECT value FROM json_each(?4)))";

fn norm_time(t: &Option<String>) -> Value {
    match t.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Value::Text(cb_domain::time::normalize(s).unwrap_or_else(|| s.to_string())),
        None => Value::Null,
    }
}

pub fn timeline(store: &SqliteStore, req: &TimelineRequest) -> Result<TimelinePage> {
    let c = store.conn();
    let sources = if req.sources.is_empty() {
        Value::Null
    } else {
        Value::Text(serde_json::to_string(&req.sources).unwrap_or_default())
    };
    let p = |from: Value, to: Value, src: Value| vec![node_param(req.node), from, to, src];
    let one = |sql: &str, vals: Vec<Value>| -> Result<(i64, Option<String>, Option<String>)> {
        let mut stmt = c.prepare_cached(sql)?;
        crate::explore::bind_all(&mut stmt, &vals)?;
        let mut rows = stmt.raw_query();
        Ok(match rows.next()? {
            Some(r) => (r.get(0)?, r.get(1)?, r.get(2)?),
            None => (0, None, None),
        })
    };
    let (all, _, _) = one(
        &format!("WITH {ITEMS} SELECT count(*), NULL, NULL FROM items"),
        vec![node_param(req.node)],
    )?;
    let (from, to) = (norm_time(&req.from), norm_time(&req.to));
    let (total, _, _) = one(
        &format!("WITH {ITEMS} SELECT count(*), NULL, NULL FROM items WHERE {FILTER}"),
        p(from.clone(), to.clone(), sources.clone()),
    )?;
    // the span of the chosen sources over all time: the histogram's range
    let (_, first, last) = one(
        &format!("WITH {ITEMS} SELECT 0, min(time), max(time) FROM items WHERE time IS NOT NULL AND {FILTER}"),
        p(Value::Null, Value::Null, sources.clone()),
    )?;
    let mut per_source = vec![];
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {ITEMS} SELECT source, count(*) FROM items WHERE {FILTER} GROUP BY source ORDER BY count(*) DESC, source"
        ))?;
        crate::explore::bind_all(&mut stmt, &p(from.clone(), to.clone(), Value::Null))?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            per_source.push(SourceCount {
                source: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
            });
        }
    }
    let (mut buckets, mut bucket_secs) = (vec![], 0);
    if let (Some(f), Some(l)) = (
        first.as_deref().and_then(epoch),
        last.as_deref().and_then(epoch),
    ) {
        bucket_secs = nice_width((l - f).max(1) / 60 + 1);
        let start = f - f.rem_euclid(bucket_secs);
        let mut stmt = c.prepare_cached(&format!(
            "WITH {ITEMS} SELECT (CAST(strftime('%s', substr(time, 1, 19)) AS INTEGER) - ?5) / ?6 AS b, count(*)
             FROM items WHERE time IS NOT NULL AND {FILTER} GROUP BY b ORDER BY b"
        ))?;
        let mut vals = p(Value::Null, Value::Null, sources.clone());
        vals.push(Value::Integer(start));
        vals.push(Value::Integer(bucket_secs));
        crate::explore::bind_all(&mut stmt, &vals)?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            let b: Option<i64> = r.get(0)?;
            let Some(b) = b else { continue };
            buckets.push(Bucket {
                from: fmt_epoch(start + b * bucket_secs),
                count: r.get::<_, i64>(1)? as u64,
            });
        }
    }
    let limit = req.limit.unwrap_or(200).min(5000);
    let offset = req.offset.unwrap_or(0);
    let mut items = vec![];
    {
        let mut stmt = c.prepare_cached(&format!(
            "WITH {ITEMS} SELECT id, time, source, label FROM items WHERE {FILTER}
             ORDER BY time IS NULL, time, id LIMIT ?5 OFFSET ?6"
        ))?;
        let mut vals = p(from, to, sources);
        vals.push(Value::Integer(limit as i64));
        vals.push(Value::Integer(offset.min(i64::MAX as usize) as i64));
        crate::explore::bind_all(&mut stmt, &vals)?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let Ok(id) = id.parse::<NodeId>() else {
                continue;
            };
            items.push(TimelineItem {
                id,
                time: r.get(1)?,
                source: r.get(2)?,
                label: r.get(3)?,
            });
        }
    }
    Ok(TimelinePage {
        all: all as u64,
        total: total as u64,
        first,
        last,
        sources: per_source,
        buckets,
        bucket_secs,
        offset,
        items,
    })
}

fn epoch(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp())
}

fn fmt_epoch(s: i64) -> String {
    chrono::DateTime::from_timestamp(s, 0)
        .map(|d| cb_domain::time::format(&d))
        .unwrap_or_default()
}

/// The smallest of 1 s, 5 s, 15 s, 30 s, 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h,
/// 1 d, 7 d, 30 d at least `w` seconds.
fn nice_width(w: i64) -> i64 {
    const W: &[i64] = &[
        1, 5, 15, 30, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2592000,
    ];
    W.iter().copied().find(|x| *x >= w).unwrap_or(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_widths() {
        assert_eq!(fmt_ranges(&[(1, 4), (7, 7), (9, 10)]), "1–4, 7, 9–10");
        let many: Vec<(i64, i64)> = (0..20).map(|i| (i * 3, i * 3)).collect();
        assert!(fmt_ranges(&many).ends_with(", …"));
        assert_eq!(nice_width(1), 1);
        assert_eq!(nice_width(61), 300);
        assert_eq!(nice_width(90_000), 604800);
    }
}
