import { describe, expect, it } from "vitest";
import { cite, hasTree, traceable, traceEdges } from "../src/lib/trace";
import type { Trace, TraceNode } from "../src/ipc/bindings";

const node = (id: string, kind = "process"): TraceNode => ({ id, kind, label: id, props: {} });
const step = (n: TraceNode, edge: { kind: string; from: string; to: string } | null) => ({ node: n, edge, evidence: [], time: null, text: n.id, inferred: false, confidence: null });

describe("trace helpers", () => {
  it("highlights each step's edge and the link between consecutive steps, either way round", () => {
    const t: Trace = {
      steps: [
        step(node("alert:1", "alert"), null),
        step(node("entity:2"), { kind: "involves", from: "alert:1", to: "entity:2" }),
        step(node("entity:3"), { kind: "ParentProcess", from: "entity:2", to: "entity:3" }),
        // inferred: the edge names an address that is not on the map; the host before it is
        step(node("entity:9", "host"), { kind: "has_ip", from: "entity:8", to: "entity:9" }),
        step(node("entity:5"), { kind: "connected_to", from: "entity:7", to: "entity:5" }),
      ],
      root: node("entity:5"),
    };
    const edges = [
      { id: "a", from: "alert:1", to: "entity:2" },
      { id: "b", from: "entity:2", to: "entity:3" },
      { id: "c", from: "entity:5", to: "entity:9" }, // drawn the other way
      { id: "d", from: "entity:2", to: "entity:9" }, // not consecutive: left out
    ];
    expect(traceEdges(t, edges)).toEqual(["a", "b", "c"]);
  });
  it("names the record by file name", () => {
    expect(cite({ source: "/x/y/empire.zip", record: 812 })).toBe("empire.zip · record 812");
    expect(cite({ source: "C:\\cases\\a.evtx", record: 3 })).toBe("a.evtx · record 3");
  });
  it("offers Trace and Process tree on the kinds that have them", () => {
    expect(["alert", "event", "process", "host"].filter(traceable)).toEqual(["alert", "event", "process"]);
    expect(["host", "host-logon-session", "process", "ip"].filter(hasTree)).toEqual(["host", "host-logon-session", "process"]);
  });
});
