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
    use std::collections::{BTreeMap, BTreeSet, VecDeque};
    let mut s = store();
    for f in [
        "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip",
        "fixtures/otrf-security-datasets/datasets/atomic/windows/discovery/host/empire_find_localadmin_smb_svcctl_OpenSCManager.zip",
    ] {
        cb_api::import_file(&mut s, &root().join(f), &mut |_| true).unwrap();
    }
    // the relation rows as an undirected graph: node → (neighbour → kinds)
    let mut adj: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    {
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
    }
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
