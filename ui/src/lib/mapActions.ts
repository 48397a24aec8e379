// Actions shared by the map's toolbar, its context menu and the tools panel (issue 12):
// shortest path between two nodes and "search from this node". They talk to the backend
// through `api` and leave what they found in the shared `work` state.
import { api, type MapState } from "../ipc";
import { queryForNode } from "./tools";
import { work } from "./work.svelte";

/** Find the path, put it on the map (undoable ShowPath) and highlight it. Null: nothing changed. */
export async function showPath(map: MapState, from: string, to: string, label: (id: string) => string): Promise<MapState | null> {
  work.note = null;
  const p = await api.findPath(from, to);
  if (p.nodes.length === 0) {
    work.path = null;
    work.note = `No path between ${label(from)} and ${label(to)} within 6 steps.`;
    return null;
  }
  const next = await api.apply(map.id, { op: "show_path", from, to, max_depth: null, kinds: null });
  work.path = { from, to, nodes: p.nodes, edges: p.edges };
  work.pathFrom = null;
  work.note = `Path: ${p.nodes.length - 1} step${p.nodes.length === 2 ? "" : "s"} (${p.nodes.length} nodes)`;
  void api.report(`path ${from} ${to} nodes=${p.nodes.length}`);
  return next;
}

/** Fill the query box with the node's identifiers and run it into the drawer. */
export function searchFrom(kind: string, label: string, id: string) {
  work.query = queryForNode(kind, label, id);
  work.drawer = "search";
  work.searchRun++;
}

/** Forget everything that belongs to one investigation (another map is opening). */
export function resetMapState() {
  work.sel = [];
  work.path = null;
  work.pathFrom = null;
  work.note = null;
  work.playTo = null;
  work.toolsOpen = false;
}
