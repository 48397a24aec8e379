//! ATT&CK names (bundled mitre-cti data) for technique and tactic ids.

use crate::error::{ApiError, ApiResult};
use std::collections::BTreeMap;

/// Names for tactic/technique ids or names; unknown ids are left out (shown bare).
pub fn technique_names(ids: Vec<String>) -> ApiResult<BTreeMap<String, String>> {
    let tactics = cb_graph::mitre::Tactics::bundled().map_err(ApiError::Graph)?;
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
