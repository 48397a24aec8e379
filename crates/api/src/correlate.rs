//! Incident correlation (on demand, and after every import) and incident edits by hand.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::NodeId;
use serde::Serialize;

pub use cb_graph::{CorrelationSettings, DerivedIncident};

/// Correlation settings from their JSON text (`caseboard correlate --settings FILE`); every
/// field has a default.
pub fn settings_from_json(text: &str) -> ApiResult<CorrelationSettings> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::bad(format!("not correlation settings JSON: {e}")))
}

/// `caseboard correlate --json`: group alerts into incidents and return every derived
/// incident with its reason (`created` says which are new). Writes only new groups.
pub fn correlate(
    case: &mut Case,
    settings: &CorrelationSettings,
) -> ApiResult<Vec<DerivedIncident>> {
    Ok(cb_graph::correlate(&mut case.store, settings)?)
}

/// `caseboard incident add|remove --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentEdit {
    pub incident: NodeId,
    pub alert: NodeId,
    /// `false` when the alert was already in (add) or not in (remove) the incident.
    pub changed: bool,
}

/// Add an alert to an incident (`add`), or take it out (audited). Asking for what is already
/// so changes nothing and writes no audit entry.
pub fn edit_incident(
    case: &mut Case,
    incident: NodeId,
    alert: NodeId,
    add: bool,
) -> ApiResult<IncidentEdit> {
    let member = case
        .store
        .incidents()?
        .iter()
        .find(|i| i.id == incident)
        .map(|i| i.alerts.contains(&alert));
    if member == Some(add) && matches!(alert, NodeId::Alert(_)) {
        return Ok(IncidentEdit {
            incident,
            alert,
            changed: false,
        });
    }
    let changed = if add {
        cb_graph::add_alert(&mut case.store, incident, alert)?
    } else {
        cb_graph::remove_alert(&mut case.store, incident, alert)?
    };
    Ok(IncidentEdit {
        incident,
        alert,
        changed,
    })
}
