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
