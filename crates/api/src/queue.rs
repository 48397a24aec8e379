//! The alert queue, incidents and entities. Reads only: nothing here writes to the case
//! (correlation runs after an import and on demand, see [`crate::correlate`]).

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::{NodeId, Severity};
use cb_store::AlertSort;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One entity's name, for redaction: the window learns every name of the case before it shows
/// anything redacted (a name only an event summary mentions would otherwise stay real).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EntityName {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
}

/// Every entity's id, kind and name (no props).
pub fn entity_names(case: &Case) -> ApiResult<Vec<EntityName>> {
    Ok(case
        .store
        .entities(None)?
        .into_iter()
        .map(|e| EntityName {
            id: e.id,
            kind: e.kind,
            label: e.label,
        })
        .collect())
}

pub fn queue(case: &Case, sort: QueueSort) -> ApiResult<Queue> {
    Ok(Queue {
        alerts: case.store.alerts(sort.into())?,
        incidents: case.store.incidents()?,
    })
}

// --- the queue as the window lists it: filters, chip counts, header totals -----------------

/// Which rows the queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueShow {
    #[default]
    Both,
    Alerts,
    Incidents,
}

/// The queue's filters; every field is optional (empty = no filter).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueFilter {
    #[serde(default)]
    pub show: QueueShow,
    /// Rows of any of these severities (empty: every severity, unrated rows included).
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// Rows with this status (`New`, `Active`, …).
    #[serde(default)]
    pub status: Option<String>,
    /// Typed times: `2019-02-18`, `2019-02-18 01:49`, `2019-02-18T01:49:02Z`. `to` includes
    /// its whole day or minute.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// A quick range: the last N hours of the case's data (ending at the newest row of the kind
    /// shown: cases are read long after the fact). Replaces `from` when both are given.
    #[serde(default)]
    pub last_hours: Option<u32>,
}

/// What the queue lists under a filter, the counts of its chips and the header's totals.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueView {
    /// Listed alerts, in `sort` order.
    pub alerts: Vec<AlertRow>,
    /// Listed incidents (highest severity first).
    pub incidents: Vec<IncidentRow>,
    pub counts: QueueCounts,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueCounts {
    /// Every alert and incident of the case (the header's numbers; `caseboard stats` agrees).
    pub total_alerts: usize,
    pub total_incidents: usize,
    /// Rows listed: `alerts.len() + incidents.len()`.
    pub shown: usize,
    /// Per severity, under every filter but the severity one: what the queue lists when only
    /// that chip is on. Every severity is present (0 when none).
    #[cfg_attr(feature = "ts", ts(type = "Record<Severity, number>"))]
    pub severity: BTreeMap<Severity, usize>,
    /// Per status, under every filter but the status one.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub status: BTreeMap<String, usize>,
    /// The time window applied (stored-form prefixes), after quick ranges are resolved.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The oldest and newest row time of the kind shown (for quick ranges and placeholders).
    pub oldest: Option<String>,
    pub newest: Option<String>,
}

/// One row of either kind, as far as filtering goes.
struct Facets<'a> {
    incident: bool,
    severity: Option<Severity>,
    status: &'a str,
    time: Option<&'a str>,
}

fn alert_facets(a: &AlertRow) -> Facets<'_> {
    Facets {
        incident: false,
        severity: a.severity,
        status: &a.status,
        time: a.start.as_deref(),
    }
}

fn incident_facets(i: &IncidentRow) -> Facets<'_> {
    Facets {
        incident: true,
        severity: i.severity,
        status: &i.status,
        time: i.first_activity.as_deref().or(i.created.as_deref()),
    }
}

/// A typed time as a prefix of the stored form (`2019-02-18`, `2019-02-18T01:49`, …).
pub fn time_prefix(text: &str) -> ApiResult<String> {
    let t = text.trim();
    let bad = || {
        ApiError::bad(format!(
            "not a time: {t:?} (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)"
        ))
    };
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() < 10 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' {
        return Err(bad());
    }
    if !digits(8..10) {
        return Err(bad());
    }
    let date = &t[..10];
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        return Err(bad());
    }
    if b.len() == 10 {
        return Ok(date.to_string());
    }
    // a full time (any shape cb-domain reads) → the stored form; `date HH:MM` → its minute
    if b.len() == 16 && (b[10] == b' ' || b[10] == b'T') && digits(11..13) && b[13] == b':' {
        if digits(14..16) {
            return Ok(format!("{date}T{}", &t[11..16]));
        }
        return Err(bad());
    }
    cb_domain::time::normalize(t).ok_or_else(bad)
}

struct Window {
    from: Option<String>,
    to: Option<String>,
}

impl Window {
    /// `to` includes everything its prefix covers; undated rows only pass an open window.
    fn holds(&self, time: Option<&str>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let Some(t) = time else { return false };
        self.from.as_deref().is_none_or(|f| t >= f)
            && self
                .to
                .as_deref()
                .is_none_or(|to| t.get(..to.len()).unwrap_or(t) <= to)
    }
}

/// Everything but the `skip` filter (`"severity"`, `"status"`, or `""` for none).
fn passes(f: &QueueFilter, w: &Window, r: &Facets<'_>, skip: &str) -> bool {
    let show = match f.show {
        QueueShow::Both => true,
        QueueShow::Alerts => !r.incident,
        QueueShow::Incidents => r.incident,
    };
    let sev = skip == "severity"
        || f.severities.is_empty()
        || r.severity.is_some_and(|s| f.severities.contains(&s));
    let status = skip == "status"
        || f.status
            .as_deref()
            .is_none_or(|s| s.trim().is_empty() || r.status == s.trim());
    show && sev && status && w.holds(r.time)
}

/// The queue under `filter`: the rows it lists, the counts of its severity and status chips
/// (each under every other filter) and the case's totals. Reads only.
pub fn queue_view(case: &Case, sort: QueueSort, filter: &QueueFilter) -> ApiResult<QueueView> {
    let alerts = case.store.alerts(sort.into())?;
    let incidents = case.store.incidents()?;
    let facets: Vec<Facets<'_>> = incidents
        .iter()
        .map(incident_facets)
        .chain(alerts.iter().map(alert_facets))
        .collect();
    // quick ranges end at the newest row of the kind shown (imported incidents may be dated
    // years after their alerts)
    let times = facets
        .iter()
        .filter(|f| match filter.show {
            QueueShow::Both => true,
            QueueShow::Alerts => !f.incident,
            QueueShow::Incidents => f.incident,
        })
        .filter_map(|f| f.time);
    let (oldest, newest) = (times.clone().min(), times.max());
    let from = match (filter.last_hours, newest) {
        (Some(h), Some(n)) => {
            let n = cb_domain::time::parse(n).ok_or_else(|| {
                ApiError::bad(format!("the newest row's time {n:?} is not a time"))
            })?;
            Some(cb_domain::time::format(
                &(n - chrono::Duration::hours(h.into())),
            ))
        }
        (Some(_), None) => None,
        (None, _) => filter
            .from
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(time_prefix)
            .transpose()?,
    };
    let to = filter
        .to
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(time_prefix)
        .transpose()?;
    if let (Some(f), Some(t)) = (&from, &to) {
        if f.get(..t.len()).unwrap_or(f) > t.as_str() {
            return Err(ApiError::bad(format!(
                "the time window ends ({t}) before it starts ({f})"
            )));
        }
    }
    let w = Window { from, to };
    let mut severity: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
    let mut status = BTreeMap::new();
    for r in &facets {
        if let Some(s) = r.severity.filter(|_| passes(filter, &w, r, "severity")) {
            *severity.entry(s).or_default() += 1;
        }
        if !r.status.is_empty() && passes(filter, &w, r, "status") {
            *status.entry(r.status.to_string()).or_default() += 1;
        }
    }
    let (total_alerts, total_incidents) = (alerts.len(), incidents.len());
    let oldest = oldest.map(String::from);
    let newest = newest.map(String::from);
    drop(facets);
    let incidents: Vec<IncidentRow> = incidents
        .into_iter()
        .filter(|i| passes(filter, &w, &incident_facets(i), ""))
        .collect();
    let alerts: Vec<AlertRow> = alerts
        .into_iter()
        .filter(|a| passes(filter, &w, &alert_facets(a), ""))
        .collect();
    Ok(QueueView {
        counts: QueueCounts {
            total_alerts,
            total_incidents,
            shown: alerts.len() + incidents.len(),
            severity,
            status,
            from: w.from,
            to: w.to,
            oldest,
            newest,
        },
        alerts,
        incidents,
    })
}

// --- an incident's remediation: its alerts' steps merged ------------------------------------

/// One remediation step and the alerts of the incident that give it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemediationStep {
    pub text: String,
    pub alerts: Vec<NodeId>,
}

/// `caseboard incident remediation`-like: the steps of every alert of the incident, each step
/// once (numbering, case and spacing ignored), in the order the alerts give them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Remediation {
    pub incident: NodeId,
    pub steps: Vec<RemediationStep>,
    /// Alerts of the incident (in the case) that give no step.
    pub without_steps: Vec<NodeId>,
}

/// The display form: the step without its numbering (`1.`, `2)`: the list numbers them again).
fn step_text(step: &str) -> String {
    let s = step.trim();
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && s[digits..].starts_with(['.', ')']) {
        s[digits + 1..].trim().to_string()
    } else {
        s.to_string()
    }
}

/// The key two steps share when they say the same thing: no numbering, one space, lower case.
fn step_key(step: &str) -> String {
    step_text(step)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn incident_remediation(case: &Case, incident: NodeId) -> ApiResult<Remediation> {
    if !matches!(incident, NodeId::Incident(_)) {
        return Err(ApiError::bad(format!("{incident} is not an incident")));
    }
    let row = case
        .store
        .incidents()?
        .into_iter()
        .find(|i| i.id == incident)
        .ok_or(cb_store::StoreError::NoSuchNode(incident))?;
    let mut steps: Vec<RemediationStep> = vec![];
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut without_steps = vec![];
    for a in row.alerts {
        let node = case.store.node(a)?;
        let given: Vec<String> = match node.fields.get("remediation") {
            Some(serde_json::Value::Array(xs)) => xs
                .iter()
                .filter_map(|x| x.as_str())
                .filter(|x| !x.trim().is_empty())
                .map(String::from)
                .collect(),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => vec![s.clone()],
            _ => vec![],
        };
        if given.is_empty() {
            without_steps.push(a);
        }
        for s in given {
            let key = step_key(&s);
            match index.get(&key) {
                Some(&i) => {
                    if !steps[i].alerts.contains(&a) {
                        steps[i].alerts.push(a);
                    }
                }
                None => {
                    index.insert(key, steps.len());
                    steps.push(RemediationStep {
                        text: step_text(&s),
                        alerts: vec![a],
                    });
                }
            }
        }
    }
    Ok(Remediation {
        incident,
        steps,
        without_steps,
    })
}
