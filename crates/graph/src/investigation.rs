//! Investigations: named maps saved in the case file, with an undo/redo history of every map
//! operation. The window and the CLI drive them through the same five calls: [`create`],
//! [`list`], [`get`], [`apply`], [`undo`] / [`redo`].
//!
//! Storage (migration 2): `investigations` holds the state before any operation (`initial`),
//! the history cursor and the state at the cursor (a cache); `investigation_ops` holds every
//! operation with its *effect* — the nodes and edges it brought from the case. Replaying the
//! history applies effects without querying the case again, so a map reopened after more
//! evidence was imported is exactly the map that was saved. Undo replays `0..cursor-1` from
//! the initial state; a new operation after an undo drops the operations that could have been
//! redone. Every operation, undo and redo is appended to the audit log.

use crate::groups::{self, GroupInfo};
use crate::{explore, path, CaseGraph, EdgeView, GraphError, NodeView, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One map operation. JSON: `{"op": "expand", "node": "alert:1", "query": "entities"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MapOp {
    /// Run an exploration query from a node on the map and add its page.
    Expand {
        node: NodeId,
        query: String,
        #[serde(default)]
        limit: Option<usize>,
        #[serde(default)]
        offset: Option<usize>,
    },
    /// Run an exploration query and add its result aggregated: counted groups (events always,
    /// entities above `threshold`, default 50), or its first `threshold` nodes when it is
    /// small — the window's default expansion.
    Group {
        node: NodeId,
        query: String,
        #[serde(default)]
        threshold: Option<usize>,
    },
    /// Put members of a group on the map next to it (picked in the group's table); they hang
    /// from the group's parent, so collapsing it folds them too.
    AddFromGroup {
        group: i64,
        nodes: Vec<NodeId>,
    },
    RemoveGroups {
        groups: Vec<i64>,
    },
    /// Move groups (a drag); `pin` pins or unpins them where they are.
    MoveGroups {
        positions: Vec<GroupPosition>,
        #[serde(default)]
        pin: Option<bool>,
    },
    /// Put nodes on the map (a search hit, an entity picked from a list), with the stored
    /// relations between them and the nodes already there.
    AddNodes {
        nodes: Vec<NodeId>,
    },
    /// Hide nodes and counted groups (one action, one undo).
    Hide {
        nodes: Vec<NodeId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<i64>>", optional))]
        groups: Vec<i64>,
    },
    Unhide {
        nodes: Vec<NodeId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<i64>>", optional))]
        groups: Vec<i64>,
    },
    /// Hide what was expanded from this node, keeping the node.
    Collapse {
        node: NodeId,
    },
    Uncollapse {
        node: NodeId,
    },
    Pin {
        node: NodeId,
        x: f64,
        y: f64,
    },
    Unpin {
        node: NodeId,
    },
    /// Take nodes (and their edges) off the map.
    Remove {
        nodes: Vec<NodeId>,
    },
    Move {
        positions: Vec<Position>,
    },
    /// Only nodes whose time falls in the scope are visible (nodes without a time always are).
    SetTimeScope {
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        to: Option<String>,
    },
    /// Centre on a node (added when missing) and push it on the breadcrumb.
    Navigate {
        node: NodeId,
    },
    /// Back along the breadcrumb.
    Back,
    /// Forward along the breadcrumb.
    Forward,
    /// Fold similar entities (Defender-style): every set of at least `min` (default 3)
    /// visible entities of one kind linked to exactly the same nodes on the map becomes one
    /// counted node "N similar processes" (drawn `fold:<id>`).
    FoldSimilar {
        #[serde(default)]
        min: Option<usize>,
    },
    /// Show the members of these folds again.
    Unfold {
        folds: Vec<i64>,
    },
    /// Move folds (a drag): a fold keeps the spot it was dragged to.
    MoveFolds {
        positions: Vec<FoldPosition>,
    },
    /// Choose the map's layout (saved with the map, restored when it is opened again) and
    /// save the positions it produced, as one step of the history.
    SetLayout {
        layout: MapLayout,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Position>>", optional))]
        positions: Vec<Position>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<GroupPosition>>", optional))]
        groups: Vec<GroupPosition>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<FoldPosition>>", optional))]
        folds: Vec<FoldPosition>,
    },
    /// Add the shortest path between two nodes.
    ShowPath {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        max_depth: Option<usize>,
        #[serde(default)]
        kinds: Option<Vec<String>>,
    },
}

/// How the window lays a map out: rings around the start node (the default), force-directed,
/// or hierarchical (left to right).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MapLayout {
    #[default]
    Radial,
    Force,
    Hierarchy,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Position {
    pub node: NodeId,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupPosition {
    pub group: i64,
    pub x: f64,
    pub y: f64,
}

/// Where a fold (`fold:<id>`) was dragged to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FoldPosition {
    pub fold: i64,
    pub x: f64,
    pub y: f64,
}

/// A counted group on the map (the window draws it as one node, id `group:<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapGroup {
    /// Numbered per map.
    pub id: i64,
    pub info: GroupInfo,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub pinned: bool,
    pub hidden: bool,
    /// Not hidden, its parent not collapsed (nor an ancestor), its time span meets the scope.
    pub visible: bool,
}

/// Similar entities folded into one counted node (the window draws it as `fold:<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapFold {
    /// Numbered per map.
    pub id: i64,
    /// The members' entity kind.
    pub kind: String,
    /// "5 similar processes".
    pub label: String,
    /// By node id; hidden on the map while folded.
    pub members: Vec<NodeId>,
    /// The nodes every member is linked to on the map (the fold's edges).
    pub neighbours: Vec<NodeId>,
    /// A free spot next to the first shared neighbour, chosen when folded.
    pub x: Option<f64>,
    pub y: Option<f64>,
    /// One of its members would be visible unfolded.
    pub visible: bool,
}

/// Folds of fewer members are not made.
pub const FOLD_MIN: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimeScope {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapNode {
    pub view: NodeView,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub pinned: bool,
    pub hidden: bool,
    pub collapsed: bool,
    /// The node it was expanded from (new nodes are placed around it; collapsing it hides this
    /// one).
    pub parent: Option<NodeId>,
    /// Not hidden, no collapsed ancestor, inside the time scope.
    pub visible: bool,
}

/// A saved map as the window draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapState {
    pub id: i64,
    pub name: String,
    pub start: NodeId,
    /// Ordered by node id.
    pub nodes: Vec<MapNode>,
    /// Ordered by edge id.
    pub edges: Vec<EdgeView>,
    /// Counted groups, by id (absent in maps saved before aggregation).
    #[serde(default)]
    pub groups: Vec<MapGroup>,
    /// Similar entities folded into one node, by id (absent in maps saved before folding).
    #[serde(default)]
    pub folds: Vec<MapFold>,
    pub breadcrumb: Vec<NodeId>,
    /// Where on the breadcrumb the analyst is (back/forward move it).
    pub breadcrumb_pos: usize,
    /// The node at `breadcrumb_pos`.
    pub focus: Option<NodeId>,
    /// Operations applied (the rest of the history can be redone).
    pub cursor: usize,
    pub time_scope: Option<TimeScope>,
    /// The layout chosen for this map (maps saved before it was kept: radial).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<MapLayout>", optional))]
    pub layout: MapLayout,
    pub can_undo: bool,
    pub can_redo: bool,
    pub history_len: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvestigationSummary {
    pub id: i64,
    pub name: String,
    pub start: NodeId,
    pub created: String,
    pub nodes: usize,
    pub groups: usize,
    pub cursor: usize,
    pub history_len: usize,
    /// When its last operation was applied (`None`: never changed since created).
    pub last_used: Option<String>,
}

/// What an operation brought from the case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Effect {
    nodes: Vec<NodeView>,
    edges: Vec<EdgeView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<GroupInfo>,
}

#[derive(Debug, Clone, PartialEq)]
struct GMeta {
    info: GroupInfo,
    x: Option<f64>,
    y: Option<f64>,
    pinned: bool,
    hidden: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Meta {
    x: Option<f64>,
    y: Option<f64>,
    pinned: bool,
    hidden: bool,
    collapsed: bool,
    parent: Option<NodeId>,
}

impl Meta {
    /// A node just put on the map at `(x, y)`, hanging from `parent`.
    fn placed(x: f64, y: f64, parent: Option<NodeId>) -> Meta {
        Meta {
            x: Some(x),
            y: Some(y),
            pinned: false,
            hidden: false,
            collapsed: false,
            parent,
        }
    }
}

/// The working model of a map: the graph plus view state.
#[derive(Debug, Clone)]
struct Model {
    graph: CaseGraph,
    meta: BTreeMap<NodeId, Meta>,
    groups: BTreeMap<i64, GMeta>,
    folds: BTreeMap<i64, Fold>,
    breadcrumb: Vec<NodeId>,
    pos: usize,
    time_scope: Option<TimeScope>,
    layout: MapLayout,
}

#[derive(Debug, Clone, PartialEq)]
struct Fold {
    kind: String,
    members: Vec<NodeId>,
    neighbours: Vec<NodeId>,
    x: Option<f64>,
    y: Option<f64>,
}

const RING: f64 = 160.0;
/// Two nodes closer than this overlap on screen at the default zoom.
const MIN_GAP: f64 = 70.0;

/// Positions on the map, bucketed in `MIN_GAP` cells for a cheap "is this spot free" test.
#[derive(Default)]
struct Occupancy(std::collections::HashMap<(i64, i64), Vec<(f64, f64)>>);

impl Occupancy {
    fn cell(x: f64, y: f64) -> (i64, i64) {
        ((x / MIN_GAP).floor() as i64, (y / MIN_GAP).floor() as i64)
    }
    fn insert(&mut self, x: f64, y: f64) {
        self.0.entry(Self::cell(x, y)).or_default().push((x, y));
    }
    fn near(&self, x: f64, y: f64) -> bool {
        let (cx, cy) = Self::cell(x, y);
        (cx - 1..=cx + 1).any(|i| {
            (cy - 1..=cy + 1).any(|j| {
                self.0
                    .get(&(i, j))
                    .is_some_and(|v| v.iter().any(|(a, b)| (a - x).hypot(b - y) < MIN_GAP))
            })
        })
    }
}
const PER_RING: usize = 12;

/// Where the `k`-th node placed around `(px, py)` goes: on rings, starting at angle `away`
/// and alternating sides, skipping spots closer than `MIN_GAP` to a node already there.
fn place_from((px, py): (f64, f64), away: f64, k: usize, taken: &Occupancy) -> (f64, f64) {
    let mut slot = k;
    loop {
        let ring = (slot / PER_RING) as f64 + 1.0;
        let i = (slot % PER_RING) as f64;
        // alternate sides around the outward direction: 0, +1, -1, +2, -2, …
        let step = if i == 0.0 {
            0.0
        } else if i % 2.0 == 1.0 {
            i.div_euclid(2.0) + 1.0
        } else {
            -(i / 2.0)
        };
        let angle = away + std::f64::consts::TAU * step / PER_RING as f64 + ring * 0.13;
        let r = RING * ring;
        let (x, y) = (
            ((px + r * angle.cos()) * 10.0).round() / 10.0,
            ((py + r * angle.sin()) * 10.0).round() / 10.0,
        );
        if !taken.near(x, y) || slot > k + 40 * PER_RING {
            return (x, y);
        }
        slot += 1;
    }
}

impl Model {
    fn from_state(s: &MapState) -> Model {
        let mut graph = CaseGraph::new();
        let mut meta = BTreeMap::new();
        for n in &s.nodes {
            graph.add_node(n.view.clone());
            meta.insert(
                n.view.id,
                Meta {
                    x: n.x,
                    y: n.y,
                    pinned: n.pinned,
                    hidden: n.hidden,
                    collapsed: n.collapsed,
                    parent: n.parent,
                },
            );
        }
        for e in &s.edges {
            graph.add_edge(e.clone());
        }
        let groups = s
            .groups
            .iter()
            .map(|g| {
                (
                    g.id,
                    GMeta {
                        info: g.info.clone(),
                        x: g.x,
                        y: g.y,
                        pinned: g.pinned,
                        hidden: g.hidden,
                    },
                )
            })
            .collect();
        let folds = s
            .folds
            .iter()
            .map(|f| {
                (
                    f.id,
                    Fold {
                        kind: f.kind.clone(),
                        members: f.members.clone(),
                        neighbours: f.neighbours.clone(),
                        x: f.x,
                        y: f.y,
                    },
                )
            })
            .collect();
        Model {
            graph,
            meta,
            groups,
            folds,
            breadcrumb: s.breadcrumb.clone(),
            pos: s.breadcrumb_pos,
            time_scope: s.time_scope.clone(),
            layout: s.layout,
        }
    }

    fn to_state(
        &self,
        id: i64,
        name: &str,
        start: NodeId,
        cursor: usize,
        history_len: usize,
    ) -> MapState {
        let scope = self.time_scope.clone().unwrap_or_default();
        let in_scope = |t: &Option<String>| match t {
            None => true,
            Some(t) => {
                scope.from.as_ref().is_none_or(|f| t >= f)
                    && scope.to.as_ref().is_none_or(|to| t <= to)
            }
        };
        let in_fold: std::collections::HashSet<NodeId> = self
            .folds
            .values()
            .flat_map(|f| f.members.iter().copied())
            .collect();
        // visible but for a fold
        let shown = |v: &NodeView| {
            let m = &self.meta[&v.id];
            !m.hidden && in_scope(&v.time) && !self.folded(m.parent)
        };
        let nodes = self
            .graph
            .nodes()
            .into_iter()
            .map(|v| {
                let m = &self.meta[&v.id];
                let visible = shown(v) && !in_fold.contains(&v.id);
                MapNode {
                    view: v.clone(),
                    x: m.x,
                    y: m.y,
                    pinned: m.pinned,
                    hidden: m.hidden,
                    collapsed: m.collapsed,
                    parent: m.parent,
                    visible,
                }
            })
            .collect();
        let spans = |g: &GroupInfo| {
            scope
                .from
                .as_ref()
                .is_none_or(|f| g.last.as_ref().is_none_or(|l| l >= f))
                && scope
                    .to
                    .as_ref()
                    .is_none_or(|t| g.first.as_ref().is_none_or(|s| s <= t))
        };
        let groups = self
            .groups
            .iter()
            .map(|(id, g)| MapGroup {
                id: *id,
                info: g.info.clone(),
                x: g.x,
                y: g.y,
                pinned: g.pinned,
                hidden: g.hidden,
                visible: !g.hidden && spans(&g.info) && !self.folded(Some(g.info.key.parent)),
            })
            .collect();
        let folds = self
            .folds
            .iter()
            .map(|(id, f)| MapFold {
                id: *id,
                kind: f.kind.clone(),
                label: fold_label(f.members.len(), &f.kind),
                members: f.members.clone(),
                neighbours: f.neighbours.clone(),
                x: f.x,
                y: f.y,
                visible: f
                    .members
                    .iter()
                    .any(|n| self.graph.node(*n).is_some_and(&shown)),
            })
            .collect();
        MapState {
            id,
            name: name.to_string(),
            start,
            nodes,
            edges: self.graph.edges().into_iter().cloned().collect(),
            groups,
            folds,
            breadcrumb: self.breadcrumb.clone(),
            breadcrumb_pos: self.pos,
            focus: self.breadcrumb.get(self.pos).copied(),
            cursor,
            time_scope: self.time_scope.clone(),
            layout: self.layout,
            can_undo: cursor > 0,
            can_redo: cursor < history_len,
            history_len,
        }
    }

    /// Whether `from` or one of its ancestors is collapsed (what hangs from it is folded).
    fn folded(&self, from: Option<NodeId>) -> bool {
        let mut p = from;
        let mut hops = 0;
        while let (Some(pid), true) = (p, hops <= self.meta.len()) {
            match self.meta.get(&pid) {
                Some(pm) if pm.collapsed => return true,
                Some(pm) => p = pm.parent,
                None => break,
            }
            hops += 1;
        }
        false
    }

    fn group_on_map(&self, g: i64) -> Result<&GMeta> {
        self.groups
            .get(&g)
            .ok_or_else(|| GraphError::Invalid(format!("group:{g} is not on the map")))
    }

    fn place_folds(&mut self, positions: &[FoldPosition]) {
        for p in positions {
            if let Some(f) = self.folds.get_mut(&p.fold) {
                f.x = Some(p.x);
                f.y = Some(p.y);
            }
        }
    }

    fn fold_on_map(&self, f: i64) -> Result<()> {
        if self.folds.contains_key(&f) {
            Ok(())
        } else {
            Err(GraphError::Invalid(format!("fold:{f} is not on the map")))
        }
    }

    fn on_map(&self, n: NodeId) -> Result<()> {
        if self.meta.contains_key(&n) {
            Ok(())
        } else {
            Err(GraphError::Invalid(format!("{n} is not on the map")))
        }
    }

    /// Check an operation can apply, before anything is read or written.
    fn check(&self, op: &MapOp) -> Result<()> {
        match op {
            MapOp::AddFromGroup { group, .. } => self.group_on_map(*group).map(|_| ()),
            MapOp::RemoveGroups { groups } => groups
                .iter()
                .try_for_each(|g| self.group_on_map(*g).map(|_| ())),
            MapOp::MoveGroups { positions, .. } => positions
                .iter()
                .try_for_each(|p| self.group_on_map(p.group).map(|_| ())),
            MapOp::Expand { node, .. }
            | MapOp::Group { node, .. }
            | MapOp::Collapse { node }
            | MapOp::Uncollapse { node }
            | MapOp::Pin { node, .. }
            | MapOp::Unpin { node } => self.on_map(*node),
            MapOp::Hide { nodes, groups } | MapOp::Unhide { nodes, groups } => {
                nodes.iter().try_for_each(|n| self.on_map(*n))?;
                groups
                    .iter()
                    .try_for_each(|g| self.group_on_map(*g).map(|_| ()))
            }
            MapOp::Remove { nodes } => nodes.iter().try_for_each(|n| self.on_map(*n)),
            MapOp::Move { positions } => positions.iter().try_for_each(|p| self.on_map(p.node)),
            MapOp::MoveFolds { positions } => {
                positions.iter().try_for_each(|p| self.fold_on_map(p.fold))
            }
            MapOp::Unfold { folds } => folds.iter().try_for_each(|f| self.fold_on_map(*f)),
            MapOp::SetLayout {
                positions,
                groups,
                folds,
                ..
            } => {
                positions.iter().try_for_each(|p| self.on_map(p.node))?;
                groups
                    .iter()
                    .try_for_each(|g| self.group_on_map(g.group).map(|_| ()))?;
                folds.iter().try_for_each(|f| self.fold_on_map(f.fold))
            }
            MapOp::Back if self.pos == 0 => Err(GraphError::Invalid(
                "already at the start of the breadcrumb".into(),
            )),
            MapOp::Forward if self.pos + 1 >= self.breadcrumb.len() => Err(GraphError::Invalid(
                "already at the end of the breadcrumb".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Place a node added from `parent`, the `k`-th child of it: on rings around the parent.
    /// Where the `k`-th child of `parent` goes: on rings around the parent, starting on the
    /// side facing away from the parent's own parent (so a branch grows outward), skipping
    /// spots closer than `MIN_GAP` to a node already on the map (`taken`). Deterministic, so a
    /// replayed history lands every node where it was.
    fn place(&self, parent: Option<NodeId>, k: usize, taken: &Occupancy) -> (f64, f64) {
        let pos = |id: &NodeId| {
            self.meta
                .get(id)
                .map(|m| (m.x.unwrap_or(0.0), m.y.unwrap_or(0.0)))
        };
        let (px, py) = parent.as_ref().and_then(pos).unwrap_or((0.0, 0.0));
        let away = parent
            .and_then(|p| self.meta.get(&p))
            .and_then(|m| m.parent)
            .and_then(|g| pos(&g))
            .map(|(gx, gy)| (py - gy).atan2(px - gx))
            .unwrap_or(0.0);
        place_from((px, py), away, k, taken)
    }

    /// Every position on the map (nodes and groups).
    fn occupancy(&self) -> Occupancy {
        let mut taken = Occupancy::default();
        let pts = self.meta.values().map(|m| (m.x, m.y));
        for (x, y) in pts.chain(self.groups.values().map(|g| (g.x, g.y))) {
            if let (Some(x), Some(y)) = (x, y) {
                taken.insert(x, y);
            }
        }
        taken
    }

    /// Add an effect's groups hanging from `parent` (a group already there is updated).
    fn add_groups(&mut self, groups: &[GroupInfo], parent: NodeId) {
        if groups.is_empty() {
            return;
        }
        let mut taken = self.occupancy();
        let mut k = self
            .meta
            .values()
            .filter(|m| m.parent == Some(parent))
            .count()
            + self
                .groups
                .values()
                .filter(|g| g.info.key.parent == parent)
                .count();
        for info in groups {
            if let Some(g) = self.groups.values_mut().find(|g| g.info.key == info.key) {
                g.info = info.clone();
                g.hidden = false;
                continue;
            }
            // the same events reached through `events` and `events:<source>`: one group
            if let Some(g) = self
                .groups
                .values_mut()
                .find(|g| groups::same_members(&g.info.key, &info.key))
            {
                g.hidden = false;
                continue;
            }
            let (x, y) = self.place(Some(parent), k, &taken);
            taken.insert(x, y);
            k += 1;
            let id = self.groups.keys().next_back().copied().unwrap_or(0) + 1;
            self.groups.insert(
                id,
                GMeta {
                    info: info.clone(),
                    x: Some(x),
                    y: Some(y),
                    pinned: false,
                    hidden: false,
                },
            );
        }
    }

    /// Put a group's members on the map around the group, hanging from its parent.
    fn add_from_group(&mut self, eff: &Effect, group: i64) {
        let Some(g) = self.groups.get(&group) else {
            return;
        };
        let parent = g.info.key.parent;
        let (gx, gy) = (g.x.unwrap_or(0.0), g.y.unwrap_or(0.0));
        let (px, py) = self
            .meta
            .get(&parent)
            .map(|m| (m.x.unwrap_or(0.0), m.y.unwrap_or(0.0)))
            .unwrap_or((0.0, 0.0));
        let away = (gy - py).atan2(gx - px);
        let mut taken = self.occupancy();
        let mut k = 0;
        for n in &eff.nodes {
            if self.graph.add_node(n.clone()) {
                let (x, y) = place_from((gx, gy), away, k, &taken);
                taken.insert(x, y);
                k += 1;
                self.meta.insert(n.id, Meta::placed(x, y, Some(parent)));
            }
        }
        for e in &eff.edges {
            self.graph.add_edge(e.clone());
        }
    }

    fn add(&mut self, eff: &Effect, parent: Option<NodeId>) {
        let mut k = self
            .meta
            .values()
            .filter(|m| m.parent == parent && parent.is_some())
            .count();
        if parent.is_none() {
            k = self.meta.len();
        }
        let mut taken = if eff.nodes.is_empty() {
            Occupancy::default()
        } else {
            self.occupancy()
        };
        for n in &eff.nodes {
            if self.graph.add_node(n.clone()) {
                let (x, y) = self.place(parent, k, &taken);
                taken.insert(x, y);
                k += 1;
                self.meta.insert(n.id, Meta::placed(x, y, parent));
            }
        }
        for e in &eff.edges {
            self.graph.add_edge(e.clone());
        }
    }

    fn apply(&mut self, op: &MapOp, eff: &Effect) {
        match op {
            MapOp::Expand { node, .. } => {
                if let Some(m) = self.meta.get_mut(node) {
                    m.collapsed = false;
                }
                self.add(eff, Some(*node));
            }
            MapOp::Group { node, .. } => {
                if let Some(m) = self.meta.get_mut(node) {
                    m.collapsed = false;
                }
                self.add(eff, Some(*node));
                self.add_groups(&eff.groups, *node);
            }
            MapOp::AddFromGroup { group, .. } => self.add_from_group(eff, *group),
            MapOp::RemoveGroups { groups } => {
                for g in groups {
                    self.groups.remove(g);
                }
            }
            MapOp::MoveGroups { positions, pin } => {
                for p in positions {
                    if let Some(m) = self.groups.get_mut(&p.group) {
                        m.x = Some(p.x);
                        m.y = Some(p.y);
                        if let Some(pin) = pin {
                            m.pinned = *pin;
                        }
                    }
                }
            }
            MapOp::AddNodes { .. } | MapOp::ShowPath { .. } => self.add(eff, None),
            MapOp::Hide { nodes, groups } | MapOp::Unhide { nodes, groups } => {
                let hide = matches!(op, MapOp::Hide { .. });
                for g in groups {
                    if let Some(m) = self.groups.get_mut(g) {
                        m.hidden = hide;
                    }
                }
                for n in nodes {
                    if let Some(m) = self.meta.get_mut(n) {
                        m.hidden = hide;
                    }
                }
            }
            MapOp::Collapse { node } => self
                .meta
                .get_mut(node)
                .into_iter()
                .for_each(|m| m.collapsed = true),
            MapOp::Uncollapse { node } => self
                .meta
                .get_mut(node)
                .into_iter()
                .for_each(|m| m.collapsed = false),
            MapOp::Pin { node, x, y } => self.meta.get_mut(node).into_iter().for_each(|m| {
                m.x = Some(*x);
                m.y = Some(*y);
                m.pinned = true;
            }),
            MapOp::Unpin { node } => self
                .meta
                .get_mut(node)
                .into_iter()
                .for_each(|m| m.pinned = false),
            MapOp::Move { positions } => {
                for p in positions {
                    if let Some(m) = self.meta.get_mut(&p.node) {
                        m.x = Some(p.x);
                        m.y = Some(p.y);
                    }
                }
            }
            MapOp::FoldSimilar { min } => self.fold_similar(min.unwrap_or(FOLD_MIN)),
            MapOp::Unfold { folds } => {
                for f in folds {
                    self.folds.remove(f);
                }
            }
            MapOp::MoveFolds { positions } => self.place_folds(positions),
            MapOp::Remove { nodes } => {
                for n in nodes {
                    self.graph.remove_node(*n);
                    self.meta.remove(n);
                }
                // a fold keeps its other members (fewer than two: no fold)
                for f in self.folds.values_mut() {
                    f.members.retain(|m| !nodes.contains(m));
                    f.neighbours.retain(|m| !nodes.contains(m));
                }
                self.folds
                    .retain(|_, f| f.members.len() >= 2 && !f.neighbours.is_empty());
                self.groups
                    .retain(|_, g| !nodes.contains(&g.info.key.parent));
                for m in self.meta.values_mut() {
                    if m.parent.is_some_and(|p| nodes.contains(&p)) {
                        m.parent = None;
                    }
                }
                let focus = self.breadcrumb.get(self.pos).copied();
                self.breadcrumb.retain(|b| !nodes.contains(b));
                self.pos = focus
                    .and_then(|f| self.breadcrumb.iter().position(|b| *b == f))
                    .unwrap_or(self.breadcrumb.len().saturating_sub(1));
            }
            MapOp::SetLayout {
                layout,
                positions,
                groups,
                folds,
            } => {
                self.layout = *layout;
                self.place_folds(folds);
                for p in positions {
                    if let Some(m) = self.meta.get_mut(&p.node) {
                        m.x = Some(p.x);
                        m.y = Some(p.y);
                    }
                }
                for p in groups {
                    if let Some(m) = self.groups.get_mut(&p.group) {
                        m.x = Some(p.x);
                        m.y = Some(p.y);
                    }
                }
            }
            MapOp::SetTimeScope { from, to } => {
                let norm = |t: &Option<String>| {
                    t.as_deref()
                        .map(|s| cb_domain::time::normalize(s).unwrap_or_else(|| s.to_string()))
                };
                self.time_scope = if from.is_none() && to.is_none() {
                    None
                } else {
                    Some(TimeScope {
                        from: norm(from),
                        to: norm(to),
                    })
                };
            }
            MapOp::Navigate { node } => {
                self.add(eff, None);
                if self.breadcrumb.get(self.pos) != Some(node) {
                    if !self.breadcrumb.is_empty() {
                        self.breadcrumb.truncate(self.pos + 1);
                    }
                    self.breadcrumb.push(*node);
                    self.pos = self.breadcrumb.len() - 1;
                }
            }
            MapOp::Back => self.pos = self.pos.saturating_sub(1),
            MapOp::Forward => {
                self.pos = (self.pos + 1).min(self.breadcrumb.len().saturating_sub(1))
            }
        }
    }

    /// Nodes put on the map with the stored relations between them and the nodes there.
    fn nodes_effect(&self, store: &SqliteStore, nodes: &[NodeId]) -> Result<Effect> {
        let mut eff = Effect::default();
        for n in nodes {
            eff.nodes.push(explore::node_view(store, *n)?);
        }
        let mut seen = std::collections::HashSet::new();
        for n in nodes {
            for r in store.relations_of(*n)? {
                let other = if r.from == *n { r.to } else { r.from };
                if self.meta.contains_key(&other) || nodes.contains(&other) {
                    let e = EdgeView::new(r.from, r.to, &r.kind);
                    if seen.insert(e.id.clone()) {
                        eff.edges.push(e);
                    }
                }
            }
        }
        Ok(eff)
    }

    /// Fold every set of at least `min` visible, unpinned entities of one kind, not on the
    /// breadcrumb and in no fold yet, whose neighbours on the map are the same (at least one).
    fn fold_similar(&mut self, min: usize) {
        let min = min.max(2);
        let folded: std::collections::HashSet<NodeId> = self
            .folds
            .values()
            .flat_map(|f| f.members.iter().copied())
            .collect();
        let mut nb: BTreeMap<NodeId, std::collections::BTreeSet<NodeId>> = BTreeMap::new();
        for e in self.graph.edges() {
            if e.from != e.to {
                nb.entry(e.from).or_default().insert(e.to);
                nb.entry(e.to).or_default().insert(e.from);
            }
        }
        let state = self.to_state(0, "", NodeId::Entity(0), 0, 0);
        let mut classes: BTreeMap<(String, Vec<NodeId>), Vec<NodeId>> = BTreeMap::new();
        for n in state.nodes.iter().filter(|n| n.visible && !n.pinned) {
            let id = n.view.id;
            if !matches!(id, NodeId::Entity(_))
                || folded.contains(&id)
                || self.breadcrumb.contains(&id)
            {
                continue;
            }
            let Some(set) = nb.get(&id).filter(|s| !s.is_empty()) else {
                continue;
            };
            classes
                .entry((n.view.kind.clone(), set.iter().copied().collect()))
                .or_default()
                .push(id);
        }
        let classes: Vec<_> = classes
            .into_iter()
            .filter(|(_, m)| m.len() >= min)
            .collect();
        if classes.is_empty() {
            return;
        }
        // each fold on a free spot around its first shared neighbour, among what stays drawn
        let hidden: std::collections::HashSet<NodeId> = folded
            .iter()
            .copied()
            .chain(classes.iter().flat_map(|(_, m)| m.iter().copied()))
            .collect();
        let mut taken = Occupancy::default();
        for (id, m) in &self.meta {
            if let (false, Some(x), Some(y)) = (hidden.contains(id), m.x, m.y) {
                taken.insert(x, y);
            }
        }
        for (x, y) in self
            .groups
            .values()
            .map(|g| (g.x, g.y))
            .chain(self.folds.values().map(|f| (f.x, f.y)))
        {
            if let (Some(x), Some(y)) = (x, y) {
                taken.insert(x, y);
            }
        }
        let first = self.folds.keys().next_back().copied().unwrap_or(0) + 1;
        for (next, ((kind, neighbours), members)) in (first..).zip(classes) {
            let (x, y) = self.place(neighbours.first().copied(), 0, &taken);
            taken.insert(x, y);
            self.folds.insert(
                next,
                Fold {
                    kind,
                    members,
                    neighbours,
                    x: Some(x),
                    y: Some(y),
                },
            );
        }
    }

    /// A new group holding exactly the members of a group already on the map from the same
    /// node (two queries grouping the same entities, e.g. a host's `processes` and the
    /// processes among its `related`): take the key of the one there, so the map shows it
    /// once. Compared by count, then by member set; stored in the op's effect, so a replay
    /// gives the same map.
    fn same_as_on_map(&self, store: &SqliteStore, gs: &mut [GroupInfo]) -> Result<()> {
        for info in gs.iter_mut() {
            let candidates: Vec<&GMeta> = self
                .groups
                .values()
                .filter(|g| {
                    g.info.key.parent == info.key.parent
                        && g.info.member_kind == info.member_kind
                        && g.info.count == info.count
                        && g.info.key != info.key
                        && !groups::same_members(&g.info.key, &info.key)
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let mine = groups::member_ids(store, &info.key)?;
            for g in candidates {
                if groups::member_ids(store, &g.info.key)? == mine {
                    info.key = g.info.key.clone();
                    info.label = g.info.label.clone();
                    break;
                }
            }
        }
        Ok(())
    }

    /// What `op` brings from the case (read now, stored with the op).
    fn resolve(&self, store: &SqliteStore, op: &MapOp) -> Result<Effect> {
        Ok(match op {
            MapOp::Expand {
                node,
                query,
                limit,
                offset,
            } => {
                let x = explore::expand(
                    store,
                    *node,
                    query,
                    limit.unwrap_or(explore::DEFAULT_LIMIT),
                    offset.unwrap_or(0),
                )?;
                Effect {
                    nodes: x.nodes,
                    edges: x.edges,
                    groups: vec![],
                }
            }
            MapOp::Group {
                node,
                query,
                threshold,
            } => {
                let threshold = threshold.unwrap_or(groups::DEFAULT_THRESHOLD);
                if groups::should_group(store, *node, query, threshold)? {
                    let mut gs = groups::groups(store, *node, query)?;
                    self.same_as_on_map(store, &mut gs)?;
                    Effect {
                        groups: gs,
                        ..Effect::default()
                    }
                } else {
                    let x = explore::expand(store, *node, query, threshold, 0)?;
                    Effect {
                        nodes: x.nodes,
                        edges: x.edges,
                        groups: vec![],
                    }
                }
            }
            MapOp::AddFromGroup { group, nodes } => {
                let key = &self.group_on_map(*group)?.info.key;
                let members = groups::member_ids(store, key)?;
                if let Some(n) = nodes.iter().find(|n| !members.contains(n)) {
                    return Err(GraphError::Invalid(format!(
                        "{n} is not a member of group:{group}"
                    )));
                }
                self.nodes_effect(store, nodes)?
            }
            MapOp::AddNodes { nodes } => self.nodes_effect(store, nodes)?,
            MapOp::Navigate { node } if !self.meta.contains_key(node) => Effect {
                nodes: vec![explore::node_view(store, *node)?],
                ..Effect::default()
            },
            MapOp::ShowPath {
                from,
                to,
                max_depth,
                kinds,
            } => {
                let x = path(store, *from, *to, max_depth.unwrap_or(6), kinds.as_deref())?;
                Effect {
                    nodes: x.nodes,
                    edges: x.edges,
                    groups: vec![],
                }
            }
            _ => Effect::default(),
        })
    }
}

/// "5 similar processes".
fn fold_label(n: usize, kind: &str) -> String {
    let p = groups::plural(kind);
    // "processes", but "IPs", "DNS names"
    let p = match p.chars().nth(1) {
        Some(c) if c.is_uppercase() => p,
        _ => {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or(p)
        }
    };
    format!("{} similar {p}", groups::thousands(n as u64))
}

struct Row {
    name: String,
    start: NodeId,
    initial: MapState,
    cursor: usize,
    state: MapState,
}

fn bad(id: i64, step: usize, e: impl std::fmt::Display) -> GraphError {
    GraphError::BadHistory {
        id,
        step,
        reason: e.to_string(),
    }
}

fn load(store: &SqliteStore, id: i64) -> Result<Row> {
    let r = store
        .conn()
        .prepare_cached(
            "SELECT name, start, initial, cursor, state FROM investigations WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?
        .ok_or(GraphError::NoSuchInvestigation(id))?;
    let cursor = r.3 as usize;
    Ok(Row {
        name: r.0,
        start: r.1.parse().map_err(|e| bad(id, 0, e))?,
        initial: serde_json::from_str(&r.2).map_err(|e| bad(id, 0, e))?,
        cursor,
        state: serde_json::from_str(&r.4).map_err(|e| bad(id, cursor, e))?,
    })
}

fn history_len(store: &SqliteStore, id: i64) -> Result<usize> {
    let n: i64 = store
        .conn()
        .prepare_cached("SELECT count(*) FROM investigation_ops WHERE investigation_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(n as usize)
}

fn ops(store: &SqliteStore, id: i64, from: usize, to: usize) -> Result<Vec<(MapOp, Effect)>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT seq, op, effect FROM investigation_ops WHERE investigation_id = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq")?;
    let rows = stmt.query_map(params![id, from as i64, to as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = vec![];
    for r in rows {
        let (seq, op, eff) = r?;
        let step = seq as usize;
        out.push((
            serde_json::from_str(&op).map_err(|e| bad(id, step, e))?,
            serde_json::from_str(&eff).map_err(|e| bad(id, step, e))?,
        ));
    }
    Ok(out)
}

fn now() -> String {
    cb_domain::time::format(&chrono::Utc::now())
}

/// Start a new investigation centred on `start`.
pub fn create(store: &mut SqliteStore, name: &str, start: NodeId) -> Result<MapState> {
    let view = explore::node_view(store, start)?;
    let mut m = Model {
        graph: CaseGraph::new(),
        meta: BTreeMap::new(),
        groups: BTreeMap::new(),
        folds: BTreeMap::new(),
        breadcrumb: vec![start],
        pos: 0,
        time_scope: None,
        layout: MapLayout::default(),
    };
    m.graph.add_node(view);
    m.meta.insert(
        start,
        Meta {
            x: Some(0.0),
            y: Some(0.0),
            pinned: false,
            hidden: false,
            collapsed: false,
            parent: None,
        },
    );
    let detail = serde_json::json!({"name": name, "start": start});
    let name_s = name.to_string();
    let id = store.write("investigation.create", "investigations", detail, |tx| {
        let initial = serde_json::to_string(&m.to_state(0, &name_s, start, 0, 0)).unwrap_or_default();
        tx.execute(
            "INSERT INTO investigations (name, start, created, initial, cursor, state) VALUES (?1, ?2, ?3, ?4, 0, ?4)",
            params![name_s, start.to_string(), now(), initial],
        )?;
        let id = tx.last_insert_rowid();
        // the initial state knows its id only now
        let initial = serde_json::to_string(&m.to_state(id, &name_s, start, 0, 0)).unwrap_or_default();
        tx.execute("UPDATE investigations SET initial = ?1, state = ?1 WHERE id = ?2", params![initial, id])?;
        Ok(id)
    })?;
    get(store, id)
}

/// Every investigation of the case, oldest first.
pub fn list(store: &SqliteStore) -> Result<Vec<InvestigationSummary>> {
    let mut stmt = store.conn().prepare(
        "SELECT i.id, i.name, i.start, i.created, i.cursor, i.state, (SELECT count(*) FROM investigation_ops o WHERE o.investigation_id = i.id),
                (SELECT max(o.at) FROM investigation_ops o WHERE o.investigation_id = i.id)
         FROM investigations i ORDER BY i.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = vec![];
    for r in rows {
        let (id, name, start, created, cursor, state, len, last_used) = r?;
        let state: MapState =
            serde_json::from_str(&state).map_err(|e| bad(id, cursor as usize, e))?;
        out.push(InvestigationSummary {
            id,
            name,
            start: start.parse().map_err(|e| bad(id, 0, e))?,
            created,
            nodes: state.nodes.iter().filter(|n| n.visible).count(),
            groups: state.groups.iter().filter(|g| g.visible).count(),
            cursor: cursor as usize,
            history_len: len as usize,
            last_used,
        });
    }
    Ok(out)
}

/// Rename an investigation (audited).
pub fn rename(store: &mut SqliteStore, id: i64, name: &str) -> Result<InvestigationSummary> {
    let name = name.trim();
    if name.is_empty() {
        return Err(GraphError::Invalid("an investigation needs a name".into()));
    }
    let row = load(store, id)?;
    let detail = serde_json::json!({"from": row.name, "to": name});
    store.write("investigation.rename", &format!("investigation:{id}"), detail, |tx| {
        // the saved states carry the name too
        tx.execute(
            "UPDATE investigations SET name = ?1, state = json_set(state, '$.name', ?1), initial = json_set(initial, '$.name', ?1) WHERE id = ?2",
            params![name, id],
        )?;
        Ok(())
    })?;
    list(store)?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(GraphError::NoSuchInvestigation(id))
}

/// Delete an investigation and its history (audited; the audit log keeps what it did).
pub fn delete(store: &mut SqliteStore, id: i64) -> Result<()> {
    let row = load(store, id)?;
    let detail = serde_json::json!({"name": row.name, "start": row.start});
    store.write(
        "investigation.delete",
        &format!("investigation:{id}"),
        detail,
        |tx| {
            tx.execute(
                "DELETE FROM investigation_ops WHERE investigation_id = ?1",
                [id],
            )?;
            tx.execute("DELETE FROM investigations WHERE id = ?1", [id])?;
            Ok(())
        },
    )?;
    Ok(())
}

/// The map as saved.
pub fn get(store: &SqliteStore, id: i64) -> Result<MapState> {
    let row = load(store, id)?;
    let len = history_len(store, id)?;
    let mut s = row.state;
    s.cursor = row.cursor;
    s.history_len = len;
    s.can_undo = row.cursor > 0;
    s.can_redo = row.cursor < len;
    Ok(s)
}

fn save(
    store: &mut SqliteStore,
    id: i64,
    action: &str,
    detail: serde_json::Value,
    state: &MapState,
    push: Option<(&MapOp, &Effect)>,
) -> Result<()> {
    let json = serde_json::to_string(state).map_err(|e| bad(id, state.cursor, e))?;
    let push = match push {
        Some((op, eff)) => Some((
            serde_json::to_string(op).map_err(|e| bad(id, state.cursor, e))?,
            serde_json::to_string(eff).map_err(|e| bad(id, state.cursor, e))?,
        )),
        None => None,
    };
    let cursor = state.cursor as i64;
    store.write(action, &format!("investigation:{id}"), detail, |tx| {
        if let Some((op, eff)) = &push {
            let seq = cursor - 1;
            tx.execute("DELETE FROM investigation_ops WHERE investigation_id = ?1 AND seq >= ?2", params![id, seq])?;
            tx.execute(
                "INSERT INTO investigation_ops (investigation_id, seq, op, effect, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, seq, op, eff, now()],
            )?;
        }
        tx.execute("UPDATE investigations SET cursor = ?1, state = ?2 WHERE id = ?3", params![cursor, json, id])?;
        Ok(())
    })?;
    Ok(())
}

/// Apply one operation, record it in the history (dropping what could have been redone) and
/// return the new state.
pub fn apply(store: &mut SqliteStore, id: i64, op: MapOp) -> Result<MapState> {
    let row = load(store, id)?;
    let mut m = Model::from_state(&row.state);
    m.check(&op)?;
    let eff = m.resolve(store, &op)?;
    m.apply(&op, &eff);
    let cursor = row.cursor + 1;
    let state = m.to_state(id, &row.name, row.start, cursor, cursor);
    save(
        store,
        id,
        "investigation.op",
        serde_json::json!({"step": row.cursor, "op": op}),
        &state,
        Some((&op, &eff)),
    )?;
    Ok(state)
}

/// Undo the last applied operation.
pub fn undo(store: &mut SqliteStore, id: i64) -> Result<MapState> {
    let row = load(store, id)?;
    if row.cursor == 0 {
        return Err(GraphError::NothingTo { id, what: "undo" });
    }
    let len = history_len(store, id)?;
    let mut m = Model::from_state(&row.initial);
    for (op, eff) in ops(store, id, 0, row.cursor - 1)? {
        m.apply(&op, &eff);
    }
    let state = m.to_state(id, &row.name, row.start, row.cursor - 1, len);
    save(
        store,
        id,
        "investigation.undo",
        serde_json::json!({"step": row.cursor - 1}),
        &state,
        None,
    )?;
    Ok(state)
}

/// Redo the operation undone last.
pub fn redo(store: &mut SqliteStore, id: i64) -> Result<MapState> {
    let row = load(store, id)?;
    let len = history_len(store, id)?;
    if row.cursor >= len {
        return Err(GraphError::NothingTo { id, what: "redo" });
    }
    let mut m = Model::from_state(&row.state);
    for (op, eff) in ops(store, id, row.cursor, row.cursor + 1)? {
        m.apply(&op, &eff);
    }
    let state = m.to_state(id, &row.name, row.start, row.cursor + 1, len);
    save(
        store,
        id,
        "investigation.redo",
        serde_json::json!({"step": row.cursor}),
        &state,
        None,
    )?;
    Ok(state)
}

/// The history: every operation with its position (`step < cursor` are applied).
pub fn history(store: &SqliteStore, id: i64) -> Result<Vec<MapOp>> {
    load(store, id)?;
    Ok(ops(store, id, 0, usize::MAX / 2)?
        .into_iter()
        .map(|(op, _)| op)
        .collect())
}

/// The map drawn as text (visible nodes only), for tests and terminals.
pub fn render(state: &MapState) -> String {
    let vis: std::collections::HashSet<NodeId> = state
        .nodes
        .iter()
        .filter(|n| n.visible)
        .map(|n| n.view.id)
        .collect();
    let mut out = crate::graph::render(
        state.nodes.iter().filter(|n| n.visible).map(|n| &n.view),
        state
            .edges
            .iter()
            .filter(|e| vis.contains(&e.from) && vis.contains(&e.to)),
    );
    for g in state.groups.iter().filter(|g| g.visible) {
        out.push_str(&format!(
            "group:{} [{}] {} <- {} {}\n",
            g.id, g.info.member_kind, g.info.label, g.info.key.parent, g.info.key.query
        ));
    }
    for f in state.folds.iter().filter(|f| f.visible) {
        out.push_str(&format!("fold:{} [{}] {}\n", f.id, f.kind, f.label));
    }
    out
}
