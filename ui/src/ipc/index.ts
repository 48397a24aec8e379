// The ONLY module that imports @tauri-apps/api (and Tauri plugins). Everything else talks to
// the Rust side through the typed `api` object below; shapes come from ./bindings.ts, which is
// generated from the cb-api wire types (crates/api, `bindings`).
import { Channel, invoke } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import type * as B from "./bindings";

export type * from "./bindings";
/** The open case as the window shows it (cb-api `CaseInfo` + the investigation last on screen). */
export type CaseInfo = B.OpenedCase;
export type AlertItem = B.AlertRow;
export type IncidentItem = B.IncidentRow;
export type SourceInfo = B.SourceRow;
/** A path as node and edge ids (cb-api returns the full `Expansion`). */
export type PathReply = { nodes: string[]; edges: string[] };

/** An error from the Rust side (or a failure to reach it), always `{ code, message }`. */
export class CbError extends Error {
  constructor(
    readonly code: B.ErrorCode | "ipc",
    message: string,
  ) {
    super(message);
  }
}

function isIpcError(e: unknown): e is B.ErrorReply {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw new CbError(e.code, e.message);
    throw new CbError("ipc", String(e));
  }
}

const CASE_FILTER = [{ name: "Caseboard case", extensions: ["caseboard", "db", "sqlite"] }];

export const api = {
  appStart: () => call<B.StartInfo>("app_start"),
  openCase: (path: string) => call<CaseInfo>("open_case", { path }),
  createCase: (path: string) => call<CaseInfo>("create_case", { path }),
  caseInfo: () => call<CaseInfo>("case_info_cmd"),
  queue: (sort: B.QueueSort) => call<B.Queue>("queue", { sort }),
  /** What the queue lists under a filter, its chip counts and the case's totals (cb-api). */
  queueView: (sort: B.QueueSort, filter: B.QueueFilter) => call<B.QueueView>("queue_view", { sort, filter }),
  entityNames: () => call<B.EntityName[]>("entity_names"),
  incidentRemediation: (incident: string) => call<B.Remediation>("incident_remediation", { incident }),
  /** Add the alert to the incident (`add`) or take it out; audited. */
  incidentEdit: (incident: string, alert: string, add: boolean) => call<B.IncidentEdit>("incident_edit", { incident, alert, add }),
  nodeDetail: (id: string) => call<B.NodeDetail>("node_detail", { id }),
  techniqueNames: (ids: string[]) => call<Record<string, string>>("technique_names", { ids }),
  queries: (node: string) => call<B.QueryInfo[]>("map_queries", { node }),
  investigationStart: (start: string) => call<B.MapState>("investigation_start", { start }),
  investigationGet: (id: number) => call<B.MapState>("investigation_get", { id }),
  apply: (id: number, op: B.MapOp) => call<B.MapState>("investigation_apply", { id, op }),
  undo: (id: number) => call<B.MapState>("investigation_undo", { id }),
  redo: (id: number) => call<B.MapState>("investigation_redo", { id }),
  // ---- the investigation switcher, aggregation, the pane's bounded reads (issue 12)
  investigations: () => call<B.InvestigationSummary[]>("investigation_list"),
  investigationNew: (name: string, start: string) => call<B.MapState>("investigation_new", { name, start }),
  investigationRename: (id: number, name: string) => call<B.InvestigationSummary>("investigation_rename", { id, name }),
  investigationDelete: (id: number) => call<null>("investigation_delete", { id }),
  groupMembers: (key: B.GroupKey, text: string | null, limit: number, offset: number) =>
    call<B.MemberPage>("group_members", { key, text, limit, offset }),
  overview: (id: string) => call<B.Overview>("node_overview", { id }),
  timeline: (request: B.TimelineRequest) => call<B.TimelinePage>("node_timeline", { request }),
  rememberInvestigation: (id: number | null) => call<null>("remember_investigation", { id }),
  report: (line: string) => call<null>("report", { line }).catch(() => null),

  /** Native file dialogs. `null` when the user cancels. */
  pickCaseToOpen: async (): Promise<string | null> => {
    const p = await openDialog({ multiple: false, directory: false, filters: CASE_FILTER, title: "Open case" });
    return typeof p === "string" ? p : null;
  },
  pickCaseToCreate: async (): Promise<string | null> =>
    (await saveDialog({ filters: CASE_FILTER, title: "New case", defaultPath: "case.caseboard" })) ?? null,

  // ---- working a case
  triage: (targets: string[], change: Partial<B.TriageRequest>) =>
    call<B.TriageInfo[]>("triage", { targets, change: { add_tags: [], remove_tags: [], ...change } }),
  triageState: (id: string) => call<B.TriageInfo>("triage_state", { id }),
  markRelated: (target: string, entity: string, reason: string) => call<B.TriageInfo>("mark_related", { target, entity, reason }),
  activity: (id: string) => call<B.ActivityEntry[]>("activity", { id }),
  search: (query: string, limit: number, offset: number, sources: string[]) =>
    call<B.SearchReply>("search", { request: { query, limit, offset, sources } }),
  importCandidates: (paths: string[]) => call<B.ImportCandidate[]>("import_candidates", { paths }),
  /** Import one file off the UI thread; `onProgress` gets records/bytes/rate/ETA. */
  importFile: (id: number, path: string, onProgress: (p: B.ImportProgress) => void) =>
    call<B.ImportReply>("import_file", { id, path, onProgress: new Channel<B.ImportProgress>(onProgress) }),
  importCancel: (id: number) => call<boolean>("import_cancel", { id }),
  sources: () => call<SourceInfo[]>("sources"),
  findPath: async (from: string, to: string, maxDepth?: number): Promise<PathReply> => {
    const x = await call<B.Expansion>("find_path", { request: { from, to, max_depth: maxDepth ?? null, kinds: [] } });
    return { nodes: x.nodes.map((n) => n.id), edges: x.edges.map((e) => e.id) };
  },
  /** Re-hash every source and walk the audit hash chain. */
  verify: () => call<B.VerifyReport>("verify"),
  saveFile: (path: string, bytes: Uint8Array) => call<number>("save_file", { path, bytes: Array.from(bytes) }),

  /** Evidence files or folders to import; `null` when cancelled. */
  pickEvidence: async (directory: boolean): Promise<string[] | null> => {
    const p = await openDialog({ multiple: true, directory, title: directory ? "Import a folder" : "Import evidence files" });
    if (p === null) return null;
    return Array.isArray(p) ? p : [p];
  },
  /** Where to save an export. Automation can preset the answer (the native dialog cannot be driven). */
  pickExportPath: async (ext: "png" | "svg"): Promise<string | null> => {
    const preset = (window as unknown as { __cbSaveAs?: string }).__cbSaveAs;
    if (preset) return `${preset}.${ext}`;
    return (await saveDialog({ filters: [{ name: ext.toUpperCase(), extensions: [ext] }], title: `Export map as ${ext.toUpperCase()}`, defaultPath: `map.${ext}` })) ?? null;
  },
  // ---- root cause (issue 11): trace, blast radius, process tree, story, PDF report
  trace: (node: string) => call<B.Trace>("trace", { node }),
  traceForward: (node: string) => call<B.Forward>("trace_forward", { node }),
  processTree: (node: string) => call<B.ProcessTree>("process_tree", { node }),
  story: (node: string) => call<B.Story>("story", { node }),
  exportPdf: (node: string, path: string) => call<number>("export_pdf", { node, path }),
  /** Where to save the PDF report (automation presets the answer like pickExportPath). */
  pickPdfPath: async (name: string): Promise<string | null> => {
    const preset = (window as unknown as { __cbSaveAs?: string }).__cbSaveAs;
    if (preset) return `${preset}.pdf`;
    return (await saveDialog({ filters: [{ name: "PDF", extensions: ["pdf"] }], title: "Export the report as PDF", defaultPath: `${name}.pdf` })) ?? null;
  },
  /** Resolving an incident (issue 11): its report written (PDF or HTML, audited), or skipped with a reason (an audited note). */
  exportReport: (node: string, format: B.ReportFormat, path: string) => call<number>("export_report", { node, format, path }),
  skipReport: (node: string, reason: string) => call<B.TriageInfo>("skip_report", { node, reason }),
  pickReportPath: async (name: string, ext: "pdf" | "html"): Promise<string | null> => {
    const preset = (window as unknown as { __cbSaveAs?: string }).__cbSaveAs;
    if (preset) return `${preset}.${ext}`;
    return (await saveDialog({ filters: [{ name: ext.toUpperCase(), extensions: [ext] }], title: `Export the report as ${ext.toUpperCase()}`, defaultPath: `${name}.${ext}` })) ?? null;
  },
  /** Files and folders dropped on the window (native drag and drop gives real paths). */
  onDrop: (handler: (paths: string[]) => void, hover: (on: boolean) => void) =>
    getCurrentWebview()
      .onDragDropEvent((e) => {
        const p = e.payload;
        if (p.type === "drop") {
          hover(false);
          handler(p.paths);
        } else if (p.type === "enter") hover(true);
        else if (p.type === "leave") hover(false);
      })
      .catch(() => () => {}),
};
