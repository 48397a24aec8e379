use crate::common::*;
use cb_graph::{expand, queries, CaseGraph, GraphError};
use cb_store::SqliteStore;

/// Every query of every node: the count offered equals `total`, and paging with a small limit
/// visits exactly `total` distinct nodes with `more` counting down to 0.
fn walk_all(store: &SqliteStore) -> usize {
    let mut checked = 0;
    for node in all_nodes(store) {
        for q in queries(store, node).unwrap() {
            let x = expand(store, node, &q.id, 50, 0).unwrap();
            assert_eq!(
                q.count, x.total,
                "{node} {}: count {} but total {}",
                q.id, q.count, x.total
            );
            assert_eq!(
                x.more,
                x.total.saturating_sub(x.nodes.len() as u64),
                "{node} {}",
                q.id
            );
            assert_eq!(
                x.nodes.len(),
                x.edges.len(),
                "{node} {}: one edge per node",
                q.id
            );
            for e in &x.edges {
                assert!(
                    e.from == node || e.to == node,
                    "{node} {}: edge {} does not touch the node",
                    q.id,
                    e.id
                );
            }
            // page by 2 through small answers; for large ones check the last page
            if q.count <= 40 {
                let mut seen = std::collections::BTreeSet::new();
                let mut off = 0;
                loop {
                    let p = expand(store, node, &q.id, 2, off).unwrap();
                    assert_eq!(p.total, q.count);
                    for n in &p.nodes {
                        assert!(seen.insert(n.id), "{node} {}: {} twice", q.id, n.id);
                    }
                    off += 2;
                    if p.more == 0 {
                        break;
                    }
                }
                assert_eq!(seen.len() as u64, q.count, "{node} {}", q.id);
            } else {
                let last = expand(store, node, &q.id, 50, q.count as usize - 1).unwrap();
                assert_eq!(
                    (last.nodes.len(), last.total, last.more),
                    (1, q.count, 0),
                    "{node} {}",
                    q.id
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn counts_equal_totals_on_the_scenario() {
    let mut s = store();
    scenario(&mut s);
    cb_graph::correlate(&mut s, &Default::default()).unwrap();
    assert!(walk_all(&s) > 100);
}

#[test]
fn counts_equal_totals_on_the_real_fixtures() {
    let mut s = store();
    let files = fixture_case(&mut s);
    assert!(
        files.iter().any(|f| f.ends_with("alerts_list.jsonl")),
        "imported {files:?}"
    );
    cb_graph::correlate(&mut s, &Default::default()).unwrap();
    assert!(walk_all(&s) > 50);
}

#[track_caller]
fn check_queries(s: &SqliteStore, node: cb_domain::NodeId, expected: &str) {
    let got: Vec<String> = queries(s, node)
        .unwrap()
        .into_iter()
        .map(|q| format!("{}={}", q.id, q.count))
        .collect();
    assert_eq!(got.join(" "), expected);
}

#[test]
fn queries_per_node_type() {
    let mut s = store();
    let sc = scenario(&mut s);
    check_queries(
        &s,
        sc.alerts[1],
        "entities=5 incidents=0 shared_entity_alerts=4 same_type_alerts=3 grouped_alerts=0",
    );
    check_queries(&s, sc.incident, "alerts=1 entities=2");
    check_queries(
        &s,
        sc.web01,
        "alerts=5 incidents=0 sessions=0 logons_from=0 logons_to=0 accounts=2 processes=2 ips=2 peers=1 files=1 related=3 possibly_same_as=0 events=0",
    );
    check_queries(
        &s,
        sc.ian,
        "alerts=4 incidents=1 hosts=2 sessions=0 source_ips=1 processes=1 related=3 possibly_same_as=1 events=4 events:SecurityEvent=3 events:SigninLogs=1",
    );
    check_queries(&s, sc.ip_ext, "alerts=1 incidents=0 hosts=1 sessions=0 processes=0 accounts=1 peers=1 related=2 possibly_same_as=0 events=1 events:SigninLogs=1");
    check_queries(
        &s,
        sc.proc,
        "alerts=1 incidents=0 parent=1 children=0 image_file=1 account=1 host=1 connections=0 inbound=0 session=0 opened=0 opened_by=0 dns=0 files=1 related=4 possibly_same_as=0 events=0",
    );
    check_queries(&s, sc.parent, "alerts=1 incidents=0 parent=0 children=1 image_file=0 account=0 host=1 connections=0 inbound=0 session=0 opened=0 opened_by=0 dns=0 files=0 related=2 possibly_same_as=0 events=0");
    check_queries(
        &s,
        sc.file,
        "alerts=1 incidents=0 hashes=1 processes=1 hosts=1 related=2 possibly_same_as=0 events=0",
    );
    check_queries(&s, cb_domain::NodeId::Event(1), "entities=2");
    // a bare user name is never merged with the strong account, only offered as look-alike
    let same = expand(&s, sc.bare_ian, "possibly_same_as", 50, 0).unwrap();
    assert_eq!(
        same.nodes.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![sc.ian]
    );
    let peers = expand(&s, sc.ip_peer, "peers", 50, 0).unwrap();
    assert_eq!(
        peers.nodes.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![sc.web01, sc.ip_ext]
    );
    assert!(peers
        .edges
        .iter()
        .all(|e| e.kind == "connected_to" && e.to == sc.ip_peer));
}

#[test]
fn expansion_pages_and_snapshot() {
    let mut s = store();
    let sc = scenario(&mut s);
    let mut g = CaseGraph::new();
    let x = g.expand(&s, sc.alerts[1], "entities", 3, 0).unwrap();
    assert_eq!((x.nodes.len(), x.total, x.more), (3, 5, 2));
    let x = g.expand(&s, sc.alerts[1], "entities", 3, 3).unwrap();
    assert_eq!((x.nodes.len(), x.total, x.more), (2, 5, 0));
    g.expand(&s, sc.proc, "parent", 50, 0).unwrap();
    g.expand(&s, sc.proc, "account", 50, 0).unwrap();
    g.expand(&s, sc.ian, "events:SecurityEvent", 50, 0).unwrap();
    g.expand(&s, sc.ian, "hosts", 50, 0).unwrap();
    g.expand(&s, sc.web01, "peers", 50, 0).unwrap();
    check_snapshot("scenario_expanded", &g.render());
}

#[test]
fn real_fixture_snapshot() {
    let mut s = store();
    fixture_case(&mut s);
    // the Linux VM's suspicious download: entities, incident, alerts sharing its host
    let first = s
        .alerts(cb_store::AlertSort::Time)
        .unwrap()
        .into_iter()
        .rev()
        .find(|a| a.name == "Detected suspicious file download")
        .unwrap()
        .id;
    let mut g = CaseGraph::new();
    for q in queries(&s, first).unwrap() {
        g.expand(&s, first, &q.id, 8, 0).unwrap();
    }
    check_snapshot("fixture_first_alert", &normalise_ids(&g.render()));
}

#[test]
fn errors_name_the_node_and_query() {
    let mut s = store();
    let sc = scenario(&mut s);
    assert!(matches!(
        expand(&s, sc.web01, "bogus", 5, 0),
        Err(GraphError::NoSuchQuery { .. })
    ));
    assert!(matches!(
        queries(&s, cb_domain::NodeId::Alert(999)),
        Err(GraphError::NoSuchNode(_))
    ));
    // user text in a query id never reaches SQL
    assert!(expand(&s, sc.ian, "events:x' OR 1=1 --", 5, 0)
        .unwrap()
        .nodes
        .is_empty());
}
