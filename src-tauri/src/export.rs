//! Writing what the window exports (PNG/SVG of the map) where the save dialog said.

use crate::state::IpcResult;
use std::path::Path;

/// Write an exported file (PNG bytes, SVG text) where the save dialog said.
#[tauri::command]
pub async fn save_file(path: String, bytes: Vec<u8>) -> IpcResult<u64> {
    Ok(cb_api::export::write_file(Path::new(&path), &bytes)?)
}
