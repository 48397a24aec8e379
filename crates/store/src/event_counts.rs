//! How many events of each source relate to each entity (`entity_event_counts`): the
//! counts a hub's "events" queries offer before any expansion, read from one small row per
//! (entity, source) instead of walking a host's 300k relations and looking up each event's
//! source. Exact by construction: an import adds, per event, each entity it relates to once
//! (distinct events, as the expansion counts them); folding one entity into another recounts
//! both from the relations; cases from before the table are counted by migration 7. `verify`
//! recounts the whole table ([`check`]).

use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// The SQL that counts, from the relations, the events per source of the entities it
/// selects (`{filter}`: a condition on `r.dst`).
fn count_sql(filter: &str) -> String {
    format!(
        "SELECT CAST(substr(r.dst, 8) AS INTEGER), t.source, count(DISTINCT r.src)
         FROM relations r JOIN search_docs t ON t.d = CAST(substr(r.src, 7) AS INTEGER) * 4
         WHERE r.src LIKE 'event:%' AND r.dst LIKE 'entity:%' AND {filter}
         GROUP BY 1, 2"
    )
}

/// Entries held before they are added to the table (bounds memory).
const CAP: usize = 100_000;

/// Counts one import gathers: the current event (id, index of its source in `sources`), the
/// entities it was already counted for, and the (entity, source index) totals not yet
/// written. Sources are interned: a mention costs no string.
#[derive(Default)]
pub(crate) struct Pending {
    event: Option<(i64, usize)>,
    counted: Vec<i64>,
    sources: Vec<String>,
    totals: HashMap<(i64, usize), u64>,
}

impl Pending {
    /// An event was stored (its relations follow).
    pub(crate) fn event(&mut self, id: i64, source: &str) {
        self.event = Some((id, self.source(source)));
        self.counted.clear();
    }

    fn source(&mut self, source: &str) -> usize {
        match self.sources.iter().position(|s| s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source.to_string());
                self.sources.len() - 1
            }
        }
    }

    /// A relation from event `ev` to entity `ent` was stored. True when the totals should
    /// be written now ([`Pending::flush`]).
    pub(crate) fn mention(&mut self, tx: &Connection, ev: i64, ent: i64) -> rusqlite::Result<bool> {
        let source = match self.event {
            Some((id, source)) if id == ev => {
                if self.counted.contains(&ent) {
                    return Ok(false);
                }
                self.counted.push(ent);
                source
            }
            _ => {
                // a relation of an earlier event: counted unless the case holds another one
                // between the two already (the one just stored is there), under the event's
                // source (an event without a `search_docs` row is in no expansion's set)
                let n = relations_between(tx, ev, ent)?;
                let source: Option<String> = tx
                    .prepare_cached("SELECT source FROM search_docs WHERE d = ?1")?
                    .query_row([ev * 4], |r| r.get(0))
                    .optional()?;
                match source {
                    Some(s) if n == 1 => self.source(&s),
                    _ => return Ok(false),
                }
            }
        };
        *self.totals.entry((ent, source)).or_default() += 1;
        Ok(self.totals.len() >= CAP)
    }

    /// Add the gathered totals to the table.
    pub(crate) fn flush(&mut self, tx: &Connection) -> rusqlite::Result<()> {
        let mut st = tx.prepare_cached(
            "INSERT INTO entity_event_counts (entity, source, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (entity, source) DO UPDATE SET n = n + excluded.n",
        )?;
        let mut totals: Vec<_> = self.totals.drain().collect();
        totals.sort_unstable();
        for ((ent, source), n) in totals {
            st.execute(params![ent, self.sources[source], n as i64])?;
        }
        Ok(())
    }
}

/// How many relations the case holds from event `ev` to entity `ent`.
pub(crate) fn relations_between(tx: &Connection, ev: i64, ent: i64) -> rusqlite::Result<i64> {
    tx.prepare_cached("SELECT count(*) FROM relations WHERE src = ?1 AND dst = ?2")?
        .query_row(
            params![format!("event:{ev}"), format!("entity:{ent}")],
            |r| r.get(0),
        )
}

/// Count the events of `entities` again from the relations (after relations moved from one
/// entity to another).
pub(crate) fn recount(tx: &Connection, entities: &[i64]) -> rusqlite::Result<()> {
    for &e in entities {
        tx.prepare_cached("DELETE FROM entity_event_counts WHERE entity = ?1")?
            .execute([e])?;
        tx.prepare_cached(&format!(
            "INSERT INTO entity_event_counts (entity, source, n) {}",
            count_sql("r.dst = 'entity:' || ?1")
        ))?
        .execute([e])?;
    }
    Ok(())
}

/// The events per source that relate to `entity`, by source name.
pub fn of_entity(conn: &Connection, entity: i64) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut st = conn.prepare_cached(
        "SELECT source, n FROM entity_event_counts WHERE entity = ?1 ORDER BY source",
    )?;
    let rows = st.query_map([entity], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    rows.collect()
}

/// The (entity, source) rows whose stored count differs from a count of the relations, as
/// `(entity, source, stored, counted)` (at most `limit`).
pub fn check(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<(i64, String, u64, u64)>> {
    let read = |sql: &str| -> rusqlite::Result<HashMap<(i64, String), u64>> {
        let mut st = conn.prepare(sql)?;
        let rows = st.query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get::<_, i64>(2)? as u64))
        })?;
        rows.collect()
    };
    let counted = read(&count_sql("1"))?;
    let mut stored = read("SELECT entity, source, n FROM entity_event_counts")?;
    let mut out = vec![];
    for ((entity, source), n) in counted {
        let s = stored.remove(&(entity, source.clone())).unwrap_or(0);
        if s != n {
            out.push((entity, source, s, n));
        }
    }
    out.extend(stored.into_iter().map(|((e, src), s)| (e, src, s, 0)));
    out.sort_unstable();
    out.truncate(limit);
    Ok(out)
}
