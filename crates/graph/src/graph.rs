//! Our graph type. petgraph's `StableGraph` stays private: indices remain valid when nodes are
//! removed from the map, and nothing outside this module names a petgraph type.

use crate::{explore, EdgeView, Expansion, NodeView, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableGraph};
use petgraph::Direction;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

type Inner = StableGraph<NodeView, EdgeView>;

/// Nodes and typed, directed edges of (part of) a case, filled lazily from the store: only
/// what has been loaded or expanded is held.
#[derive(Debug, Clone, Default)]
pub struct CaseGraph {
    g: Inner,
    nodes: HashMap<NodeId, NodeIndex>,
    edges: HashMap<String, EdgeIndex>,
}

impl CaseGraph {
    pub fn new() -> CaseGraph {
        CaseGraph::default()
    }

    pub fn len(&self) -> usize {
        self.g.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.g.node_count() == 0
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.nodes.contains_key(&id)
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeView> {
        self.nodes.get(&id).map(|&i| &self.g[i])
    }

    /// Add a node (or refresh its view). `true` when it was new.
    pub fn add_node(&mut self, v: NodeView) -> bool {
        if let Some(&i) = self.nodes.get(&v.id) {
            self.g[i] = v;
            return false;
        }
        let id = v.id;
        let i = self.g.add_node(v);
        self.nodes.insert(id, i);
        true
    }

    /// Add an edge between two nodes already in the graph. `false` when it was there already
    /// or an end is missing.
    pub fn add_edge(&mut self, e: EdgeView) -> bool {
        if self.edges.contains_key(&e.id) {
            return false;
        }
        let (Some(&a), Some(&b)) = (self.nodes.get(&e.from), self.nodes.get(&e.to)) else {
            return false;
        };
        let id = e.id.clone();
        let i = self.g.add_edge(a, b, e);
        self.edges.insert(id, i);
        true
    }

    /// Remove a node and its edges. `true` when it was there.
    pub fn remove_node(&mut self, id: NodeId) -> bool {
        let Some(i) = self.nodes.remove(&id) else {
            return false;
        };
        let gone: Vec<String> = self
            .g
            .edges_directed(i, Direction::Outgoing)
            .chain(self.g.edges_directed(i, Direction::Incoming))
            .map(|e| e.weight().id.clone())
            .collect();
        for e in gone {
            self.edges.remove(&e);
        }
        self.g.remove_node(i);
        true
    }

    /// Add what an expansion brought; returns the nodes that were new.
    pub fn apply(&mut self, x: &Expansion) -> Vec<NodeId> {
        let mut new = vec![];
        for n in &x.nodes {
            if self.add_node(n.clone()) {
                new.push(n.id);
            }
        }
        for e in &x.edges {
            self.add_edge(e.clone());
        }
        new
    }

    /// Load one node from the store (if not there yet).
    pub fn load(&mut self, store: &SqliteStore, id: NodeId) -> Result<()> {
        if !self.contains(id) {
            self.add_node(explore::node_view(store, id)?);
        }
        Ok(())
    }

    /// Run an exploration query from `node` and add its page to the graph.
    pub fn expand(
        &mut self,
        store: &SqliteStore,
        node: NodeId,
        query: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Expansion> {
        self.load(store, node)?;
        let x = explore::expand(store, node, query, limit, offset)?;
        self.apply(&x);
        Ok(x)
    }

    /// All nodes, ordered by id.
    pub fn nodes(&self) -> Vec<&NodeView> {
        let mut v: Vec<&NodeView> = self.g.node_weights().collect();
        v.sort_by_key(|n| n.id);
        v
    }

    /// All edges, ordered by id.
    pub fn edges(&self) -> Vec<&EdgeView> {
        let mut v: Vec<&EdgeView> = self.g.edge_weights().collect();
        v.sort();
        v
    }

    /// Edges touching `id`, either direction, ordered.
    pub fn edges_of(&self, id: NodeId) -> Vec<&EdgeView> {
        let Some(&i) = self.nodes.get(&id) else {
            return vec![];
        };
        let mut v: Vec<&EdgeView> = self
            .g
            .edges_directed(i, Direction::Outgoing)
            .chain(self.g.edges_directed(i, Direction::Incoming))
            .map(|e| e.weight())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The graph as text, one node per line followed by its outgoing edges: stable, for
    /// snapshot tests and for reading in a terminal.
    pub fn render(&self) -> String {
        render(self.nodes().into_iter(), self.edges().into_iter())
    }
}

/// Render nodes and edges as text (see [`CaseGraph::render`]).
pub(crate) fn render<'a>(
    nodes: impl Iterator<Item = &'a NodeView>,
    edges: impl Iterator<Item = &'a EdgeView>,
) -> String {
    let mut out_edges: BTreeMap<NodeId, Vec<&EdgeView>> = BTreeMap::new();
    for e in edges {
        out_edges.entry(e.from).or_default().push(e);
    }
    let mut s = String::new();
    let mut nodes: Vec<&NodeView> = nodes.collect();
    nodes.sort_by_key(|n| n.id);
    for n in nodes {
        let _ = write!(s, "{} [{}] {}", n.id, n.kind, n.label);
        if let Some(sev) = n.severity {
            let _ = write!(s, " ({})", sev.as_str());
        }
        if let Some(t) = &n.time {
            let _ = write!(s, " @{t}");
        }
        s.push('\n');
        if let Some(es) = out_edges.get_mut(&n.id) {
            es.sort();
            for e in es.iter() {
                let _ = writeln!(s, "  -{}-> {}", e.kind, e.to);
            }
        }
    }
    s
}
