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
      (f.status === "" || r.status === f.status),
  );
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
