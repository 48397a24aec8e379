//! Hostile and moving evidence through `import_file`: a first record over 64 KiB, a REST list
//! with one bad element, a file that grows or is swapped during the import, and the three
//! memory bombs (peak RSS measured in a child process and printed).

use cb_api::{import_file, ApiError};
use cb_store::{Actor, SqliteStore};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

const ALERTS: &str = "msticpy/tests/testdata/localdata/alerts_list.jsonl";
const LOGONS: &str = "msticpy/tests/testdata/localdata/host_logons.jsonl";
const REST: &str =
    "azure-rest-api-specs/security-2022-01-01/Alerts/GetAlertsSubscription_example.json";

fn store() -> SqliteStore {
    SqliteStore::in_memory(Actor("test".into())).unwrap()
}

fn lines(rel: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

/// The first record with a 100 KB field put before all others.
fn padded(rel: &str) -> String {
    let ls = lines(rel);
    let first: Map<String, Value> = serde_json::from_str(&ls[0]).unwrap();
    let mut big = Map::new();
    big.insert("Padding".into(), Value::from("x".repeat(100_000)));
    big.extend(first);
    let mut out = serde_json::to_string(&big).unwrap() + "\n";
    for l in &ls[1..] {
        out.push_str(l);
        out.push('\n');
    }
    assert!(out.find('\n').unwrap() > 64 * 1024);
    out
}

#[test]
fn a_first_alert_record_over_64_kib_does_not_blind_detection() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alerts.jsonl");
    std::fs::write(&p, padded(ALERTS)).unwrap();
    // independent truth: distinct SystemAlertId over the raw lines
    let ids: std::collections::BTreeSet<String> = lines(ALERTS)
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["SystemAlertId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut s = store();
    let r = import_file(&mut s, &p, &mut |_| true).unwrap();
    assert!(r.format.contains("jsonl"), "{}", r.format);
    assert_eq!(r.added.alerts as usize, ids.len());
    assert_eq!(r.skipped_total, 0, "{:?}", r.skipped);
}

#[test]
fn a_first_event_record_over_64_kib_does_not_blind_detection() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("logons.jsonl");
    std::fs::write(&p, padded(LOGONS)).unwrap();
    let mut s = store();
    let r = import_file(&mut s, &p, &mut |_| true).unwrap();
    assert_eq!(r.added.events as usize, lines(LOGONS).len());
    assert_eq!(r.skipped_total, 0);
}

#[test]
fn a_rest_list_with_one_bad_alert_imports_the_rest_and_reports_it() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(REST)).unwrap()).unwrap();
    let mut body = doc["responses"]["200"]["body"].clone();
    let n = body["value"].as_array().unwrap().len();
    assert!(n >= 2);
    body["value"][0] = Value::from("BAD-ELEMENT");
    let text = serde_json::to_string_pretty(&body).unwrap().replace(
        "\"BAD-ELEMENT\"",
        "{\"id\": \"x\", \"properties\": {\"alertDisplayName\": ,, }}",
    );
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("alerts.json");
    std::fs::write(&p, text).unwrap();
    let mut s = store();
    let r = import_file(&mut s, &p, &mut |_| true).unwrap();
    assert_eq!(r.added.alerts as usize, n - 1, "{:?}", r.skipped);
    assert!(
        r.skipped
            .iter()
            .any(|k| k.record == 1 && k.reason.contains("value[0]")),
        "{:?}",
        r.skipped
    );
}

/// 2,500 real logon records (the sample's 25, repeated): more than one progress interval.
fn many_logons(p: &Path) -> Vec<u8> {
    let ls = lines(LOGONS);
    let mut out = Vec::new();
    for _ in 0..100 {
        for l in &ls {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
    }
    std::fs::write(p, &out).unwrap();
    out
}

#[test]
fn a_file_that_grows_during_the_import_is_refused_and_the_case_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("live.jsonl");
    let bytes = many_logons(&p);
    let mut s = store();
    let mut grown = false;
    let r = import_file(&mut s, &p, &mut |_| {
        if !grown {
            grown = true;
            let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
            for l in lines(LOGONS).iter().cycle().take(1000) {
                writeln!(f, "{l}").unwrap();
            }
        }
        true
    });
    assert!(grown);
    match r {
        Err(e @ ApiError::ChangedDuringImport { .. }) => {
            assert!(
                e.to_string().contains("changed while being imported"),
                "{e}"
            );
            assert!(
                e.to_string()
                    .contains(&format!("{} bytes when hashed", bytes.len())),
                "{e}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let st = s.stats().unwrap();
    assert_eq!((st.events, st.sources), (0, 0));
    // once complete it imports, and what is recorded is what was parsed
    let now = std::fs::read(&p).unwrap();
    let r = import_file(&mut s, &p, &mut |_| true).unwrap();
    assert_eq!(r.size, now.len() as u64);
    assert_eq!(r.sha256, hex::encode(Sha256::digest(&now)));
    assert_eq!(r.added.events, 3500);
}

#[test]
fn a_file_swapped_during_the_import_keeps_the_hash_of_what_was_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("swapped.jsonl");
    let original = many_logons(&p);
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, lines(LOGONS)[..3].join("\n") + "\n").unwrap();
    let mut s = store();
    let mut swapped = false;
    let r = import_file(&mut s, &p, &mut |_| {
        if !swapped {
            swapped = true;
            std::fs::rename(&other, &p).unwrap();
        }
        true
    })
    .unwrap();
    assert!(swapped);
    assert_eq!(r.sha256, hex::encode(Sha256::digest(&original)));
    assert_eq!(r.size, original.len() as u64);
    assert_eq!(r.added.events, 2500);
}

// --- memory bombs: each imported in a child process that prints its peak RSS ---

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child side: imports `BOMB_FILE` and prints the report and its peak RSS.
#[test]
#[ignore = "the child process of the memory-bomb tests"]
fn bomb_child() {
    let Some(f) = std::env::var_os("BOMB_FILE") else {
        return;
    };
    let mut s = store();
    let r = import_file(&mut s, Path::new(&f), &mut |_| true);
    let summary = match &r {
        Ok(r) => {
            serde_json::json!({"added": r.added, "skipped_total": r.skipped_total, "kept": r.skipped.len(), "reasons": r.skipped.iter().take(5).map(|k| k.reason.clone()).collect::<Vec<_>>()})
        }
        Err(e) => serde_json::json!({"error": e.to_string()}),
    };
    let stored: usize = s
        .sources()
        .unwrap()
        .first()
        .map(|x| x.skipped.as_array().map(Vec::len).unwrap_or(0))
        .unwrap_or(0);
    println!(
        "BOMB_REPORT={}",
        serde_json::json!({"report": summary, "stored_skipped": stored, "peak_rss_kb": peak_rss_kb()})
    );
}

fn run_bomb(name: &str, file: &Path) -> Value {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "bomb_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("BOMB_FILE", file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.split_once("BOMB_REPORT=").map(|x| x.1))
        .unwrap_or_else(|| panic!("no report: {text} {}", String::from_utf8_lossy(&out.stderr)));
    let v: Value = serde_json::from_str(line).unwrap();
    let kb = v["peak_rss_kb"].as_u64().unwrap();
    let size = std::fs::metadata(file).unwrap().len();
    println!(
        "bomb {name}: {size} bytes on disk, peak RSS {:.1} MB, {}",
        kb as f64 / 1024.0,
        v["report"]
    );
    assert!(kb > 0 && kb < 500 * 1024, "{name}: peak RSS {kb} kB");
    v
}

#[test]
fn a_small_gzip_with_one_60_mb_line_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::best(),
    );
    let ls = lines(LOGONS);
    writeln!(gz, "{}", ls[0]).unwrap();
    let mut big: Map<String, Value> = serde_json::from_str(&ls[1]).unwrap();
    big.insert("Pad".into(), Value::from("A".repeat(60 << 20)));
    serde_json::to_writer(&mut gz, &big).unwrap();
    writeln!(gz).unwrap();
    writeln!(gz, "{}", ls[2]).unwrap();
    gz.finish().unwrap();
    assert!(std::fs::metadata(&p).unwrap().len() < 200_000);
    let v = run_bomb("gzip-60MB-line", &p);
    assert_eq!(v["report"]["added"]["events"], 2);
    assert_eq!(v["report"]["skipped_total"], 1);
    assert!(
        v["report"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("record limit"),
        "{v}"
    );
}

#[test]
fn ten_megabytes_of_bad_lines_keep_a_bounded_skipped_list() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    writeln!(f, "{}", lines(ALERTS)[0]).unwrap();
    let mut n = 0u64;
    while f.get_ref().metadata().unwrap().len() < 9_800_000 {
        for _ in 0..1000 {
            writeln!(
                f,
                "{{\"SystemAlertId\": \"bad-{n}\", \"AlertDisplayName\": oops {n} }}"
            )
            .unwrap();
            n += 1;
        }
        f.flush().unwrap();
    }
    drop(f);
    let v = run_bomb("bad-lines", &p);
    assert_eq!(v["report"]["added"]["alerts"], 1);
    assert_eq!(v["report"]["skipped_total"].as_u64().unwrap(), n);
    assert_eq!(v["report"]["kept"], 1000);
    assert_eq!(v["stored_skipped"], 1000);
}

#[test]
fn a_nested_zip_bomb_is_skipped_on_its_decompression_budget() {
    use zip::write::SimpleFileOptions;
    let dir = tempfile::tempdir().unwrap();
    // innermost: a zip holding 100 MB of zeros (stored), itself deflated into a zip: a
    // member that must be held in memory to be read (zips and EVTX seek)
    let mut z0 = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z0.start_file("zeros.bin", stored).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..100 {
        z0.write_all(&block).unwrap();
    }
    let mut data = z0.finish().unwrap().into_inner();
    let mut z1 = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z1.start_file("events.zip", SimpleFileOptions::default())
        .unwrap();
    z1.write_all(&data).unwrap();
    data = z1.finish().unwrap().into_inner();
    // two more levels of zip around it
    for level in 0..2 {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file(format!("level{level}.zip"), stored).unwrap();
        z.write_all(&data).unwrap();
        data = z.finish().unwrap().into_inner();
    }
    let p = dir.path().join("nested.zip");
    std::fs::write(&p, &data).unwrap();
    let v = run_bomb("nested-zip", &p);
    let reasons = v["report"]["reasons"].to_string();
    assert!(reasons.contains("decompression budget"), "{v}");
    assert!(reasons.contains("level1.zip!level0.zip!events.zip"), "{v}");
    assert!(v["report"]["skipped_total"].as_u64().unwrap() >= 1);
}
