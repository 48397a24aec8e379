//! Triage of alerts and incidents (status, classification, severity, owner, notes, tags) and
//! marking entities as related. Every change is audited by cb-store.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use crate::show::{labels, Labels};
use cb_domain::{NodeId, Severity, Status};
use cb_store::{Classification, TriageChange, TriageState};
use serde::{Deserialize, Serialize};

/// One triage action as text, from either edge; empty fields are left unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TriageRequest {
    /// `Active`, `InProgress`, `Resolved`, `Dismissed`.
    #[serde(default)]
    pub status: Option<String>,
    /// `true_positive`, `benign_positive`, `false_positive`, `undetermined`.
    #[serde(default)]
    pub classification: Option<String>,
    /// Why (required for `false_positive`).
    #[serde(default)]
    pub reason: Option<String>,
    /// Severity override: `Informational`, `Low`, `Medium`, `High`.
    #[serde(default)]
    pub severity: Option<String>,
    /// An owner may be cleared: `""` is kept.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

impl TriageRequest {
    /// The one parser of triage text (names what was wrong and what is accepted).
    pub fn parse(self) -> ApiResult<TriageChange> {
        let some = |s: Option<String>| s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
        Ok(TriageChange {
            status: some(self.status)
                .map(|s| {
                    Status::parse(&s).ok_or_else(|| {
                        ApiError::bad(format!(
                            "unknown status {s:?} (Active, InProgress, Resolved, Dismissed)"
                        ))
                    })
                })
                .transpose()?,
            classification: some(self.classification)
                .map(|c| {
                    Classification::parse(&c).ok_or_else(|| {
                        ApiError::bad(format!("unknown classification {c:?} (true_positive, benign_positive, false_positive, undetermined)"))
                    })
                })
                .transpose()?,
            reason: some(self.reason),
            severity: some(self.severity)
                .map(|s| {
                    Severity::parse(&s).ok_or_else(|| {
                        ApiError::bad(format!(
                            "unknown severity {s:?} (Informational, Low, Medium, High)"
                        ))
                    })
                })
                .transpose()?,
            owner: self.owner.map(|o| o.trim().to_string()),
            note: some(self.note),
            add_tags: self.add_tags,
            remove_tags: self.remove_tags,
        })
    }
}

/// The triage fields of an alert or incident as they are now, with the labels of the entities
/// marked related and who this edge writes audit entries as.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TriageInfo {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub state: TriageState,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub labels: Labels,
    pub actor: String,
}

/// `caseboard triage --json`: `{"triaged": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Triaged {
    pub triaged: Vec<TriageInfo>,
}

fn info(case: &Case, state: TriageState) -> TriageInfo {
    TriageInfo {
        labels: labels(&case.store, state.related.iter().map(|r| r.entity)),
        state,
        actor: case.actor().to_string(),
    }
}

/// Apply one change to every target: a bulk action is one transaction, each change audited.
pub fn triage(case: &mut Case, ids: &[NodeId], request: TriageRequest) -> ApiResult<Triaged> {
    let change = request.parse()?;
    let states = case.store.triage(ids, &change)?;
    Ok(Triaged {
        triaged: states.into_iter().map(|s| info(case, s)).collect(),
    })
}

pub fn triage_state(case: &Case, id: NodeId) -> ApiResult<TriageInfo> {
    let state = case.store.triage_state(id)?;
    Ok(info(case, state))
}

/// Mark `entity` as related to the alert/incident `target`, saying why (audited).
pub fn mark_related(
    case: &mut Case,
    target: NodeId,
    entity: NodeId,
    reason: &str,
) -> ApiResult<TriageInfo> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad("say why the entity is related"));
    }
    case.store.mark_related(target, entity, reason)?;
    triage_state(case, target)
}
