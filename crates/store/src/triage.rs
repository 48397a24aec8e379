//! Triage of alerts and incidents: status, classification, severity override, owner, notes,
//! tags and entities marked as related. Every change is one audit entry (who, what, when,
//! old → new) written in the same transaction as the change.

use crate::integrity::Key;
use crate::{audit, commit, Result, SqliteStore, StoreError};
use cb_domain::{NodeId, Severity, Status};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const SCHEMA: &str = r#"
ALTER TABLE alerts ADD COLUMN severity_override INTEGER;
ALTER TABLE incidents ADD COLUMN severity_override INTEGER;
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,      -- node id
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX notes_target ON notes(target);
CREATE TABLE tags (
    target TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (target, tag)
);
CREATE TABLE marked_related (
    target TEXT NOT NULL,      -- the alert or incident
    entity TEXT NOT NULL,      -- the entity marked as related to it
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (target, entity)
);
"#;

/// How an analyst closed or dismissed an alert or incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    TruePositive,
    BenignPositive,
    FalsePositive,
    Undetermined,
}

impl Classification {
    pub fn as_str(&self) -> &'static str {
        match self {
            Classification::TruePositive => "true_positive",
            Classification::BenignPositive => "benign_positive",
            Classification::FalsePositive => "false_positive",
            Classification::Undetermined => "undetermined",
        }
    }
    pub fn parse(s: &str) -> Option<Classification> {
        Some(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' '], "_")
                .as_str()
            {
                "true_positive" | "tp" => Classification::TruePositive,
                "benign_positive" | "bp" => Classification::BenignPositive,
                "false_positive" | "fp" => Classification::FalsePositive,
                "undetermined" => Classification::Undetermined,
                _ => return None,
            },
        )
    }
}

/// One triage action; fields left `None` are not changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageChange {
    pub status: Option<Status>,
    pub classification: Option<Classification>,
    /// Why (required with `false_positive`).
    pub reason: Option<String>,
    pub severity: Option<Severity>,
    pub owner: Option<String>,
    pub note: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// The triage fields of an alert or incident as they are now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TriageState {
    pub id: NodeId,
    pub status: String,
    pub classification: String,
    pub severity: Option<Severity>,
    pub severity_overridden: bool,
    pub owner: String,
    pub tags: Vec<String>,
    pub notes: Vec<Note>,
    pub related: Vec<MarkedRelated>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Note {
    pub at: String,
    pub actor: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MarkedRelated {
    pub entity: NodeId,
    pub reason: String,
    pub at: String,
    pub actor: String,
}

fn table(id: NodeId) -> Result<&'static str> {
    match id {
        NodeId::Alert(_) => Ok("alerts"),
        NodeId::Incident(_) => Ok("incidents"),
        other => Err(StoreError::Invalid(format!(
            "{other} is not an alert or incident; only those are triaged"
        ))),
    }
}

fn now() -> String {
    cb_domain::time::format(&chrono::Utc::now())
}

impl SqliteStore {
    /// Apply one triage change to each of `targets` (a bulk action is one transaction).
    pub fn triage(
        &mut self,
        targets: &[NodeId],
        change: &TriageChange,
    ) -> Result<Vec<TriageState>> {
        if let Some(s) = change.status {
            if matches!(s, Status::Resolved | Status::Dismissed) && change.classification.is_none()
            {
                return Err(StoreError::Invalid(format!("closing as {} needs a classification (true_positive, benign_positive, false_positive or undetermined)", s.as_str())));
            }
        }
        if change.classification == Some(Classification::FalsePositive)
            && change.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(StoreError::Invalid(
                "a false positive needs a reason".into(),
            ));
        }
        let actor = self.actor.0.clone();
        let key = self.key.clone();
        let tx = self.conn.transaction()?;
        for &t in targets {
            apply(&tx, key.as_ref(), &actor, t, change)?;
        }
        commit(tx, key.as_ref())?;
        targets.iter().map(|t| self.triage_state(*t)).collect()
    }

    /// Mark `entity` as related to an alert or incident, with a reason.
    pub fn mark_related(&mut self, target: NodeId, entity: NodeId, reason: &str) -> Result<()> {
        table(target)?;
        if !matches!(entity, NodeId::Entity(_)) {
            return Err(StoreError::Invalid(format!("{entity} is not an entity")));
        }
        self.label(entity)?;
        let actor = self.actor.0.clone();
        let key = self.key.clone();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO marked_related (target, entity, reason, at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![target.to_string(), entity.to_string(), reason, now(), actor],
        )?;
        audit(
            &tx,
            key.as_ref(),
            &actor,
            "mark_related",
            &target.to_string(),
            &json!({"entity": entity, "reason": reason}),
        )?;
        commit(tx, key.as_ref())?;
        Ok(())
    }

    pub fn triage_state(&self, id: NodeId) -> Result<TriageState> {
        let t = table(id)?;
        let (status, classification, sev, over, owner): (String, String, Option<i64>, Option<i64>, String) = self
            .conn
            .query_row(&format!("SELECT status, classification, severity, severity_override, owner FROM {t} WHERE id = ?1"), [id.num()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?
            .ok_or(StoreError::NoSuchNode(id))?;
        let key = id.to_string();
        let tags = self
            .conn
            .prepare_cached("SELECT tag FROM tags WHERE target = ?1 ORDER BY tag")?
            .query_map([&key], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let notes = self
            .conn
            .prepare_cached("SELECT at, actor, text FROM notes WHERE target = ?1 ORDER BY id")?
            .query_map([&key], |r| {
                Ok(Note {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    text: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let related = self
            .conn
            .prepare_cached("SELECT entity, reason, at, actor FROM marked_related WHERE target = ?1 ORDER BY at")?
            .query_map([&key], |r| {
                let e: String = r.get(0)?;
                Ok((e, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<(String, String, String, String)>>>()?
            .into_iter()
            .filter_map(|(e, reason, at, actor)| e.parse().ok().map(|entity| MarkedRelated { entity, reason, at, actor }))
            .collect();
        Ok(TriageState {
            id,
            status,
            classification,
            severity: over.or(sev).map(Severity::from_rank),
            severity_overridden: over.is_some(),
            owner,
            tags,
            notes,
            related,
        })
    }

    /// The audit entries about one alert or incident (its Activity tab), oldest first.
    pub fn activity(&self, id: NodeId) -> Result<Vec<Value>> {
        self.audit_log(Some(&id.to_string()))
    }
}

fn apply(
    tx: &Transaction<'_>,
    key: Option<&Key>,
    actor: &str,
    id: NodeId,
    c: &TriageChange,
) -> Result<()> {
    let t = table(id)?;
    let target = id.to_string();
    let (status, classification, sev, over, owner): (String, String, Option<i64>, Option<i64>, String) = tx
        .query_row(&format!("SELECT status, classification, severity, severity_override, owner FROM {t} WHERE id = ?1"), [id.num()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?
        .ok_or(StoreError::NoSuchNode(id))?;
    if let Some(s) = c.status {
        if s.as_str() != status {
            tx.execute(
                &format!("UPDATE {t} SET status = ?1 WHERE id = ?2"),
                params![s.as_str(), id.num()],
            )?;
            audit(
                tx,
                key,
                actor,
                "status",
                &target,
                &json!({"old": status, "new": s.as_str()}),
            )?;
        }
    }
    if let Some(cl) = c.classification {
        let new = match c.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => format!("{}: {r}", cl.as_str()),
            None => cl.as_str().to_string(),
        };
        if new != classification {
            tx.execute(
                &format!("UPDATE {t} SET classification = ?1 WHERE id = ?2"),
                params![new, id.num()],
            )?;
            audit(
                tx,
                key,
                actor,
                "classification",
                &target,
                &json!({"old": classification, "new": new}),
            )?;
        }
    }
    if let Some(s) = c.severity {
        let old = over
            .or(sev)
            .map(|r| Severity::from_rank(r).as_str())
            .unwrap_or("");
        if old != s.as_str() {
            tx.execute(
                &format!("UPDATE {t} SET severity_override = ?1 WHERE id = ?2"),
                params![s.rank(), id.num()],
            )?;
            audit(
                tx,
                key,
                actor,
                "severity",
                &target,
                &json!({"old": old, "new": s.as_str()}),
            )?;
        }
    }
    if let Some(o) = &c.owner {
        if *o != owner {
            tx.execute(
                &format!("UPDATE {t} SET owner = ?1 WHERE id = ?2"),
                params![o, id.num()],
            )?;
            audit(
                tx,
                key,
                actor,
                "owner",
                &target,
                &json!({"old": owner, "new": o}),
            )?;
        }
    }
    if let Some(n) = c.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        tx.execute(
            "INSERT INTO notes (target, at, actor, text) VALUES (?1, ?2, ?3, ?4)",
            params![target, now(), actor, n],
        )?;
        audit(tx, key, actor, "note", &target, &json!({"text": n}))?;
    }
    for tag in c
        .add_tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        if tx.execute(
            "INSERT OR IGNORE INTO tags (target, tag) VALUES (?1, ?2)",
            params![target, tag],
        )? > 0
        {
            audit(tx, key, actor, "tag", &target, &json!({"added": tag}))?;
        }
    }
    for tag in &c.remove_tags {
        if tx.execute(
            "DELETE FROM tags WHERE target = ?1 AND tag = ?2",
            params![target, tag],
        )? > 0
        {
            audit(tx, key, actor, "tag", &target, &json!({"removed": tag}))?;
        }
    }
    Ok(())
}
