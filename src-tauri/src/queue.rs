//! The queue as the window lists it (filters, chip counts, header totals), an incident's merged
//! remediation, and adding/removing an alert to/from an incident (audited by cb-api).

use crate::state::{id, AppState, IpcResult};
use cb_api::correlate::IncidentEdit;
use cb_api::queue::{QueueFilter, QueueSort, QueueView, Remediation};
use tauri::State;

/// The rows the queue lists under `filter`, the counts of its chips and the case's totals.
#[tauri::command]
pub async fn queue_view(
    state: State<'_, AppState>,
    sort: QueueSort,
    filter: QueueFilter,
) -> IpcResult<QueueView> {
    state.with_case(|c| cb_api::queue::queue_view(c, sort, &filter))
}

/// Every entity's id, kind and name: what Redact learns before it shows anything.
#[tauri::command]
pub async fn entity_names(state: State<'_, AppState>) -> IpcResult<Vec<cb_api::queue::EntityName>> {
    state.with_case(|c| cb_api::queue::entity_names(c))
}

/// The remediation steps of an incident's alerts, each step once.
#[tauri::command]
pub async fn incident_remediation(
    state: State<'_, AppState>,
    incident: String,
) -> IpcResult<Remediation> {
    let incident = id(&incident)?;
    state.with_case(|c| cb_api::queue::incident_remediation(c, incident))
}

/// Add the alert to the incident (`add`) or take it out; audited.
#[tauri::command]
pub async fn incident_edit(
    state: State<'_, AppState>,
    incident: String,
    alert: String,
    add: bool,
) -> IpcResult<IncidentEdit> {
    let (incident, alert) = (id(&incident)?, id(&alert)?);
    state.with_case(|c| cb_api::correlate::edit_incident(c, incident, alert, add))
}
