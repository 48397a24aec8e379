//! Import from the window: folder expansion and probing, one file at a time on its own
//! connection in a background thread (WAL lets the window keep reading), progress over a
//! channel, cancel through a flag.

use crate::state::{actor, poisoned, AppState, IpcResult};
use cb_api::import::{ImportCandidate, ImportProgress, ImportReply};
use cb_api::{ErrorCode, ErrorReply};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::ipc::Channel;
use tauri::State;

fn join_error(e: impl std::fmt::Display) -> ErrorReply {
    ErrorReply::new(ErrorCode::Internal, e.to_string())
}

/// Expand folders and probe every file (nothing is written).
#[tauri::command]
pub async fn import_candidates(paths: Vec<String>) -> IpcResult<Vec<ImportCandidate>> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    tauri::async_runtime::spawn_blocking(move || cb_api::import::candidates(&paths))
        .await
        .map_err(join_error)
}

/// Import one file; progress goes to `on_progress` (at most every 100 ms), `import_cancel(id)`
/// stops it and the case stays exactly as it was before this file.
#[tauri::command]
pub async fn import_file(
    state: State<'_, AppState>,
    id: u32,
    path: String,
    on_progress: Channel<ImportProgress>,
) -> IpcResult<ImportReply> {
    let case = state.with_case(|c| Ok(c.path().to_path_buf()))?;
    let cancel = Arc::new(AtomicBool::new(false));
    state
        .imports
        .lock()
        .map_err(|_| poisoned())?
        .insert(id, cancel.clone());
    let job = tauri::async_runtime::spawn_blocking(move || {
        let mut last_sent = Instant::now() - Duration::from_secs(1);
        let mut progress = |p: ImportProgress| {
            if last_sent.elapsed().as_millis() >= 100 || p.bytes >= p.bytes_total {
                last_sent = Instant::now();
                let _ = on_progress.send(p);
            }
            !cancel.load(Ordering::Relaxed)
        };
        cb_api::import::import_one(
            &case,
            Path::new(&path),
            actor(),
            crate::state::key_file().as_deref(),
            &mut progress,
        )
    });
    let out = job.await.map_err(join_error);
    if let Ok(mut m) = state.imports.lock() {
        m.remove(&id);
    }
    out
}

#[tauri::command]
pub async fn import_cancel(state: State<'_, AppState>, id: u32) -> IpcResult<bool> {
    let m = state.imports.lock().map_err(|_| poisoned())?;
    Ok(match m.get(&id) {
        Some(f) => {
            f.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    })
}
