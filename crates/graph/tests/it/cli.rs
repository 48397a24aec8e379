use crate::common::*;
use cb_graph::cli::{cmd_expand, cmd_incidents, cmd_investigation, cmd_path, InvestigationCmd};
use cb_graph::CorrelationSettings;

#[test]
fn json_contracts() {
    let mut s = store();
    let sc = scenario(&mut s);
    let v = cmd_expand(&s, sc.web01, None, None, None).unwrap();
    assert_eq!(v["node"]["id"], sc.web01.to_string());
    assert_eq!(v["node"]["kind"], "host");
    assert_eq!(
        v["queries"][0],
        serde_json::json!({"id": "alerts", "label": "Related alerts", "count": 5})
    );
    let v = cmd_expand(&s, sc.web01, Some("alerts"), Some(2), Some(1)).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["nodes", "edges", "total", "more"]);
    assert_eq!(
        (
            v["total"].as_u64(),
            v["more"].as_u64(),
            v["nodes"].as_array().unwrap().len()
        ),
        (Some(5), Some(2), 2)
    );
    assert_eq!(v["nodes"][0]["severity"], "High");
    assert_eq!(v["edges"][0]["kind"], "involves");
    let v = cmd_path(&s, sc.file, sc.web01, Some(4), &[]).unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["nodes", "edges"]
    );
    let v = cmd_path(&s, sc.file, sc.web01, Some(4), &["nope".to_string()]).unwrap();
    assert_eq!(v, serde_json::json!({"nodes": [], "edges": []}));
    let v = cmd_incidents(&mut s, Some(&CorrelationSettings::default())).unwrap();
    let derived: Vec<_> = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["reason"].is_null())
        .collect();
    assert_eq!(derived.len(), 2);
    assert!(derived
        .iter()
        .all(|i| i["alerts"].as_array().unwrap().len() >= 2));
    let m = cmd_investigation(
        &mut s,
        InvestigationCmd::New {
            name: "x".into(),
            start: sc.ian,
        },
    )
    .unwrap();
    let id = m["id"].as_i64().unwrap();
    let op = format!(r#"{{"op":"expand","node":"{}","query":"hosts"}}"#, sc.ian);
    let v = cmd_investigation(&mut s, InvestigationCmd::Op { id, op }).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 3);
    let v = cmd_investigation(&mut s, InvestigationCmd::Undo { id }).unwrap();
    assert_eq!(v["can_redo"], true);
    let v = cmd_investigation(&mut s, InvestigationCmd::Show { id, text: true }).unwrap();
    assert!(v.as_str().unwrap().starts_with(&sc.ian.to_string()));
    assert!(cmd_investigation(
        &mut s,
        InvestigationCmd::Op {
            id,
            op: "{\"op\":\"fly\"}".into()
        }
    )
    .is_err());
}
