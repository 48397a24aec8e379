//! Exploration queries. Every query is a *set* of neighbour ids written as one SQL fragment
//! yielding rows `(n, via, fwd, pri)`: the neighbour's numeric id, the edge kind that links it,
//! whether the edge points from the explored node to the neighbour, and a priority (lower
//! wins when one neighbour is reached several ways). The count is `count(DISTINCT n)` over the
//! set; the expansion groups the same set by `n` and pages over it, so count == total by
//! construction.
//!
//! Parameters bound into every statement: `?1` the node id as text (`entity:5`), `?2` its
//! number, `?3` an argument of the query (the event source of `events:<source>`), `?4` limit,
//! `?5` offset. Nothing else reaches the SQL text: relation and entity kinds written into it
//! are constants of this file.

use crate::{EdgeView, Expansion, GraphError, NodeView, QueryInfo, Result};
use cb_domain::{NodeId, Severity};
use cb_store::SqliteStore;
use rusqlite::{types::Value, OptionalExtension};

/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: usize = 50;

/// What kind of node a query returns.
#[derive(Clone, Copy)]
enum Target {
    Alert,
    Incident,
    /// Entities, optionally only of these kinds.
    Entity(&'static [&'static str]),
    Event,
}

struct Spec {
    id: &'static str,
    label: &'static str,
    target: Target,
    frag: String,
    /// The set also holds [`via_process`]'s rows (kept apart so that listing a node's queries
    /// reads them once for every query that has them).
    via_process: bool,
}

impl Spec {
    /// The whole set's fragment.
    fn full(&self) -> std::borrow::Cow<'_, str> {
        if self.via_process {
            union(&[self.frag.clone(), via_process()]).into()
        } else {
            self.frag.as_str().into()
        }
    }
}

const ENT_DST: &str = "CAST(substr(r.dst, 8) AS INTEGER)";
const ENT_SRC: &str = "CAST(substr(r.src, 8) AS INTEGER)";

/// Entities directly related to the node, either direction, any relation except
/// `possibly_same_as` (or only `kinds` when given).
fn direct(kinds: Option<&[&str]>) -> String {
    let filters = match kinds {
        Some(k) => vec![format!("r.kind IN ({})", quoted(k))],
        None => kinds_except("r.kind", &["involves", "mentions", "possibly_same_as"]),
    };
    let mut parts = vec![];
    for f in &filters {
        parts.push(format!("SELECT {ENT_DST} AS n, r.kind AS via, 1 AS fwd, 0 AS pri FROM relations r WHERE r.src = ?1 AND {f} AND r.dst LIKE 'entity:%'"));
    }
    for f in &filters {
        parts.push(format!("SELECT {ENT_SRC}, r.kind, 0, 0 FROM relations r WHERE r.dst = ?1 AND {f} AND r.src LIKE 'entity:%'"));
    }
    union(&parts)
}

/// `col NOT IN (excluded)` as disjoint ranges (`col < a`, `col > a AND col < b`, …, `col > z`),
/// one per branch of a UNION ALL: behind an equality on the first column of the relation
/// indexes `(src|dst, kind)` each range is a seek, so a hub's 200k `mentions` entries are
/// stepped over instead of read one by one. `excluded` must be sorted.
pub(crate) fn kinds_except(col: &str, excluded: &[&str]) -> Vec<String> {
    debug_assert!(excluded.windows(2).all(|w| w[0] < w[1]));
    let q = |k: &str| format!("'{}'", k.replace('\'', "''"));
    let mut out = vec![];
    let mut lo: Option<&str> = None;
    for k in excluded {
        out.push(match lo {
            None => format!("{col} < {}", q(k)),
            Some(l) => format!("{col} > {} AND {col} < {}", q(l), q(k)),
        });
        lo = Some(k);
    }
    match lo {
        Some(l) => out.push(format!("{col} > {}", q(l))),
        None => out.push("1".into()),
    }
    out
}

/// Rows `s` (the source entity's node id) of the relations into the node (`?1`) from an
/// entity, of any kind but `excluded` (sorted, without `mentions`): index ranges around
/// `mentions`, and the `mentions` made by entities (STIX reports) as one range of the
/// `(dst, kind, src)` index, so a hub's 200k event mentions are never read one by one.
fn entities_into_node(excluded: &[&str]) -> String {
    let mut ex: Vec<&str> = excluded.to_vec();
    ex.push("mentions");
    ex.sort_unstable();
    let mut parts: Vec<String> = kinds_except("r.kind", &ex)
        .iter()
        .map(|k| format!("SELECT r.src AS s FROM relations r WHERE r.dst = ?1 AND {k} AND r.src LIKE 'entity:%'"))
        .collect();
    parts.push("SELECT r.src FROM relations r INDEXED BY relations_dst WHERE r.dst = ?1 AND r.kind = 'mentions' AND r.src >= 'entity:' AND r.src < 'entity;'".into());
    parts.join(" UNION ALL ")
}

/// Entities involved in the same alert as the node ("seen with", drawn dotted).
fn seen_with() -> String {
    "SELECT CAST(substr(r2.dst, 8) AS INTEGER) AS n, 'seen_with' AS via, 1 AS fwd, 2 AS pri
     FROM relations r1 JOIN relations r2 ON r2.src = r1.src AND r2.kind = 'involves'
     WHERE r1.dst = ?1 AND r1.kind = 'involves' AND r1.src LIKE 'alert:%' AND r2.dst <> ?1 AND r2.dst LIKE 'entity:%'"
        .to_string()
}

/// Entities related to a process that is itself directly related to the node (the account a
/// process on this host ran as; the host where a process that ran this file lived).
fn via_process() -> String {
    let from_entities = entities_into_node(&["possibly_same_as"]);
    let procs = format!("SELECT f.s AS pid FROM ({from_entities}) f JOIN entities e ON e.id = CAST(substr(f.s, 8) AS INTEGER)
                 WHERE e.kind = 'process'
                 UNION
                 SELECT r.dst FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
                 WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND e.kind = 'process' AND r.kind <> 'possibly_same_as'");
    // relations into the process but its events' mentions: index ranges around `mentions`
    let into = kinds_except("r2.kind", &["mentions", "possibly_same_as"])
        .iter()
        .map(|k| {
            format!(
                "SELECT CAST(substr(r2.src, 8) AS INTEGER), 'via_process', 1, 1
                 FROM p JOIN relations r2 ON r2.dst = p.pid AND {k}
                 WHERE r2.src LIKE 'entity:%' AND r2.src <> ?1"
            )
        })
        .collect::<Vec<_>>()
        .join("\n         UNION ALL\n         ");
    // the node's processes once (`MATERIALIZED`), then each branch joins them
    format!(
        "SELECT * FROM (WITH p(pid) AS MATERIALIZED ({procs})
         SELECT CAST(substr(r2.dst, 8) AS INTEGER) AS n, 'via_process' AS via, 1 AS fwd, 1 AS pri
         FROM p JOIN relations r2 ON r2.src = p.pid
         WHERE r2.dst LIKE 'entity:%' AND r2.dst <> ?1 AND r2.kind <> 'possibly_same_as'
         UNION ALL
         {into})"
    )
}

fn union(parts: &[String]) -> String {
    parts.join("\nUNION ALL\n")
}

fn quoted(k: &[&str]) -> String {
    k.iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spec(id: &'static str, label: &'static str, target: Target, frag: String) -> Spec {
    Spec {
        id,
        label,
        target,
        frag,
        via_process: false,
    }
}

/// A query whose set is `frag`'s rows and [`via_process`]'s.
fn spec_via(id: &'static str, label: &'static str, target: Target, frag: String) -> Spec {
    Spec {
        via_process: true,
        ..spec(id, label, target, frag)
    }
}

const PARENT_KINDS: &[&str] = &["ParentProcess", "parent_process", "parent"];
const CHILD_KINDS: &[&str] = &["created", "spawned"];
const PEER_KINDS: &[&str] = &["connected_to", "connection", "flow"];

/// Entities linked to the node by a "parent" relation: `node -[ParentProcess]-> p` or
/// `p -[created]-> node`.
fn parent_of() -> String {
    format!(
        "SELECT {ENT_DST} AS n, r.kind AS via, 1 AS fwd, 0 AS pri FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND r.kind IN ({})
         UNION ALL
         SELECT {ENT_SRC}, r.kind, 0, 0 FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'entity:%' AND r.kind IN ({})",
        quoted(PARENT_KINDS),
        quoted(CHILD_KINDS)
    )
}

fn children_of() -> String {
    format!(
        "SELECT {ENT_SRC} AS n, r.kind AS via, 0 AS fwd, 0 AS pri FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'entity:%' AND r.kind IN ({})
         UNION ALL
         SELECT {ENT_DST}, r.kind, 1, 0 FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND r.kind IN ({})",
        quoted(PARENT_KINDS),
        quoted(CHILD_KINDS)
    )
}

/// Network peers: `connected_to` neighbours of the node and of the IPs it is directly
/// related to otherwise (a host's addresses; not the peers of its peers).
fn peers() -> String {
    let k = quoted(PEER_KINDS);
    let mut ex = PEER_KINDS.to_vec();
    ex.push("possibly_same_as");
    ex.sort_unstable();
    let into = entities_into_node(&ex);
    let ips = format!(
        "SELECT r.dst AS ip FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
               WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND e.kind = 'ip' AND r.kind NOT IN ('possibly_same_as', {k})
               UNION SELECT f.s FROM ({into}) f JOIN entities e ON e.id = CAST(substr(f.s, 8) AS INTEGER)
               WHERE e.kind = 'ip'
               UNION SELECT ?1"
    );
    format!(
        "SELECT CAST(substr(r.dst, 8) AS INTEGER) AS n, r.kind AS via, 1 AS fwd, 0 AS pri FROM ({ips}) s JOIN relations r ON r.src = s.ip
         WHERE r.kind IN ({k}) AND r.dst LIKE 'entity:%' AND r.dst <> ?1
         UNION ALL
         SELECT CAST(substr(r.src, 8) AS INTEGER), r.kind, 0, 0 FROM ({ips}) s JOIN relations r ON r.dst = s.ip
         WHERE r.kind IN ({k}) AND r.src LIKE 'entity:%' AND r.src <> ?1"
    )
}

/// Entities linked to the node by `kinds`, only in one direction: `out` follows
/// `node -[kind]-> n`, otherwise `n -[kind]-> node`.
fn one_way(kinds: &[&str], out: bool) -> String {
    let k = quoted(kinds);
    if out {
        format!("SELECT {ENT_DST} AS n, r.kind AS via, 1 AS fwd, 0 AS pri FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND r.kind IN ({k})")
    } else {
        format!("SELECT {ENT_SRC} AS n, r.kind AS via, 0 AS fwd, 0 AS pri FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'entity:%' AND r.kind IN ({k})")
    }
}

/// Two steps: `kinds1` one way from the node (as [`one_way`]), then `kinds2` one way from
/// there (a host's logon sessions, then the hosts they came from).
fn two_steps(kinds1: &[&str], out1: bool, kinds2: &[&str], out2: bool) -> String {
    let (k1, k2) = (quoted(kinds1), quoted(kinds2));
    let first = if out1 {
        format!("SELECT r.dst AS m FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'entity:%' AND r.kind IN ({k1})")
    } else {
        format!("SELECT r.src AS m FROM relations r WHERE r.dst = ?1 AND r.src LIKE 'entity:%' AND r.kind IN ({k1})")
    };
    if out2 {
        format!("SELECT CAST(substr(r2.dst, 8) AS INTEGER) AS n, r2.kind AS via, 1 AS fwd, 1 AS pri FROM ({first}) f JOIN relations r2 ON r2.src = f.m WHERE r2.kind IN ({k2}) AND r2.dst LIKE 'entity:%' AND r2.dst <> ?1")
    } else {
        format!("SELECT CAST(substr(r2.src, 8) AS INTEGER) AS n, r2.kind AS via, 0 AS fwd, 1 AS pri FROM ({first}) f JOIN relations r2 ON r2.dst = f.m WHERE r2.kind IN ({k2}) AND r2.src LIKE 'entity:%' AND r2.src <> ?1")
    }
}

fn entity_alerts() -> String {
    "SELECT CAST(substr(r.src, 7) AS INTEGER) AS n, 'involves' AS via, 0 AS fwd, 0 AS pri FROM relations r
     WHERE r.dst = ?1 AND r.kind = 'involves' AND r.src LIKE 'alert:%'"
        .to_string()
}

fn entity_incidents() -> String {
    "SELECT ia.incident_id AS n, 'involves' AS via, 0 AS fwd, 0 AS pri FROM relations r
     JOIN alerts a ON a.id = CAST(substr(r.src, 7) AS INTEGER)
     JOIN incident_alerts ia ON ia.alert_ext_id = a.ext_id
     WHERE r.dst = ?1 AND r.kind = 'involves' AND r.src LIKE 'alert:%'"
        .to_string()
}

fn entity_events() -> String {
    "SELECT CAST(substr(r.src, 7) AS INTEGER) AS n, r.kind AS via, 0 AS fwd, 0 AS pri FROM relations r
     WHERE r.dst = ?1 AND r.src LIKE 'event:%'"
        .to_string()
}

/// The queries a node of this kind offers (without the per-source event queries).
fn specs(node: NodeId, entity_kind: Option<&str>) -> Vec<Spec> {
    use Target::*;
    const ANY: &[&str] = &[];
    match node {
        NodeId::Alert(_) => vec![
            spec(
                "entities",
                "Entities",
                Entity(ANY),
                format!("SELECT {ENT_DST} AS n, 'involves' AS via, 1 AS fwd, 0 AS pri FROM relations r WHERE r.src = ?1 AND r.kind = 'involves' AND r.dst LIKE 'entity:%'"),
            ),
            spec(
                "incidents",
                "Incidents",
                Incident,
                "SELECT ia.incident_id AS n, 'contains' AS via, 0 AS fwd, 0 AS pri FROM alerts a JOIN incident_alerts ia ON ia.alert_ext_id = a.ext_id WHERE a.id = ?2"
                    .into(),
            ),
            spec(
                "shared_entity_alerts",
                "Alerts sharing an entity",
                Alert,
                "SELECT CAST(substr(r2.src, 7) AS INTEGER) AS n, 'shares_entity' AS via, 1 AS fwd, 0 AS pri
                 FROM relations r1 JOIN relations r2 ON r2.dst = r1.dst AND r2.kind = 'involves'
                 WHERE r1.src = ?1 AND r1.kind = 'involves' AND r2.src LIKE 'alert:%' AND r2.src <> ?1"
                    .into(),
            ),
            spec(
                "same_type_alerts",
                "Alerts of the same type",
                Alert,
                "SELECT b.id AS n, 'same_type' AS via, 1 AS fwd, 0 AS pri FROM alerts a JOIN alerts b ON b.alert_type = a.alert_type AND b.id <> a.id WHERE a.id = ?2"
                    .into(),
            ),
            spec(
                "grouped_alerts",
                "Alerts it groups",
                Alert,
                "SELECT b.id AS n, 'groups' AS via, 1 AS fwd, 0 AS pri FROM alerts a, json_each(a.contains_alerts) j JOIN alerts b ON b.ext_id = j.value WHERE a.id = ?2"
                    .into(),
            ),
        ],
        NodeId::Incident(_) => vec![
            spec(
                "alerts",
                "Alerts",
                Alert,
                "SELECT a.id AS n, 'contains' AS via, 1 AS fwd, 0 AS pri FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id WHERE ia.incident_id = ?2"
                    .into(),
            ),
            spec(
                "entities",
                "Entities of its alerts",
                Entity(ANY),
                format!(
                    "SELECT {ENT_DST} AS n, 'involves' AS via, 1 AS fwd, 0 AS pri FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id
                     JOIN relations r ON r.src = 'alert:' || a.id AND r.kind = 'involves' WHERE ia.incident_id = ?2 AND r.dst LIKE 'entity:%'"
                ),
            ),
        ],
        NodeId::Event(_) => vec![spec(
            "entities",
            "Entities it mentions",
            Entity(ANY),
            format!("SELECT {ENT_DST} AS n, r.kind AS via, 1 AS fwd, 0 AS pri FROM relations r WHERE r.src = ?1 AND r.dst LIKE 'entity:%'"),
        )],
        NodeId::Entity(_) => {
            let mut v = vec![spec("alerts", "Related alerts", Alert, entity_alerts()), spec("incidents", "Incidents", Incident, entity_incidents())];
            let dw = |k: Option<&[&str]>| union(&[direct(k), seen_with()]);
            // direct, seen with (and via a process: `spec_via`)
            let dw_via = || union(&[direct(None), seen_with()]);
            match entity_kind.unwrap_or("") {
                "host" => v.extend([
                    spec("sessions", "Logon sessions on it", Entity(&["host-logon-session"]), one_way(&["on_host"], false)),
                    spec("logons_from", "Hosts that logged on to it", Entity(&["host"]), two_steps(&["on_host"], false, &["from_host"], true)),
                    spec("logons_to", "Hosts it logged on to", Entity(&["host"]), two_steps(&["from_host"], false, &["on_host"], true)),
                    spec_via("accounts", "Accounts seen on it", Entity(&["account"]), union(&[dw_via(), two_steps(&["on_host"], false, &["logon_of"], true)])),
                    spec("processes", "Processes on it", Entity(&["process"]), direct(None)),
                    spec("ips", "IP addresses it used", Entity(&["ip"]), dw(None)),
                    spec("peers", "Network peers", Entity(ANY), peers()),
                    spec_via("files", "Files seen on it", Entity(&["file"]), direct(None)),
                ]),
                "account" => v.extend([
                    spec_via("hosts", "Hosts", Entity(&["host"]), union(&[dw_via(), two_steps(&["logon_of"], false, &["on_host"], true)])),
                    spec("sessions", "Logon sessions", Entity(&["host-logon-session"]), one_way(&["logon_of"], false)),
                    spec("source_ips", "Source IP addresses", Entity(&["ip"]), dw(None)),
                    spec("processes", "Processes run", Entity(&["process"]), direct(None)),
                ]),
                "ip" => v.extend([
                    spec("hosts", "Hosts using it", Entity(&["host"]), dw(None)),
                    spec("sessions", "Logon sessions from it", Entity(&["host-logon-session"]), one_way(&["from_ip"], false)),
                    spec("processes", "Processes connecting to it", Entity(&["process"]), one_way(&["connected_to", "accepted_from"], false)),
                    spec("accounts", "Accounts signing in from it", Entity(&["account"]), dw(None)),
                    spec("peers", "Network peers", Entity(ANY), peers()),
                ]),
                "process" => v.extend([
                    spec("parent", "Parent process", Entity(&["process"]), parent_of()),
                    spec("children", "Child processes", Entity(&["process"]), children_of()),
                    spec("image_file", "Image file", Entity(&["file"]), direct(Some(&["ImageFile"]))),
                    spec("account", "Account", Entity(&["account"]), direct(None)),
                    spec("host", "Host", Entity(&["host"]), direct(None)),
                    spec("connections", "Network connections", Entity(&["ip"]), one_way(&["connected_to"], true)),
                    spec("inbound", "Inbound connections from", Entity(&["ip"]), one_way(&["accepted_from"], true)),
                    spec("session", "Logon session", Entity(&["host-logon-session"]), one_way(&["in_session"], true)),
                    spec("opened", "Processes it opened or injected into", Entity(&["process"]), one_way(&["opened_process", "created_thread"], true)),
                    spec("opened_by", "Processes that opened it", Entity(&["process"]), one_way(&["opened_process", "created_thread"], false)),
                    spec("dns", "DNS names it looked up", Entity(&["dns"]), one_way(&["dns_query"], true)),
                    spec("files", "Files", Entity(&["file"]), direct(None)),
                ]),
                "host-logon-session" => v.extend([
                    spec("host", "Host", Entity(&["host"]), one_way(&["on_host"], true)),
                    spec("account", "Account", Entity(&["account"]), one_way(&["logon_of"], true)),
                    spec("source_ip", "Source IP address", Entity(&["ip"]), one_way(&["from_ip"], true)),
                    spec("source_host", "Source host", Entity(&["host"]), one_way(&["from_host"], true)),
                    spec("processes", "Processes in it", Entity(&["process"]), one_way(&["in_session"], false)),
                ]),
                "dns" => v.extend([
                    spec("answers", "Resolved to", Entity(&["ip"]), one_way(&["resolved_to"], true)),
                    spec("processes", "Processes that looked it up", Entity(&["process"]), one_way(&["dns_query"], false)),
                ]),
                "file" => v.extend([
                    spec("hashes", "Hashes", Entity(&["filehash"]), direct(None)),
                    spec("processes", "Processes that ran it", Entity(&["process"]), direct(None)),
                    spec_via("hosts", "Hosts where seen", Entity(&["host"]), dw_via()),
                ]),
                _ => {}
            }
            v.push(spec("related", "Related entities", Entity(ANY), direct(None)));
            v.push(spec("possibly_same_as", "Possibly the same as", Entity(ANY), direct(Some(&["possibly_same_as"]))));
            v.push(spec("events", "Events that mention it", Event, entity_events()));
            v
        }
    }
}

/// The fragment restricted to neighbours that exist and are of the query's target kind.
fn filtered(node: NodeId, s: &Spec, by_source: bool) -> String {
    filtered_frag(node, s.target, &s.full(), by_source)
}

/// [`filtered`] of a fragment.
fn filtered_frag(node: NodeId, target: Target, frag: &str, by_source: bool) -> String {
    match target {
        Target::Alert => {
            let not_self = if matches!(node, NodeId::Alert(_)) {
                " WHERE q.n <> ?2"
            } else {
                ""
            };
            format!("SELECT q.n, q.via, q.fwd, q.pri FROM ({frag}) q JOIN alerts t ON t.id = q.n{not_self}")
        }
        Target::Incident => format!(
            "SELECT q.n, q.via, q.fwd, q.pri FROM ({frag}) q JOIN incidents t ON t.id = q.n"
        ),
        Target::Event => {
            let src = if by_source {
                " WHERE t.source = ?3"
            } else {
                ""
            };
            // `search_docs` (one small row per event: `d = id * 4`, its source) says the event
            // exists and where it comes from without reading the wide `events` rows
            format!(
                "SELECT q.n, q.via, q.fwd, q.pri FROM ({frag}) q JOIN search_docs t ON t.d = q.n * 4{src}"
            )
        }
        Target::Entity(kinds) => {
            let mut w = vec![];
            if matches!(node, NodeId::Entity(_)) {
                w.push("q.n <> ?2".to_string());
            }
            if !kinds.is_empty() {
                w.push(format!("t.kind IN ({})", quoted(kinds)));
            }
            let w = if w.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", w.join(" AND "))
            };
            format!(
                "SELECT q.n, q.via, q.fwd, q.pri FROM ({frag}) q JOIN entities t ON t.id = q.n{w}"
            )
        }
    }
}

fn target_node(t: Target, n: i64) -> NodeId {
    match t {
        Target::Alert => NodeId::Alert(n),
        Target::Incident => NodeId::Incident(n),
        Target::Entity(_) => NodeId::Entity(n),
        Target::Event => NodeId::Event(n),
    }
}

/// Bind `?1..?k` from `vals` (only as many as the statement uses).
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, vals: &[Value]) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        stmt.raw_bind_parameter(i, vals.get(i - 1).cloned().unwrap_or(Value::Null))?;
    }
    Ok(())
}

/// How many distinct neighbours the query's set holds. The set's rows are read and told apart
/// here (a hash set is several times faster than SQLite's `count(DISTINCT)` b-tree on a hub's
/// 200k rows); [`expand`] reads the very same rows.
fn count(store: &SqliteStore, node: NodeId, s: &Spec, arg: Option<&str>) -> Result<u64> {
    Ok(neighbours(store, node, &filtered(node, s, arg.is_some()), arg)?.len() as u64)
}

/// The distinct neighbours `n` of a filtered set's rows.
fn neighbours(
    store: &SqliteStore,
    node: NodeId,
    set: &str,
    arg: Option<&str>,
) -> Result<std::collections::HashSet<i64>> {
    let mut stmt = store
        .conn()
        .prepare_cached(&format!("SELECT n FROM ({set})"))?;
    bind(&mut stmt, &params(node, arg, 0, 0))?;
    let mut rows = stmt.raw_query();
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = rows.next()? {
        seen.insert(r.get::<_, i64>(0)?);
    }
    Ok(seen)
}

/// The neighbours [`via_process`] reaches from `node`, each once with its entity kind (a
/// busy host's processes reach 50k rows of 11k entities: each entity's kind is read once).
fn via_process_rows(store: &SqliteStore, node: NodeId) -> Result<Vec<(i64, String)>> {
    let sql = format!(
        // CROSS JOIN: the rows first, then each one's entity (never the other way round)
        "SELECT q.n, t.kind FROM (SELECT DISTINCT n FROM ({})) q CROSS JOIN entities t ON t.id = q.n",
        via_process()
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    bind(&mut stmt, &params(node, None, 0, 0))?;
    let mut rows = stmt.raw_query();
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push((r.get(0)?, r.get(1)?));
    }
    Ok(out)
}

/// [`count`] of an entity query that holds [`via_process`]'s rows, from those rows read once
/// (`via`) and the rest of its set: the same neighbours [`filtered`] keeps (existing
/// entities of the target kinds, not the node itself).
fn count_with_via(
    store: &SqliteStore,
    node: NodeId,
    s: &Spec,
    kinds: &[&str],
    via: &[(i64, String)],
) -> Result<u64> {
    let mut seen = neighbours(
        store,
        node,
        &filtered_frag(node, s.target, &s.frag, false),
        None,
    )?;
    let own = matches!(node, NodeId::Entity(_)).then(|| node.num());
    for (n, k) in via {
        if Some(*n) != own && (kinds.is_empty() || kinds.contains(&k.as_str())) {
            seen.insert(*n);
        }
    }
    Ok(seen.len() as u64)
}

fn params(node: NodeId, arg: Option<&str>, limit: usize, offset: usize) -> Vec<Value> {
    vec![
        Value::Text(node.to_string()),
        Value::Integer(node.num()),
        arg.map(|a| Value::Text(a.to_string()))
            .unwrap_or(Value::Null),
        Value::Integer(limit.min(i64::MAX as usize) as i64),
        Value::Integer(offset.min(i64::MAX as usize) as i64),
    ]
}

/// The entity kind of an entity node (`None` for other nodes); errors when the node does not
/// exist.
fn check_node(store: &SqliteStore, node: NodeId) -> Result<Option<String>> {
    let sql = match node {
        NodeId::Alert(_) => "SELECT NULL FROM alerts WHERE id = ?1",
        NodeId::Incident(_) => "SELECT NULL FROM incidents WHERE id = ?1",
        NodeId::Entity(_) => "SELECT kind FROM entities WHERE id = ?1",
        NodeId::Event(_) => "SELECT NULL FROM events WHERE id = ?1",
    };
    store
        .conn()
        .prepare_cached(sql)?
        .query_row([node.num()], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .ok_or(GraphError::NoSuchNode(node))
}

/// The exploration queries `node` offers, each with its count. Entities also offer one
/// `events:<source>` query per log source that mentions them (ASC's Search tab).
pub fn queries(store: &SqliteStore, node: NodeId) -> Result<Vec<QueryInfo>> {
    let _read = crate::path::read_transaction(store.conn())?;
    let kind = check_node(store, node)?;
    let mut out = vec![];
    let mut by_source = None;
    let mut via: Option<Vec<(i64, String)>> = None;
    for s in specs(node, kind.as_deref()) {
        let count = if matches!(node, NodeId::Entity(_)) && s.id == "events" {
            // counted at import (cb-store `event_counts`): the same distinct events the
            // expansion reads, without walking a hub's relations
            let by = cb_store::event_counts::of_entity(store.conn(), node.num())?;
            let n = by.iter().map(|(_, n)| n).sum();
            by_source = Some(by);
            n
        } else if let (true, Target::Entity(kinds)) = (s.via_process, s.target) {
            let via = match &via {
                Some(v) => v,
                None => via.insert(via_process_rows(store, node)?),
            };
            count_with_via(store, node, &s, kinds, via)?
        } else {
            count(store, node, &s, None)?
        };
        out.push(QueryInfo {
            id: s.id.to_string(),
            label: s.label.to_string(),
            count,
        });
    }
    for (source, n) in by_source.unwrap_or_default() {
        out.push(QueryInfo {
            id: format!("events:{source}"),
            label: format!("Events in {source}"),
            count: n,
        });
    }
    Ok(out)
}

/// What one exploration query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    Alerts,
    Incidents,
    Entities,
    Events,
}

/// One query resolved to its SQL set: rows `(n, via, fwd, pri)` of neighbours, its
/// parameters `?1..?5` (limit and offset 0) and what `n` numbers.
pub(crate) struct QuerySet {
    pub sql: String,
    pub params: Vec<Value>,
    pub returns: Returns,
}

/// The spec of `query` on `node` and its argument (`events:<source>`).
fn find_spec<'q>(
    store: &SqliteStore,
    node: NodeId,
    query: &'q str,
) -> Result<(Spec, Option<&'q str>)> {
    let kind = check_node(store, node)?;
    let (qid, arg) = match query.split_once(':') {
        Some(("events", src)) => ("events", Some(src)),
        _ => (query, None),
    };
    let s = specs(node, kind.as_deref())
        .into_iter()
        .find(|s| s.id == qid)
        .ok_or_else(|| GraphError::NoSuchQuery {
            node,
            query: query.to_string(),
        })?;
    Ok((s, arg))
}

pub(crate) fn query_set(store: &SqliteStore, node: NodeId, query: &str) -> Result<QuerySet> {
    let (s, arg) = find_spec(store, node, query)?;
    Ok(QuerySet {
        sql: filtered(node, &s, arg.is_some()),
        params: params(node, arg, 0, 0),
        returns: match s.target {
            Target::Alert => Returns::Alerts,
            Target::Incident => Returns::Incidents,
            Target::Entity(_) => Returns::Entities,
            Target::Event => Returns::Events,
        },
    })
}

/// Bind `?1..?k` from `vals` (only as many as the statement uses), for the modules that
/// build statements over a [`QuerySet`].
pub(crate) fn bind_all(
    stmt: &mut rusqlite::CachedStatement<'_>,
    vals: &[Value],
) -> rusqlite::Result<()> {
    bind(stmt, vals)
}

/// Run one exploration query: a page of `limit` neighbours from `offset`, the edges attaching
/// them to `node`, the query's `total` and how many are `more` after this page.
pub fn expand(
    store: &SqliteStore,
    node: NodeId,
    query: &str,
    limit: usize,
    offset: usize,
) -> Result<Expansion> {
    let (s, arg) = find_spec(store, node, query)?;
    // One pass over the set: per neighbour the row of the lowest priority (the first such row
    // on ties, as SQLite's `min()` keeps), then the page in id order. The total is the number
    // of neighbours grouped here, so it equals the count `queries` offers.
    let sql = format!(
        "SELECT n, pri, via, fwd FROM ({})",
        filtered(node, &s, arg.is_some())
    );
    let mut best: std::collections::HashMap<i64, (i64, String, bool)> = Default::default();
    {
        let mut stmt = store.conn().prepare_cached(&sql)?;
        bind(&mut stmt, &params(node, arg, 0, 0))?;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(0)?;
            let pri: i64 = r.get(1)?;
            match best.get_mut(&n) {
                Some(b) if pri >= b.0 => {}
                slot => {
                    let v = (pri, r.get::<_, String>(2)?, r.get::<_, i64>(3)? != 0);
                    match slot {
                        Some(b) => *b = v,
                        None => {
                            best.insert(n, v);
                        }
                    }
                }
            }
        }
    }
    let total = best.len() as u64;
    let mut ids: Vec<i64> = best.keys().copied().collect();
    ids.sort_unstable();
    let page: Vec<(i64, String, bool)> = ids
        .into_iter()
        .skip(offset)
        .take(limit)
        .filter_map(|n| best.remove(&n).map(|(_, via, fwd)| (n, via, fwd)))
        .collect();
    let mut nodes = Vec::with_capacity(page.len());
    let mut edges = Vec::with_capacity(page.len());
    for (n, via, fwd) in page {
        let id = target_node(s.target, n);
        nodes.push(node_view(store, id)?);
        edges.push(if fwd {
            EdgeView::new(node, id, &via)
        } else {
            EdgeView::new(id, node, &via)
        });
    }
    let shown = offset as u64 + nodes.len() as u64;
    Ok(Expansion {
        more: total.saturating_sub(shown),
        nodes,
        edges,
        total,
    })
}

/// How the map shows one node.
pub fn node_view(store: &SqliteStore, id: NodeId) -> Result<NodeView> {
    let c = store.conn();
    let row = match id {
        NodeId::Alert(n) => c
            .prepare_cached("SELECT 'alert', name, severity, start_time FROM alerts WHERE id = ?1")?
            .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?,
        NodeId::Incident(n) => c
            .prepare_cached("SELECT 'incident', title, severity, coalesce(first_activity, created) FROM incidents WHERE id = ?1")?
            .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?,
        NodeId::Entity(n) => c
            .prepare_cached("SELECT kind, label, NULL, NULL FROM entities WHERE id = ?1")?
            .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?,
        NodeId::Event(n) => c
            .prepare_cached("SELECT 'event', summary, NULL, time FROM events WHERE id = ?1")?
            .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?,
    };
    let (kind, label, sev, time): (String, String, Option<i64>, Option<String>) =
        row.ok_or(GraphError::NoSuchNode(id))?;
    Ok(NodeView {
        id,
        kind,
        label,
        severity: sev.map(Severity::from_rank),
        time,
    })
}
