import { describe, expect, it } from "vitest";
import { queueFilter, queueRows, sortRows, shortTime, viewRows } from "../src/lib/queue";
import type { AlertRow, Queue } from "../src/ipc/bindings";

const alert = (id: string, severity: AlertRow["severity"], start: string, entities: string[] = [], status = "New"): AlertRow => ({
  id, ext_id: id, name: `A ${id}`, alert_type: "t", classification: "", owner: "", severity, status, start, end: null, provider: "p", product: "", compromised_entity: "host1", entities,
});
const q: Queue = {
  alerts: [alert("alert:1", "Low", "2019-02-18T01:00"), alert("alert:2", "High", "2019-02-17T01:00", ["entity:1", "entity:2"]), alert("alert:3", "High", "2019-02-19T01:00", ["entity:2", "entity:3"], "Resolved")],
  incidents: [{ id: "incident:1", ext_id: "i1", title: "I", classification: "", owner: "", missing_alerts: [], number: 1, severity: "Medium", status: "New", created: null, first_activity: "2019-02-20T00:00", last_activity: null, provider: "x", reason: "shared host", alerts: ["alert:2", "alert:3"] }],
};

describe("queue", () => {
  it("merges incidents and alerts, counting an incident's distinct entities", () => {
    const rows = queueRows(q);
    expect(rows.map((r) => r.id)).toEqual(["incident:1", "alert:1", "alert:2", "alert:3"]);
    expect(rows[0].entityCount).toBe(3);
    expect(rows[0].alertCount).toBe(2);
  });
  it("rows of a filtered view keep an incident's entities from every alert", () => {
    const rows = viewRows({ alerts: [q.alerts[0]], incidents: q.incidents }, q.alerts);
    expect(rows.map((r) => r.id)).toEqual(["incident:1", "alert:1"]);
    expect(rows[0].entityCount).toBe(3);
  });
  it("sends cb-api the filter: quick ranges as hours, typed times once they read as times", () => {
    expect(queueFilter("alerts", ["High"], "", "24h", "", "")).toEqual({ show: "alerts", severities: ["High"], status: null, from: null, to: null, last_hours: 24 });
    expect(queueFilter("both", [], "New", "custom", " 2019-02-17 ", "2019-02-1")).toEqual({ show: "both", severities: [], status: "New", from: "2019-02-17", to: null, last_hours: null });
    expect(queueFilter("both", [], "", "all", "2019-02-17", "").from).toBe(null);
  });
  it("sorts by severity then newest, or newest first", () => {
    const rows = queueRows(q);
    expect(sortRows(rows, "severity").map((r) => r.id)).toEqual(["alert:3", "alert:2", "incident:1", "alert:1"]);
    expect(sortRows(rows, "time").map((r) => r.id)).toEqual(["incident:1", "alert:3", "alert:1", "alert:2"]);
  });
  it("shortens times", () => {
    expect(shortTime("2019-02-18T01:49:02.000Z")).toBe("2019-02-18 01:49");
    expect(shortTime(null)).toBe("—");
  });
});
