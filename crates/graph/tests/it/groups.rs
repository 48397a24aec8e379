//! Aggregation on real evidence (issue 12): the events of a host in the OTRF WMI lateral
//! movement lab become one counted group per source and EventID, whose counts are computed
//! here from the raw JSON lines (records of the host, by Sysmon/Security and EventID); the
//! groups are map operations (saved, undoable) and members picked in a group's table go on
//! the map.

use crate::windows::{eid, host, imported, raw, s, sysmon, WMIC};
use cb_domain::NodeId;
use cb_graph::groups::{self, GroupKey};
use cb_graph::investigation::{self as inv, MapOp};
use std::collections::BTreeMap;

/// The importer's source name of a raw Windows record (see cb-events `map`): Sysmon,
/// Security, anything else.
fn family(r: &serde_json::Map<String, serde_json::Value>) -> &'static str {
    if sysmon(r) {
        "Sysmon"
    } else if s(r, "Channel").is_some_and(|c| c.eq_ignore_ascii_case("security")) {
        "SecurityEvent"
    } else {
        "WindowsEvent"
    }
}

#[test]
fn event_groups_count_the_raw_records_of_the_host() {
    let recs = raw(WMIC);
    let mut st = imported(&[WMIC]);
    // the busiest host of the file, from the raw records
    let mut per_host: BTreeMap<String, u64> = BTreeMap::new();
    for r in &recs {
        if let Some(h) = s(r, "Hostname") {
            *per_host.entry(h.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let (busiest, _) = per_host.iter().max_by_key(|(_, n)| **n).unwrap();
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in recs
        .iter()
        .filter(|r| s(r, "Hostname").is_some_and(|h| h.eq_ignore_ascii_case(busiest)))
    {
        *expected.entry((family(r).to_string(), eid(r))).or_default() += 1;
    }
    assert!(expected.len() > 5, "{expected:?}");
    let h = host(&st, busiest);
    let gs = groups::groups(&st, h, "events").unwrap();
    assert!(gs.len() <= groups::MAX_GROUPS + 3, "{} groups", gs.len());
    // groups of their own: exactly the raw count of that source and EventID
    let own: BTreeMap<(String, String), u64> = gs
        .iter()
        .filter(|g| g.key.rest_of.is_none())
        .map(|g| {
            (
                (
                    g.key.source.clone().unwrap(),
                    g.key.event_id.clone().unwrap_or_default(),
                ),
                g.count,
            )
        })
        .collect();
    for (k, n) in &own {
        assert_eq!(expected.get(k), Some(n), "{k:?}");
    }
    // the rest of each source: every other raw record of it
    for r in gs.iter().filter(|g| g.key.rest_of.is_some()) {
        let src = r.key.source.clone().unwrap();
        let want: u64 = expected
            .iter()
            .filter(|((s2, _), _)| *s2 == src)
            .filter(|(k, _)| !own.contains_key(*k))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(r.count, want, "rest of {src}");
        assert_eq!(
            groups::members(&st, &r.key, None, 10_000, 0).unwrap().total,
            want
        );
    }
    assert_eq!(
        gs.iter().map(|g| g.count).sum::<u64>(),
        expected.values().sum::<u64>()
    );

    // as a map operation: one node per group, saved, undoable
    let m = inv::create(&mut st, "agg", h).unwrap();
    let m = inv::apply(
        &mut st,
        m.id,
        MapOp::Group {
            node: h,
            query: "events".into(),
            threshold: None,
        },
    )
    .unwrap();
    assert_eq!(m.nodes.len(), 1, "no event became a node");
    assert_eq!(m.groups.len(), gs.len());
    let total: u64 = m.groups.iter().map(|g| g.info.count).sum();
    assert_eq!(total, expected.values().sum::<u64>());
    let sysmon10 = m.groups.iter().find(|g| {
        g.info.key.source.as_deref() == Some("Sysmon")
            && g.info.key.event_id.as_deref() == Some("10")
    });
    if let Some(g) = sysmon10 {
        assert!(
            g.info.label.starts_with("Sysmon 10 · process access · "),
            "{}",
            g.info.label
        );
    }
    // the group's table: pages by time cover every member once
    let big = m.groups.iter().max_by_key(|g| g.info.count).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut last_time: Option<String> = None;
    let mut off = 0;
    loop {
        let p = groups::members(&st, &big.info.key, None, 100, off).unwrap();
        assert_eq!(p.total, big.info.count);
        if p.members.is_empty() {
            break;
        }
        for mem in &p.members {
            assert!(seen.insert(mem.id), "{} twice", mem.id);
            assert!(mem.time >= last_time, "pages by time");
            last_time = mem.time.clone();
            assert!(
                mem.entities.iter().any(|e| e.id == h),
                "{} names its host",
                mem.id
            );
        }
        off += p.members.len();
    }
    assert_eq!(seen.len() as u64, big.info.count);
    // a text filter narrows the count (members whose summary has the text)
    let first = groups::members(&st, &big.info.key, None, 1, 0)
        .unwrap()
        .members[0]
        .clone();
    let word = first.label.split_whitespace().last().unwrap().to_string();
    let filtered = groups::members(&st, &big.info.key, Some(&word), 10_000, 0).unwrap();
    assert!(filtered.total >= 1 && filtered.total <= big.info.count);
    assert!(filtered
        .members
        .iter()
        .all(|x| x.label.to_lowercase().contains(&word.to_lowercase())));

    // put three of them on the map, next to the group
    let three: Vec<NodeId> = groups::members(&st, &big.info.key, None, 3, 0)
        .unwrap()
        .members
        .iter()
        .map(|x| x.id)
        .collect();
    let m2 = inv::apply(
        &mut st,
        m.id,
        MapOp::AddFromGroup {
            group: big.id,
            nodes: three.clone(),
        },
    )
    .unwrap();
    assert_eq!(m2.nodes.len(), 4);
    for n in &three {
        let mn = m2.nodes.iter().find(|x| x.view.id == *n).unwrap();
        assert_eq!(mn.parent, Some(h));
        assert!(
            m2.edges.iter().any(|e| e.from == *n && e.to == h),
            "{n} linked to its host"
        );
    }
    // a node that is not a member is refused
    let other = m.groups.iter().find(|g| g.id != big.id).unwrap();
    let stranger = groups::members(&st, &other.info.key, None, 1, 0)
        .unwrap()
        .members[0]
        .id;
    assert!(inv::apply(
        &mut st,
        m.id,
        MapOp::AddFromGroup {
            group: big.id,
            nodes: vec![stranger]
        }
    )
    .is_err());
    // collapsing the host folds its groups and what came out of them
    let m3 = inv::apply(&mut st, m.id, MapOp::Collapse { node: h }).unwrap();
    assert!(m3.groups.iter().all(|g| !g.visible));
    assert!(m3
        .nodes
        .iter()
        .filter(|n| n.view.id != h)
        .all(|n| !n.visible));
    // hide a group, undo everything back to the bare host; reopening gives the same map
    let m4 = inv::apply(&mut st, m.id, MapOp::Uncollapse { node: h }).unwrap();
    let m5 = inv::apply(
        &mut st,
        m.id,
        MapOp::Hide {
            nodes: vec![],
            groups: vec![big.id],
        },
    )
    .unwrap();
    assert!(!m5.groups.iter().find(|g| g.id == big.id).unwrap().visible);
    assert_eq!(inv::get(&st, m.id).unwrap(), m5);
    let back = inv::undo(&mut st, m.id).unwrap();
    assert_eq!(back.groups, m4.groups);
    let mut s2 = back;
    while s2.can_undo {
        s2 = inv::undo(&mut st, m.id).unwrap();
    }
    assert!(s2.groups.is_empty() && s2.nodes.len() == 1);
    let again = inv::redo(&mut st, m.id).unwrap();
    assert_eq!(again.groups, m.groups, "redo replays the saved groups");
    // the same events through `events:Sysmon`: the groups already there, none added twice
    let before: Vec<_> = again
        .groups
        .iter()
        .filter(|g| g.info.key.rest_of.is_none())
        .map(|g| (g.info.key.source.clone(), g.info.key.event_id.clone()))
        .collect();
    let sy = inv::apply(
        &mut st,
        m.id,
        MapOp::Group {
            node: h,
            query: "events:Sysmon".into(),
            threshold: None,
        },
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for g in sy.groups.iter().filter(|g| g.info.key.rest_of.is_none()) {
        assert!(
            seen.insert((g.info.key.source.clone(), g.info.key.event_id.clone())),
            "{} twice",
            g.info.label
        );
    }
    assert!(before.iter().all(|k| seen.contains(k)));
}

#[test]
fn entity_expansions_above_the_threshold_become_groups_per_kind() {
    let mut st = imported(&[WMIC]);
    let h = host(&st, &crate::windows::busiest_host(WMIC));
    let q = cb_graph::queries(&st, h).unwrap();
    let related = q.iter().find(|x| x.id == "related").unwrap().count;
    assert!(related > 50, "{h} relates to {related} entities");
    let m = inv::create(&mut st, "ents", h).unwrap();
    let m = inv::apply(
        &mut st,
        m.id,
        MapOp::Group {
            node: h,
            query: "related".into(),
            threshold: Some(50),
        },
    )
    .unwrap();
    assert_eq!(m.nodes.len(), 1);
    assert_eq!(m.groups.iter().map(|g| g.info.count).sum::<u64>(), related);
    // kinds are the kinds of the members, every member listed once
    for g in &m.groups {
        let kind = g.info.key.kind.clone().unwrap();
        let all = groups::members(&st, &g.info.key, None, 10_000, 0).unwrap();
        assert_eq!(all.total, g.info.count);
        assert!(all.members.iter().all(|x| x.kind == kind));
    }
    // the same query below the threshold adds nodes
    let m2 = inv::create(&mut st, "small", h).unwrap();
    let m2 = inv::apply(
        &mut st,
        m2.id,
        MapOp::Group {
            node: h,
            query: "related".into(),
            threshold: Some(10_000),
        },
    )
    .unwrap();
    assert!(m2.groups.is_empty());
    assert_eq!(m2.nodes.len() as u64, related + 1);
    // a key that names neither a source nor a kind is an error, not an empty page
    let bad = GroupKey {
        parent: h,
        query: "related".into(),
        source: None,
        event_id: None,
        kind: None,
        rest_of: None,
    };
    assert!(groups::members(&st, &bad, None, 10, 0).is_err());
}

#[test]
fn investigations_are_renamed_and_deleted() {
    let mut st = imported(&[WMIC]);
    let h = NodeId::Entity(1);
    let a = inv::create(&mut st, "first", h).unwrap();
    let b = inv::create(&mut st, "second", h).unwrap();
    let r = inv::rename(&mut st, a.id, "renamed").unwrap();
    assert_eq!(r.name, "renamed");
    assert_eq!(inv::get(&st, a.id).unwrap().name, "renamed");
    assert!(inv::rename(&mut st, a.id, "  ").is_err());
    inv::delete(&mut st, b.id).unwrap();
    let l = inv::list(&st).unwrap();
    assert_eq!(l.iter().map(|i| i.id).collect::<Vec<_>>(), vec![a.id]);
    assert!(inv::get(&st, b.id).is_err());
    assert!(inv::delete(&mut st, b.id).is_err());
    let actions: Vec<String> = {
        let mut stmt = st
            .conn()
            .prepare("SELECT action FROM audit ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(actions.iter().any(|a| a == "investigation.rename"));
    assert!(actions.iter().any(|a| a == "investigation.delete"));
}
