// The ONLY module that imports @tauri-apps/api (and Tauri plugins). Everything else talks to
// the Rust side through the typed `api` object below; shapes come from ./bindings.ts, which is
// generated from src-tauri/src/wire.rs.
import { invoke } from "@tauri-apps/api/core";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import type * as B from "./bindings";

export type * from "./bindings";

/** An error from the Rust side (or a failure to reach it), always `{ code, message }`. */
export class CbError extends Error {
  constructor(
    readonly code: B.ErrorCode | "ipc",
    message: string,
  ) {
    super(message);
  }
}

function isIpcError(e: unknown): e is B.IpcError {
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
  openCase: (path: string) => call<B.CaseInfo>("open_case", { path }),
  createCase: (path: string) => call<B.CaseInfo>("create_case", { path }),
  caseInfo: () => call<B.CaseInfo>("case_info_cmd"),
  queue: (sort: B.QueueSort) => call<B.Queue>("queue", { sort }),
  nodeDetail: (id: string) => call<B.NodeDetail>("node_detail", { id }),
  techniqueNames: (ids: string[]) => call<Record<string, string>>("technique_names", { ids }),
  queries: (node: string) => call<B.QueryInfo[]>("map_queries", { node }),
  investigationStart: (start: string) => call<B.MapState>("investigation_start", { start }),
  investigationGet: (id: number) => call<B.MapState>("investigation_get", { id }),
  apply: (id: number, op: B.MapOp) => call<B.MapState>("investigation_apply", { id, op }),
  undo: (id: number) => call<B.MapState>("investigation_undo", { id }),
  redo: (id: number) => call<B.MapState>("investigation_redo", { id }),
  rememberInvestigation: (id: number | null) => call<null>("remember_investigation", { id }),
  report: (line: string) => call<null>("report", { line }).catch(() => null),

  /** Native file dialogs. `null` when the user cancels. */
  pickCaseToOpen: async (): Promise<string | null> => {
    const p = await openDialog({ multiple: false, directory: false, filters: CASE_FILTER, title: "Open case" });
    return typeof p === "string" ? p : null;
  },
  pickCaseToCreate: async (): Promise<string | null> =>
    (await saveDialog({ filters: CASE_FILTER, title: "New case", defaultPath: "case.caseboard" })) ?? null,
};
