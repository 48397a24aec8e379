//! Shortest path over stored relations: breadth-first, bounded depth, optional filter on edge
//! kinds. Neighbours are read from the store as the search reaches them (nothing is loaded up
//! front); incident membership counts as a `contains` edge from the incident to the alert.

use crate::{explore, CaseGraph, EdgeView, Expansion, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use std::collections::{HashMap, VecDeque};

/// Stop a search that has visited this many nodes without reaching the target.
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
        "SELECT src, dst, kind FROM relations WHERE src = ?1 OR dst = ?1 ORDER BY id",
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

/// The shortest path from `from` to `to` over at most `max_depth` edges, following edges in
/// either direction, only of `kinds` when given. Nodes come in path order; empty when there
/// is none within the depth.
pub fn path(
    store: &SqliteStore,
    from: NodeId,
    to: NodeId,
    max_depth: usize,
    kinds: Option<&[String]>,
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
    let mut parent: HashMap<NodeId, (NodeId, EdgeView)> = HashMap::new();
    let mut depth: HashMap<NodeId, usize> = HashMap::from([(from, 0)]);
    let mut queue = VecDeque::from([from]);
    let mut found = false;
    'bfs: while let Some(n) = queue.pop_front() {
        let d = depth[&n];
        if d >= max_depth || depth.len() > MAX_VISITED {
            continue;
        }
        for (m, e) in neighbours(store, n, kinds)? {
            if depth.contains_key(&m) {
                continue;
            }
            depth.insert(m, d + 1);
            parent.insert(m, (n, e));
            if m == to {
                found = true;
                break 'bfs;
            }
            queue.push_back(m);
        }
    }
    if !found {
        return Ok(Expansion::default());
    }
    let mut ids = vec![to];
    let mut edges = vec![];
    let mut cur = to;
    while let Some((p, e)) = parent.get(&cur) {
        edges.push(e.clone());
        ids.push(*p);
        cur = *p;
    }
    ids.reverse();
    edges.reverse();
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
