//! The process tree, the attack story and the PDF report on real lateral movement: OTRF
//! `empire_wmic_add_user_backdoor` (Empire on WORKSTATION5 runs `wmic /node:WORKSTATION6
//! process call create "net user /add …"`), imported with the bundled Sigma rules.
//!
//! Expected values come from the raw JSON lines (a jq-like walk over the Sysmon 1 records),
//! from the bundled ATT&CK CSV read here, and from `pdftotext` reading the PDF back.

use super::fixture;
use cb_api::{Actor, Case, NodeId};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

const DATASET: &str =
    "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip";

fn raw_records() -> Vec<Value> {
    let f = std::fs::File::open(fixture(DATASET)).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut s = String::new();
    z.by_index(0).unwrap().read_to_string(&mut s).unwrap();
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn is_sysmon_1(v: &Value) -> bool {
    s(v, "Channel").contains("Sysmon")
        && v.get("EventID").map(|e| e.to_string()) == Some("1".into())
}

/// A case of the dataset, with detection and correlation (as `caseboard import --detect`),
/// built once for the tests of this file (they only read it).
/// The guard keeps the tests of this file apart (opening a case writes its audit head).
fn case() -> (std::sync::MutexGuard<'static, ()>, Case) {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = ONE.lock().unwrap_or_else(|e| e.into_inner());
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.caseboard");
        let settings = cb_api::detect::DetectSettings::default();
        cb_api::import::import_paths_with(
            &path,
            &[fixture(DATASET)],
            Actor("test".into()),
            None,
            Some(&settings),
            &mut |_, _| true,
        )
        .unwrap();
        (dir, path)
    });
    let c = Case::open(path, Actor("test".into())).unwrap();
    (guard, c)
}

fn host_id(c: &Case, name: &str) -> NodeId {
    cb_api::queue::entities(c, Some("host"))
        .unwrap()
        .entities
        .into_iter()
        .find(|e| e.label.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("host {name}"))
        .id
}

#[test]
fn process_tree_of_each_host_has_every_parent_child_pair_of_its_sysmon_1_records() {
    let raw = raw_records();
    let (_d, c) = case();
    // host → [(parent guid, child guid, child command line, child image)] from the raw records
    let mut want: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    for r in raw.iter().filter(|r| is_sysmon_1(r)) {
        want.entry(s(r, "Hostname").to_string()).or_default().push((
            s(r, "ParentProcessGuid").to_ascii_lowercase(),
            s(r, "ProcessGuid").to_ascii_lowercase(),
            s(r, "CommandLine").to_string(),
        ));
    }
    assert!(
        want.len() >= 2,
        "two workstations start processes: {:?}",
        want.keys()
    );
    let mut checked = 0;
    for (host, pairs) in &want {
        let t = cb_api::process_tree::process_tree(&c, host_id(&c, host)).unwrap();
        let by_guid: HashMap<String, usize> = t
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.guid.as_ref().map(|g| (g.to_ascii_lowercase(), i)))
            .collect();
        for (parent, child, cmd) in pairs {
            let ci = *by_guid
                .get(child)
                .unwrap_or_else(|| panic!("{host}: {child} is in the tree"));
            let row = &t.rows[ci];
            assert_eq!(&row.command_line, cmd, "{host}: command line of {child}");
            let pi = by_guid
                .get(parent)
                .unwrap_or_else(|| panic!("{host}: parent {parent} is in the tree"));
            assert_eq!(
                row.parent,
                Some(t.rows[*pi].id),
                "{host}: parent of {child}"
            );
            // pre-order: the parent comes first, one level up, and its subtree holds the child
            assert!(*pi < ci);
            assert_eq!(row.depth, t.rows[*pi].depth + 1);
            assert!(ci <= pi + t.rows[*pi].descendants as usize);
            checked += 1;
        }
        // siblings by start time
        for (i, r) in t.rows.iter().enumerate() {
            let sibs: Vec<&str> = t.rows[i + 1..]
                .iter()
                .take(r.descendants as usize)
                .filter(|x| x.depth == r.depth + 1)
                .filter_map(|x| x.time.as_deref())
                .collect();
            assert!(
                sibs.windows(2).all(|w| w[0] <= w[1]),
                "{host}: children of {} by time",
                r.image
            );
        }
    }
    assert_eq!(
        checked,
        raw.iter().filter(|r| is_sysmon_1(r)).count(),
        "every Sysmon 1 record checked"
    );
    // alerts are marked on their processes: the remote `net user /add` has the user-creation alert
    let t =
        cb_api::process_tree::process_tree(&c, host_id(&c, "WORKSTATION6.theshire.local")).unwrap();
    let net = t
        .rows
        .iter()
        .find(|r| {
            r.command_line.contains("net user /add") && r.image.eq_ignore_ascii_case("net.exe")
        })
        .expect("net.exe user /add on WORKSTATION6");
    assert!(net.alerts >= 1, "{net:?}");
    // the tree of a process: its ancestors above it and its subtree below, itself marked
    let pt = cb_api::process_tree::process_tree(&c, net.id).unwrap();
    let f = pt.rows.iter().position(|r| r.focus).unwrap();
    assert!(f >= 1, "wmiprvse.exe above it");
    assert!(pt.rows[f + 1..]
        .iter()
        .any(|r| r.image.eq_ignore_ascii_case("net1.exe")));
}

/// The technique names of the bundled ATT&CK CSV, read here (id → name).
fn attack_names() -> HashMap<String, String> {
    let text =
        std::fs::read_to_string(fixture("mitre-cti/enterprise-techniques-flat.csv")).unwrap();
    let mut out = HashMap::new();
    for line in text.lines().skip(1) {
        let mut cells = line.splitn(3, ',');
        if let (Some(id), Some(name)) = (cells.next(), cells.next()) {
            out.insert(id.to_string(), name.trim_matches('"').to_string());
        }
    }
    out
}

#[test]
fn the_story_of_the_incident_crosses_hosts_names_techniques_and_cites_real_records() {
    let raw = raw_records();
    let (_d, c) = case();
    let incidents = cb_api::queue::incidents(&c).unwrap().incidents;
    let inc = incidents.first().expect("correlation derived an incident");
    let story = cb_api::story::story(&c, inc.id).unwrap();
    // the trace paragraph reaches the caller on WORKSTATION5 (the wmic that made the remote call)
    let how = story
        .paragraphs
        .iter()
        .find(|p| p.heading.starts_with("How it got there"))
        .expect("the trace paragraph");
    let wmic_caller = raw
        .iter()
        .filter(|r| is_sysmon_1(r))
        .find(|r| s(r, "CommandLine").contains("/node:"))
        .unwrap();
    assert!(
        how.sentences
            .iter()
            .any(|x| x.text.contains(s(wmic_caller, "Hostname"))),
        "{how:#?}"
    );
    assert!(story.hosts.iter().any(|h| h == s(wmic_caller, "Hostname")));
    // kill-chain order of the paragraphs that are tactics
    let tactics = cb_graph::mitre::Tactics::bundled().unwrap();
    let stages: Vec<usize> = story
        .paragraphs
        .iter()
        .filter_map(|p| p.tactic.as_deref())
        .map(|t| tactics.lookup(t).unwrap().stage)
        .collect();
    assert!(stages.len() >= 2, "{stages:?}");
    assert!(stages.windows(2).all(|w| w[0] < w[1]), "{stages:?}");
    // each alert sentence names its techniques as ATT&CK does
    let names = attack_names();
    let mut named = 0;
    for p in story.paragraphs.iter().filter(|p| p.tactic.is_some()) {
        for x in &p.sentences {
            let Some(NodeId::Alert(_)) = x.node else {
                continue;
            };
            let d = c.store_node_fields(x.node.unwrap());
            for t in d {
                let name = names.get(&t).unwrap_or_else(|| panic!("{t} in the CSV"));
                assert!(
                    x.text.contains(&t) && x.text.contains(name.as_str()),
                    "{}: {t} {name}",
                    x.text
                );
                named += 1;
            }
        }
    }
    assert!(named >= 4, "every alert has a technique");
    // every cited record is a raw record of the dataset on one of the story's hosts
    let hosts: BTreeSet<&str> = story.hosts.iter().map(String::as_str).collect();
    let mut cited = 0;
    for x in story.paragraphs.iter().flat_map(|p| p.sentences.iter()) {
        for e in &x.evidence {
            assert!(
                e.source.ends_with("empire_wmic_add_user_backdoor.zip"),
                "{}",
                e.source
            );
            let rec = &raw[(e.record - 1) as usize];
            assert!(
                hosts.contains(s(rec, "Hostname")),
                "record {} on {}",
                e.record,
                s(rec, "Hostname")
            );
            cited += 1;
        }
    }
    assert!(cited >= 8, "{cited}");
}

trait Fields {
    fn store_node_fields(&self, n: NodeId) -> Vec<String>;
}

impl Fields for Case {
    /// The alert's techniques as the pane shows them.
    fn store_node_fields(&self, n: NodeId) -> Vec<String> {
        let d = cb_api::show::show(self, n).unwrap();
        d.node.fields["techniques"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `pdftotext` when it runs here.
fn pdftotext() -> Option<PathBuf> {
    std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .ok()
        .map(|_| PathBuf::from("pdftotext"))
}

#[test]
fn the_pdf_report_is_text_that_pdftotext_reads_back() {
    let (_g, mut c) = case();
    let d = tempfile::tempdir().unwrap();
    let inc = cb_api::queue::incidents(&c).unwrap().incidents[0].id;
    // the report template: an audited action and a lesson learned (a triage note) appear in it
    let lesson = "block WMI calls between workstations";
    cb_api::triage::triage(
        &mut c,
        &[inc],
        cb_api::triage::TriageRequest {
            status: Some("InProgress".into()),
            note: Some(format!("{} {lesson}", cb_api::report::LESSONS_PREFIX)),
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = cb_api::report::pdf(&c, inc, "2026-01-01T00:00:00.000Z").unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let Some(tool) = pdftotext() else {
        eprintln!("SKIPPED: pdftotext is not installed (scripts/setup.sh installs poppler-utils)");
        return;
    };
    let pdf = d.path().join("r.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let squash = |s: &str| -> String {
        s.replace('→', "->")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let got = squash(&text);
    let story = cb_api::story::story(&c, inc).unwrap();
    for h in &story.hosts {
        assert!(text.contains(h.as_str()), "host {h} in the PDF");
    }
    let mut n = 0;
    for x in story.paragraphs.iter().flat_map(|p| p.sentences.iter()) {
        assert!(
            got.contains(&squash(&x.text)),
            "sentence in the PDF: {}",
            x.text
        );
        n += 1;
    }
    assert!(n >= 5);
    assert!(got.contains(&squash(&story.title)));
    for heading in [
        "Findings",
        "Actions taken",
        "Lessons learned",
        "Evidence sources",
    ] {
        assert!(text.contains(heading), "{heading} in the PDF");
    }
    assert!(
        got.contains(&squash(lesson)),
        "the lesson learned in the PDF"
    );
    let actions = cb_api::activity::activity(&c, Some(inc)).unwrap().activity;
    assert!(!actions.is_empty());
    assert!(
        got.contains(&squash("InProgress")),
        "the status change (audited) in the PDF"
    );
}

/// Resolving an incident asks for its report: exported as HTML or PDF (file written, export
/// audited with format and path), or skipped with a reason that is an audited note; a skip
/// without a reason is refused and writes nothing.
#[test]
fn resolving_writes_the_report_or_an_audited_reason_for_skipping_it() {
    let (_g, mut c) = case();
    let d = tempfile::tempdir().unwrap();
    let inc = cb_api::queue::incidents(&c).unwrap().incidents[0].id;
    let story = cb_api::story::story(&c, inc).unwrap();
    let html = d.path().join("r.html");
    let n = cb_api::report::export_report(
        &mut c,
        inc,
        cb_api::report::ReportFormat::Html,
        "2026-01-01T00:00:00.000Z",
        &html,
    )
    .unwrap();
    let text = std::fs::read_to_string(&html).unwrap();
    assert_eq!(n as usize, text.len());
    assert!(text.contains("<html") || text.contains("<!DOCTYPE"));
    for h in &story.hosts {
        assert!(text.contains(h.as_str()), "host {h} in the HTML report");
    }
    let pdf = d.path().join("r.pdf");
    cb_api::report::export_report(
        &mut c,
        inc,
        cb_api::report::ReportFormat::Pdf,
        "2026-01-01T00:00:00.000Z",
        &pdf,
    )
    .unwrap();
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let log = cb_api::activity::activity(&c, Some(inc)).unwrap().activity;
    let exports: Vec<_> = log.iter().filter(|a| a.action == "report.export").collect();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0].detail["format"], "html");
    assert_eq!(exports[0].detail["path"], html.display().to_string());
    assert_eq!(exports[1].detail["format"], "pdf");
    // skipping needs a reason
    let before = log.len();
    assert!(cb_api::report::skip_report(&mut c, inc, "  ").is_err());
    assert_eq!(
        cb_api::activity::activity(&c, Some(inc))
            .unwrap()
            .activity
            .len(),
        before
    );
    let reason = "duplicate of an incident already reported";
    let info = cb_api::report::skip_report(&mut c, inc, reason).unwrap();
    let want = format!("{} {reason}", cb_api::report::SKIPPED_PREFIX);
    assert!(info.state.notes.iter().any(|n| n.text == want));
    let log = cb_api::activity::activity(&c, Some(inc)).unwrap().activity;
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.detail["text"].as_str()),
        ("note", Some(want.as_str()))
    );
    assert_eq!(cb_api::sources::verify(&c).unwrap().audit_broken_at, None);
}
