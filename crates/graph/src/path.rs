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

use crate::{explore, CaseGraph, EdgeView, Expansion, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use rusqlite::Connection;
use std::collections::HashMap as StdMap;

/// Node-id maps of one search (foldhash: ids are not attacker-chosen keys of a long-lived
/// table, and SipHash was a tenth of a hub search).
type HashMap<K, V> = StdMap<K, V, foldhash::fast::FixedState>;
use std::ops::ControlFlow;

/// A node's degree is counted up to this many relations per direction (a cost estimate for
/// choosing the side to grow, never a limit on what is read).
pub const DEGREE_CAP: i64 = 10_000;

/// One stored edge, compactly: its ends and its kind (an index into [`Kinds`]).
#[derive(Clone, Copy)]
struct Edge {
    src: NodeId,
    dst: NodeId,
    kind: u32,
}

/// Edge kinds seen during one search, interned.
#[derive(Default)]
struct Kinds {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Kinds {
    fn id(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.ids.get(k) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(k.to_string());
        self.ids.insert(k.to_string(), i);
        i
    }
}

/// The neighbour reads of one node, in preference order: among paths of one length the first
/// found wins, so entity-to-entity relations (a host → logon session → host step) come first,
/// then events that mention the node (or that the node is), then "possibly the same as".
/// Each statement yields `(src, dst, kind)`; `?1` is the node id.
const TIERS_ENTITY: &[&str] = &[
    // kinds other than `mentions` and `possibly_same_as` as index ranges, so a hub's 200k
    // mentions are stepped over
    "SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind < 'mentions' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind > 'possibly_same_as' AND dst NOT LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind < 'mentions' AND src NOT LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND src NOT LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind > 'possibly_same_as' AND src NOT LIKE 'event:%'",
    "SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind < 'mentions' AND dst LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND dst LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind > 'possibly_same_as' AND dst LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind < 'mentions' AND src LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind > 'mentions' AND kind < 'possibly_same_as' AND src LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind > 'possibly_same_as' AND src LIKE 'event:%'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind = 'mentions'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind = 'mentions'",
    "SELECT src, dst, kind FROM relations WHERE src = ?1 AND kind = 'possibly_same_as'
     UNION ALL
     SELECT src, dst, kind FROM relations WHERE dst = ?1 AND kind = 'possibly_same_as'",
];

/// The tier an event's relations are in (all of them: `possibly_same_as` links two entities
/// only, cb-store's `link_aliases` being its one writer), read by [`each_event_neighbour`].
const EVENT_TIER: usize = 1;

/// Events whose relations one statement reads.
const EVENT_BATCH: usize = 512;

/// The step from `n` over the relation in columns `at..at + 3` (src, dst, kind) of `r`: the
/// node at its other end and the edge (`None`: a kind not kept, or ids that are no node ids).
fn step(
    r: &rusqlite::Row<'_>,
    at: usize,
    n: NodeId,
    keep: &dyn Fn(&str) -> bool,
    names: &mut Kinds,
) -> Result<Option<(NodeId, Edge)>> {
    let k = r.get_ref(at + 2)?.as_str().unwrap_or("");
    if !keep(k) {
        return Ok(None);
    }
    let (Ok(s), Ok(d)) = (
        r.get_ref(at)?.as_str().unwrap_or("").parse::<NodeId>(),
        r.get_ref(at + 1)?.as_str().unwrap_or("").parse::<NodeId>(),
    ) else {
        return Ok(None);
    };
    let other = if s == n { d } else { s };
    Ok(Some((
        other,
        Edge {
            src: s,
            dst: d,
            kind: names.id(k),
        },
    )))
}

/// [`each_neighbour`] of the events `evs` (tier [`EVENT_TIER`]) with one statement per batch:
/// `f(event, neighbour, edge)`, the relations out of the events first, until it breaks.
fn each_event_neighbour(
    c: &Connection,
    evs: &[NodeId],
    kinds: Option<&[String]>,
    names: &mut Kinds,
    f: &mut dyn FnMut(NodeId, NodeId, Edge) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let keep = |k: &str| kinds.is_none_or(|ks| ks.iter().any(|x| x == k));
    let ids = serde_json::Value::from(evs.iter().map(|e| e.to_string()).collect::<Vec<_>>());
    let mut stmt = c.prepare_cached(
        "SELECT j.key, r.src, r.dst, r.kind FROM json_each(?1) j CROSS JOIN relations r ON r.src = j.value
         UNION ALL
         SELECT j.key, r.src, r.dst, r.kind FROM json_each(?1) j CROSS JOIN relations r ON r.dst = j.value",
    )?;
    let mut rows = stmt.query([ids.to_string()])?;
    while let Some(r) = rows.next()? {
        let Some(&n) = usize::try_from(r.get::<_, i64>(0)?)
            .ok()
            .and_then(|i| evs.get(i))
        else {
            continue;
        };
        let Some((other, e)) = step(r, 1, n, &keep, names)? else {
            continue;
        };
        if f(n, other, e).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
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
    f: &mut dyn FnMut(NodeId, Edge) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let keep = |k: &str| kinds.is_none_or(|ks| ks.iter().any(|x| x == k));
    // an event's relations are read many events at a time (`each_event_neighbour`)
    if matches!(n, NodeId::Event(_)) {
        return Ok(ControlFlow::Continue(()));
    }
    let sql = TIERS_ENTITY.get(tier);
    let id = n.to_string();
    if let Some(sql) = sql {
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = stmt.query([&id])?;
        while let Some(r) = rows.next()? {
            let Some((other, e)) = step(r, 0, n, &keep, names)? else {
                continue;
            };
            if f(other, e).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        return Ok(ControlFlow::Continue(()));
    }
    if tier == TIERS_ENTITY.len() && keep("contains") {
        let (sql, i) = match n {
            NodeId::Incident(i) => ("SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE ia.incident_id = ?1 ORDER BY a.id", i),
            NodeId::Alert(a) => ("SELECT ia.incident_id FROM alerts a JOIN incident_alerts ia ON ia.alert_ext_id = a.ext_id WHERE a.id = ?1 ORDER BY ia.incident_id", a),
            _ => return Ok(ControlFlow::Continue(())),
        };
        let kind = names.id("contains");
        let mut stmt = c.prepare_cached(sql)?;
        let mut rows = stmt.query([i])?;
        while let Some(r) = rows.next()? {
            let x: i64 = r.get(0)?;
            let (other, e) = match n {
                NodeId::Incident(_) => {
                    let a = NodeId::Alert(x);
                    (
                        a,
                        Edge {
                            src: n,
                            dst: a,
                            kind,
                        },
                    )
                }
                _ => {
                    let i = NodeId::Incident(x);
                    (
                        i,
                        Edge {
                            src: i,
                            dst: n,
                            kind,
                        },
                    )
                }
            };
            if f(other, e).is_break() {
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

/// Depth and the step that reached each visited node (none for the side's start).
type Visited = HashMap<NodeId, (usize, Option<(NodeId, Edge)>)>;

/// One side of the search.
struct Side {
    visited: Visited,
    frontier: Vec<NodeId>,
    depth: usize,
}

impl Side {
    fn new(start: NodeId) -> Side {
        Side {
            visited: HashMap::from_iter([(start, (0, None))]),
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
        let depth = mine.depth;
        let mut next = vec![];
        let frontier = std::mem::take(&mut mine.frontier);
        // tier by tier over the whole level (every node found in a round is one step further,
        // whatever its tier): a meeting over entity-to-entity relations is found before any
        // hub's event mentions are read
        let visited = &mut mine.visited;
        let mut visit = |n: NodeId, m: NodeId, e: Edge| {
            if visited.contains_key(&m) {
                return ControlFlow::Continue(());
            }
            visited.insert(m, (depth + 1, Some((n, e))));
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
                    each_neighbour(c, n, tier, kinds, &mut names, &mut |m, e| visit(n, m, e))?;
                if flow.is_break() {
                    break 'round;
                }
            }
            if tier == EVENT_TIER {
                // the level's events, many per statement
                for chunk in events.chunks(EVENT_BATCH) {
                    if each_event_neighbour(c, chunk, kinds, &mut names, &mut visit)?.is_break() {
                        break 'round;
                    }
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
    let view = |e: &Edge| EdgeView::new(e.src, e.dst, &names.names[e.kind as usize]);
    // from … m
    let mut ids = vec![m];
    let mut edges = vec![];
    let mut cur = m;
    while let Some((_, Some((p, e)))) = fwd.visited.get(&cur) {
        edges.push(view(e));
        ids.push(*p);
        cur = *p;
    }
    ids.reverse();
    edges.reverse();
    // m … to
    let mut cur = m;
    while let Some((_, Some((p, e)))) = bwd.visited.get(&cur) {
        edges.push(view(e));
        ids.push(*p);
        cur = *p;
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
