//! Exports of the case, an investigation map or one alert/incident, and writing exported
//! bytes where the analyst said.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::NodeId;
use std::path::Path;

/// GraphML (Gephi, yEd, Maltego), a STIX 2.1 bundle (OpenCTI, MISP) or a self-contained HTML
/// report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Graphml,
    Stix,
    Html,
}

/// What to export: around one node, one saved investigation, or (neither) the whole case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub node: Option<NodeId>,
    pub investigation: Option<i64>,
}

/// The exported text. `now` (the edge's clock) stamps STIX objects and the HTML report.
pub fn export(case: &Case, req: ExportRequest, now: &str) -> ApiResult<String> {
    let scope = match (req.node, req.investigation) {
        (Some(n), _) => cb_export::Scope::Around(n),
        (None, Some(i)) => cb_export::Scope::Investigation(i),
        (None, None) => cb_export::Scope::Case,
    };
    Ok(match req.format {
        ExportFormat::Graphml => cb_export::graphml(&cb_export::subgraph(&case.store, scope)?),
        ExportFormat::Stix => {
            let bundle = cb_export::stix_bundle(&case.store, scope, now)?;
            serde_json::to_string_pretty(&bundle)
                .map_err(|e| ApiError::bad(format!("cannot render the STIX bundle: {e}")))?
        }
        ExportFormat::Html => {
            let n = req.node.ok_or_else(|| {
                ApiError::bad("--format html needs --node <alert or incident id>")
            })?;
            let story = crate::story::story(case, n)?;
            cb_export::html_report_with(
                &case.store,
                n,
                now,
                &crate::report::story_sections(&story),
            )?
        }
    })
}

/// Write exported bytes (the window's PNG/SVG) to `path`; the number of bytes written.
pub fn write_file(path: &Path, bytes: &[u8]) -> ApiResult<u64> {
    if path.as_os_str().is_empty() || path.to_string_lossy().trim().is_empty() {
        return Err(ApiError::bad("no file name"));
    }
    std::fs::write(path, bytes).map_err(|e| ApiError::Io {
        path: path.into(),
        reason: format!("cannot write: {e}"),
    })?;
    Ok(bytes.len() as u64)
}
