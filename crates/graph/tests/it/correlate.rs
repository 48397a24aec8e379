use crate::common::*;
use cb_domain::NodeId;
use cb_graph::{add_alert, correlate, remove_alert, CorrelationSettings};

#[test]
fn kill_chain_and_shared_entity_groups_explain_themselves() {
    let mut s = store();
    let sc = scenario(&mut s);
    let a = |i: usize| sc.alerts[i - 1];
    let d = correlate(&mut s, &CorrelationSettings::default()).unwrap();
    let got: Vec<(String, Vec<NodeId>, String)> = d
        .iter()
        .map(|d| (d.rule.clone(), d.alerts.clone(), d.reason.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "kill_chain".to_string(),
                vec![a(1), a(2), a(3)],
                "3 alerts on host web01 between 2019-02-15T01:00:00.000Z and 2019-02-15T02:00:00.000Z: Initial Access → Execution → Persistence"
                    .to_string()
            ),
            (
                "shared_entity".to_string(),
                vec![a(5), a(6)],
                format!("2 alerts sharing account ian@contoso.com ({}) between 2019-02-15T03:00:00.000Z and 2019-02-15T03:30:00.000Z", sc.ian)
            ),
        ]
    );
    assert!(d.iter().all(|d| d.created));
    // stored, with reason and alerts; the imported incident is untouched
    let incs = s.incidents().unwrap();
    assert_eq!(incs.len(), 3);
    let imported = incs.iter().find(|i| i.id == sc.incident).unwrap();
    assert_eq!(
        (imported.reason.clone(), imported.alerts.clone()),
        (None, vec![a(7)])
    );
    for di in &d {
        let row = incs.iter().find(|i| i.id == di.id).unwrap();
        assert_eq!(row.reason.as_deref(), Some(di.reason.as_str()));
        assert_eq!(row.alerts, di.alerts);
    }
    // idempotent: nothing new, nothing written
    let audit_before = s.audit_log(None).unwrap().len();
    let again = correlate(&mut s, &CorrelationSettings::default()).unwrap();
    assert!(again.iter().all(|d| !d.created));
    assert_eq!(s.incidents().unwrap().len(), 3);
    assert_eq!(s.audit_log(None).unwrap().len(), audit_before);
}

#[test]
fn same_host_far_apart_is_not_grouped() {
    let mut s = store();
    let sc = scenario(&mut s);
    // A4 (Credential Access, 19th) and A8 (Impact, 22nd) on web01: a kill-chain order, 3 days apart
    let d = correlate(&mut s, &CorrelationSettings::default()).unwrap();
    for x in &d {
        assert!(
            !x.alerts.contains(&sc.alerts[3]) && !x.alerts.contains(&sc.alerts[7]),
            "{x:?}"
        );
    }
    // with a window of a week they are
    let mut s2 = store();
    let sc2 = scenario(&mut s2);
    let wide = CorrelationSettings {
        kill_chain_window_minutes: 7 * 24 * 60,
        ..Default::default()
    };
    let d = correlate(&mut s2, &wide).unwrap();
    let kc: Vec<_> = d.iter().filter(|d| d.rule == "kill_chain").collect();
    assert!(
        kc.iter().any(|d| d.alerts.contains(&sc2.alerts[3])),
        "{kc:?}"
    );
}

#[test]
fn settings_switch_rules_and_stage_order_matters() {
    let mut s = store();
    scenario(&mut s);
    let only_entities = CorrelationSettings {
        kill_chain: false,
        ..Default::default()
    };
    let d = correlate(&mut s, &only_entities).unwrap();
    assert!(d.iter().all(|d| d.rule == "shared_entity"));
    // web01 holds the most alerts; A1..A3 are within 5 h of each other
    assert_eq!(d[0].alerts.len(), 3);
    assert!(
        d[0].reason.contains("host WEB01.contoso.com"),
        "{}",
        d[0].reason
    );
    let json = serde_json::to_value(CorrelationSettings::default()).unwrap();
    let back: CorrelationSettings =
        serde_json::from_value(serde_json::json!({"min_stages": 3})).unwrap();
    assert_eq!(back.min_stages, 3);
    assert_eq!(json["kill_chain_window_minutes"], 1440);
}

#[test]
fn analyst_adds_and_removes_alerts_audited() {
    let mut s = store();
    let sc = scenario(&mut s);
    let d = correlate(&mut s, &CorrelationSettings::default()).unwrap();
    let inc = d[0].id;
    assert!(add_alert(&mut s, inc, sc.alerts[3]).unwrap());
    assert!(!add_alert(&mut s, inc, sc.alerts[3]).unwrap());
    assert!(remove_alert(&mut s, inc, sc.alerts[0]).unwrap());
    let row = s
        .incidents()
        .unwrap()
        .into_iter()
        .find(|i| i.id == inc)
        .unwrap();
    assert_eq!(row.alerts, vec![sc.alerts[1], sc.alerts[2], sc.alerts[3]]);
    let log = s.audit_log(Some(&inc.to_string())).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "incident.add_alert",
            "incident.add_alert",
            "incident.remove_alert"
        ]
    );
    assert_eq!(s.verify_audit().unwrap(), None);
    // hand edits survive correlating again
    correlate(&mut s, &CorrelationSettings::default()).unwrap();
    let row = s
        .incidents()
        .unwrap()
        .into_iter()
        .find(|i| i.id == inc)
        .unwrap();
    assert_eq!(row.alerts.len(), 3);
    assert!(add_alert(&mut s, NodeId::Incident(99), sc.alerts[0]).is_err());
}

/// On the real fixtures every derived incident's alerts really share what the reason says.
#[test]
fn real_fixture_groups_share_their_reason() {
    let mut s = store();
    fixture_case(&mut s);
    let d = correlate(&mut s, &CorrelationSettings::default()).unwrap();
    for x in &d {
        assert!(x.alerts.len() >= 2);
        if x.rule == "shared_entity" {
            let ent: NodeId = x.shared.parse().unwrap();
            for a in &x.alerts {
                let rels = s.relations_of(*a).unwrap();
                assert!(
                    rels.iter().any(|r| r.kind == "involves" && r.to == ent),
                    "{a} lacks {ent}: {}",
                    x.reason
                );
            }
        }
    }
    check_snapshot(
        "fixture_correlation",
        &normalise_ids(
            &d.iter()
                .map(|d| {
                    format!(
                        "{} [{}]: {}\n",
                        d.rule,
                        d.alerts
                            .iter()
                            .map(|a| a.to_string())
                            .collect::<Vec<_>>()
                            .join(" "),
                        d.reason
                    )
                })
                .collect::<String>(),
        ),
    );
}
