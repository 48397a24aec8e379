//! The audit trail: of one alert/incident (its Activity), or of the whole case.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;
use serde::Serialize;
use serde_json::Value;

/// One audit entry: who, what, when, and the detail (`old`/`new` for changes).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActivityEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub detail: Value,
}

/// `caseboard activity --json`: `{"activity": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Activity {
    pub activity: Vec<ActivityEntry>,
}

fn entry(v: &Value) -> ActivityEntry {
    let t = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    ActivityEntry {
        id: v.get("id").and_then(Value::as_i64).unwrap_or(0),
        at: t("at"),
        actor: t("actor"),
        action: t("action"),
        target: t("target"),
        detail: v.get("detail").cloned().unwrap_or(Value::Null),
    }
}

/// The entries of `id`, or of the whole case when `id` is `None`.
pub fn activity(case: &Case, id: Option<NodeId>) -> ApiResult<Activity> {
    let rows = match id {
        Some(i) => case.store.activity(i)?,
        None => case.store.audit_log(None)?,
    };
    Ok(Activity {
        activity: rows.iter().map(entry).collect(),
    })
}
