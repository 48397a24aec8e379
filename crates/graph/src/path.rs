//! Shortest path over stored relations: bidirectional breadth-first search, bounded depth,
//! optional filter on edge kinds. Neighbours are read from the store as the search reaches
//! them (nothing is loaded up front); incident membership counts as a `contains` edge from the
//! incident to the alert.
//!
//! There is no visit cap: a path within the depth is always found. What keeps hubs (a host
//! mentioned by 300k events) cheap is *which* side grows: each round expands the side whose
//! frontier has the smaller total degree (estimated from the degrees of up to
//! [`DEGREE_SAMPLE`] of its nodes, each read from the relation indexes and capped at
//! [`DEGREE_CAP`] per direction, so measuring a hub costs no more than a small page of its
//! index), and a round stops at the first meeting, so a hub at the far end is read only up to
//! its first neighbour the other side already knows.
//!
//! A level's events have their relations read together, in the order of `relations_src`: a
//! hub's events are mostly neighbours in id, so one index scan per batch reads them for a
//! fraction of a seek each ([`each_event_neighbour`]). Relation ends are parsed from their
//! bytes and only the far end is read; each visited node keeps just the step that reached it.

use crate::{explore, CaseGraph, EdgeView, Expansion, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use rusqlite::Connection;
use std::collections::hash_map::Entry;
use std::collections::HashMap as StdMap;

/// Node-id maps of one search (foldhash: ids are not attacker-chosen keys of a long-lived
/// table, and SipHash was a tenth of a hub search).
type HashMap<K, V> = StdMap<K, V, foldhash::fast::FixedState>;
use std::ops::ControlFlow;

mod pairs;

/// A node's degree is counted up to this many relations per direction (a cost estimate for
/// choosing the side to grow, never a limit on what is read).
pub const DEGREE_CAP: i64 = 10_000;

/// The step that reached a node: the node it came from, the relation's kind (an index into
/// [`Kinds`]) and its direction (`out`: the relation runs from `parent` to the node).
#[derive(Clone, Copy)]
struct Step {
    parent: NodeId,
    kind: u32,
    out: bool,
}

impl Step {
    /// The stored relation this step follows, as (src, dst, kind) from `node`'s side.
    fn edge(&self, node: NodeId) -> (NodeId, NodeId, u32) {
        if self.out {
            (self.parent, node, self.kind)
        } else {
            (node, self.parent, self.kind)
        }
    }
}

/// Edge kinds seen during one search, interned.
#[derive(Default)]
struct Kinds {
    names: Vec<String>,
    ids: HashMap<Vec<u8>, u32>,
    /// The kind asked last (rows come grouped by kind, the index's order).
    last: Option<u32>,
}

impl Kinds {
    fn id(&mut self, k: &[u8]) -> u32 {
        if let Some(i) = self
            .last
            .filter(|&i| self.names[i as usize].as_bytes() == k)
        {
            return i;
        }
        let i = match self.ids.get(k) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u32;
                self.names.push(String::from_utf8_lossy(k).into_owned());
                self.ids.insert(k.to_vec(), i);
                i
            }
        };
        self.last = Some(i);
        i
    }
}

/// The neighbour reads of one node, in preference order: among paths of one length the first
/// found wins, so entity-to-entity relations (a host → logon session → host step) come first,
/// then events that mention the node (or that the node is), then "possibly the same as".
/// Each statement yields `(other end, kind, 1 when the relation runs from the node)`; `?1` is
/// the node id.
const TIERS_ENTITY: &[&str] = &[
    // kinds other than `mentions` and `possibly_same_as` as index ranges, so a hub's 200k
    // mentions are stepped over
    "SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind < 'mentions' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind > 'possibly_same_as' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind < 'mentions' AND src NOT LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND src NOT LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind > 'possibly_same_as' AND src NOT LIKE 'event:%'",
    "SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind < 'mentions' AND dst LIKE 'event:%'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND dst LIKE 'event:%'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind > 'possibly_same_as' AND dst LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind < 'mentions' AND src LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND src LIKE 'event:%'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind > 'possibly_same_as' AND src LIKE 'event:%'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind = 'mentions'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind = 'mentions'",
    "SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind = 'possibly_same_as'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind = 'possibly_same_as'",
];

/// The tier an event's relations are in (all of them: `possibly_same_as` links two entities
/// only, cb-store's `link_aliases` being its one writer), read by [`each_event_neighbour`].
const EVENT_TIER: usize = 1;

/// Events whose relations one statement reads.
const EVENT_BATCH: usize = 512;

/// A node id from the bytes of a relation's end: the common `kind:digits` shape directly,
/// anything else through [`NodeId`]'s parser (same answer, a hub's 300k rows each parsed).
fn node_of(b: &[u8]) -> Option<NodeId> {
    let colon = b.iter().position(|&c| c == b':')?;
    let (k, digits) = (&b[..colon], &b[colon + 1..]);
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        if let Some(id) = std::str::from_utf8(k)
            .ok()
            .and_then(|k| NodeId::from_parts(k, n))
        {
            return Some(id);
        }
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The step from `n` over the relation in columns `at..at + 3` (the other end, kind, 1 when
/// the relation runs from `n`) of `r`: the node at its other end and the step (`None`: a kind
/// not kept, or an id that is no node id).
fn step(
    r: &rusqlite::Row<'_>,
    at: usize,
    n: NodeId,
    keep: &dyn Fn(&[u8]) -> bool,
    names: &mut Kinds,
) -> Result<Option<(NodeId, Step)>> {
    let k = r.get_ref(at + 1)?.as_bytes().unwrap_or(b"");
    if !keep(k) {
        return Ok(None);
    }
    let Some(other) = node_of(r.get_ref(at)?.as_bytes().unwrap_or(b"")) else {
        return Ok(None);
    };
    let out = r.get_ref(at + 2)?.as_i64().unwrap_or(0) == 1;
    Ok(Some((
        other,
        Step {
            parent: n,
            kind: names.id(k),
            out,
        },
    )))
}

/// The kind filter of a search as a byte test.
fn keeper(kinds: Option<&[String]>) -> impl Fn(&[u8]) -> bool + '_ {
    move |k: &[u8]| kinds.is_none_or(|ks| ks.iter().any(|x| x.as_bytes() == k))
}

/// Rows of a range scan that belong to no event of the batch, beyond which the rest of the
/// batch is read by seeks instead (`2 × useful + this`).
const SCAN_SLACK: usize = 4096;

/// [`each_neighbour`] of the events `evs` (tier [`EVENT_TIER`]): `f(event, neighbour, step)`,
/// the relations out of the events first, until it breaks.
///
/// The events are taken in the order of their ids' text (the order of `relations_src`),
/// [`EVENT_BATCH`] at a time. The relations out of a batch are read by one scan of the index
/// range from its first id to its last: a hub's events are mostly neighbours in id (one file
/// imported them), and a scan costs a fraction of a seek per event. When the range turns out
/// to hold mostly other events' rows (ids of other lengths sort between, or the events are
/// spread), the scan stops and the rest of the batch is read by one seek per event. The
/// relations *into* events are read by seeks, and only when the case has any (`into_events`).
fn each_event_neighbour(
    c: &Connection,
    evs: &[NodeId],
    into_events: bool,
    kinds: Option<&[String]>,
    names: &mut Kinds,
    f: &mut dyn FnMut(NodeId, NodeId, Step) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let keep = keeper(kinds);
    let mut keyed: Vec<(String, NodeId)> = evs.iter().map(|e| (e.to_string(), *e)).collect();
    keyed.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    // an event asked twice is read once
    keyed.dedup_by(|a, b| a.1 == b.1);
    for batch in keyed.chunks(EVENT_BATCH) {
        let (first, last) = (&batch[0].0, &batch[batch.len() - 1].0);
        // the batch's events not reached by the scan (from this index on)
        let mut i = 0;
        let (mut useful, mut wasted, mut gave_up) = (0usize, 0usize, false);
        {
            let mut stmt = c.prepare_cached(
                "SELECT src, dst, kind FROM relations WHERE src >= ?1 AND src <= ?2",
            )?;
            let mut rows = stmt.query([first, last])?;
            while let Some(r) = rows.next()? {
                let src = r.get_ref(0)?.as_bytes().unwrap_or(b"");
                while i < batch.len() && batch[i].0.as_bytes() < src {
                    i += 1;
                }
                if i < batch.len() && batch[i].0.as_bytes() == src {
                    useful += 1;
                    let k = r.get_ref(2)?.as_bytes().unwrap_or(b"");
                    if !keep(k) {
                        continue;
                    }
                    let Some(other) = node_of(r.get_ref(1)?.as_bytes().unwrap_or(b"")) else {
                        continue;
                    };
                    let n = batch[i].1;
                    let st = Step {
                        parent: n,
                        kind: names.id(k),
                        out: true,
                    };
                    if f(n, other, st).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                    continue;
                }
                wasted += 1;
                if wasted > 2 * useful + SCAN_SLACK {
                    // batch[i..] is untouched: the row is no event's, and those before it are done
                    gave_up = true;
                    break;
                }
            }
            if !gave_up {
                i = batch.len();
            }
        }
        let mut seek = |sql: &str, of: &[(String, NodeId)]| -> Result<ControlFlow<()>> {
            if of.is_empty() {
                return Ok(ControlFlow::Continue(()));
            }
            let ids = serde_json::Value::from(of.iter().map(|e| e.0.as_str()).collect::<Vec<_>>());
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query([ids.to_string()])?;
            while let Some(r) = rows.next()? {
                let Some(&(_, n)) = usize::try_from(r.get::<_, i64>(0)?)
                    .ok()
                    .and_then(|i| of.get(i))
                else {
                    continue;
                };
                let Some((other, st)) = step(r, 1, n, &keep, names)? else {
                    continue;
                };
                if f(n, other, st).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        };
        if seek(
            "SELECT j.key, r.dst, r.kind, 1 FROM json_each(?1) j CROSS JOIN relations r ON r.src = j.value",
            &batch[i..],
        )?
        .is_break()
        {
            return Ok(ControlFlow::Break(()));
        }
        if into_events
            && seek(
                "SELECT j.key, r.src, r.kind, 0 FROM json_each(?1) j CROSS JOIN relations r ON r.dst = j.value",
                batch,
            )?
            .is_break()
        {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Whether any relation runs into an event (none in the cases the importers write today:
/// an event is the source of its `mentions`); one index seek.
fn relations_into_events(c: &Connection) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM relations WHERE dst >= 'event:' AND dst < 'event;')",
        [],
        |r| r.get(0),
    )?)
}

/// How many neighbour tiers a search round walks: the relation tiers of an entity, then
/// incident membership.
const TIERS: usize = TIERS_ENTITY.len() + 1;

/// Call `f` with each neighbour of `n` in preference tier `tier` (`0..TIERS`: its relation
/// tiers, then incident membership; none past them) over stored relations (only of `kinds`
/// when given), until it breaks.
fn each_neighbour(
    c: &Connection,
    n: NodeId,
    tier: usize,
    kinds: Option<&[String]>,
    names: &mut Kinds,
    f: &mut dyn FnMut(NodeId, Step) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let keep = keeper(kinds);
    // an event's relations are read many events at a time (`each_event_neighbour`)
    if matches!(n, NodeId::Event(_)) {
        return Ok(ControlFlow::Continue(()));
    }
    let sql = TIERS_ENTITY.get(tier);
    if let Some(sql) = sql {
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = stmt.query([n.to_string()])?;
        while let Some(r) = rows.next()? {
            let Some((other, st)) = step(r, 0, n, &keep, names)? else {
                continue;
            };
            if f(other, st).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        return Ok(ControlFlow::Continue(()));
    }
    if tier == TIERS_ENTITY.len() && keep(b"contains") {
        let (sql, i) = match n {
            NodeId::Incident(i) => ("SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE ia.incident_id = ?1 ORDER BY a.id", i),
            NodeId::Alert(a) => ("SELECT ia.incident_id FROM alerts a JOIN incident_alerts ia ON ia.alert_ext_id = a.ext_id WHERE a.id = ?1 ORDER BY ia.incident_id", a),
            _ => return Ok(ControlFlow::Continue(())),
        };
        let kind = names.id(b"contains");
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = stmt.query([i])?;
        while let Some(r) = rows.next()? {
            let x: i64 = r.get(0)?;
            // incident → alert
            let (other, out) = match n {
                NodeId::Incident(_) => (NodeId::Alert(x), true),
                _ => (NodeId::Incident(x), false),
            };
            let st = Step {
                parent: n,
                kind,
                out,
            };
            if f(other, st).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// How many relations `n` has, each direction counted up to [`DEGREE_CAP`] (index only).
fn degree(c: &Connection, n: NodeId) -> Result<u64> {
    let mut stmt = c.prepare_cached(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM relations WHERE src = ?1 LIMIT ?2))
              + (SELECT count(*) FROM (SELECT 1 FROM relations WHERE dst = ?1 LIMIT ?2))",
    )?;
    let d: i64 = stmt.query_row(rusqlite::params![n.to_string(), DEGREE_CAP], |r| r.get(0))?;
    Ok(d.max(1) as u64)
}

/// A read transaction on `c` unless one is open already (dropped: rolled back, it wrote
/// nothing).
pub(crate) fn read_transaction(c: &Connection) -> Result<Option<rusqlite::Transaction<'_>>> {
    Ok(if c.is_autocommit() {
        Some(c.unchecked_transaction()?)
    } else {
        None
    })
}

/// The step that reached each visited node (none for the side's start).
type Visited = HashMap<NodeId, Option<Step>>;

/// One side of the search.
struct Side {
    visited: Visited,
    frontier: Vec<NodeId>,
    depth: usize,
}

impl Side {
    fn new(start: NodeId) -> Side {
        Side {
            visited: HashMap::from_iter([(start, None)]),
            frontier: vec![start],
            depth: 0,
        }
    }
}

/// How many frontier nodes have their degree read; a bigger frontier's total is extrapolated
/// from them (a cost estimate, never a limit on what is read).
const DEGREE_SAMPLE: usize = 64;

/// Estimated total degree of `frontier`: the degrees of [`DEGREE_SAMPLE`] of its nodes spread
/// evenly over it (a frontier lists a level's entities before its events: its first nodes
/// alone would be mostly hubs), scaled to its length.
fn cost(c: &Connection, frontier: &[NodeId], cache: &mut HashMap<NodeId, u64>) -> Result<u64> {
    let mut sum = 0u64;
    let k = frontier.len().min(DEGREE_SAMPLE);
    let sample: Vec<NodeId> = (0..k)
        .map(|i| frontier[(2 * i + 1) * frontier.len() / (2 * k)])
        .collect();
    for &n in &sample {
        let d = match cache.get(&n) {
            Some(&d) => d,
            None => {
                let d = degree(c, n)?;
                cache.insert(n, d);
                d
            }
        };
        sum += d;
    }
    Ok(sum.saturating_mul(frontier.len() as u64) / sample.len().max(1) as u64)
}

/// The shortest path from `from` to `to` over at most `max_depth` edges, following edges in
/// either direction, only of `kinds` when given. Nodes come in path order; empty when there
/// is none within the depth.
///
/// Bidirectional breadth-first search: each round expands one whole level of the side with
/// the smaller total degree and stops at the first node the other side has visited. Every
/// meeting found in one round has the same length (a shorter one would have been met in an
/// earlier round), so the first is a shortest path, and which one it is depends only on the
/// case, not on timing.
pub fn path(
    store: &SqliteStore,
    from: NodeId,
    to: NodeId,
    max_depth: usize,
    kinds: Option<&[String]>,
) -> Result<Expansion> {
    let c = store.conn();
    // one read transaction for the whole search: each of its thousands of statements would
    // otherwise take and drop the case's read lock (system calls) on its own
    let _read = read_transaction(c)?;
    let mut graph = CaseGraph::new();
    graph.load(store, from)?;
    graph.load(store, to)?;
    if from == to {
        let nodes = vec![explore::node_view(store, from)?];
        return Ok(Expansion {
            total: 1,
            more: 0,
            nodes,
            edges: vec![],
        });
    }
    let mut names = Kinds::default();
    // every kind: over entity pairs, unless the case has too many events of their own
    if kinds.is_none() {
        if let Some((ids, edges)) = pairs::search(c, from, to, max_depth, &mut names)? {
            return expansion(store, &mut graph, ids, edges);
        }
    }
    let into_events = relations_into_events(c)?;
    let mut degrees: HashMap<NodeId, u64> = HashMap::default();
    let (mut fwd, mut bwd) = (Side::new(from), Side::new(to));
    let mut meet: Option<NodeId> = None;
    while fwd.depth + bwd.depth < max_depth && !fwd.frontier.is_empty() && !bwd.frontier.is_empty()
    {
        // the side with the smaller (estimated) total degree
        let fc = cost(c, &fwd.frontier, &mut degrees)?;
        let bc = cost(c, &bwd.frontier, &mut degrees)?;
        let forward = fc <= bc;
        let (mine, other) = if forward {
            (&mut fwd, &bwd)
        } else {
            (&mut bwd, &fwd)
        };
        let mut next = vec![];
        let frontier = std::mem::take(&mut mine.frontier);
        // tier by tier over the whole level (every node found in a round is one step further,
        // whatever its tier): a meeting over entity-to-entity relations is found before any
        // hub's event mentions are read
        let visited = &mut mine.visited;
        let mut visit = |_: NodeId, m: NodeId, st: Step| {
            match visited.entry(m) {
                Entry::Occupied(_) => return ControlFlow::Continue(()),
                Entry::Vacant(v) => {
                    v.insert(Some(st));
                }
            }
            if other.visited.contains_key(&m) {
                meet = Some(m);
                return ControlFlow::Break(());
            }
            next.push(m);
            ControlFlow::Continue(())
        };
        let events: Vec<NodeId> = frontier
            .iter()
            .copied()
            .filter(|n| matches!(n, NodeId::Event(_)))
            .collect();
        'round: for tier in 0..TIERS {
            for &n in &frontier {
                let flow =
                    each_neighbour(c, n, tier, kinds, &mut names, &mut |m, st| visit(n, m, st))?;
                if flow.is_break() {
                    break 'round;
                }
            }
            if tier == EVENT_TIER {
                // the level's events, many per statement
                if each_event_neighbour(c, &events, into_events, kinds, &mut names, &mut visit)?
                    .is_break()
                {
                    break 'round;
                }
            }
        }
        mine.frontier = next;
        mine.depth += 1;
        if meet.is_some() {
            break;
        }
    }
    let Some(m) = meet else {
        return Ok(Expansion::default());
    };
    let view = |st: &Step, node: NodeId| {
        let (src, dst, kind) = st.edge(node);
        EdgeView::new(src, dst, &names.names[kind as usize])
    };
    // from … m
    let mut ids = vec![m];
    let mut edges = vec![];
    let mut cur = m;
    while let Some(Some(st)) = fwd.visited.get(&cur) {
        edges.push(view(st, cur));
        ids.push(st.parent);
        cur = st.parent;
    }
    ids.reverse();
    edges.reverse();
    // m … to
    let mut cur = m;
    while let Some(Some(st)) = bwd.visited.get(&cur) {
        edges.push(view(st, cur));
        ids.push(st.parent);
        cur = st.parent;
    }
    expansion(store, &mut graph, ids, edges)
}

/// A path's nodes (loaded into `graph`) and edges as an expansion.
fn expansion(
    store: &SqliteStore,
    graph: &mut CaseGraph,
    ids: Vec<NodeId>,
    edges: Vec<EdgeView>,
) -> Result<Expansion> {
    if ids.is_empty() {
        return Ok(Expansion::default());
    }
    let mut nodes = vec![];
    for id in ids {
        graph.load(store, id)?;
        nodes.push(
            graph
                .node(id)
                .cloned()
                .ok_or(crate::GraphError::NoSuchNode(id))?,
        );
    }
    Ok(Expansion {
        total: nodes.len() as u64,
        more: 0,
        nodes,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cb_store::Actor;
    use std::collections::BTreeSet;

    fn ids(n: NodeId) -> String {
        n.to_string()
    }

    /// The batched read of events' relations gives each relation of each asked event once,
    /// whether the batch's id range is dense (one scan), spread over ids of other lengths
    /// (the scan gives up and seeks), or mixed; the relations into events are read too.
    #[test]
    fn events_relations_read_in_batches_are_every_relation_once() {
        let s = SqliteStore::in_memory(Actor("tester".into())).unwrap();
        let c = s.conn();
        // events 1..=30_000 mention two or three entities; a few events are the target of a
        // relation (into an event)
        {
            let tx = c.unchecked_transaction().unwrap();
            let mut ins = tx
                .prepare("INSERT INTO relations (src, dst, kind, props) VALUES (?1, ?2, ?3, '{}')")
                .unwrap();
            for e in 1..=30_000i64 {
                let ev = ids(NodeId::Event(e));
                ins.execute([&ev, &ids(NodeId::Entity(e % 7)), "mentions"])
                    .unwrap();
                ins.execute([&ev, &ids(NodeId::Entity(100 + e % 1000)), "mentions"])
                    .unwrap();
                if e % 3 == 0 {
                    ins.execute([&ev, &ids(NodeId::Entity(5000 + e)), "mentions"])
                        .unwrap();
                }
                if e % 1000 == 0 {
                    ins.execute([&ids(NodeId::Alert(e)), &ev, "evidence"])
                        .unwrap();
                }
            }
            drop(ins);
            tx.commit().unwrap();
        }
        let truth = |evs: &[NodeId]| -> BTreeSet<(String, String, String, bool)> {
            let mut out = BTreeSet::new();
            for e in evs {
                let mut st = c
                    .prepare("SELECT src, dst, kind FROM relations WHERE src = ?1 OR dst = ?1")
                    .unwrap();
                let mut rows = st.query([ids(*e)]).unwrap();
                while let Some(r) = rows.next().unwrap() {
                    let (a, b, k): (String, String, String) =
                        (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap());
                    let out_of = a == ids(*e);
                    let other = if out_of { b } else { a };
                    out.insert((ids(*e), other, k, out_of));
                }
            }
            out
        };
        let read = |evs: &[NodeId], kinds: Option<&[String]>| {
            let mut names = Kinds::default();
            let mut got = vec![];
            let into = relations_into_events(c).unwrap();
            assert!(into);
            let flow = each_event_neighbour(c, evs, into, kinds, &mut names, &mut |e, o, st| {
                assert_eq!(st.parent, e);
                got.push((e, o, st.kind, st.out));
                ControlFlow::Continue(())
            })
            .unwrap();
            assert!(flow.is_continue());
            let set: BTreeSet<_> = got
                .iter()
                .map(|(e, o, k, out)| (ids(*e), ids(*o), names.names[*k as usize].clone(), *out))
                .collect();
            assert_eq!(set.len(), got.len(), "a relation given twice");
            set
        };
        // dense: a run of neighbouring ids
        let dense: Vec<NodeId> = (12_000..13_500).map(NodeId::Event).collect();
        // spread: ids of every length, far apart (each batch's text range holds mostly others)
        let spread: Vec<NodeId> = [1, 9, 10, 99, 100, 999, 1000, 4321, 9999, 10_000, 29_999]
            .into_iter()
            .chain((1..30_000).step_by(37))
            .map(NodeId::Event)
            .collect();
        for evs in [&dense[..], &spread[..]] {
            assert_eq!(read(evs, None), truth(evs));
        }
        // a kind filter keeps only that kind
        let only = vec!["evidence".to_string()];
        let got = read(&spread, Some(&only));
        assert!(!got.is_empty());
        assert_eq!(
            got,
            truth(&spread)
                .into_iter()
                .filter(|r| r.2 == "evidence")
                .collect()
        );
    }
}
