// Issue 12 pure logic: layouts, label placement, selection, redaction, numbers, queue facets,
// pane summary and provenance grouping.
import { describe, expect, it } from "vitest";
import { forceLayout, hierarchyLayout, radialLayout, type LNode } from "../src/lib/layouts";
import { overlap, placeLabels } from "../src/lib/labels";
import { clickSelect, cycle, inRect, nearestInDirection } from "../src/lib/selection";
import { Pseudonyms, redactNodeLabel } from "../src/lib/redact";
import { fmtInt } from "../src/lib/format";
import { parseTimeInput } from "../src/lib/queue";
import { provenanceGroups, ranges, summarize } from "../src/lib/detail";
import { legendRows } from "../src/lib/exportImage";
import type { NodeDetail } from "../src/ipc/bindings";

const node = (id: string, x = 0, y = 0, fixed = false): LNode => ({ id, x, y, fixed, size: 10, label: id });

describe("layouts", () => {
  // a star of 12 around a hub, one pinned leaf
  const nodes = [node("hub"), ...Array.from({ length: 12 }, (_, i) => node(`n${i}`, Math.cos(i) * 5, Math.sin(i) * 5, i === 3))];
  const edges = nodes.slice(1).map((n) => ({ from: "hub", to: n.id }));

  it("force layout never moves a fixed node and spreads the others apart", () => {
    const pos = forceLayout(nodes, edges, 150);
    expect(pos.has("n3")).toBe(false);
    const pts = [...pos.values()];
    let minD = Infinity;
    for (let i = 0; i < pts.length; i++) for (let j = i + 1; j < pts.length; j++) minD = Math.min(minD, Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y));
    expect(minD).toBeGreaterThan(1);
  });

  it("force layout with freeOnly moves only the new nodes", () => {
    const pos = forceLayout(nodes, edges, 50, new Set(["n1", "n2"]));
    expect([...pos.keys()].sort()).toEqual(["n1", "n2"]);
  });

  it("hierarchy puts each child right of its parent (left to right)", () => {
    const chain = [node("a"), node("b"), node("c"), node("d")];
    const pos = hierarchyLayout(chain, [{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "a", to: "d" }]);
    expect(pos.get("b")!.x).toBeGreaterThan(pos.get("a")!.x);
    expect(pos.get("c")!.x).toBeGreaterThan(pos.get("b")!.x);
    expect(pos.get("d")!.x).toBeGreaterThan(pos.get("a")!.x);
  });

  it("radial puts the root in the centre and depth-1 nodes on one ring", () => {
    const pos = radialLayout(nodes.map((n) => ({ ...n, fixed: false })), edges, "hub");
    expect(pos.get("hub")).toEqual({ x: 0, y: 0 });
    const radii = nodes.slice(1).map((n) => Math.round(Math.hypot(pos.get(n.id)!.x, pos.get(n.id)!.y)));
    expect(new Set(radii).size).toBe(1);
    expect(radii[0]).toBeGreaterThan(0);
  });
});

describe("labels", () => {
  it("places labels by priority and never lets two boxes overlap", () => {
    const cands = Array.from({ length: 200 }, (_, i) => ({ id: `n${i}`, x: (i * 37) % 500, y: (i * 53) % 300, size: 5, label: `label number ${i}`, priority: i % 7 }));
    const boxes = placeLabels(cands, (s) => s.length * 7, 12, 600, 400);
    expect(boxes.length).toBeGreaterThan(5);
    expect(boxes.length).toBeLessThan(200);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i], boxes[j])).toBe(false);
  });
  it("a higher priority label wins the spot", () => {
    const boxes = placeLabels(
      [
        { id: "small", x: 10, y: 10, size: 4, label: "aaaaaaaa", priority: 1 },
        { id: "hub", x: 12, y: 12, size: 4, label: "bbbbbbbb", priority: 9 },
      ],
      (s) => s.length * 7,
      12,
      300,
      300,
    );
    expect(boxes.map((b) => b.id)).toEqual(["hub"]);
  });
  it("a box drawn by sigma (the selected node) is kept clear and its node is not labelled again", () => {
    const reserved = [{ id: "sel", label: "selected node", x: 20, y: 14, w: 120, h: 18 }];
    const boxes = placeLabels(
      [
        { id: "sel", x: 10, y: 23, size: 6, label: "selected node", priority: 9 },
        { id: "near", x: 30, y: 25, size: 4, label: "cccccccc", priority: 5 },
        { id: "far", x: 30, y: 200, size: 4, label: "dddddddd", priority: 1 },
      ],
      (s) => s.length * 7,
      12,
      400,
      300,
      [],
      reserved,
    );
    expect(boxes.map((b) => [b.id, !!b.reserved])).toEqual([["sel", true], ["far", false]]);
  });
  it("places 10,000 crowded candidates quickly and still without overlap", () => {
    // a 10k-node map zoomed in: about a tenth of the nodes in the viewport, the rest around it
    const cands = Array.from({ length: 10000 }, (_, i) => ({ id: `n${i}`, x: ((i * 7919) % 4000) - 1360, y: ((i * 104729) % 2500) - 850, size: 6, label: `event ${i} on PC04`, priority: i % 5 }));
    const discs = cands.map((c) => ({ id: c.id, x: c.x, y: c.y, size: c.size }));
    const t0 = performance.now();
    const boxes = placeLabels(cands, (s) => s.length * 7, 12, 1280, 800, discs);
    const ms = performance.now() - t0;
    console.log(`placeLabels: 10,000 candidates, ${boxes.length} placed in ${ms.toFixed(1)} ms`);
    expect(boxes.length).toBeGreaterThan(20);
    expect(boxes.every((b) => b.x >= 0 && b.y >= 0 && b.x + b.w <= 1280 && b.y + b.h <= 800)).toBe(true);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i], boxes[j])).toBe(false);
  });
});

describe("selection", () => {
  it("click replaces, ctrl toggles, shift adds", () => {
    expect(clickSelect(["a"], "b", { ctrl: false, shift: false })).toEqual(["b"]);
    expect(clickSelect(["a"], "b", { ctrl: true, shift: false })).toEqual(["a", "b"]);
    expect(clickSelect(["a", "b"], "a", { ctrl: true, shift: false })).toEqual(["b"]);
    expect(clickSelect(["a", "b"], "a", { ctrl: false, shift: true })).toEqual(["b", "a"]);
  });
  const pts = [
    { id: "tl", x: 0, y: 0 },
    { id: "tr", x: 100, y: 0 },
    { id: "bl", x: 0, y: 100 },
    { id: "br", x: 100, y: 100 },
  ];
  it("box select takes the nodes inside the rectangle, dragged either way", () => {
    expect(inRect(pts, { x0: 150, y0: 50, x1: 50, y1: 150 })).toEqual(["br"]);
  });
  it("cycles in reading order and wraps", () => {
    expect(cycle(pts, null, 1)).toBe("tl");
    expect(cycle(pts, "tl", 1)).toBe("tr");
    expect(cycle(pts, "br", 1)).toBe("tl");
    expect(cycle(pts, "tl", -1)).toBe("br");
  });
  it("arrows go to the nearest node in that direction", () => {
    expect(nearestInDirection(pts, "tl", "right")).toBe("tr");
    expect(nearestInDirection(pts, "tl", "down")).toBe("bl");
    expect(nearestInDirection(pts, "tl", "left")).toBe(null);
  });
});

describe("redaction", () => {
  it("one pseudonym per name, whatever the case, and free text scrubbed with the same one", () => {
    const p = new Pseudonyms();
    const h = p.name("MSTICAlertsWin1", "host");
    expect(h).toBe("host-1");
    expect(p.name("msticalertswin1")).toBe(h);
    expect(p.name("CONTOSO\\alice", "account")).toBe("account-1");
    expect(p.scrub("Suspicious login by alice on MSTICAlertsWin1 (msticalertswin1.contoso)")).toBe("Suspicious login by account-1 on host-1 (host-1.contoso)");
    // inside a longer word a name is left alone
    expect(p.scrub("MSTICAlertsWin10 alicent")).toBe("MSTICAlertsWin10 alicent");
  });
  it("map labels: entities by pseudonym, alert names scrubbed", () => {
    const p = new Pseudonyms();
    p.name("10.0.0.5", "ip");
    expect(redactNodeLabel(p, "alert", "Traffic from 10.0.0.5")).toBe("Traffic from ip-1");
    expect(redactNodeLabel(p, "ip", "10.0.0.5")).toBe("ip-1");
  });
});

describe("numbers and queue", () => {
  it("thousands separators", () => {
    expect(fmtInt(13469)).toBe("13,469");
    expect(fmtInt(1950)).toBe("1,950");
    expect(fmtInt(7)).toBe("7");
  });
  // the window itself and the chip counts are cb-api's (crates/api/tests/it/queue_view.rs)
  it("typed times: what reads as a time", () => {
    expect(parseTimeInput("2019-02-17")).toBe("2019-02-17");
    expect(parseTimeInput("2019-02-17 12:30")).toBe("2019-02-17T12:30");
    expect(parseTimeInput("yesterday")).toBe(null);
    expect(parseTimeInput("2019-02-17 12:3")).toBe(null);
  });
});

describe("pane", () => {
  const d: NodeDetail = {
    id: "entity:7",
    kind: "entity",
    label: "pc04",
    fields: { id: 7, kind: "host", key: "host:pc04", strength: "weak", source_id: 2, record: 4, label: "pc04", props: { HostName: "pc04", OSFamily: "Windows", Extra: "x" } },
    relations: [
      { from: "alert:1", to: "entity:7", kind: "mentions", props: {}, source: "a.jsonl", record: 3, records: 1 },
      { from: "event:1", to: "entity:7", kind: "mentions", props: {}, source: "s.evtx", record: 10, records: 1 },
      { from: "event:2", to: "entity:7", kind: "mentions", props: {}, source: "s.evtx", record: 11, records: 1 },
      { from: "event:3", to: "entity:7", kind: "mentions", props: {}, source: "s.evtx", record: 12, records: 1 },
      { from: "event:9", to: "entity:7", kind: "mentions", props: {}, source: "s.evtx", record: 40, records: 1 },
    ],
    labels: { "alert:1": "Bad thing", "event:1": "e1", "event:2": "e2", "event:3": "e3", "event:9": "e9" },
  };
  const q = { alerts: [{ id: "alert:1", ext_id: "a1", name: "Bad thing", alert_type: "", severity: "High" as const, status: "New", classification: "", owner: "", start: "2019-02-18T01:00:00.000Z", end: null, provider: "", product: "", compromised_entity: "", entities: [] }], incidents: [] };
  it("leads with type, name, seen times, alerts, key identifiers; internals apart", () => {
    const s = summarize(d, q);
    expect(s.type).toBe("host");
    expect(s.firstSeen).toBe("2019-02-18T01:00:00.000Z");
    expect(s.alerts).toBe(1);
    expect(s.key.map(([k]) => k)).toEqual(["HostName", "OSFamily"]);
    expect(s.internals.map(([k]) => k).sort()).toEqual(["id", "key", "record", "source_id", "strength"]);
    expect(s.other.map(([k]) => k)).toEqual(["Extra"]);
  });
  it("provenance per file with record ranges", () => {
    expect(ranges([12, 10, 11, 40, 11])).toBe("10–12, 40");
    expect(provenanceGroups(d)).toEqual([
      { file: "s.evtx", relations: 4, records: "10–12, 40", recordCount: 4 },
      { file: "a.jsonl", relations: 1, records: "3", recordCount: 1 },
    ]);
  });
});

describe("export", () => {
  it("legend wraps into rows that fit", () => {
    expect(legendRows([{ label: "a", w: 50 }, { label: "b", w: 50 }, { label: "c", w: 50 }], 120, 10)).toEqual([[0, 1], [2]]);
  });
});

describe("left-to-right folding", () => {
  it("a fan-out of 40 folds into columns about as wide as high, rows never closer than a node", () => {
    const nodes = [node("root"), ...Array.from({ length: 40 }, (_, i) => node(`c${i}`))];
    const pos = hierarchyLayout(nodes, nodes.slice(1).map((n) => ({ from: "root", to: n.id })));
    const kids = nodes.slice(1).map((n) => pos.get(n.id)!);
    const xs = new Set(kids.map((p) => Math.round(p.x)));
    expect(xs.size).toBeGreaterThan(1);
    const ys = kids.map((p) => p.y);
    const height = Math.max(...ys) - Math.min(...ys);
    // the folded rank is centred on the root's row
    expect(Math.abs((Math.max(...ys) + Math.min(...ys)) / 2 - pos.get("root")!.y)).toBeLessThan(height / 2);
    for (const x of xs) {
      const col = kids.filter((p) => Math.round(p.x) === x).map((p) => p.y).sort((a, b) => a - b);
      for (let i = 1; i < col.length; i++) expect(col[i] - col[i - 1]).toBeGreaterThanOrEqual(20);
    }
  });
});
