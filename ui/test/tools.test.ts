import { describe, expect, it } from "vitest";
import { buildSvg, groupPositions, hiddenAtTime, queryForNode, splitAt, timeSteps } from "../src/lib/tools";

describe("work tools", () => {
  it("search from a node uses the entity's search field, quoted", () => {
    expect(queryForNode("ip", "131.107.147.209", "entity:1")).toBe('ip:"131.107.147.209"');
    expect(queryForNode("host", "msticalertswin1", "entity:2")).toBe('host:"msticalertswin1"');
    expect(queryForNode("account", "msticalertswin1\\msticadmin", "entity:3")).toBe('user:"msticadmin"');
    expect(queryForNode("alert", 'say "hi"', "alert:1")).toBe('"say ""hi"""');
  });
  it("splits a query around the error position", () => {
    expect(splitAt("a AND (b", 8)).toEqual(["a AND (b", "\u00a0", ""]);
    expect(splitAt("a ) b", 2)).toEqual(["a ", ")", " b"]);
  });
  it("playback hides later nodes and entities whose dated neighbours are all later", () => {
    const nodes = [
      { id: "a1", time: "2019-01-01" },
      { id: "a2", time: "2019-02-01" },
      { id: "e1", time: null },
      { id: "e2", time: null },
    ];
    const nb: Record<string, string[]> = { e1: ["a1", "a2"], e2: ["a2"], a1: ["e1"], a2: ["e1", "e2"] };
    expect(timeSteps(nodes)).toEqual(["2019-01-01", "2019-02-01"]);
    expect([...hiddenAtTime(nodes, (id) => nb[id] ?? [], "2019-01-15")].sort()).toEqual(["a2", "e2"]);
  });
  it("groups nodes in one column per kind", () => {
    const p = groupPositions([
      { id: "x", kind: "ip", label: "b" },
      { id: "y", kind: "alert", label: "a" },
      { id: "z", kind: "ip", label: "a" },
    ]);
    const at = Object.fromEntries(p.map((q) => [q.node, q]));
    expect(at.y.x).toBeLessThan(at.x.x);
    expect(at.x.x).toBe(at.z.x);
    expect(at.z.y).toBeLessThan(at.x.y);
  });
  it("SVG export escapes labels", () => {
    const svg = buildSvg(100, 100, "#fff", "#000", [{ id: "n", x: 1, y: 2, r: 3, color: "#f00", label: '<script>"&' }], []);
    expect(svg).toContain("&lt;script&gt;&quot;&amp;");
    expect(svg).not.toContain("<script>");
  });

  it("drops characters XML 1.0 forbids from SVG labels", () => {
    const label = "a\u0000b\u0001\u0008\u000b\u001b[2Jc\ufffe\uffff\ud800d\tok \ud83d\ude00";
    const svg = buildSvg(100, 100, "#fff", "#000", [{ id: "n", x: 1, y: 2, r: 3, color: "#f00", label }], []);
    // eslint-disable-next-line no-control-regex
    expect(svg).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(svg).toContain("ab[2Jcd\tok \ud83d\ude00");
  });
});
