// GENERATED from the cb-api wire types by `cargo test -p caseboard-app bindings` — do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test -p caseboard-app --features custom-protocol bindings

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type ErrorCode = "no_case" | "missing" | "not_a_case" | "not_found" | "bad_input" | "unknown_format" | "directory" | "unreadable" | "storage" | "cancelled" | "changed" | "not_sealed" | "internal";

export type ErrorReply = { code: ErrorCode, message: string, };

export type NodeId = string;

export type Severity = "Informational" | "Low" | "Medium" | "High";

export type Counts = { alerts: number, incidents: number, entities: number, relations: number, events: number, };

export type Stats = { alerts: number, incidents: number, entities: number, relations: number, events: number, sources: number, };

export type CaseInfo = { path: string, name: string, stats: Stats, };

export type QueueSort = "severity" | "time";

export type AlertRow = { id: NodeId, ext_id: string, name: string, alert_type: string, severity: Severity | null, status: string, classification: string, owner: string, start: string | null, end: string | null, provider: string, product: string, compromised_entity: string, entities: Array<NodeId>, 
/**
 * The Sigma rule that raised the alert (a local detection); absent for imported alerts.
 */
rule?: RuleRef | null, };

export type IncidentRow = { id: NodeId, ext_id: string, title: string, number: number | null, severity: Severity | null, status: string, classification: string, owner: string, created: string | null, first_activity: string | null, last_activity: string | null, provider: string, 
/**
 * Set for incidents Caseboard derived itself: why these alerts belong together.
 */
reason: string | null, 
/**
 * Alerts of the incident that are in the case.
 */
alerts: Array<NodeId>, 
/**
 * External ids of alerts the incident names but the case does not hold (yet).
 */
missing_alerts: Array<string>, };

export type EntityRow = { id: NodeId, kind: string, label: string, key: string, strength: string, 
/**
 * The identifiers and details the records gave (a process: ProcessGuid, ProcessId,
 * Image, CommandLine, CreationTime, host).
 */
props: JsonValue, };

export type EntityName = { id: NodeId, kind: string, label: string, };

export type Queue = { alerts: Array<AlertRow>, incidents: Array<IncidentRow>, };

export type QueueShow = "both" | "alerts" | "incidents";

export type QueueFilter = { show: QueueShow, 
/**
 * Rows of any of these severities (empty: every severity, unrated rows included).
 */
severities: Array<Severity>, 
/**
 * Rows with this status (`New`, `Active`, …).
 */
status: string | null, 
/**
 * Typed times: `2019-02-18`, `2019-02-18 01:49`, `2019-02-18T01:49:02Z`. `to` includes
 * its whole day or minute.
 */
from: string | null, to: string | null, 
/**
 * A quick range: the last N hours of the case's data (ending at the newest row of the kind
 * shown: cases are read long after the fact). Replaces `from` when both are given.
 */
last_hours: number | null, };

export type QueueCounts = { 
/**
 * Every alert and incident of the case (the header's numbers; `caseboard stats` agrees).
 */
total_alerts: number, total_incidents: number, 
/**
 * Rows listed: `alerts.len() + incidents.len()`.
 */
shown: number, 
/**
 * Per severity, under every filter but the severity one: what the queue lists when only
 * that chip is on. Every severity is present (0 when none).
 */
severity: Record<Severity, number>, 
/**
 * Per status, under every filter but the status one.
 */
status: Record<string, number>, 
/**
 * The time window applied (stored-form prefixes), after quick ranges are resolved.
 */
from: string | null, to: string | null, 
/**
 * The oldest and newest row time of the kind shown (for quick ranges and placeholders).
 */
oldest: string | null, newest: string | null, };

export type QueueView = { 
/**
 * Listed alerts, in `sort` order.
 */
alerts: Array<AlertRow>, 
/**
 * Listed incidents (highest severity first).
 */
incidents: Array<IncidentRow>, counts: QueueCounts, };

export type RemediationStep = { text: string, alerts: Array<NodeId>, };

export type Remediation = { incident: NodeId, steps: Array<RemediationStep>, 
/**
 * Alerts of the incident (in the case) that give no step.
 */
without_steps: Array<NodeId>, };

export type RelationRow = { from: NodeId, to: NodeId, kind: string, props: unknown, 
/**
 * Provenance: the evidence file and record that said so.
 */
source: string | null, record: number | null, 
/**
 * How many records of that file said so (`record` is the first).
 */
records: number, };

export type NodeDetail = { 
/**
 * Labels of the other nodes named in `relations`.
 */
labels: Record<string, string>, id: NodeId, kind: string, label: string, fields: Record<string, unknown>, relations: Array<RelationRow>, };

export type QueryInfo = { id: string, label: string, count: number, };

export type NodeView = { id: NodeId, 
/**
 * `alert`, `incident`, `event`, or the entity kind (`host`, `account`, `ip`, …).
 */
kind: string, label: string, severity: Severity | null, 
/**
 * Start time of an alert, first activity of an incident, time of an event.
 */
time: string | null, };

export type EdgeView = { id: string, from: NodeId, to: NodeId, kind: string, };

export type Expansion = { nodes: Array<NodeView>, edges: Array<EdgeView>, total: number, more: number, };

export type NodeQueries = { node: NodeView, queries: Array<QueryInfo>, };

export type PathRequest = { from: NodeId, to: NodeId, 
/**
 * Default 6.
 */
max_depth: number | null, 
/**
 * Only follow relations of these kinds; empty = every kind.
 */
kinds: Array<string>, };

export type MapNode = { view: NodeView, x: number | null, y: number | null, pinned: boolean, hidden: boolean, collapsed: boolean, 
/**
 * The node it was expanded from (new nodes are placed around it; collapsing it hides this
 * one).
 */
parent: NodeId | null, 
/**
 * Not hidden, no collapsed ancestor, inside the time scope.
 */
visible: boolean, };

export type TimeScope = { from: string | null, to: string | null, };

export type MapState = { id: number, name: string, start: NodeId, 
/**
 * Ordered by node id.
 */
nodes: Array<MapNode>, 
/**
 * Ordered by edge id.
 */
edges: Array<EdgeView>, 
/**
 * Counted groups, by id (absent in maps saved before aggregation).
 */
groups: Array<MapGroup>, 
/**
 * Similar entities folded into one node, by id (absent in maps saved before folding).
 */
folds: Array<MapFold>, breadcrumb: Array<NodeId>, 
/**
 * Where on the breadcrumb the analyst is (back/forward move it).
 */
breadcrumb_pos: number, 
/**
 * The node at `breadcrumb_pos`.
 */
focus: NodeId | null, 
/**
 * Operations applied (the rest of the history can be redone).
 */
cursor: number, time_scope: TimeScope | null, 
/**
 * The layout chosen for this map (maps saved before it was kept: radial).
 */
layout?: MapLayout, can_undo: boolean, can_redo: boolean, history_len: number, };

export type Position = { node: NodeId, x: number, y: number, };

export type MapOp = { "op": "expand", node: NodeId, query: string, limit: number | null, offset: number | null, } | { "op": "group", node: NodeId, query: string, threshold: number | null, } | { "op": "add_from_group", group: number, nodes: Array<NodeId>, } | { "op": "remove_groups", groups: Array<number>, } | { "op": "move_groups", positions: Array<GroupPosition>, pin: boolean | null, } | { "op": "add_nodes", nodes: Array<NodeId>, } | { "op": "hide", nodes: Array<NodeId>, groups?: Array<number>, } | { "op": "unhide", nodes: Array<NodeId>, groups?: Array<number>, } | { "op": "collapse", node: NodeId, } | { "op": "uncollapse", node: NodeId, } | { "op": "pin", node: NodeId, x: number, y: number, } | { "op": "unpin", node: NodeId, } | { "op": "remove", nodes: Array<NodeId>, } | { "op": "move", positions: Array<Position>, } | { "op": "set_time_scope", from: string | null, to: string | null, } | { "op": "navigate", node: NodeId, } | { "op": "back" } | { "op": "forward" } | { "op": "fold_similar", min: number | null, } | { "op": "unfold", folds: Array<number>, } | { "op": "move_folds", positions: Array<FoldPosition>, } | { "op": "set_layout", layout: MapLayout, positions?: Array<Position>, groups?: Array<GroupPosition>, folds?: Array<FoldPosition>, } | { "op": "show_path", from: NodeId, to: NodeId, max_depth: number | null, kinds: Array<string> | null, };

export type InvestigationSummary = { id: number, name: string, start: NodeId, created: string, nodes: number, groups: number, cursor: number, history_len: number, 
/**
 * When its last operation was applied (`None`: never changed since created).
 */
last_used: string | null, };

export type GroupKey = { parent: NodeId, query: string, source: string | null, event_id: string | null, kind: string | null, 
/**
 * The rest of a source: its events whose EventID is none of these (the EventIDs that
 * have groups of their own when a query has more than [`MAX_GROUPS`]).
 */
rest_of?: Array<string>, };

export type GroupInfo = { key: GroupKey, 
/**
 * "Sysmon 10 · process access · 13,469", "IPs · 1,950".
 */
label: string, 
/**
 * `event` or the entity kind of the members.
 */
member_kind: string, count: number, 
/**
 * Earliest and latest member time (events only).
 */
first: string | null, last: string | null, };

export type MapGroup = { 
/**
 * Numbered per map.
 */
id: number, info: GroupInfo, x: number | null, y: number | null, pinned: boolean, hidden: boolean, 
/**
 * Not hidden, its parent not collapsed (nor an ancestor), its time span meets the scope.
 */
visible: boolean, };

export type MapFold = { 
/**
 * Numbered per map.
 */
id: number, 
/**
 * The members' entity kind.
 */
kind: string, 
/**
 * "5 similar processes".
 */
label: string, 
/**
 * By node id; hidden on the map while folded.
 */
members: Array<NodeId>, 
/**
 * The nodes every member is linked to on the map (the fold's edges).
 */
neighbours: Array<NodeId>, 
/**
 * A free spot next to the first shared neighbour, chosen when folded.
 */
x: number | null, y: number | null, 
/**
 * One of its members would be visible unfolded.
 */
visible: boolean, };

export type GroupPosition = { group: number, x: number, y: number, };

export type FoldPosition = { fold: number, x: number, y: number, };

export type MapLayout = "radial" | "force" | "hierarchy";

export type Named = { id: NodeId, kind: string, label: string, };

export type Member = { id: NodeId, kind: string, label: string, time: string | null, 
/**
 * The entities an event mentions (first 8), empty for entities.
 */
entities: Array<Named>, };

export type MemberPage = { total: number, offset: number, members: Array<Member>, };

export type NeighbourCounts = { alerts: number, incidents: number, entities: number, events: number, };

export type Linked = { id: NodeId, 
/**
 * `alert` or the entity kind.
 */
kind: string, label: string, relation: string, severity: Severity | null, status: string | null, time: string | null, };

export type ProvenanceFile = { file: string, 
/**
 * Stored relations citing the file, and how many records said them.
 */
links: number, records_said: number, 
/**
 * Distinct first records cited, as ranges ("1–4, 7"), at most 12 ranges (then "…").
 */
records: string, record_count: number, };

export type Overview = { id: NodeId, kind: string, label: string, fields: Record<string, unknown>, first_seen: string | null, last_seen: string | null, counts: NeighbourCounts, 
/**
 * Its alerts (an incident's: the alerts it contains), by time, at most 500.
 */
alerts: Array<Linked>, 
/**
 * The first 200 entities it is linked to (by id); `counts.entities` has them all.
 */
entities: Array<Linked>, provenance: Array<ProvenanceFile>, };

export type TimelineRequest = { node: NodeId, sources: Array<string>, from: string | null, to: string | null, limit: number | null, offset: number | null, };

export type SourceCount = { source: string, count: number, };

export type Bucket = { from: string, count: number, };

export type TimelineItem = { id: NodeId, time: string | null, 
/**
 * The event's log source, or `alert`.
 */
source: string, label: string, };

export type TimelinePage = { 
/**
 * Every dated or undated item of the node.
 */
all: number, 
/**
 * Items matching the sources and the time range.
 */
total: number, first: string | null, last: string | null, 
/**
 * Per source, within the time range (so a source filter shows what it would give).
 */
sources: Array<SourceCount>, 
/**
 * The whole span of the chosen sources, about 60 bars (the brush picks `from`/`to`).
 */
buckets: Array<Bucket>, bucket_secs: number, offset: number, items: Array<TimelineItem>, };

export type TriageRequest = { 
/**
 * `Active`, `InProgress`, `Resolved`, `Dismissed`.
 */
status: string | null, 
/**
 * `true_positive`, `benign_positive`, `false_positive`, `undetermined`.
 */
classification: string | null, 
/**
 * Why (required for `false_positive`).
 */
reason: string | null, 
/**
 * Severity override: `Informational`, `Low`, `Medium`, `High`.
 */
severity: string | null, 
/**
 * An owner may be cleared: `""` is kept.
 */
owner: string | null, note: string | null, add_tags: Array<string>, remove_tags: Array<string>, };

export type Note = { at: string, actor: string, text: string, };

export type MarkedRelated = { entity: NodeId, reason: string, at: string, actor: string, };

export type TriageState = { id: NodeId, status: string, classification: string, severity: Severity | null, severity_overridden: boolean, owner: string, tags: Array<string>, notes: Array<Note>, related: Array<MarkedRelated>, };

export type TriageInfo = { labels: Record<string, string>, actor: string, id: NodeId, status: string, classification: string, severity: Severity | null, severity_overridden: boolean, owner: string, tags: Array<string>, notes: Array<Note>, related: Array<MarkedRelated>, };

export type Triaged = { triaged: Array<TriageInfo>, };

export type ActivityEntry = { id: number, at: string, actor: string, action: string, target: string, detail: Record<string, unknown> | null, };

export type Activity = { activity: Array<ActivityEntry>, };

export type Hit = { id: NodeId, time: string | null, source: string, summary: string, 
/**
 * Entities this hit involves (an event's `mentions`, an alert's entities, an entity itself).
 */
entities: Array<NodeId>, };

export type SearchRequest = { query: string, 
/**
 * Page size, 1–500 (default 50).
 */
limit: number | null, offset: number | null, 
/**
 * Only these sources (`SecurityEvent`, `Sysmon`, `SecurityAlert`, `Entity`…); empty = all.
 */
sources: Array<string>, };

export type SyntaxProblem = { 
/**
 * Character offset in the query.
 */
position: number, expected: string, };

export type SearchReply = { total: number, by_source: Record<string, number>, hits: Array<Hit>, 
/**
 * Set (and the rest empty) when the query does not parse.
 */
syntax: SyntaxProblem | null, 
/**
 * Labels of the entities named in `hits`.
 */
labels: Record<string, string>, };

export type Progress = { records: number, bytes: number, bytes_total: number, };

export type ImportProgress = { records: number, bytes: number, bytes_total: number, 
/**
 * Records per second so far.
 */
rate: number, 
/**
 * Seconds left, estimated from bytes; `null` until there is a rate.
 */
eta_secs: number | null, elapsed_secs: number, };

export type SkippedRecord = { record: number, reason: string, };

export type FileReport = { path: string, format: string, sha256: string, size: number, added: Counts, merged: number, 
/**
 * The first 1,000 skipped records with their reason.
 */
skipped: Array<SkippedRecord>, 
/**
 * Every skipped record, counted.
 */
skipped_total: number, 
/**
 * Skipped records per kind of reason.
 */
skipped_by_reason: { [key in string]?: number }, 
/**
 * Set when the same bytes were imported before (then nothing was added).
 */
duplicate_of: string | null, };

export type ImportCandidate = { path: string, 
/**
 * The detected format; `null` when `error` says why the file cannot be imported.
 */
format: string | null, error: string | null, size: number, };

export type ImportReply = { path: string, 
/**
 * `ok`, or the [`ApiError::code`] of the failure (`cancelled`, `unknown_format`, …).
 */
outcome: string, message: string | null, 
/**
 * What the import did (`null` unless `ok`).
 */
report: FileReport | null, 
/**
 * Derived incidents the correlation after this file created.
 */
new_incidents: number, elapsed_secs: number, };

export type DerivedIncident = { 
/**
 * The stored incident.
 */
id: NodeId, ext_id: string, 
/**
 * `kill_chain` or `shared_entity`.
 */
rule: string, title: string, reason: string, 
/**
 * What the alerts share: the host/resource name, or the entity node id.
 */
shared: string, alerts: Array<NodeId>, 
/**
 * Stage of each alert, in alert order (kill-chain rule only).
 */
stages: Array<string>, first: string, last: string, severity: Severity | null, 
/**
 * `false` when an earlier correlation had stored it already.
 */
created: boolean, };

export type IncidentEdit = { incident: NodeId, alert: NodeId, 
/**
 * `false` when the alert was already in (add) or not in (remove) the incident.
 */
changed: boolean, };

export type SourceRow = { id: number, path: string, sha256: string, size: number, format: string, imported_at: string, counts: Record<string, number>, merged: number, skipped: Array<{ record: number, reason: string }>, 
/**
 * The path as the analyst typed it (`path` is absolute).
 */
typed_path: string | null, 
/**
 * `{total, by_reason}`: every skipped record counted (`skipped` keeps the first 1,000).
 */
skipped_summary: JsonValue | null, };

export type SourceList = { sources: Array<SourceRow>, };

export type Finding = { 
/**
 * chain, signature, head, key, state, import, source, evidence, seal
 */
check: string, 
/**
 * `true`: the case does not verify.
 */
fail: boolean, 
/**
 * What it is about: `audit:12`, `alert:3`, `source:2`…
 */
target: string, message: string, };

export type KeyInfo = { fingerprint: string, pubkey: string, actor: string, 
/**
 * Entries it signed.
 */
entries: number, trusted: boolean, };

export type SourceCheck = { id: number, 
/**
 * Absolute path as imported.
 */
path: string, typed_path: string, 
/**
 * SHA-256 its import recorded.
 */
sha256: string, 
/**
 * ok, moved (found intact elsewhere), changed, missing
 */
status: string, 
/**
 * Where the file was read, when not at `path`.
 */
found_at: string | null, 
/**
 * SHA-256 of what is there now, when it differs.
 */
actual_sha256: string | null, };

export type SealCheck = { path: string, entries: number, head: string, sealed_at: string, actor: string, fingerprint: string, ok: boolean, };

export type VerifyReport = { case: string, 
/**
 * No failing finding.
 */
ok: boolean, case_id: string, entries: number, head: string, 
/**
 * The first audit entry whose link or hash is broken, if any.
 */
audit_broken_at: number | null, case_key: KeyInfo | null, signers: Array<KeyInfo>, sources: Array<SourceCheck>, seal: SealCheck | null, 
/**
 * Every problem found (and notes, `fail: false`).
 */
findings: Array<Finding>, };

export type RuleRef = { id: string, title: string, level: string, file: string, };

export type TraceNode = { id: NodeId, kind: string, label: string, props: { [key in string]?: JsonValue }, };

export type TraceEdge = { kind: string, from: NodeId, to: NodeId, };

export type Evidence = { source: string, record: number, 
/**
 * The stored event of that record, when it is one.
 */
event: NodeId | null, };

export type TraceStep = { node: TraceNode, edge: TraceEdge | null, evidence: Array<Evidence>, time: string | null, text: string, 
/**
 * Matched rather than read (e.g. a connection matched to a logon by address and time).
 */
inferred: boolean, 
/**
 * `high` / `medium` / `low` for inferred steps.
 */
confidence: string | null, };

export type Trace = { steps: Array<TraceStep>, 
/**
 * The oldest thing the trace reached.
 */
root: TraceNode, };

export type Forward = { 
/**
 * Nodes reached, per kind (`process`, `file`, `account`, `ip`, `host`,
 * `host-logon-session`), in kind order.
 */
counts: Array<[string, number]>, nodes: Array<TraceNode>, edges: Array<TraceEdge>, 
/**
 * True when `limit` stopped the walk.
 */
truncated: boolean, };

export type TreeRow = { id: NodeId, 
/**
 * 0 for a root of the tree.
 */
depth: number, parent: NodeId | null, 
/**
 * The image's file name (`cmd.exe`); `path` is the whole image path.
 */
image: string, path: string, pid: string, user: string | null, command_line: string, 
/**
 * Start time (`CreationTime`), when a record gave it.
 */
time: string | null, host: string | null, guid: string | null, 
/**
 * Alerts that involve this process.
 */
alerts: number, 
/**
 * Rows of this process's subtree that follow it (pre-order: rows `i+1 ..= i+descendants`).
 */
descendants: number, 
/**
 * The process the tree was opened from.
 */
focus: boolean, };

export type ProcessTree = { 
/**
 * What the tree is of (a host, a logon session, a process).
 */
scope: NodeId, scope_kind: string, scope_label: string, rows: Array<TreeRow>, 
/**
 * Processes with at least one alert.
 */
alerted: number, truncated: boolean, };

export type StorySentence = { text: string, 
/**
 * The node the sentence is about (the window selects it on click).
 */
node: NodeId | null, time: string | null, evidence: Array<Evidence>, 
/**
 * Matched rather than read (a trace's inferred step), with its confidence.
 */
inferred: boolean, confidence: string | null, };

export type StoryParagraph = { heading: string, 
/**
 * The ATT&CK tactic of the paragraph, when it is one stage of the kill chain.
 */
tactic: string | null, sentences: Array<StorySentence>, };

export type Story = { subject: NodeId, title: string, 
/**
 * Who, what, where, when in one paragraph.
 */
summary: string, paragraphs: Array<StoryParagraph>, hosts: Array<string>, accounts: Array<string>, first: string | null, last: string | null, };

export type ReportFormat = "pdf" | "html";

export type OpenedCase = { 
/**
 * The investigation that was on screen when this case was last closed.
 */
last_investigation: number | null, path: string, name: string, stats: Stats, };

export type StartInfo = { case: OpenedCase | null, 
/**
 * Why the case asked for at start (argument, `CASEBOARD_CASE`, last case) did not open.
 */
error: ErrorReply | null, };

