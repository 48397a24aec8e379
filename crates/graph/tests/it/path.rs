use crate::common::*;
use cb_graph::path;

#[test]
fn shortest_path_bounded_and_typed() {
    let mut s = store();
    let sc = scenario(&mut s);
    let p = path(&s, sc.hash, sc.db01, 8, None).unwrap();
    let ids: Vec<String> = p.nodes.iter().map(|n| n.id.to_string()).collect();
    assert_eq!(p.nodes.first().unwrap().id, sc.hash);
    assert_eq!(p.nodes.last().unwrap().id, sc.db01);
    assert_eq!(p.edges.len(), p.nodes.len() - 1);
    check_snapshot(
        "path_hash_to_db01",
        &format!(
            "{}\n{}\n",
            ids.join(" "),
            p.edges
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    // too shallow
    assert!(path(&s, sc.hash, sc.db01, 1, None)
        .unwrap()
        .nodes
        .is_empty());
    // only process relations: the file reaches the host through the process, not further
    let kinds: Vec<String> = ["ImageFile", "Host"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let p = path(&s, sc.file, sc.web01, 5, Some(&kinds)).unwrap();
    assert_eq!(p.nodes.len(), 3);
    assert!(path(&s, sc.file, sc.db01, 5, Some(&kinds))
        .unwrap()
        .nodes
        .is_empty());
    // through incident membership
    let p = path(&s, sc.incident, sc.db01, 3, None).unwrap();
    assert_eq!(p.nodes.len(), 3, "{:?}", p.nodes);
}

/// Two real OTRF datasets imported into a new case.
fn two_real_files() -> cb_store::SqliteStore {
    let mut s = store();
    for f in [
        "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip",
        "fixtures/otrf-security-datasets/datasets/atomic/windows/discovery/host/empire_find_localadmin_smb_svcctl_OpenSCManager.zip",
    ] {
        cb_api::import_file(&mut s, &root().join(f), &mut |_| true).unwrap();
    }
    s
}

/// Neighbour → the kinds of the relations with it, per node.
type Adjacency = std::collections::BTreeMap<
    String,
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
>;

/// The relation rows as an undirected graph.
fn relation_graph(s: &cb_store::SqliteStore) -> Adjacency {
    let mut adj = Adjacency::new();
    let mut st = s
        .conn()
        .prepare("SELECT src, dst, kind FROM relations")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    for r in rows {
        let (a, b, k) = r.unwrap();
        adj.entry(a.clone())
            .or_default()
            .entry(b.clone())
            .or_default()
            .insert(k.clone());
        adj.entry(b).or_default().entry(a).or_default().insert(k);
    }
    adj
}

/// Every 2-step stretch of a real path is found again from its inner nodes.
#[test]
fn every_two_step_stretch_is_found_again() {
    let mut s = store();
    let sc = scenario(&mut s);
    let p = path(&s, sc.hash, sc.db01, 8, None).unwrap();
    assert!(
        p.nodes.len() >= 4,
        "need a path with inner nodes: {:?}",
        p.nodes
    );
    for i in 1..p.nodes.len() - 2 {
        let (a, c) = (p.nodes[i].id, p.nodes[i + 2].id);
        let q = path(&s, a, c, 2, None).unwrap();
        assert_eq!(q.nodes.len(), 3, "{a} → {c}: {:?}", q.nodes);
        assert_eq!(q.nodes[0].id, a);
        assert_eq!(q.nodes[2].id, c);
    }
}

/// A path between a real hub (WORKSTATION5, mentioned by ~16k events of two OTRF datasets) and
/// a busy process three or more steps away. Both ends have more neighbours than a per-side
/// visit budget of `min(degree) - 1` allows, so a search capped by a global count stops each
/// side after its first level and misses it. The expected length comes from a plain
/// breadth-first search over the relation rows, in the test.
#[test]
fn path_from_a_real_hub_is_found_and_shortest() {
    use std::collections::{BTreeMap, VecDeque};
    let s = two_real_files();
    let adj = relation_graph(&s);
    assert_eq!(
        s.conn()
            .query_row("SELECT count(*) FROM incident_alerts", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        0,
        "no incident edges besides the relation rows"
    );
    let deg = |n: &str| adj.get(n).map_or(0, |m| m.len());
    let hub = adj
        .keys()
        .max_by_key(|n| (deg(n), std::cmp::Reverse(n.to_string())))
        .unwrap()
        .clone();
    let (kind, label): (String, String) = s
        .conn()
        .query_row(
            "SELECT kind, label FROM entities WHERE 'entity:' || id = ?1",
            [&hub],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (kind.as_str(), label.as_str()),
        ("host", "WORKSTATION5.theshire.local")
    );
    assert!(deg(&hub) > 10_000, "hub degree {}", deg(&hub));
    // plain BFS from the hub
    let mut dist: BTreeMap<String, usize> = BTreeMap::from([(hub.clone(), 0)]);
    let mut q = VecDeque::from([hub.clone()]);
    while let Some(n) = q.pop_front() {
        let d = dist[&n];
        for m in adj[&n].keys() {
            if !dist.contains_key(m) {
                dist.insert(m.clone(), d + 1);
                q.push_back(m.clone());
            }
        }
    }
    // the busiest node three or more steps away
    let far = dist
        .iter()
        .filter(|(_, &d)| d >= 3)
        .max_by_key(|(n, _)| (deg(n), std::cmp::Reverse(n.to_string())))
        .map(|(n, _)| n.clone())
        .expect("a node three steps from the hub");
    let want = dist[&far];
    assert!(deg(&far) > 100, "{far} degree {}", deg(&far));
    let (a, b): (cb_domain::NodeId, cb_domain::NodeId) =
        (hub.parse().unwrap(), far.parse().unwrap());
    for (x, y) in [(a, b), (b, a)] {
        let p = path(&s, x, y, 6, None).unwrap();
        assert_eq!(p.nodes.len(), want + 1, "{x} → {y}: {:?}", p.nodes);
        assert_eq!(p.nodes[0].id, x);
        assert_eq!(p.nodes[want].id, y);
        // every step is a stored relation of that kind, in either direction
        for (w, e) in p.nodes.windows(2).zip(&p.edges) {
            let (u, v) = (w[0].id.to_string(), w[1].id.to_string());
            assert!(
                adj[&u].get(&v).is_some_and(|ks| ks.contains(&e.kind)),
                "{u} -[{}]- {v} is not a relation",
                e.kind
            );
            assert!(
                (e.from.to_string(), e.to.to_string()) == (u.clone(), v.clone())
                    || (e.from.to_string(), e.to.to_string()) == (v, u)
            );
        }
        // and nothing shorter exists
        assert!(path(&s, x, y, want - 1, None).unwrap().nodes.is_empty());
    }
}

/// Paths on a real case with detections (Sigma alerts whose `evidence` runs into events, so
/// some events are nodes of their own besides the entity pairs a path walks): between hubs,
/// ordinary entities, events and alerts, every path found is as short as a plain
/// breadth-first search over the relation rows (in the test) says, within the depth, made of
/// stored relations, and the same length as the search that reads every relation (taken when
/// a kind filter is given; here every kind of the case).
#[test]
fn paths_over_entity_pairs_are_shortest_on_a_real_case_with_detections() {
    use std::collections::{BTreeMap, BTreeSet, VecDeque};
    let mut s = two_real_files();
    cb_api::detect::detect(
        &mut s,
        &cb_api::detect::DetectSettings::default(),
        &mut |_| true,
    )
    .unwrap();
    let q = |sql: &str| -> Vec<String> {
        let mut st = s.conn().prepare(sql).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let evidence = q("SELECT DISTINCT dst FROM relations WHERE src LIKE 'alert:%' AND dst LIKE 'event:%' ORDER BY dst");
    assert!(
        evidence.len() >= 3,
        "detections with evidence: {evidence:?}"
    );
    let adj = relation_graph(&s);
    let deg = |n: &str| adj.get(n).map_or(0, |m| m.len());
    // the ends: the five busiest entities, every 97th entity, evidence events, other events
    // of the busiest host, alerts
    let mut ends: Vec<String> = {
        let mut e: Vec<&String> = adj.keys().filter(|n| n.starts_with("entity:")).collect();
        e.sort_by_key(|n| (std::cmp::Reverse(deg(n)), n.to_string()));
        e.iter().take(5).map(|n| n.to_string()).collect()
    };
    let entities = q("SELECT 'entity:' || id FROM entities ORDER BY id");
    ends.extend(entities.iter().step_by(97).cloned());
    ends.extend(evidence.iter().take(3).cloned());
    let busiest = ends[0].clone();
    ends.extend(
        adj[&busiest]
            .keys()
            .filter(|n| n.starts_with("event:") && !evidence.contains(n))
            .step_by(997)
            .take(3)
            .cloned(),
    );
    ends.extend(q("SELECT 'alert:' || id FROM alerts ORDER BY id LIMIT 3"));
    ends.sort();
    ends.dedup();
    assert!(ends.len() >= 20, "{ends:?}");
    let every_kind: Vec<String> = q("SELECT DISTINCT kind FROM relations ORDER BY kind");
    const DEPTH: usize = 6;
    let (mut found, mut none) = (0, 0);
    for (i, a) in ends.iter().enumerate() {
        // plain BFS from a
        let mut dist: BTreeMap<&str, usize> = BTreeMap::from([(a.as_str(), 0)]);
        let mut queue = VecDeque::from([a.as_str()]);
        while let Some(n) = queue.pop_front() {
            let d = dist[n];
            if d == DEPTH {
                continue;
            }
            for m in adj.get(n).into_iter().flat_map(|m| m.keys()) {
                if !dist.contains_key(m.as_str()) {
                    dist.insert(m, d + 1);
                    queue.push_back(m);
                }
            }
        }
        for b in &ends[i + 1..] {
            let (x, y): (cb_domain::NodeId, cb_domain::NodeId) =
                (a.parse().unwrap(), b.parse().unwrap());
            let p = path(&s, x, y, DEPTH, None).unwrap();
            let plain = path(&s, x, y, DEPTH, Some(&every_kind)).unwrap();
            match dist.get(b.as_str()) {
                None => {
                    assert!(p.nodes.is_empty(), "{a} → {b}: none within {DEPTH}");
                    none += 1;
                    continue;
                }
                Some(&want) => {
                    assert_eq!(p.nodes.len(), want + 1, "{a} → {b}: {:?}", p.nodes);
                    assert_eq!(plain.nodes.len(), want + 1, "{a} → {b} (every kind)");
                    found += 1;
                }
            }
            assert_eq!(p.nodes[0].id, x);
            assert_eq!(p.nodes.last().unwrap().id, y);
            assert_eq!(p.edges.len(), p.nodes.len() - 1);
            for (w, e) in p.nodes.windows(2).zip(&p.edges) {
                let (u, v) = (w[0].id.to_string(), w[1].id.to_string());
                assert!(
                    adj[&u].get(&v).is_some_and(|ks| ks.contains(&e.kind)),
                    "{a} → {b}: {u} -[{}]- {v} is not a relation",
                    e.kind
                );
                let (f, t) = (e.from.to_string(), e.to.to_string());
                assert!(
                    (f == u && t == v) || (f == v && t == u),
                    "{a} → {b}: {f} {t}"
                );
            }
            let distinct: BTreeSet<_> = p.nodes.iter().map(|n| n.id).collect();
            assert_eq!(distinct.len(), p.nodes.len(), "{a} → {b}: a node twice");
        }
    }
    assert!(
        (found > 100 && none > 0) || found > 150,
        "found {found}, none {none}"
    );
}
