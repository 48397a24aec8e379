//! Sigma detection rules over raw events.
//!
//! * [`RuleSet::load`] reads Sigma YAML rules (files or folders), compiles each into a matcher
//!   and reports every rule it cannot compile with its file and the reason — one bad rule never
//!   stops the others;
//! * [`RuleSet::matches`] tests one event ([`cb_domain::EventRecord`], the flat field map the
//!   importers store) against the rules whose `logsource` covers it: rules are indexed by
//!   Windows channel + EventID (Sigma taxonomy, see [`logsource`]) or event source, so an event
//!   only meets the rules that can apply.
//!
//! Pure: no clock, no environment, no printing.
#![forbid(unsafe_code)]

mod cond;
pub mod logsource;
mod value;

pub use logsource::LogSource;
pub use value::Placeholders;

use cb_domain::EventRecord;
use cond::Cond;
use logsource::Target;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use value::{Matcher, Op, Pat, Shape};
use yaml_serde::Value as Yaml;

/// Sigma `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// Which rules to load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Selection {
    /// Accepted `status` values (lower case); empty = any.
    pub statuses: Vec<String>,
    pub min_level: Level,
    /// `expand` placeholder values (`known_cdcs` → […]).
    #[serde(default)]
    pub placeholders: Placeholders,
}

impl Default for Selection {
    /// The product default: stable and test rules of level medium and above.
    fn default() -> Self {
        Selection {
            statuses: vec!["stable".into(), "test".into()],
            min_level: Level::Medium,
            placeholders: Placeholders::new(),
        }
    }
}

impl Selection {
    /// Every rule (any status, any level): what the regression cases are run with.
    pub fn all() -> Self {
        Selection {
            statuses: vec![],
            min_level: Level::Informational,
            placeholders: Placeholders::new(),
        }
    }
}

/// What a rule says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub status: String,
    pub level: Level,
    pub description: String,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    pub tags: Vec<String>,
    pub author: String,
    /// The rule file, relative to the folder it was loaded from (with that folder's name).
    pub file: String,
    pub logsource: LogSource,
    /// The condition as written (several = OR).
    pub condition: Vec<String>,
}

impl RuleMeta {
    /// ATT&CK tactics from `attack.<tactic>` tags (`attack.defense-evasion` →
    /// `defense-evasion`).
    pub fn tactics(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| !is_technique(t) && !is_group_or_software(t))
            .map(|t| t.replace('_', "-"))
            .collect()
    }
    /// ATT&CK techniques from `attack.tNNNN[.NNN]` tags, upper case (`T1059.001`).
    pub fn techniques(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| is_technique(t))
            .map(|t| t.to_ascii_uppercase())
            .collect()
    }
}

fn is_technique(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 5 && (b[0] == b't' || b[0] == b'T') && b[1..5].iter().all(u8::is_ascii_digit)
}

fn is_group_or_software(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 5
        && matches!(b[0], b'g' | b's' | b'G' | b'S')
        && b[1..5].iter().all(u8::is_ascii_digit)
}

/// A rule that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub file: String,
    pub reason: String,
}

/// What loading did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    pub loaded: usize,
    pub failed: Vec<Failure>,
    /// Compiled, but for logs Caseboard does not import (web proxies, macOS, Okta…).
    pub other_logsource: usize,
    /// Left out by the selection (status, level, deprecated).
    pub not_selected: usize,
}

/// One search identifier's definition.
#[derive(Debug)]
enum Search {
    /// A map: every field test holds.
    All(Vec<FieldTest>),
    /// A list of maps / keyword values: any holds.
    Any(Vec<Search>),
    /// Keyword values matched against any field (`all` = each value somewhere).
    Keywords {
        values: Vec<Vec<Matcher>>,
        all: bool,
    },
}

#[derive(Debug)]
struct FieldTest {
    /// Interned field name.
    field: usize,
    op: Op,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    searches: Vec<Search>,
    cond: Cond,
    targets: Vec<Target>,
}

/// Field names the rules use, interned; plus fallbacks where event formats name a field
/// differently (`Provider_Name` is `Provider` in flattened EVTX, `SourceName` in OTRF JSON).
#[derive(Debug, Default)]
struct Fields {
    names: Vec<String>,
    ids: HashMap<String, usize>,
    /// Interned fields with a dot (nested JSON paths).
    dotted: Vec<usize>,
}

const FALLBACKS: &[(&str, &[&str])] = &[
    ("Provider_Name", &["Provider", "SourceName", "ProviderName"]),
    ("EventLog", &["Channel", "log_name"]),
    ("Channel", &["log_name"]),
    ("Computer", &["Hostname", "computer_name"]),
];

impl Fields {
    fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        if name.contains('.') {
            self.dotted.push(i);
        }
        i
    }
}

/// Rules compiled and indexed by the events they apply to.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    fields: Fields,
    /// channel (lower case) → EventID → rules (index, read through the 4688 alias).
    by_channel: HashMap<String, ChannelRules>,
    any_windows: Vec<u32>,
    by_source: HashMap<String, Vec<u32>>,
    /// Sigma field → 4688 field, interned ids.
    alias_4688: Vec<(usize, String)>,
}

#[derive(Debug, Default)]
struct ChannelRules {
    any: Vec<(u32, bool)>,
    by_eid: HashMap<u32, Vec<(u32, bool)>>,
}

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// Number of rule files bundled with the app (SigmaHQ `rules/`, `rules-emerging-threats/`,
/// `rules-threat-hunting/`, DRL 1.1).
pub fn bundled_files() -> usize {
    bundled::BUNDLED.len()
}

/// A YAML rule text with the name it is reported under.
pub struct RuleText<'a> {
    pub file: String,
    pub text: &'a str,
}

impl RuleSet {
    /// Load every `.yml`/`.yaml` under each path (files or folders, walked in name order).
    pub fn load(paths: &[PathBuf], sel: &Selection) -> (RuleSet, LoadReport) {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        set.add_paths(paths, sel, &mut report);
        (set, report)
    }

    /// Add every `.yml`/`.yaml` under each path.
    pub fn add_paths(&mut self, paths: &[PathBuf], sel: &Selection, report: &mut LoadReport) {
        for root in paths {
            let mut files = vec![];
            if let Err(e) = walk(root, &mut files) {
                report.failed.push(Failure {
                    file: root.display().to_string(),
                    reason: format!("cannot read: {e}"),
                });
                continue;
            }
            files.sort();
            let base = root.parent().unwrap_or(Path::new(""));
            for f in files {
                let name = f
                    .strip_prefix(base)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .replace('\\', "/");
                match std::fs::read_to_string(&f) {
                    Ok(text) => self.add(
                        &RuleText {
                            file: name,
                            text: &text,
                        },
                        sel,
                        report,
                    ),
                    Err(e) => report.failed.push(Failure {
                        file: name,
                        reason: format!("cannot read: {e}"),
                    }),
                }
            }
        }
    }

    /// The bundled SigmaHQ rules (as selected), then every rule under `paths`.
    pub fn load_bundled_and(paths: &[PathBuf], sel: &Selection) -> (RuleSet, LoadReport) {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        set.add_bundled(sel, &mut report);
        set.add_paths(paths, sel, &mut report);
        (set, report)
    }

    /// Add the bundled SigmaHQ rules (as selected).
    pub fn add_bundled(&mut self, sel: &Selection, report: &mut LoadReport) {
        for (file, text) in bundled::BUNDLED {
            self.add(
                &RuleText {
                    file: file.to_string(),
                    text,
                },
                sel,
                report,
            );
        }
    }

    /// Load rules given as texts (bundled rules, tests).
    pub fn from_texts<'a>(
        texts: impl IntoIterator<Item = RuleText<'a>>,
        sel: &Selection,
    ) -> (RuleSet, LoadReport) {
        let mut set = RuleSet::default();
        let mut report = LoadReport::default();
        for t in texts {
            set.add(&t, sel, &mut report);
        }
        (set, report)
    }

    /// Add the rule(s) of one file.
    pub fn add(&mut self, t: &RuleText<'_>, sel: &Selection, report: &mut LoadReport) {
        let fail = |report: &mut LoadReport, reason: String| {
            report.failed.push(Failure {
                file: t.file.clone(),
                reason,
            })
        };
        let docs: Vec<Yaml> = {
            let mut v = vec![];
            for d in yaml_serde::Deserializer::from_str(t.text) {
                match <Yaml as serde::Deserialize>::deserialize(d) {
                    Ok(y) => v.push(y),
                    Err(e) => {
                        fail(report, format!("not valid YAML: {e}"));
                        return;
                    }
                }
            }
            v
        };
        for doc in docs {
            if matches!(doc, Yaml::Null) {
                continue;
            }
            match self.compile(&doc, &t.file, sel) {
                Ok(Some(true)) => report.loaded += 1,
                Ok(Some(false)) => report.other_logsource += 1,
                Ok(None) => report.not_selected += 1,
                Err(reason) => fail(report, reason),
            }
        }
    }

    /// `Ok(None)` = not selected; `Ok(Some(false))` = compiled but for a log we do not
    /// import (kept out of the set).
    fn compile(&mut self, doc: &Yaml, file: &str, sel: &Selection) -> Result<Option<bool>, String> {
        let m = doc.as_mapping().ok_or("not a Sigma rule (not a mapping)")?;
        let get = |k: &str| m.get(k);
        if get("correlation").is_some() {
            return Err("correlation rule: not supported yet".into());
        }
        if get("filter").is_some() && get("detection").is_none() {
            return Err("Sigma filter: not supported yet".into());
        }
        let text = |k: &str| get(k).and_then(yaml_text).unwrap_or_default();
        let list = |k: &str| match get(k) {
            Some(Yaml::Sequence(s)) => s.iter().filter_map(yaml_text).collect(),
            Some(v) => yaml_text(v).into_iter().collect(),
            None => vec![],
        };
        let title = text("title");
        if title.is_empty() {
            return Err("no title".into());
        }
        let status = text("status").to_ascii_lowercase();
        let level_text = text("level");
        let level =
            Level::parse(&level_text).ok_or_else(|| format!("unknown level {level_text:?}"))?;
        if status == "deprecated" || status == "unsupported" {
            return Ok(None);
        }
        if (!sel.statuses.is_empty() && !sel.statuses.contains(&status)) || level < sel.min_level {
            return Ok(None);
        }
        let ls = match get("logsource") {
            Some(Yaml::Mapping(l)) => LogSource {
                product: l.get("product").and_then(yaml_text),
                category: l.get("category").and_then(yaml_text),
                service: l.get("service").and_then(yaml_text),
            },
            _ => return Err("no logsource".into()),
        };
        let det = match get("detection") {
            Some(Yaml::Mapping(d)) => d,
            _ => return Err("no detection".into()),
        };
        let mut names = vec![];
        let mut searches = vec![];
        let mut conds = vec![];
        for (k, v) in det {
            let k = yaml_text(k).ok_or("detection key is not text")?;
            match k.as_str() {
                "condition" => {
                    conds = match v {
                        Yaml::Sequence(s) => s.iter().filter_map(yaml_text).collect(),
                        v => yaml_text(v).into_iter().collect(),
                    }
                }
                "timeframe" => {}
                _ => {
                    let s = self
                        .search(v, &sel.placeholders)
                        .map_err(|e| format!("detection '{k}': {e}"))?;
                    names.push(k);
                    searches.push(s);
                }
            }
        }
        if conds.is_empty() {
            return Err("no condition".into());
        }
        let mut parsed = vec![];
        for c in &conds {
            parsed.push(cond::parse(c, &names)?);
        }
        let cond = if parsed.len() == 1 {
            parsed.remove(0)
        } else {
            Cond::Or(parsed)
        };
        let targets = match logsource::targets(&ls) {
            Ok(t) => t,
            Err(_) => return Ok(Some(false)),
        };
        let meta = RuleMeta {
            id: text("id"),
            title,
            status,
            level,
            description: text("description").trim().to_string(),
            references: list("references"),
            falsepositives: list("falsepositives"),
            tags: list("tags"),
            author: text("author"),
            file: file.to_string(),
            logsource: ls,
            condition: conds,
        };
        let idx = self.rules.len() as u32;
        // a service rule (a whole channel) whose condition needs one of some EventIDs is
        // indexed under those EventIDs only
        let needed = self
            .fields
            .ids
            .get("EventID")
            .and_then(|&f| needed_event_ids(&cond, &searches, f));
        for t in &targets {
            match t {
                Target::Channel {
                    channel,
                    event_ids,
                    alias,
                } => {
                    let c = self.by_channel.entry(channel.clone()).or_default();
                    let event_ids = match (&needed, event_ids.is_empty()) {
                        (Some(n), true) => n,
                        _ => event_ids,
                    };
                    if event_ids.is_empty() {
                        c.any.push((idx, *alias));
                    } else {
                        for e in event_ids {
                            c.by_eid.entry(*e).or_default().push((idx, *alias));
                        }
                    }
                }
                Target::AnyWindows => self.any_windows.push(idx),
                Target::Source(s) => self.by_source.entry(s.clone()).or_default().push(idx),
            }
        }
        if self.alias_4688.is_empty() {
            for (sigma, native) in logsource::SECURITY_4688_FIELDS {
                let id = self.fields.intern(sigma);
                self.alias_4688.push((id, native.to_string()));
            }
        }
        self.rules.push(Rule {
            meta,
            searches,
            cond,
            targets,
        });
        Ok(Some(true))
    }

    fn search(&mut self, v: &Yaml, ph: &Placeholders) -> Result<Search, String> {
        match v {
            Yaml::Mapping(m) => {
                let mut tests = vec![];
                let mut keywords = vec![];
                for (k, val) in m {
                    let k = yaml_text(k).ok_or("field name is not text")?;
                    let mut parts = k.split('|');
                    let field = parts.next().unwrap_or_default();
                    let mods: Vec<&str> = parts.collect();
                    if field.is_empty() {
                        let (values, all) = value::compile_keywords(&mods, val, ph)?;
                        keywords.push(Search::Keywords { values, all });
                        continue;
                    }
                    let mut op = value::compile(&mods, val, ph).map_err(|e| format!("{k}: {e}"))?;
                    if let Op::FieldRef { fields, ids, .. } = &mut op {
                        *ids = fields.iter().map(|f| self.fields.intern(f)).collect();
                    }
                    tests.push(FieldTest {
                        field: self.fields.intern(field),
                        op,
                    });
                }
                if keywords.is_empty() {
                    Ok(Search::All(tests))
                } else if tests.is_empty() && keywords.len() == 1 {
                    Ok(keywords.remove(0))
                } else {
                    Err("keywords mixed with field tests in one map".into())
                }
            }
            Yaml::Sequence(items) => {
                if items.iter().all(|i| !matches!(i, Yaml::Mapping(_))) {
                    let (values, all) = value::compile_keywords(&[], v, ph)?;
                    return Ok(Search::Keywords { values, all });
                }
                let mut out = vec![];
                for i in items {
                    out.push(self.search(i, ph)?);
                }
                Ok(Search::Any(out))
            }
            Yaml::String(_) | Yaml::Number(_) => {
                let (values, all) = value::compile_keywords(&[], v, ph)?;
                Ok(Search::Keywords { values, all })
            }
            Yaml::Null => Err("empty search".into()),
            other => Err(format!("unsupported search value {other:?}")),
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, i: usize) -> &Rule {
        &self.rules[i]
    }

    /// Whether any rule applies to an event of this channel/EventID/source (its fields are not
    /// looked at): lets a caller skip decoding events no rule reads.
    pub fn may_match(&self, ev: &EventRecord) -> bool {
        if !ev.channel.is_empty() {
            let ch = ev.channel.to_ascii_lowercase();
            if let Some(c) = self.by_channel.get(&ch) {
                if !c.any.is_empty() || event_id(ev).is_some_and(|e| c.by_eid.contains_key(&e)) {
                    return true;
                }
            }
            if !self.any_windows.is_empty() && is_windows_channel(&ch) {
                return true;
            }
        }
        self.by_source
            .contains_key(ev.source.to_ascii_lowercase().as_str())
    }

    /// Indices of the rules `ev` matches, in rule order.
    pub fn matches(&self, ev: &EventRecord) -> Vec<usize> {
        let mut cands: Vec<(u32, bool)> = vec![];
        let windows = !ev.channel.is_empty();
        if windows {
            let ch = ev.channel.to_ascii_lowercase();
            if let Some(c) = self.by_channel.get(&ch) {
                cands.extend_from_slice(&c.any);
                if let Some(list) = event_id(ev).and_then(|e| c.by_eid.get(&e)) {
                    cands.extend_from_slice(list);
                }
            }
            if is_windows_channel(&ch) {
                cands.extend(self.any_windows.iter().map(|&i| (i, false)));
            }
        }
        let src = ev.source.to_ascii_lowercase();
        if let Some(list) = self.by_source.get(&src) {
            cands.extend(list.iter().map(|&i| (i, false)));
        }
        if cands.is_empty() {
            return vec![];
        }
        let native = Prepared::new(&self.fields, &ev.fields, None);
        let mut aliased: Option<Prepared> = None;
        let mut out = vec![];
        for (i, alias) in cands {
            let p = if alias {
                aliased.get_or_insert_with(|| {
                    Prepared::new(&self.fields, &ev.fields, Some(&self.alias_4688))
                })
            } else {
                &native
            };
            if self.rules[i as usize].matches(p) {
                out.push(i as usize);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// EventIDs without one of which `c` cannot hold (`None`: not constrained).
fn needed_event_ids(c: &Cond, searches: &[Search], field: usize) -> Option<Vec<u32>> {
    fn union(parts: Vec<Option<Vec<u32>>>) -> Option<Vec<u32>> {
        let mut out = vec![];
        for p in parts {
            out.extend(p?);
        }
        out.sort_unstable();
        out.dedup();
        (!out.is_empty()).then_some(out)
    }
    fn search(s: &Search, field: usize) -> Option<Vec<u32>> {
        match s {
            Search::All(tests) => tests.iter().find_map(|t| {
                if t.field != field {
                    return None;
                }
                let Op::Values {
                    values,
                    all: false,
                    neq: false,
                    any_contains: None,
                } = &t.op
                else {
                    return None;
                };
                let mut ids = vec![];
                for m in values.iter().flatten() {
                    match &m.pat {
                        Pat::Eq(v) => ids.push(v.trim().parse::<u32>().ok()?),
                        _ => return None,
                    }
                }
                (!ids.is_empty()).then_some(ids)
            }),
            Search::Any(v) => union(v.iter().map(|x| search(x, field)).collect()),
            Search::Keywords { .. } => None,
        }
    }
    match c {
        Cond::Id(i) => search(&searches[*i], field),
        Cond::Not(_) => None,
        Cond::And(v) => v.iter().find_map(|x| needed_event_ids(x, searches, field)),
        Cond::Or(v) => union(
            v.iter()
                .map(|x| needed_event_ids(x, searches, field))
                .collect(),
        ),
        Cond::Of(n, ids) if *n == usize::MAX => {
            ids.iter().find_map(|&i| search(&searches[i], field))
        }
        Cond::Of(_, ids) => union(ids.iter().map(|&i| search(&searches[i], field)).collect()),
    }
}

fn is_windows_channel(ch: &str) -> bool {
    matches!(
        ch,
        "security" | "system" | "application" | "windows powershell"
    ) || ch.starts_with("microsoft-")
}

fn event_id(ev: &EventRecord) -> Option<u32> {
    ev.event_id.as_deref().and_then(|s| s.trim().parse().ok())
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(p)? {
        let e = e?.path();
        if e.is_dir() {
            walk(&e, out)?;
        } else if e
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"))
        {
            out.push(e);
        }
    }
    Ok(())
}

fn yaml_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One field value as text, raw and lowered.
#[derive(Debug)]
struct Val {
    raw: String,
    lower: String,
}

impl Val {
    fn new(raw: String) -> Val {
        let lower = raw.to_lowercase();
        Val { raw, lower }
    }
}

/// An event seen through the interned field names: slot `i` holds field `i`'s values
/// (several for arrays), `None` when absent; `null_` marks fields present as null.
struct Prepared<'a> {
    slots: Vec<Option<Vec<Val>>>,
    nulls: Vec<bool>,
    fields: &'a Map<String, Value>,
    all: std::cell::OnceCell<Vec<Val>>,
}

fn texts(v: &Value, out: &mut Vec<Val>) {
    match v {
        Value::String(s) => out.push(Val::new(s.clone())),
        Value::Number(n) => out.push(Val::new(n.to_string())),
        Value::Bool(b) => out.push(Val::new(b.to_string())),
        Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        Value::Object(_) => out.push(Val::new(v.to_string())),
        Value::Null => {}
    }
}

/// `a.b.c` through nested JSON objects.
fn lookup_path<'v>(fields: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    let mut cur = fields;
    let mut parts = name.split('.').peekable();
    while let Some(part) = parts.next() {
        let v = cur.get(part)?;
        if parts.peek().is_none() {
            return Some(v);
        }
        cur = v.as_object()?;
    }
    None
}

impl<'a> Prepared<'a> {
    fn new(f: &Fields, fields: &'a Map<String, Value>, alias: Option<&[(usize, String)]>) -> Self {
        let n = f.names.len();
        let mut p = Prepared {
            slots: (0..n).map(|_| None).collect(),
            nulls: vec![false; n],
            fields,
            all: std::cell::OnceCell::new(),
        };
        // the event's own fields (a few dozen) against the interned names (often ~1000)
        for (k, v) in fields {
            if let Some(&i) = f.ids.get(k.as_str()) {
                p.put(i, v);
            }
        }
        // Winlogbeat documents keep the event's own fields under event_data
        let nested = [
            fields.get("event_data"),
            fields.get("EventData"),
            fields.get("winlog").and_then(|w| w.get("event_data")),
        ];
        for o in nested.into_iter().flatten().filter_map(Value::as_object) {
            for (k, v) in o {
                if let Some(&i) = f.ids.get(k.as_str()) {
                    if p.slots[i].is_none() {
                        p.put(i, v);
                    }
                }
            }
        }
        for &i in &f.dotted {
            if p.slots[i].is_none() {
                if let Some(v) = lookup_path(fields, &f.names[i]) {
                    p.put(i, v);
                }
            }
        }
        for (name, alts) in FALLBACKS {
            if let Some(&i) = f.ids.get(*name) {
                if p.slots[i].is_none() {
                    if let Some(v) = alts.iter().find_map(|a| fields.get(*a)) {
                        p.put(i, v);
                    }
                }
            }
        }
        if let Some(al) = alias {
            for (i, native) in al {
                p.slots[*i] = None;
                p.nulls[*i] = false;
                if let Some(v) = fields.get(native) {
                    p.put(*i, v);
                }
            }
        }
        p
    }

    fn put(&mut self, i: usize, v: &Value) {
        if v.is_null() {
            self.nulls[i] = true;
            return;
        }
        let mut out = vec![];
        texts(v, &mut out);
        self.slots[i] = Some(out);
    }

    fn all_values(&self) -> &[Val] {
        self.all.get_or_init(|| {
            let mut out = vec![];
            for v in self.fields.values() {
                texts(v, &mut out);
            }
            out
        })
    }
}

impl Rule {
    fn matches(&self, p: &Prepared<'_>) -> bool {
        // each search is evaluated at most once per event; no allocation for the usual few
        let n = self.searches.len();
        let mut small = [None; 16];
        let mut big = if n > 16 { vec![None; n] } else { vec![] };
        let memo: &mut [Option<bool>] = if n > 16 { &mut big } else { &mut small[..n] };
        self.cond.eval(&mut |i| {
            if let Some(r) = memo[i] {
                return r;
            }
            let r = self.searches[i].eval(p);
            memo[i] = Some(r);
            r
        })
    }

    /// The logsource targets (for tests and the window's rule view).
    pub fn applies_to_channel(&self, channel: &str, event_id: u32) -> bool {
        let ch = channel.to_ascii_lowercase();
        self.targets.iter().any(|t| match t {
            Target::Channel {
                channel, event_ids, ..
            } => *channel == ch && (event_ids.is_empty() || event_ids.contains(&event_id)),
            Target::AnyWindows => true,
            Target::Source(_) => false,
        })
    }
}

impl Search {
    fn eval(&self, p: &Prepared<'_>) -> bool {
        match self {
            Search::All(tests) => tests.iter().all(|t| t.eval(p)),
            Search::Any(v) => v.iter().any(|s| s.eval(p)),
            Search::Keywords { values, all } => {
                let vals = p.all_values();
                let one = |alts: &Vec<Matcher>| {
                    alts.iter()
                        .any(|m| vals.iter().any(|v| m.test(&v.raw, &v.lower)))
                };
                if *all {
                    values.iter().all(one)
                } else {
                    values.iter().any(one)
                }
            }
        }
    }
}

impl FieldTest {
    fn eval(&self, p: &Prepared<'_>) -> bool {
        let vals = p.slots[self.field].as_deref();
        match &self.op {
            Op::Exists(want) => (vals.is_some() || p.nulls[self.field]) == *want,
            Op::Values {
                values,
                all,
                neq,
                any_contains,
            } => {
                let ac_hit = || match (any_contains, vals) {
                    (Some(ac), Some(v)) => v.iter().any(|x| ac.is_match(x.lower.as_bytes())),
                    _ => false,
                };
                let one = |alts: &Vec<Matcher>| {
                    alts.iter().any(|m| match (&m.pat, vals) {
                        (Pat::Null, None) => true,
                        (Pat::Null, Some(v)) => v.is_empty(),
                        (_, Some(v)) => v.iter().any(|x| m.test(&x.raw, &x.lower)),
                        (_, None) => false,
                    })
                };
                if *neq {
                    return vals.is_some() && !ac_hit() && !values.iter().any(one);
                }
                if *all {
                    values.iter().all(one)
                } else {
                    ac_hit() || values.iter().any(one)
                }
            }
            Op::FieldRef {
                ids,
                shape,
                cased,
                all,
                neq,
                ..
            } => {
                let Some(vals) = vals else {
                    return false;
                };
                let one = |other: &usize| {
                    let Some(ov) = p.slots[*other].as_deref() else {
                        return false;
                    };
                    vals.iter().any(|a| {
                        ov.iter().any(|b| {
                            let (x, y) = if *cased {
                                (&a.raw, &b.raw)
                            } else {
                                (&a.lower, &b.lower)
                            };
                            match shape {
                                Shape::Exact => x == y,
                                Shape::Prefix => x.starts_with(y.as_str()),
                                Shape::Suffix => x.ends_with(y.as_str()),
                                Shape::Contains => x.contains(y.as_str()),
                            }
                        })
                    })
                };
                let hit = if *all {
                    ids.iter().all(one)
                } else {
                    ids.iter().any(one)
                };
                hit != *neq
            }
        }
    }
}
