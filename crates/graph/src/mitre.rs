//! ATT&CK tactics from the bundled mitre-cti data (`fixtures/mitre-cti/enterprise-tactics.json`),
//! in kill-chain order, and the mapping of Defender `intent` / Sentinel `Tactics` names to them.
//!
//! The bundle holds the tactic objects (id, name, shortname); their order is the order of the
//! enterprise matrix's `tactic_refs` (Reconnaissance … Impact), kept here as the list of
//! ATT&CK ids because the tactics-only bundle carries no matrix object. A test checks that every
//! id of the order is in the bundle and every tactic of the bundle is in the order.

use crate::{GraphError, Result};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const BUNDLE: &str = include_str!("../../../fixtures/mitre-cti/enterprise-tactics.json");

/// The enterprise matrix order (its `tactic_refs`), by ATT&CK id.
pub const MATRIX_ORDER: &[&str] = &[
    "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006", "TA0007",
    "TA0008", "TA0009", "TA0011", "TA0010", "TA0040",
];

/// Defender for Cloud intents that are not ATT&CK tactic names, and the tactic they stand for.
const DEFENDER_ALIASES: &[(&str, &str)] = &[
    ("preattack", "TA0043"),
    ("probing", "TA0043"),
    ("exploitation", "TA0001"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tactic {
    /// `TA0002`
    pub id: String,
    /// `Execution`
    pub name: String,
    /// `execution`
    pub shortname: String,
    /// Position in the kill chain, 0 = Reconnaissance.
    pub stage: usize,
}

#[derive(Debug, Clone)]
pub struct Tactics {
    list: Vec<Tactic>,
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl Tactics {
    /// The tactics of the bundled ATT&CK data.
    pub fn bundled() -> Result<&'static Tactics> {
        static T: OnceLock<std::result::Result<Tactics, String>> = OnceLock::new();
        T.get_or_init(|| Tactics::from_stix(BUNDLE).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| GraphError::Mitre(e.clone()))
    }

    /// Read the `x-mitre-tactic` objects of a STIX bundle and order them by [`MATRIX_ORDER`].
    pub fn from_stix(json: &str) -> Result<Tactics> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| GraphError::Mitre(e.to_string()))?;
        let objs = v
            .get("objects")
            .and_then(|o| o.as_array())
            .ok_or_else(|| GraphError::Mitre("no objects".into()))?;
        let mut list = vec![];
        for o in objs
            .iter()
            .filter(|o| o.get("type").and_then(|t| t.as_str()) == Some("x-mitre-tactic"))
        {
            let id = o
                .get("external_references")
                .and_then(|r| r.as_array())
                .and_then(|r| {
                    r.iter().find(|x| {
                        x.get("source_name").and_then(|s| s.as_str()) == Some("mitre-attack")
                    })
                })
                .and_then(|x| x.get("external_id"))
                .and_then(|x| x.as_str())
                .ok_or_else(|| GraphError::Mitre("tactic without ATT&CK id".into()))?;
            let stage = MATRIX_ORDER
                .iter()
                .position(|x| *x == id)
                .ok_or_else(|| GraphError::Mitre(format!("{id} is not in the matrix order")))?;
            list.push(Tactic {
                id: id.to_string(),
                name: o
                    .get("name")
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string(),
                shortname: o
                    .get("x_mitre_shortname")
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string(),
                stage,
            });
        }
        list.sort_by_key(|t| t.stage);
        Ok(Tactics { list })
    }

    /// All tactics in kill-chain order.
    pub fn all(&self) -> &[Tactic] {
        &self.list
    }

    /// The tactic a name stands for: ATT&CK id (`TA0002`), name (`Credential Access`),
    /// shortname (`credential-access`), Defender intent (`CredentialAccess`, `PreAttack`,
    /// `Probing`, `Exploitation`), any case.
    pub fn lookup(&self, s: &str) -> Option<&Tactic> {
        let n = norm(s);
        if n.is_empty() {
            return None;
        }
        let by_id = |id: &str| self.list.iter().find(|t| t.id.eq_ignore_ascii_case(id));
        if let Some(t) = by_id(&n) {
            return Some(t);
        }
        if let Some(t) = self
            .list
            .iter()
            .find(|t| norm(&t.name) == n || norm(&t.shortname) == n)
        {
            return Some(t);
        }
        DEFENDER_ALIASES
            .iter()
            .find(|(a, _)| *a == n)
            .and_then(|(_, id)| by_id(id))
    }

    /// The earliest kill-chain tactic among `names` (each may itself be a comma-separated
    /// list, as Defender's `intent` is).
    pub fn earliest<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Option<&Tactic> {
        names
            .into_iter()
            .flat_map(|n| n.split([',', ';', '|']))
            .filter_map(|n| self.lookup(n))
            .min_by_key(|t| t.stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_and_order_agree() {
        let t = Tactics::bundled().unwrap();
        assert_eq!(t.all().len(), MATRIX_ORDER.len());
        let names: Vec<&str> = t.all().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"Reconnaissance"));
        assert_eq!(names.last(), Some(&"Impact"));
        assert_eq!(
            t.lookup("CredentialAccess").unwrap().name,
            "Credential Access"
        );
        assert_eq!(t.lookup("credential-access").unwrap().id, "TA0006");
        assert_eq!(t.lookup("PreAttack").unwrap().name, "Reconnaissance");
        assert_eq!(t.lookup("ta0040").unwrap().name, "Impact");
        assert!(t.lookup("Bogus").is_none());
        assert_eq!(
            t.earliest(["Persistence, Execution"]).unwrap().name,
            "Execution"
        );
        assert!(t.lookup("Execution").unwrap().stage < t.lookup("Persistence").unwrap().stage);
    }
}

const TECHNIQUES_CSV: &str =
    include_str!("../../../fixtures/mitre-cti/enterprise-techniques-flat.csv");

/// An ATT&CK technique of the bundled data (v18, enterprise).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Technique {
    /// `T1059` or `T1059.001`.
    pub id: String,
    pub name: String,
    /// For a sub-technique, its parent's name (`Command and Scripting Interpreter`).
    pub parent_name: Option<String>,
    /// Tactic short names (`execution`, `persistence`…).
    pub tactics: Vec<String>,
}

/// Technique names by id, from the bundled flat CSV (id, name, tactics, …).
pub fn technique(id: &str) -> Option<&'static Technique> {
    static T: OnceLock<std::collections::HashMap<String, Technique>> = OnceLock::new();
    let all = T.get_or_init(|| {
        let mut by_id = std::collections::HashMap::new();
        let mut rows = csv_rows(TECHNIQUES_CSV);
        rows.next(); // header
        for r in rows {
            if r.len() >= 3 {
                by_id.insert(
                    r[0].to_ascii_uppercase(),
                    Technique {
                        id: r[0].clone(),
                        name: r[1].clone(),
                        parent_name: None,
                        tactics: r[2]
                            .split(';')
                            .filter(|t| !t.is_empty())
                            .map(String::from)
                            .collect(),
                    },
                );
            }
        }
        let parents: Vec<(String, String)> = by_id
            .keys()
            .filter_map(|k| k.split_once('.').map(|(p, _)| (k.clone(), p.to_string())))
            .collect();
        for (k, p) in parents {
            let name = by_id.get(&p).map(|t| t.name.clone());
            if let Some(t) = by_id.get_mut(&k) {
                t.parent_name = name;
            }
        }
        by_id
    });
    all.get(&id.trim().to_ascii_uppercase())
}

/// Minimal CSV splitting for the bundled file (quoted fields may hold commas).
fn csv_rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().filter(|l| !l.trim().is_empty()).map(|line| {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    })
}

#[cfg(test)]
mod technique_tests {
    #[test]
    fn techniques_have_names() {
        let t = super::technique("T1059").unwrap();
        assert_eq!(t.name, "Command and Scripting Interpreter");
        let s = super::technique("t1059.001").unwrap();
        assert_eq!(s.name, "PowerShell");
        assert_eq!(
            s.parent_name.as_deref(),
            Some("Command and Scripting Interpreter")
        );
        assert!(super::technique("T0000").is_none());
    }
}
