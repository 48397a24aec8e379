// The map's graph model: a graphology graph built from the saved investigation (MapState).
// Pure functions over a Graph instance; the renderer (one long-lived sigma) only draws it and
// applies view state (selection, hover) through reducers (see reducers.ts).
import Graph from "graphology";
import type { MapOp, MapState } from "../ipc/bindings";
import { colorFor, edgeInScope, iconFor, scopeOf, sizeFor } from "./style";

export interface Pos {
  x: number;
  y: number;
}

export type NodeAttrs = {
  x: number;
  y: number;
  label: string;
  /** The whole label (hover box); `label` is cut for the canvas. */
  fullLabel: string;
  kind: string;
  severity: string | null;
  time: string | null;
  color: string;
  size: number;
  image: string;
  pictoColor: string;
  type: "pictogram";
  pinned: boolean;
  hidden: boolean;
  collapsed: boolean;
  /** A counted group (`group:N`): its members' count. */
  count?: number;
};

/**
 * Nodes drawn for many: counted groups `group:<n>` and folds of similar entities `fold:<n>`
 * (numbered per map); every other node id is a case node (the only ones the case can explore).
 */
export const isGroup = (id: string) => id.startsWith("group:") || id.startsWith("fold:");
/** A fold of similar entities (`fold:<n>`, cb-graph `FoldSimilar`). */
export const isFold = (id: string) => id.startsWith("fold:");
/** The number of a `group:<n>` node (NaN for a fold). */
export const groupNum = (id: string) => (id.startsWith("group:") ? Number(id.slice(6)) : NaN);
export const foldNum = (id: string) => Number(id.slice(5));

export type EdgeAttrs = {
  kind: string;
  label: string;
  color: string;
  size: number;
  inScope: boolean;
  type: "arrow" | "line";
};

export type MapGraph = Graph<NodeAttrs, EdgeAttrs>;

export function newGraph(): MapGraph {
  return new Graph<NodeAttrs, EdgeAttrs>({ type: "directed", multi: false, allowSelfLoops: false });
}

const RING = 70;

/** Canvas labels stay short; the property pane shows the whole text. */
export function shortLabel(s: string, max = 32): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
} // distance of new nodes from the node they came from

/**
 * Positions for `count` new nodes around `parent`: on rings of growing radius, on the side
 * away from the parent's existing neighbours, skipping spots too close to existing nodes.
 * Existing nodes never move.
 */
export function placeAround(parent: Pos, existing: Pos[], count: number, away: Pos | null = null): Pos[] {
  const out: Pos[] = [];
  const taken = [...existing];
  const base = away ? Math.atan2(parent.y - away.y, parent.x - away.x) : 0;
  const spread = away ? Math.PI * 1.2 : Math.PI * 2;
  let ring = 1;
  while (out.length < count) {
    const r = RING * ring;
    const slots = Math.max(6, Math.floor((spread * r) / 34));
    for (let i = 0; i < slots && out.length < count; i++) {
      const a = away ? base - spread / 2 + (spread * (i + 0.5)) / slots : (2 * Math.PI * i) / slots + ring * 0.3;
      const p = { x: parent.x + r * Math.cos(a), y: parent.y + r * Math.sin(a) };
      if (taken.every((q) => (q.x - p.x) ** 2 + (q.y - p.y) ** 2 > 26 ** 2)) {
        out.push(p);
        taken.push(p);
      }
    }
    ring++;
    if (ring > 60) break;
  }
  return out;
}

/**
 * Bring `g` in line with `state`, in place (so one sigma renderer keeps drawing the same
 * graph): removes nodes/edges that left, adds new ones, updates attributes. The graph engine
 * places nodes (y grows downwards there; sigma's grows upwards). Nodes it has no position for are placed next to `anchor` (the node the
 * user expanded) or next to a neighbour already on the map. Returns the ids that were added.
 */
export function syncGraph(g: MapGraph, state: MapState, anchor: string | null = null): string[] {
  const folds = state.folds ?? [];
  // a fold's members leave the graph while folded (so they neither draw nor stretch the view)
  const folded = new Set(folds.flatMap((f) => f.members));
  const nodes = state.nodes.filter((n) => !folded.has(n.view.id));
  const want = new Set([...nodes.map((n) => n.view.id), ...(state.groups ?? []).map((gr) => `group:${gr.id}`), ...folds.map((f) => `fold:${f.id}`)]);
  for (const id of g.nodes()) if (!want.has(id)) g.dropNode(id);

  const scope = scopeOf(state.start, state.edges);
  const added: string[] = [];
  const unplaced: string[] = [];
  for (const n of nodes) {
    const v = n.view;
    const attrs: Omit<NodeAttrs, "x" | "y"> = {
      label: shortLabel(v.label || v.id),
      fullLabel: (v.label || v.id).replace(/\s+/g, " ").trim(),
      kind: v.kind,
      severity: v.severity,
      time: v.time,
      color: colorFor(v.kind, v.severity),
      size: sizeFor(v.kind),
      image: iconFor(v.kind),
      pictoColor: "#ffffff",
      type: "pictogram",
      pinned: n.pinned,
      hidden: !n.visible,
      collapsed: n.collapsed,
    };
    const hasPos = n.x !== null && n.y !== null;
    if (g.hasNode(v.id)) {
      g.mergeNodeAttributes(v.id, attrs);
      if (hasPos) g.mergeNodeAttributes(v.id, { x: n.x!, y: -n.y! });
    } else {
      g.addNode(v.id, { ...attrs, x: n.x ?? 0, y: -(n.y ?? 0) });
      added.push(v.id);
      if (!hasPos) unplaced.push(v.id);
    }
  }

  // counted groups: one node each, a line from the node they came from
  const groupEdges: { id: string; from: string; to: string }[] = [];
  for (const gr of state.groups ?? []) {
    const id = `group:${gr.id}`;
    const attrs: Omit<NodeAttrs, "x" | "y"> = {
      label: shortLabel(gr.info.label, 40),
      fullLabel: gr.info.label,
      kind: "group",
      severity: null,
      time: gr.info.first,
      color: colorFor(gr.info.member_kind, null),
      size: 11 + Math.min(9, Math.log10(1 + Number(gr.info.count)) * 2.5),
      image: iconFor(gr.info.member_kind),
      pictoColor: "#ffffff",
      type: "pictogram",
      pinned: gr.pinned,
      hidden: !gr.visible,
      collapsed: false,
      count: Number(gr.info.count),
    };
    const pos = gr.x !== null && gr.y !== null ? { x: gr.x, y: -gr.y } : null;
    if (g.hasNode(id)) {
      g.mergeNodeAttributes(id, attrs);
      if (pos) g.mergeNodeAttributes(id, pos);
    } else {
      g.addNode(id, { ...attrs, ...(pos ?? { x: 0, y: 0 }) });
      added.push(id);
      if (!pos) unplaced.push(id);
    }
    groupEdges.push({ id: `${gr.info.key.parent}|group|${id}`, from: gr.info.key.parent, to: id });
  }

  // folds of similar entities: one counted node each, a line to every node its members share
  const foldOf = new Map<string, string>();
  for (const f of folds) for (const m of f.members) foldOf.set(m, `fold:${f.id}`);
  for (const f of folds) {
    const id = `fold:${f.id}`;
    const attrs: Omit<NodeAttrs, "x" | "y"> = {
      label: shortLabel(f.label, 40),
      fullLabel: f.label,
      kind: "group",
      severity: null,
      time: null,
      color: colorFor(f.kind, null),
      size: 11 + Math.min(9, Math.log10(1 + f.members.length) * 2.5),
      image: iconFor(f.kind),
      pictoColor: "#ffffff",
      type: "pictogram",
      pinned: false,
      hidden: !f.visible,
      collapsed: false,
      count: f.members.length,
    };
    const pos = f.x !== null && f.y !== null ? { x: f.x, y: -f.y } : null;
    if (g.hasNode(id)) {
      // a fold keeps where a layout or a drag put it (its spot is chosen once, when folded)
      g.mergeNodeAttributes(id, attrs);
    } else {
      g.addNode(id, { ...attrs, ...(pos ?? { x: 0, y: 0 }) });
      added.push(id);
      if (!pos) unplaced.push(id);
    }
    for (const nb of f.neighbours) {
      const to = foldOf.get(nb) ?? nb;
      if (to !== id) groupEdges.push({ id: `${id}|fold|${to}`, from: id, to });
    }
  }

  const wantEdges = new Set([...state.edges.map((e) => e.id), ...groupEdges.map((e) => e.id)]);
  for (const e of g.edges()) if (!wantEdges.has(e)) g.dropEdge(e);
  for (const e of state.edges) {
    if (!g.hasNode(e.from) || !g.hasNode(e.to)) continue;
    const inScope = edgeInScope(e, scope);
    const attrs: EdgeAttrs = {
      kind: e.kind,
      label: e.kind,
      color: inScope ? "#64748b" : "#cbd5e1",
      size: inScope ? 1.6 : 1,
      inScope,
      type: "arrow",
    };
    if (g.hasEdge(e.id)) g.mergeEdgeAttributes(e.id, attrs);
    else if (!g.hasDirectedEdge(e.from, e.to)) g.addDirectedEdgeWithKey(e.id, e.from, e.to, attrs);
  }
  for (const e of groupEdges) {
    if (!g.hasNode(e.from) || !g.hasNode(e.to) || g.hasEdge(e.id) || g.hasDirectedEdge(e.from, e.to)) continue;
    g.addDirectedEdgeWithKey(e.id, e.from, e.to, { kind: "group", label: "", color: "#94a3b8", size: 1.2, inScope: true, type: "line" });
  }

  // hubs draw a little larger, so sigma's label grid names them first
  g.forEachNode((n, a) => {
    if (a.kind !== "group") g.setNodeAttribute(n, "size", sizeFor(a.kind) + Math.min(10, Math.log2(1 + g.degree(n)) * 2));
  });

  placeUnplaced(g, unplaced, anchor);
  return added;
}

function placeUnplaced(g: MapGraph, ids: string[], anchor: string | null): void {
  if (ids.length === 0) return;
  const fresh = new Set(ids);
  const placedNodes = g.filterNodes((n) => !fresh.has(n));
  const existing = () => g.filterNodes((n) => !fresh.has(n)).map((n) => ({ x: g.getNodeAttribute(n, "x"), y: g.getNodeAttribute(n, "y") }));
  // group the new nodes by the placed node they hang off
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    let parent = anchor && g.hasNode(anchor) && !fresh.has(anchor) && g.areNeighbors(anchor, id) ? anchor : null;
    if (!parent) parent = g.neighbors(id).find((n) => !fresh.has(n)) ?? null;
    if (!parent) parent = anchor && g.hasNode(anchor) && !fresh.has(anchor) ? anchor : (placedNodes[0] ?? "");
    const list = groups.get(parent) ?? [];
    list.push(id);
    groups.set(parent, list);
  }
  for (const [parent, list] of groups) {
    const center = parent && g.hasNode(parent) && !fresh.has(parent) ? { x: g.getNodeAttribute(parent, "x"), y: g.getNodeAttribute(parent, "y") } : { x: 0, y: 0 };
    const others = existing();
    // push away from the centroid of the parent's placed neighbours
    const nb = parent && g.hasNode(parent) ? g.neighbors(parent).filter((n) => !fresh.has(n)) : [];
    const away =
      nb.length > 0
        ? { x: nb.reduce((s, n) => s + g.getNodeAttribute(n, "x"), 0) / nb.length, y: nb.reduce((s, n) => s + g.getNodeAttribute(n, "y"), 0) / nb.length }
        : null;
    const spots = placeAround(center, others, list.length, away && (away.x !== center.x || away.y !== center.y) ? away : null);
    list.forEach((id, i) => {
      g.mergeNodeAttributes(id, spots[i] ?? center);
      fresh.delete(id);
    });
  }
}

/** Current positions of the given nodes (to save them with a Move op); groups left out. */
export function positionsOf(g: MapGraph, ids: string[]): { node: string; x: number; y: number }[] {
  return ids.filter((id) => g.hasNode(id) && !isGroup(id)).map((id) => ({ node: id, x: Math.round(g.getNodeAttribute(id, "x")), y: -Math.round(g.getNodeAttribute(id, "y")) }));
}

/** The ops that save where these nodes and groups are now (`pin`: pin/unpin groups too). */
export function moveOps(g: MapGraph, ids: string[], pin: boolean | null = null): MapOp[] {
  const ops: MapOp[] = [];
  const nodes = positionsOf(g, ids);
  if (nodes.length) ops.push({ op: "move", positions: nodes });
  const groups = ids
    .filter((id) => id.startsWith("group:") && g.hasNode(id))
    .map((id) => ({ group: groupNum(id), x: Math.round(g.getNodeAttribute(id, "x")), y: -Math.round(g.getNodeAttribute(id, "y")) }));
  if (groups.length) ops.push({ op: "move_groups", positions: groups, pin });
  // a dragged fold keeps its spot (saved with the map)
  const folds = ids
    .filter((id) => isFold(id) && g.hasNode(id))
    .map((id) => ({ fold: foldNum(id), x: Math.round(g.getNodeAttribute(id, "x")), y: -Math.round(g.getNodeAttribute(id, "y")) }));
  if (folds.length) ops.push({ op: "move_folds", positions: folds });
  return ops;
}

export function visibleCount(g: MapGraph): number {
  return g.filterNodes((_, a) => !a.hidden).length;
}
