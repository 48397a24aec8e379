//! cb-search over a case filled from real samples (through cb-events) plus two alerts and
//! one event carrying hostile text. Expected numbers are computed with plain SQL over the
//! same case, independently of the search compiler.

use cb_domain::{AlertRecord, EntityRecord, EventRecord, Severity, Sink, Status};
use cb_search::{search, SearchError, SearchOptions};
use cb_store::{Actor, SourceMeta, SqliteStore};
use serde_json::{json, Map};
use std::path::Path;

mod otrf;
mod queryset;

const HOSTILE: &str = "'; DROP TABLE events;-- \"quoted\" NEAR(a b) summary:x col*";

pub(crate) fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

pub(crate) fn import(store: &mut SqliteStore, rel: &str) {
    use std::io::Read;
    let p = fixture(rel);
    let mut head = Vec::new();
    std::fs::File::open(&p)
        .unwrap()
        .take(65536)
        .read_to_end(&mut head)
        .unwrap();
    let fmt = cb_events::detect(&p, &head).unwrap();
    let meta = SourceMeta {
        path: rel.into(),
        sha256: rel.into(),
        size: 0,
        format: fmt.name().into(),
    };
    store
        .import_source(&meta, &mut |_, _| true, &mut |s: &mut dyn Sink| {
            cb_events::import(fmt, &p, s, &cb_events::Settings::default())
        })
        .unwrap();
}

/// The test case: an in-memory store per test (tests run in parallel).
fn store() -> SqliteStore {
    let mut store = SqliteStore::in_memory(Actor("test".into())).unwrap();
    for rel in [
        "msticpy/tests/testdata/localdata/host_logons.jsonl",
        "msticpy/tests/testdata/localdata/processes_on_host.jsonl",
        "msticpy/tests/testdata/localdata/aad_logons.jsonl",
        "otrf-security-datasets/datasets/compound/apt29/day1/zeek/SCRANTON-zeek_logs.zip",
    ] {
        import(&mut store, rel);
    }
    let meta = SourceMeta {
        path: "hand".into(),
        sha256: "hand".into(),
        size: 0,
        format: "test".into(),
    };
    store
        .import_source(&meta, &mut |_, _| true, &mut |s: &mut dyn Sink| {
            // as in the real alerts of this lab host: the name and the agent id, which the
            // SecurityEvent rows carry as SourceComputerId (so both are one host entity)
            let host = EntityRecord::new("host")
                .with("HostName", "MSTICAlertsWin1")
                .with("OMSAgentID", "263a788b-6526-4cdc-8ed9-d79402fe4aa0");
            let (h, _) = s.entity(&host, None, 1)?;
            for (i, (name, sev)) in [
                ("Suspicious RDP logon", Severity::High),
                ("Rare process", Severity::Low),
            ]
            .into_iter()
            .enumerate()
            {
                let a = AlertRecord {
                    ext_id: format!("a{i}"),
                    name: name.into(),
                    severity: Some(sev),
                    status: Some(Status::Active),
                    start: Some(format!("2019-02-1{}T00:00:00.000Z", i + 2)),
                    ..Default::default()
                };
                let id = s.alert(&a, &json!({}), i as u64 + 1)?;
                s.relation(id, h, "involves", &Map::new(), i as u64 + 1)?;
            }
            let mut fields = Map::new();
            fields.insert("summary".into(), json!("x"));
            fields.insert("payload".into(), json!(HOSTILE));
            let ev = EventRecord {
                source: "Hostile".into(),
                channel: "test".into(),
                event_id: Some("1".into()),
                time: Some("2019-01-01T00:00:00.000Z".into()),
                summary: HOSTILE.into(),
                fields,
            };
            s.event(&ev, 3)?;
            Ok(())
        })
        .unwrap();
    store
}

/// `sql`'s one count; `cb_fields(fields)` in it reads an event's fields (see `cb_store::fields::sql`).
fn n(store: &SqliteStore, sql: &str) -> u64 {
    let sql = sql.replace("cb_fields(fields)", &cb_store::fields::sql("fields"));
    store
        .conn()
        .query_row(&sql, [], |r| r.get::<_, i64>(0))
        .unwrap() as u64
}

#[track_caller]
pub(crate) fn total(store: &SqliteStore, q: &str) -> u64 {
    search(store, q, &SearchOptions::default())
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .total
}

#[test]
fn free_text_phrase_and_wildcard() {
    let s = store();
    let r = search(
        &s,
        "conhost",
        &SearchOptions {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.total > 0);
    assert!(r
        .hits
        .iter()
        .any(|h| h.summary.to_lowercase().contains("conhost")));
    let phrase = search(
        &s,
        "\"logon type 3\"",
        &SearchOptions {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        phrase.total,
        n(
            &s,
            "SELECT count(*) FROM events WHERE summary LIKE '%logon type 3:%'"
        )
    );
    assert!(phrase
        .hits
        .iter()
        .all(|h| h.summary.contains("logon type 3")));
    // suffix wildcard finds at least what the full word finds
    assert!(total(&s, "conh*") >= total(&s, "conhost"));
    assert_eq!(total(&s, "zzzqqqxxx"), 0);
}

#[test]
fn original_field_names() {
    let s = store();
    assert_eq!(total(&s, "EventID:4688"), 25);
    assert_eq!(total(&s, "eventid:4624"), 25);
    let admin = n(&s, "SELECT count(*) FROM events WHERE lower(json_extract(cb_fields(fields), '$.TargetUserName')) = 'msticadmin'");
    assert!(admin > 0);
    assert_eq!(total(&s, "TargetUserName:MSTICAdmin"), admin);
    assert!(total(&s, "TargetUserName:mstic*") >= admin);
    assert_eq!(
        total(&s, "LogonType:10"),
        n(
            &s,
            "SELECT count(*) FROM events WHERE json_extract(cb_fields(fields), '$.LogonType') = 10"
        )
    );
    assert_eq!(
        total(&s, "LogonType>=3"),
        n(
            &s,
            "SELECT count(*) FROM events WHERE json_extract(cb_fields(fields), '$.LogonType') >= 3"
        )
    );
    assert_eq!(
        total(&s, "LogonType<3"),
        n(
            &s,
            "SELECT count(*) FROM events WHERE json_extract(cb_fields(fields), '$.LogonType') < 3"
        )
    );
    // zeek field names with dots / underscores
    assert_eq!(
        total(&s, "id_resp_p:53"),
        n(
            &s,
            "SELECT count(*) FROM events WHERE json_extract(cb_fields(fields), '$.id_resp_p') = 53"
        )
    );
}

#[test]
fn normalised_names_through_entities() {
    let s = store();
    // host: events that mention it, alerts that involve it, and the entity itself
    let r = search(
        &s,
        "host:msticalertswin1",
        &SearchOptions {
            limit: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.by_source.get("SecurityAlert"), Some(&2));
    assert_eq!(r.by_source.get("SecurityEvent"), Some(&50));
    assert_eq!(r.by_source.get("Entity"), Some(&1));
    assert!(r.hits.iter().all(|h| !h.entities.is_empty()));
    assert!(total(&s, "ip:131.107.147.209") > 0);
    assert_eq!(
        total(&s, "ip:131.107.147.209 AND source:SecurityEvent"),
        n(&s, "SELECT count(*) FROM events WHERE json_extract(cb_fields(fields), '$.IpAddress') = '131.107.147.209'")
    );
    assert!(total(&s, "user:msticadmin") > 0);
    assert!(total(&s, "process:conhost*") > 0);
    assert!(total(&s, "file:conhost.exe") > 0);
    assert!(total(&s, "dns:*") == 0, "a bare wildcard is no term");
    assert!(total(&s, "source:zeek.dns") > 0);
    assert_eq!(
        total(&s, "source:zeek.*"),
        n(&s, "SELECT count(*) FROM events WHERE source LIKE 'zeek.%'")
    );
}

#[test]
fn alerts_severity_status() {
    let s = store();
    assert_eq!(total(&s, "severity>=medium"), 1);
    assert_eq!(total(&s, "severity>=low"), 2);
    assert_eq!(total(&s, "severity<high"), 1);
    assert_eq!(total(&s, "status:active"), 2);
    assert_eq!(total(&s, "status:resolved"), 0);
    assert_eq!(total(&s, "rdp"), 1 + n(&s, "SELECT 0"));
}

#[test]
fn boolean_operators_and_parentheses() {
    let s = store();
    let e4624 = total(&s, "eventid:4624");
    let lt5 = n(&s, "SELECT count(*) FROM events WHERE event_id = '4624' AND json_extract(cb_fields(fields), '$.LogonType') = 5");
    assert_eq!(total(&s, "eventid:4624 AND NOT LogonType:5"), e4624 - lt5);
    assert_eq!(total(&s, "eventid:4624 -LogonType:5"), e4624 - lt5);
    assert_eq!(total(&s, "(eventid:4624 OR eventid:4688)"), 50);
    assert_eq!(
        total(&s, "eventid:4624 OR EventID:4688 OR severity:high"),
        51
    );
    let all = total(&s, "");
    assert_eq!(total(&s, "NOT conhost") + total(&s, "conhost"), all);
    assert_eq!(
        total(&s, "(conhost OR svchost) AND NOT (eventid:4624)"),
        search(&s, "conhost OR svchost", &SearchOptions::default())
            .unwrap()
            .total
            - total(&s, "(conhost OR svchost) eventid:4624")
    );
    // filters combined with text are checked per text hit: same answers as the set forms
    let only = |q: &str, src: &str| {
        search(
            &s,
            q,
            &SearchOptions {
                sources: vec![src.into()],
                ..Default::default()
            },
        )
        .unwrap()
        .total
    };
    assert_eq!(
        total(&s, "conhost source:SecurityEvent"),
        only("conhost", "SecurityEvent")
    );
    assert_eq!(
        total(&s, "conhost source:Security*"),
        only("conhost", "SecurityEvent")
    );
    assert_eq!(
        total(&s, "conhost -source:SecurityEvent"),
        total(&s, "conhost") - only("conhost", "SecurityEvent")
    );
    assert_eq!(
        total(&s, "logon eventid:4624"),
        total(&s, "(logon) AND (eventid:4624 OR eventid:4624)")
    );
    assert_eq!(
        total(&s, "logon eventid:46*"),
        total(&s, "logon AND (eventid:4624 OR eventid:4688)")
    );
    assert_eq!(
        total(&s, "logon LogonType>=3"),
        n(&s, "SELECT count(*) FROM events WHERE summary LIKE '%logon%' AND json_extract(cb_fields(fields), '$.LogonType') >= 3")
    );
    assert_eq!(
        total(&s, "logon time>=2019-02-12 time<2019-02-13"),
        n(&s, "SELECT count(*) FROM events WHERE summary LIKE '%logon%' AND time >= '2019-02-12' AND time < '2019-02-13'")
            + n(&s, "SELECT count(*) FROM alerts WHERE name LIKE '%logon%' AND start_time >= '2019-02-12' AND start_time < '2019-02-13'")
    );
    // lower-case and/or/not are words, not operators
    assert_eq!(total(&s, "conhost and"), 0);
}

#[test]
fn time_range_source_filter_paging() {
    let s = store();
    let opts = SearchOptions {
        time_from: Some("2019-02-12".into()),
        time_to: Some("2019-02-13".into()),
        ..Default::default()
    };
    let r = search(&s, "", &opts).unwrap();
    let expect = n(&s, "SELECT count(*) FROM events WHERE time >= '2019-02-12' AND time < '2019-02-13'")
        + n(&s, "SELECT count(*) FROM alerts WHERE start_time >= '2019-02-12' AND start_time < '2019-02-13'");
    assert_eq!(r.total, expect);
    assert_eq!(
        total(&s, "time>=2020-01-01"),
        n(&s, "SELECT count(*) FROM events WHERE time >= '2020-01-01'")
    );

    let only = SearchOptions {
        sources: vec!["signinlogs".into()],
        limit: 1000,
        ..Default::default()
    };
    let r = search(&s, "", &only).unwrap();
    assert_eq!(r.total, 86);
    assert_eq!(r.by_source.len(), 1);

    let r = search(
        &s,
        "",
        &SearchOptions {
            limit: 1000,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.total, r.by_source.values().sum::<u64>());
    let a = search(
        &s,
        "",
        &SearchOptions {
            limit: 10,
            offset: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let b = search(
        &s,
        "",
        &SearchOptions {
            limit: 10,
            offset: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.hits.len(), 10);
    assert!(a.hits.iter().all(|h| !b.hits.iter().any(|x| x.id == h.id)));
    // sorted by time, entities (no time) last
    let times: Vec<_> = r.hits.iter().filter_map(|h| h.time.clone()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(a.hits[0].time.as_deref(), Some("2019-01-01T00:00:00.000Z"));
    let newest = search(
        &s,
        "",
        &SearchOptions {
            limit: 1,
            newest_first: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(newest.hits[0].time.as_deref() >= times.last().map(|s| s.as_str()));
}

#[test]
fn syntax_errors_name_position_and_expectation() {
    let s = store();
    match search(&s, "(eventid:4624 OR", &SearchOptions::default()) {
        Err(SearchError::Syntax { position, expected }) => {
            assert_eq!(position, 16);
            assert_eq!(expected, "a search term");
        }
        other => panic!("{other:?}"),
    }
    match search(&s, "severity>=urgent", &SearchOptions::default()) {
        Err(SearchError::Syntax { position, expected }) => {
            assert_eq!(position, 10);
            assert!(expected.contains("severity"), "{expected}");
        }
        other => panic!("{other:?}"),
    }
    let e = search(&s, "a \"b", &SearchOptions::default()).unwrap_err();
    assert!(e.to_string().contains("character 4"), "{e}");
}

#[test]
fn hostile_queries_find_literal_text() {
    let s = store();
    let before = n(&s, "SELECT count(*) FROM events");
    let q = "\"'; DROP TABLE events;--\"";
    let r = search(&s, q, &SearchOptions::default()).unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].source, "Hostile");
    // FTS5 syntax as plain words: NEAR, a column filter, a bare star, quotes
    for q in [
        "NEAR(a b)",
        "summary:x",
        "summary:x NEAR",
        "\"\"\"quoted\"\"\"",
        "DROP TABLE",
        "'; DROP TABLE events;--",
    ] {
        let r = search(&s, q, &SearchOptions::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(r.total, 1, "{q}");
        assert_eq!(r.hits[0].source, "Hostile", "{q}");
    }
    let r = search(
        &s,
        "col*",
        &SearchOptions {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.hits.iter().any(|h| h.source == "Hostile"));
    for q in ["*", "\"", "\"*\"", "body:", "-", "'", "%", "_"] {
        let _ = search(&s, q, &SearchOptions::default()); // a result or a syntax error, never a panic
    }
    assert_eq!(total(&s, "%"), 0);
    assert_eq!(
        total(&s, "source:%"),
        0,
        "LIKE wildcards in values are literal"
    );
    assert_eq!(
        n(&s, "SELECT count(*) FROM events"),
        before,
        "nothing was dropped"
    );
}
