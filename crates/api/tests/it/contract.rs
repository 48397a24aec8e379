//! The `--json` contract (README) is the serde form of the cb-api responses: the keys each
//! response has, on real samples, with values counted from the raw files.

use super::{fixture, ALERTS};
use cb_api::explore::PathRequest;
use cb_api::search::SearchRequest;
use cb_api::{explore, queue, Actor, Case};
use serde_json::Value;

const LOGONS: &str = "msticpy/tests/testdata/localdata/host_logons.jsonl";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap()
}

#[test]
fn responses_keep_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.case");
    cb_api::import::import_paths(
        &path,
        &[fixture(ALERTS), fixture(LOGONS)],
        Actor("t".into()),
        &mut |_, _| true,
    )
    .unwrap();
    let case = Case::open(&path, Actor("t".into())).unwrap();

    let alerts = json(&queue::alerts(&case, queue::QueueSort::Severity).unwrap());
    let a = &alerts["alerts"][0];
    for k in [
        "id",
        "ext_id",
        "name",
        "severity",
        "status",
        "start",
        "end",
        "provider",
        "product",
        "compromised_entity",
        "entities",
    ] {
        assert!(a.get(k).is_some(), "alerts[].{k}");
    }
    let incidents = json(&queue::incidents(&case).unwrap());
    for i in incidents["incidents"].as_array().unwrap() {
        for k in [
            "id",
            "title",
            "severity",
            "status",
            "reason",
            "alerts",
            "missing_alerts",
        ] {
            assert!(i.get(k).is_some(), "incidents[].{k}");
        }
    }
    let ents = json(&queue::entities(&case, Some("host")).unwrap());
    assert_eq!(
        keys(&ents["entities"][0]),
        ["id", "kind", "label", "key", "strength", "props"]
    );

    let id = cb_api::node_id(a["id"].as_str().unwrap()).unwrap();
    let shown = json(&cb_api::show::show(&case, id).unwrap());
    for k in ["id", "kind", "label", "fields", "relations", "labels"] {
        assert!(shown.get(k).is_some(), "show.{k}");
    }
    let r = &shown["relations"][0];
    for k in ["from", "to", "kind", "props", "source", "record"] {
        assert!(r.get(k).is_some(), "show.relations[].{k}");
    }
    // every other node a relation names has its label
    let other = if r["from"] == shown["id"] {
        &r["to"]
    } else {
        &r["from"]
    };
    assert!(shown["labels"][other.as_str().unwrap()].is_string());

    let q = json(&explore::queries(&case, id).unwrap());
    assert_eq!(keys(&q), ["node", "queries"]);
    assert_eq!(keys(&q["queries"][0]), ["id", "label", "count"]);
    let x = json(&explore::expand(&case, id, "entities", Some(1), None).unwrap());
    assert_eq!(keys(&x), ["nodes", "edges", "total", "more"]);
    let to = x["nodes"][0]["id"].as_str().unwrap();
    let req = PathRequest {
        from: id,
        to: cb_api::node_id(to).unwrap(),
        max_depth: None,
        kinds: vec![],
    };
    let p = json(&explore::path(&case, &req).unwrap());
    assert!(keys(&p).starts_with(&["nodes", "edges"]));
    assert_eq!(p["nodes"].as_array().unwrap().len(), 2);

    // search: counted from the raw lines
    let raw = std::fs::read_to_string(fixture(LOGONS)).unwrap();
    let want = raw
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["EventID"] == 4624)
        .count();
    let s = cb_api::search::search(
        &case,
        &SearchRequest {
            query: "eventid:4624".into(),
            limit: Some(2),
            offset: Some(1),
            sources: vec![],
        },
    )
    .unwrap();
    let s = json(&s);
    assert!(keys(&s).starts_with(&["total", "by_source", "hits"]));
    assert_eq!(s["total"], want);
    assert_eq!(s["by_source"], serde_json::json!({"SecurityEvent": want}));
    assert_eq!(
        keys(&s["hits"][0]),
        ["id", "time", "source", "summary", "entities"]
    );
    for e in s["hits"][0]["entities"].as_array().unwrap() {
        assert!(s["labels"][e.as_str().unwrap()].is_string());
    }
    // a syntax error is data, with its position
    let bad = SearchRequest {
        query: "host:(".into(),
        limit: None,
        offset: None,
        sources: vec![],
    };
    let s = cb_api::search::search(&case, &bad).unwrap();
    assert!(s.syntax.is_some() && s.hits.is_empty());

    // the documented fields stay; the sealed-chain verify adds its own (ok, findings, …)
    let v = json(&cb_api::sources::verify(&case).unwrap());
    let k = keys(&v);
    for f in ["audit_broken_at", "sources", "ok", "findings"] {
        assert!(k.contains(&f), "{f} missing from {k:?}");
    }
    assert!(v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "ok"));
}
