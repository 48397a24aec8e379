//! Real Windows evidence walked as an analyst walks it (issue 10): OTRF/Mordor datasets of a
//! three-host lab (WMI lateral movement from WORKSTATION5 to WORKSTATION6; remote service
//! manager enumeration). Every expected value is computed here from the raw JSON lines by a
//! jq-like walk, never from the importer's output.

use crate::common::*;
use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

pub(crate) const WMIC: &str = "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip";
const LOCALADMIN: &str = "fixtures/otrf-security-datasets/datasets/atomic/windows/discovery/host/empire_find_localadmin_smb_svcctl_OpenSCManager.zip";

fn path_of(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Every JSON line of every member of the zip.
pub(crate) fn raw(rel: &str) -> Vec<Map<String, Value>> {
    let f = std::fs::File::open(path_of(rel)).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut out = vec![];
    for i in 0..z.len() {
        let m = z.by_index(i).unwrap();
        for line in BufReader::new(m).lines() {
            let line = line.unwrap();
            if let Ok(Value::Object(o)) = serde_json::from_str(&line) {
                out.push(o);
            }
        }
    }
    out
}

/// The host most raw records of the file name (`Hostname`, lowercased).
pub(crate) fn busiest_host(rel: &str) -> String {
    raw(rel)
        .iter()
        .filter_map(|r| s(r, "Hostname"))
        .fold(
            std::collections::BTreeMap::<String, u64>::new(),
            |mut m, h| {
                *m.entry(h.to_ascii_lowercase()).or_default() += 1;
                m
            },
        )
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap()
        .0
}

pub(crate) fn s(r: &Map<String, Value>, k: &str) -> Option<String> {
    match r.get(k)? {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn eid(r: &Map<String, Value>) -> String {
    s(r, "EventID").unwrap_or_default()
}

pub(crate) fn sysmon(r: &Map<String, Value>) -> bool {
    s(r, "SourceName").is_some_and(|x| x.contains("Sysmon"))
}

const GUID_FIELDS: &[&str] = &[
    "ProcessGuid",
    "ParentProcessGuid",
    "SourceProcessGuid",
    "TargetProcessGuid",
    "SourceProcessGUID",
    "TargetProcessGUID",
];

fn norm(g: &str) -> String {
    g.trim_matches(['{', '}']).to_ascii_lowercase()
}

fn zero(g: &str) -> bool {
    !g.chars().any(|c| c.is_ascii_hexdigit() && c != '0')
}

/// `fe80:0:0:0:…` is `fe80::…`.
fn canon_ip(a: &str) -> String {
    a.parse::<std::net::IpAddr>()
        .map(|i| i.to_string())
        .unwrap_or_else(|_| a.to_string())
}

/// The guids a raw record names.
fn guids(r: &Map<String, Value>) -> BTreeSet<String> {
    GUID_FIELDS
        .iter()
        .filter_map(|k| s(r, k))
        .filter(|g| !zero(g))
        .map(|g| norm(&g))
        .collect()
}

pub(crate) fn imported(files: &[&str]) -> SqliteStore {
    let mut st = store();
    for f in files {
        cb_api::import_file(&mut st, &path_of(f), &mut |_| true).unwrap();
    }
    st
}

fn q1(st: &SqliteStore, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Vec<i64> {
    let mut stmt = st.conn().prepare(sql).unwrap();
    stmt.query_map(p, |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The process entities carrying `guid`.
fn by_guid(st: &SqliteStore, guid: &str) -> Vec<i64> {
    q1(
        st,
        "SELECT id FROM entities WHERE kind = 'process' AND lower(trim(json_extract(props, '$.ProcessGuid'), '{}')) = ?1",
        &[&guid],
    )
}

fn prop(st: &SqliteStore, id: NodeId, k: &str) -> Option<String> {
    st.conn()
        .query_row(
            "SELECT json_extract(props, '$.' || ?2) FROM entities WHERE id = ?1",
            rusqlite::params![id.num(), k],
            |r| r.get::<_, Option<String>>(0),
        )
        .unwrap()
}

fn expand(st: &SqliteStore, n: NodeId, q: &str) -> Vec<NodeId> {
    cb_graph::expand(st, n, q, 10_000, 0)
        .unwrap()
        .nodes
        .into_iter()
        .map(|v| v.id)
        .collect()
}

fn count(st: &SqliteStore, n: NodeId, q: &str) -> u64 {
    cb_graph::queries(st, n)
        .unwrap()
        .into_iter()
        .find(|x| x.id == q)
        .unwrap_or_else(|| panic!("{n} offers no {q}"))
        .count
}

#[test]
fn one_process_per_guid_with_its_parent_and_its_events() {
    let mut chains = 0;
    for f in [WMIC, LOCALADMIN] {
        let recs = raw(f);
        let st = imported(&[f]);
        let created: BTreeSet<String> = recs
            .iter()
            .filter(|r| sysmon(r) && eid(r) == "1")
            .filter_map(|r| s(r, "ProcessGuid").map(|g| norm(&g)))
            .collect();
        let mut checked = 0;
        for r in recs.iter().filter(|r| sysmon(r) && eid(r) == "1") {
            let g = norm(&s(r, "ProcessGuid").unwrap());
            let ids = by_guid(&st, &g);
            assert_eq!(ids.len(), 1, "{f}: {g} is {ids:?}");
            let p = NodeId::Entity(ids[0]);
            let pg = norm(&s(r, "ParentProcessGuid").unwrap());
            let parents = expand(&st, p, "parent");
            assert_eq!(parents.len(), 1, "{f}: parent of {g}: {parents:?}");
            assert_eq!(by_guid(&st, &pg), vec![parents[0].num()], "{f}: {g}");
            if created.contains(&pg) {
                checked += 1;
            }
            // its label says what it is
            let image = s(r, "Image").unwrap();
            let base = image.rsplit('\\').next().unwrap();
            // (Windows paths are case-insensitive: Sysmon and Security spell them differently)
            assert!(
                st.label(p)
                    .unwrap()
                    .to_ascii_lowercase()
                    .starts_with(&base.to_ascii_lowercase()),
                "{}",
                st.label(p).unwrap()
            );
        }
        chains += checked;
        // events mentioning a process = raw records naming its guid
        let mut naming: BTreeMap<String, u64> = BTreeMap::new();
        for r in &recs {
            for g in guids(r) {
                *naming.entry(g).or_default() += 1;
            }
        }
        assert!(naming.len() > 50, "{f}: {} guids", naming.len());
        for (g, n) in &naming {
            let ids = by_guid(&st, g);
            assert_eq!(ids.len(), 1, "{f}: {g} is {ids:?}");
            // Sysmon records name processes by guid (Security ones by pid, counted on top)
            let p = NodeId::Entity(ids[0]);
            assert_eq!(count(&st, p, "events:Sysmon"), *n, "{f}: {g}");
            assert!(count(&st, p, "events") >= *n);
        }
    }
    assert!(
        chains > 0,
        "no Sysmon 1 whose parent's creation is in its file"
    );
}

#[test]
fn sysmon_3_connections_and_4688_attribution() {
    let recs = raw(WMIC);
    let st = imported(&[WMIC]);
    // one `connections` neighbour per distinct destination IP of the process's Sysmon 3
    let mut dest: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in recs.iter().filter(|r| sysmon(r) && eid(r) == "3") {
        let Some(g) = s(r, "ProcessGuid").filter(|g| !zero(g)) else {
            continue;
        };
        dest.entry(norm(&g))
            .or_default()
            .insert(canon_ip(&s(r, "DestinationIp").unwrap()));
    }
    assert!(!dest.is_empty());
    for (g, ips) in &dest {
        let p = NodeId::Entity(by_guid(&st, g)[0]);
        let got: BTreeSet<String> = expand(&st, p, "connections")
            .into_iter()
            .map(|n| st.label(n).unwrap())
            .collect();
        assert_eq!(&got, ips, "{g}");
        assert_eq!(count(&st, p, "connections"), ips.len() as u64);
    }
    // a 4688 whose target user differs from its creator runs as the target
    let mut seen = 0;
    for r in recs.iter().filter(|r| eid(r) == "4688") {
        let (Some(t), Some(subj)) = (s(r, "TargetUserName"), s(r, "SubjectUserName")) else {
            continue;
        };
        if t.eq_ignore_ascii_case(&subj) || t.ends_with('$') {
            continue;
        }
        let pid = u64::from_str_radix(s(r, "NewProcessId").unwrap().trim_start_matches("0x"), 16)
            .unwrap()
            .to_string();
        let host = s(r, "Hostname").unwrap();
        let cands = q1(
            &st,
            "SELECT id FROM entities WHERE kind = 'process' AND json_extract(props, '$.ProcessId') = ?1 AND json_extract(props, '$.host') = ?2",
            &[&pid, &host],
        );
        let runs_as: Vec<String> = cands
            .iter()
            .flat_map(|c| expand(&st, NodeId::Entity(*c), "account"))
            .filter_map(|a| prop(&st, a, "Name"))
            .collect();
        assert!(
            runs_as.iter().any(|n| n.eq_ignore_ascii_case(&t)),
            "{pid} on {host}: {runs_as:?}, expected {t}"
        );
        let ran_as = q1(
            &st,
            "SELECT count(*) FROM relations r JOIN entities a ON r.dst = 'entity:' || a.id WHERE r.kind = 'ran_as' AND r.src IN (SELECT 'entity:' || value FROM json_each(?1)) AND lower(json_extract(a.props, '$.Name')) = lower(?2)",
            &[&serde_json::to_string(&cands).unwrap(), &t],
        );
        assert!(ran_as[0] >= 1, "{pid}: not ran_as {t}");
        seen += 1;
    }
    assert!(seen > 0, "no 4688 with a target user");
    // summaries say what happened (built here from the raw fields)
    let pid = |r: &Map<String, Value>, k: &str| s(r, k).unwrap_or_default();
    let base = |r: &Map<String, Value>, k: &str| {
        s(r, k)
            .map(|p| p.rsplit('\\').next().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut expected: Vec<String> = recs
        .iter()
        .filter(|r| sysmon(r) && eid(r) == "10")
        .map(|r| {
            format!(
                "{} ({}) opened {} ({}) ({})",
                base(r, "SourceImage"),
                pid(r, "SourceProcessId"),
                base(r, "TargetImage"),
                pid(r, "TargetProcessId"),
                pid(r, "GrantedAccess")
            )
        })
        .chain(
            recs.iter()
                .filter(|r| !sysmon(r) && eid(r) == "4624")
                .filter(|r| {
                    s(r, "IpAddress").is_some_and(|a| {
                        a.parse::<std::net::IpAddr>()
                            .is_ok_and(|i| !i.is_loopback())
                    })
                })
                .map(|r| {
                    format!(
                        "{}\\{} logged on to {} from {} (type {}, {})",
                        pid(r, "TargetDomainName"),
                        pid(r, "TargetUserName"),
                        pid(r, "Hostname"),
                        pid(r, "IpAddress"),
                        pid(r, "LogonType"),
                        pid(r, "AuthenticationPackageName")
                    )
                }),
        )
        .collect();
    expected.sort();
    assert!(expected.len() > 10);
    let mut stmt = st
        .conn()
        .prepare("SELECT summary FROM events WHERE (source = 'Sysmon' AND event_id = '10') OR (event_id = '4624' AND summary LIKE '% from %')")
        .unwrap();
    let mut got: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    got.sort();
    assert_eq!(got, expected);
}

/// Host entity by its host name.
pub(crate) fn host(st: &SqliteStore, name: &str) -> NodeId {
    let ids = q1(
        st,
        "SELECT id FROM entities WHERE kind = 'host' AND lower(label) = lower(?1)",
        &[&name],
    );
    assert_eq!(ids.len(), 1, "{name}: {ids:?}");
    NodeId::Entity(ids[0])
}

#[test]
fn system_per_host_and_network_logons_link_hosts() {
    let recs = raw(WMIC);
    let st = imported(&[WMIC]);
    // SYSTEM: one account per host that names it
    let hosts_with_system: BTreeSet<String> = recs
        .iter()
        .filter(|r| {
            ["SubjectUserSid", "TargetUserSid"]
                .iter()
                .any(|k| s(r, k).as_deref() == Some("S-1-5-18"))
                || s(r, "User").as_deref() == Some("NT AUTHORITY\\SYSTEM")
        })
        .filter_map(|r| s(r, "Hostname"))
        .collect();
    assert!(hosts_with_system.len() >= 2, "{hosts_with_system:?}");
    let systems = q1(
        &st,
        "SELECT id FROM entities WHERE kind = 'account' AND key LIKE 'account|sid=s-1-5-18|%'",
        &[],
    );
    assert_eq!(systems.len(), hosts_with_system.len());
    for sys in &systems {
        let hs = expand(&st, NodeId::Entity(*sys), "hosts");
        assert_eq!(hs.len(), 1, "SYSTEM entity:{sys} on {hs:?}");
    }
    // addresses each host uses, from its own Sysmon 3 (the source of what it initiated)
    let mut owner: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in recs.iter().filter(|r| sysmon(r) && eid(r) == "3") {
        if s(r, "Initiated").as_deref() != Some("true") {
            continue;
        }
        owner
            .entry(s(r, "SourceIp").unwrap())
            .or_default()
            .insert(s(r, "Hostname").unwrap());
    }
    // every network logon from another host's address: session → source host, and the
    // shortest path between the two hosts goes through that session, not through SYSTEM
    let mut checked = 0;
    for r in recs.iter().filter(|r| eid(r) == "4624") {
        if s(r, "LogonType").as_deref() != Some("3") {
            continue;
        }
        let (Some(ip), Some(to)) = (s(r, "IpAddress"), s(r, "Hostname")) else {
            continue;
        };
        let Some(from) = owner.get(&ip).filter(|o| o.len() == 1 && !o.contains(&to)) else {
            continue;
        };
        let from = from.iter().next().unwrap();
        let lid = s(r, "TargetLogonId").unwrap();
        let sess = q1(
            &st,
            "SELECT id FROM entities WHERE kind = 'host-logon-session' AND json_extract(props, '$.LogonId') = lower(?1) AND json_extract(props, '$.host') = ?2",
            &[&lid, &to],
        );
        assert_eq!(sess.len(), 1, "{lid} on {to}");
        let sn = NodeId::Entity(sess[0]);
        assert_eq!(expand(&st, sn, "host"), vec![host(&st, &to)]);
        assert_eq!(expand(&st, sn, "source_host"), vec![host(&st, from)]);
        let p = cb_graph::path(&st, host(&st, from), host(&st, &to), 6, None).unwrap();
        assert_eq!(p.nodes.len(), 3, "{from} → {to}: {:?}", p.nodes);
        assert_eq!(p.nodes[1].kind, "host-logon-session");
        assert!(p.nodes.iter().all(|n| n.kind != "account"));
        checked += 1;
    }
    assert!(checked > 0, "no network logon between two hosts");
}

/// The graph as text: entities named by their smallest identity key, relations by their
/// ends' names, kind, props, record count and source path (ids and insertion order vary
/// with import order; the graph must not).
fn render(st: &SqliteStore) -> String {
    let mut name: BTreeMap<i64, String> = BTreeMap::new();
    let mut stmt = st
        .conn()
        .prepare("SELECT entity_id, min(key) FROM entity_keys GROUP BY entity_id")
        .unwrap();
    for r in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (id, k) = r.unwrap();
        name.insert(id, k);
    }
    let node = |n: &str| -> String {
        match n.parse::<NodeId>() {
            Ok(NodeId::Entity(e)) => name.get(&e).cloned().unwrap_or_else(|| n.to_string()),
            _ => "event".to_string(),
        }
    };
    let mut lines = vec![];
    let mut stmt = st
        .conn()
        .prepare("SELECT id, kind, label, props FROM entities")
        .unwrap();
    for r in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
    {
        let (id, kind, label, props) = r.unwrap();
        lines.push(format!("E {} {kind} {label} {props}", name[&id]));
    }
    let mut stmt = st
        .conn()
        .prepare("SELECT r.src, r.dst, r.kind, r.props, r.n, coalesce(s.path, '') FROM relations r LEFT JOIN sources s ON s.id = r.source_id WHERE r.src LIKE 'entity:%'")
        .unwrap();
    for r in stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?
            ))
        })
        .unwrap()
    {
        let r = r.unwrap();
        let p: Vec<&str> = r.splitn(6, '|').collect();
        lines.push(format!(
            "R {} -{}-> {} {} n={} {}",
            node(p[0]),
            p[2],
            node(p[1]),
            p[3],
            p[4],
            p[5].rsplit('/').next().unwrap()
        ));
    }
    // what each entity's events say, by count
    let mut stmt = st
        .conn()
        .prepare("SELECT dst, count(*) FROM relations WHERE kind = 'mentions' GROUP BY dst")
        .unwrap();
    for r in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        let (d, n) = r.unwrap();
        lines.push(format!("M {} {n}", node(&d)));
    }
    lines.sort();
    lines.join("\n")
}

#[test]
fn both_import_orders_give_the_same_graph() {
    let a = imported(&[WMIC, LOCALADMIN]);
    let b = imported(&[LOCALADMIN, WMIC]);
    let (ra, rb) = (render(&a), render(&b));
    assert!(ra.lines().count() > 1000);
    if ra != rb {
        let la: BTreeSet<&str> = ra.lines().collect();
        let lb: BTreeSet<&str> = rb.lines().collect();
        let only_a: Vec<&&str> = la.difference(&lb).take(10).collect();
        let only_b: Vec<&&str> = lb.difference(&la).take(10).collect();
        panic!("graphs differ:\nonly A→B: {only_a:#?}\nonly B→A: {only_b:#?}");
    }
}

/// The counts each entity offers are the totals its expansions read from the relations, on
/// two real files imported together (with the process placeholders folded into the processes
/// they are): the events counts (kept at import, cb-store `event_counts`) of every entity, and
/// every query of the hosts, accounts and files (whose listing reads the rows reached through
/// their processes once for several queries).
#[test]
fn counts_offered_are_the_expansions_totals() {
    let st = imported(&[WMIC, LOCALADMIN]);
    let ids = q1(&st, "SELECT id FROM entities ORDER BY id", &[]);
    let kinds = q1(
        &st,
        "SELECT id FROM entities WHERE kind IN ('host', 'account', 'file') ORDER BY id",
        &[],
    );
    let mut checked = 0;
    let mut via = 0;
    for id in ids {
        let n = NodeId::Entity(id);
        let all = kinds.binary_search(&id).is_ok();
        for q in cb_graph::queries(&st, n).unwrap() {
            if ["files", "accounts", "hosts"].contains(&q.id.as_str()) && q.count > 0 {
                via += 1;
            }
            if all || q.id == "events" || q.id.starts_with("events:") {
                let total = cb_graph::expand(&st, n, &q.id, 1, 0).unwrap().total;
                assert_eq!(q.count, total, "{n} {}", q.id);
                checked += 1;
            }
        }
        // and the events query is offered with the count of a plain walk of the relations
        let walked = q1(
            &st,
            "SELECT count(DISTINCT src) FROM relations WHERE dst = ?1 AND src LIKE 'event:%'",
            &[&n.to_string()],
        )[0];
        assert_eq!(count(&st, n, "events"), walked as u64, "{n}");
    }
    assert!(checked > 1000, "{checked}");
    assert!(via > 10, "{via}");
}

/// The entity pairs a path walks (cb-store `co_mentions`, kept by each import and recounted
/// when a process placeholder is folded) are, on two real files imported together in either
/// order, exactly the pairs of distinct entities each event relates to: smallest event and
/// number of events per ordered pair, from a walk of the relation rows in the test. `verify`'s
/// recount agrees.
#[test]
fn entity_pairs_are_the_pairs_of_each_events_entities() {
    for files in [[WMIC, LOCALADMIN], [LOCALADMIN, WMIC]] {
        let st = imported(&files);
        // event → its entities, from the relation rows
        let mut of_event: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        {
            let mut stmt = st.conn().prepare("SELECT src, dst FROM relations").unwrap();
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .unwrap();
            for r in rows {
                let (src, dst) = r.unwrap();
                if let (Ok(NodeId::Event(e)), Ok(NodeId::Entity(x))) = (src.parse(), dst.parse()) {
                    of_event.entry(e).or_default().insert(x);
                }
            }
        }
        let mut want: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
        for (&e, xs) in &of_event {
            for &a in xs {
                for &b in xs.iter().filter(|&&b| b != a) {
                    let w = want.entry((a, b)).or_insert((e, 0));
                    w.0 = w.0.min(e);
                    w.1 += 1;
                }
            }
        }
        let mut stmt = st
            .conn()
            .prepare("SELECT a, b, event, n FROM co_mentions ORDER BY a, b")
            .unwrap();
        let got: BTreeMap<(i64, i64), (i64, i64)> = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(want.len() > 1000, "{}", want.len());
        if got != want {
            let missing: Vec<_> = want
                .iter()
                .filter(|(k, v)| got.get(k) != Some(v))
                .take(5)
                .collect();
            let extra: Vec<_> = got
                .iter()
                .filter(|(k, v)| want.get(k) != Some(v))
                .take(5)
                .collect();
            panic!("{files:?}: pairs differ: want {missing:?}, stored {extra:?}");
        }
        assert_eq!(cb_store::co_mentions::check(st.conn(), 10).unwrap(), []);
    }
}
