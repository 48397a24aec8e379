// Pure helpers that turn a NodeDetail's fields into what the property pane shows.
import type { NodeDetail, Overview, Queue } from "../ipc/bindings";

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

/** Stored columns an analyst rarely needs first; shown folded under "Internals". */
export const INTERNAL_FIELDS = new Set(["id", "key", "strength", "source_id", "record", "alias", "ext_id", "severity_override", "resource_id", "number", "n"]);

/** Identifying properties an analyst asks for first, by name (Sentinel spellings, any case). */
const KEY_PROPS = [
  "hostname", "dnsdomain", "netbiosname", "fqdn", "osfamily", "osversion", "address", "name", "upnsuffix", "ntdomain", "aaduserid", "sid",
  "processid", "commandline", "creationtimeutc", "directory", "algorithm", "value", "url", "resourceid", "mailboxprimaryaddress", "domainname",
  "key", "hive", "eventid", "channel", "source", "computer", "alert_type", "provider", "product", "compromised_entity",
];

function firstText(f: Record<string, unknown>, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = f[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return null;
}

export interface Summary {
  type: string;
  name: string;
  firstSeen: string | null;
  lastSeen: string | null;
  alerts: number;
  /** Key identifiers (up to 8), then every other property/field, then internals. */
  key: [string, string][];
  other: [string, string][];
  internals: [string, string][];
}

/** What the pane leads with: type, name, first/last seen, alerts, key identifiers. */
export function summarize(d: NodeDetail, q: Queue | null): Summary {
  const f = d.fields;
  const type = d.kind === "entity" ? text(f.kind) || "entity" : d.kind;
  const times = timeline(d, q).map((t) => t.time).filter((t) => t !== "");
  let first = firstText(f, "start_time", "first_activity", "time", "created", "generated");
  let lastT = firstText(f, "end_time", "last_activity", "time");
  if (!first && times.length) first = times[0];
  if (!lastT && times.length) lastT = times[times.length - 1];
  const alerts = neighbours(d).filter((n) => n.kind === "alert" || n.kind === "incident").length;
  const all = identifiers(d);
  const internals = all.filter(([k]) => INTERNAL_FIELDS.has(k));
  const rest = all.filter(([k]) => !INTERNAL_FIELDS.has(k) && !["label", "name", "title", "kind", "start_time", "end_time", "first_activity", "last_activity", "time"].includes(k));
  const rank = (k: string) => {
    const i = KEY_PROPS.indexOf(k.toLowerCase());
    return i < 0 ? Infinity : i;
  };
  const keyed = rest.filter(([k]) => rank(k) < Infinity).sort((a, b) => rank(a[0]) - rank(b[0])).slice(0, 8);
  const keySet = new Set(keyed.map(([k]) => k));
  return { type, name: d.label, firstSeen: first, lastSeen: lastT, alerts, key: keyed, other: rest.filter(([k]) => !keySet.has(k)), internals };
}

/** "1–4, 7, 9–10" from record numbers (sorted, deduplicated). */
export function ranges(nums: number[]): string {
  const s = [...new Set(nums)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}–${s[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

export interface ProvenanceGroup {
  file: string;
  relations: number;
  records: string;
  recordCount: number;
}

/** Provenance grouped per evidence file, with the record numbers as ranges. */
export function provenanceGroups(d: NodeDetail): ProvenanceGroup[] {
  const by = new Map<string, { n: number; recs: number[] }>();
  for (const r of d.relations) {
    if (!r.source) continue;
    const g = by.get(r.source) ?? { n: 0, recs: [] };
    g.n++;
    if (r.record !== null) g.recs.push(r.record);
    by.set(r.source, g);
  }
  return [...by.entries()]
    .map(([file, g]) => ({ file, relations: g.n, records: ranges(g.recs), recordCount: new Set(g.recs).size }))
    .sort((a, b) => b.relations - a.relations || a.file.localeCompare(b.file));
}

/** What the pane leads with, from the bounded overview (issue 12): type, name, first/last
 *  seen, alerts, key identifiers; then the other properties; internals folded. */
export function overviewSummary(o: Overview): Summary {
  const f = o.fields;
  const type = o.kind === "entity" ? text(f.kind) || "entity" : o.kind;
  const all = identifiers({ id: o.id, kind: o.kind, label: o.label, fields: f, relations: [], labels: {} });
  const internals = all.filter(([k]) => INTERNAL_FIELDS.has(k));
  const rest = all.filter(([k]) => !INTERNAL_FIELDS.has(k) && !["label", "name", "title", "kind", "start_time", "end_time", "first_activity", "last_activity", "time", "summary"].includes(k));
  const rank = (k: string) => {
    const i = KEY_PROPS.indexOf(k.toLowerCase());
    return i < 0 ? Infinity : i;
  };
  const keyed = rest.filter(([k]) => rank(k) < Infinity).sort((a, b) => rank(a[0]) - rank(b[0])).slice(0, 8);
  const keySet = new Set(keyed.map(([k]) => k));
  return { type, name: o.label, firstSeen: o.first_seen, lastSeen: o.last_seen, alerts: Number(o.counts.alerts), key: keyed, other: rest.filter(([k]) => !keySet.has(k)), internals };
}
