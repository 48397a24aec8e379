use crate::common::*;
use cb_domain::NodeId;
use cb_graph::investigation::{self, MapLayout, MapOp, Position};
use cb_store::{Actor, SqliteStore};

fn script(sc: &Scenario) -> Vec<MapOp> {
    let a2 = sc.alerts[1];
    vec![
        MapOp::Expand {
            node: a2,
            query: "entities".into(),
            limit: Some(3),
            offset: None,
        },
        MapOp::Expand {
            node: a2,
            query: "entities".into(),
            limit: Some(3),
            offset: Some(3),
        },
        MapOp::Navigate { node: sc.proc },
        MapOp::Expand {
            node: sc.proc,
            query: "account".into(),
            limit: None,
            offset: None,
        },
        MapOp::Pin {
            node: sc.proc,
            x: 400.0,
            y: -120.5,
        },
        MapOp::Expand {
            node: sc.ian,
            query: "events".into(),
            limit: None,
            offset: None,
        },
        MapOp::Hide {
            nodes: vec![sc.hash],
            groups: vec![],
        },
        MapOp::Collapse { node: sc.ian },
        MapOp::Navigate { node: sc.ian },
        MapOp::Back,
        MapOp::Forward,
        MapOp::Uncollapse { node: sc.ian },
        MapOp::Move {
            positions: vec![Position {
                node: sc.file,
                x: 10.0,
                y: 20.0,
            }],
        },
        MapOp::SetTimeScope {
            from: Some("2019-02-15 00:00:00".into()),
            to: Some("2019-02-15T01:05:00Z".into()),
        },
        MapOp::AddNodes {
            nodes: vec![sc.db01, sc.incident],
        },
        MapOp::Unhide {
            nodes: vec![sc.hash],
            groups: vec![],
        },
        MapOp::Unpin { node: sc.proc },
        MapOp::Remove {
            nodes: vec![sc.parent],
        },
        MapOp::ShowPath {
            from: sc.hash,
            to: sc.db01,
            max_depth: Some(6),
            kinds: None,
        },
        MapOp::SetTimeScope {
            from: None,
            to: None,
        },
    ]
}

#[test]
fn twenty_ops_undone_and_redone_give_identical_states_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.cbx");
    let (id, states, sc) = {
        let mut s = SqliteStore::open_or_create(&case, Actor("tester".into())).unwrap();
        let sc = scenario(&mut s);
        let start = investigation::create(&mut s, "web01 intrusion", sc.alerts[1]).unwrap();
        let id = start.id;
        let mut states = vec![start];
        let ops = script(&sc);
        assert_eq!(ops.len(), 20);
        for op in ops {
            states.push(investigation::apply(&mut s, id, op).unwrap());
        }
        (id, states, sc)
    };
    let last = states.last().unwrap().clone();
    assert_eq!(
        (last.cursor, last.history_len, last.can_undo, last.can_redo),
        (20, 20, true, false)
    );
    // reopen: same map, same history
    let mut s = SqliteStore::open(&case, Actor("tester".into())).unwrap();
    assert_eq!(investigation::get(&s, id).unwrap(), last);
    check_snapshot("investigation_after_20_ops", &investigation::render(&last));
    // undo all
    for k in (0..20).rev() {
        let st = investigation::undo(&mut s, id).unwrap();
        let mut want = states[k].clone();
        want.history_len = 20;
        want.can_redo = true;
        assert_eq!(st, want, "undo to step {k}");
    }
    assert!(investigation::undo(&mut s, id).is_err());
    drop(s);
    let mut s = SqliteStore::open(&case, Actor("tester".into())).unwrap();
    // redo all
    for (k, want) in states.iter().enumerate().skip(1) {
        let st = investigation::redo(&mut s, id).unwrap();
        let mut want = want.clone();
        want.history_len = 20;
        want.can_redo = k < 20;
        assert_eq!(st, want, "redo to step {k}");
    }
    assert!(investigation::redo(&mut s, id).is_err());
    assert_eq!(investigation::get(&s, id).unwrap(), last);
    // a new op after an undo drops the redo tail
    investigation::undo(&mut s, id).unwrap();
    let st = investigation::apply(
        &mut s,
        id,
        MapOp::Hide {
            nodes: vec![sc.alerts[1]],
            groups: vec![],
        },
    )
    .unwrap();
    assert_eq!((st.cursor, st.history_len, st.can_redo), (20, 20, false));
    assert_eq!(investigation::history(&s, id).unwrap().len(), 20);
    // every map change is in the audit log, chain intact
    let log = s.audit_log(Some(&format!("investigation:{id}"))).unwrap();
    assert_eq!(log.len(), 20 + 20 + 20 + 2);
    assert_eq!(s.verify_audit().unwrap(), None);
    let list = investigation::list(&s).unwrap();
    assert_eq!(
        (list.len(), list[0].name.as_str(), list[0].cursor),
        (1, "web01 intrusion", 20)
    );
}

#[test]
fn map_semantics() {
    let mut s = store();
    let sc = scenario(&mut s);
    let m = investigation::create(&mut s, "m", sc.alerts[1]).unwrap();
    let id = m.id;
    assert_eq!(
        (m.nodes.len(), m.breadcrumb.clone(), m.focus),
        (1, vec![sc.alerts[1]], Some(sc.alerts[1]))
    );
    let st = investigation::apply(
        &mut s,
        id,
        MapOp::Expand {
            node: sc.alerts[1],
            query: "entities".into(),
            limit: None,
            offset: None,
        },
    )
    .unwrap();
    assert_eq!(st.nodes.len(), 6);
    // new nodes are placed around their parent, the parent stays where it was
    let parent = st.nodes.iter().find(|n| n.view.id == sc.alerts[1]).unwrap();
    assert_eq!((parent.x, parent.y), (Some(0.0), Some(0.0)));
    assert!(st
        .nodes
        .iter()
        .filter(|n| n.parent == Some(sc.alerts[1]))
        .all(|n| n.x.is_some() && n.x != Some(0.0) || n.y != Some(0.0)));
    // collapse hides what came from the node
    let st = investigation::apply(&mut s, id, MapOp::Collapse { node: sc.alerts[1] }).unwrap();
    assert_eq!(st.nodes.iter().filter(|n| n.visible).count(), 1);
    // ops on nodes not on the map are refused and not recorded
    let err = investigation::apply(
        &mut s,
        id,
        MapOp::Hide {
            nodes: vec![NodeId::Entity(999)],
            groups: vec![],
        },
    );
    assert!(err.is_err());
    assert_eq!(investigation::get(&s, id).unwrap().history_len, 2);
    assert!(investigation::apply(&mut s, id, MapOp::Back).is_err());
}

/// Expanding neighbours of neighbours must not drop new nodes on top of old ones: every pair of
/// placed nodes keeps a gap (the map was unreadable when rings of two parents overlapped).
#[test]
fn expansions_from_different_parents_do_not_overlap() {
    let mut s = store();
    let sc = scenario(&mut s);
    let m = investigation::create(&mut s, "gap", sc.alerts[1]).unwrap();
    let mut st = investigation::apply(
        &mut s,
        m.id,
        MapOp::Expand {
            node: sc.alerts[1],
            query: "entities".into(),
            limit: None,
            offset: None,
        },
    )
    .unwrap();
    // expand every entity that has something more to show, breadth first
    let children: Vec<NodeId> = st
        .nodes
        .iter()
        .filter(|n| n.parent == Some(sc.alerts[1]))
        .map(|n| n.view.id)
        .collect();
    for c in children {
        for q in cb_graph::queries(&s, c)
            .unwrap()
            .into_iter()
            .filter(|q| q.count > 0)
        {
            st = investigation::apply(
                &mut s,
                m.id,
                MapOp::Expand {
                    node: c,
                    query: q.id,
                    limit: None,
                    offset: None,
                },
            )
            .unwrap();
        }
    }
    assert!(
        st.nodes.len() > 8,
        "the scenario grows a real map ({} nodes)",
        st.nodes.len()
    );
    for (i, a) in st.nodes.iter().enumerate() {
        for b in &st.nodes[i + 1..] {
            let d = (a.x.unwrap() - b.x.unwrap()).hypot(a.y.unwrap() - b.y.unwrap());
            assert!(
                d >= 70.0,
                "{} and {} are {d:.0} apart",
                a.view.id,
                b.view.id
            );
        }
    }
}

/// The layout is chosen per map: two maps keep their own layout (and the positions it gave)
/// across a reopen of the case; undo goes back to the previous layout and positions; a
/// position for a node that is not on the map is refused and nothing is recorded.
#[test]
fn layout_is_saved_per_map_with_its_positions() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.cbx");
    let mut s = SqliteStore::open_or_create(&case, Actor("tester".into())).unwrap();
    let sc = scenario(&mut s);
    let a = investigation::create(&mut s, "a", sc.alerts[1]).unwrap();
    let b = investigation::create(&mut s, "b", sc.alerts[0]).unwrap();
    assert_eq!((a.layout, b.layout), (MapLayout::Radial, MapLayout::Radial));
    let expanded = investigation::apply(
        &mut s,
        a.id,
        MapOp::Expand {
            node: sc.alerts[1],
            query: "entities".into(),
            limit: None,
            offset: None,
        },
    )
    .unwrap();
    let moved = expanded
        .nodes
        .iter()
        .find(|n| n.view.id != sc.alerts[1])
        .unwrap();
    let before = (moved.x, moved.y);
    let st = investigation::apply(
        &mut s,
        a.id,
        MapOp::SetLayout {
            layout: MapLayout::Hierarchy,
            positions: vec![Position {
                node: moved.view.id,
                x: 321.0,
                y: -45.0,
            }],
            groups: vec![],
            folds: vec![],
        },
    )
    .unwrap();
    assert_eq!(st.layout, MapLayout::Hierarchy);
    let at = |st: &investigation::MapState| {
        let n = st
            .nodes
            .iter()
            .find(|n| n.view.id == moved.view.id)
            .unwrap();
        (n.x, n.y)
    };
    assert_eq!(at(&st), (Some(321.0), Some(-45.0)));
    investigation::apply(
        &mut s,
        b.id,
        MapOp::SetLayout {
            layout: MapLayout::Force,
            positions: vec![],
            groups: vec![],
            folds: vec![],
        },
    )
    .unwrap();
    // refused: a node not on map b; nothing recorded, layout unchanged
    assert!(investigation::apply(
        &mut s,
        b.id,
        MapOp::SetLayout {
            layout: MapLayout::Radial,
            positions: vec![Position {
                node: NodeId::Entity(999_999),
                x: 0.0,
                y: 0.0,
            }],
            groups: vec![],
            folds: vec![],
        },
    )
    .is_err());
    drop(s);
    // reopen: each map has its own layout
    let mut s = SqliteStore::open(&case, Actor("tester".into())).unwrap();
    let (ga, gb) = (
        investigation::get(&s, a.id).unwrap(),
        investigation::get(&s, b.id).unwrap(),
    );
    assert_eq!(
        (ga.layout, gb.layout),
        (MapLayout::Hierarchy, MapLayout::Force)
    );
    assert_eq!(gb.history_len, 1);
    assert_eq!(at(&ga), (Some(321.0), Some(-45.0)));
    // the op is one step: undo restores the layout and the position together
    let un = investigation::undo(&mut s, a.id).unwrap();
    assert_eq!(un.layout, MapLayout::Radial);
    assert_eq!(at(&un), before);
    let re = investigation::redo(&mut s, a.id).unwrap();
    assert_eq!(
        (re.layout, at(&re)),
        (MapLayout::Hierarchy, (Some(321.0), Some(-45.0)))
    );
    // the JSON the window and the CLI send
    let op: MapOp = serde_json::from_str(r#"{"op":"set_layout","layout":"force"}"#).unwrap();
    assert_eq!(
        op,
        MapOp::SetLayout {
            layout: MapLayout::Force,
            positions: vec![],
            groups: vec![],
            folds: vec![],
        }
    );
}
