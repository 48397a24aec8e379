//! The benchmark's query set (`scripts/bench.sh`, the same terms) on three real OTRF/Mordor
//! files: the number of *event* hits of each query equals a jq-like walk of the raw JSON
//! lines that applies the query language's rules by itself (free text = a word of some value;
//! a quoted phrase = consecutive words of one value; `Field:value` = the value's first words;
//! `eventid:` = the record's EventID; `source:Sysmon` = the Sysmon channel). This pins the
//! totals across changes to what the import indexes and how.

use crate::{fixture, import};
use cb_search::{search, SearchOptions, ENTITY_SOURCE};
use cb_store::{Actor, SqliteStore};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader};

const FILES: [&str; 3] = [
    "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip",
    "otrf-security-datasets/datasets/atomic/windows/credential_access/host/psh_lsass_memory_dump_comsvcs.zip",
    "otrf-security-datasets/datasets/atomic/windows/credential_access/host/cmd_sam_copy_esentutl.zip",
];

type Rec = Map<String, Value>;

fn raw() -> Vec<Rec> {
    let mut out = vec![];
    for f in FILES {
        raw_zip(f, &mut out);
    }
    out
}

fn raw_zip(rel: &str, out: &mut Vec<Rec>) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(fixture(rel)).unwrap()).unwrap();
    for i in 0..z.len() {
        for line in BufReader::new(z.by_index(i).unwrap()).lines() {
            if let Ok(Value::Object(o)) = serde_json::from_str(&line.unwrap()) {
                out.push(o);
            }
        }
    }
}

/// The words of a text as the index splits them (letters and digits), lower-cased.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of every value of the record, one list per value.
fn values(v: &Value, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(o) => o.values().for_each(|x| values(x, out)),
        Value::Array(a) => a.iter().for_each(|x| values(x, out)),
        Value::String(s) => out.push(words(s)),
        Value::Null => {}
        other => out.push(words(&other.to_string())),
    }
}

fn value_words(r: &Rec) -> Vec<Vec<String>> {
    let mut out = vec![];
    values(&Value::Object(r.clone()), &mut out);
    out
}

/// Free text: some value has the word (`prefix`: a word starting with it).
fn word(r: &Rec, w: &str, prefix: bool) -> bool {
    value_words(r)
        .iter()
        .flatten()
        .any(|x| if prefix { x.starts_with(w) } else { x == w })
}

/// A quoted phrase: one value holds its words one after the other.
fn phrase(r: &Rec, p: &str) -> bool {
    let p = words(p);
    value_words(r)
        .iter()
        .any(|v| v.windows(p.len()).any(|w| w == p.as_slice()))
}

/// `Field:value` (`value*` when `prefix`): the field's first words are the value's words.
fn field(r: &Rec, name: &str, value: &str, prefix: bool) -> bool {
    let want = words(value);
    r.iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .any(|(_, v)| {
            let mut got = vec![];
            values(v, &mut got);
            let got: Vec<String> = got.into_iter().flatten().collect();
            got.len() >= want.len()
                && want.iter().enumerate().all(|(i, w)| {
                    if prefix && i + 1 == want.len() {
                        got[i].starts_with(w.as_str())
                    } else {
                        &got[i] == w
                    }
                })
        })
}

fn event_id(r: &Rec) -> Option<i64> {
    match r.get("EventID")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn sysmon(r: &Rec) -> bool {
    r.get("Channel").and_then(Value::as_str) == Some("Microsoft-Windows-Sysmon/Operational")
}

/// Hits of `q` that are events (not entities; the file has no alerts).
fn event_hits(st: &SqliteStore, q: &str) -> u64 {
    let r = search(st, q, &SearchOptions::default()).unwrap();
    r.total - r.by_source.get(ENTITY_SOURCE).copied().unwrap_or(0)
}

#[test]
fn bench_query_set_totals_match_a_walk_of_the_raw_records() {
    let recs = raw();
    let mut st = SqliteStore::in_memory(Actor("test".into())).unwrap();
    for f in FILES {
        import(&mut st, f);
    }
    type Rule = Box<dyn Fn(&Rec) -> bool>;
    let set: Vec<(&str, Rule)> = vec![
        ("mimikatz", Box::new(|r| word(r, "mimikatz", false))),
        ("\"lsass.exe\"", Box::new(|r| phrase(r, "lsass.exe"))),
        ("EventID:4688", Box::new(|r| event_id(r) == Some(4688))),
        (
            "eventid:4624 LogonType:10",
            Box::new(|r| event_id(r) == Some(4624) && field(r, "LogonType", "10", false)),
        ),
        (
            "powershell AND NOT svchost",
            Box::new(|r| word(r, "powershell", false) && !word(r, "svchost", false)),
        ),
        (
            "(wmic OR psexec) AND source:Sysmon",
            Box::new(|r| (word(r, "wmic", false) || word(r, "psexec", false)) && sysmon(r)),
        ),
        (
            "TargetUserName:admin*",
            Box::new(|r| field(r, "TargetUserName", "admin", true)),
        ),
        (
            "CommandLine:whoami*",
            Box::new(|r| field(r, "CommandLine", "whoami", true)),
        ),
        (
            "\"Network connection detected\"",
            Box::new(|r| phrase(r, "Network connection detected")),
        ),
        (
            "rundll32 source:Sysmon",
            Box::new(|r| word(r, "rundll32", false) && sysmon(r)),
        ),
        (
            "DestinationPort:3389",
            Box::new(|r| field(r, "DestinationPort", "3389", false)),
        ),
        (
            "NOT Sysmon conhost",
            Box::new(|r| word(r, "conhost", false) && !word(r, "sysmon", false)),
        ),
        (
            "QueryName:www*",
            Box::new(|r| field(r, "QueryName", "www", true)),
        ),
        ("attack-pattern", Box::new(|r| phrase(r, "attack-pattern"))),
    ];
    let mut nonzero = 0;
    let mut wrong = vec![];
    for (q, rule) in &set {
        let expected = recs.iter().filter(|r| rule(r)).count() as u64;
        nonzero += usize::from(expected > 0);
        let got = event_hits(&st, q);
        println!("{q:<40} {got:>6} event hits, walk {expected:>6}");
        if got != expected {
            wrong.push(format!("{q}: search {got}, walk {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // the files exercise most of the set (a set of zeros would pin nothing)
    assert!(nonzero >= 7, "{nonzero} queries with hits");
}
