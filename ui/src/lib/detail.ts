// Pure helpers that turn a NodeDetail's fields into what the property pane shows.
import type { NodeDetail, Queue } from "../ipc/bindings";

export function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  if (typeof v === "string" && v.trim() !== "") return [v];
  return [];
}

/** Render any JSON value as one line of text (objects as compact JSON). */
export function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function entries(v: unknown): [string, string][] {
  if (v && typeof v === "object" && !Array.isArray(v)) return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, text(x)]);
  return [];
}

const HIDDEN_FIELDS = new Set(["raw", "props", "extended", "remediation", "tactics", "techniques", "description", "contains_alerts", "fields", "labels"]);

/** Scalar identifying fields/properties, in display order. */
export function identifiers(d: NodeDetail): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(d.fields)) {
    if (HIDDEN_FIELDS.has(k) || v === null || v === "") continue;
    out.push([k, text(v)]);
  }
  for (const [k, v] of entries(d.fields.props)) if (v !== "") out.push([k, v]);
  return out;
}

export interface Neighbour {
  id: string;
  label: string;
  kind: string;
  relation: string;
}

export function neighbours(d: NodeDetail): Neighbour[] {
  const seen = new Set<string>();
  const out: Neighbour[] = [];
  for (const r of d.relations) {
    const other = r.from === d.id ? r.to : r.from;
    if (seen.has(other)) continue;
    seen.add(other);
    out.push({ id: other, label: d.labels[other] ?? other, kind: other.split(":")[0], relation: r.kind });
  }
  return out;
}

export interface TimelineItem {
  id: string;
  time: string;
  label: string;
  kind: string;
}

/** The node's alerts and events in time order (times from the queue for alerts). */
export function timeline(d: NodeDetail, q: Queue | null): TimelineItem[] {
  const alerts = new Map((q?.alerts ?? []).map((a) => [a.id, a]));
  const items: TimelineItem[] = [];
  const self = alerts.get(d.id);
  if (self?.start) items.push({ id: d.id, time: self.start, label: `${self.name} (start)`, kind: "alert" });
  for (const n of neighbours(d)) {
    const a = alerts.get(n.id);
    if (a) items.push({ id: n.id, time: a.start ?? "", label: a.name, kind: "alert" });
    else if (n.kind === "event") items.push({ id: n.id, time: "", label: n.label, kind: "event" });
  }
  return items.sort((x, y) => x.time.localeCompare(y.time));
}
