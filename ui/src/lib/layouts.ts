// Map layouts (issue 12), pure functions over plain node/edge lists in graph coordinates:
// force-directed (ForceAtlas2 from the graphology ecosystem; run in a web worker by
// layoutWorker.ts), hierarchical left to right (dagre) for process lineage and paths, and
// radial rings around the investigation's start. Pinned ("fixed") nodes never move.
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";
import dagre from "@dagrejs/dagre";

export type LayoutKind = "radial" | "force" | "hierarchy";
export const LAYOUTS: [LayoutKind, string][] = [
  ["radial", "Radial"],
  ["force", "Force"],
  ["hierarchy", "Left → right"],
];

export interface LNode {
  id: string;
  x: number;
  y: number;
  fixed: boolean;
  size: number;
  label: string;
  /** The node it was expanded from (radial tree). */
  parent?: string | null;
}
export interface LEdge {
  from: string;
  to: string;
}
export type Positions = Map<string, { x: number; y: number }>;

/** Deterministic small offset so nodes sharing a spot can be pulled apart. */
function jitter(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) / 1000 - 0.5;
}

/**
 * ForceAtlas2 from the current positions. `freeOnly` (nodes just added) limits what moves:
 * everything else stays put, so an expansion does not reshuffle the map.
 */
export function forceLayout(nodes: LNode[], edges: LEdge[], iterations = 200, freeOnly: Set<string> | null = null): Positions {
  const g = new Graph({ type: "undirected", multi: false, allowSelfLoops: false });
  for (const n of nodes) {
    const fixed = n.fixed || (freeOnly !== null && !freeOnly.has(n.id));
    g.addNode(n.id, { x: n.x + jitter(n.id) * 10, y: n.y + jitter(`${n.id}y`) * 10, size: n.size, fixed });
  }
  for (const e of edges) if (e.from !== e.to && g.hasNode(e.from) && g.hasNode(e.to) && !g.hasEdge(e.from, e.to)) g.addEdge(e.from, e.to);
  const inferred = forceAtlas2.inferSettings(g);
  forceAtlas2.assign(g, {
    iterations,
    settings: { ...inferred, adjustSizes: false, barnesHutOptimize: g.order > 400, gravity: 0.6, scalingRatio: 40, strongGravityMode: false, slowDown: 2 },
  });
  const out: Positions = new Map();
  g.forEachNode((id, a) => {
    if (!a.fixed) out.set(id, { x: a.x, y: a.y });
  });
  return out;
}

/** Hierarchical, left to right: ranks follow edge direction (parent → child process, path order). */
export function hierarchyLayout(nodes: LNode[], edges: LEdge[], charWidth = 6.6): Positions {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 16, ranksep: 50, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  // room for about 18 characters of label: wider boxes would spread the ranks so far that the
  // fitted map draws nodes on top of each other (sigma sizes nodes in pixels, not in units)
  for (const n of nodes) g.setNode(n.id, { width: n.size * 2 + 6 + Math.min(18, n.label.length) * charWidth, height: Math.max(n.size * 2, 20) });
  for (const e of edges) if (e.from !== e.to && g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  // dagre gives box centres with y down; the disc sits at the box's left, its label to the right
  const placed = nodes.map((n) => {
    const p = g.node(n.id) as { x: number; y: number; width: number };
    return { n, cx: p.x, x: p.x - p.width / 2 + n.size, y: p.y, w: p.width };
  });
  // a rank with a big fan-out (one alert → 40 alerts) folds into side-by-side columns, so the
  // map stays about as wide as it is high instead of one column too dense to read
  const ranks = new Map<number, typeof placed>();
  for (const p of placed) {
    const k = Math.round(p.cx); // one rank = one box centre line in dagre's output
    ranks.set(k, [...(ranks.get(k) ?? []), p]);
  }
  const rowH = 34;
  const keys = [...ranks.keys()].sort((a, b) => a - b);
  for (const k of keys) ranks.get(k)!.sort((a, b) => a.y - b.y);
  const fold = (maxRows: number) => {
    let shift = 0;
    const out: Positions = new Map();
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const k of keys) {
      const list = ranks.get(k)!;
      const cols = Math.ceil(list.length / maxRows);
      const colW = Math.max(...list.map((p) => p.w)) + 16;
      const left = k - (colW - 16) / 2; // discs of a rank in one column, labels to their right
      // a folded rank stays centred where dagre put it
      const mid = list.reduce((t, p) => t + p.y, 0) / list.length;
      list.forEach((p, i) => {
        const x = left + p.n.size + shift + (cols > 1 ? Math.floor(i / maxRows) * colW : 0);
        const y = cols > 1 ? mid + ((i % maxRows) - (Math.min(maxRows, list.length) - 1) / 2) * rowH : p.y;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x + p.w);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
        if (!p.n.fixed) out.set(p.n.id, { x, y: -y });
      });
      shift += (cols - 1) * colW;
    }
    return { out, aspect: (x1 - x0) / Math.max(rowH, y1 - y0) };
  };
  // the fewest columns that keep the picture about as wide as a laptop's map (≤ 2:1)
  const tallest = Math.max(1, ...keys.map((k) => ranks.get(k)!.length));
  let best = fold(tallest);
  for (let rows = 8; rows < tallest; rows += 2) {
    const f = fold(rows);
    if (f.aspect <= 2) {
      best = f;
      break;
    }
  }
  return best.out;
}

/**
 * Radial: the start in the centre, each node on the ring of its depth (parent chain), inside
 * the angular sector of its parent sized by the number of leaves below.
 */
export function radialLayout(nodes: LNode[], edges: LEdge[], root: string | null, ringGap = 120): Positions {
  const ids = new Set(nodes.map((n) => n.id));
  const parent = new Map<string, string | null>();
  // the parent chain from the engine; nodes without one hang off a neighbour nearer the root
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) continue;
    adj.set(e.from, [...(adj.get(e.from) ?? []), e.to]);
    adj.set(e.to, [...(adj.get(e.to) ?? []), e.from]);
  }
  const start = root && ids.has(root) ? root : (nodes[0]?.id ?? null);
  if (!start) return new Map();
  const depth = new Map<string, number>([[start, 0]]);
  const queue = [start];
  parent.set(start, null);
  while (queue.length) {
    const n = queue.shift()!;
    for (const m of adj.get(n) ?? []) {
      if (depth.has(m)) continue;
      depth.set(m, depth.get(n)! + 1);
      parent.set(m, n);
      queue.push(m);
    }
  }
  // disconnected nodes: one outer ring
  const maxDepth = Math.max(0, ...depth.values());
  for (const n of nodes) if (!depth.has(n.id)) {
    depth.set(n.id, maxDepth + 1);
    parent.set(n.id, start);
  }
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    const p = parent.get(n.id);
    if (p) children.set(p, [...(children.get(p) ?? []), n.id]);
  }
  const label = new Map(nodes.map((n) => [n.id, n.label]));
  for (const l of children.values()) l.sort((a, b) => (label.get(a) ?? "").localeCompare(label.get(b) ?? "") || a.localeCompare(b));
  const leaves = new Map<string, number>();
  const count = (n: string): number => {
    const c = children.get(n) ?? [];
    const v = c.length === 0 ? 1 : c.reduce((s, m) => s + count(m), 0);
    leaves.set(n, v);
    return v;
  };
  count(start);
  // ring radius grows with the number of nodes on it (≥ 30 px of arc each)
  const perRing = new Map<number, number>();
  for (const d of depth.values()) perRing.set(d, (perRing.get(d) ?? 0) + 1);
  const radius = new Map<number, number>();
  let r = 0;
  for (let d = 1; d <= Math.max(...perRing.keys()); d++) {
    r = Math.max(r + ringGap, ((perRing.get(d) ?? 0) * 30) / (2 * Math.PI));
    radius.set(d, r);
  }
  const out: Positions = new Map();
  const fixed = new Set(nodes.filter((n) => n.fixed).map((n) => n.id));
  const place = (n: string, a0: number, a1: number) => {
    const d = depth.get(n)!;
    const a = (a0 + a1) / 2;
    if (!fixed.has(n)) out.set(n, d === 0 ? { x: 0, y: 0 } : { x: radius.get(d)! * Math.cos(a), y: radius.get(d)! * Math.sin(a) });
    let s = a0;
    for (const c of children.get(n) ?? []) {
      const w = ((a1 - a0) * leaves.get(c)!) / leaves.get(n)!;
      place(c, s, s + w);
      s += w;
    }
  };
  place(start, 0, 2 * Math.PI);
  return out;
}
