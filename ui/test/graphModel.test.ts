import { describe, expect, it } from "vitest";
import { foldNum, groupNum, isFold, isGroup, moveOps, newGraph, placeAround, syncGraph } from "../src/lib/graphModel";
import { edgeReducer, emptyView, nodeReducer } from "../src/lib/reducers";
import type { MapNode, MapState } from "../src/ipc/bindings";

const node = (id: string, kind: string, x: number | null, y: number | null, extra: Partial<MapNode> = {}): MapNode => ({
  view: { id, kind, label: id, severity: kind === "alert" ? "High" : null, time: null },
  x, y, pinned: false, hidden: false, collapsed: false, parent: null, visible: true, ...extra,
});
const state = (nodes: MapNode[], edges: [string, string, string][]): MapState => ({
  id: 1, name: "m", start: "alert:1", nodes, groups: [], folds: [],
  edges: edges.map(([from, kind, to]) => ({ id: `${from}|${kind}|${to}`, from, to, kind })),
  breadcrumb: ["alert:1"], breadcrumb_pos: 0, focus: "alert:1", cursor: 0, time_scope: null, can_undo: false, can_redo: false, history_len: 0,
});

describe("graph model", () => {
  const s1 = state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 70, 0)], [["alert:1", "involves", "entity:1"]]);

  it("builds nodes with style from kind/severity and edges in scope", () => {
    const g = newGraph();
    expect(syncGraph(g, s1)).toEqual(["alert:1", "entity:1"]);
    expect(g.getNodeAttribute("alert:1", "color")).toBe("#dc2626");
    expect(g.getNodeAttribute("entity:1", "image")).toBe("/icons/host.svg");
    expect(g.getEdgeAttribute("alert:1|involves|entity:1", "inScope")).toBe(true);
  });

  it("syncs in place: keeps existing positions, adds only the new nodes, drops the removed ones", () => {
    const g = newGraph();
    syncGraph(g, s1);
    const s2 = state(
      [...s1.nodes, node("entity:2", "account", null, null), node("entity:3", "ip", 0, 70)],
      [["alert:1", "involves", "entity:1"], ["entity:1", "logged_on", "entity:2"], ["entity:1", "uses", "entity:3"]],
    );
    expect(syncGraph(g, s2, "entity:1").sort()).toEqual(["entity:2", "entity:3"]);
    expect(g.getNodeAttributes("entity:1")).toMatchObject({ x: 70, y: -0 });
    // unplaced node lands next to its anchor, not on top of anything
    const p = g.getNodeAttributes("entity:2");
    expect(Math.hypot(p.x - 70, p.y)).toBeGreaterThan(20);
    expect(Math.hypot(p.x - 70, p.y)).toBeLessThan(200);
    expect(g.getEdgeAttribute("entity:1|logged_on|entity:2", "inScope")).toBe(false);
    syncGraph(g, s1);
    expect(g.order).toBe(2);
    expect(g.size).toBe(1);
  });

  it("hides invisible nodes through the model flag", () => {
    const g = newGraph();
    syncGraph(g, state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 1, 1, { visible: false })], []));
    expect(g.getNodeAttribute("entity:1", "hidden")).toBe(true);
  });

  it("draws a fold of similar entities as one counted node linked to what its members share", () => {
    const procs = ["entity:11", "entity:12", "entity:13"].map((id, i) => node(id, "process", 100, i * 30, { visible: false }));
    const s = state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 70, 0), ...procs], [
      ["alert:1", "involves", "entity:1"],
      ...procs.map((p) => [p.view.id, "runs_on", "entity:1"] as [string, string, string]),
    ]);
    s.folds = [{ id: 4, kind: "process", label: "3 similar processes", members: procs.map((p) => p.view.id), neighbours: ["entity:1"], x: 100, y: 30, visible: true }];
    const g = newGraph();
    syncGraph(g, s);
    expect(g.getNodeAttributes("fold:4")).toMatchObject({ kind: "group", count: 3, hidden: false, fullLabel: "3 similar processes", x: 100, y: -30 });
    expect(g.hasEdge("fold:4|fold|entity:1")).toBe(true);
    for (const p of procs) expect(g.hasNode(p.view.id)).toBe(false);
    expect(isGroup("fold:4") && isFold("fold:4") && !isFold("group:4")).toBe(true);
    expect(foldNum("fold:4")).toBe(4);
    expect(groupNum("fold:4")).toBeNaN();
    // a dragged fold saves its own spot (a fold is not a case node: no `move` of it)
    g.mergeNodeAttributes("fold:4", { x: 150, y: -70 });
    expect(moveOps(g, ["fold:4"])).toEqual([{ op: "move_folds", positions: [{ fold: 4, x: 150, y: 70 }] }]);
    g.mergeNodeAttributes("fold:4", { x: 100, y: -30 });
    // unfolded: the fold node and its edge leave, the members are back where they were
    s.folds = [];
    s.nodes = s.nodes.map((n) => ({ ...n, visible: true }));
    syncGraph(g, s);
    expect(g.hasNode("fold:4")).toBe(false);
    expect(g.getNodeAttributes("entity:12")).toMatchObject({ x: 100, y: -30, hidden: false });
    expect(g.hasEdge("entity:12|runs_on|entity:1")).toBe(true);
  });

  it("places new nodes around a parent without collisions", () => {
    const spots = placeAround({ x: 0, y: 0 }, [{ x: 70, y: 0 }], 30);
    expect(spots).toHaveLength(30);
    for (let i = 0; i < spots.length; i++) {
      expect(Math.hypot(spots[i].x - 70, spots[i].y)).toBeGreaterThan(25);
      for (let j = i + 1; j < spots.length; j++) expect(Math.hypot(spots[i].x - spots[j].x, spots[i].y - spots[j].y)).toBeGreaterThan(25);
    }
  });
});

describe("reducers", () => {
  it("dims what is not next to the selection, without touching the model", () => {
    const g = newGraph();
    syncGraph(g, state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 70, 0), node("entity:2", "ip", 0, 70)], [["alert:1", "involves", "entity:1"]]));
    const v = { ...emptyView(), selected: "entity:1" };
    // sigma hands each call its own copy of the attributes (the reducer changes that copy)
    const nr = nodeReducer(g, v);
    const red = (id: string) => nr(id, { ...g.getNodeAttributes(id) });
    expect(red("entity:1").highlighted).toBe(true);
    expect(red("alert:1").label).toBe("alert:1");
    expect(red("entity:2").label).toBe("");
    expect(g.getNodeAttribute("entity:2", "label")).toBe("entity:2");
    const er = edgeReducer(g, v);
    expect(er("alert:1|involves|entity:1", { ...g.getEdgeAttributes("alert:1|involves|entity:1") }).size).toBe(2);
  });

  it("a path node is named once: ringed and labelled by the label layer, not given sigma's hover box", () => {
    const g = newGraph();
    syncGraph(g, state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 70, 0), node("entity:2", "ip", 0, 70)], [["alert:1", "involves", "entity:1"]]));
    const v = { ...emptyView(), path: { nodes: new Set(["alert:1", "entity:1"]), edges: new Set(["alert:1|involves|entity:1"]) } };
    const nr = nodeReducer(g, v);
    const on = nr("entity:1", { ...g.getNodeAttributes("entity:1") });
    expect([on.onPath, on.highlighted, on.forceLabel, on.zIndex, on.label]).toEqual([true, undefined, true, 3, "entity:1"]);
    const off = nr("entity:2", { ...g.getNodeAttributes("entity:2") });
    expect([off.onPath, off.label, off.zIndex]).toEqual([undefined, "", 0]);
    // selected on the path: sigma's box (highlighted) and the ring, still one label source
    const sel = nodeReducer(g, { ...v, selected: "entity:1", selection: new Set(["entity:1"]) })("entity:1", { ...g.getNodeAttributes("entity:1") });
    expect([sel.onPath, sel.highlighted]).toEqual([true, true]);
  });

  it("reducers return the copy they are given (no allocation per call)", () => {
    const g = newGraph();
    syncGraph(g, state([node("alert:1", "alert", 0, 0), node("entity:1", "host", 70, 0)], [["alert:1", "involves", "entity:1"]]));
    const copy = { ...g.getNodeAttributes("entity:1") };
    expect(nodeReducer(g, emptyView())("entity:1", copy)).toBe(copy);
    const e = { ...g.getEdgeAttributes("alert:1|involves|entity:1") };
    expect(edgeReducer(g, emptyView())("alert:1|involves|entity:1", e)).toBe(e);
  });
});
