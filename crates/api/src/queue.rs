//! The alert queue, incidents and entities. Reads only: nothing here writes to the case
//! (correlation runs after an import and on demand, see [`crate::correlate`]).

use crate::case::Case;
use crate::error::ApiResult;
use cb_store::AlertSort;
use serde::{Deserialize, Serialize};

pub use cb_store::{AlertRow, EntityRow, IncidentRow};

/// Order of the alert queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueSort {
    /// Highest severity first, then newest.
    #[default]
    Severity,
    /// Newest first.
    Time,
}

impl From<QueueSort> for AlertSort {
    fn from(s: QueueSort) -> AlertSort {
        match s {
            QueueSort::Severity => AlertSort::Severity,
            QueueSort::Time => AlertSort::Time,
        }
    }
}

/// `caseboard alerts --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertList {
    pub alerts: Vec<AlertRow>,
}

/// `caseboard incidents --json`: imported and derived incidents with `reason` and alert ids.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentList {
    pub incidents: Vec<IncidentRow>,
}

/// `caseboard entities --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EntityList {
    pub entities: Vec<EntityRow>,
}

/// The window's queue: alerts and incidents together.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Queue {
    pub alerts: Vec<AlertRow>,
    pub incidents: Vec<IncidentRow>,
}

pub fn alerts(case: &Case, sort: QueueSort) -> ApiResult<AlertList> {
    Ok(AlertList {
        alerts: case.store.alerts(sort.into())?,
    })
}

pub fn incidents(case: &Case) -> ApiResult<IncidentList> {
    Ok(IncidentList {
        incidents: case.store.incidents()?,
    })
}

/// Entities, optionally of one kind (`host`, `account`, `ip`, …).
pub fn entities(case: &Case, kind: Option<&str>) -> ApiResult<EntityList> {
    Ok(EntityList {
        entities: case.store.entities(kind)?,
    })
}

pub fn queue(case: &Case, sort: QueueSort) -> ApiResult<Queue> {
    Ok(Queue {
        alerts: case.store.alerts(sort.into())?,
        incidents: case.store.incidents()?,
    })
}
