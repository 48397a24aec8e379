//! Shortest path over stored relations: breadth-first, bounded depth, optional filter on edge
//! kinds. Neighbours are read from the store as the search reaches them (nothing is loaded up
//! front); incident membership counts as a `contains` edge from the incident to the alert.

use crate::{explore, CaseGraph, EdgeView, Expansion, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use std::collections::HashMap;

/// A side of the search stops growing once it has visited this many nodes; the other side
/// goes on, so a hub with more neighbours than this on one end still meets a small frontier
/// coming from the other end.
const MAX_VISITED: usize = 200_000;

/// Neighbours of `n` over stored relations: (neighbour, edge).
fn neighbours(
    store: &SqliteStore,
    n: NodeId,
    kinds: Option<&[String]>,
) -> Result<Vec<(NodeId, EdgeView)>> {
    let c = store.conn();
    let mut out = vec![];
    let keep = |k: &str| kinds.is_none_or(|ks| ks.iter().any(|x| x == k));
    let mut stmt = c.prepare_cached(
        "SELECT src, dst, kind FROM relations WHERE src = ?1 UNION ALL SELECT src, dst, kind FROM relations WHERE dst = ?1",
    )?;
    let rows = stmt.query_map([n.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for r in rows {
        let (s, d, k) = r?;
        if !keep(&k) {
            continue;
        }
        let (Ok(s), Ok(d)) = (s.parse::<NodeId>(), d.parse::<NodeId>()) else {
            continue;
        };
        let other = if s == n { d } else { s };
        out.push((other, EdgeView::new(s, d, &k)));
    }
    // among paths of one length the first found wins: prefer entity-to-entity relations
    // (a host → logon session → host step) over events that mention both ends, and both
    // over "possibly the same as"
    out.sort_by_key(|(m, e)| match (m, e.kind.as_str()) {
        (_, "possibly_same_as") => 2,
        (NodeId::Event(_), _) => 1,
        _ if matches!(n, NodeId::Event(_)) => 1,
        _ => 0,
    });
    if keep("contains") {
        match n {
            NodeId::Incident(i) => {
                let mut stmt = c.prepare_cached(
                    "SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE ia.incident_id = ?1 ORDER BY a.id",
                )?;
                for a in stmt.query_map([i], |r| r.get::<_, i64>(0))? {
                    let a = NodeId::Alert(a?);
                    out.push((a, EdgeView::new(n, a, "contains")));
                }
            }
            NodeId::Alert(a) => {
                let mut stmt = c.prepare_cached(
                    "SELECT ia.incident_id FROM alerts a JOIN incident_alerts ia ON ia.alert_ext_id = a.ext_id WHERE a.id = ?1 ORDER BY ia.incident_id",
                )?;
                for i in stmt.query_map([a], |r| r.get::<_, i64>(0))? {
                    let i = NodeId::Incident(i?);
                    out.push((i, EdgeView::new(i, n, "contains")));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

type Visited = HashMap<NodeId, (usize, Option<(NodeId, EdgeView)>)>;

/// The shortest path from `from` to `to` over at most `max_depth` edges, following edges in
/// either direction, only of `kinds` when given. Nodes come in path order; empty when there
/// is none within the depth.
///
/// Bidirectional breadth-first search: each round expands one whole level of the smaller
/// frontier, and among the meetings found in that level the shortest (then the first found)
/// wins, so the answer is a shortest path and does not depend on timing.
pub fn path(
    store: &SqliteStore,
    from: NodeId,
    to: NodeId,
    max_depth: usize,
    kinds: Option<&[String]>,
) -> Result<Expansion> {
    path_within(store, from, to, max_depth, kinds, MAX_VISITED)
}

/// [`path`] with the per-side visit budget given (tests use a small one).
#[doc(hidden)]
pub fn path_within(
    store: &SqliteStore,
    from: NodeId,
    to: NodeId,
    max_depth: usize,
    kinds: Option<&[String]>,
    max_visited: usize,
) -> Result<Expansion> {
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
    let mut fwd: Visited = HashMap::from([(from, (0, None))]);
    let mut bwd: Visited = HashMap::from([(to, (0, None))]);
    let (mut ff, mut bf) = (vec![from], vec![to]);
    let (mut df, mut db) = (0usize, 0usize);
    let mut meet: Option<(usize, NodeId)> = None;
    while df + db < max_depth && !ff.is_empty() && !bf.is_empty() {
        // the smaller frontier among the sides still under budget
        let f_ok = fwd.len() < max_visited;
        let b_ok = bwd.len() < max_visited;
        let forward = match (f_ok, b_ok) {
            (false, false) => break,
            (true, false) => true,
            (false, true) => false,
            (true, true) => ff.len() <= bf.len(),
        };
        let (frontier, mine, other, depth) = if forward {
            (&mut ff, &mut fwd, &bwd, &mut df)
        } else {
            (&mut bf, &mut bwd, &fwd, &mut db)
        };
        let mut next = vec![];
        for n in std::mem::take(frontier) {
            for (m, e) in neighbours(store, n, kinds)? {
                if mine.contains_key(&m) {
                    continue;
                }
                mine.insert(m, (*depth + 1, Some((n, e))));
                if let Some((dm, _)) = other.get(&m) {
                    let len = *depth + 1 + dm;
                    if meet.is_none_or(|(best, _)| len < best) {
                        meet = Some((len, m));
                    }
                }
                next.push(m);
            }
        }
        *frontier = next;
        *depth += 1;
        if meet.is_some() {
            break;
        }
    }
    let Some((_, m)) = meet else {
        return Ok(Expansion::default());
    };
    // from … m
    let mut ids = vec![m];
    let mut edges = vec![];
    let mut cur = m;
    while let Some((_, Some((p, e)))) = fwd.get(&cur) {
        edges.push(e.clone());
        ids.push(*p);
        cur = *p;
    }
    ids.reverse();
    edges.reverse();
    // m … to
    let mut cur = m;
    while let Some((_, Some((p, e)))) = bwd.get(&cur) {
        edges.push(e.clone());
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
