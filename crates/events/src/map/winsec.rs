//! Windows Security (and TerminalServices) records: logon sessions, process creation with its
//! parent and accounts, WFP connections, share access, RDP.

use super::{account, file, host, ip, props, Mapped, View};
use crate::map::sysmon::pid_text;
use cb_domain::identity_win::{base_name, normalize_logon_id};
use cb_domain::EntityRecord;
use serde_json::Map;

/// An address a host can own: an IP that is not loopback or unspecified.
pub(crate) fn is_own_address(a: &str) -> bool {
    match a
        .trim()
        .trim_start_matches("::ffff:")
        .parse::<std::net::IpAddr>()
    {
        Ok(ip) => !ip.is_loopback() && !ip.is_unspecified(),
        Err(_) => false,
    }
}

/// The logon session `logon_id` on the record's host (`None` for the null session `0x0`).
pub(crate) fn session(m: &mut Mapped, logon_id: &str, hostname: &str) -> Option<usize> {
    session_with(m, logon_id, hostname, &[])
}

fn session_with(
    m: &mut Mapped,
    logon_id: &str,
    hostname: &str,
    extra: &[(&str, Option<String>)],
) -> Option<usize> {
    let id = normalize_logon_id(logon_id);
    if id == "0x0" || id.is_empty() {
        return None;
    }
    let mut e = EntityRecord::new("host-logon-session").with("LogonId", id);
    if !hostname.is_empty() {
        e = e.with("host", hostname);
    }
    for (k, v) in extra {
        if let Some(v) = v {
            e = e.with(k, v.as_str());
        }
    }
    m.ent(Some(e), true)
}

fn acct(m: &mut Mapped, v: &View, prefix: &str) -> Option<usize> {
    m.ent(
        account(
            v.s(&[&format!("{prefix}UserName")]),
            v.s(&[&format!("{prefix}DomainName")]),
            v.s(&[&format!("{prefix}UserSid")]),
        ),
        true,
    )
}

fn user_text(v: &View, prefix: &str) -> String {
    let n = v.s(&[&format!("{prefix}UserName")]).unwrap_or_default();
    match v.s(&[&format!("{prefix}DomainName")]) {
        Some(d) if !n.is_empty() => format!("{d}\\{n}"),
        _ => n,
    }
}

/// The machine name of a host name (`WS5.corp.local` → `ws5`).
fn netbios(hostname: &str) -> String {
    hostname
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches('$')
        .to_ascii_lowercase()
}

/// A process named by host + pid only (4688's creator, 4689, 5156): the latest creation of
/// that pid on the host before `time` if the case knows one, else a placeholder.
fn pid_process(
    m: &mut Mapped,
    pid: Option<String>,
    image: Option<String>,
    time: Option<String>,
    hostname: &str,
) -> Option<usize> {
    let pid = pid_text(&pid?);
    let mut e = EntityRecord::new("process").with("ProcessId", pid.as_str());
    if let Some(i) = image {
        e = e.with("Image", i);
    }
    if !hostname.is_empty() {
        e = e.with("host", hostname);
    }
    let i = m.ent(Some(e), true)?;
    if let Some(t) = time {
        m.ents[i].lookup = Some((pid, t));
    }
    Some(i)
}

/// The process a record names by `ProcessId` and `ProcessName`.
fn named_process(m: &mut Mapped, v: &View, time: Option<String>, hostname: &str) -> Option<usize> {
    pid_process(
        m,
        v.s(&["ProcessId"]),
        v.s(&["ProcessName"]),
        time,
        hostname,
    )
}

/// The subject account and its logon session on the host.
fn subject_session(
    m: &mut Mapped,
    v: &View,
    h: Option<usize>,
    hostname: &str,
) -> (Option<usize>, Option<usize>) {
    let subj = acct(m, v, "Subject");
    let s = v
        .s(&["SubjectLogonId"])
        .and_then(|l| session(m, &l, hostname));
    m.rel(s, h, "on_host", Map::new());
    m.rel(s, subj, "logon_of", Map::new());
    (subj, s)
}

/// Map a Security / TerminalServices record; returns the summary ("" for the generic one).
pub(super) fn map(m: &mut Mapped, v: &View, e: &str, h: Option<usize>, hostname: &str) -> String {
    let time = m.event.time.clone();
    match e {
        "4624" | "4625" | "4634" | "4647" | "4672" => logon(m, v, e, h, hostname),
        "4648" => {
            let subj = acct(m, v, "Subject");
            let tgt = acct(m, v, "Target");
            let s = v
                .s(&["SubjectLogonId"])
                .and_then(|l| session(m, &l, hostname));
            m.rel(s, h, "on_host", Map::new());
            m.rel(s, subj, "logon_of", Map::new());
            m.rel(s, tgt, "explicit_credentials", Map::new());
            let server = v.s(&["TargetServerName"]);
            // a server named by this host's own name is this host
            let srv = match server.as_deref() {
                Some(n) if netbios(n) == netbios(hostname) => h,
                Some(n) => m.ent(host(n), false),
                None => None,
            };
            m.rel(tgt, srv, "explicit_logon_to", Map::new());
            let p = named_process(m, v, time, hostname);
            m.rel(p, tgt, "used_credentials", Map::new());
            format!(
                "{} used the credentials of {} on {hostname} for {}{}",
                user_text(v, "Subject"),
                user_text(v, "Target"),
                server.unwrap_or_default(),
                v.s(&["ProcessName"])
                    .map(|p| format!(" ({})", base_name(&p)))
                    .unwrap_or_default()
            )
        }
        "4688" => process_created(m, v, h, hostname, time),
        "4689" => {
            let p = named_process(m, v, time, hostname);
            m.rel(p, h, "Host", Map::new());
            format!(
                "{} ({}) exited on {hostname}",
                v.s(&["ProcessName"])
                    .map(|p| base_name(&p).to_string())
                    .unwrap_or_default(),
                v.s(&["ProcessId"])
                    .map(|p| pid_text(&p))
                    .unwrap_or_default()
            )
        }
        "5156" | "5157" | "5158" => wfp(m, v, e, h, hostname, time),
        "5140" | "5145" => {
            let (subj, s) = subject_session(m, v, h, hostname);
            let src = v.s(&["IpAddress"]).filter(|a| is_own_address(a));
            let si = m.ent(ip(src.clone()), false);
            m.rel(s, si, "from_ip", Map::new());
            let share = v.s(&["ShareName"]).unwrap_or_default();
            let share = share.replace("\\\\*\\", &format!("\\\\{hostname}\\"));
            let path = match v.s(&["RelativeTargetName"]) {
                Some(r) => format!("{share}\\{r}"),
                None => share.clone(),
            };
            let f = m.ent(file(Some(path.clone())), false);
            m.rel(s.or(subj), f, "accessed_share", Map::new());
            format!(
                "{} accessed {path} on {hostname}{}",
                user_text(v, "Subject"),
                src.map(|s| format!(" from {s}")).unwrap_or_default()
            )
        }
        "1149" | "21" | "22" | "24" | "25" => rdp(m, v, e, h, hostname),
        _ => String::new(),
    }
}

fn logon(m: &mut Mapped, v: &View, e: &str, h: Option<usize>, hostname: &str) -> String {
    let prefix = if e == "4672" { "Subject" } else { "Target" };
    let a = acct(m, v, prefix);
    let lt = v.s(&["LogonType"]);
    let pkg = v.s(&["AuthenticationPackageName"]);
    let src = v.s(&["IpAddress"]).filter(|a| is_own_address(a));
    let ws = v.s(&["WorkstationName"]);
    let who = user_text(v, prefix);
    let si = m.ent(ip(src.clone()), false);
    if e == "4625" {
        m.rel(
            a,
            h,
            "failed_logon",
            props(&[("logon_type", lt.clone()), ("source_ip", src.clone())]),
        );
        m.rel(si, h, "failed_logon", props(&[("logon_type", lt.clone())]));
        return format!(
            "{who} failed to log on to {hostname}{} ({}){}",
            src.map(|s| format!(" from {s}")).unwrap_or_default(),
            [lt.map(|t| format!("type {t}")), pkg]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            v.s(&["FailureReason", "Status"])
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    let lid = v.s(&[&format!("{prefix}LogonId")]);
    let s = lid.as_deref().and_then(|l| {
        let extra: Vec<(&str, Option<String>)> = if e == "4624" {
            vec![
                ("AccountName", v.s(&[&format!("{prefix}UserName")])),
                ("LogonType", lt.clone()),
                ("AuthenticationPackage", pkg.clone()),
                ("SourceIp", src.clone()),
                ("Workstation", ws.clone()),
            ]
        } else {
            vec![("AccountName", v.s(&[&format!("{prefix}UserName")]))]
        };
        session_with(m, l, hostname, &extra)
    });
    m.rel(s, h, "on_host", Map::new());
    m.rel(s, a, "logon_of", Map::new());
    m.rel(s, si, "from_ip", Map::new());
    if e == "4624" {
        // the host's own address: a logon from itself (its own name or machine account)
        let me = netbios(hostname);
        let own = ws.as_deref().is_some_and(|w| netbios(w) == me)
            || v.s(&["TargetUserName"])
                .is_some_and(|u| u.to_ascii_lowercase() == format!("{me}$"));
        if own && !me.is_empty() {
            m.rel(h, si, "has_ip", Map::new());
        }
    }
    let id = lid.map(|l| normalize_logon_id(&l)).unwrap_or_default();
    match e {
        "4624" => format!(
            "{who} logged on to {hostname}{} ({})",
            src.or(ws).map(|s| format!(" from {s}")).unwrap_or_default(),
            [lt.map(|t| format!("type {t}")), pkg]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "4672" => format!("{who} got special privileges on {hostname} (logon {id})"),
        "4647" => format!("{who} logged off {hostname} (logon {id}, user initiated)"),
        _ => format!(
            "{who} logged off {hostname} (logon {id}{})",
            lt.map(|t| format!(", type {t}")).unwrap_or_default()
        ),
    }
}

/// 4688: the new process runs as the target user when the record names one (Windows 10+),
/// else as its creator; its creator is the latest creation of `ProcessId` on the host.
fn process_created(
    m: &mut Mapped,
    v: &View,
    h: Option<usize>,
    hostname: &str,
    time: Option<String>,
) -> String {
    let cmd = v.s(&["CommandLine", "ProcessCommandLine"]);
    let image = v.s(&["NewProcessName"]);
    let pid = v.s(&["NewProcessId"]).map(|p| pid_text(&p));
    let mut pe = EntityRecord::new("process");
    for (k, val) in [
        ("ProcessId", pid.clone()),
        ("Image", image.clone()),
        ("CommandLine", cmd.clone()),
        ("CreationTime", time.clone()),
    ] {
        if let Some(x) = val {
            pe = pe.with(k, x);
        }
    }
    if !hostname.is_empty() {
        pe = pe.with("host", hostname);
    }
    let p = m.ent(Some(pe), true);
    let parent = pid_process(
        m,
        v.s(&["ProcessId"]),
        v.s(&["ParentProcessName"]),
        time,
        hostname,
    );
    let f = m.ent(file(image.clone()), false);
    let subj = acct(m, v, "Subject");
    let has_target = v.s(&["TargetUserName"]).is_some()
        || v.s(&["TargetUserSid"]).is_some_and(|s| s != "S-1-0-0");
    let runs = if has_target {
        acct(m, v, "Target")
    } else {
        subj
    };
    m.rel(p, parent, "ParentProcess", Map::new());
    m.rel(p, f, "ImageFile", Map::new());
    m.rel(p, runs, "ran_as", Map::new());
    m.rel(p, subj, "created_by", Map::new());
    m.rel(parent, subj, "ran_as", Map::new());
    m.rel(p, h, "Host", Map::new());
    m.rel(parent, h, "Host", Map::new());
    let subj_s = v
        .s(&["SubjectLogonId"])
        .and_then(|l| session(m, &l, hostname));
    let own_s = match v
        .s(&["TargetLogonId"])
        .filter(|l| normalize_logon_id(l) != "0x0")
    {
        Some(l) => session(m, &l, hostname),
        None => subj_s,
    };
    m.rel(p, own_s, "in_session", Map::new());
    m.rel(parent, subj_s, "in_session", Map::new());
    m.rel(own_s, h, "on_host", Map::new());
    m.rel(subj_s, h, "on_host", Map::new());
    let name = |p: &Option<String>| {
        p.as_deref()
            .map(|p| base_name(p).to_string())
            .unwrap_or_default()
    };
    format!(
        "{} ({}) started {} ({}) on {hostname} as {}: {}",
        name(&v.s(&["ParentProcessName"])),
        v.s(&["ProcessId"])
            .map(|p| pid_text(&p))
            .unwrap_or_default(),
        name(&image),
        pid.unwrap_or_default(),
        if has_target {
            user_text(v, "Target")
        } else {
            user_text(v, "Subject")
        },
        cmd.or(image).unwrap_or_default()
    )
}

/// Windows Filtering Platform: 5156 allowed, 5157 blocked connection, 5158 bind.
fn wfp(
    m: &mut Mapped,
    v: &View,
    e: &str,
    h: Option<usize>,
    hostname: &str,
    time: Option<String>,
) -> String {
    let app = v.s(&["Application"]);
    let p = pid_process(
        m,
        v.s(&["ProcessID", "ProcessId"]),
        app.clone(),
        time,
        hostname,
    );
    m.rel(p, h, "Host", Map::new());
    let who = format!(
        "{} ({})",
        app.as_deref().map(base_name).unwrap_or_default(),
        v.s(&["ProcessID", "ProcessId"]).unwrap_or_default()
    );
    let (src, dst) = (v.s(&["SourceAddress"]), v.s(&["DestAddress"]));
    let si = m.ent(ip(src.clone()), false);
    let di = m.ent(ip(dst.clone()), false);
    let inbound = v
        .s(&["Direction"])
        .is_some_and(|d| d.contains("14592") || d.eq_ignore_ascii_case("inbound"));
    let port = v.s(&["DestPort"]);
    let proto = v.s(&["Protocol"]);
    if e == "5158" {
        if src.as_deref().is_some_and(is_own_address) {
            m.rel(h, si, "has_ip", Map::new());
        }
        return format!(
            "{who} bound {}:{} on {hostname}",
            src.unwrap_or_default(),
            v.s(&["SourcePort"]).unwrap_or_default()
        );
    }
    // only an outbound connection says for sure which address is the host's own
    let remote = if inbound { si } else { di };
    if !inbound && src.as_deref().is_some_and(is_own_address) {
        m.rel(h, si, "has_ip", Map::new());
    }
    let kind = if inbound {
        "accepted_from"
    } else {
        "connected_to"
    };
    m.rel(
        p,
        remote,
        kind,
        props(&[("port", port.clone()), ("protocol", proto)]),
    );
    m.rel(si, di, "connected_to", props(&[("port", port.clone())]));
    format!(
        "{who} {}{} {}:{} → {}:{}",
        if inbound { "accepted" } else { "connected" },
        if e == "5157" { " (blocked)" } else { "" },
        src.unwrap_or_default(),
        v.s(&["SourcePort"]).unwrap_or_default(),
        dst.unwrap_or_default(),
        port.unwrap_or_default()
    )
}

/// TerminalServices: 1149 (RemoteConnectionManager: user authenticated from an address),
/// 21/22/24/25 (LocalSessionManager: session logon, shell start, disconnect, reconnect).
fn rdp(m: &mut Mapped, v: &View, e: &str, h: Option<usize>, hostname: &str) -> String {
    let channel = m.event.channel.clone();
    if !channel.contains("TerminalServices") {
        return String::new();
    }
    let (user, domain, addr) = if e == "1149" {
        (v.s(&["Param1"]), v.s(&["Param2"]), v.s(&["Param3"]))
    } else {
        (v.s(&["User"]), None, v.s(&["Address"]))
    };
    let a = m.ent(account(user.clone(), domain, None), true);
    let addr = addr.filter(|a| is_own_address(a));
    let si = m.ent(ip(addr.clone()), false);
    m.rel(a, h, "rdp_logon", props(&[("source_ip", addr.clone())]));
    m.rel(si, h, "rdp_to", Map::new());
    let what = match e {
        "1149" => "authenticated over RDP to",
        "21" => "logged on over RDP to",
        "22" => "got a shell over RDP on",
        "24" => "disconnected RDP from",
        _ => "reconnected RDP to",
    };
    format!(
        "{} {what} {hostname}{}",
        user.unwrap_or_else(|| "a user".into()),
        addr.map(|a| format!(" from {a}")).unwrap_or_default()
    )
}
