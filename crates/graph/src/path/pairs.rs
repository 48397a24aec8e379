//! The path search over entity pairs: an event between two entities is one step of length 2
//! read from cb-store's `co_mentions` (the entities related to one same event, with the
//! smallest such event), so a path between two hosts walks a few thousand integer rows
//! instead of each host's 200k event relations and those events' own relations.
//!
//! Exact, not an estimate. An event is a node of its own in this search only when it has a
//! relation whose other end is not an entity (an alert's `evidence`, a relation into an
//! event) or it is an end of the path: such events are few and are read up front with all
//! their relations. Every other event relates entities only, so a path through it goes
//! entity → event → entity, which is a pair of `co_mentions`. The search is Dijkstra from both
//! ends at once over steps of length 1 (stored relations, incident membership) and 2 (a pair),
//! with distances in buckets: it stops when the two smallest distances still to expand add up
//! to the best meeting found, or exceed the depth. Among paths of one length a step over a
//! stored relation is kept over a pair.

use super::{each_neighbour, node_of, HashMap, Kinds, Step, TIERS, TIERS_ENTITY};
use crate::{EdgeView, Result};
use cb_domain::NodeId;
use rusqlite::{params, Connection};
use std::ops::ControlFlow;

/// More events than this that are nodes of their own (alerts' evidence…), or more relations
/// of theirs than [`SPECIAL_RELATIONS_CAP`]: the search over pairs is not taken (the plain one
/// is, same answer).
const SPECIAL_CAP: usize = 20_000;
const SPECIAL_RELATIONS_CAP: usize = 200_000;

/// How a node was reached: over a stored relation, or over an event relating the parent and
/// the node (a pair, two steps).
#[derive(Clone, Copy)]
enum Via {
    Rel(Step),
    Pair { parent: NodeId, event: i64 },
}

struct Reached {
    dist: usize,
    via: Option<Via>,
}

/// One side of the search: what it reached, and the nodes to expand by distance.
struct Side {
    reached: HashMap<NodeId, Reached>,
    buckets: Vec<Vec<NodeId>>,
    next: usize,
}

impl Side {
    fn new(start: NodeId) -> Side {
        Side {
            reached: HashMap::from_iter([(start, Reached { dist: 0, via: None })]),
            buckets: vec![vec![start]],
            next: 0,
        }
    }

    /// The smallest distance that has nodes to expand (stale entries dropped).
    fn top(&mut self) -> Option<usize> {
        let Side {
            reached,
            buckets,
            next,
        } = self;
        while *next < buckets.len() {
            let d = *next;
            buckets[d].retain(|n| reached.get(n).is_some_and(|r| r.dist == d));
            if !buckets[d].is_empty() {
                return Some(d);
            }
            *next += 1;
        }
        None
    }

    /// Reach `n` at `dist` by `via`; true when that is nearer than before.
    fn offer(&mut self, n: NodeId, dist: usize, via: Via) -> bool {
        if let Some(r) = self.reached.get_mut(&n) {
            if dist < r.dist {
                r.dist = dist;
                r.via = Some(via);
            } else {
                // one length: a stored relation over a pair (parents are nearer either way,
                // so the chain stays a path)
                if dist == r.dist
                    && matches!(r.via, Some(Via::Pair { .. }))
                    && matches!(via, Via::Rel(_))
                {
                    r.via = Some(via);
                }
                return false;
            }
        } else {
            self.reached.insert(
                n,
                Reached {
                    dist,
                    via: Some(via),
                },
            );
        }
        if self.buckets.len() <= dist {
            self.buckets.resize_with(dist + 1, Vec::new);
        }
        self.buckets[dist].push(n);
        true
    }
}

/// The events that are nodes of their own, with their relations as steps from the event, and
/// for each entity the steps from it to such events. `None`: too many for this search.
struct Special {
    events: HashMap<i64, Vec<(NodeId, Step)>>,
    of_entity: HashMap<i64, Vec<(NodeId, Step)>>,
}

fn special(c: &Connection, ends: [NodeId; 2], names: &mut Kinds) -> Result<Option<Special>> {
    let mut ids: Vec<i64> = ends
        .iter()
        .filter_map(|n| match n {
            NodeId::Event(e) => Some(*e),
            _ => None,
        })
        .collect();
    for sql in [
        // relations into events
        "SELECT DISTINCT dst FROM relations WHERE dst >= 'event:' AND dst < 'event;' LIMIT ?1",
        // relations from events to alerts or incidents (a range of `relations_dst`: the
        // planner would otherwise scan every event's relations in `relations_src`)
        "SELECT DISTINCT src FROM relations INDEXED BY relations_dst WHERE dst >= 'alert:' AND dst < 'alert;' AND src >= 'event:' AND src < 'event;' LIMIT ?1",
        "SELECT DISTINCT src FROM relations INDEXED BY relations_dst WHERE dst >= 'incident:' AND dst < 'incident;' AND src >= 'event:' AND src < 'event;' LIMIT ?1",
    ] {
        let mut st = c.prepare_cached(sql)?;
        let mut rows = st.query([SPECIAL_CAP as i64 + 1])?;
        while let Some(r) = rows.next()? {
            if let Some(NodeId::Event(e)) = node_of(r.get_ref(0)?.as_bytes().unwrap_or(b"")) {
                ids.push(e);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > SPECIAL_CAP {
        return Ok(None);
    }
    let mut sp = Special {
        events: HashMap::default(),
        of_entity: HashMap::default(),
    };
    let mut total = 0;
    let mut st = c.prepare_cached(
        "SELECT dst, kind, 1 FROM relations WHERE src = ?1
         UNION ALL
         SELECT src, kind, 0 FROM relations WHERE dst = ?1",
    )?;
    for e in ids {
        let ev = NodeId::Event(e);
        let mut steps = vec![];
        let mut rows = st.query([ev.to_string()])?;
        while let Some(r) = rows.next()? {
            let Some(other) = node_of(r.get_ref(0)?.as_bytes().unwrap_or(b"")) else {
                continue;
            };
            let kind = names.id(r.get_ref(1)?.as_bytes().unwrap_or(b""));
            let out = r.get_ref(2)?.as_i64().unwrap_or(0) == 1;
            steps.push((
                other,
                Step {
                    parent: ev,
                    kind,
                    out,
                },
            ));
            if let NodeId::Entity(x) = other {
                sp.of_entity.entry(x).or_default().push((
                    ev,
                    Step {
                        parent: other,
                        kind,
                        out: !out,
                    },
                ));
            }
            total += 1;
            if total > SPECIAL_RELATIONS_CAP {
                return Ok(None);
            }
        }
        sp.events.insert(e, steps);
    }
    Ok(Some(sp))
}

/// An entity's `mentions` whose other end is not an event (the rest of what the plain
/// search's event tier reads is pairs or [`Special`] here).
const ENTITY_MENTIONS: &str =
    "SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind = 'mentions' AND dst < 'event:'
     UNION ALL
     SELECT dst, kind, 1 FROM relations WHERE src = ?1 AND kind = 'mentions' AND dst >= 'event;'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind = 'mentions' AND src < 'event:'
     UNION ALL
     SELECT src, kind, 0 FROM relations WHERE dst = ?1 AND kind = 'mentions' AND src >= 'event;'";

/// Each step out of `n`: `f(node, how, length)`.
fn each_step(
    c: &Connection,
    n: NodeId,
    sp: &Special,
    names: &mut Kinds,
    f: &mut dyn FnMut(NodeId, Via, usize),
) -> Result<()> {
    if let NodeId::Event(e) = n {
        for &(m, st) in sp.events.get(&e).map_or(&[][..], Vec::as_slice) {
            f(m, Via::Rel(st), 1);
        }
        return Ok(());
    }
    for tier in 0..TIERS {
        if tier == super::EVENT_TIER {
            if let NodeId::Entity(x) = n {
                let mut stmt = c.prepare_cached(ENTITY_MENTIONS)?;
                let mut rows = stmt.query([n.to_string()])?;
                while let Some(r) = rows.next()? {
                    if let Some((m, st)) = super::step(r, 0, n, &|_| true, names)? {
                        f(m, Via::Rel(st), 1);
                    }
                }
                for &(m, st) in sp.of_entity.get(&x).map_or(&[][..], Vec::as_slice) {
                    f(m, Via::Rel(st), 1);
                }
                continue;
            }
        }
        let _ = each_neighbour(c, n, tier, None, names, &mut |m, st| {
            f(m, Via::Rel(st), 1);
            ControlFlow::Continue(())
        })?;
    }
    if let NodeId::Entity(x) = n {
        let mut st = c.prepare_cached("SELECT b, event FROM co_mentions WHERE a = ?1")?;
        let mut rows = st.query([x])?;
        while let Some(r) = rows.next()? {
            let (b, event): (i64, i64) = (r.get(0)?, r.get(1)?);
            f(NodeId::Entity(b), Via::Pair { parent: n, event }, 2);
        }
    }
    Ok(())
}

/// The relation kind a pair's event has towards `entity` (the first in index order, as the
/// plain search would meet it).
fn kind_towards(c: &Connection, event: i64, entity: NodeId) -> Result<String> {
    Ok(c.prepare_cached(
        "SELECT kind FROM relations WHERE src = ?1 AND dst = ?2 ORDER BY kind LIMIT 1",
    )?
    .query_row(
        params![NodeId::Event(event).to_string(), entity.to_string()],
        |r| r.get(0),
    )?)
}

/// The shortest path from `from` to `to` over at most `max_depth` edges (either direction,
/// every kind) as its nodes and edges in path order (empty: none within the depth); `None`
/// when the case has too many events that are nodes of their own for this search.
pub(super) fn search(
    c: &Connection,
    from: NodeId,
    to: NodeId,
    max_depth: usize,
    names: &mut Kinds,
) -> Result<Option<(Vec<NodeId>, Vec<EdgeView>)>> {
    debug_assert_eq!(TIERS, TIERS_ENTITY.len() + 1);
    let Some(sp) = special(c, [from, to], names)? else {
        return Ok(None);
    };
    let (mut fwd, mut bwd) = (Side::new(from), Side::new(to));
    let mut best: Option<(usize, NodeId)> = None;
    while let (Some(tf), Some(tb)) = (fwd.top(), bwd.top()) {
        if tf + tb > max_depth || best.is_some_and(|(mu, _)| tf + tb >= mu) {
            break;
        }
        let forward = fwd.buckets[tf].len() <= bwd.buckets[tb].len();
        let (mine, other, d) = if forward {
            (&mut fwd, &bwd, tf)
        } else {
            (&mut bwd, &fwd, tb)
        };
        let level = std::mem::take(&mut mine.buckets[d]);
        for u in level {
            each_step(c, u, &sp, names, &mut |v, via, w| {
                let nd = d + w;
                if nd > max_depth || !mine.offer(v, nd, via) {
                    return;
                }
                if let Some(r) = other.reached.get(&v) {
                    let mu = nd + r.dist;
                    if mu <= max_depth && best.is_none_or(|(b, _)| mu < b) {
                        best = Some((mu, v));
                    }
                }
            })?;
        }
    }
    let Some((_, m)) = best else {
        return Ok(Some((vec![], vec![])));
    };
    // each side's chain from the meeting back to its end, as (node, edges to the next one)
    let chain = |side: &Side| -> Result<(Vec<NodeId>, Vec<EdgeView>)> {
        let (mut ids, mut edges) = (vec![], vec![]);
        let mut cur = m;
        while let Some(Some(via)) = side.reached.get(&cur).map(|r| r.via) {
            match via {
                Via::Rel(st) => {
                    let (s, d, k) = st.edge(cur);
                    edges.push(EdgeView::new(s, d, &names.names[k as usize]));
                    ids.push(st.parent);
                    cur = st.parent;
                }
                Via::Pair { parent, event } => {
                    let ev = NodeId::Event(event);
                    edges.push(EdgeView::new(ev, cur, &kind_towards(c, event, cur)?));
                    ids.push(ev);
                    edges.push(EdgeView::new(ev, parent, &kind_towards(c, event, parent)?));
                    ids.push(parent);
                    cur = parent;
                }
            }
        }
        Ok((ids, edges))
    };
    let (fwd_ids, fwd_edges) = chain(&fwd)?;
    let (bwd_ids, bwd_edges) = chain(&bwd)?;
    // from … m … to
    let mut ids: Vec<NodeId> = fwd_ids.into_iter().rev().collect();
    ids.push(m);
    ids.extend(bwd_ids);
    let mut edges: Vec<EdgeView> = fwd_edges.into_iter().rev().collect();
    edges.extend(bwd_edges);
    Ok(Some((ids, edges)))
}
