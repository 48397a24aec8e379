//! What the property pane shows of a node, in bounded work whatever the node's size: the
//! node's own fields, counts of its neighbours per type, first/last seen, its alerts, the
//! first entities it is linked to, its provenance grouped per evidence file with record
//! ranges — never the list of all its relations (a busy host has tens of thousands) — and its
//! timeline as counts first (per source, a histogram over time), then pages by time.
//!
//! The timeline reads a node's items (time, id, source) in one statement and answers counts,
//! the histogram, filters and pages from them in memory; [`PaneCache`] keeps them for the case
//! session, so the pane and every later timeline request of that node cost O(page).
//!
//! Every statement reads the node's relations through the `relations_src`/`relations_dst`
//! indexes; user input (times, sources) is bound, never spliced.

use crate::Result;
use cb_domain::{NodeId, Severity};
use cb_store::SqliteStore;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// Neighbours of the node, each once, with the relation that links it, the relation's
/// provenance and how many records said so.
const NEIGHBOURS: &str = "nb AS (
    SELECT r.src AS o, r.kind AS k, r.source_id AS sid, r.record AS rec, r.n AS n FROM relations r WHERE r.dst = ?1
    UNION ALL
    SELECT r.dst, r.kind, r.source_id, r.record, r.n FROM relations r WHERE r.src = ?1)";

/// The node's alerts (an incident: the alerts it contains).
const ALERTS: &str = "al AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'alert:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'alert:%'
    UNION SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE 'incident:' || ia.incident_id = ?1)";

/// The node's dated items (events and alerts) with their time, for first/last seen.
const ITEMS: &str = "ev AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'event:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'event:%'),
 al AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'alert:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'alert:%'
    UNION SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE 'incident:' || ia.incident_id = ?1),
 items AS (
    SELECT e.time AS time FROM ev JOIN events e ON e.id = ev.n
    UNION ALL
    SELECT a.start_time FROM al JOIN alerts a ON a.id = al.n)";

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

pub fn overview(store: &SqliteStore, id: NodeId) -> Result<Overview> {
    overview_of(store, id)
}

/// [`overview`], remembered for the case session (a second click on the node costs nothing).
pub fn overview_with(store: &SqliteStore, cache: &mut PaneCache, id: NodeId) -> Result<Overview> {
    cache.check(store)?;
    if let Some((_, o)) = cache.overviews.iter().find(|(n, _)| *n == id) {
        return Ok((**o).clone());
    }
    let o = overview_of(store, id)?;
    if cache.overviews.len() >= OVERVIEWS {
        cache.overviews.remove(0);
    }
    cache.overviews.push((id, std::sync::Arc::new(o.clone())));
    Ok(o)
}

/// Overviews kept (the last ones opened).
const OVERVIEWS: usize = 32;

fn overview_of(store: &SqliteStore, id: NodeId) -> Result<Overview> {
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
            "WITH {ALERTS} SELECT a.id, a.name, a.severity, a.status, a.start_time FROM al JOIN alerts a ON a.id = al.n
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

/// A node's dated items as the timeline works on them: read in one statement, sorted by
/// (undated last, time, id), held in memory (see [`PaneCache`]) so counts, the histogram,
/// filters and every page after the first cost a pass over memory, never another scan.
#[derive(Debug, Clone)]
pub struct NodeItems {
    rows: Vec<ItemRow>,
    /// Source names; `ItemRow::source` indexes them.
    sources: Vec<String>,
    /// Rows with a time (they come first).
    dated: usize,
}

#[derive(Debug, Clone)]
struct ItemRow {
    time: Option<Box<str>>,
    /// Seconds since the epoch of the time's first 19 characters (as SQLite's `strftime('%s')`).
    secs: Option<i64>,
    id: NodeId,
    source: u32,
}

/// The node's events (either end of a relation) and alerts (an incident: its alerts), each
/// once, with time and source — no label (a page fetches its own).
const ITEM_ROWS: &str = "WITH ev AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'event:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'event:%'),
 al AS (
    SELECT CAST(substr(r.src, 7) AS INTEGER) AS n FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'alert:%'
    UNION SELECT CAST(substr(r.dst, 7) AS INTEGER) FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'alert:%'
    UNION SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE 'incident:' || ia.incident_id = ?1)
 SELECT t, n, time, source FROM (
   SELECT 1 AS t, e.id AS n, e.time AS time, e.source AS source FROM ev JOIN events e ON e.id = ev.n
   UNION ALL
   SELECT 0, a.id, a.start_time, 'alert' FROM al JOIN alerts a ON a.id = al.n)
 ORDER BY time IS NULL, time, t, n";

/// `YYYY-MM-DD[T ]HH:MM:SS…` → seconds since the epoch (UTC), as SQLite's
/// `strftime('%s', substr(t, 1, 19))`; by hand, it runs for every item of a node.
fn secs_of(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 24 || mm > 59 || ss > 60 {
        return None;
    }
    // days from civil (Howard Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

impl NodeItems {
    /// Read every dated or undated item of `node` (one statement).
    pub fn load(store: &SqliteStore, node: NodeId) -> Result<NodeItems> {
        let c = store.conn();
        let mut stmt = c.prepare_cached(ITEM_ROWS)?;
        let mut rows = stmt.query([node.to_string()])?;
        let mut out = vec![];
        // a node's items come from a handful of sources
        let mut names: Vec<String> = vec![];
        // already in page order: dated first by time, then alerts before events, by id
        while let Some(r) = rows.next()? {
            let alert = r.get::<_, i64>(0)? == 0;
            let n: i64 = r.get(1)?;
            let time = r.get_ref(2)?.as_str_or_null().ok().flatten();
            let src = r.get_ref(3)?.as_str().unwrap_or_default();
            let source = match names.iter().position(|x| x == src) {
                Some(i) => i as u32,
                None => {
                    names.push(src.to_string());
                    (names.len() - 1) as u32
                }
            };
            out.push(ItemRow {
                secs: time.and_then(secs_of),
                time: time.map(Box::from),
                id: if alert {
                    NodeId::Alert(n)
                } else {
                    NodeId::Event(n)
                },
                source,
            });
        }
        let dated = out.iter().take_while(|r| r.time.is_some()).count();
        Ok(NodeItems {
            rows: out,
            sources: names,
            dated,
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// About the memory the items hold.
    fn weight(&self) -> usize {
        self.rows.len() * (std::mem::size_of::<ItemRow>() + 24)
    }
}

/// What the pane read of recent nodes, for the case session: a node's items are read once,
/// then every count, filter and page of its timeline is answered from memory. Dropped
/// whenever the case changed — any audited write (an import, a detection run, an alert
/// added to an incident) moves the audit log's last id — and kept under ~64 MB.
#[derive(Debug, Default)]
pub struct PaneCache {
    generation: Option<(i64, i64)>,
    nodes: Vec<(NodeId, std::sync::Arc<NodeItems>)>,
    overviews: Vec<(NodeId, std::sync::Arc<Overview>)>,
}

const CACHE_BYTES: usize = 64 << 20;

impl PaneCache {
    /// Forget everything when the case changed since the last look.
    fn check(&mut self, store: &SqliteStore) -> Result<()> {
        let gen: (i64, i64) = store.conn().prepare_cached(
            "SELECT (SELECT coalesce(max(id), 0) FROM audit), (SELECT coalesce(max(id), 0) FROM sources)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if self.generation != Some(gen) {
            self.clear();
            self.generation = Some(gen);
        }
        Ok(())
    }

    /// The items of `node`, read now or remembered.
    pub fn items(
        &mut self,
        store: &SqliteStore,
        node: NodeId,
    ) -> Result<std::sync::Arc<NodeItems>> {
        self.check(store)?;
        if let Some(i) = self.nodes.iter().position(|(n, _)| *n == node) {
            // most recent last
            let hit = self.nodes.remove(i);
            let items = hit.1.clone();
            self.nodes.push(hit);
            return Ok(items);
        }
        let items = std::sync::Arc::new(NodeItems::load(store, node)?);
        self.nodes.push((node, items.clone()));
        while self.nodes.len() > 1
            && self.nodes.iter().map(|(_, i)| i.weight()).sum::<usize>() > CACHE_BYTES
        {
            self.nodes.remove(0);
        }
        Ok(items)
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.overviews.clear();
        self.generation = None;
    }
}

fn norm_time(t: &Option<String>) -> Option<String> {
    t.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| cb_domain::time::normalize(s).unwrap_or_else(|| s.to_string()))
}

/// The timeline page of `req` (reads the node's items; [`timeline_with`] keeps them).
pub fn timeline(store: &SqliteStore, req: &TimelineRequest) -> Result<TimelinePage> {
    let items = NodeItems::load(store, req.node)?;
    timeline_of(store, &items, req)
}

/// The timeline page of `req`, the node's items read once per case session.
pub fn timeline_with(
    store: &SqliteStore,
    cache: &mut PaneCache,
    req: &TimelineRequest,
) -> Result<TimelinePage> {
    let items = cache.items(store, req.node)?;
    timeline_of(store, &items, req)
}

/// Counts, histogram and one page of `items`: passes over memory, then the page's labels.
pub fn timeline_of(
    store: &SqliteStore,
    items: &NodeItems,
    req: &TimelineRequest,
) -> Result<TimelinePage> {
    // the chosen sources (none = all); a source the node never had matches nothing
    let chosen: Option<Vec<bool>> = (!req.sources.is_empty()).then(|| {
        items
            .sources
            .iter()
            .map(|s| req.sources.iter().any(|x| x == s))
            .collect()
    });
    let pick = |r: &ItemRow| chosen.as_ref().is_none_or(|c| c[r.source as usize]);
    let (from, to) = (norm_time(&req.from), norm_time(&req.to));
    let timed = from.is_some() || to.is_some();
    // the rows in the time range: a slice of the dated rows (all rows when no range)
    let range = if timed {
        let dated = &items.rows[..items.dated];
        let lo = from.as_deref().map_or(0, |f| {
            dated.partition_point(|r| r.time.as_deref().is_some_and(|t| t < f))
        });
        let hi = to.as_deref().map_or(dated.len(), |t| {
            dated.partition_point(|r| r.time.as_deref().is_some_and(|x| x <= t))
        });
        lo..hi.max(lo)
    } else {
        0..items.rows.len()
    };
    let in_range = &items.rows[range.clone()];
    // per source within the range, and the matching total
    let mut per = vec![0u64; items.sources.len()];
    for r in in_range {
        per[r.source as usize] += 1;
    }
    let total: u64 = match &chosen {
        None => in_range.len() as u64,
        Some(c) => per
            .iter()
            .zip(c)
            .filter(|(_, on)| **on)
            .map(|(n, _)| *n)
            .sum(),
    };
    let mut per_source: Vec<SourceCount> = per
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| SourceCount {
            source: items.sources[i].clone(),
            count: *n,
        })
        .collect();
    per_source.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.source.cmp(&b.source)));
    // the span of the chosen sources over all time: the histogram's range
    let dated = &items.rows[..items.dated];
    let first = dated.iter().find(|r| pick(r)).and_then(|r| r.time.clone());
    let last = dated
        .iter()
        .rev()
        .find(|r| pick(r))
        .and_then(|r| r.time.clone());
    let (mut buckets, mut bucket_secs) = (vec![], 0);
    if let (Some(f), Some(l)) = (
        first.as_deref().and_then(epoch),
        last.as_deref().and_then(epoch),
    ) {
        bucket_secs = nice_width((l - f).max(1) / 60 + 1);
        let start = f - f.rem_euclid(bucket_secs);
        let mut bars: std::collections::BTreeMap<i64, u64> = Default::default();
        for r in dated.iter().filter(|r| pick(r)) {
            if let Some(s) = r.secs {
                // as SQLite's integer division: toward zero
                *bars.entry((s - start) / bucket_secs).or_default() += 1;
            }
        }
        buckets = bars
            .into_iter()
            .map(|(b, count)| Bucket {
                from: fmt_epoch(start + b * bucket_secs),
                count,
            })
            .collect();
    }
    let limit = req.limit.unwrap_or(200).min(5000);
    let offset = req.offset.unwrap_or(0);
    let page: Vec<&ItemRow> = in_range
        .iter()
        .filter(|r| pick(r))
        .skip(offset)
        .take(limit)
        .collect();
    let c = store.conn();
    let mut ev = c.prepare_cached("SELECT summary FROM events WHERE id = ?1")?;
    let mut al = c.prepare_cached("SELECT name FROM alerts WHERE id = ?1")?;
    let mut out = Vec::with_capacity(page.len());
    for r in page {
        let label: Option<String> = match r.id {
            NodeId::Event(n) => ev.query_row([n], |x| x.get(0)).optional()?,
            NodeId::Alert(n) => al.query_row([n], |x| x.get(0)).optional()?,
            _ => None,
        };
        out.push(TimelineItem {
            id: r.id,
            time: r.time.as_deref().map(String::from),
            source: items.sources[r.source as usize].clone(),
            label: label.unwrap_or_default(),
        });
    }
    Ok(TimelinePage {
        all: items.rows.len() as u64,
        total,
        first: first.map(String::from),
        last: last.map(String::from),
        sources: per_source,
        buckets,
        bucket_secs,
        offset,
        items: out,
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

    #[test]
    fn seconds_as_sqlite_counts_them() {
        for t in [
            "1970-01-01T00:00:00Z",
            "2019-05-14T12:01:02.123Z",
            "2000-02-29 23:59:59",
            "2024-12-31T00:00:01.5+00:00",
            "1969-12-31T23:59:59Z",
        ] {
            let want = chrono::NaiveDateTime::parse_from_str(
                &t[..19].replace(' ', "T"),
                "%Y-%m-%dT%H:%M:%S",
            )
            .unwrap()
            .and_utc()
            .timestamp();
            assert_eq!(secs_of(t), Some(want), "{t}");
        }
        assert_eq!(secs_of("2019-13-01T00:00:00Z"), None);
        assert_eq!(secs_of("yesterday"), None);
    }
}
