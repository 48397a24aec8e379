//! Search semantics on a real OTRF/Mordor file (flattened Windows events that store numbers
//! as strings): expected counts come from a jq-like walk of the raw JSON lines.

use crate::{fixture, import, total};
use cb_store::{Actor, SqliteStore};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader};

const WMIC: &str = "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip";

fn raw() -> Vec<Map<String, Value>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(fixture(WMIC)).unwrap()).unwrap();
    let mut out = vec![];
    for i in 0..z.len() {
        for line in BufReader::new(z.by_index(i).unwrap()).lines() {
            if let Ok(Value::Object(o)) = serde_json::from_str(&line.unwrap()) {
                out.push(o);
            }
        }
    }
    out
}

/// The field as a number, whatever its JSON type.
fn num(r: &Map<String, Value>, k: &str) -> Option<f64> {
    match r.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether any value (not a field name) of the record has `word` as a word.
fn value_has_word(v: &Value, word: &str) -> bool {
    match v {
        Value::Object(o) => o.values().any(|x| value_has_word(x, word)),
        Value::Array(a) => a.iter().any(|x| value_has_word(x, word)),
        Value::String(s) => s
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case(word)),
        _ => false,
    }
}

#[test]
fn numeric_comparisons_and_values_not_names() {
    let recs = raw();
    let mut st = SqliteStore::in_memory(Actor("test".into())).unwrap();
    import(&mut st, WMIC);
    // numbers stored as strings compare as numbers
    for (field, below) in [("LogonType", 10.0), ("DestinationPort", 1024.0)] {
        let expected = recs
            .iter()
            .filter(|r| num(r, field).is_some_and(|n| n < below))
            .count() as u64;
        assert!(expected > 0, "{field}");
        assert_eq!(total(&st, &format!("{field}<{below}")), expected, "{field}");
        let ge = recs
            .iter()
            .filter(|r| num(r, field).is_some_and(|n| n >= below))
            .count() as u64;
        assert_eq!(total(&st, &format!("{field}>={below}")), ge, "{field}");
    }
    // free text matches values, not field names: every record has a `Hostname` field
    let has_field = recs.iter().filter(|r| r.contains_key("Hostname")).count();
    assert!(has_field * 2 > recs.len());
    let expected = recs
        .iter()
        .filter(|r| value_has_word(&Value::Object((*r).clone()), "hostname"))
        .count() as u64;
    // (events only: an entity whose command line says `hostname` is a hit too)
    assert_eq!(total(&st, "hostname NOT source:Entity"), expected);
    assert!(expected * 2 < has_field as u64);
    // `name:value` is how a field is searched: the value's words right after the name
    // (`pgustavo` and `pgustavo@THESHIRE.LOCAL`, not `xpgustavo`)
    let pg = recs
        .iter()
        .filter(|r| {
            r.get("TargetUserName")
                .and_then(Value::as_str)
                .and_then(|u| u.split(|c: char| !c.is_alphanumeric()).next())
                .is_some_and(|w| w.eq_ignore_ascii_case("pgustavo"))
        })
        .count() as u64;
    assert!(pg > 0);
    assert_eq!(total(&st, "TargetUserName:pgustavo"), pg);
}
