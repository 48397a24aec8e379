// View state → sigma reducers. The graph model holds data; selection/hover/hidden are applied
// here at render time, never written into the model.
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

export function nodeReducer(g: MapGraph, v: ViewState) {
  const focus = v.hovered ? [v.hovered] : v.selection.size ? [...v.selection] : v.selected ? [v.selected] : [];
  const near = focus.some((f) => g.hasNode(f)) ? new Set(focus.filter((f) => g.hasNode(f)).flatMap((f) => [f, ...g.neighbors(f)])) : null;
  return (node: string, a: NodeAttrs): Partial<NodeAttrs> & { highlighted?: boolean; zIndex?: number; forceLabel?: boolean } => {
    const out: Partial<NodeAttrs> & { highlighted?: boolean; zIndex?: number; forceLabel?: boolean } = { ...a };
    if (a.pinned) out.label = `⚑ ${a.label}`;
    if (a.hidden || v.folded.has(node)) out.hidden = true;
    if (a.collapsed) out.label = `${a.label} (+)`;
    if (near && !near.has(node)) {
      out.color = v.dark ? "#334155" : "#e2e8f0";
      out.label = "";
      out.zIndex = 0;
    } else {
      out.zIndex = 1;
      if (near) out.forceLabel = true; // the focus and its neighbours always say what they are
    }
    if (node === v.selected || v.selection.has(node)) {
      // one selected node gets sigma's halo and label box; several get rings (MapView), so
      // their boxes do not pile up
      if (v.selection.size <= 1) out.highlighted = true;
      out.zIndex = 2;
    }
    if (v.playHidden?.has(node)) out.hidden = true;
    if (v.path) {
      if (v.path.nodes.has(node)) {
        out.highlighted = true;
        out.forceLabel = true;
        out.zIndex = 3;
        out.color = a.color;
        if (!out.label) out.label = a.label;
      } else {
        out.color = v.dark ? "#334155" : "#e2e8f0";
        out.zIndex = 0;
        out.label = "";
      }
    }
    if (v.redact && v.pseudo) {
      const shown = redactNodeLabel(v.pseudo, a.kind, a.fullLabel);
      if (out.label) out.label = shown;
      out.fullLabel = shown;
    }
    return out;
  };
}

export function edgeReducer(g: MapGraph, v: ViewState) {
  const focus = v.hovered ?? v.selected;
  return (edge: string, a: EdgeAttrs): Partial<EdgeAttrs> & { hidden?: boolean } => {
    const out: Partial<EdgeAttrs> & { hidden?: boolean } = { ...a };
    const [s, t] = g.extremities(edge);
    if (g.getNodeAttribute(s, "hidden") || g.getNodeAttribute(t, "hidden") || v.folded.has(s) || v.folded.has(t)) out.hidden = true;
    if (!focus || (s !== focus && t !== focus)) out.label = ""; // edge labels only around the focus
    if (focus && s !== focus && t !== focus) {
      out.color = v.dark ? "#1e293b" : "#f1f5f9";
    } else if (focus) {
      out.color = v.dark ? "#e2e8f0" : "#334155";
      out.size = 2;
    } else if (v.dark) {
      out.color = a.inScope ? "#94a3b8" : "#475569";
    }
    if (v.playHidden?.has(s) || v.playHidden?.has(t)) out.hidden = true;
    if (v.path) {
      if (v.path.edges.has(edge)) {
        out.color = "#7c3aed";
        out.size = 4;
        out.label = a.kind;
      } else {
        out.color = v.dark ? "#1e293b" : "#f1f5f9";
      }
    }
    if (v.redact) out.label = "";
    return out;
  };
}
