// Pure queue logic: merge alerts + incidents into rows, sort, read typed times. No IPC, no DOM.
// Filtering and the chip counts are cb-api's (`queue_view`): the window lists what it returns.
import type { AlertRow, IncidentRow, Queue, QueueFilter, QueueShow, QueueView, Severity } from "../ipc/bindings";

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

export type Show = QueueShow;
export type SortBy = "severity" | "time";

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
  return viewRows(q, q.alerts);
}

/** The rows of a cb-api queue view; `all` holds every alert of the case (an incident's entity
 *  count needs its alerts even when the filter hides them). */
export function viewRows(v: Pick<QueueView, "alerts" | "incidents">, all: AlertRow[]): QueueRow[] {
  const byId = new Map(all.map((a) => [a.id, a]));
  return [...v.incidents.map((i) => incidentRow(i, byId)), ...v.alerts.map(alertRow)];
}

/** "2019-02-18", "2019-02-18 01:49" or "2019-02-18T01:49:02Z" → the stored-form prefix; null if not a time.
 *  Only to mark a half-typed time: cb-api reads the text itself. */
export function parseTimeInput(s: string): string | null {
  const m = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2}))?)?\s*$/.exec(s);
  if (!m) return null;
  return m[2] ? `${m[1]}T${m[2]}${m[3] ? `:${m[3]}` : ""}` : m[1];
}

export type TimePreset = "all" | "24h" | "7d" | "30d";
export const TIME_PRESETS: [TimePreset, string][] = [["all", "Any time"], ["24h", "Last 24 h"], ["7d", "Last 7 days"], ["30d", "Last 30 days"]];
const PRESET_HOURS: Record<TimePreset, number | null> = { all: null, "24h": 24, "7d": 24 * 7, "30d": 24 * 30 };

/** The cb-api filter of the queue's controls. A quick range ends at the case's newest row; typed
 *  times are sent once they read as times (half-typed ones are left out). */
export function queueFilter(show: Show, severities: Severity[], status: string, preset: TimePreset | "custom", fromText: string, toText: string): QueueFilter {
  const typed = (t: string) => (preset === "custom" && parseTimeInput(t) ? t.trim() : null);
  return {
    show,
    severities,
    status: status || null,
    from: typed(fromText),
    to: typed(toText),
    last_hours: preset === "custom" ? null : PRESET_HOURS[preset],
  };
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


/** "2019-02-18T01:49:02.000Z" → "2019-02-18 01:49". */
export function shortTime(t: string | null | undefined): string {
  if (!t) return "—";
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(t);
  return m ? `${m[1]} ${m[2]}` : t;
}
