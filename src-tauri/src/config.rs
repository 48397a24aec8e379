//! The window's own small memory (not case data): the last case, and the investigation that
//! was open in each case. Kept as JSON in the app config dir.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct WindowConfig {
    pub last_case: Option<PathBuf>,
    /// case path → id of the investigation last shown for it
    #[serde(default)]
    pub last_investigation: BTreeMap<String, i64>,
}

impl WindowConfig {
    pub fn load(dir: &Path) -> WindowConfig {
        std::fs::read_to_string(dir.join("window.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join("window.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, dir.join("window.json"))
    }
}
