//! Sysmon records (any carrier: OTRF flattened, Winlogbeat, EVTX). Every process a record names
//! by guid (`ProcessGuid`, `ParentProcessGuid`, `SourceProcessGuid`, `TargetProcessGuid`) is
//! one entity per host and guid, whatever else the record knows of it; a process named before
//! its own creation record is the same entity, filled in when that record comes.

use super::{dns, file, ip, props, registry, sysmon_hashes, Mapped, View};
use crate::map::winacct;
use cb_domain::EntityRecord;
use serde_json::Map;

/// Field names of one process a Sysmon record names.
struct Role {
    guid: &'static [&'static str],
    pid: &'static str,
    image: &'static str,
    cmd: Option<&'static str>,
}

const SELF: Role = Role {
    guid: &["ProcessGuid", "ProcessGUID"],
    pid: "ProcessId",
    image: "Image",
    cmd: None,
};
const PARENT: Role = Role {
    guid: &["ParentProcessGuid", "ParentProcessGUID"],
    pid: "ParentProcessId",
    image: "ParentImage",
    cmd: Some("ParentCommandLine"),
};
const SOURCE: Role = Role {
    guid: &["SourceProcessGuid", "SourceProcessGUID"],
    pid: "SourceProcessId",
    image: "SourceImage",
    cmd: None,
};
const TARGET: Role = Role {
    guid: &["TargetProcessGuid", "TargetProcessGUID"],
    pid: "TargetProcessId",
    image: "TargetImage",
    cmd: None,
};

/// The process entity for `role`, with the identifiers an analyst reads in its props.
fn process(
    m: &mut Mapped,
    v: &View,
    role: &Role,
    cmd: Option<String>,
    created: Option<String>,
    hostname: &str,
) -> Option<usize> {
    // the all-zero guid names no process
    let guid = v
        .s(role.guid)
        .filter(|g| g.chars().any(|c| c.is_ascii_hexdigit() && c != '0'));
    let pid = v.s(&[role.pid]).map(|p| pid_text(&p));
    let image = v.s(&[role.image]);
    if guid.is_none() && pid.is_none() {
        return None;
    }
    let mut e = EntityRecord::new("process");
    let pairs = [
        ("ProcessGuid", guid),
        ("ProcessId", pid),
        ("Image", image),
        (
            "CommandLine",
            cmd.or_else(|| role.cmd.and_then(|c| v.s(&[c]))),
        ),
        (
            "CreationTime",
            created.and_then(|t| cb_domain::time::normalize(&t)),
        ),
    ];
    for (k, val) in pairs {
        if let Some(x) = val {
            e = e.with(k, x);
        }
    }
    if !hostname.is_empty() {
        e = e.with("host", hostname);
    }
    m.ent(Some(e), true)
}

/// Decimal process id (`0x1f98` → `8088`).
pub(crate) fn pid_text(p: &str) -> String {
    let t = p.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| t.to_string()),
        None => t.to_string(),
    }
}

fn base(p: &Option<String>) -> String {
    p.as_deref()
        .map(|p| cb_domain::identity_win::base_name(p).to_string())
        .unwrap_or_default()
}

/// `svchost.exe (908)`.
fn who(v: &View, role: &Role) -> String {
    let img = base(&v.s(&[role.image]));
    match v.s(&[role.pid]) {
        Some(p) if !img.is_empty() => format!("{img} ({})", pid_text(&p)),
        Some(p) => format!("pid {}", pid_text(&p)),
        None if img.is_empty() => "a process".into(),
        None => img,
    }
}

/// Map a Sysmon record; returns the summary ("" for the generic one).
pub(super) fn map(m: &mut Mapped, v: &View, e: &str, h: Option<usize>, hostname: &str) -> String {
    let user = v.s(&["User"]);
    let p = if e == "1" {
        process(
            m,
            v,
            &SELF,
            v.s(&["CommandLine"]),
            v.s(&["UtcTime"]),
            hostname,
        )
    } else {
        process(m, v, &SELF, None, None, hostname)
    };
    let image = v.s(&["Image"]);
    let me = who(v, &SELF);
    m.rel(p, h, "Host", Map::new());
    let acct = m.ent(winacct::from_user(user.clone(), None), true);
    m.rel(p, acct, "ran_as", Map::new());
    let summary = match e {
        "1" => {
            let parent = process(m, v, &PARENT, None, None, hostname);
            m.rel(p, parent, "ParentProcess", Map::new());
            m.rel(parent, h, "Host", Map::new());
            let pu = m.ent(winacct::from_user(v.s(&["ParentUser"]), None), true);
            m.rel(parent, pu, "ran_as", Map::new());
            let f = m.ent(file(image.clone()), false);
            sysmon_hashes(m, v.s(&["Hashes"]), f);
            m.rel(p, f, "ImageFile", Map::new());
            if let Some(l) = v.s(&["LogonId"]) {
                let s = super::winsec::session(m, &l, hostname);
                m.rel(p, s, "in_session", Map::new());
                m.rel(s, h, "on_host", Map::new());
            }
            format!(
                "{} started {me} on {hostname} as {}: {}",
                who(v, &PARENT),
                user.unwrap_or_default(),
                v.s(&["CommandLine"]).or(image).unwrap_or_default()
            )
        }
        "2" => {
            let t = v.s(&["TargetFilename"]);
            let f = m.ent(file(t.clone()), false);
            m.rel(p, f, "changed_file_time", Map::new());
            format!(
                "{me} changed the creation time of {}",
                t.unwrap_or_default()
            )
        }
        "3" => network(m, v, p, h, &me),
        "5" => format!("{me} exited on {hostname}"),
        "6" => {
            let t = v.s(&["ImageLoaded"]);
            let f = m.ent(file(t.clone()), false);
            m.rel(h, f, "loaded_driver", Map::new());
            format!("driver {} loaded on {hostname}", t.unwrap_or_default())
        }
        "7" => {
            let t = v.s(&["ImageLoaded"]);
            let f = m.ent(file(t.clone()), false);
            m.rel(p, f, "loaded_image", Map::new());
            format!("{me} loaded {}", t.unwrap_or_default())
        }
        "8" | "10" => {
            let s = process(m, v, &SOURCE, None, None, hostname);
            let t = process(m, v, &TARGET, None, None, hostname);
            m.rel(s, h, "Host", Map::new());
            m.rel(t, h, "Host", Map::new());
            let sa = m.ent(winacct::from_user(v.s(&["SourceUser"]), None), true);
            m.rel(s, sa, "ran_as", Map::new());
            if e == "8" {
                m.rel(s, t, "created_thread", Map::new());
                format!(
                    "{} created a thread in {}",
                    who(v, &SOURCE),
                    who(v, &TARGET)
                )
            } else {
                let access = v.s(&["GrantedAccess"]);
                m.rel(s, t, "opened_process", props(&[("access", access.clone())]));
                format!(
                    "{} opened {}{}",
                    who(v, &SOURCE),
                    who(v, &TARGET),
                    access.map(|a| format!(" ({a})")).unwrap_or_default()
                )
            }
        }
        "9" => format!(
            "{me} read {} directly",
            v.s(&["Device"]).unwrap_or_default()
        ),
        "11" | "15" | "23" | "26" | "29" => {
            let t = v.s(&["TargetFilename"]);
            let f = m.ent(file(t.clone()), false);
            let (kind, verb) = match e {
                "11" => ("created_file", "created"),
                "15" => ("created_file", "created a stream of"),
                "29" => ("created_file", "created executable"),
                _ => ("deleted_file", "deleted"),
            };
            m.rel(p.or(h), f, kind, Map::new());
            if e == "15" || e == "29" {
                sysmon_hashes(m, v.s(&["Hashes", "Hash"]), f);
            }
            format!("{me} {verb} {}", t.unwrap_or_default())
        }
        "12" | "13" | "14" => {
            let target = v.s(&["TargetObject"]);
            let k = m.ent(registry(target.clone()), false);
            let et = v.s(&["EventType"]);
            m.rel(
                p.or(h),
                k,
                "set_registry",
                props(&[("event_type", et.clone()), ("details", v.s(&["Details"]))]),
            );
            let verb = match et.as_deref() {
                Some("CreateKey") => "created key",
                Some("DeleteKey") | Some("DeleteValue") => "deleted",
                Some("RenameKey") => "renamed",
                _ => "set",
            };
            format!(
                "{me} {verb} {}{}",
                target.unwrap_or_default(),
                v.s(&["Details"])
                    .map(|d| format!(" = {}", super::trunc(&d, 80)))
                    .unwrap_or_default()
            )
        }
        "17" | "18" => {
            let pipe = v.s(&["PipeName"]);
            let pe = m.ent(
                pipe.clone()
                    .map(|n| EntityRecord::new("pipe").with("Name", n)),
                false,
            );
            let (kind, verb) = if e == "17" {
                ("created_pipe", "created pipe")
            } else {
                ("connected_pipe", "connected to pipe")
            };
            m.rel(p, pe, kind, Map::new());
            format!("{me} {verb} {}", pipe.unwrap_or_default())
        }
        "22" => {
            let q = v.s(&["QueryName"]);
            let d = m.ent(dns(q.clone()), false);
            m.rel(
                p.or(h),
                d,
                "dns_query",
                props(&[("status", v.s(&["QueryStatus"]))]),
            );
            let answers = v.s(&["QueryResults"]).unwrap_or_default();
            for a in answers.split(';') {
                let a = a.trim();
                if a.is_empty() || a.starts_with("type:") {
                    continue;
                }
                let ai = m.ent(ip(Some(a.to_string())), false);
                m.rel(d, ai, "resolved_to", Map::new());
            }
            format!(
                "{me} looked up {}{}",
                q.unwrap_or_default(),
                if answers.is_empty() {
                    String::new()
                } else {
                    format!(" → {}", super::trunc(&answers, 80))
                }
            )
        }
        "25" => format!(
            "{me} process tampering: {}",
            v.s(&["Type"]).unwrap_or_default()
        ),
        _ => String::new(),
    };
    summary
}

/// Sysmon 3: process → destination IP:port (one relation per process, peer and port, with a
/// count and first/last time); the local address belongs to the host; an inbound connection
/// (`Initiated` false) also links the process to the remote address it accepted.
fn network(m: &mut Mapped, v: &View, p: Option<usize>, h: Option<usize>, me: &str) -> String {
    let src = v.s(&["SourceIp"]);
    let dst = v.s(&["DestinationIp"]);
    let si = m.ent(ip(src.clone()), false);
    let di = m.ent(ip(dst.clone()), false);
    let inbound = v
        .s(&["Initiated"])
        .is_some_and(|i| i.eq_ignore_ascii_case("false"));
    let port = v.s(&["DestinationPort"]);
    let proto = v.s(&["Protocol"]);
    m.ent(dns(v.s(&["DestinationHostname"])), false);
    m.rel(
        p.or(h),
        di,
        "connected_to",
        props(&[("port", port.clone()), ("protocol", proto.clone())]),
    );
    m.rel(
        si,
        di,
        "connected_to",
        props(&[("port", port.clone()), ("protocol", proto.clone())]),
    );
    // the host owns the source of a connection it initiated; for accepted ones Sysmon's
    // source and destination vary (UDP services log themselves as the source), so the
    // remote end is the one on the ephemeral (higher) port and nothing is learned
    if !inbound && src.as_deref().is_some_and(super::winsec::is_own_address) {
        m.rel(h, si, "has_ip", Map::new());
    }
    if inbound {
        let sp = v.s(&["SourcePort"]).and_then(|p| p.parse::<u32>().ok());
        let dp = port.as_deref().and_then(|p| p.parse::<u32>().ok());
        let remote = if sp >= dp { si } else { di };
        m.rel(p, remote, "accepted_from", props(&[("port", port.clone())]));
    }
    format!(
        "{me} {} {}:{} → {}:{}{}",
        if inbound { "accepted" } else { "connected" },
        src.unwrap_or_default(),
        v.s(&["SourcePort"]).unwrap_or_default(),
        dst.unwrap_or_default(),
        port.unwrap_or_default(),
        proto.map(|p| format!(" ({p})")).unwrap_or_default()
    )
}
