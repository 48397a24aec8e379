//! The SigmaHQ regression cases (`fixtures/sigma/regression`, copied with the DRL licence):
//! each is a real EVTX on which a named rule must fire, with the matching event(s) as JSON.
//! The EVTX goes through cb-events like an import; the bundled rules run over every event; the
//! named rule must fire, only on events of the case's JSON (EventRecordID and time, read from
//! the JSON by hand; some cases list context events next to the match), and on at least the
//! case's `match_count` events (upstream's count is a minimum: the cred-dump case names one
//! but its rule lists all three procdump names its EVTX holds).

mod common;

use cb_sigma::{RuleSet, Selection};
use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            cases(&p, out);
        } else if p.file_name().is_some_and(|n| n == "info.yml") {
            out.push(p.parent().unwrap().to_path_buf());
        }
    }
}

fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

/// The rule id an info.yml names (`rule_metadata: - id: …`), read line by line.
fn info_rule_id(info: &str) -> String {
    let mut in_meta = false;
    for line in info.lines() {
        if line.starts_with("rule_metadata:") {
            in_meta = true;
        } else if in_meta {
            if let Some(id) = line.trim().strip_prefix("- id:") {
                return id.trim().to_string();
            }
        }
    }
    panic!("no rule id in info.yml");
}

/// `match_count:` of an uncommented line of info.yml.
fn info_match_count(info: &str) -> Option<usize> {
    info.lines()
        .find_map(|l| l.trim().strip_prefix("match_count:"))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn every_regression_case_fires_its_rule_on_its_event() {
    let (set, report) = RuleSet::load_bundled_and(&[], &Selection::all());
    assert!(report.loaded > 2500, "{report:?}");
    let root = repo().join("fixtures/sigma/regression");
    let mut dirs = vec![];
    cases(&root, &mut dirs);
    dirs.sort();
    assert_eq!(dirs.len(), 101, "regression cases copied");
    let mut fired = 0;
    let mut evtx_cases = 0;
    let mut problems = vec![];
    let mut not_evtx = vec![];
    for dir in &dirs {
        let name = dir.strip_prefix(&root).unwrap().display().to_string();
        let info = std::fs::read_to_string(dir.join("info.yml")).unwrap();
        let rule_id = info_rule_id(&info);
        let evtx = files_with(dir, "evtx");
        let Some(evtx) = evtx.first() else {
            not_evtx.push(name);
            continue;
        };
        evtx_cases += 1;
        let Some(rule) = set.rules().iter().position(|r| r.meta.id == rule_id) else {
            let why = report
                .failed
                .iter()
                .find(|f| f.file.contains(dir.file_name().unwrap().to_str().unwrap()))
                .map(|f| f.reason.clone())
                .unwrap_or_else(|| "rule not in the bundle".into());
            problems.push(format!("{name}: rule {rule_id} not loaded: {why}"));
            continue;
        };
        let events = read_evtx(evtx);
        let hits: BTreeSet<(u64, String)> = events
            .iter()
            .filter(|e| set.matches(e).contains(&rule))
            .map(stored_id_and_time)
            .collect();
        let expected: BTreeSet<(u64, String)> = files_with(dir, "json")
            .iter()
            .flat_map(|j| json_docs(j))
            .map(|d| record_id_and_time(&d))
            .collect();
        if hits.is_empty() {
            problems.push(format!(
                "{name}: rule {rule_id} did not fire on any of {} events",
                events.len()
            ));
            continue;
        }
        fired += 1;
        if !hits.is_subset(&expected) {
            problems.push(format!(
                "{name}: fired on {hits:?}, the case's events are {expected:?}"
            ));
        }
        if let Some(n) = info_match_count(&info) {
            if hits.len() < n {
                problems.push(format!("{name}: {} matches, the case says {n}", hits.len()));
            }
        }
    }
    eprintln!(
        "regression: {fired}/{evtx_cases} EVTX cases fire their rule ({:.1}%); not EVTX: {not_evtx:?}",
        100.0 * fired as f64 / evtx_cases as f64
    );
    for p in &problems {
        eprintln!("  {p}");
    }
    assert!(problems.is_empty(), "{} problems", problems.len());
    assert_eq!(fired, evtx_cases);
    assert_eq!(
        not_evtx.len(),
        1,
        "only the Cisco raw-syslog case has no EVTX"
    );
}

#[test]
fn the_bundle_holds_every_rule_file() {
    // counted by walking the folder here, independently of the build script
    fn count(p: &Path) -> usize {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                if p.is_dir() {
                    count(&p)
                } else {
                    usize::from(p.extension().is_some_and(|x| x == "yml"))
                }
            })
            .sum()
    }
    let n = count(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"));
    assert!(n > 3000);
    assert_eq!(cb_sigma::bundled_files(), n);
    let (set, report) = RuleSet::load_bundled_and(&[], &Selection::default());
    assert_eq!(set.len(), report.loaded);
    assert!(
        report.not_selected > 0 && report.loaded > 1500,
        "{report:?}"
    );
}
