//! Trace back on real lateral movement: OTRF `empire_wmic_add_user_backdoor` (Empire on
//! WORKSTATION5 runs `wmic /node:WORKSTATION6 process call create "net user /add …"`).
//!
//! Every expected value is computed here from the raw JSON lines of the dataset (a jq-like
//! walk), never from the mapper: the payload, its parent, the network logon it ran in, the
//! host owning the logon's source address, the process there that connected to the target,
//! and that process's parent.

use crate::common::*;
use cb_domain::NodeId;
use cb_graph::trace_back;
use serde_json::Value;
use std::io::Read;

const DATASET: &str = "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip";

fn raw_records() -> Vec<Value> {
    let f = std::fs::File::open(root().join(DATASET)).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    assert_eq!(z.len(), 1, "one member expected");
    let mut s = String::new();
    z.by_index(0).unwrap().read_to_string(&mut s).unwrap();
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn eid(v: &Value) -> i64 {
    match v.get("EventID") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(x)) => x.parse().unwrap_or(-1),
        _ => -1,
    }
}

fn base(p: &str) -> String {
    p.rsplit('\\').next().unwrap_or(p).to_ascii_lowercase()
}

/// The process entity whose ProcessGuid is `guid` (exactly one).
fn process_by_guid(store: &cb_store::SqliteStore, guid: &str) -> NodeId {
    let mut stmt = store
        .conn()
        .prepare("SELECT id FROM entities WHERE kind = 'process' AND lower(json_extract(props, '$.ProcessGuid')) = lower(?1)")
        .unwrap();
    let ids: Vec<i64> = stmt
        .query_map([guid], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one process entity for {guid}: {ids:?}");
    NodeId::Entity(ids[0])
}

#[test]
fn trace_crosses_from_the_remote_payload_to_the_process_that_made_the_call() {
    let raw = raw_records();
    // the network logons (4624 type 3) from another machine, by (host, TargetLogonId)
    let logons: Vec<&Value> = raw
        .iter()
        .filter(|r| eid(r) == 4624)
        .filter(|r| {
            r.get("LogonType")
                .map(|t| t.to_string().trim_matches('"') == "3")
                == Some(true)
        })
        .filter(|r| {
            let ip = s(r, "IpAddress");
            !ip.is_empty()
                && ip != "-"
                && ip != "::1"
                && !ip.starts_with("fe80")
                && !ip.starts_with("127.")
        })
        .collect();
    // the payload: a Sysmon 1 process started by WmiPrvSE.exe whose LogonId is such a logon
    let payload = raw
        .iter()
        .filter(|r| eid(r) == 1 && s(r, "Channel").contains("Sysmon"))
        .find(|r| {
            base(s(r, "ParentImage")) == "wmiprvse.exe"
                && logons.iter().any(|l| {
                    s(l, "Hostname") == s(r, "Hostname")
                        && s(l, "TargetLogonId").eq_ignore_ascii_case(s(r, "LogonId"))
                })
        })
        .expect("a WMI-started process in a network logon");
    let target_host = s(payload, "Hostname");
    let logon = logons
        .iter()
        .find(|l| {
            s(l, "Hostname") == target_host
                && s(l, "TargetLogonId").eq_ignore_ascii_case(s(payload, "LogonId"))
        })
        .unwrap();
    let src_ip = s(logon, "IpAddress");
    // the source host: the one whose own Sysmon 3 records use src_ip as their source address
    let src_host = raw
        .iter()
        .filter(|r| eid(r) == 3 && s(r, "SourceIp") == src_ip && s(r, "Hostname") != target_host)
        .map(|r| s(r, "Hostname"))
        .next()
        .expect("the source host");
    // the target's own address, and the non-service process on the source host that connected
    // to it
    let target_ip = raw
        .iter()
        .filter(|r| eid(r) == 3 && s(r, "Hostname") == target_host)
        .map(|r| s(r, "DestinationIp"))
        .find(|ip| *ip != src_ip && !ip.contains(':') && !ip.is_empty())
        .unwrap_or("");
    let caller = raw
        .iter()
        .filter(|r| {
            eid(r) == 3
                && s(r, "Hostname") == src_host
                && s(r, "DestinationIp") == target_ip
                && !matches!(base(s(r, "Image")).as_str(), "svchost.exe" | "lsass.exe")
        })
        .map(|r| s(r, "ProcessGuid"))
        .next()
        .expect("the process that made the remote call");
    let caller_rec = raw
        .iter()
        .find(|r| eid(r) == 1 && s(r, "ProcessGuid").eq_ignore_ascii_case(caller))
        .expect("the caller's own creation record");
    let caller_parent = s(caller_rec, "ParentProcessGuid");

    let mut store = store();
    cb_api::import_file(&mut store, &root().join(DATASET), &mut |_| true).unwrap();
    let start = process_by_guid(&store, s(payload, "ProcessGuid"));
    let t = trace_back(&store, start, 64).unwrap();
    let text: Vec<String> = t.steps.iter().map(|s| s.text.clone()).collect();
    let dump = text.join("\n");

    let guid_at = |i: usize| {
        t.steps[i]
            .node
            .props
            .get("ProcessGuid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let pos = |pred: &dyn Fn(usize) -> bool| (0..t.steps.len()).find(|&i| pred(i));
    // the same process, by guid, or by pid + image on its host (a process known from Security
    // 4688/5156 records only carries those)
    let is_proc = |i: usize, guid: &str, pid: &str, image: &str| {
        let n = &t.steps[i].node;
        n.kind == "process"
            && (guid_at(i) == guid.to_ascii_lowercase()
                || (n.label == format!("{} ({pid})", image.rsplit('\\').next().unwrap())
                    && n.props
                        .get("host")
                        .and_then(Value::as_str)
                        .is_some_and(|h| h.eq_ignore_ascii_case(src_host))))
    };
    // 1. the payload's parent is WmiPrvSE, read from the payload's Sysmon 1 record
    let parent = pos(&|i| {
        t.steps[i]
            .edge
            .as_ref()
            .is_some_and(|e| e.kind == "ParentProcess")
            && guid_at(i) == s(payload, "ParentProcessGuid").to_ascii_lowercase()
    })
    .unwrap_or_else(|| panic!("parent step missing:\n{dump}"));
    // 2. the network logon session, then its address, then the host owning it
    let sess = pos(&|i| t.steps[i].node.kind == "host-logon-session")
        .unwrap_or_else(|| panic!("session step missing:\n{dump}"));
    let host = pos(&|i| {
        t.steps[i].node.kind == "host"
            && t.steps[i]
                .node
                .label
                .to_ascii_lowercase()
                .starts_with(&src_host.split('.').next().unwrap().to_ascii_lowercase())
    })
    .unwrap_or_else(|| panic!("source host {src_host} missing:\n{dump}"));
    // 3. the caller on the source host (inferred, and said so), then its parent
    let call = pos(&|i| {
        is_proc(
            i,
            caller,
            s(caller_rec, "ProcessId"),
            s(caller_rec, "Image"),
        )
    })
    .unwrap_or_else(|| panic!("caller {caller} missing:\n{dump}"));
    assert!(t.steps[call].inferred, "{dump}");
    assert!(t.steps[call].confidence.is_some());
    let up = pos(&|i| {
        is_proc(
            i,
            caller_parent,
            s(caller_rec, "ParentProcessId"),
            s(caller_rec, "ParentImage"),
        )
    })
    .unwrap_or_else(|| panic!("caller's parent {caller_parent} missing:\n{dump}"));
    assert!(
        parent < sess && sess < host && host < call && call < up,
        "{dump}"
    );
    assert_eq!(t.root.id, t.steps.last().unwrap().node.id);

    // every read step's evidence is a raw record that says what the step says
    for st in &t.steps {
        for ev in &st.evidence {
            assert!(
                ev.source.ends_with("empire_wmic_add_user_backdoor.zip"),
                "{ev:?}"
            );
            let rec = &raw[(ev.record - 1) as usize];
            let kind = st.edge.as_ref().map(|e| e.kind.as_str()).unwrap_or("");
            match kind {
                "ParentProcess" => {
                    let child = &t
                        .steps
                        .iter()
                        .find(|x| Some(x.node.id) == st.edge.as_ref().map(|e| e.from))
                        .unwrap()
                        .node;
                    let cg = child
                        .props
                        .get("ProcessGuid")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let pg = st
                        .node
                        .props
                        .get("ProcessGuid")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !cg.is_empty() && !pg.is_empty() {
                        assert!(s(rec, "ProcessGuid").eq_ignore_ascii_case(cg), "{rec}");
                        assert!(
                            s(rec, "ParentProcessGuid").eq_ignore_ascii_case(pg),
                            "{rec}"
                        );
                    }
                }
                "from_ip" => assert_eq!(s(rec, "IpAddress"), st.node.label, "{rec}"),
                "connected_to" => {
                    // Sysmon 3 or Security 5156 of the caller to the target's address
                    let pid = [s(rec, "ProcessId"), s(rec, "ProcessID")].concat();
                    let dst = [s(rec, "DestinationIp"), s(rec, "DestAddress")].concat();
                    assert!(matches!(eid(rec), 3 | 5156), "{rec}");
                    assert_eq!(pid, s(caller_rec, "ProcessId"), "{rec}");
                    assert_eq!(dst, target_ip, "{rec}");
                }
                _ => {}
            }
        }
    }
    assert!(text[parent].contains("was started by"), "{dump}");
}

#[test]
fn trace_from_an_entity_that_is_not_a_process_is_refused() {
    let mut store = store();
    cb_api::import_file(&mut store, &root().join(DATASET), &mut |_| true).unwrap();
    let host: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM entities WHERE kind = 'host' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let e = trace_back(&store, NodeId::Entity(host), 10).unwrap_err();
    assert!(e.to_string().contains("a trace starts from"), "{e}");
}

/// Forward from the process that made the remote call: the hosts it reached include the
/// target, and the payload that ran there (in the network logon from the caller's host) is
/// among the processes it led to — all read from the raw records.
#[test]
fn forward_from_the_caller_reaches_the_target_host_and_the_payload() {
    let raw = raw_records();
    let wmic = raw
        .iter()
        .find(|r| {
            eid(r) == 1
                && base(s(r, "Image")) == "wmic.exe"
                && s(r, "CommandLine").contains("/node:")
        })
        .expect("wmic /node: in the raw records");
    let node_arg = s(wmic, "CommandLine")
        .split("/node:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_ascii_lowercase();
    let payload = raw
        .iter()
        .find(|r| {
            eid(r) == 1
                && base(s(r, "ParentImage")) == "wmiprvse.exe"
                && s(r, "Hostname").to_ascii_lowercase().starts_with(&node_arg)
        })
        .expect("the remote payload");
    let mut store = store();
    cb_api::import_file(&mut store, &root().join(DATASET), &mut |_| true).unwrap();
    // the caller as the model knows it: the process with the wmic's pid on its host
    let caller: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM entities WHERE kind = 'process' AND label = ?1 AND lower(json_extract(props, '$.host')) = lower(?2) ORDER BY id LIMIT 1",
            [
                format!("WMIC.exe ({})", s(wmic, "ProcessId")),
                s(wmic, "Hostname").to_string(),
            ],
            |r| r.get(0),
        )
        .unwrap();
    let f = cb_graph::trace_forward(&store, NodeId::Entity(caller), 500).unwrap();
    let hosts: Vec<String> = f
        .nodes
        .iter()
        .filter(|n| n.kind == "host")
        .map(|n| n.label.to_ascii_lowercase())
        .collect();
    assert!(hosts.iter().any(|h| h.starts_with(&node_arg)), "{hosts:?}");
    let payload_pid = format!("({})", s(payload, "ProcessId"));
    assert!(
        f.nodes.iter().any(|n| n.kind == "process"
            && n.label.ends_with(&payload_pid)
            && n.props
                .get("host")
                .and_then(Value::as_str)
                .is_some_and(|h| h.to_ascii_lowercase().starts_with(&node_arg))),
        "payload {} not reached: {:?}",
        s(payload, "Image"),
        f.nodes.iter().map(|n| &n.label).collect::<Vec<_>>()
    );
    let total: u64 = f.counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total as usize, f.nodes.len());
}
