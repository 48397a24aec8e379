//! What the window holds between commands: the open case (behind a mutex: rusqlite's
//! connection is Send but not Sync), the window config dir, and the cancel flags of running
//! imports.

use crate::config::WindowConfig;
use cb_api::{ApiError, Case, ErrorCode, ErrorReply};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

pub type IpcResult<T> = Result<T, ErrorReply>;

#[derive(Default)]
pub struct AppState {
    pub case: Mutex<Option<Case>>,
    pub config_dir: Mutex<Option<PathBuf>>,
    /// Cancel flags of the imports running now, by the id the UI gave them.
    pub imports: Mutex<HashMap<u32, Arc<AtomicBool>>>,
}

pub fn poisoned() -> ErrorReply {
    ErrorReply::new(ErrorCode::Internal, "window state lock poisoned")
}

impl AppState {
    /// Run `f` with the open case, or fail with `no_case`.
    pub fn with_case<T>(&self, f: impl FnOnce(&mut Case) -> Result<T, ApiError>) -> IpcResult<T> {
        let mut guard = self.case.lock().map_err(|_| poisoned())?;
        let case = guard.as_mut().ok_or(ApiError::NoCase)?;
        Ok(f(case)?)
    }

    pub fn config(&self) -> (Option<PathBuf>, WindowConfig) {
        let dir = self.config_dir.lock().ok().and_then(|d| d.clone());
        let cfg = dir.as_deref().map(WindowConfig::load).unwrap_or_default();
        (dir, cfg)
    }

    pub fn update_config(&self, f: impl FnOnce(&mut WindowConfig)) {
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

/// Who the window writes audit entries as: `CASEBOARD_ANALYST`, else the OS user.
pub fn actor() -> cb_api::Actor {
    cb_api::Actor::from_env()
}

/// The analyst's signing key (`CASEBOARD_KEY`, else `$XDG_CONFIG_HOME/caseboard/key`, else
/// `~/.config/caseboard/key`; created on first use, never inside a case).
pub fn key_file() -> Option<std::path::PathBuf> {
    cb_api::key_path(
        std::env::var_os("CASEBOARD_KEY").map(std::path::PathBuf::from),
        std::env::var_os("XDG_CONFIG_HOME").map(std::path::PathBuf::from),
        std::env::var_os("HOME").map(std::path::PathBuf::from),
    )
}

/// Sign what `case` writes with the analyst's key; without one the case still opens and what
/// is written is unsigned (`verify` says so).
pub fn signed(mut case: cb_api::Case) -> cb_api::Case {
    if let Some(k) = key_file() {
        if let Err(e) = case.sign_with(&k) {
            eprintln!("caseboard: warning: {e}; writing unsigned audit entries");
        }
    }
    case
}

/// A node id from the UI.
pub fn id(text: &str) -> IpcResult<cb_api::NodeId> {
    Ok(cb_api::node_id(text)?)
}
