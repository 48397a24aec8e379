//! `#[tauri::command]` wrappers: take the state, call cb-store / cb-graph, convert to wire
//! shapes. No SQL, no parsing, no graph logic here.

use crate::config::WindowConfig;
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::wire::{
    self, CaseInfo, MapOp, MapState, NodeDetail, QueryInfo, Queue, QueueSort, StartInfo,
};
use cb_domain::NodeId;
use cb_graph::investigation as inv;
use cb_store::{Actor, AlertSort, SqliteStore};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tauri::{AppHandle, Manager, State};

/// rusqlite's Connection is Send but not Sync: one store behind a mutex.
#[derive(Default)]
pub struct AppState {
    pub store: Mutex<Option<SqliteStore>>,
    pub config_dir: Mutex<Option<PathBuf>>,
}

impl AppState {
    /// Run `f` with the open store, or fail with `NoCase`.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut SqliteStore) -> IpcResult<T>) -> IpcResult<T> {
        let mut guard = self
            .store
            .lock()
            .map_err(|_| IpcError::new(ErrorCode::Internal, "case store lock poisoned"))?;
        let store = guard.as_mut().ok_or_else(IpcError::no_case)?;
        f(store)
    }

    fn config(&self) -> (Option<PathBuf>, WindowConfig) {
        let dir = self.config_dir.lock().ok().and_then(|d| d.clone());
        let cfg = dir.as_deref().map(WindowConfig::load).unwrap_or_default();
        (dir, cfg)
    }

    fn update_config(&self, f: impl FnOnce(&mut WindowConfig)) {
        let (dir, mut cfg) = self.config();
        f(&mut cfg);
        if let Some(dir) = dir {
            if let Err(e) = cfg.save(&dir) {
                eprintln!(
                    "caseboard-app: cannot save window config in {}: {e}",
                    dir.display()
                );
            }
        }
    }
}

fn parse_id(id: &str) -> IpcResult<NodeId> {
    Ok(id.parse::<NodeId>()?)
}

fn case_info(store: &SqliteStore, cfg: &WindowConfig) -> IpcResult<CaseInfo> {
    let path = store.path().to_string_lossy().into_owned();
    let name = store
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    Ok(CaseInfo {
        last_investigation: cfg.last_investigation.get(&path).cloned(),
        path,
        name,
        stats: store.stats()?.into(),
    })
}

/// Sign what `store` writes with the analyst's key (`CASEBOARD_KEY`, else
/// `$XDG_CONFIG_HOME/caseboard/key`, else `~/.config/caseboard/key`; created on first use).
pub(crate) fn sign(store: &mut SqliteStore) {
    let path = cb_api::key_path(
        std::env::var_os("CASEBOARD_KEY").map(PathBuf::from),
        std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    );
    if let Some(p) = path {
        if let Err(e) = cb_api::use_key(store, &p) {
            eprintln!("caseboard: warning: {e}; writing unsigned audit entries");
        }
    }
}

/// Open (or create) the case at `path`, make it current, remember it, retitle the window.
fn open_into(app: &AppHandle, state: &AppState, path: &Path, create: bool) -> IpcResult<CaseInfo> {
    let mut store = if create {
        SqliteStore::open_or_create(path, Actor::from_env())?
    } else {
        SqliteStore::open(path, Actor::from_env())?
    };
    sign(&mut store);
    let (_, cfg) = state.config();
    let info = case_info(&store, &cfg)?;
    *state
        .store
        .lock()
        .map_err(|_| IpcError::new(ErrorCode::Internal, "case store lock poisoned"))? = Some(store);
    state.update_config(|c| c.last_case = Some(PathBuf::from(&info.path)));
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&format!("{} — Caseboard", info.name));
    }
    Ok(info)
}

/// The case to open at start: the first argument, else `CASEBOARD_CASE`, else the last case.
fn start_case(state: &AppState) -> Option<PathBuf> {
    std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CASEBOARD_CASE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| state.config().1.last_case)
}

#[tauri::command]
pub async fn app_start(app: AppHandle, state: State<'_, AppState>) -> IpcResult<StartInfo> {
    if let Ok(Some(store)) = state.store.lock().as_deref() {
        return Ok(StartInfo {
            case: Some(case_info(store, &state.config().1)?),
            error: None,
        });
    }
    let Some(path) = start_case(&state) else {
        return Ok(StartInfo {
            case: None,
            error: None,
        });
    };
    Ok(match open_into(&app, &state, &path, false) {
        Ok(c) => StartInfo {
            case: Some(c),
            error: None,
        },
        Err(e) => StartInfo {
            case: None,
            error: Some(e),
        },
    })
}

#[tauri::command]
pub async fn open_case(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> IpcResult<CaseInfo> {
    open_into(&app, &state, Path::new(&path), false)
}

#[tauri::command]
pub async fn create_case(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> IpcResult<CaseInfo> {
    if Path::new(&path).exists() {
        return Err(IpcError::new(
            ErrorCode::BadInput,
            format!("{path} already exists; open it instead, or choose a new file name"),
        ));
    }
    open_into(&app, &state, Path::new(&path), true)
}

#[tauri::command]
pub async fn case_info_cmd(state: State<'_, AppState>) -> IpcResult<CaseInfo> {
    let (_, cfg) = state.config();
    state.with_store(|s| case_info(s, &cfg))
}

#[tauri::command]
pub async fn queue(state: State<'_, AppState>, sort: QueueSort) -> IpcResult<Queue> {
    let sort = match sort {
        QueueSort::Severity => AlertSort::Severity,
        QueueSort::Time => AlertSort::Time,
    };
    state.with_store(|s| {
        // like `caseboard incidents`: Caseboard's own grouping first (writes only new groups)
        cb_graph::correlate(s, &cb_graph::CorrelationSettings::default())?;
        Ok(Queue {
            alerts: s.alerts(sort)?.into_iter().map(Into::into).collect(),
            incidents: s.incidents()?.into_iter().map(Into::into).collect(),
        })
    })
}

#[tauri::command]
pub async fn node_detail(state: State<'_, AppState>, id: String) -> IpcResult<NodeDetail> {
    let id = parse_id(&id)?;
    state.with_store(|s| {
        let d = s.node(id)?;
        let mut labels = BTreeMap::new();
        for r in &d.relations {
            for n in [r.from, r.to] {
                if n != id && !labels.contains_key(&n.to_string()) {
                    labels.insert(n.to_string(), s.label(n).unwrap_or_else(|_| n.to_string()));
                }
            }
        }
        Ok(NodeDetail::from_store(d, labels))
    })
}

/// The exploration queries a node offers, each with its count (before expanding).
#[tauri::command]
pub async fn map_queries(state: State<'_, AppState>, node: String) -> IpcResult<Vec<QueryInfo>> {
    let node = parse_id(&node)?;
    state.with_store(|s| wire::convert(&cb_graph::queries(s, node)?))
}

/// Open the saved investigation of `start` (alert, incident or entity), creating it the
/// first time.
#[tauri::command]
pub async fn investigation_start(state: State<'_, AppState>, start: String) -> IpcResult<MapState> {
    let start = parse_id(&start)?;
    let m = state.with_store(|s| {
        if let Some(found) = inv::list(s)?
            .into_iter()
            .filter(|i| i.start == start)
            .max_by_key(|i| i.id)
        {
            return Ok(inv::get(s, found.id)?);
        }
        let name = s.label(start).unwrap_or_else(|_| start.to_string());
        Ok(inv::create(s, &name, start)?)
    })?;
    state.update_config(|c| {
        if let Some(p) = c
            .last_case
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
        {
            c.last_investigation.insert(p, m.id);
        }
    });
    wire::convert(&m)
}

#[tauri::command]
pub async fn investigation_get(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_store(|s| wire::convert(&inv::get(s, id)?))
}

#[tauri::command]
pub async fn investigation_apply(
    state: State<'_, AppState>,
    id: i64,
    op: MapOp,
) -> IpcResult<MapState> {
    let op: inv::MapOp = wire::convert(&op)?;
    state.with_store(|s| wire::convert(&inv::apply(s, id, op)?))
}

#[tauri::command]
pub async fn investigation_undo(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_store(|s| wire::convert(&inv::undo(s, id)?))
}

#[tauri::command]
pub async fn investigation_redo(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_store(|s| wire::convert(&inv::redo(s, id)?))
}

/// ATT&CK names for tactic/technique ids or names (bundled mitre-cti data); unknown ids are
/// left out, and the UI shows them bare.
#[tauri::command]
pub async fn technique_names(ids: Vec<String>) -> IpcResult<BTreeMap<String, String>> {
    let tactics = cb_graph::mitre::Tactics::bundled()?;
    Ok(ids
        .into_iter()
        .filter_map(|i| {
            if let Some(t) = cb_graph::mitre::technique(&i) {
                let name = match &t.parent_name {
                    Some(p) => format!("{p}: {}", t.name),
                    None => t.name.clone(),
                };
                return Some((i, name));
            }
            tactics
                .lookup(&i)
                .map(|t| (i, format!("{} ({})", t.name, t.id)))
        })
        .collect())
}

/// Remember which investigation is on screen for the open case (restored at next start).
#[tauri::command]
pub async fn remember_investigation(state: State<'_, AppState>, id: Option<i64>) -> IpcResult<()> {
    let path = state.with_store(|s| Ok(s.path().to_string_lossy().into_owned()))?;
    state.update_config(|c| match id {
        Some(id) => {
            c.last_investigation.insert(path, id);
        }
        None => {
            c.last_investigation.remove(&path);
        }
    });
    Ok(())
}

/// The front end reports milestones here so scripts can read them on stderr.
#[tauri::command]
pub fn report(line: String) {
    eprintln!("[ui] {line}");
}
