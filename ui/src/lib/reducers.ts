// View state → sigma reducers. The graph model holds data; selection/hover/hidden are applied
// here at render time, never written into the model.
//
// Cost (issue 12, 10k-node maps): sigma runs the reducers only when the graph or the view
// changes (never per camera frame), and it hands each call its own shallow copy of the
// attributes. So a reducer changes that copy in place and returns it (no allocation per call),
// and everything that does not depend on the node — the focus and its neighbours, the dimmed
// colours, the path sets — is worked out once when the reducer is made: each call is a few
// set lookups.
import type { EdgeAttrs, MapGraph, NodeAttrs } from "./graphModel";
import { redactNodeLabel, type Pseudonyms } from "./redact";

export interface ViewState {
  selected: string | null;
  /** Every selected node (multi-select); `selected` is the primary one. */
  selection: Set<string>;
  hovered: string | null;
  /** Nodes folded away in the view only (the model's own `hidden` comes from the engine). */
  folded: Set<string>;
  /** Nodes added by the last expansion (briefly emphasised). */
  fresh: Set<string>;
  dark: boolean;
  /** Work tools (issue 6): a highlighted path, labels redacted for screenshots, and nodes
   * hidden by time playback — all view-only. */
  path?: { nodes: Set<string>; edges: Set<string> } | null;
  redact?: boolean;
  pseudo?: Pseudonyms;
  playHidden?: Set<string> | null;
}

export function emptyView(): ViewState {
  return { selected: null, selection: new Set(), hovered: null, folded: new Set(), fresh: new Set(), dark: false };
}

/** What the node reducer adds to a node's attributes for sigma (and for our label layer). */
export type NodeDisplay = NodeAttrs & {
  highlighted?: boolean;
  zIndex?: number;
  forceLabel?: boolean;
  /** On the highlighted path: the label layer rings it and names it first. */
  onPath?: boolean;
};

const NONE: ReadonlySet<string> = new Set();

/** The focus (hovered node, else the selection) and its neighbours; `null`: no focus. */
function focusSet(g: MapGraph, v: ViewState): Set<string> | null {
  const focus = v.hovered ? [v.hovered] : v.selection.size ? [...v.selection] : v.selected ? [v.selected] : [];
  let near: Set<string> | null = null;
  for (const f of focus) {
    if (!g.hasNode(f)) continue;
    near ??= new Set();
    near.add(f);
    g.forEachNeighbor(f, (n) => near!.add(n));
  }
  return near;
}

export function nodeReducer(g: MapGraph, v: ViewState) {
  const near = focusSet(g, v);
  const dim = v.dark ? "#334155" : "#e2e8f0";
  const folded = v.folded.size ? v.folded : NONE;
  const selection = v.selection;
  const primary = v.selected;
  const single = selection.size <= 1;
  const play = v.playHidden?.size ? v.playHidden : null;
  const pathNodes = v.path ? v.path.nodes : null;
  const pseudo = v.redact && v.pseudo ? v.pseudo : null;
  // `a` is sigma's own copy of the node's attributes: changed in place and returned
  return (node: string, a: NodeAttrs): NodeDisplay => {
    const out = a as NodeDisplay;
    const label = a.label;
    if (a.pinned) out.label = `⚑ ${label}`;
    if (a.collapsed) out.label = `${out.label} (+)`;
    if (folded.has(node)) out.hidden = true;
    if (near && !near.has(node)) {
      out.color = dim;
      out.label = "";
      out.zIndex = 0;
    } else {
      out.zIndex = 1;
      if (near) out.forceLabel = true; // the focus and its neighbours always say what they are
    }
    if (node === primary || selection.has(node)) {
      // one selected node gets sigma's halo and label box; several get rings (MapView), so
      // their boxes do not pile up
      if (single) out.highlighted = true;
      out.zIndex = 2;
    }
    if (play && play.has(node)) out.hidden = true;
    if (pathNodes) {
      if (pathNodes.has(node)) {
        // ringed and named by the label layer (once: not also sigma's hover box)
        out.onPath = true;
        out.forceLabel = true;
        out.zIndex = 3;
        out.color = a.color;
        if (!out.label) out.label = label;
      } else {
        out.color = dim;
        out.zIndex = 0;
        out.label = "";
      }
    }
    if (pseudo) {
      const shown = redactNodeLabel(pseudo, a.kind, a.fullLabel);
      if (out.label) out.label = shown;
      out.fullLabel = shown;
    }
    return out;
  };
}

export function edgeReducer(g: MapGraph, v: ViewState) {
  const focus = v.hovered ?? v.selected;
  const faint = v.dark ? "#1e293b" : "#f1f5f9";
  const strong = v.dark ? "#e2e8f0" : "#334155";
  const folded = v.folded.size ? v.folded : NONE;
  const play = v.playHidden?.size ? v.playHidden : null;
  const pathEdges = v.path ? v.path.edges : null;
  const dark = v.dark;
  const redact = !!v.redact;
  // `a` is sigma's own copy of the edge's attributes: changed in place and returned
  return (edge: string, a: EdgeAttrs): EdgeAttrs & { hidden?: boolean } => {
    const out = a as EdgeAttrs & { hidden?: boolean };
    const s = g.source(edge);
    const t = g.target(edge);
    if (g.getNodeAttribute(s, "hidden") || g.getNodeAttribute(t, "hidden") || folded.has(s) || folded.has(t)) out.hidden = true;
    const touches = focus !== null && (s === focus || t === focus);
    if (!touches) out.label = ""; // edge labels only around the focus
    if (focus !== null && !touches) {
      out.color = faint;
    } else if (touches) {
      out.color = strong;
      out.size = 2;
    } else if (dark) {
      out.color = a.inScope ? "#94a3b8" : "#475569";
    }
    if (play && (play.has(s) || play.has(t))) out.hidden = true;
    if (pathEdges) {
      if (pathEdges.has(edge)) {
        out.color = "#7c3aed";
        out.size = 4;
        out.label = a.kind;
      } else {
        out.color = faint;
      }
    }
    if (redact) out.label = "";
    return out;
  };
}
