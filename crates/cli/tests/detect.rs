//! `caseboard detect` end to end on real EVTX (SigmaHQ regression samples in
//! `fixtures/sigma/regression`): import, detect with the bundled rules, the alerts it adds,
//! their rule, count, time span, events and entities; a second run adds nothing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn case_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/sigma/regression")
        .join(rel)
        .canonicalize()
        .unwrap()
}

fn file_in(dir: &Path, ext: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == ext))
        .unwrap()
}

fn caseboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caseboard"))
        .args(args)
        .env("CASEBOARD_ANALYST", "cli-test")
        .output()
        .unwrap()
}

#[track_caller]
fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const DUMP: &str = "rules/windows/file/file_event/file_event_win_cred_dump_tools_dropped_files";
const DUMP_RULE: &str = "8fbf3271-1ef6-4e94-8210-03c2317947f6";
const PFX: &str = "rules/windows/process_creation/proc_creation_win_certutil_export_pfx";
const PFX_RULE: &str = "3ffd6f51-e6c1-47b7-94b4-c1e61d4117c5";

/// The case's JSON events whose TargetFilename ends with one of the rule's procdump names,
/// walked by hand: (UtcTime as stored, …).
fn dump_matches_in_json() -> Vec<String> {
    let text = std::fs::read_to_string(file_in(&case_dir(DUMP), "json")).unwrap();
    let mut times = vec![];
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        let doc = doc.unwrap();
        let d = &doc["Event"]["EventData"];
        let name = d["TargetFilename"].as_str().unwrap().to_ascii_lowercase();
        if ["\\procdump.exe", "\\procdump64.exe", "\\procdump64a.exe"]
            .iter()
            .any(|s| name.ends_with(s))
        {
            let t = d["UtcTime"].as_str().unwrap();
            times.push(format!("{}Z", t.replace(' ', "T")));
        }
    }
    times.sort();
    times
}

#[test]
fn detect_turns_real_evtx_into_alerts_once() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    let dump = file_in(&case_dir(DUMP), "evtx");
    let pfx = file_in(&case_dir(PFX), "evtx");
    json_of(&caseboard(&[
        "import",
        c,
        dump.to_str().unwrap(),
        pfx.to_str().unwrap(),
        "--json",
    ]));

    let r = json_of(&caseboard(&["detect", c, "--json"]));
    assert!(r["rules"]["loaded"].as_u64().unwrap() > 1500, "{r}");
    assert!(r["rules"]["failed"].is_array());
    let expected = dump_matches_in_json();
    assert_eq!(expected.len(), 3);
    // three file events of one rule on one host, one certutil event: two alerts
    assert_eq!(r["alerts"]["added"], 2, "{r}");
    assert_eq!(r["alerts"]["updated"], 0);
    assert!(r["matches"].as_u64().unwrap() >= 4);

    let alerts = json_of(&caseboard(&["alerts", c, "--json"]));
    let rows = alerts["alerts"].as_array().unwrap();
    let by_rule = |id: &str| {
        rows.iter()
            .find(|a| a["rule"]["id"] == id)
            .unwrap_or_else(|| panic!("no alert of rule {id}: {alerts}"))
            .clone()
    };
    let d = by_rule(DUMP_RULE);
    assert_eq!(d["rule"]["level"], "high");
    assert_eq!(d["severity"], "High");
    assert_eq!(
        d["rule"]["file"],
        "rules/windows/file/file_event/file_event_win_cred_dump_tools_dropped_files.yml"
    );
    assert_eq!(d["start"], expected[0].as_str());
    assert_eq!(d["end"], expected[2].as_str());
    let p = by_rule(PFX_RULE);
    assert_eq!(p["name"], "Certificate Exported Via Certutil.EXE");

    // the alert: count, evidence events, ATT&CK, and entities through its events
    let shown = json_of(&caseboard(&[
        "show",
        c,
        d["id"].as_str().unwrap(),
        "--json",
    ]));
    let ext: Value = match &shown["fields"]["extended"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        v => v.clone(),
    };
    assert_eq!(ext["count"], 3, "{shown}");
    let rels = shown["relations"].as_array().unwrap();
    let evidence = rels.iter().filter(|r| r["kind"] == "evidence").count();
    assert_eq!(evidence, 3);
    let ents = json_of(&caseboard(&["entities", c, "--json"]));
    let kind_of = |id: &Value| {
        ents["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == *id)
            .map(|e| e["kind"].as_str().unwrap().to_string())
    };
    let kinds: Vec<String> = p["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(kind_of)
        .collect();
    for k in ["host", "process", "account"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }

    // again: nothing new, and both runs are in the audit log
    let again = json_of(&caseboard(&["detect", c, "--json"]));
    assert_eq!(again["alerts"]["added"], 0);
    assert_eq!(again["alerts"]["updated"], 0);
    assert_eq!(again["matches"], r["matches"]);
    let n = json_of(&caseboard(&["alerts", c, "--json"]))["alerts"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(n, rows.len());
    let act = json_of(&caseboard(&["activity", c, "--json"]));
    let runs = act["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "detect")
        .count();
    assert_eq!(runs, 2);
}

#[test]
fn detect_reports_bad_rules_and_runs_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    let pfx = file_in(&case_dir(PFX), "evtx");
    json_of(&caseboard(&["import", c, pfx.to_str().unwrap(), "--json"]));
    let rules = dir.path().join("mine");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("broken.yml"), "title: x\nlogsource: [\n").unwrap();
    let r = json_of(&caseboard(&[
        "detect",
        c,
        "--rules",
        rules.to_str().unwrap(),
        "--min-level",
        "critical",
        "--json",
    ]));
    let failed = r["rules"]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["file"], "mine/broken.yml");
    assert!(failed[0]["reason"].as_str().unwrap().contains("YAML"));
    // the certutil rule is level medium: not run at --min-level critical
    assert_eq!(r["alerts"]["added"], 0);
    let r = json_of(&caseboard(&["detect", c, "--json"]));
    assert_eq!(r["alerts"]["added"], 1);
    let bad = caseboard(&["detect", c, "--min-level", "severe"]);
    assert!(!bad.status.success());
}

#[test]
fn import_with_detect_streams_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let dump = file_in(&case_dir(DUMP), "evtx");
    let pfx = file_in(&case_dir(PFX), "evtx");
    let (a, b) = (dir.path().join("a.case"), dir.path().join("b.case"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let files = [dump.to_str().unwrap(), pfx.to_str().unwrap()];
    let streamed = json_of(&caseboard(&[
        "import", a, files[0], files[1], "--detect", "--json",
    ]));
    assert_eq!(streamed["files"].as_array().unwrap().len(), 2);
    assert_eq!(streamed["detect"]["alerts"]["added"], 2, "{streamed}");
    json_of(&caseboard(&["import", b, files[0], files[1], "--json"]));
    let pass = json_of(&caseboard(&["detect", b, "--json"]));
    assert_eq!(streamed["detect"]["matches"], pass["matches"]);
    let rows = |c: &str| {
        let v = json_of(&caseboard(&["alerts", c, "--json"]));
        let mut r: Vec<(String, String, String, String)> = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["rule"]["id"].to_string(),
                    x["start"].to_string(),
                    x["end"].to_string(),
                    x["compromised_entity"].to_string(),
                )
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(rows(a), rows(b));
    // a full pass over the streamed case finds nothing new
    let again = json_of(&caseboard(&["detect", a, "--json"]));
    assert_eq!(
        (
            again["alerts"]["added"].as_u64(),
            again["alerts"]["updated"].as_u64()
        ),
        (Some(0), Some(0))
    );
    // the same file again: a duplicate, no matches, nothing added
    let dup = json_of(&caseboard(&["import", a, files[0], "--detect", "--json"]));
    assert_eq!(dup["detect"]["matches"], 0);
    assert_eq!(dup["detect"]["alerts"]["added"], 0);
}

/// The `Computer` of every event in a case's JSON, walked by hand.
fn computers(rel: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file_in(&case_dir(rel), "json")).unwrap();
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|d| {
            d.unwrap()["Event"]["System"]["Computer"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn detection_alerts_join_derived_incidents() {
    // two detections on one host 24 minutes apart (certutil 17:23, finger 17:47 UTC)
    let finger = "rules/windows/process_creation/proc_creation_win_finger_execution";
    let host = computers(PFX)[0].clone();
    assert!(computers(finger).iter().all(|c| *c == host));
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    let c = case.to_str().unwrap();
    let a = file_in(&case_dir(PFX), "evtx");
    let b = file_in(&case_dir(finger), "evtx");
    let r = json_of(&caseboard(&[
        "import",
        c,
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--detect",
        "--json",
    ]));
    assert_eq!(r["detect"]["alerts"]["added"], 2, "{r}");
    let alerts = json_of(&caseboard(&["alerts", c, "--json"]));
    let ids: Vec<Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule"].is_object() && a["compromised_entity"] == host.as_str())
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2, "{alerts}");
    let inc = json_of(&caseboard(&["incidents", c, "--json"]));
    let derived: Vec<&Value> = inc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["reason"].is_string())
        .collect();
    assert!(
        derived.iter().any(|i| {
            let members = i["alerts"].as_array().unwrap();
            ids.iter().all(|id| members.contains(id))
        }),
        "{inc}"
    );
}

/// `import --detect` takes the rule selection of `detect`: an experimental rule (outside the
/// default stable+test selection) fires on its own regression EVTX only with `--status all`.
#[test]
fn import_detect_takes_the_rule_selection() {
    const DIR: &str =
        "rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load";
    let info = std::fs::read_to_string(case_dir(DIR).join("info.yml")).unwrap();
    // the rule id named under rule_metadata, read from the case's own info.yml
    let rule = info
        .split("rule_metadata:")
        .nth(1)
        .and_then(|s| s.split("id:").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let evtx = file_in(&case_dir(DIR), "evtx");
    let fired = |extra: &[&str]| -> bool {
        let dir = tempfile::tempdir().unwrap();
        let case = dir.path().join("c.cbx");
        let (c, e) = (case.to_str().unwrap(), evtx.to_str().unwrap());
        let mut args = vec!["import", c, e, "--detect", "--json"];
        args.extend_from_slice(extra);
        json_of(&caseboard(&args));
        let alerts = json_of(&caseboard(&["alerts", c, "--json"]));
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule"]["id"].as_str() == Some(rule.as_str()))
    };
    assert!(
        !fired(&[]),
        "the default selection leaves experimental rules out"
    );
    assert!(fired(&["--status", "all", "--min-level", "informational"]));
}
