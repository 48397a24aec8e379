//! Identity of Windows processes and accounts (split from `identity.rs`).
//!
//! Processes: a Sysmon `ProcessGuid` on its host is the strong key; without one, host + process
//! id + creation time (to the second). Keys registered besides the primary one let the same
//! process seen by Sysmon 1 and Security 4688 become one entity (host, pid or image and command
//! line, creation time within a second) and let 4688's parent be found as "the latest creation
//! of this pid on this host before the child" (`process|host=…|pidc=…|t=…`, see
//! [`creation_prefix`]).
//!
//! Accounts: well-known principals (SYSTEM, LOCAL SERVICE, NETWORK SERVICE, other non-domain
//! SIDs), machine accounts (`HOST$`) and accounts of the machine's own domain (NTDomain = the
//! host's name) are scoped to their host; domain accounts are identified by SID across hosts.

use crate::identity::{key, normalize_pid, truncate, Identity, Strength};
use crate::model::EntityRecord;

/// `{B34B…}` and `b34b…` are the same guid.
pub fn normalize_guid(g: &str) -> String {
    g.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_lowercase()
}

/// The creation time of a process record, normalised.
fn created(rec: &EntityRecord) -> Option<String> {
    rec.get("CreationTimeUtc")
        .or_else(|| rec.get("CreationTime"))
        .and_then(|t| crate::time::normalize(&t))
}

/// `2020-09-22T06:16:07.859Z` shifted by `d` seconds, to the second.
fn second(t: &str, d: i64) -> Option<String> {
    let t = crate::time::parse(t)? + chrono::Duration::seconds(d);
    Some(t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// File name of a Windows or POSIX path.
pub fn base_name(p: &str) -> &str {
    let p = p.trim().trim_matches('"');
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

/// The image a process record names: `Image`, else the first word of its command line.
fn image(rec: &EntityRecord) -> Option<String> {
    rec.get("Image").or_else(|| {
        let c = rec.get("CommandLine")?;
        let c = c.trim();
        let first = if let Some(rest) = c.strip_prefix('"') {
            rest.split('"').next().unwrap_or(rest)
        } else {
            c.split_whitespace().next().unwrap_or(c)
        };
        (!first.is_empty()).then(|| first.to_string())
    })
}

/// `mimikatz.exe (8088)`.
pub fn process_label(rec: &EntityRecord) -> String {
    let pid = rec.get("ProcessId").map(|p| normalize_pid(&p));
    let name = image(rec).map(|i| truncate(base_name(&i), 60));
    match (name, pid) {
        (Some(n), Some(p)) => format!("{n} ({p})"),
        (Some(n), None) => n,
        (None, Some(p)) => format!("pid {p}"),
        _ => "process".into(),
    }
}

/// Prefix of the creation-index keys of process `pid` on host `host_key`; the keys continue
/// with the normalised creation time, so text order is time order.
pub fn creation_prefix(host_key: &str, pid: &str) -> String {
    format!(
        "{}|t=",
        key(
            "process",
            &[("host", host_key.to_string()), ("pidc", normalize_pid(pid))]
        )
    )
}

fn img_cmd(rec: &EntityRecord) -> Option<String> {
    let i = rec.get("Image")?.to_lowercase();
    let c = rec.get("CommandLine").unwrap_or_default();
    Some(format!("{i}|cmd={c}"))
}

pub(crate) fn process_identity(
    rec: &EntityRecord,
    host_key: Option<&str>,
    record_scope: &str,
) -> Identity {
    let label = process_label(rec);
    let host = host_key.unwrap_or("").to_string();
    let guid = rec.get("ProcessGuid").map(|g| normalize_guid(&g));
    let pid = rec.get("ProcessId").map(|p| normalize_pid(&p));
    let created = created(rec);
    let strong = |k: String| Identity {
        key: k,
        strength: Strength::Strong,
        label: label.clone(),
        alias: None,
        also: vec![],
    };
    match (guid, pid, created) {
        (Some(g), _, _) if host_key.is_some() => {
            strong(key("process", &[("host", host), ("guid", g)]))
        }
        (None, Some(p), Some(c)) if host_key.is_some() => match second(&c, 0) {
            Some(s) => strong(key("process", &[("host", host), ("pid", p), ("sec", s)])),
            None => strong(key(
                "process",
                &[("host", host), ("pid", p), ("created", c)],
            )),
        },
        (_, Some(p), c) => Identity {
            key: format!(
                "~{}",
                key(
                    "process",
                    &[
                        ("host", host),
                        ("pid", p),
                        ("created", c.unwrap_or_default()),
                        (
                            "cmd",
                            rec.get("CommandLine")
                                .or_else(|| rec.get("Image"))
                                .unwrap_or_default()
                        ),
                    ]
                )
            ),
            strength: Strength::Weak,
            label,
            alias: None,
            also: vec![],
        },
        _ => Identity {
            key: format!("!process|{record_scope}"),
            strength: Strength::None,
            label,
            alias: None,
            also: vec![],
        },
    }
}

/// Every key a strongly identified process is known by (see the module comment).
pub(crate) fn process_keys(rec: &EntityRecord, host_key: Option<&str>) -> Vec<String> {
    let mut out = vec![];
    let Some(h) = host_key else { return out };
    let guid = rec.get("ProcessGuid").map(|g| normalize_guid(&g));
    let pid = rec.get("ProcessId").map(|p| normalize_pid(&p));
    let Some(c) = created(rec) else {
        if let Some(g) = guid {
            out.push(key("process", &[("host", h.to_string()), ("guid", g)]));
        }
        return out;
    };
    let hk = || ("host", h.to_string());
    if let Some(g) = &guid {
        out.push(key("process", &[hk(), ("guid", g.clone())]));
    }
    if let Some(p) = &pid {
        out.push(format!("{}{c}", creation_prefix(h, p)));
    }
    // Sysmon's record (it has a guid) is reachable from a 4688 of the same process within a
    // second either side; the 4688 registers its own second only, so the tolerance is
    // the same whichever arrives first
    let shifts: &[i64] = if guid.is_some() { &[0, -1, 1] } else { &[0] };
    for d in shifts {
        let Some(s) = second(&c, *d) else { continue };
        if let Some(p) = &pid {
            out.push(key(
                "process",
                &[hk(), ("pid", p.clone()), ("sec", s.clone())],
            ));
        }
        if let Some(ic) = img_cmd(rec) {
            out.push(key("process", &[hk(), ("imgsec", ic), ("sec", s)]));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// accounts

/// Domains whose accounts exist on every machine separately.
const LOCAL_DOMAINS: &[&str] = &[
    "nt authority",
    "nt service",
    "window manager",
    "font driver host",
    "iis apppool",
    "nt virtual machine",
];

/// The SID of a well-known `NT AUTHORITY` account named without one.
fn well_known_sid(name: &str) -> Option<&'static str> {
    match name {
        "system" | "local system" => Some("s-1-5-18"),
        "local service" => Some("s-1-5-19"),
        "network service" => Some("s-1-5-20"),
        _ => None,
    }
}

/// The machine name inside a host identity key (`host|name=ws5|dnsdomain=…`).
fn host_name_of(host_key: &str) -> Option<&str> {
    let rest = host_key
        .trim_start_matches('~')
        .strip_prefix("host|name=")?;
    Some(rest.split('|').next().unwrap_or(rest))
}

/// Whether an account is only unique on its host, and its SID (lower-case) if any.
fn account_scope(rec: &EntityRecord, host_key: Option<&str>) -> (bool, Option<String>) {
    let name = rec
        .get("Name")
        .or_else(|| rec.get("AccountName"))
        .map(|n| n.to_lowercase());
    let nt = rec.get("NTDomain").map(|d| d.to_lowercase());
    let mut sid = rec.get("Sid").map(|s| s.to_lowercase());
    let local_domain = nt.as_deref().is_some_and(|d| {
        LOCAL_DOMAINS.contains(&d) || host_key.and_then(host_name_of).is_some_and(|h| h == d)
    });
    if sid.is_none() && nt.as_deref() == Some("nt authority") {
        sid = name.as_deref().and_then(well_known_sid).map(String::from);
    }
    let scoped = sid.as_deref().is_some_and(|s| !s.starts_with("s-1-5-21-"))
        || name.as_deref().is_some_and(|n| n.ends_with('$'))
        || local_domain;
    (scoped, sid)
}

/// Keys of an account, strongest first: (strong keys, weak key).
pub(crate) fn account_keys(
    rec: &EntityRecord,
    host_key: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let lc = |k: &str| rec.get(k).map(|v| v.to_lowercase());
    let name = lc("Name").or_else(|| lc("AccountName"));
    let (scoped, sid) = account_scope(rec, host_key);
    let mut out = vec![];
    if let Some(a) = lc("AadUserId").or_else(|| lc("AADUserId")) {
        out.push(key("account", &[("aaduserid", a)]));
    }
    if let Some(s) = sid.filter(|s| s != "s-1-0-0") {
        out.push(key("account", &[("sid", s)]));
    }
    // a well-known principal is its SID alone: the name it goes by (SYSTEM and NETWORK
    // SERVICE both act as `HOST$`) would make two principals one
    let well_known = out.last().is_some_and(|k| {
        k.starts_with("account|sid=s-1-5-") && !k.starts_with("account|sid=s-1-5-21-")
    });
    if well_known {
        let h = host_key.unwrap_or("");
        for k in &mut out {
            k.push_str("|host=");
            k.push_str(h);
        }
        return (out, None);
    }
    if let (Some(n), Some(u)) = (&name, lc("UPNSuffix")) {
        out.push(key("account", &[("name", n.clone()), ("upnsuffix", u)]));
    }
    // a well-known account named with its SID is not also known by its name (SYSTEM's
    // `NT AUTHORITY\SYSTEM` key is its SID key)
    if let (Some(n), Some(d)) = (&name, lc("NTDomain")) {
        if !(d == "nt authority" && well_known_sid(n).is_some()) {
            out.push(key("account", &[("name", n.clone()), ("ntdomain", d)]));
        }
    }
    if let Some(o) = lc("ObjectGuid") {
        out.push(key("account", &[("objectguid", o)]));
    }
    let mut weak = name.map(|n| key("account", &[("name", n)]));
    let h = host_key.unwrap_or("").to_string();
    if scoped {
        for k in &mut out {
            k.push_str("|host=");
            k.push_str(&h);
        }
    }
    if scoped || host_key.is_some() {
        if let Some(w) = &mut weak {
            if host_key.is_some() {
                w.push_str("|host=");
                w.push_str(&h);
            }
        }
    }
    (out, weak)
}

/// Whether the account's "possibly the same as" alias should be drawn: never for well-known
/// principals and machine accounts (SYSTEM on two hosts is not "possibly the same").
pub(crate) fn account_has_alias(rec: &EntityRecord, host_key: Option<&str>) -> bool {
    let (scoped, sid) = account_scope(rec, host_key);
    let machine = rec
        .get("Name")
        .or_else(|| rec.get("AccountName"))
        .is_some_and(|n| n.ends_with('$'));
    let well_known = sid.is_some_and(|s| s.starts_with("s-1-5-") && !s.starts_with("s-1-5-21-"));
    !(machine || scoped && well_known)
}

// ---------------------------------------------------------------------------------------------
// logon sessions

/// `0x3E7`, `0x3e7` and `999` are the same logon id.
pub fn normalize_logon_id(id: &str) -> String {
    let t = id.trim();
    let n = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse::<u64>().ok(),
    };
    n.map(|n| format!("0x{n:x}"))
        .unwrap_or_else(|| t.to_ascii_lowercase())
}

/// `pgustavo logon 0x6fe79fa (type 3)`.
pub fn session_label(rec: &EntityRecord) -> String {
    let id = rec
        .get("LogonId")
        .map(|i| normalize_logon_id(&i))
        .unwrap_or_default();
    let mut s = match rec.get("AccountName") {
        Some(u) => format!("{u} logon {id}"),
        None => format!("logon {id}"),
    };
    if let Some(t) = rec.get("LogonType") {
        s.push_str(&format!(" (type {t})"));
    }
    s
}

/// A Windows logon session: host + LogonId. `None` when the record has no LogonId (other
/// logon-session records keep Sentinel's SessionId identity).
pub(crate) fn session_identity(rec: &EntityRecord, host_key: Option<&str>) -> Option<Identity> {
    let id = normalize_logon_id(&rec.get("LogonId")?);
    let k = key(
        "host-logon-session",
        &[
            ("host", host_key.unwrap_or("").to_string()),
            ("logonid", id),
        ],
    );
    let strong = host_key.is_some();
    Some(Identity {
        key: if strong { k } else { format!("~{k}") },
        strength: if strong {
            Strength::Strong
        } else {
            Strength::Weak
        },
        label: session_label(rec),
        alias: None,
        also: vec![],
    })
}
