//! Search across a case: events, alerts and entities.
//!
//! The index lives in the store's schema (migration 3): one contentless FTS5 table
//! `search_fts(summary, body)` whose rowid is `id * 4 + (0 event | 1 alert | 2 entity)`,
//! with `entity_fts` and `search_docs` (time and source per hit). Alerts are indexed by SQL
//! triggers; events and entities by the import transaction (cb-store's `TxSink`, their only
//! writer). `body` holds the original fields as `name value` pairs, which makes `Field:value`
//! an FTS phrase.
//!
//! A query ([`query`] module) compiles to one SQL statement of set operations over doc ids:
//! FTS-only subtrees become ONE FTS5 MATCH expression (FTS5 does the AND/OR/NOT), other
//! terms (`host:`, `severity>=`, `eventid:`, `source:`, `time>`…) become indexed SQL, and the
//! parts are combined with INTERSECT / UNION / EXCEPT. Every user term is quoted as an FTS5
//! string and every value is bound as a parameter: user text never becomes SQL or FTS syntax.
//! Results are sorted by time and paged; nothing is ranked with bm25.
#![forbid(unsafe_code)]

pub mod query;

use cb_domain::{NodeId, Severity, Status};
use cb_store::SqliteStore;
use query::{Node, Op};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use std::collections::BTreeMap;

pub use query::{parse, SyntaxError};

/// Paging and filters that sit outside the query text.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub limit: usize,
    pub offset: usize,
    /// Inclusive lower bound (any time shape `cb_domain::time` reads, or a date).
    pub time_from: Option<String>,
    /// Exclusive upper bound.
    pub time_to: Option<String>,
    /// Only these sources (`SecurityEvent`, `Sysmon`, `zeek.conn`, `SecurityAlert`, `Entity`…);
    /// empty = all.
    pub sources: Vec<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 50,
            offset: 0,
            time_from: None,
            time_to: None,
            sources: vec![],
            newest_first: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hit {
    pub id: NodeId,
    pub time: Option<String>,
    pub source: String,
    pub summary: String,
    /// Entities this hit involves (an event's `mentions`, an alert's entities, an entity itself).
    pub entities: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchResult {
    pub total: u64,
    pub by_source: BTreeMap<String, u64>,
    pub hits: Vec<Hit>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("query syntax error at character {position}: expected {expected}")]
    Syntax { position: usize, expected: String },
    #[error("{0}")]
    BadOption(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl From<SyntaxError> for SearchError {
    fn from(e: SyntaxError) -> Self {
        SearchError::Syntax {
            position: e.position,
            expected: e.expected,
        }
    }
}

/// Source name of alert hits in `by_source`.
pub const ALERT_SOURCE: &str = "SecurityAlert";
/// Source name of entity hits in `by_source`.
pub const ENTITY_SOURCE: &str = "Entity";

/// Run `query` over the case.
pub fn search(
    store: &SqliteStore,
    query: &str,
    opts: &SearchOptions,
) -> Result<SearchResult, SearchError> {
    let node = parse(query)?;
    let mut b = Builder::default();
    let hits = b.compile(&node)?;
    let mut filters: Vec<String> = vec!["1".into()];
    if let Some(t) = &opts.time_from {
        let t = norm_time(t)
            .ok_or_else(|| SearchError::BadOption(format!("time_from {t:?} is not a time")))?;
        filters.push(format!("time >= {}", b.p(t)));
    }
    if let Some(t) = &opts.time_to {
        let t = norm_time(t)
            .ok_or_else(|| SearchError::BadOption(format!("time_to {t:?} is not a time")))?;
        filters.push(format!("time < {}", b.p(t)));
    }
    if !opts.sources.is_empty() {
        let ps: Vec<String> = opts
            .sources
            .iter()
            .map(|s| format!("lower({})", b.p(s.clone())))
            .collect();
        filters.push(format!("lower(source) IN ({})", ps.join(", ")));
    }
    let filter = filters.join(" AND ");
    let docs = format!("WITH hits(d) AS ({hits}), docs AS (SELECT h.d AS d, s.time AS time, s.source AS source FROM hits h CROSS JOIN search_docs s ON s.d = h.d)");
    let conn = store.conn();
    // One pass over the hits: counts per source and the page's top (offset + limit) by time,
    // without sorting the whole answer and without a second evaluation of the query.
    let desc = opts.newest_first;
    let keep = opts.offset.saturating_add(opts.limit.min(10_000));
    type Key = (bool, Option<String>, i64);
    // (no time, time, doc id), borrowed from the row: compared before anything is copied
    let order_ref = |a: (bool, Option<&str>, i64), b: (bool, Option<&str>, i64)| {
        a.0.cmp(&b.0).then_with(|| {
            if desc {
                b.1.cmp(&a.1).then(b.2.cmp(&a.2))
            } else {
                a.1.cmp(&b.1).then(a.2.cmp(&b.2))
            }
        })
    };
    let order =
        |a: &Key, b: &Key| order_ref((a.0, a.1.as_deref(), a.2), (b.0, b.1.as_deref(), b.2));
    let mut by_source: BTreeMap<String, u64> = BTreeMap::new();
    let mut top: Vec<Key> = Vec::new();
    // the last of the page's top once `top` was cut to it: a row that does not come before it
    // cannot be on the page (most rows of a large answer), so it is only counted
    let mut worst: Option<Key> = None;
    {
        let mut st = conn.prepare(&format!(
            "{docs} SELECT d, time, source FROM docs WHERE {filter}"
        ))?;
        let mut rows = st.query(rusqlite::params_from_iter(b.params.iter()))?;
        while let Some(r) = rows.next()? {
            let src = r.get_ref(2)?.as_str().unwrap_or("");
            match by_source.get_mut(src) {
                Some(n) => *n += 1,
                None => {
                    by_source.insert(src.to_string(), 1);
                }
            }
            if keep == 0 {
                continue;
            }
            let time = r.get_ref(1)?.as_str_or_null().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
            })?;
            let d: i64 = r.get(0)?;
            let key = (time.is_none(), time, d);
            if let Some(w) = &worst {
                if order_ref(key, (w.0, w.1.as_deref(), w.2)) != std::cmp::Ordering::Less {
                    continue;
                }
            }
            top.push((key.0, key.1.map(str::to_string), d));
            if top.len() >= 2 * keep.max(64) {
                top.sort_by(order);
                top.truncate(keep);
                worst = top.last().cloned();
            }
        }
    }
    top.sort_by(order);
    top.truncate(keep);
    let total = by_source.values().sum();
    let mut hits = Vec::new();
    for (_, time, d) in top.into_iter().skip(opts.offset) {
        let (id, sql) = match d % 4 {
            0 => (
                NodeId::Event(d / 4),
                "SELECT source, summary FROM events WHERE id = ?1",
            ),
            1 => (
                NodeId::Alert(d / 4),
                "SELECT 'SecurityAlert', name FROM alerts WHERE id = ?1",
            ),
            _ => (
                NodeId::Entity(d / 4),
                "SELECT 'Entity', kind || ': ' || label FROM entities WHERE id = ?1",
            ),
        };
        let (source, summary): (String, String) = conn
            .prepare_cached(sql)?
            .query_row([d / 4], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let entities = entities_of(store, id)?;
        hits.push(Hit {
            id,
            time,
            source,
            summary,
            entities,
        });
    }
    Ok(SearchResult {
        total,
        by_source,
        hits,
    })
}

fn entities_of(store: &SqliteStore, id: NodeId) -> Result<Vec<NodeId>, SearchError> {
    if let NodeId::Entity(_) = id {
        return Ok(vec![id]);
    }
    let sql = match id {
        NodeId::Event(_) => "SELECT dst FROM relations WHERE src = ?1 AND kind = 'mentions' AND dst LIKE 'entity:%' ORDER BY id",
        _ => "SELECT DISTINCT dst FROM relations WHERE src = ?1 AND dst LIKE 'entity:%' ORDER BY id",
    };
    let mut st = store.conn().prepare_cached(sql)?;
    let ids = st
        .query_map([id.to_string()], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok(ids)
}

fn norm_time(t: &str) -> Option<String> {
    let t = t.trim();
    if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') {
        return cb_domain::time::normalize(&format!("{t}T00:00:00Z"));
    }
    cb_domain::time::normalize(t)
}

/// `x` as a number when it is one, whatever its JSON type (logs store `"LogonType": "3"`
/// as often as `3`); NULL otherwise, so a number compared with a non-number matches nothing.
fn numeric(x: &str) -> String {
    format!(
        "(SELECT CASE WHEN typeof(v) IN ('integer', 'real') THEN v
                      WHEN typeof(v) = 'text' AND trim(v) <> '' AND trim(v) NOT GLOB '*[^0-9.eE+-]*'
                           AND trim(v) GLOB '*[0-9]*' THEN CAST(trim(v) AS REAL) END FROM (SELECT {x} AS v))"
    )
}

const ALL: &str = "SELECT d FROM search_docs";
const NOTHING: &str = "SELECT 0 AS d WHERE 0";

/// Does FTS5's tokenizer find any token in `s`? (Text without one matches nothing.)
fn has_token(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

/// A text term without any token (`';`, `*`, `%`): ignored inside AND, matches nothing alone.
fn is_void(n: &Node) -> bool {
    matches!(n, Node::Text { text, .. } if !has_token(text))
        || matches!(n, Node::Not(x) if is_void(x))
}

/// An FTS5 string: the user's text in double quotes (inner quotes doubled), so operators,
/// column filters, `NEAR`, `^`, `*` and SQL inside it are plain text.
fn phrase(s: &str, prefix: bool) -> String {
    format!(
        "\"{}\"{}",
        s.replace('"', "\"\""),
        if prefix { "*" } else { "" }
    )
}

/// Normalised field names answered through linked entities, and the entity kinds they mean.
fn entity_kinds(name: &str) -> Option<&'static str> {
    Some(match name {
        "host" | "computer" => "'host'",
        "user" | "account" => "'account', 'mailbox'",
        "ip" | "address" => "'ip'",
        "process" => "'process'",
        "file" => "'file'",
        "hash" => "'filehash'",
        "url" => "'url'",
        "dns" | "domain" => "'dns'",
        _ => return None,
    })
}

fn is_normalised(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    entity_kinds(&n).is_some()
        || matches!(
            n.as_str(),
            "eventid" | "event_id" | "severity" | "status" | "source" | "time"
        )
}

#[derive(Default)]
struct Builder {
    params: Vec<SqlValue>,
}

impl Builder {
    fn p(&mut self, v: impl Into<SqlValue>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    /// The whole subtree as one FTS5 expression, when every leaf is a text term.
    fn fts(node: &Node) -> Option<String> {
        match node {
            Node::Text { text, prefix } if has_token(text) => Some(phrase(text, *prefix)),
            Node::Field {
                name,
                op: Op::Is,
                value,
                prefix,
                ..
            } if !is_normalised(name) && has_token(value) => Some(format!(
                "(body : {} OR body : {})",
                phrase(
                    &format!("{}{name} {value}", cb_store::fts_body::FIELD_MARK),
                    *prefix
                ),
                // cases indexed before field names were marked
                phrase(&format!("{name} {value}"), *prefix)
            )),
            Node::And(children) => {
                let mut pos = vec![];
                let mut neg = vec![];
                for c in children.iter().filter(|c| !is_void(c)) {
                    match c {
                        Node::Not(x) => neg.push(Self::fts(x)?),
                        _ => pos.push(Self::fts(c)?),
                    }
                }
                if pos.is_empty() {
                    return None;
                }
                let mut e = format!("({})", pos.join(" AND "));
                for n in neg {
                    e = format!("({e} NOT ({n}))");
                }
                Some(e)
            }
            Node::Or(children) => {
                let parts: Option<Vec<String>> = children.iter().map(Self::fts).collect();
                Some(format!("({})", parts?.join(" OR ")))
            }
            _ => None,
        }
    }

    fn match_sql(&mut self, expr: String) -> String {
        format!(
            "SELECT rowid AS d FROM search_fts WHERE search_fts MATCH {}",
            self.p(expr)
        )
    }

    fn compile(&mut self, node: &Node) -> Result<String, SearchError> {
        if let Some(e) = Self::fts(node) {
            return Ok(self.match_sql(e));
        }
        Ok(match node {
            Node::All => ALL.to_string(),
            Node::Text { .. } => NOTHING.to_string(),
            Node::Field {
                name,
                op,
                value,
                prefix,
                pos,
            } => self.field(name, *op, value, *prefix, *pos)?,
            Node::Not(x) => format!(
                "SELECT d FROM ({ALL}) EXCEPT SELECT d FROM ({})",
                self.compile(x)?
            ),
            Node::And(children) if children.iter().all(is_void) => NOTHING.to_string(),
            Node::And(children) => {
                // FTS-able children become one MATCH; the rest are intersected / excepted
                let mut fts_pos = vec![];
                let mut fts_neg = vec![];
                let mut other_pos: Vec<&Node> = vec![];
                let mut other_neg: Vec<&Node> = vec![];
                for c in children.iter().filter(|c| !is_void(c)) {
                    match c {
                        Node::Not(x) => match Self::fts(x) {
                            Some(e) => fts_neg.push(e),
                            None => other_neg.push(&**x),
                        },
                        _ => match Self::fts(c) {
                            Some(e) => fts_pos.push(e),
                            None => other_pos.push(c),
                        },
                    }
                }
                let mut pos = vec![];
                let mut neg = vec![];
                if !fts_pos.is_empty() {
                    let mut e = format!("({})", fts_pos.join(" AND "));
                    for n in fts_neg.drain(..) {
                        e = format!("({e} NOT ({n}))");
                    }
                    // filters (source:, eventid:, time>…) are checked on each FTS hit
                    // instead of intersecting with their (possibly huge) sets
                    let mut conds = vec![];
                    let mut rest_pos = vec![];
                    for c in other_pos {
                        match self.pred(c)? {
                            Some(p) => conds.push(format!("coalesce({p}, 0)")),
                            None => rest_pos.push(c),
                        }
                    }
                    let mut rest_neg = vec![];
                    for c in other_neg {
                        match self.pred(c)? {
                            Some(p) => conds.push(format!("NOT coalesce({p}, 0)")),
                            None => rest_neg.push(c),
                        }
                    }
                    other_pos = rest_pos;
                    other_neg = rest_neg;
                    let m = self.match_sql(e);
                    if conds.is_empty() {
                        pos.push(m);
                    } else {
                        pos.push(format!("SELECT d FROM ({m}) WHERE {}", conds.join(" AND ")));
                    }
                }
                for n in fts_neg {
                    neg.push(self.match_sql(n));
                }
                for c in other_pos {
                    pos.push(self.compile(c)?);
                }
                for c in other_neg {
                    neg.push(self.compile(c)?);
                }
                if pos.is_empty() {
                    pos.push(ALL.to_string());
                }
                let mut sql = pos
                    .iter()
                    .map(|p| format!("SELECT d FROM ({p})"))
                    .collect::<Vec<_>>()
                    .join(" INTERSECT ");
                for n in neg {
                    sql.push_str(&format!(" EXCEPT SELECT d FROM ({n})"));
                }
                sql
            }
            Node::Or(children) => {
                let mut fts = vec![];
                let mut parts = vec![];
                for c in children {
                    match Self::fts(c) {
                        Some(e) => fts.push(e),
                        None => parts.push(self.compile(c)?),
                    }
                }
                if !fts.is_empty() {
                    let e = format!("({})", fts.join(" OR "));
                    parts.push(self.match_sql(e));
                }
                parts
                    .iter()
                    .map(|p| format!("SELECT d FROM ({p})"))
                    .collect::<Vec<_>>()
                    .join(" UNION ")
            }
        })
    }

    /// A per-document condition on `d` for the filter-like field terms, or `None`.
    fn pred(&mut self, node: &Node) -> Result<Option<String>, SearchError> {
        let Node::Field {
            name,
            op,
            value,
            prefix,
            pos,
        } = node
        else {
            return Ok(None);
        };
        let lname = name.to_ascii_lowercase();
        let syntax = |expected: &str| SearchError::Syntax {
            position: *pos,
            expected: expected.to_string(),
        };
        let ev = |col: &str| format!("(SELECT {col} FROM events WHERE id = d / 4)");
        Ok(Some(match (lname.as_str(), op) {
            ("source", Op::Is) => {
                let esc = value
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let p = self.p(if *prefix { format!("{esc}%") } else { esc });
                format!(
                    "((CASE d % 4 WHEN 0 THEN {} WHEN 1 THEN '{ALERT_SOURCE}' ELSE '{ENTITY_SOURCE}' END) LIKE {p} ESCAPE '\\')",
                    ev("source")
                )
            }
            ("eventid" | "event_id", Op::Is) if *prefix => {
                let lo = self.p(value.to_string());
                let hi = self.p(format!("{value}\u{10FFFF}"));
                format!(
                    "(d % 4 = 0 AND {e} >= {lo} AND {e} < {hi})",
                    e = ev("event_id")
                )
            }
            ("eventid" | "event_id", Op::Is) => {
                let p = self.p(value.to_string());
                format!("(d % 4 = 0 AND {} = {p})", ev("event_id"))
            }
            ("eventid" | "event_id", _) => {
                let n: i64 = value.parse().map_err(|_| syntax("a number"))?;
                let p = self.p(n);
                format!(
                    "(d % 4 = 0 AND CAST({} AS INTEGER) {} {p})",
                    ev("event_id"),
                    op.sql()
                )
            }
            ("time", _) => {
                let t = norm_time(value)
                    .ok_or_else(|| syntax("a time such as 2019-02-12 or 2019-02-12T04:56:34Z"))?;
                let p = self.p(t);
                let o = if *op == Op::Is { "=" } else { op.sql() };
                format!("((CASE d % 4 WHEN 0 THEN {} WHEN 1 THEN (SELECT start_time FROM alerts WHERE id = d / 4) END) {o} {p})", ev("time"))
            }
            (n, o) if *o != Op::Is && !is_normalised(n) => {
                let x = format!(
                    "json_extract({}, {})",
                    cb_store::fields::sql(&ev("fields")),
                    self.p(format!("$.\"{name}\""))
                );
                let (x, v) = match value.parse::<f64>() {
                    Ok(f) => (numeric(&x), self.p(f)),
                    Err(_) => (x, self.p(value.to_string())),
                };
                format!("(d % 4 = 0 AND {x} {} {v})", o.sql())
            }
            _ => return Ok(None),
        }))
    }

    fn field(
        &mut self,
        name: &str,
        op: Op,
        value: &str,
        prefix: bool,
        pos: usize,
    ) -> Result<String, SearchError> {
        let lname = name.to_ascii_lowercase();
        let syntax = |expected: &str| SearchError::Syntax {
            position: pos,
            expected: expected.to_string(),
        };
        if let Some(kinds) = entity_kinds(&lname) {
            if op != Op::Is {
                return Err(SearchError::Syntax {
                    position: pos.saturating_sub(1),
                    expected: format!("':' after '{name}' ({name} values are not ordered)"),
                });
            }
            if !has_token(value) {
                return Ok(NOTHING.to_string());
            }
            let m = self.p(phrase(value, prefix));
            return Ok(format!(
                "WITH ents(id) AS (SELECT n.id FROM entity_fts CROSS JOIN entities n ON n.id = entity_fts.rowid
                                   WHERE entity_fts MATCH {m} AND n.kind IN ({kinds}))
                 SELECT id * 4 + 2 AS d FROM ents
                 UNION SELECT CAST(substr(r.src, 7) AS INTEGER) * 4 + (r.src LIKE 'alert:%') AS d
                       FROM ents CROSS JOIN relations r ON r.dst = 'entity:' || ents.id
                       WHERE r.src LIKE 'event:%' OR r.src LIKE 'alert:%'"));
        }
        let like = |v: &str| -> String {
            let esc = v
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            if prefix {
                format!("{esc}%")
            } else {
                esc
            }
        };
        match lname.as_str() {
            "eventid" | "event_id" => {
                Ok(match op {
                    // `=` and a range keep to the events_event_id index
                    Op::Is if prefix => {
                        let lo = self.p(value.to_string());
                        let hi = self.p(format!("{value}\u{10FFFF}"));
                        format!("SELECT id * 4 AS d FROM events WHERE event_id >= {lo} AND event_id < {hi}")
                    }
                    Op::Is => {
                        let p = self.p(value.to_string());
                        format!("SELECT id * 4 AS d FROM events WHERE event_id = {p}")
                    }
                    _ => {
                        let n: i64 = value.parse().map_err(|_| syntax("a number"))?;
                        let p = self.p(n);
                        format!(
                            "SELECT id * 4 AS d FROM events WHERE CAST(event_id AS INTEGER) {} {p}",
                            op.sql()
                        )
                    }
                })
            }
            "severity" => {
                let s = Severity::parse(value)
                    .ok_or_else(|| syntax("a severity: informational, low, medium or high"))?;
                let p = self.p(s.rank());
                Ok(format!(
                    "SELECT id * 4 + 1 AS d FROM alerts WHERE severity {} {p}",
                    op.sql()
                ))
            }
            "status" => {
                if op != Op::Is {
                    return Err(syntax("':' (status values are not ordered)"));
                }
                let s = Status::parse(value)
                    .ok_or_else(|| syntax("a status: active, inprogress, resolved or dismissed"))?;
                let p = self.p(s.as_str().to_string());
                Ok(format!(
                    "SELECT id * 4 + 1 AS d FROM alerts WHERE status = {p}"
                ))
            }
            "source" => {
                if op != Op::Is {
                    return Err(syntax("':' (sources are not ordered)"));
                }
                let p = self.p(like(value));
                // the distinct sources by a skip-scan of events_source, matched
                // case-insensitively, then an indexed IN
                Ok(format!(
                    "SELECT id * 4 AS d FROM events WHERE source IN (
                       WITH RECURSIVE s(v) AS (SELECT min(source) FROM events
                                               UNION ALL SELECT (SELECT min(source) FROM events WHERE source > s.v) FROM s WHERE s.v IS NOT NULL)
                       SELECT v FROM s WHERE v LIKE {p} ESCAPE '\\')
                     UNION ALL SELECT id * 4 + 1 FROM alerts WHERE '{ALERT_SOURCE}' LIKE {p} ESCAPE '\\'
                     UNION ALL SELECT id * 4 + 2 FROM entities WHERE '{ENTITY_SOURCE}' LIKE {p} ESCAPE '\\'"
                ))
            }
            "time" => {
                let t = norm_time(value)
                    .ok_or_else(|| syntax("a time such as 2019-02-12 or 2019-02-12T04:56:34Z"))?;
                let o = if op == Op::Is { "=" } else { op.sql() };
                let p = self.p(t);
                Ok(format!("SELECT id * 4 AS d FROM events WHERE time {o} {p} UNION ALL SELECT id * 4 + 1 FROM alerts WHERE start_time {o} {p}"))
            }
            _ => {
                // an original field: `:` is an FTS phrase (handled in `fts`); comparisons read
                // the top-level JSON value (a scan of the events)
                if op == Op::Is {
                    return Ok(NOTHING.to_string());
                }
                let x = format!(
                    "json_extract({}, {})",
                    cb_store::fields::sql("fields"),
                    self.p(format!("$.\"{name}\""))
                );
                let (x, v) = match value.parse::<f64>() {
                    Ok(f) => (numeric(&x), self.p(f)),
                    Err(_) => (x, self.p(value.to_string())),
                };
                Ok(format!(
                    "SELECT id * 4 AS d FROM events WHERE {x} {} {v}",
                    op.sql()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_always_quoted() {
        assert_eq!(phrase("a\"b", false), "\"a\"\"b\"");
        assert_eq!(phrase("x", true), "\"x\"*");
        let n = parse("summary:x NEAR(a b) \"'; DROP TABLE events;--\"").unwrap();
        let e = Builder::fts(&n).unwrap();
        assert_eq!(e, "((body : \"ƒsummary x\" OR body : \"summary x\") AND \"NEAR\" AND \"a\" AND \"b\" AND \"'; DROP TABLE events;--\")".replace("\"NEAR\" AND \"a\" AND \"b\"", "\"NEAR\" AND (\"a\" AND \"b\")"));
    }
}
