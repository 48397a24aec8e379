// Pure helpers of the root-cause views (issue 11): which nodes offer Trace / Process tree, the
// map edges a trace follows, how a record is cited.
import type { Trace } from "../ipc";

/** Kinds a trace starts from, and kinds that have a process tree. */
export const traceable = (kind: string) => kind === "alert" || kind === "event" || kind === "process";
export const hasTree = (kind: string) => kind === "host" || kind === "host-logon-session" || kind === "process";

/** The map edges a trace's path follows: each step's own edge and the link between
 *  consecutive steps, whichever way the map draws it. */
export function traceEdges(t: Trace, edges: { id: string; from: string; to: string }[]): string[] {
  const key = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);
  const pairs = new Set<string>();
  t.steps.forEach((s, i) => {
    if (s.edge) pairs.add(key(s.edge.from, s.edge.to));
    if (i > 0) pairs.add(key(t.steps[i - 1].node.id, s.node.id));
  });
  return edges.filter((e) => pairs.has(key(e.from, e.to))).map((e) => e.id);
}

/** `empire.zip · record 812` */
export function cite(e: { source: string; record: number }): string {
  const file = e.source.split(/[\\/]/).pop() ?? e.source;
  return `${file} · record ${e.record}`;
}
