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
    let procs_sql = |rel: &str| {
        format!(
            "SELECT DISTINCT r.src FROM relations r WHERE r.dst = ?1 AND r.kind = '{rel}' AND r.src LIKE 'entity:%'"
        )
    };
    let mut members: Vec<i64> = vec![];
    let mut focus = None;
    match kind.as_str() {
        "host" | "host-logon-session" => {
            let rel = if kind == "host" { "Host" } else { "in_session" };
            let mut st = c.prepare(&procs_sql(rel))?;
            let rows = st.query_map([node.to_string()], |r| r.get::<_, String>(0))?;
            for r in rows {
                if let Some(x) = entity_num(&r?) {
                    members.push(x);
                }
            }
        }
        "process" => {
            focus = Some(n);
            // ancestors, then every descendant
            let mut seen = HashSet::from([n]);
            let mut cur = n;
            members.push(n);
            while let Some(p) = parent_of(c, cur)? {
                if !seen.insert(p) {
                    break;
                }
                members.push(p);
                cur = p;
            }
            let mut queue = vec![n];
            let mut st = c.prepare_cached(
                "SELECT src FROM relations WHERE dst = ?1 AND kind = 'ParentProcess'",
            )?;
            while let Some(p) = queue.pop() {
                if members.len() >= MAX_ROWS {
                    break;
                }
                let kids: Vec<String> = st
                    .query_map([NodeId::Entity(p).to_string()], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for k in kids.iter().filter_map(|k| entity_num(k)) {
                    if seen.insert(k) {
                        members.push(k);
                        queue.push(k);
                    }
                }
            }
        }
        other => {
            return Err(ApiError::bad(format!(
                "a process tree is of a host, a logon session or a process; {node} is a {other}"
            )))
        }
    }
    let truncated = members.len() > MAX_ROWS;
    members.truncate(MAX_ROWS);
    // the processes' rows
    let mut procs: HashMap<i64, Proc> = HashMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT label, props FROM entities WHERE id = ?1 AND kind = 'process'",
        )?;
        for &m in &members {
            if procs.contains_key(&m) {
                continue;
            }
            let row: Option<(String, String)> = st
                .query_row([m], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((label, props)) = row {
                let props = match serde_json::from_str::<Value>(&props) {
                    Ok(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                procs.insert(m, Proc { label, props });
            }
        }
    }
    members.retain(|m| procs.contains_key(m));
    members.sort_unstable();
    members.dedup();
    // parent links inside the set, users, alert counts
    let mut parent: HashMap<i64, i64> = HashMap::new();
    let mut users: HashMap<i64, String> = HashMap::new();
    let mut alerts: HashMap<i64, u32> = HashMap::new();
    {
        let mut user_st = c.prepare_cached(
            "SELECT e.label FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
             WHERE r.src = ?1 AND r.kind = 'ran_as' AND r.dst LIKE 'entity:%' ORDER BY r.id LIMIT 1",
        )?;
        let mut alert_st = c.prepare_cached(
            "SELECT count(DISTINCT src) FROM relations WHERE dst = ?1 AND kind = 'involves' AND src LIKE 'alert:%'",
        )?;
        for &m in &members {
            if let Some(p) = parent_of(c, m)? {
                if procs.contains_key(&p) && p != m {
                    parent.insert(m, p);
                }
            }
            let id = NodeId::Entity(m).to_string();
            if let Some(u) = user_st
                .query_row([&id], |r| r.get::<_, String>(0))
                .optional()?
            {
                users.insert(m, u);
            }
            let a: i64 = alert_st.query_row([&id], |r| r.get(0))?;
            if a > 0 {
                alerts.insert(m, a as u32);
            }
        }
    }
    // children by start time, then pid
    let key = |m: &i64| {
        let p = &procs[m].props;
        (
            prop(p, "CreationTime").unwrap_or_default(),
            prop(p, "ProcessId")
                .and_then(|x| x.parse::<u64>().ok())
                .unwrap_or(0),
            *m,
        )
    };
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut roots = vec![];
    for &m in &members {
        match parent.get(&m) {
            Some(&p) => children.entry(p).or_default().push(m),
            None => roots.push(m),
        }
    }
    for v in children.values_mut() {
        v.sort_by_key(key);
    }
    roots.sort_by_key(key);
    // a parent cycle (pid reuse gone wrong) has no root: start from its oldest member
    let mut placed: HashSet<i64> = HashSet::new();
    let mut rows: Vec<TreeRow> = Vec::with_capacity(members.len());
    let mut pending: Vec<i64> = roots.into_iter().rev().collect();
    let mut rest: Vec<i64> = members.clone();
    rest.sort_by_key(key);
    let mut rest = rest.into_iter();
    while let Some(r) = pending.pop().or_else(|| rest.find(|m| !placed.contains(m))) {
        if placed.contains(&r) {
            continue;
        }
        // iterative pre-order from r; `open` holds (row index) to close with descendant counts
        let mut stack: Vec<(i64, u32)> = vec![(r, 0)];
        let mut open: Vec<(usize, u32)> = vec![];
        while let Some((m, depth)) = stack.pop() {
            if !placed.insert(m) {
                continue;
            }
            while open.last().is_some_and(|&(_, d)| d >= depth) {
                let (i, _) = open.pop().unwrap();
                rows[i].descendants = (rows.len() - i - 1) as u32;
            }
            let p = &procs[&m];
            let path = prop(&p.props, "Image").unwrap_or_default();
            let image = if path.is_empty() {
                p.label.split(" (").next().unwrap_or(&p.label).to_string()
            } else {
                base_name(&path).to_string()
            };
            open.push((rows.len(), depth));
            rows.push(TreeRow {
                id: NodeId::Entity(m),
                depth,
                parent: parent.get(&m).map(|&x| NodeId::Entity(x)),
                image,
                path,
                pid: prop(&p.props, "ProcessId").unwrap_or_default(),
                user: users.get(&m).cloned(),
                command_line: prop(&p.props, "CommandLine").unwrap_or_default(),
                time: prop(&p.props, "CreationTime"),
                host: prop(&p.props, "host"),
                guid: prop(&p.props, "ProcessGuid"),
                alerts: alerts.get(&m).copied().unwrap_or(0),
                descendants: 0,
                focus: focus == Some(m),
            });
            if let Some(kids) = children.get(&m) {
                for &k in kids.iter().rev() {
                    if !placed.contains(&k) {
                        stack.push((k, depth + 1));
                    }
                }
            }
        }
        while let Some((i, _)) = open.pop() {
            rows[i].descendants = (rows.len() - i - 1) as u32;
        }
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

/// The process that started `p` (its first `ParentProcess` relation).
fn parent_of(c: &rusqlite::Connection, p: i64) -> ApiResult<Option<i64>> {
    let dst: Option<String> = c
        .prepare_cached(
            "SELECT dst FROM relations WHERE src = ?1 AND kind = 'ParentProcess' ORDER BY id LIMIT 1",
        )?
        .query_row([NodeId::Entity(p).to_string()], |r| r.get(0))
        .optional()?;
    Ok(dst.as_deref().and_then(entity_num))
}
