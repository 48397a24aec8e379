// Shared state of the "working a case" tools (issue 6): the search query, the bottom drawer,
// the queue's multi-selection, the map highlight/redaction/time playback, and a bridge to the
// map's renderer. Components read and write it directly; App wires only `caseChanged`.
import type Sigma from "sigma";
import type { EdgeAttrs, MapGraph, NodeAttrs } from "./graphModel";
import type { ViewState } from "./reducers";

export type DrawerTab = "search" | "sources" | "table";

export const work = $state({
  /** The query box's text. */
  query: "",
  /** Bumped to run the query now (Enter, "search from this node"). */
  searchRun: 0,
  drawer: null as DrawerTab | null,
  /** Alerts/incidents chosen with ctrl/shift-click in the queue (bulk triage). */
  multi: [] as string[],
  /** Bumped after a triage change so panes re-read what they show. */
  tick: 0,
  /** The path shown on the map. */
  path: null as { from: string; to: string; nodes: string[]; edges: string[] } | null,
  redact: false,
  /** Time playback: nodes later than this are hidden in the view only. */
  playTo: null as string | null,
  /** Files queued from a drop or the dialog, taken by the Sources view. */
  pendingImport: [] as string[],
  dropHover: false,
});

/** What the map registers so the tools can draw over it and export it. */
export interface MapBridge {
  sigma: Sigma<NodeAttrs, EdgeAttrs>;
  graph: MapGraph;
  view: ViewState;
  refresh: () => void;
}

let bridge: MapBridge | null = null;
let resizer: ResizeObserver | null = null;
export function setMapBridge(b: MapBridge | null) {
  bridge = b;
  resizer?.disconnect();
  resizer = null;
  // the drawer and the tools bar change the map's height: sigma only watches the window
  if (b && typeof ResizeObserver !== "undefined") {
    resizer = new ResizeObserver(() => {
      if (bridge !== b) return;
      b.sigma.resize();
      b.refresh();
    });
    resizer.observe(b.sigma.getContainer());
  }
}
export function mapBridge(): MapBridge | null {
  return bridge;
}

let caseChanged: () => Promise<void> = async () => {};
/** App registers how to re-read the case (header counts, queue) after an import or triage. */
export function onCaseChanged(f: () => Promise<void>) {
  caseChanged = f;
}
export function caseChangedNow(): Promise<void> {
  return caseChanged();
}
