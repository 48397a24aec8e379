// Shared state of the "working a case" tools (issue 6): the search query, the bottom drawer,
// the queue's multi-selection, the map highlight/redaction/time playback, and a bridge to the
// map's renderer. Components read and write it directly; App wires only `caseChanged`.
import type Sigma from "sigma";
import type { EdgeAttrs, MapGraph, NodeAttrs } from "./graphModel";
import type { ViewState } from "./reducers";
import { Pseudonyms } from "./redact";

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
  /** Nodes selected on the map (Ctrl/Shift-click, box select, keyboard); primary last. */
  sel: [] as string[],
  /** The start of a path the analyst is choosing ("path from here"). */
  pathFrom: null as string | null,
  /** One line about the last map tool result (path found, file saved). */
  note: null as string | null,
  /** The map's tools panel (overflow of the toolbar) and the shortcut help are open. */
  toolsOpen: false,
  /** The open case's name (export headers). */
  caseName: "",
  help: false,
  /** Bumped when redaction learnt new names (views that show names re-render). */
  names: 0,
});

/** One pseudonym per entity name for the whole window while redacting. */
export const pseudo = new Pseudonyms();
/** Register the entity names a reply carries (ids → labels), so redaction knows them all
 *  before anything is drawn (same name → same pseudonym everywhere). */
export function learnNames(labels: Record<string, string>, kinds: Record<string, string> = {}) {
  const before = pseudo.size();
  for (const [id, label] of Object.entries(labels)) if (id.startsWith("entity:")) pseudo.name(label, kinds[id]);
  if (pseudo.size() !== before) work.names++;
}
/** An entity's name as shown: its pseudonym while redacting. */
export function shownName(label: string, kind = "entity"): string {
  void work.names;
  return work.redact ? pseudo.name(label, kind) : label;
}
/** Free text as shown: known names replaced while redacting. */
export function shownText(text: string): string {
  void work.names;
  return work.redact ? pseudo.scrub(text) : text;
}

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
