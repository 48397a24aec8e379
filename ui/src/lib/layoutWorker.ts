// Web worker: runs ForceAtlas2 off the UI thread (a module worker served from the app's own
// origin, so the strict CSP holds; the library's own worker is a blob: URL, which it forbids).
import { forceLayout, type LEdge, type LNode } from "./layouts";

export interface LayoutRequest {
  seq: number;
  nodes: LNode[];
  edges: LEdge[];
  iterations: number;
  freeOnly: string[] | null;
}

self.onmessage = (e: MessageEvent<LayoutRequest>) => {
  const r = e.data;
  const pos = forceLayout(r.nodes, r.edges, r.iterations, r.freeOnly ? new Set(r.freeOnly) : null);
  (self as unknown as Worker).postMessage({ seq: r.seq, positions: [...pos.entries()] });
};
