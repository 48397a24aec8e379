// Root cause (issue 11): the trace shown beside the map, the process tree view, and the hooks
// the pane and the map's menu call. App registers what Trace does (it owns the map).
import type { Forward, Trace } from "../ipc";

export const rc = $state({
  /** The trace on screen (its steps are highlighted on the map). */
  trace: null as Trace | null,
  /** The node it was traced from. */
  from: null as string | null,
  /** What the oldest process of the trace led to. */
  forward: null as Forward | null,
  busy: false,
  /** The node whose process tree is open. */
  tree: null as string | null,
});

let handler: (id: string) => void = () => {};
/** App: what a Trace button does. */
export function onTrace(f: (id: string) => void) {
  handler = f;
}
export function startTrace(id: string) {
  handler(id);
}
export function openTree(id: string) {
  rc.tree = id;
}

export { cite, hasTree, traceable, traceEdges } from "./trace";
