//! The records a case holds. Parsers build these; the store persists them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// Anything that can sit on the investigation map. Rendered as `kind:number`
/// (`alert:3`, `incident:1`, `entity:12`, `event:40`); that text is the id the CLI and the
/// window use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub enum NodeId {
    Alert(i64),
    Incident(i64),
    Entity(i64),
    Event(i64),
}

impl NodeId {
    pub fn kind(&self) -> &'static str {
        match self {
            NodeId::Alert(_) => "alert",
            NodeId::Incident(_) => "incident",
            NodeId::Entity(_) => "entity",
            NodeId::Event(_) => "event",
        }
    }
    pub fn num(&self) -> i64 {
        match *self {
            NodeId::Alert(n) | NodeId::Incident(n) | NodeId::Entity(n) | NodeId::Event(n) => n,
        }
    }
    pub fn from_parts(kind: &str, num: i64) -> Option<NodeId> {
        Some(match kind {
            "alert" => NodeId::Alert(num),
            "incident" => NodeId::Incident(num),
            "entity" => NodeId::Entity(num),
            "event" => NodeId::Event(num),
            _ => return None,
        })
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.num())
    }
}

/// A node id that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a node id: {0:?} (expected alert:N, incident:N, entity:N or event:N)")]
pub struct BadNodeId(pub String);

impl FromStr for NodeId {
    type Err = BadNodeId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s.split_once(':').ok_or_else(|| BadNodeId(s.to_string()))?;
        let n: i64 = n.parse().map_err(|_| BadNodeId(s.to_string()))?;
        NodeId::from_parts(k, n).ok_or_else(|| BadNodeId(s.to_string()))
    }
}

impl From<NodeId> for String {
    fn from(n: NodeId) -> String {
        n.to_string()
    }
}

impl TryFrom<String> for NodeId {
    type Error = BadNodeId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Alert/incident severity, ordered so that `High > Medium > Low > Informational`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }
    /// Lenient: any case, `info`, `critical` (Graph/Defender XDR) counts as High.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" | "information" => Severity::Informational,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "critical" => Severity::High,
            _ => return None,
        })
    }
    pub fn rank(&self) -> i64 {
        *self as i64
    }
    pub fn from_rank(r: i64) -> Severity {
        match r {
            3 => Severity::High,
            2 => Severity::Medium,
            1 => Severity::Low,
            _ => Severity::Informational,
        }
    }
}

/// Triage status of an alert or incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Active,
    InProgress,
    Resolved,
    Dismissed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::InProgress => "InProgress",
            Status::Resolved => "Resolved",
            Status::Dismissed => "Dismissed",
        }
    }
    /// Maps the vocabularies of Sentinel (New/Active/Closed), Defender (Active/Resolved/
    /// Dismissed/InProgress) and Graph (new/inProgress/resolved).
    pub fn parse(s: &str) -> Option<Status> {
        Some(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace([' ', '_'], "")
                .as_str()
            {
                "new" | "active" | "unknown" => Status::Active,
                "inprogress" => Status::InProgress,
                "resolved" | "closed" => Status::Resolved,
                "dismissed" => Status::Dismissed,
                _ => return None,
            },
        )
    }
}

/// One alert as read from an export, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// The producer's id (SystemAlertId, REST `name`, Graph `id`): the same alert in two files
    /// is stored once.
    pub ext_id: String,
    pub name: String,
    pub alert_type: String,
    pub severity: Option<Severity>,
    pub status: Option<Status>,
    pub provider: String,
    pub product: String,
    pub vendor: String,
    pub description: String,
    pub remediation: Vec<String>,
    /// ATT&CK tactics (Sentinel `Tactics`, Defender `intent` split, Graph `category`).
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub generated: Option<String>,
    pub compromised_entity: String,
    pub resource_id: String,
    pub extended: Map<String, Value>,
    /// Ids of other alerts this one groups (Sentinel `alerts` entities of an ASC incident).
    pub contains_alerts: Vec<String>,
    pub is_incident: bool,
}

/// One incident, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub ext_id: String,
    pub title: String,
    pub number: Option<i64>,
    pub severity: Option<Severity>,
    pub status: Option<Status>,
    pub classification: String,
    pub owner: String,
    pub description: String,
    pub created: Option<String>,
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub provider: String,
    pub tactics: Vec<String>,
    pub labels: Vec<String>,
    /// External ids of its alerts; joined to alerts whenever both are in the case, in any order
    /// of import.
    pub alert_ext_ids: Vec<String>,
    /// Why this incident exists, for incidents Caseboard derives itself.
    pub reason: Option<String>,
    pub props: Map<String, Value>,
}

/// An entity candidate as read from a record: its (lower-case, Sentinel-style) type and its
/// properties. Identity is computed by [`crate::identify`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRecord {
    pub kind: String,
    pub props: Map<String, Value>,
}

impl EntityRecord {
    pub fn new(kind: &str) -> Self {
        EntityRecord {
            kind: kind.to_ascii_lowercase(),
            props: Map::new(),
        }
    }
    pub fn with(mut self, k: &str, v: impl Into<Value>) -> Self {
        let v = v.into();
        if !is_blank(&v) {
            self.props.insert(k.to_string(), v);
        }
        self
    }
    /// A property as text (numbers and bools rendered), `None` when absent or blank.
    pub fn get(&self, k: &str) -> Option<String> {
        prop_str(&self.props, k)
    }
}

/// A raw log record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Table / log type (`SecurityEvent`, `SigninLogs`, `Sysmon`, `zeek.conn`, `suricata`…).
    pub source: String,
    /// Channel or sub-type where the format has one.
    pub channel: String,
    pub event_id: Option<String>,
    pub time: Option<String>,
    /// One line a person can read in a result table.
    pub summary: String,
    /// The original fields, as read.
    pub fields: Map<String, Value>,
}

/// Counts an import reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub alerts: u64,
    pub incidents: u64,
    pub entities: u64,
    pub relations: u64,
    pub events: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.alerts + self.incidents + self.entities + self.relations + self.events
    }
}

pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A property as text: strings trimmed, numbers/bools rendered, blanks and structures `None`.
pub fn prop_str(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_round_trip() {
        for id in [
            NodeId::Alert(3),
            NodeId::Incident(1),
            NodeId::Entity(12),
            NodeId::Event(40),
        ] {
            assert_eq!(id.to_string().parse::<NodeId>().unwrap(), id);
        }
        assert!("host:1".parse::<NodeId>().is_err());
        assert!("alert:x".parse::<NodeId>().is_err());
        assert_eq!(
            serde_json::to_string(&NodeId::Alert(2)).unwrap(),
            "\"alert:2\""
        );
    }

    #[test]
    fn severity_and_status_vocabularies() {
        assert_eq!(Severity::parse("critical"), Some(Severity::High));
        assert_eq!(
            Severity::parse("informational"),
            Some(Severity::Informational)
        );
        assert!(Severity::High > Severity::Medium && Severity::Low > Severity::Informational);
        assert_eq!(Status::parse("New"), Some(Status::Active));
        assert_eq!(Status::parse("inProgress"), Some(Status::InProgress));
        assert_eq!(Status::parse("Closed"), Some(Status::Resolved));
        assert_eq!(Status::parse("bogus"), None);
    }
}
