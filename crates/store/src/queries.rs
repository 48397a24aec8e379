//! Read queries over a case.

use crate::{Result, SqliteStore, StoreError};
use cb_domain::{NodeId, Severity};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stats {
    pub alerts: i64,
    pub incidents: i64,
    pub entities: i64,
    pub relations: i64,
    pub events: i64,
    pub sources: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertRow {
    pub id: NodeId,
    pub ext_id: String,
    pub name: String,
    pub alert_type: String,
    pub severity: Option<Severity>,
    pub status: String,
    pub classification: String,
    pub owner: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub provider: String,
    pub product: String,
    pub compromised_entity: String,
    pub entities: Vec<NodeId>,
    /// The Sigma rule that raised the alert (a local detection); absent for imported alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
}

/// The rule behind a local detection (`caseboard alerts --json` rows, the queue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RuleRef {
    pub id: String,
    pub title: String,
    pub level: String,
    pub file: String,
}

/// Alerts raised by Caseboard's own Sigma rules have ext ids with this prefix.
pub const DETECTION_EXT_PREFIX: &str = "sigma:";

fn rule_ref(ext_id: &str, extended: Option<String>) -> Option<RuleRef> {
    if !ext_id.starts_with(DETECTION_EXT_PREFIX) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&extended?).ok()?;
    serde_json::from_value(v.get("rule")?.clone()).ok()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentRow {
    pub id: NodeId,
    pub ext_id: String,
    pub title: String,
    pub number: Option<i64>,
    pub severity: Option<Severity>,
    pub status: String,
    pub classification: String,
    pub owner: String,
    pub created: Option<String>,
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub provider: String,
    /// Set for incidents Caseboard derived itself: why these alerts belong together.
    pub reason: Option<String>,
    /// Alerts of the incident that are in the case.
    pub alerts: Vec<NodeId>,
    /// External ids of alerts the incident names but the case does not hold (yet).
    pub missing_alerts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EntityRow {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    pub key: String,
    pub strength: String,
    /// The identifiers and details the records gave (a process: ProcessGuid, ProcessId,
    /// Image, CommandLine, CreationTime, host).
    #[serde(default)]
    pub props: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelationRow {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: String,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub props: Value,
    /// Provenance: the evidence file and record that said so.
    pub source: Option<String>,
    pub record: Option<i64>,
    /// How many records of that file said so (`record` is the first).
    #[serde(default = "one")]
    pub records: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceRow {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    pub size: i64,
    pub format: String,
    pub imported_at: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub counts: Value,
    pub merged: i64,
    #[cfg_attr(feature = "ts", ts(type = "Array<{ record: number, reason: string }>"))]
    pub skipped: Value,
    /// The path as the analyst typed it (`path` is absolute).
    #[serde(default)]
    pub typed_path: Option<String>,
    /// `{total, by_reason}`: every skipped record counted (`skipped` keeps the first 1,000).
    #[serde(default)]
    pub skipped_summary: Option<Value>,
}

/// Everything about one node: its fields as a JSON object, and its relations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeDetail {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub fields: serde_json::Map<String, Value>,
    pub relations: Vec<RelationRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AlertSort {
    /// Highest severity first, then newest.
    #[default]
    Severity,
    /// Newest first.
    Time,
}

fn parse_node(s: String) -> rusqlite::Result<NodeId> {
    s.parse().map_err(|e: cb_domain::BadNodeId| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn json_col(r: &Row<'_>, i: &str) -> rusqlite::Result<Value> {
    let s: String = r.get(i)?;
    Ok(serde_json::from_str(&s).unwrap_or(Value::Null))
}

impl SqliteStore {
    pub fn stats(&self) -> Result<Stats> {
        let c = |t: &str| -> Result<i64> {
            Ok(self
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?)
        };
        Ok(Stats {
            alerts: c("alerts")?,
            incidents: c("incidents")?,
            entities: c("entities")?,
            relations: c("relations")?,
            events: c("events")?,
            sources: c("sources")?,
        })
    }

    fn alert_row(&self, r: &Row<'_>) -> rusqlite::Result<AlertRow> {
        let id: i64 = r.get("id")?;
        let ext_id: String = r.get("ext_id")?;
        let rule = rule_ref(&ext_id, r.get("extended")?);
        Ok(AlertRow {
            id: NodeId::Alert(id),
            ext_id,
            name: r.get("name")?,
            alert_type: r.get("alert_type")?,
            severity: r
                .get::<_, Option<i64>>("severity_override")?
                .or(r.get::<_, Option<i64>>("severity")?)
                .map(Severity::from_rank),
            status: r.get("status")?,
            classification: r.get("classification")?,
            owner: r.get("owner")?,
            start: r.get("start_time")?,
            end: r.get("end_time")?,
            provider: r.get("provider")?,
            product: r.get("product")?,
            compromised_entity: r.get("compromised_entity")?,
            entities: vec![],
            rule,
        })
    }

    /// Alerts with the entities they involve.
    pub fn alerts(&self, sort: AlertSort) -> Result<Vec<AlertRow>> {
        let order = match sort {
            AlertSort::Severity => {
                "coalesce(severity_override, severity, -1) DESC, start_time DESC, id"
            }
            AlertSort::Time => "start_time DESC, id",
        };
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM alerts ORDER BY {order}"))?;
        let mut rows: Vec<AlertRow> = stmt
            .query_map([], |r| self.alert_row(r))?
            .collect::<rusqlite::Result<_>>()?;
        let mut ents = self.conn.prepare_cached(
            "SELECT DISTINCT dst FROM relations WHERE src = ?1 AND kind = 'involves' ORDER BY dst",
        )?;
        for a in &mut rows {
            let mut v: Vec<NodeId> = ents
                .query_map([a.id.to_string()], |r| parse_node(r.get(0)?))?
                .collect::<rusqlite::Result<_>>()?;
            v.sort();
            a.entities = v;
        }
        Ok(rows)
    }

    pub fn alert(&self, id: i64) -> Result<AlertRow> {
        self.alerts(AlertSort::Time)?
            .into_iter()
            .find(|a| a.id == NodeId::Alert(id))
            .ok_or(StoreError::NoSuchNode(NodeId::Alert(id)))
    }

    pub fn incidents(&self) -> Result<Vec<IncidentRow>> {
        let mut stmt = self.conn.prepare("SELECT * FROM incidents ORDER BY coalesce(severity_override, severity, -1) DESC, coalesce(created, first_activity) DESC, id")?;
        let mut rows: Vec<IncidentRow> = stmt
            .query_map([], |r| {
                Ok(IncidentRow {
                    id: NodeId::Incident(r.get("id")?),
                    ext_id: r.get("ext_id")?,
                    title: r.get("title")?,
                    number: r.get("number")?,
                    severity: r
                        .get::<_, Option<i64>>("severity_override")?
                        .or(r.get::<_, Option<i64>>("severity")?)
                        .map(Severity::from_rank),
                    status: r.get("status")?,
                    classification: r.get("classification")?,
                    owner: r.get("owner")?,
                    created: r.get("created")?,
                    first_activity: r.get("first_activity")?,
                    last_activity: r.get("last_activity")?,
                    provider: r.get("provider")?,
                    reason: r.get("reason")?,
                    alerts: vec![],
                    missing_alerts: vec![],
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut members = self.conn.prepare_cached(
            "SELECT ia.alert_ext_id, a.id FROM incident_alerts ia LEFT JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE ia.incident_id = ?1 ORDER BY a.id",
        )?;
        for i in &mut rows {
            for m in members.query_map([i.id.num()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })? {
                match m? {
                    (_, Some(a)) => i.alerts.push(NodeId::Alert(a)),
                    (ext, None) => i.missing_alerts.push(ext),
                }
            }
        }
        Ok(rows)
    }

    pub fn entities(&self, kind: Option<&str>) -> Result<Vec<EntityRow>> {
        let mut stmt = self.conn.prepare("SELECT id, kind, label, key, strength, props FROM entities WHERE (?1 IS NULL OR kind = ?1) ORDER BY kind, label, id")?;
        let rows = stmt
            .query_map(params![kind], |r| {
                Ok(EntityRow {
                    id: NodeId::Entity(r.get(0)?),
                    kind: r.get(1)?,
                    label: r.get(2)?,
                    key: r.get(3)?,
                    strength: r.get(4)?,
                    props: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        let mut stmt = self.conn.prepare("SELECT * FROM sources ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SourceRow {
                    id: r.get("id")?,
                    path: r.get("path")?,
                    sha256: r.get("sha256")?,
                    size: r.get("size")?,
                    format: r.get("format")?,
                    imported_at: r.get("imported_at")?,
                    counts: json_col(r, "counts")?,
                    merged: r.get("merged")?,
                    skipped: json_col(r, "skipped")?,
                    typed_path: r.get("typed_path")?,
                    skipped_summary: r
                        .get::<_, Option<String>>("skipped_summary")?
                        .and_then(|t| serde_json::from_str(&t).ok()),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Relations touching `id`, in either direction, each with its provenance.
    pub fn relations_of(&self, id: NodeId) -> Result<Vec<RelationRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.src, r.dst, r.kind, r.props, s.path, r.record, r.n FROM relations r LEFT JOIN sources s ON s.id = r.source_id
             WHERE r.src = ?1 OR r.dst = ?1 ORDER BY r.kind, r.id",
        )?;
        let rows = stmt
            .query_map([id.to_string()], |r| {
                Ok(RelationRow {
                    from: parse_node(r.get(0)?)?,
                    to: parse_node(r.get(1)?)?,
                    kind: r.get(2)?,
                    props: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(Value::Null),
                    source: r.get(4)?,
                    record: r.get(5)?,
                    records: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The label of a node, cheaply.
    pub fn label(&self, id: NodeId) -> Result<String> {
        let sql = match id {
            NodeId::Alert(_) => "SELECT name FROM alerts WHERE id = ?1",
            NodeId::Incident(_) => "SELECT title FROM incidents WHERE id = ?1",
            NodeId::Entity(_) => "SELECT label FROM entities WHERE id = ?1",
            NodeId::Event(_) => "SELECT summary FROM events WHERE id = ?1",
        };
        self.conn
            .query_row(sql, [id.num()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NoSuchNode(id))
    }

    /// One node with all its columns (JSON columns decoded) and relations.
    pub fn node(&self, id: NodeId) -> Result<NodeDetail> {
        Ok(NodeDetail {
            id,
            kind: id.kind().into(),
            label: self.label(id)?,
            fields: self.node_fields(id)?,
            relations: self.relations_of(id)?,
        })
    }

    /// One node's columns (JSON columns decoded), without its relations.
    pub fn node_fields(&self, id: NodeId) -> Result<serde_json::Map<String, Value>> {
        let table = match id {
            NodeId::Alert(_) => "alerts",
            NodeId::Incident(_) => "incidents",
            NodeId::Entity(_) => "entities",
            NodeId::Event(_) => "events",
        };
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM {table} WHERE id = ?1"))?;
        let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
        let fields = stmt
            .query_row([id.num()], |r| {
                let mut m = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    if n == "fields" && table == "events" {
                        // compressed since schema 6: read through its one reader
                        m.insert(
                            n.clone(),
                            Value::Object(self.fields.decode(&self.conn, r.get_ref(i)?)),
                        );
                        continue;
                    }
                    let v: rusqlite::types::Value = r.get(i)?;
                    let j = match v {
                        rusqlite::types::Value::Null => Value::Null,
                        rusqlite::types::Value::Integer(x) => Value::from(x),
                        rusqlite::types::Value::Real(x) => Value::from(x),
                        rusqlite::types::Value::Text(s) => {
                            let is_json = matches!(
                                n.as_str(),
                                "remediation"
                                    | "tactics"
                                    | "techniques"
                                    | "extended"
                                    | "contains_alerts"
                                    | "raw"
                                    | "props"
                                    | "labels"
                                    | "fields"
                            );
                            if is_json {
                                serde_json::from_str(&s).unwrap_or(Value::String(s))
                            } else {
                                Value::String(s)
                            }
                        }
                        rusqlite::types::Value::Blob(b) => Value::from(hex::encode(b)),
                    };
                    m.insert(n.clone(), j);
                }
                Ok(m)
            })
            .optional()?
            .ok_or(StoreError::NoSuchNode(id))?;
        let mut fields = fields;
        if let Some(Value::Number(o)) = fields.get("severity_override").cloned() {
            fields.insert("severity".into(), Value::Number(o));
        }
        if let Some(Value::Number(s)) = fields.get("severity") {
            let sev = Severity::from_rank(s.as_i64().unwrap_or(0));
            fields.insert("severity".into(), Value::from(sev.as_str()));
        }
        Ok(fields)
    }

    /// The audit log, oldest first.
    pub fn audit_log(&self, target: Option<&str>) -> Result<Vec<Value>> {
        let mut stmt = self.conn.prepare("SELECT id, at, actor, action, target, detail FROM audit WHERE (?1 IS NULL OR target = ?1) ORDER BY id")?;
        let rows = stmt
            .query_map(params![target], |r| {
                Ok(serde_json::json!({
                    "id": r.get::<_, i64>(0)?, "at": r.get::<_, String>(1)?, "actor": r.get::<_, String>(2)?,
                    "action": r.get::<_, String>(3)?, "target": r.get::<_, String>(4)?,
                    "detail": serde_json::from_str::<Value>(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
                }))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Walk the audit hash chain; the id of the first broken entry, or `None` when intact.
    /// (Links and hashes only; [`SqliteStore::verify_integrity`] also checks signatures, the
    /// signed head and the state.)
    pub fn verify_audit(&self) -> Result<Option<i64>> {
        let case_id = crate::integrity::case_id(&self.conn)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, action, target, detail, prev_hash, hash, signer FROM audit ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut prev = String::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let [at, actor, action, target, detail, p, h]: [String; 7] = [
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ];
            let signer: Option<String> = r.get(8)?;
            let recomputed = match &signer {
                None => crate::audit_hash(&p, &at, &actor, &action, &target, &detail),
                Some(sg) => crate::integrity::entry_hash_v2(
                    &case_id, id, &p, &at, &actor, &action, &target, &detail, sg,
                ),
            };
            if p != prev || recomputed != h {
                return Ok(Some(id));
            }
            prev = h;
        }
        Ok(None)
    }
}
