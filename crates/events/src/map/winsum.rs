//! Summaries of frequent Windows records that add no entity of their own (object handles,
//! privileges, credential reads, WFP, PowerShell): what happened, in words.

use super::{trunc, View};
use cb_domain::identity_win::base_name;

fn subj(v: &View) -> String {
    let n = v.s(&["SubjectUserName"]).unwrap_or_default();
    match v.s(&["SubjectDomainName"]) {
        Some(d) if !n.is_empty() => format!("{d}\\{n}"),
        _ => n,
    }
}

fn by(v: &View) -> String {
    v.s(&["ProcessName", "Application"])
        .map(|p| format!(" ({})", base_name(&p)))
        .unwrap_or_default()
}

fn object(v: &View) -> String {
    format!(
        "{} {}",
        v.s(&["ObjectType"]).unwrap_or_default(),
        v.s(&["ObjectName"]).unwrap_or_default()
    )
    .trim()
    .to_string()
}

/// The summary of a Security / PowerShell record of these families; `None` for others.
pub(super) fn summary(v: &View, e: &str, hostname: &str) -> Option<String> {
    Some(match e {
        "4656" => format!("{} requested a handle to {}{}", subj(v), object(v), by(v)),
        "4658" => format!("{} closed a handle{}", subj(v), by(v)),
        "4660" => format!("{} deleted an object{}", subj(v), by(v)),
        "4663" => format!("{} accessed {}{}", subj(v), object(v), by(v)),
        "4690" => format!("{} duplicated a handle{}", subj(v), by(v)),
        "4673" | "4674" => format!(
            "{} used privilege {}{}",
            subj(v),
            v.s(&["PrivilegeList"])
                .map(|p| trunc(&p, 60))
                .unwrap_or_default(),
            by(v)
        ),
        "4703" => format!(
            "{} adjusted the token rights of {} on {hostname}{}",
            subj(v),
            v.s(&["TargetUserName"]).unwrap_or_default(),
            by(v)
        ),
        "4627" => format!(
            "{} logon {}: group membership",
            v.s(&["TargetUserName"]).unwrap_or_default(),
            v.s(&["TargetLogonId"]).unwrap_or_default()
        ),
        "5379" => format!(
            "{} read credential {} from Credential Manager",
            subj(v),
            v.s(&["TargetName"]).unwrap_or_default()
        ),
        "5447" => format!(
            "firewall filter changed on {hostname}: {}",
            v.s(&["FilterName"]).unwrap_or_default()
        ),
        "5154" | "5155" => format!(
            "{}{} {} {}:{}",
            v.s(&["Application"])
                .map(|a| base_name(&a).to_string())
                .unwrap_or_default(),
            v.s(&["ProcessId", "ProcessID"])
                .map(|p| format!(" ({p})"))
                .unwrap_or_default(),
            if e == "5154" {
                "listens on"
            } else {
                "was blocked listening on"
            },
            v.s(&["SourceAddress"]).unwrap_or_default(),
            v.s(&["SourcePort"]).unwrap_or_default()
        ),
        "4104" => format!(
            "PowerShell script block on {hostname}: {}",
            trunc(&v.s(&["ScriptBlockText"]).unwrap_or_default(), 160)
        ),
        "4105" | "4106" => format!(
            "PowerShell script block {} {} on {hostname}",
            v.s(&["ScriptBlockId"]).unwrap_or_default(),
            if e == "4105" { "started" } else { "completed" }
        ),
        "4103" | "800" => format!(
            "PowerShell pipeline on {hostname}: {}",
            trunc(
                &v.s(&["Payload", "CommandLine", "ContextInfo", "Message"])
                    .unwrap_or_default(),
                160
            )
        ),
        _ => return None,
    })
}
