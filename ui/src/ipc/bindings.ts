// GENERATED from src-tauri/src/wire.rs by `cargo test -p caseboard-app bindings` — do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test -p caseboard-app bindings

export type ErrorCode = "noCase" | "notACase" | "notFound" | "badInput" | "io" | "internal";

export type IpcError = { code: ErrorCode, message: string, };

export type Severity = "Informational" | "Low" | "Medium" | "High";

export type Stats = { alerts: number, incidents: number, entities: number, relations: number, events: number, sources: number, };

export type CaseInfo = { path: string, 
/**
 * File name without extension, for the title bar.
 */
name: string, stats: Stats, 
/**
 * The investigation that was on screen when this case was last closed.
 */
lastInvestigation: number | null, };

export type StartInfo = { case: CaseInfo | null, 
/**
 * Why the case asked for at start (argument, `CASEBOARD_CASE`, last case) did not open.
 */
error: IpcError | null, };

export type QueueSort = "severity" | "time";

export type AlertItem = { id: string, name: string, alertType: string, severity: Severity | null, status: string, start: string | null, end: string | null, provider: string, product: string, 
/**
 * The attacked resource.
 */
compromisedEntity: string, entities: Array<string>, };

export type IncidentItem = { id: string, title: string, number: number | null, severity: Severity | null, status: string, created: string | null, firstActivity: string | null, lastActivity: string | null, provider: string, 
/**
 * Why Caseboard grouped these alerts (derived incidents only).
 */
reason: string | null, alerts: Array<string>, };

export type Queue = { alerts: Array<AlertItem>, incidents: Array<IncidentItem>, };

export type Relation = { from: string, to: string, kind: string, props: unknown, 
/**
 * Provenance: the evidence file and record that said so.
 */
source: string | null, record: number | null, };

export type NodeDetail = { id: string, kind: string, label: string, 
/**
 * Every stored column (JSON columns decoded).
 */
fields: Record<string, unknown>, relations: Array<Relation>, 
/**
 * Labels of the nodes named in `relations`.
 */
labels: Record<string, string>, };

export type QueryInfo = { id: string, label: string, count: number, };

export type NodeView = { id: string, 
/**
 * `alert`, `incident`, `event`, or the entity kind (`host`, `account`, `ip`, …).
 */
kind: string, label: string, severity: Severity | null, time: string | null, };

export type EdgeView = { id: string, from: string, to: string, kind: string, };

export type MapNode = { view: NodeView, 
/**
 * Placed by the graph engine around `parent`; `null` only for nodes it could not place.
 */
x: number | null, y: number | null, pinned: boolean, hidden: boolean, collapsed: boolean, 
/**
 * The node it was expanded from.
 */
parent: string | null, 
/**
 * Not hidden, no collapsed ancestor, inside the time scope.
 */
visible: boolean, };

export type TimeScope = { from: string | null, to: string | null, };

export type MapState = { id: number, name: string, 
/**
 * The alert/incident/entity the investigation started from.
 */
start: string, nodes: Array<MapNode>, edges: Array<EdgeView>, 
/**
 * Nodes the analyst navigated through, oldest first.
 */
breadcrumb: Array<string>, 
/**
 * Where on the breadcrumb the analyst is.
 */
breadcrumbPos: number, focus: string | null, 
/**
 * Operations applied.
 */
cursor: number, timeScope: TimeScope | null, canUndo: boolean, canRedo: boolean, historyLen: number, };

export type Position = { node: string, x: number, y: number, };

export type MapOp = { "op": "expand", node: string, query: string, limit: number | null, offset: number | null, } | { "op": "add_nodes", nodes: Array<string>, } | { "op": "hide", nodes: Array<string>, } | { "op": "unhide", nodes: Array<string>, } | { "op": "collapse", node: string, } | { "op": "uncollapse", node: string, } | { "op": "pin", node: string, x: number, y: number, } | { "op": "unpin", node: string, } | { "op": "remove", nodes: Array<string>, } | { "op": "move", positions: Array<Position>, } | { "op": "set_time_scope", from: string | null, to: string | null, } | { "op": "navigate", node: string, } | { "op": "back" } | { "op": "forward" } | { "op": "show_path", from: string, to: string, max_depth: number | null, kinds: Array<string> | null, };

export type TriageRequest = { 
/**
 * `Active`, `InProgress`, `Resolved`, `Dismissed`.
 */
status: string | null, 
/**
 * `true_positive`, `benign_positive`, `false_positive`, `undetermined`.
 */
classification: string | null, reason: string | null, 
/**
 * Severity override: `Informational`, `Low`, `Medium`, `High`.
 */
severity: string | null, owner: string | null, note: string | null, addTags: Array<string>, removeTags: Array<string>, };

export type NoteInfo = { at: string, actor: string, text: string, };

export type RelatedInfo = { entity: string, label: string, reason: string, at: string, actor: string, };

export type TriageInfo = { id: string, status: string, 
/**
 * `false_positive: <reason>` etc.; empty when never classified.
 */
classification: string, severity: Severity | null, severityOverridden: boolean, owner: string, tags: Array<string>, notes: Array<NoteInfo>, related: Array<RelatedInfo>, 
/**
 * Who the window writes audit entries as.
 */
actor: string, };

export type ActivityEntry = { id: number, at: string, actor: string, action: string, target: string, detail: Record<string, unknown> | null, };

export type SearchHit = { id: string, time: string | null, source: string, summary: string, entities: Array<string>, };

export type SyntaxProblem = { 
/**
 * Character offset in the query.
 */
position: number, expected: string, };

export type SearchReply = { total: number, bySource: Record<string, number>, hits: Array<SearchHit>, syntax: SyntaxProblem | null, 
/**
 * Labels of the entities named in `hits`.
 */
labels: Record<string, string>, };

export type ImportCandidate = { path: string, 
/**
 * The detected format; `null` when `error` says why the file cannot be imported.
 */
format: string | null, error: string | null, size: number, };

export type ImportProgress = { records: number, bytes: number, bytesTotal: number, 
/**
 * Records per second so far.
 */
rate: number, 
/**
 * Seconds left, estimated from bytes; `null` until there is a rate.
 */
etaSecs: number | null, elapsedSecs: number, };

export type AddedCounts = { alerts: number, incidents: number, entities: number, relations: number, events: number, };

export type SkippedInfo = { record: number, reason: string, };

export type ImportReply = { path: string, 
/**
 * `ok`, `cancelled`, or the `cb_api::ApiError::code()` of the failure.
 */
outcome: string, message: string | null, format: string | null, sha256: string | null, added: AddedCounts | null, merged: number, skipped: Array<SkippedInfo>, duplicateOf: string | null, elapsedSecs: number, };

export type SourceInfo = { id: number, path: string, sha256: string, size: number, format: string, importedAt: string, counts: Record<string, number>, merged: number, skipped: Array<{ record: number, reason: string }>, };

export type PathReply = { nodes: Array<string>, edges: Array<string>, };

export type NodeIdText = string;
