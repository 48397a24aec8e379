//! Detection over a case: run Sigma rules (cb-sigma) over every stored event and store each
//! match as evidence of an alert. Matches of one rule on one host are one alert (count,
//! first/last time), linked `evidence` to its events and `involves` to the entities those events
//! mention (process, host, account, file…), so an alert from a rule opens a map like an
//! imported one. Running again with the same rules adds nothing; every run is audited.

use crate::{ApiError, ApiResult, Case};
use cb_domain::{Severity, Status};
pub use cb_sigma::{Failure, Level, Selection};
use cb_sigma::{RuleMeta, RuleSet};
use cb_store::{SqliteStore, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Events linked to one alert at most (the count says how many matched).
pub const MAX_LINKED_EVENTS: usize = 100;

/// `ext_id` prefix of alerts Caseboard's rules raised.
pub const EXT_PREFIX: &str = cb_store::DETECTION_EXT_PREFIX;

/// Which rules to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectSettings {
    /// Status/level selection (default: stable + test, level ≥ medium).
    pub selection: Selection,
    /// Run the bundled SigmaHQ rules.
    pub bundled: bool,
    /// Rule folders or files the analyst adds.
    pub rule_dirs: Vec<PathBuf>,
}

impl Default for DetectSettings {
    fn default() -> Self {
        DetectSettings {
            selection: Selection::default(),
            bundled: true,
            rule_dirs: vec![],
        }
    }
}

impl DetectSettings {
    pub fn load(&self) -> (RuleSet, cb_sigma::LoadReport) {
        if self.bundled {
            RuleSet::load_bundled_and(&self.rule_dirs, &self.selection)
        } else {
            RuleSet::load(&self.rule_dirs, &self.selection)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesReport {
    pub loaded: usize,
    pub failed: Vec<Failure>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsReport {
    pub added: u64,
    pub updated: u64,
}

/// What a run did: the `caseboard detect --json` contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectReport {
    pub rules: RulesReport,
    pub alerts: AlertsReport,
    /// Event × rule matches.
    pub matches: u64,
    /// Events read.
    pub events: u64,
}

/// Progress of a run (events read of the case's total).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DetectProgress {
    pub events: u64,
    pub events_total: u64,
}

/// One rule's matches on one host.
#[derive(Debug, Default)]
struct Group {
    count: u64,
    first: Option<String>,
    last: Option<String>,
    events: Vec<i64>,
    /// Provenance of the first match: its evidence file and record.
    source_id: i64,
    record: i64,
}

impl Group {
    fn add(&mut self, event: i64, time: Option<&str>) {
        self.count += 1;
        if let Some(t) = time {
            if self.first.as_deref().is_none_or(|f| t < f) {
                self.first = Some(t.to_string());
            }
            if self.last.as_deref().is_none_or(|l| t > l) {
                self.last = Some(t.to_string());
            }
        }
        if self.events.len() < MAX_LINKED_EVENTS {
            self.events.push(event);
        }
    }
}

/// `caseboard detect`: run the rules over every event of the case, then correlate, so the
/// detection alerts join derived incidents like any other alert.
pub fn detect_case(
    case: &mut Case,
    settings: &DetectSettings,
    progress: &mut dyn FnMut(DetectProgress) -> bool,
) -> ApiResult<DetectReport> {
    let report = detect(&mut case.store, settings, progress)?;
    cb_graph::correlate(&mut case.store, &cb_graph::CorrelationSettings::default())?;
    Ok(report)
}

/// Run the rules over every event of the case. `progress` is called every 1000 events;
/// returning `false` cancels (nothing is written).
pub fn detect(
    store: &mut SqliteStore,
    settings: &DetectSettings,
    progress: &mut dyn FnMut(DetectProgress) -> bool,
) -> Result<DetectReport, ApiError> {
    let (rules, loaded) = settings.load();
    let mut report = DetectReport {
        rules: RulesReport {
            loaded: loaded.loaded,
            failed: loaded.failed,
        },
        ..Default::default()
    };
    let Some((groups, hosts)) = scan(store, &rules, &mut report, progress)? else {
        return Err(ApiError::Cancelled {
            path: store.path().into(),
        });
    };
    let labels: HashMap<String, String> = hosts.into_values().flatten().collect();
    let detail = json!({
        "rules": report.rules.loaded,
        "failed": report.rules.failed.len(),
        "matches": report.matches,
        "groups": groups.len(),
    });
    let (added, updated) = store.write("detect", "case", detail, |tx| {
        let mut added = 0;
        let mut updated = 0;
        for ((rule, host), g) in &groups {
            let meta = &rules.rule(*rule).meta;
            let label = labels.get(host).cloned().unwrap_or_default();
            match store_group_as(tx, meta, host, &label, g, false)? {
                Stored::Added => added += 1,
                Stored::Updated => updated += 1,
                Stored::Same => {}
            }
        }
        Ok((added, updated))
    })?;
    report.alerts = AlertsReport { added, updated };
    Ok(report)
}

type Groups = BTreeMap<(usize, String), Group>;
type Hosts = HashMap<i64, Option<(String, String)>>;

/// Read every event once; `None` when cancelled.
fn scan(
    store: &SqliteStore,
    rules: &RuleSet,
    report: &mut DetectReport,
    progress: &mut dyn FnMut(DetectProgress) -> bool,
) -> Result<Option<(Groups, Hosts)>, StoreError> {
    let total: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let mut groups: Groups = BTreeMap::new();
    let mut hosts: Hosts = HashMap::new();
    {
        let conn = store.conn();
        let mut stmt = conn.prepare(
            "SELECT id, source_id, record, source, channel, event_id, time, fields FROM events ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            report.events += 1;
            if report.events.is_multiple_of(1000)
                && !progress(DetectProgress {
                    events: report.events,
                    events_total: total as u64,
                })
            {
                return Ok(None);
            }
            let mut ev = cb_domain::EventRecord {
                source: r.get(3)?,
                channel: r.get(4)?,
                event_id: r.get(5)?,
                time: r.get(6)?,
                ..Default::default()
            };
            if !rules.may_match(&ev) {
                continue;
            }
            ev.fields = store.fields().decode(conn, r.get_ref(7)?);
            let hit = rules.matches(&ev);
            if hit.is_empty() {
                continue;
            }
            let id: i64 = r.get(0)?;
            let host = event_host(conn, id, &mut hosts)?;
            let host_key = host.as_ref().map(|h| h.0.clone()).unwrap_or_default();
            for rule in hit {
                report.matches += 1;
                let g = groups.entry((rule, host_key.clone())).or_default();
                if g.count == 0 {
                    g.source_id = r.get(1)?;
                    g.record = r.get(2)?;
                }
                g.add(id, ev.time.as_deref());
            }
        }
    }
    if !progress(DetectProgress {
        events: report.events,
        events_total: total as u64,
    }) {
        return Ok(None);
    }
    Ok(Some((groups, hosts)))
}

/// The host entity an event mentions: (identity key, label), cached per entity.
fn event_host(
    conn: &rusqlite::Connection,
    event: i64,
    cache: &mut HashMap<i64, Option<(String, String)>>,
) -> Result<Option<(String, String)>, StoreError> {
    let host: Option<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT e.id, e.key, e.label FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
             WHERE r.src = ?1 AND r.kind = 'mentions' AND r.dst LIKE 'entity:%' AND e.kind = 'host' ORDER BY e.id LIMIT 1",
        )?
        .query_row([format!("event:{event}")], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(host.and_then(|(id, key, label)| {
        cache
            .entry(id)
            .or_insert_with(|| Some((key, label)))
            .clone()
    }))
}

enum Stored {
    Added,
    Updated,
    Same,
}

fn severity(l: Level) -> Severity {
    match l {
        Level::Informational => Severity::Informational,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High | Level::Critical => Severity::High,
    }
}

/// The `rule` object of an alert's extended properties (and of `caseboard alerts --json`).
pub fn rule_json(m: &RuleMeta) -> Value {
    json!({"id": m.id, "title": m.title, "level": m.level.as_str(), "file": m.file})
}

/// Insert or update the alert of one group. `increment`: `g` counts new matches only (an
/// import), added to the alert's count; else `g` counts every match in the case.
fn store_group_as(
    tx: &Transaction<'_>,
    m: &RuleMeta,
    host: &str,
    host_label: &str,
    g: &Group,
    increment: bool,
) -> Result<Stored, StoreError> {
    let ext_id = format!(
        "{EXT_PREFIX}{}:{}",
        m.id,
        if host.is_empty() { "-" } else { host }
    );
    let mut extended = Map::new();
    extended.insert("rule".into(), rule_json(m));
    extended.insert("count".into(), g.count.into());
    extended.insert("status".into(), m.status.clone().into());
    extended.insert("author".into(), m.author.clone().into());
    extended.insert("references".into(), json!(m.references));
    extended.insert("falsepositives".into(), json!(m.falsepositives));
    extended.insert("condition".into(), json!(m.condition));
    extended.insert("tags".into(), json!(m.tags));
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, extended FROM alerts WHERE ext_id = ?1",
            [&ext_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (id, outcome) = match existing {
        Some((id, old)) => {
            let old: Map<String, Value> = serde_json::from_str(&old).unwrap_or_default();
            let old_count = old.get("count").and_then(Value::as_u64).unwrap_or(0);
            if increment {
                extended.insert("count".into(), (old_count + g.count).into());
            }
            if !increment && old_count >= g.count {
                (id, Stored::Same)
            } else {
                tx.execute(
                    "UPDATE alerts SET extended = ?2, start_time = min(coalesce(start_time, ?3), ?3), end_time = max(coalesce(end_time, ?4), ?4) WHERE id = ?1",
                    params![id, serde_json::to_string(&extended).unwrap_or_default(), g.first, g.last],
                )?;
                (id, Stored::Updated)
            }
        }
        None => {
            let raw = json!({"rule": rule_json(m), "host": host_label, "count": g.count});
            tx.execute(
                "INSERT INTO alerts (ext_id, name, alert_type, severity, status, provider, product, vendor, description, remediation, tactics, techniques,
                 start_time, end_time, generated, compromised_entity, resource_id, extended, contains_alerts, raw, source_id, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'Caseboard', 'Sigma', 'SigmaHQ', ?6, '[]', ?7, ?8, ?9, ?10, ?9, ?11, '', ?12, '[]', ?13, ?14, ?15)",
                params![
                    ext_id,
                    m.title,
                    format!("{EXT_PREFIX}{}", m.id),
                    severity(m.level).rank(),
                    Status::Active.as_str(),
                    m.description,
                    serde_json::to_string(&m.tactics()).unwrap_or_default(),
                    serde_json::to_string(&m.techniques()).unwrap_or_default(),
                    g.first,
                    g.last,
                    host_label,
                    serde_json::to_string(&extended).unwrap_or_default(),
                    raw.to_string(),
                    g.source_id,
                    g.record
                ],
            )?;
            (tx.last_insert_rowid(), Stored::Added)
        }
    };
    if matches!(outcome, Stored::Same) {
        return Ok(outcome);
    }
    let alert = format!("alert:{id}");
    for ev in &g.events {
        let event = format!("event:{ev}");
        link(tx, &alert, &event, "evidence")?;
        let mut ents = tx.prepare_cached(
            "SELECT DISTINCT dst FROM relations WHERE src = ?1 AND kind = 'mentions' AND dst LIKE 'entity:%'",
        )?;
        let found: Vec<String> = ents
            .query_map([&event], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for e in found {
            link(tx, &alert, &e, "involves")?;
        }
    }
    Ok(outcome)
}

/// One relation row unless it is there already.
fn link(tx: &Transaction<'_>, from: &str, to: &str, kind: &str) -> Result<(), StoreError> {
    let have: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM relations WHERE src = ?1 AND dst = ?2 AND kind = ?3")?
        .query_row(params![from, to, kind], |r| r.get(0))
        .optional()?;
    if have.is_none() {
        tx.prepare_cached(
            "INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, ?3, '{}', NULL, NULL)",
        )?
        .execute(params![from, to, kind])?;
    }
    Ok(())
}

/// The rule an alert came from (`None` for imported alerts), from its extended properties.
pub fn alert_rule(store: &SqliteStore, alert: i64) -> Result<Option<Value>, StoreError> {
    let ext: Option<(String, String)> = store
        .conn()
        .query_row(
            "SELECT ext_id, extended FROM alerts WHERE id = ?1",
            [alert],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(ext.and_then(|(ext_id, extended)| {
        if !ext_id.starts_with(EXT_PREFIX) {
            return None;
        }
        let v: Value = serde_json::from_str(&extended).ok()?;
        v.get("rule").cloned()
    }))
}

/// Detection streamed with an import: [`Streamed::watch`] wraps the import's sink and tests
/// each event as it is stored; [`Streamed::store`] then writes the alerts (one audited
/// transaction per file, after the file's own).
pub struct Streamed<'r> {
    rules: &'r RuleSet,
    groups: Groups,
    /// Host entities met in this import (node → key): the import's entity cache calls the
    /// sink once per entity and file, so hosts are learnt from those calls.
    hosts: HashMap<cb_domain::NodeId, String>,
    /// The last event's matches, waiting for its `mentions` links to name its host.
    pending: Option<Pending>,
    /// Host entity key → label.
    labels: HashMap<String, String>,
    pub matches: u64,
}

impl<'r> Streamed<'r> {
    pub fn new(rules: &'r RuleSet) -> Self {
        Streamed {
            rules,
            groups: BTreeMap::new(),
            hosts: HashMap::new(),
            pending: None,
            labels: HashMap::new(),
            matches: 0,
        }
    }

    /// After the import of one file: its source (the alerts' provenance) when it was stored,
    /// `None` when it was not (refused, cancelled, a duplicate): its matches are dropped.
    pub fn finish_file(&mut self, source_id: Option<i64>) {
        self.flush();
        self.hosts.clear();
        match source_id {
            Some(id) => {
                for g in self.groups.values_mut() {
                    if g.source_id == 0 {
                        g.source_id = id;
                    }
                }
            }
            None => self.groups.clear(),
        }
    }

    fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        for rule in p.rules {
            let g = self.groups.entry((rule, p.host.clone())).or_default();
            if g.count == 0 {
                g.record = p.record;
            }
            g.add(p.event, p.time.as_deref());
        }
    }

    pub fn watch<'a>(&'a mut self, inner: &'a mut dyn cb_domain::Sink) -> Watching<'a, 'r> {
        Watching { inner, det: self }
    }

    /// Write what the last import matched (nothing when it matched nothing); counts add to
    /// alerts already in the case.
    pub fn store(&mut self, store: &mut SqliteStore) -> Result<AlertsReport, ApiError> {
        let groups = std::mem::take(&mut self.groups);
        if groups.is_empty() {
            return Ok(AlertsReport::default());
        }
        let rules = self.rules;
        let labels = &self.labels;
        let detail = json!({"streamed": true, "matches": groups.values().map(|g| g.count).sum::<u64>(), "groups": groups.len()});
        let (added, updated) = store.write("detect", "case", detail, |tx| {
            let (mut added, mut updated) = (0, 0);
            for ((rule, host), g) in &groups {
                let label = labels.get(host).cloned().unwrap_or_default();
                match store_group_as(tx, &rules.rule(*rule).meta, host, &label, g, true)? {
                    Stored::Added => added += 1,
                    Stored::Updated => updated += 1,
                    Stored::Same => {}
                }
            }
            Ok((added, updated))
        })?;
        Ok(AlertsReport { added, updated })
    }
}

struct Pending {
    event: i64,
    rules: Vec<usize>,
    time: Option<String>,
    record: i64,
    host: String,
}

/// The import's sink, watched.
pub struct Watching<'a, 'r> {
    inner: &'a mut dyn cb_domain::Sink,
    det: &'a mut Streamed<'r>,
}

impl Watching<'_, '_> {
    /// After the store took event `id`: match it against the rules.
    fn watch(
        &mut self,
        id: cb_domain::NodeId,
        rec: &cb_domain::EventRecord,
        record: cb_domain::RecordNo,
    ) -> cb_domain::NodeId {
        self.det.flush();
        if !self.det.rules.may_match(rec) {
            return id;
        }
        let hit = self.det.rules.matches(rec);
        if hit.is_empty() {
            return id;
        }
        self.det.matches += hit.len() as u64;
        self.det.pending = Some(Pending {
            event: id.num(),
            rules: hit,
            time: rec.time.clone(),
            record: record as i64,
            host: String::new(),
        });
        id
    }
}

impl cb_domain::Sink for Watching<'_, '_> {
    fn entity(
        &mut self,
        rec: &cb_domain::EntityRecord,
        host_key: Option<&str>,
        record: cb_domain::RecordNo,
    ) -> Result<(cb_domain::NodeId, String), cb_domain::SinkError> {
        let out = self.inner.entity(rec, host_key, record)?;
        if rec.kind == "host" {
            let label = rec
                .get("FQDN")
                .or_else(|| rec.get("HostName"))
                .unwrap_or_default();
            self.det.labels.entry(out.1.clone()).or_insert(label);
            self.det.hosts.insert(out.0, out.1.clone());
        }
        Ok(out)
    }
    fn alert(
        &mut self,
        rec: &cb_domain::AlertRecord,
        raw: &Value,
        record: cb_domain::RecordNo,
    ) -> Result<cb_domain::NodeId, cb_domain::SinkError> {
        self.inner.alert(rec, raw, record)
    }
    fn incident(
        &mut self,
        rec: &cb_domain::IncidentRecord,
        raw: &Value,
        record: cb_domain::RecordNo,
    ) -> Result<cb_domain::NodeId, cb_domain::SinkError> {
        self.inner.incident(rec, raw, record)
    }
    fn event(
        &mut self,
        rec: &cb_domain::EventRecord,
        record: cb_domain::RecordNo,
    ) -> Result<cb_domain::NodeId, cb_domain::SinkError> {
        let id = self.inner.event(rec, record)?;
        Ok(self.watch(id, rec, record))
    }
    fn event_text(
        &mut self,
        rec: &cb_domain::EventRecord,
        fields_json: &str,
        prepared: &cb_domain::PreparedEvent,
        record: cb_domain::RecordNo,
    ) -> Result<cb_domain::NodeId, cb_domain::SinkError> {
        let id = self.inner.event_text(rec, fields_json, prepared, record)?;
        Ok(self.watch(id, rec, record))
    }
    fn preparer(&mut self) -> Option<cb_domain::EventPreparer> {
        self.inner.preparer()
    }
    fn relation(
        &mut self,
        from: cb_domain::NodeId,
        to: cb_domain::NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: cb_domain::RecordNo,
    ) -> Result<(), cb_domain::SinkError> {
        if kind == "mentions" {
            if let Some(p) = self.det.pending.as_mut() {
                if from == cb_domain::NodeId::Event(p.event) && p.host.is_empty() {
                    if let Some(h) = self.det.hosts.get(&to) {
                        p.host = h.clone();
                    }
                }
            }
        }
        self.inner.relation(from, to, kind, props, record)
    }
    fn relation_per_file(
        &mut self,
        from: cb_domain::NodeId,
        to: cb_domain::NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: cb_domain::RecordNo,
    ) -> Result<(), cb_domain::SinkError> {
        self.inner.relation_per_file(from, to, kind, props, record)
    }
    fn skip(&mut self, record: cb_domain::RecordNo, reason: String) {
        self.inner.skip(record, reason)
    }
    fn progress(&mut self, records: u64, bytes: u64) -> Result<(), cb_domain::SinkError> {
        self.inner.progress(records, bytes)
    }
}
