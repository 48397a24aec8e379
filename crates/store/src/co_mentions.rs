//! Entities related to one same event (`co_mentions`, schema 8): for each ordered pair of
//! distinct entities that one event or more relates to (`event:N` → `entity:A` and
//! `event:N` → `entity:B`, of any kinds), the smallest such event and how many there are.
//! Both orders are stored, so an entity's pairs are one range of the primary key.
//!
//! What it is for: a path between two hosts through their events (host ← event → account ←
//! event → host) is a walk over this table, a few thousand integer rows, instead of over
//! each host's 200k event relations and those events' relations (cb-graph `path`).
//!
//! Exact by construction, like `entity_event_counts`: an import adds, per event, each new
//! pair once; folding one entity into another counts both again from the relations; cases
//! from before the table are counted by migration 8; `verify` counts the whole table again
//! ([`check`]).

use rusqlite::{params, Connection};
use std::collections::HashMap;

/// The pairs, from the relations, of the entities `{filter}` selects (a condition on
/// `r1.dst`), as `(a, b, smallest event, events)`, ordered by `(a, b)`.
pub(crate) fn count_sql(filter: &str) -> String {
    format!(
        "SELECT CAST(substr(r1.dst, 8) AS INTEGER), CAST(substr(r2.dst, 8) AS INTEGER),
                min(CAST(substr(r1.src, 7) AS INTEGER)), count(DISTINCT r1.src)
         FROM relations r1 JOIN relations r2 ON r2.src = r1.src
         WHERE r1.src LIKE 'event:%' AND r1.dst LIKE 'entity:%' AND r2.dst LIKE 'entity:%'
           AND r2.dst <> r1.dst AND {filter}
         GROUP BY 1, 2 ORDER BY 1, 2"
    )
}

/// Pairs held before they are added to the table (bounds memory).
const CAP: usize = 100_000;

/// Pairs one import gathers: the current event and the entities it relates to so far, and
/// the pairs (`a < b`) not yet written with their smallest event and count.
#[derive(Default)]
pub(crate) struct Pending {
    event: Option<i64>,
    entities: Vec<i64>,
    pairs: HashMap<(i64, i64), (i64, u64)>,
}

impl Pending {
    /// An event was stored (its relations follow).
    pub(crate) fn event(&mut self, id: i64) {
        self.event = Some(id);
        self.entities.clear();
    }

    fn add(&mut self, x: i64, y: i64, ev: i64) {
        let e = self.pairs.entry((x.min(y), x.max(y))).or_insert((ev, 0));
        e.0 = e.0.min(ev);
        e.1 += 1;
    }

    /// A relation from event `ev` to entity `ent` was stored. True when the pairs should be
    /// written now ([`Pending::flush`]).
    pub(crate) fn relation(
        &mut self,
        tx: &Connection,
        ev: i64,
        ent: i64,
    ) -> rusqlite::Result<bool> {
        if self.event == Some(ev) {
            if self.entities.contains(&ent) {
                return Ok(false);
            }
            for i in 0..self.entities.len() {
                self.add(self.entities[i], ent, ev);
            }
            self.entities.push(ent);
        } else {
            // a relation of an earlier event: new pairs only if it is the first relation
            // between the two (the one just stored is there)
            if crate::event_counts::relations_between(tx, ev, ent)? != 1 {
                return Ok(false);
            }
            let others: Vec<i64> = {
                let mut st = tx.prepare_cached(
                    "SELECT DISTINCT CAST(substr(dst, 8) AS INTEGER) FROM relations
                     WHERE src = ?1 AND dst LIKE 'entity:%' AND dst <> ?2",
                )?;
                let rows = st.query_map(
                    params![format!("event:{ev}"), format!("entity:{ent}")],
                    |r| r.get(0),
                )?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for o in others {
                self.add(o, ent, ev);
            }
        }
        Ok(self.pairs.len() >= CAP)
    }

    /// Add the gathered pairs to the table, in both orders.
    pub(crate) fn flush(&mut self, tx: &Connection) -> rusqlite::Result<()> {
        let mut st = tx.prepare_cached(
            "INSERT INTO co_mentions (a, b, event, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (a, b) DO UPDATE SET event = min(event, excluded.event), n = n + excluded.n",
        )?;
        let mut pairs: Vec<_> = self.pairs.drain().collect();
        pairs.sort_unstable();
        for ((a, b), (ev, n)) in pairs {
            st.execute(params![a, b, ev, n as i64])?;
            st.execute(params![b, a, ev, n as i64])?;
        }
        Ok(())
    }
}

/// Count the pairs of `entities` again from the relations (after relations moved from one
/// entity to another).
pub(crate) fn recount(tx: &Connection, entities: &[i64]) -> rusqlite::Result<()> {
    for &e in entities {
        tx.prepare_cached(
            "DELETE FROM co_mentions WHERE b = ?1 AND a IN (SELECT b FROM co_mentions WHERE a = ?1)",
        )?
        .execute([e])?;
        tx.prepare_cached("DELETE FROM co_mentions WHERE a = ?1")?
            .execute([e])?;
        let rows: Vec<(i64, i64, i64, i64)> = {
            let mut st = tx.prepare_cached(&count_sql("r1.dst = 'entity:' || ?1"))?;
            let rows = st.query_map([e], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut ins = tx.prepare_cached(
            "INSERT OR REPLACE INTO co_mentions (a, b, event, n) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (a, b, ev, n) in rows {
            ins.execute(params![a, b, ev, n])?;
            ins.execute(params![b, a, ev, n])?;
        }
    }
    Ok(())
}

/// One stored or counted pair: `(a, b)` and its `(smallest event, events)`.
pub type Pair = ((i64, i64), (i64, i64));

/// A pair whose stored row and count differ: `(a, b)`, the stored and the counted `(smallest
/// event, events)` (`None`: no such row, or no such event).
pub type Mismatch = ((i64, i64), Option<(i64, i64)>, Option<(i64, i64)>);

/// The pairs whose stored row differs from a count of the relations, as `(pair, stored,
/// counted)` (`None`: no such row), at most `limit`. Both sides are read in key order and
/// compared as they come, so memory does not grow with the case.
pub fn check(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<Mismatch>> {
    let mut counted_st = conn.prepare(&count_sql("1"))?;
    let mut stored_st = conn.prepare("SELECT a, b, event, n FROM co_mentions ORDER BY a, b")?;
    let pair = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Pair> {
        Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
    };
    let mut counted = counted_st.query_map([], pair)?;
    let mut stored = stored_st.query_map([], pair)?;
    let (mut c, mut s) = (counted.next().transpose()?, stored.next().transpose()?);
    let mut out = vec![];
    while out.len() < limit {
        let counted_first = match (c, s) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) if x.0 == y.0 => {
                if x.1 != y.1 {
                    out.push((x.0, Some(y.1), Some(x.1)));
                }
                c = counted.next().transpose()?;
                s = stored.next().transpose()?;
                continue;
            }
            (Some(x), Some(y)) => x.0 < y.0,
        };
        if let (true, Some(x)) = (counted_first, c) {
            out.push((x.0, None, Some(x.1)));
            c = counted.next().transpose()?;
        } else if let Some(y) = s {
            out.push((y.0, Some(y.1), None));
            s = stored.next().transpose()?;
        }
    }
    Ok(out)
}

/// The entities related to one same event as `entity`, with the smallest such event, in id
/// order.
pub fn of_entity(conn: &Connection, entity: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached("SELECT b, event FROM co_mentions WHERE a = ?1 ORDER BY b")?;
    let rows = st.query_map([entity], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
