//! The process tree of a host, a logon session or a process: every process by start time
//! under its parent, as a flat pre-order list with depths (the window renders only the rows
//! in view, so 10,000 processes open at once). Reads only.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::NodeId;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Rows a tree holds at most (the rest is reported as `truncated`).
pub const MAX_ROWS: usize = 200_000;

/// One process of the tree.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TreeRow {
    pub id: NodeId,
    /// 0 for a root of the tree.
    pub depth: u32,
    pub parent: Option<NodeId>,
    /// The image's file name (`cmd.exe`); `path` is the whole image path.
    pub image: String,
    pub path: String,
    pub pid: String,
    pub user: Option<String>,
    pub command_line: String,
    /// Start time (`CreationTime`), when a record gave it.
    pub time: Option<String>,
    pub host: Option<String>,
    pub guid: Option<String>,
    /// Alerts that involve this process.
    pub alerts: u32,
    /// Rows of this process's subtree that follow it (pre-order: rows `i+1 ..= i+descendants`).
    pub descendants: u32,
    /// The process the tree was opened from.
    pub focus: bool,
}

/// `caseboard tree --json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProcessTree {
    /// What the tree is of (a host, a logon session, a process).
    pub scope: NodeId,
    pub scope_kind: String,
    pub scope_label: String,
    pub rows: Vec<TreeRow>,
    /// Processes with at least one alert.
    pub alerted: u32,
    pub truncated: bool,
}

struct Proc {
    label: String,
    props: Map<String, Value>,
}

fn prop(p: &Map<String, Value>, k: &str) -> Option<String> {
    match p.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

fn entity_num(text: &str) -> Option<i64> {
    match text.parse::<NodeId>() {
        Ok(NodeId::Entity(n)) => Some(n),
        _ => None,
    }
}

/// The tree of `node`: a host (its processes), a logon session (the processes that ran in it)
/// or a process (its ancestors, itself and everything it started).
pub fn process_tree(case: &Case, node: NodeId) -> ApiResult<ProcessTree> {
    let c = case.store.conn();
    let NodeId::Entity(n) = node else {
        return Err(ApiError::bad(format!(
            "a process tree is of a host, a logon session or a process; {node} is not an entity"
        )));
    };
    let (kind, label): (String, String) = c
        .prepare_cached("SELECT kind, label FROM entities WHERE id = ?1")?
        .query_row([n], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(ApiError::Case(cb_store::StoreError::NoSuchNode(node)))?;
    // the members, as one SQL set: a host's processes, a session's, or a process's ancestors
    // and descendants (recursive; UNION ends a cycle)
    let members_cte = match kind.as_str() {
        "host" => "m(id) AS (SELECT DISTINCT src FROM relations WHERE dst = ?1 AND kind = 'Host' AND src LIKE 'entity:%')".to_string(),
        "host-logon-session" => "m(id) AS (SELECT DISTINCT src FROM relations WHERE dst = ?1 AND kind = 'in_session' AND src LIKE 'entity:%')".to_string(),
        "process" => "up(id) AS (SELECT ?1 UNION SELECT r.dst FROM up CROSS JOIN relations r ON r.src = up.id AND r.kind = 'ParentProcess'),
             down(id) AS (SELECT ?1 UNION SELECT r.src FROM down CROSS JOIN relations r ON r.dst = down.id AND r.kind = 'ParentProcess'),
             m(id) AS (SELECT id FROM up UNION SELECT id FROM down)".to_string(),
        other => {
            return Err(ApiError::bad(format!(
                "a process tree is of a host, a logon session or a process; {node} is a {other}"
            )))
        }
    };
    let focus = (kind == "process").then_some(n);
    let scope = node.to_string();
    let rows_of = |sql: &str| -> ApiResult<Vec<(String, String)>> {
        let full = format!("WITH RECURSIVE {members_cte} {sql}");
        let mut st = c.prepare(&full)?;
        let rows = st.query_map([&scope], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    // the processes' rows
    let mut procs: HashMap<i64, Proc> = HashMap::new();
    {
        let full = format!(
            "WITH RECURSIVE {members_cte} SELECT e.id, e.label, e.props FROM m CROSS JOIN entities e ON e.id = CAST(substr(m.id, 8) AS INTEGER)
             WHERE e.kind = 'process' LIMIT {}",
            MAX_ROWS + 1
        );
        for (id, label, props) in id_text_text(c, &full, &scope)? {
            let props = match serde_json::from_str::<Value>(&props) {
                Ok(Value::Object(o)) => o,
                _ => Map::new(),
            };
            procs.insert(id, Proc { label, props });
        }
    }
    let truncated = procs.len() > MAX_ROWS;
    if truncated {
        let keep: HashSet<i64> = {
            let mut ids: Vec<i64> = procs.keys().copied().collect();
            ids.sort_unstable();
            ids.truncate(MAX_ROWS);
            ids.into_iter().collect()
        };
        procs.retain(|k, _| keep.contains(k));
    }
    let mut members: Vec<i64> = procs.keys().copied().collect();
    members.sort_unstable();
    // parent links inside the set (the first one recorded), users, alert counts
    let mut parent: HashMap<i64, i64> = HashMap::new();
    for (child, p) in rows_of(
        "SELECT r.src, r.dst FROM m CROSS JOIN relations r ON r.src = m.id AND r.kind = 'ParentProcess' ORDER BY r.id",
    )? {
        if let (Some(ch), Some(p)) = (entity_num(&child), entity_num(&p)) {
            if ch != p && procs.contains_key(&p) && procs.contains_key(&ch) {
                parent.entry(ch).or_insert(p);
            }
        }
    }
    let mut users: HashMap<i64, String> = HashMap::new();
    for (p, u) in rows_of(
        "SELECT r.src, e.label FROM m CROSS JOIN relations r ON r.src = m.id AND r.kind = 'ran_as' AND r.dst LIKE 'entity:%'
         JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER) ORDER BY r.id",
    )? {
        if let Some(p) = entity_num(&p) {
            users.entry(p).or_insert(u);
        }
    }
    let mut alerts: HashMap<i64, u32> = HashMap::new();
    for (p, a) in rows_of(
        "SELECT r.dst, CAST(count(DISTINCT r.src) AS TEXT) FROM m CROSS JOIN relations r ON r.dst = m.id AND r.kind = 'involves' AND r.src LIKE 'alert:%' GROUP BY r.dst",
    )? {
        if let (Some(p), Ok(a)) = (entity_num(&p), a.parse::<u32>()) {
            alerts.insert(p, a);
        }
    }
    // one row per member, read once; everything below works on indices
    let at: HashMap<i64, usize> = members.iter().enumerate().map(|(i, &m)| (m, i)).collect();
    let mut base: Vec<TreeRow> = members
        .iter()
        .map(|&m| {
            let p = &procs[&m];
            let path = prop(&p.props, "Image").unwrap_or_default();
            let image = if path.is_empty() {
                p.label.split(" (").next().unwrap_or(&p.label).to_string()
            } else {
                base_name(&path).to_string()
            };
            TreeRow {
                id: NodeId::Entity(m),
                depth: 0,
                parent: parent.get(&m).map(|&x| NodeId::Entity(x)),
                image,
                path,
                pid: prop(&p.props, "ProcessId").unwrap_or_default(),
                user: users.remove(&m),
                command_line: prop(&p.props, "CommandLine").unwrap_or_default(),
                time: prop(&p.props, "CreationTime"),
                host: prop(&p.props, "host"),
                guid: prop(&p.props, "ProcessGuid"),
                alerts: alerts.get(&m).copied().unwrap_or(0),
                descendants: 0,
                focus: focus == Some(m),
            }
        })
        .collect();
    // children by start time, then pid
    let keys: Vec<(&str, u64, i64)> = base
        .iter()
        .zip(&members)
        .map(|(r, &m)| {
            (
                r.time.as_deref().unwrap_or(""),
                r.pid.parse::<u64>().unwrap_or(0),
                m,
            )
        })
        .collect();
    let mut children: Vec<Vec<usize>> = vec![vec![]; members.len()];
    let mut roots = vec![];
    for (i, m) in members.iter().enumerate() {
        match parent.get(m).and_then(|p| at.get(p)) {
            Some(&p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    for v in children.iter_mut() {
        v.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    }
    let by_key = |v: &mut Vec<usize>| v.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    by_key(&mut roots);
    // a parent cycle (pid reuse gone wrong) has no root: start from its oldest member
    let mut rest: Vec<usize> = (0..members.len()).collect();
    by_key(&mut rest);
    let mut placed = vec![false; members.len()];
    let mut order: Vec<(usize, u32)> = Vec::with_capacity(members.len());
    let mut pending: Vec<usize> = roots.into_iter().rev().collect();
    let mut rest = rest.into_iter();
    while let Some(r) = pending.pop().or_else(|| rest.find(|&m| !placed[m])) {
        if placed[r] {
            continue;
        }
        // iterative pre-order from r
        let mut stack: Vec<(usize, u32)> = vec![(r, 0)];
        while let Some((m, depth)) = stack.pop() {
            if placed[m] {
                continue;
            }
            placed[m] = true;
            order.push((m, depth));
            for &k in children[m].iter().rev() {
                if !placed[k] {
                    stack.push((k, depth + 1));
                }
            }
        }
    }
    // descendants: the rows after a row until one at its depth or above
    let mut rows: Vec<TreeRow> = Vec::with_capacity(order.len());
    let mut open: Vec<usize> = vec![];
    for (m, depth) in order {
        while open.last().is_some_and(|&i| rows[i].depth >= depth) {
            let i = open.pop().expect("an open row");
            rows[i].descendants = (rows.len() - i - 1) as u32;
        }
        let mut row = std::mem::replace(
            &mut base[m],
            TreeRow {
                id: NodeId::Entity(0),
                depth: 0,
                parent: None,
                image: String::new(),
                path: String::new(),
                pid: String::new(),
                user: None,
                command_line: String::new(),
                time: None,
                host: None,
                guid: None,
                alerts: 0,
                descendants: 0,
                focus: false,
            },
        );
        row.depth = depth;
        open.push(rows.len());
        rows.push(row);
    }
    while let Some(i) = open.pop() {
        rows[i].descendants = (rows.len() - i - 1) as u32;
    }
    Ok(ProcessTree {
        scope: node,
        scope_kind: kind,
        scope_label: label,
        alerted: alerts.len() as u32,
        rows,
        truncated,
    })
}

/// Rows of (integer, text, text) of `sql` with one parameter.
pub(crate) fn id_text_text(
    c: &rusqlite::Connection,
    sql: &str,
    param: &str,
) -> ApiResult<Vec<(i64, String, String)>> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map([param], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
