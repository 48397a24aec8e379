// Pure queue logic: merge alerts + incidents into rows, filter, sort. No IPC, no DOM.
import type { AlertRow, IncidentRow, Queue, Severity } from "../ipc/bindings";

export type RowKind = "alert" | "incident";

export interface QueueRow {
  id: string;
  kind: RowKind;
  name: string;
  severity: Severity | null;
  status: string;
  /** Attacked resource (alerts) or the incident's provider. */
  attacked: string;
  time: string | null;
  entityCount: number;
  alertCount: number;
}

export type Show = "both" | "alerts" | "incidents";
export type SortBy = "severity" | "time";

export interface QueueFilter {
  show: Show;
  /** Empty = every severity. */
  severities: Severity[];
  /** Empty string = every status. */
  status: string;
  /** Time window, as normalised time prefixes (see `parseTimeInput`); null = open. */
  from?: string | null;
  to?: string | null;
}

export const SEVERITIES: Severity[] = ["High", "Medium", "Low", "Informational"];
const RANK: Record<Severity, number> = { High: 3, Medium: 2, Low: 1, Informational: 0 };

export function severityRank(s: Severity | null): number {
  return s === null ? -1 : RANK[s];
}

export function alertRow(a: AlertRow): QueueRow {
  return {
    id: a.id,
    kind: "alert",
    name: a.name,
    severity: a.severity,
    status: a.status,
    attacked: a.compromised_entity,
    time: a.start,
    entityCount: a.entities.length,
    alertCount: 1,
  };
}

export function incidentRow(i: IncidentRow, alerts: Map<string, AlertRow>): QueueRow {
  const ents = new Set<string>();
  for (const a of i.alerts) for (const e of alerts.get(a)?.entities ?? []) ents.add(e);
  return {
    id: i.id,
    kind: "incident",
    name: i.title,
    severity: i.severity,
    status: i.status,
    attacked: i.reason ?? i.provider,
    time: i.first_activity ?? i.created,
    entityCount: ents.size,
    alertCount: i.alerts.length,
  };
}

export function queueRows(q: Queue): QueueRow[] {
  const byId = new Map(q.alerts.map((a) => [a.id, a]));
  return [...q.incidents.map((i) => incidentRow(i, byId)), ...q.alerts.map(alertRow)];
}

export function filterRows(rows: QueueRow[], f: QueueFilter): QueueRow[] {
  return rows.filter(
    (r) =>
      (f.show === "both" || (f.show === "alerts" ? r.kind === "alert" : r.kind === "incident")) &&
      (f.severities.length === 0 || (r.severity !== null && f.severities.includes(r.severity))) &&
      (f.status === "" || r.status === f.status) &&
      inWindow(r.time, f.from ?? null, f.to ?? null),
  );
}

/** Is `time` inside [from, to]? Both are prefixes of the stored form ("2019-02-18", "2019-02-18T01:49"):
 *  `to` includes its whole day or minute. Undated rows only pass an open window. */
export function inWindow(time: string | null, from: string | null, to: string | null): boolean {
  if (!from && !to) return true;
  if (!time) return false;
  if (from && time < from) return false;
  if (to && time.slice(0, to.length) > to) return false;
  return true;
}

/** "2019-02-18", "2019-02-18 01:49" or "2019-02-18T01:49:02Z" → the stored-form prefix; null if not a time. */
export function parseTimeInput(s: string): string | null {
  const m = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2}))?)?/.exec(s);
  if (!m) return null;
  return m[2] ? `${m[1]}T${m[2]}${m[3] ? `:${m[3]}` : ""}` : m[1];
}

export type TimePreset = "all" | "24h" | "7d" | "30d";
export const TIME_PRESETS: [TimePreset, string][] = [["all", "Any time"], ["24h", "Last 24 h"], ["7d", "Last 7 days"], ["30d", "Last 30 days"]];

/** A preset window ending at the newest row (cases are investigated long after the fact). */
export function presetWindow(rows: QueueRow[], p: TimePreset): { from: string | null; to: string | null } {
  if (p === "all") return { from: null, to: null };
  const newest = rows.reduce<string | null>((m, r) => (r.time && (!m || r.time > m) ? r.time : m), null);
  if (!newest) return { from: null, to: null };
  const hours = p === "24h" ? 24 : p === "7d" ? 24 * 7 : 24 * 30;
  const from = new Date(Date.parse(newest) - hours * 3600_000).toISOString();
  return { from, to: null };
}

/** Counts for the filter chips: per severity (under every other filter) and per status. */
export function facetCounts(rows: QueueRow[], f: QueueFilter): { severity: Record<Severity, number>; status: Record<string, number> } {
  const severity: Record<Severity, number> = { High: 0, Medium: 0, Low: 0, Informational: 0 };
  for (const r of filterRows(rows, { ...f, severities: [] })) if (r.severity) severity[r.severity]++;
  const status: Record<string, number> = {};
  for (const r of filterRows(rows, { ...f, status: "" })) if (r.status) status[r.status] = (status[r.status] ?? 0) + 1;
  return { severity, status };
}

function byTimeDesc(a: QueueRow, b: QueueRow): number {
  return (b.time ?? "").localeCompare(a.time ?? "");
}

/** Stable: severity (High first) then newest, or newest first. */
export function sortRows(rows: QueueRow[], by: SortBy): QueueRow[] {
  const out = [...rows];
  out.sort((a, b) =>
    by === "severity"
      ? severityRank(b.severity) - severityRank(a.severity) || byTimeDesc(a, b) || a.id.localeCompare(b.id)
      : byTimeDesc(a, b) || a.id.localeCompare(b.id),
  );
  return out;
}

export function statuses(rows: QueueRow[]): string[] {
  return [...new Set(rows.map((r) => r.status).filter((s) => s !== ""))].sort();
}

/** "2019-02-18T01:49:02.000Z" → "2019-02-18 01:49". */
export function shortTime(t: string | null | undefined): string {
  if (!t) return "—";
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(t);
  return m ? `${m[1]} ${m[2]}` : t;
}
