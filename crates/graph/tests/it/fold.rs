//! Similar entities fold into one counted node (issue 12, Defender-style), and two queries
//! grouping the same entities give one group, on the OTRF WMI lab: the busiest host (from the
//! raw records) expanded to every related entity, then one of its accounts; the expected folds
//! are computed here from the map's own nodes and edges before folding (same kind, same set of
//! neighbours on the map, at least three).

use crate::windows::{busiest_host, host, imported, WMIC};
use cb_domain::NodeId;
use cb_graph::groups;
use cb_graph::investigation::{self as inv, MapOp, MapState};
use std::collections::{BTreeMap, BTreeSet};

/// (kind, members) of every set of ≥ 3 visible unpinned entities off the breadcrumb sharing
/// their (non-empty) neighbour set on the map.
fn expected_folds(m: &MapState) -> BTreeSet<(String, Vec<NodeId>)> {
    let mut nb: BTreeMap<NodeId, BTreeSet<NodeId>> = BTreeMap::new();
    for e in &m.edges {
        nb.entry(e.from).or_default().insert(e.to);
        nb.entry(e.to).or_default().insert(e.from);
    }
    let mut by: BTreeMap<(String, Vec<NodeId>), Vec<NodeId>> = BTreeMap::new();
    for n in &m.nodes {
        let id = n.view.id;
        if !n.visible
            || n.pinned
            || !id.to_string().starts_with("entity:")
            || m.breadcrumb.contains(&id)
        {
            continue;
        }
        if let Some(set) = nb.get(&id) {
            by.entry((n.view.kind.clone(), set.iter().copied().collect()))
                .or_default()
                .push(id);
        }
    }
    by.into_iter()
        .filter(|(_, v)| v.len() >= 3)
        .map(|((k, _), mut v)| {
            v.sort();
            (k, v)
        })
        .collect()
}

#[test]
fn similar_entities_fold_into_one_counted_node_and_unfold() {
    let mut st = imported(&[WMIC]);
    let h = host(&st, &busiest_host(WMIC));
    let m = inv::create(&mut st, "fold", h).unwrap();
    let m = inv::apply(
        &mut st,
        m.id,
        MapOp::Group {
            node: h,
            query: "related".into(),
            threshold: Some(10_000),
        },
    )
    .unwrap();
    // one account expanded too, so neighbour sets differ
    let acct = m
        .nodes
        .iter()
        .find(|n| n.view.kind == "account")
        .map(|n| n.view.id)
        .unwrap();
    let m = inv::apply(
        &mut st,
        m.id,
        MapOp::Group {
            node: acct,
            query: "related".into(),
            threshold: Some(10_000),
        },
    )
    .unwrap();
    let want = expected_folds(&m);
    assert!(!want.is_empty(), "the lab has similar entities");
    let visible = |m: &MapState| m.nodes.iter().filter(|n| n.visible).count();
    let before = visible(&m);

    let f = inv::apply(&mut st, m.id, MapOp::FoldSimilar { min: None }).unwrap();
    let got: BTreeSet<(String, Vec<NodeId>)> = f
        .folds
        .iter()
        .map(|x| (x.kind.clone(), x.members.clone()))
        .collect();
    assert_eq!(got, want);
    let folded: usize = want.iter().map(|(_, v)| v.len()).sum();
    assert_eq!(visible(&f), before - folded, "members are not drawn");
    for x in &f.folds {
        assert!(x.visible);
        assert!(
            x.label
                .starts_with(&format!("{} similar ", x.members.len())),
            "{}",
            x.label
        );
        assert!(x.members.iter().all(|n| !f
            .nodes
            .iter()
            .find(|y| y.view.id == *n)
            .unwrap()
            .visible));
        assert!(!x.neighbours.is_empty() && x.x.is_some());
    }
    // saved: reopening gives the same map; folding again adds nothing
    assert_eq!(inv::get(&st, m.id).unwrap(), f);
    let again = inv::apply(&mut st, m.id, MapOp::FoldSimilar { min: None }).unwrap();
    assert_eq!(again.folds, f.folds);
    // a dragged fold keeps its spot (saved; one undo puts it back)
    let dragged = f.folds[0].clone();
    let to = (dragged.x.unwrap() + 321.0, dragged.y.unwrap() - 123.0);
    let moved = inv::apply(
        &mut st,
        m.id,
        MapOp::MoveFolds {
            positions: vec![inv::FoldPosition {
                fold: dragged.id,
                x: to.0,
                y: to.1,
            }],
        },
    )
    .unwrap();
    let at = |s: &MapState| {
        let x = s.folds.iter().find(|x| x.id == dragged.id).unwrap();
        (x.x.unwrap(), x.y.unwrap())
    };
    assert_eq!(at(&moved), to);
    assert_eq!(at(&inv::get(&st, m.id).unwrap()), to);
    assert!(inv::apply(
        &mut st,
        m.id,
        MapOp::MoveFolds {
            positions: vec![inv::FoldPosition {
                fold: 9_999,
                x: 0.0,
                y: 0.0
            }],
        },
    )
    .is_err());
    assert_eq!(inv::undo(&mut st, m.id).unwrap().folds, again.folds);
    // a chosen layout saves where it put the folds too (one step)
    let laid = inv::apply(
        &mut st,
        m.id,
        MapOp::SetLayout {
            layout: inv::MapLayout::Hierarchy,
            positions: vec![],
            groups: vec![],
            folds: vec![inv::FoldPosition {
                fold: dragged.id,
                x: 7.0,
                y: -9.0,
            }],
        },
    )
    .unwrap();
    assert_eq!(at(&laid), (7.0, -9.0));
    assert_eq!(inv::undo(&mut st, m.id).unwrap().folds, again.folds);
    // unfold one: its members are back
    let one = f.folds[0].clone();
    let u = inv::apply(
        &mut st,
        m.id,
        MapOp::Unfold {
            folds: vec![one.id],
        },
    )
    .unwrap();
    assert!(u.folds.iter().all(|x| x.id != one.id));
    assert_eq!(visible(&u), visible(&f) + one.members.len());
    assert!(inv::apply(&mut st, m.id, MapOp::Unfold { folds: vec![9_999] }).is_err());
    // undo: folded again; undo to before the fold: nothing folded
    let back = inv::undo(&mut st, m.id).unwrap();
    assert_eq!(back.folds, f.folds);
    inv::undo(&mut st, m.id).unwrap();
    let bare = inv::undo(&mut st, m.id).unwrap();
    assert!(bare.folds.is_empty());
    assert_eq!(visible(&bare), before);
}

#[test]
fn two_queries_grouping_the_same_entities_give_one_group() {
    let mut st = imported(&[WMIC]);
    let h = host(&st, &busiest_host(WMIC));
    let q = cb_graph::queries(&st, h).unwrap();
    let procs = q.iter().find(|x| x.id == "processes").unwrap().count;
    assert!(procs > 1, "{procs} processes");
    let m = inv::create(&mut st, "dedupe", h).unwrap();
    let group = |query: &str| MapOp::Group {
        node: h,
        query: query.into(),
        threshold: Some(1),
    };
    let a = inv::apply(&mut st, m.id, group("processes")).unwrap();
    assert_eq!(a.groups.len(), 1);
    let b = inv::apply(&mut st, m.id, group("related")).unwrap();
    let kinds: Vec<&str> = b
        .groups
        .iter()
        .map(|g| g.info.member_kind.as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "process").count(),
        1,
        "{:?}",
        b.groups.iter().map(|g| &g.info.label).collect::<Vec<_>>()
    );
    let p = b
        .groups
        .iter()
        .find(|g| g.info.member_kind == "process")
        .unwrap();
    assert_eq!(p.info.count, procs);
    assert_eq!(p.id, a.groups[0].id, "the group already there");
    // the related query's own process members are exactly the group's
    let mut rel_key = p.info.key.clone();
    rel_key.query = "related".into();
    assert_eq!(
        groups::member_ids(&st, &rel_key).unwrap(),
        groups::member_ids(&st, &p.info.key).unwrap()
    );
    // every other kind of the related query is there once
    let mut seen = BTreeSet::new();
    assert!(b
        .groups
        .iter()
        .all(|g| seen.insert(g.info.member_kind.clone())));
    // replay gives the same groups
    inv::undo(&mut st, m.id).unwrap();
    assert_eq!(inv::redo(&mut st, m.id).unwrap().groups, b.groups);
}
