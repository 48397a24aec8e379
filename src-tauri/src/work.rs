//! Commands for working a case (issue 6): triage and its audit trail, search, import with
//! progress and cancel, the Sources view, paths, and writing exported files. Thin wrappers
//! over cb-store / cb-search / cb-api / cb-graph: no SQL, no parsing, no graph logic.

use crate::commands::AppState;
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::wire::NodeIdText;
use cb_domain::{NodeId, Severity, Status};
use cb_store::{Actor, Classification, SqliteStore, TriageChange};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tauri::ipc::Channel;
use tauri::State;
use ts_rs::TS;

/// Cancel flags of the imports running now, by the id the UI gave them.
#[derive(Default)]
pub struct WorkState {
    imports: Mutex<HashMap<u32, Arc<AtomicBool>>>,
}

fn parse_id(id: &str) -> IpcResult<NodeId> {
    Ok(id.parse::<NodeId>()?)
}

fn bad(msg: impl Into<String>) -> IpcError {
    IpcError::new(ErrorCode::BadInput, msg)
}

// ---- triage

/// One triage action from the window; empty/`null` fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct TriageRequest {
    /// `Active`, `InProgress`, `Resolved`, `Dismissed`.
    pub status: Option<String>,
    /// `true_positive`, `benign_positive`, `false_positive`, `undetermined`.
    pub classification: Option<String>,
    pub reason: Option<String>,
    /// Severity override: `Informational`, `Low`, `Medium`, `High`.
    pub severity: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

impl TriageRequest {
    fn into_change(self) -> IpcResult<TriageChange> {
        let some = |s: Option<String>| s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
        Ok(TriageChange {
            status: some(self.status)
                .map(|s| Status::parse(&s).ok_or_else(|| bad(format!("unknown status {s}"))))
                .transpose()?,
            classification: some(self.classification)
                .map(|s| {
                    Classification::parse(&s)
                        .ok_or_else(|| bad(format!("unknown classification {s}")))
                })
                .transpose()?,
            reason: some(self.reason),
            severity: some(self.severity)
                .map(|s| Severity::parse(&s).ok_or_else(|| bad(format!("unknown severity {s}"))))
                .transpose()?,
            // an owner may be cleared: keep "" when it was sent
            owner: self.owner.map(|o| o.trim().to_string()),
            note: some(self.note),
            add_tags: self.add_tags,
            remove_tags: self.remove_tags,
        })
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteInfo {
    pub at: String,
    pub actor: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RelatedInfo {
    pub entity: NodeIdText,
    pub label: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
}

/// The triage fields of an alert or incident as they are now.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TriageInfo {
    pub id: NodeIdText,
    pub status: String,
    /// `false_positive: <reason>` etc.; empty when never classified.
    pub classification: String,
    pub severity: Option<crate::wire::Severity>,
    pub severity_overridden: bool,
    pub owner: String,
    pub tags: Vec<String>,
    pub notes: Vec<NoteInfo>,
    pub related: Vec<RelatedInfo>,
    /// Who the window writes audit entries as.
    pub actor: String,
}

fn triage_info(s: &SqliteStore, t: cb_store::TriageState) -> TriageInfo {
    TriageInfo {
        id: t.id.to_string(),
        status: t.status,
        classification: t.classification,
        severity: t.severity.map(Into::into),
        severity_overridden: t.severity_overridden,
        owner: t.owner,
        tags: t.tags,
        notes: t
            .notes
            .into_iter()
            .map(|n| NoteInfo {
                at: n.at,
                actor: n.actor,
                text: n.text,
            })
            .collect(),
        related: t
            .related
            .into_iter()
            .map(|r| RelatedInfo {
                label: s.label(r.entity).unwrap_or_else(|_| r.entity.to_string()),
                entity: r.entity.to_string(),
                reason: r.reason,
                at: r.at,
                actor: r.actor,
            })
            .collect(),
        actor: Actor::from_env().0,
    }
}

/// Apply one change to every target (a bulk action is one transaction, each change audited).
#[tauri::command]
pub async fn triage(
    state: State<'_, AppState>,
    targets: Vec<String>,
    change: TriageRequest,
) -> IpcResult<Vec<TriageInfo>> {
    let ids = targets
        .iter()
        .map(|t| parse_id(t))
        .collect::<IpcResult<Vec<_>>>()?;
    let change = change.into_change()?;
    state.with_store(|s| {
        let out = s.triage(&ids, &change)?;
        Ok(out.into_iter().map(|t| triage_info(s, t)).collect())
    })
}

#[tauri::command]
pub async fn triage_state(state: State<'_, AppState>, id: String) -> IpcResult<TriageInfo> {
    let id = parse_id(&id)?;
    state.with_store(|s| {
        let t = s.triage_state(id)?;
        Ok(triage_info(s, t))
    })
}

#[tauri::command]
pub async fn mark_related(
    state: State<'_, AppState>,
    target: String,
    entity: String,
    reason: String,
) -> IpcResult<TriageInfo> {
    let (target, entity) = (parse_id(&target)?, parse_id(&entity)?);
    if reason.trim().is_empty() {
        return Err(bad("say why the entity is related"));
    }
    state.with_store(|s| {
        s.mark_related(target, entity, reason.trim())?;
        let t = s.triage_state(target)?;
        Ok(triage_info(s, t))
    })
}

/// One audit entry: who, what, when, and the detail (`old`/`new` for changes).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[ts(type = "Record<string, unknown> | null")]
    pub detail: Value,
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>, id: String) -> IpcResult<Vec<ActivityEntry>> {
    let id = parse_id(&id)?;
    let rows = state.with_store(|s| Ok(s.activity(id)?))?;
    Ok(rows
        .into_iter()
        .map(|v| {
            let t = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            ActivityEntry {
                id: v.get("id").and_then(Value::as_i64).unwrap_or(0),
                at: t("at"),
                actor: t("actor"),
                action: t("action"),
                target: t("target"),
                detail: v.get("detail").cloned().unwrap_or(Value::Null),
            }
        })
        .collect())
}

// ---- search

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub id: NodeIdText,
    pub time: Option<String>,
    pub source: String,
    pub summary: String,
    pub entities: Vec<NodeIdText>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyntaxProblem {
    /// Character offset in the query.
    pub position: usize,
    pub expected: String,
}

/// A page of hits, or the syntax error of the query.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchReply {
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "Record<string, number>")]
    pub by_source: BTreeMap<String, u64>,
    pub hits: Vec<SearchHit>,
    pub syntax: Option<SyntaxProblem>,
    /// Labels of the entities named in `hits`.
    #[ts(type = "Record<string, string>")]
    pub labels: BTreeMap<String, String>,
}

#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    limit: usize,
    offset: usize,
    sources: Vec<String>,
) -> IpcResult<SearchReply> {
    let opts = cb_search::SearchOptions {
        limit: limit.clamp(1, 500),
        offset,
        sources,
        ..Default::default()
    };
    state.with_store(|s| match cb_search::search(s, &query, &opts) {
        Ok(r) => {
            let mut labels = BTreeMap::new();
            for h in &r.hits {
                for e in &h.entities {
                    labels
                        .entry(e.to_string())
                        .or_insert_with(|| s.label(*e).unwrap_or_else(|_| e.to_string()));
                }
            }
            Ok(SearchReply {
                total: r.total,
                by_source: r.by_source,
                hits: r
                    .hits
                    .into_iter()
                    .map(|h| SearchHit {
                        id: h.id.to_string(),
                        time: h.time,
                        source: h.source,
                        summary: h.summary,
                        entities: h.entities.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
                syntax: None,
                labels,
            })
        }
        Err(cb_search::SearchError::Syntax { position, expected }) => Ok(SearchReply {
            total: 0,
            by_source: BTreeMap::new(),
            hits: vec![],
            syntax: Some(SyntaxProblem { position, expected }),
            labels: BTreeMap::new(),
        }),
        Err(e) => Err(IpcError::new(ErrorCode::BadInput, e.to_string())),
    })
}

// ---- import

/// A file offered for import (a dropped folder lists every file inside).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportCandidate {
    pub path: String,
    /// The detected format; `null` when `error` says why the file cannot be imported.
    pub format: Option<String>,
    pub error: Option<String>,
    #[ts(type = "number")]
    pub size: u64,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Expand folders and probe every file (`cb_api::probe`: nothing is written).
#[tauri::command]
pub async fn import_candidates(paths: Vec<String>) -> IpcResult<Vec<ImportCandidate>> {
    tauri::async_runtime::spawn_blocking(move || {
        let mut files = vec![];
        for p in paths {
            let p = PathBuf::from(p);
            if p.is_dir() {
                walk(&p, &mut files);
            } else {
                files.push(p);
            }
        }
        files
            .into_iter()
            .map(|p| {
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                let (format, error) = match cb_api::probe(&p) {
                    Ok(f) => (Some(f), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                ImportCandidate {
                    path: p.to_string_lossy().into_owned(),
                    format,
                    error,
                    size,
                }
            })
            .collect()
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))
}

/// Progress of one file, sent over the import's channel.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgress {
    #[ts(type = "number")]
    pub records: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
    /// Records per second so far.
    pub rate: f64,
    /// Seconds left, estimated from bytes; `null` until there is a rate.
    pub eta_secs: Option<f64>,
    pub elapsed_secs: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddedCounts {
    #[ts(type = "number")]
    pub alerts: u64,
    #[ts(type = "number")]
    pub incidents: u64,
    #[ts(type = "number")]
    pub entities: u64,
    #[ts(type = "number")]
    pub relations: u64,
    #[ts(type = "number")]
    pub events: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SkippedInfo {
    #[ts(type = "number")]
    pub record: u64,
    pub reason: String,
}

/// How importing one file ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReply {
    pub path: String,
    /// `ok`, `cancelled`, or the `cb_api::ApiError::code()` of the failure.
    pub outcome: String,
    pub message: Option<String>,
    pub format: Option<String>,
    pub sha256: Option<String>,
    pub added: Option<AddedCounts>,
    #[ts(type = "number")]
    pub merged: u64,
    pub skipped: Vec<SkippedInfo>,
    pub duplicate_of: Option<String>,
    pub elapsed_secs: f64,
}

/// Import one file on its own connection in a background thread (WAL: the window's store
/// keeps answering meanwhile). Progress goes to `on_progress`; `import_cancel(id)` stops it
/// and the case stays exactly as it was before this file.
#[tauri::command]
pub async fn import_file(
    state: State<'_, AppState>,
    work: State<'_, WorkState>,
    id: u32,
    path: String,
    on_progress: Channel<ImportProgress>,
) -> IpcResult<ImportReply> {
    let case = state.with_store(|s| Ok(s.path().to_path_buf()))?;
    let cancel = Arc::new(AtomicBool::new(false));
    work.imports
        .lock()
        .map_err(|_| IpcError::new(ErrorCode::Internal, "import lock poisoned"))?
        .insert(id, cancel.clone());
    let flag = cancel.clone();
    let job = tauri::async_runtime::spawn_blocking(move || -> IpcResult<ImportReply> {
        let t0 = Instant::now();
        let mut store = SqliteStore::open(&case, Actor::from_env())?;
        crate::commands::sign(&mut store);
        let mut last_sent = Instant::now() - std::time::Duration::from_secs(1);
        let mut progress = |p: cb_api::Progress| -> bool {
            if last_sent.elapsed().as_millis() >= 100 || p.bytes >= p.bytes_total {
                last_sent = Instant::now();
                let secs = t0.elapsed().as_secs_f64().max(1e-3);
                let byte_rate = p.bytes as f64 / secs;
                let _ = on_progress.send(ImportProgress {
                    records: p.records,
                    bytes: p.bytes,
                    bytes_total: p.bytes_total,
                    rate: p.records as f64 / secs,
                    eta_secs: (byte_rate > 0.0 && p.bytes > 0)
                        .then(|| (p.bytes_total.saturating_sub(p.bytes)) as f64 / byte_rate),
                    elapsed_secs: secs,
                });
            }
            !flag.load(Ordering::Relaxed)
        };
        let r = cb_api::import_file(&mut store, Path::new(&path), &mut progress);
        let elapsed_secs = t0.elapsed().as_secs_f64();
        Ok(match r {
            Ok(f) => ImportReply {
                path: f.path,
                outcome: "ok".into(),
                message: None,
                format: Some(f.format),
                sha256: Some(f.sha256),
                added: Some(AddedCounts {
                    alerts: f.added.alerts,
                    incidents: f.added.incidents,
                    entities: f.added.entities,
                    relations: f.added.relations,
                    events: f.added.events,
                }),
                merged: f.merged,
                skipped: f
                    .skipped
                    .into_iter()
                    .map(|s| SkippedInfo {
                        record: s.record,
                        reason: s.reason,
                    })
                    .collect(),
                duplicate_of: f.duplicate_of,
                elapsed_secs,
            },
            Err(e) => ImportReply {
                path,
                outcome: e.code().to_string(),
                message: Some(e.to_string()),
                format: None,
                sha256: None,
                added: None,
                merged: 0,
                skipped: vec![],
                duplicate_of: None,
                elapsed_secs,
            },
        })
    });
    let out = job
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()));
    if let Ok(mut m) = work.imports.lock() {
        m.remove(&id);
    }
    out?
}

#[tauri::command]
pub async fn import_cancel(work: State<'_, WorkState>, id: u32) -> IpcResult<bool> {
    let m = work
        .imports
        .lock()
        .map_err(|_| IpcError::new(ErrorCode::Internal, "import lock poisoned"))?;
    Ok(match m.get(&id) {
        Some(f) => {
            f.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    })
}

/// One imported evidence file (the Sources view).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub path: String,
    pub sha256: String,
    #[ts(type = "number")]
    pub size: i64,
    pub format: String,
    pub imported_at: String,
    #[ts(type = "Record<string, number>")]
    pub counts: Value,
    #[ts(type = "number")]
    pub merged: i64,
    #[ts(type = "Array<{ record: number, reason: string }>")]
    pub skipped: Value,
}

#[tauri::command]
pub async fn sources(state: State<'_, AppState>) -> IpcResult<Vec<SourceInfo>> {
    state.with_store(|s| {
        Ok(s.sources()?
            .into_iter()
            .map(|r| SourceInfo {
                id: r.id,
                path: r.path,
                sha256: r.sha256,
                size: r.size,
                format: r.format,
                imported_at: r.imported_at,
                counts: r.counts,
                merged: r.merged,
                skipped: r.skipped,
            })
            .collect())
    })
}

// ---- paths and export

/// The shortest path between two nodes (empty when there is none within `max_depth`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PathReply {
    pub nodes: Vec<NodeIdText>,
    pub edges: Vec<String>,
}

#[tauri::command]
pub async fn find_path(
    state: State<'_, AppState>,
    from: String,
    to: String,
    max_depth: Option<usize>,
) -> IpcResult<PathReply> {
    let (from, to) = (parse_id(&from)?, parse_id(&to)?);
    state.with_store(|s| {
        let x = cb_graph::path(s, from, to, max_depth.unwrap_or(6), None)?;
        Ok(PathReply {
            nodes: x.nodes.iter().map(|n| n.id.to_string()).collect(),
            edges: x.edges.iter().map(|e| e.id.clone()).collect(),
        })
    })
}

/// Write an exported file (PNG bytes, SVG text) where the save dialog said.
#[tauri::command]
pub async fn save_file(path: String, bytes: Vec<u8>) -> IpcResult<u64> {
    if path.trim().is_empty() {
        return Err(bad("no file name"));
    }
    let n = bytes.len() as u64;
    std::fs::write(&path, bytes)?;
    Ok(n)
}

/// Every type of this module exported to TypeScript (appended to bindings.ts).
#[cfg(test)]
pub fn decls() -> Vec<String> {
    vec![
        TriageRequest::decl(),
        NoteInfo::decl(),
        RelatedInfo::decl(),
        TriageInfo::decl(),
        ActivityEntry::decl(),
        SearchHit::decl(),
        SyntaxProblem::decl(),
        SearchReply::decl(),
        ImportCandidate::decl(),
        ImportProgress::decl(),
        AddedCounts::decl(),
        SkippedInfo::decl(),
        ImportReply::decl(),
        SourceInfo::decl(),
        PathReply::decl(),
    ]
}
