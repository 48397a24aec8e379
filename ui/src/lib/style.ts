// How nodes and edges look: colour by severity (alerts/incidents) or by type (entities),
// an icon per type. Pure data, shared by the map and the legend.
import type { Severity } from "../ipc/bindings";

export const SEVERITY_COLOR: Record<Severity, string> = {
  High: "#dc2626",
  Medium: "#ea580c",
  Low: "#ca8a04",
  Informational: "#2563eb",
};

const KIND_COLOR: Record<string, string> = {
  host: "#0f766e",
  account: "#7c3aed",
  ip: "#0369a1",
  process: "#4d7c0f",
  file: "#92400e",
  filehash: "#78716c",
  url: "#be185d",
  event: "#64748b",
  "azure-resource": "#1d4ed8",
  mailbox: "#9333ea",
  "registry-key": "#a16207",
  "registry-value": "#a16207",
  dns: "#0e7490",
};

const ICONS = new Set([
  "alert",
  "incident",
  "host",
  "account",
  "ip",
  "process",
  "file",
  "filehash",
  "url",
  "event",
  "cloud",
  "mailbox",
  "registry",
  "entity",
]);

export function iconFor(kind: string): string {
  const k = kind.toLowerCase();
  if (ICONS.has(k)) return `/icons/${k}.svg`;
  if (k.includes("azure") || k.includes("cloud") || k.includes("resource")) return "/icons/cloud.svg";
  if (k.includes("registry")) return "/icons/registry.svg";
  if (k.includes("mail")) return "/icons/mailbox.svg";
  if (k.includes("hash")) return "/icons/filehash.svg";
  return "/icons/entity.svg";
}

export function colorFor(kind: string, severity: Severity | null): string {
  if (kind === "alert" || kind === "incident") return severity ? SEVERITY_COLOR[severity] : "#475569";
  return KIND_COLOR[kind.toLowerCase()] ?? "#475569";
}

export function sizeFor(kind: string): number {
  return kind === "incident" ? 14 : kind === "alert" ? 11 : 9;
}

/** Nodes whose own edges are "in" the investigation: the start node and, for an incident,
 *  its alerts. Other edges are drawn dotted/faint ("related, but not in this incident"). */
export function scopeOf(start: string | null, edges: { from: string; to: string; kind: string }[]): Set<string> {
  const scope = new Set<string>();
  if (!start) return scope;
  scope.add(start);
  for (const e of edges) if (e.from === start && e.kind === "contains") scope.add(e.to);
  return scope;
}

export function edgeInScope(e: { from: string; to: string }, scope: Set<string>): boolean {
  return scope.has(e.from) || scope.has(e.to);
}
