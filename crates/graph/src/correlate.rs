//! Incident correlation: Caseboard groups alerts itself, deterministically, and says why.
//!
//! Two rules, applied in this order; an alert joins at most one derived incident:
//!
//! 1. **Kill chain** (as Defender for Cloud does): alerts on the same host/resource whose
//!    ATT&CK stages follow each other (never going back) within a window from the first alert.
//!    A group needs `min_alerts` alerts and `min_stages` distinct stages. Alerts whose tactics
//!    name no known stage take no part in this rule.
//! 2. **Shared strong entity** (as Sentinel does): alerts involving the same strongly
//!    identified entity within a window from the first alert. Entities that group the most
//!    alerts are tried first.
//!
//! Derived incidents are stored in `incidents` (with `reason`, no source) and
//! `incident_alerts`, keyed by a deterministic external id: running correlation again adds
//! only groups that are new and leaves existing incidents (and hand edits of them) alone.
//! Imported incidents are never touched.

use crate::mitre::Tactics;
use crate::{GraphError, Result};
use cb_domain::{NodeId, Severity};
use cb_store::SqliteStore;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How alerts are grouped. Every field has a default (see [`CorrelationSettings::default`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorrelationSettings {
    /// Apply the kill-chain rule.
    pub kill_chain: bool,
    /// Window of the kill-chain rule, from the group's first alert (default 24 h).
    pub kill_chain_window_minutes: i64,
    /// Distinct ATT&CK stages a kill-chain group needs (default 2).
    pub min_stages: usize,
    /// Apply the shared-strong-entity rule.
    pub shared_entity: bool,
    /// Window of the shared-entity rule, from the group's first alert (default 5 h, Sentinel's
    /// default alert-grouping window).
    pub shared_entity_window_minutes: i64,
    /// Entity kinds the shared-entity rule considers; empty = every kind.
    pub entity_kinds: Vec<String>,
    /// Alerts a derived incident needs (default 2).
    pub min_alerts: usize,
    /// Leave alone alerts that an imported incident already holds (default true).
    pub skip_alerts_in_imported_incidents: bool,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        CorrelationSettings {
            kill_chain: true,
            kill_chain_window_minutes: 24 * 60,
            min_stages: 2,
            shared_entity: true,
            shared_entity_window_minutes: 5 * 60,
            entity_kinds: vec![],
            min_alerts: 2,
            skip_alerts_in_imported_incidents: true,
        }
    }
}

/// One incident correlation derived, with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DerivedIncident {
    /// The stored incident.
    pub id: NodeId,
    pub ext_id: String,
    /// `kill_chain` or `shared_entity`.
    pub rule: String,
    pub title: String,
    pub reason: String,
    /// What the alerts share: the host/resource name, or the entity node id.
    pub shared: String,
    pub alerts: Vec<NodeId>,
    /// Stage of each alert, in alert order (kill-chain rule only).
    pub stages: Vec<String>,
    pub first: String,
    pub last: String,
    pub severity: Option<Severity>,
    /// `false` when an earlier correlation had stored it already.
    pub created: bool,
}

#[derive(Debug, Clone)]
struct A {
    id: i64,
    ext_id: String,
    time: DateTime<Utc>,
    time_s: String,
    severity: Option<i64>,
    tactics: Vec<String>,
    resource: Option<(String, String)>,
}

fn load_alerts(store: &SqliteStore, settings: &CorrelationSettings) -> Result<Vec<A>> {
    let c = store.conn();
    let mut stmt = c.prepare(
        "SELECT a.id, a.ext_id, coalesce(a.start_time, a.generated), a.severity, a.tactics, a.resource_id, a.compromised_entity,
                (SELECT min(e.label) FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
                  WHERE r.src = 'alert:' || a.id AND r.kind = 'involves' AND r.dst LIKE 'entity:%' AND e.kind = 'host'),
                EXISTS (SELECT 1 FROM incident_alerts ia JOIN incidents i ON i.id = ia.incident_id WHERE ia.alert_ext_id = a.ext_id AND i.reason IS NULL),
                a.contains_alerts
         FROM alerts a ORDER BY a.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, bool>(8)?,
            r.get::<_, String>(9)?,
        ))
    })?;
    let mut out = vec![];
    for r in rows {
        let (
            id,
            ext_id,
            time,
            severity,
            tactics,
            resource_id,
            compromised,
            host,
            in_imported,
            contains,
        ) = r?;
        // alerts that group other alerts (fusion "incident" alerts) are incidents already
        let groups: Vec<String> = serde_json::from_str(&contains).unwrap_or_default();
        if !groups.is_empty() || (in_imported && settings.skip_alerts_in_imported_incidents) {
            continue;
        }
        let Some(time_s) = time else { continue };
        let Some(t) = cb_domain::time::parse(&time_s) else {
            continue;
        };
        let short = |s: &str| s.split('.').next().unwrap_or(s).trim().to_lowercase();
        let resource = if let Some(h) = host.filter(|h| !h.trim().is_empty()) {
            Some((format!("host:{}", short(&h)), format!("host {}", short(&h))))
        } else if !compromised.trim().is_empty() {
            Some((
                format!("host:{}", short(&compromised)),
                format!("host {}", short(&compromised)),
            ))
        } else if !resource_id.trim().is_empty() {
            let r = resource_id.trim().to_lowercase();
            let name = r
                .rsplit('/')
                .find(|s| !s.is_empty())
                .unwrap_or(&r)
                .to_string();
            Some((format!("resource:{r}"), format!("resource {name}")))
        } else {
            None
        };
        out.push(A {
            id,
            ext_id,
            time: t,
            time_s: cb_domain::time::format(&t),
            severity,
            tactics: serde_json::from_str(&tactics).unwrap_or_default(),
            resource,
        });
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// (entity kind, label, indices of the alerts involving it)
type EntityAlerts = (String, String, Vec<usize>);

struct Group {
    rule: &'static str,
    key: String,
    title: String,
    reason: String,
    shared: String,
    members: Vec<usize>,
    stages: Vec<String>,
}

fn kill_chain(
    alerts: &[A],
    s: &CorrelationSettings,
    used: &mut HashSet<usize>,
    out: &mut Vec<Group>,
) -> Result<()> {
    let tactics = Tactics::bundled()?;
    let window = Duration::minutes(s.kill_chain_window_minutes);
    // resource key -> (label, indices in time order)
    let mut by_res: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        if let Some((k, label)) = &a.resource {
            by_res
                .entry(k.clone())
                .or_insert_with(|| (label.clone(), vec![]))
                .1
                .push(i);
        }
    }
    for (key, (label, idx)) in by_res {
        let staged: Vec<(usize, &crate::mitre::Tactic)> = idx
            .iter()
            .filter_map(|&i| {
                tactics
                    .earliest(alerts[i].tactics.iter().map(String::as_str))
                    .map(|t| (i, t))
            })
            .collect();
        let mut taken = vec![false; staged.len()];
        for start in 0..staged.len() {
            if taken[start] || used.contains(&staged[start].0) {
                continue;
            }
            let t0 = alerts[staged[start].0].time;
            let mut members = vec![start];
            for j in start + 1..staged.len() {
                if taken[j] || used.contains(&staged[j].0) {
                    continue;
                }
                if alerts[staged[j].0].time - t0 > window {
                    break;
                }
                let last = staged[*members.last().unwrap_or(&start)].1.stage;
                if staged[j].1.stage >= last {
                    members.push(j);
                }
            }
            let distinct: HashSet<usize> = members.iter().map(|&m| staged[m].1.stage).collect();
            if members.len() < s.min_alerts.max(1) || distinct.len() < s.min_stages.max(1) {
                continue;
            }
            for &m in &members {
                taken[m] = true;
                used.insert(staged[m].0);
            }
            let stages: Vec<String> = members.iter().map(|&m| staged[m].1.name.clone()).collect();
            let mut chain: Vec<&str> = vec![];
            for st in &stages {
                if chain.last() != Some(&st.as_str()) {
                    chain.push(st);
                }
            }
            let first = &alerts[staged[members[0]].0];
            let last = &alerts[staged[*members.last().unwrap_or(&0)].0];
            out.push(Group {
                rule: "kill_chain",
                key: format!("{key}|{}", first.ext_id),
                title: format!("Kill chain on {label}: {}", chain.join(" → ")),
                reason: format!(
                    "{} alerts on {label} between {} and {}: {}",
                    members.len(),
                    first.time_s,
                    last.time_s,
                    chain.join(" → ")
                ),
                shared: label.clone(),
                members: members.iter().map(|&m| staged[m].0).collect(),
                stages,
            });
        }
    }
    Ok(())
}

fn shared_entity(
    store: &SqliteStore,
    alerts: &[A],
    s: &CorrelationSettings,
    used: &mut HashSet<usize>,
    out: &mut Vec<Group>,
) -> Result<()> {
    let window = Duration::minutes(s.shared_entity_window_minutes);
    let pos: HashMap<i64, usize> = alerts.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    // strong entity -> alerts involving it
    let mut stmt = store.conn().prepare(
        "SELECT e.id, e.kind, e.label, CAST(substr(r.src, 7) AS INTEGER) FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
         WHERE r.kind = 'involves' AND r.src LIKE 'alert:%' AND r.dst LIKE 'entity:%' AND e.strength = 'strong'
         ORDER BY e.id",
    )?;
    let mut ents: BTreeMap<i64, EntityAlerts> = BTreeMap::new();
    for r in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })? {
        let (e, kind, label, a) = r?;
        if !s.entity_kinds.is_empty()
            && !s.entity_kinds.iter().any(|k| k.eq_ignore_ascii_case(&kind))
        {
            continue;
        }
        if let Some(&i) = pos.get(&a) {
            let v = &mut ents.entry(e).or_insert_with(|| (kind, label, vec![])).2;
            if !v.contains(&i) {
                v.push(i);
            }
        }
    }
    let mut order: Vec<(i64, EntityAlerts)> = ents
        .into_iter()
        .filter(|(_, v)| v.2.len() >= s.min_alerts.max(2))
        .collect();
    order.sort_by(|a, b| b.1 .2.len().cmp(&a.1 .2.len()).then(a.0.cmp(&b.0)));
    for (e, (kind, label, mut idx)) in order {
        idx.sort();
        let mut k = 0;
        while k < idx.len() {
            if used.contains(&idx[k]) {
                k += 1;
                continue;
            }
            let t0 = alerts[idx[k]].time;
            let mut members = vec![idx[k]];
            let mut j = k + 1;
            while j < idx.len() && alerts[idx[j]].time - t0 <= window {
                if !used.contains(&idx[j]) {
                    members.push(idx[j]);
                }
                j += 1;
            }
            k = j;
            if members.len() < s.min_alerts.max(2) {
                continue;
            }
            used.extend(members.iter().copied());
            let first = &alerts[members[0]];
            let last = &alerts[*members.last().unwrap_or(&members[0])];
            let node = NodeId::Entity(e);
            out.push(Group {
                rule: "shared_entity",
                key: format!("{node}|{}", first.ext_id),
                title: format!("Alerts sharing {kind} {label}"),
                reason: format!(
                    "{} alerts sharing {kind} {label} ({node}) between {} and {}",
                    members.len(),
                    first.time_s,
                    last.time_s
                ),
                shared: node.to_string(),
                members,
                stages: vec![],
            });
        }
    }
    Ok(())
}

/// Group the case's alerts into derived incidents (see the module doc) and store the new ones.
/// Returns every group the rules find, stored before or now, in a stable order.
pub fn correlate(
    store: &mut SqliteStore,
    settings: &CorrelationSettings,
) -> Result<Vec<DerivedIncident>> {
    let alerts = load_alerts(store, settings)?;
    let mut used = HashSet::new();
    let mut groups = vec![];
    if settings.kill_chain {
        kill_chain(&alerts, settings, &mut used, &mut groups)?;
    }
    if settings.shared_entity {
        shared_entity(store, &alerts, settings, &mut used, &mut groups)?;
    }
    let mut out = vec![];
    let mut new = vec![];
    for g in groups {
        let ext_id = format!("caseboard:{}:{}", g.rule, g.key);
        let existing: Option<i64> = store
            .conn()
            .prepare_cached("SELECT id FROM incidents WHERE ext_id = ?1")?
            .query_row([&ext_id], |r| r.get(0))
            .optional()?;
        let members: Vec<&A> = g.members.iter().map(|&i| &alerts[i]).collect();
        let sev = members.iter().filter_map(|a| a.severity).max();
        let d = DerivedIncident {
            id: NodeId::Incident(existing.unwrap_or(0)),
            ext_id,
            rule: g.rule.to_string(),
            title: g.title,
            reason: g.reason,
            shared: g.shared,
            alerts: members.iter().map(|a| NodeId::Alert(a.id)).collect(),
            stages: g.stages,
            first: members
                .first()
                .map(|a| a.time_s.clone())
                .unwrap_or_default(),
            last: members.last().map(|a| a.time_s.clone()).unwrap_or_default(),
            severity: sev.map(Severity::from_rank),
            created: existing.is_none(),
        };
        if existing.is_none() {
            let ext: Vec<String> = members.iter().map(|a| a.ext_id.clone()).collect();
            new.push((out.len(), ext));
        }
        out.push(d);
    }
    if !new.is_empty() {
        let detail = serde_json::json!({
            "settings": settings,
            "created": new.iter().map(|(i, ext)| serde_json::json!({"ext_id": out[*i].ext_id, "reason": out[*i].reason, "alerts": ext})).collect::<Vec<_>>(),
        });
        let ids = store.write("incident.correlate", "incidents", detail, |tx| {
            let mut ids = vec![];
            for (i, ext) in &new {
                let d = &out[*i];
                let props = serde_json::json!({"rule": d.rule, "shared": d.shared, "stages": d.stages});
                let mut tactics: Vec<&String> = vec![];
                for s in &d.stages {
                    if !tactics.contains(&s) {
                        tactics.push(s);
                    }
                }
                tx.execute(
                    "INSERT INTO incidents (ext_id, title, number, severity, status, description, created, first_activity, last_activity,
                     provider, tactics, labels, reason, props, raw, source_id, record)
                     VALUES (?1, ?2, NULL, ?3, 'Active', ?4, ?5, ?6, ?7, 'Caseboard', ?8, '[]', ?4, ?9, '{}', NULL, NULL)",
                    params![
                        d.ext_id,
                        d.title,
                        d.severity.map(|s| s.rank()),
                        d.reason,
                        d.last,
                        d.first,
                        d.last,
                        serde_json::to_string(&tactics).unwrap_or_else(|_| "[]".into()),
                        props.to_string()
                    ],
                )?;
                let id = tx.last_insert_rowid();
                for a in ext {
                    tx.execute("INSERT OR IGNORE INTO incident_alerts (incident_id, alert_ext_id) VALUES (?1, ?2)", params![id, a])?;
                }
                ids.push((*i, id));
            }
            Ok(ids)
        })?;
        for (i, id) in ids {
            out[i].id = NodeId::Incident(id);
        }
    }
    Ok(out)
}

fn ext_ids(store: &SqliteStore, incident: NodeId, alert: NodeId) -> Result<String> {
    let NodeId::Incident(i) = incident else {
        return Err(GraphError::NoSuchIncident(incident));
    };
    let NodeId::Alert(a) = alert else {
        return Err(GraphError::Invalid(format!("{alert} is not an alert")));
    };
    let c = store.conn();
    c.prepare_cached("SELECT id FROM incidents WHERE id = ?1")?
        .query_row([i], |r| r.get::<_, i64>(0))
        .optional()?
        .ok_or(GraphError::NoSuchIncident(incident))?;
    let ext = c
        .prepare_cached("SELECT ext_id FROM alerts WHERE id = ?1")?
        .query_row([a], |r| r.get::<_, String>(0))
        .optional()?;
    ext.ok_or(GraphError::NoSuchNode(alert))
}

/// Add an alert to an incident by hand (audited). `false` when it was there already.
pub fn add_alert(store: &mut SqliteStore, incident: NodeId, alert: NodeId) -> Result<bool> {
    let ext = ext_ids(store, incident, alert)?;
    let detail = serde_json::json!({"alert": alert, "alert_ext_id": ext});
    let n = store.write("incident.add_alert", &incident.to_string(), detail, |tx| {
        Ok(tx.execute(
            "INSERT OR IGNORE INTO incident_alerts (incident_id, alert_ext_id) VALUES (?1, ?2)",
            params![incident.num(), ext],
        )?)
    })?;
    Ok(n > 0)
}

/// Remove an alert from an incident by hand (audited). `false` when it was not in it.
pub fn remove_alert(store: &mut SqliteStore, incident: NodeId, alert: NodeId) -> Result<bool> {
    let ext = ext_ids(store, incident, alert)?;
    let detail = serde_json::json!({"alert": alert, "alert_ext_id": ext});
    let n = store.write(
        "incident.remove_alert",
        &incident.to_string(),
        detail,
        |tx| {
            Ok(tx.execute(
                "DELETE FROM incident_alerts WHERE incident_id = ?1 AND alert_ext_id = ?2",
                params![incident.num(), ext],
            )?)
        },
    )?;
    Ok(n > 0)
}
