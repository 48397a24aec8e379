//! Entity identity, following Microsoft Sentinel's strong and weak identifiers.
//!
//! Two records with the same **strong** key are one entity. A record with only weak
//! identifiers (a bare host or user name) gets a weak key (prefixed `~`): it only ever merges
//! with records carrying exactly the same weak identifiers, never with a strongly identified
//! entity — the store links the two with a `possibly_same_as` relation instead.
//! A record with no identifier at all is unique to the record that carried it.

use crate::model::EntityRecord;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    Strong,
    Weak,
    /// No identifier: the entity is unique to its record.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `kind|field=value|…`, lower-cased where the identifier is case-insensitive.
    pub key: String,
    pub strength: Strength,
    /// The name an analyst reads.
    pub label: String,
    /// For weak or strong entities: a `kind|name=…` key shared by everything that *might* be
    /// the same thing (used to draw "possibly the same as").
    pub alias: Option<String>,
    /// Other strong keys of the same record (a host with both an AzureID and an OMSAgentID):
    /// a later record sharing any of them is the same entity.
    #[serde(default)]
    pub also: Vec<String>,
}

/// Identity of `rec`. `host_key` is the identity key of the host the record refers to (its
/// `Host` reference), when it has one: processes and local accounts are only unique on a host.
/// `record_scope` makes identifier-less records unique (e.g. `source 3 record 17 #2`).
pub fn identify(rec: &EntityRecord, host_key: Option<&str>, record_scope: &str) -> Identity {
    let mut id = identify_primary(rec, host_key, record_scope);
    if id.strength == Strength::Strong {
        id.also = strong_keys(rec, host_key)
            .into_iter()
            .filter(|k| *k != id.key)
            .collect();
    }
    id
}

/// Every strong key a host or account record carries, in priority order.
fn strong_keys(rec: &EntityRecord, host_key: Option<&str>) -> Vec<String> {
    let lc = |k: &str| rec.get(k).map(|v| v.to_lowercase());
    let kind = rec.kind.as_str();
    let mut out = Vec::new();
    match kind {
        "host" => {
            let name = lc("HostName").or_else(|| lc("NetBiosName"));
            if let Some(a) = lc("AzureID") {
                out.push(key(kind, &[("azureid", a)]));
            }
            if let Some(a) = lc("OMSAgentID") {
                out.push(key(kind, &[("omsagentid", a)]));
            }
            if let (Some(n), Some(d)) = (&name, lc("DnsDomain")) {
                out.push(key(kind, &[("name", n.clone()), ("dnsdomain", d)]));
            }
            if let (Some(n), Some(d)) = (&name, lc("NTDomain")) {
                out.push(key(kind, &[("name", n.clone()), ("ntdomain", d)]));
            }
        }
        "account" => out = crate::identity_win::account_keys(rec, host_key).0,
        "process" => out = crate::identity_win::process_keys(rec, host_key),
        _ => {}
    }
    out
}

fn identify_primary(rec: &EntityRecord, host_key: Option<&str>, record_scope: &str) -> Identity {
    let g = |k: &str| rec.get(k);
    let lc = |k: &str| rec.get(k).map(|v| v.to_lowercase());
    let kind = rec.kind.as_str();
    let strong = |parts: &[(&str, String)], label: String, alias: Option<String>| Identity {
        key: key(kind, parts),
        strength: crate::Strength::Strong,
        label,
        alias,
        also: vec![],
    };
    let weak = |parts: &[(&str, String)], label: String, alias: Option<String>| Identity {
        key: format!("~{}", key(kind, parts)),
        strength: crate::Strength::Weak,
        label,
        alias,
        also: vec![],
    };
    match kind {
        "host" => {
            let name = lc("HostName")
                .or_else(|| lc("NetBiosName"))
                .or_else(|| lc("FQDN").map(|f| first_label(&f)));
            let dns = lc("DnsDomain")
                .or_else(|| lc("FQDN").and_then(|f| f.split_once('.').map(|(_, d)| d.to_string())));
            let shown = g("HostName")
                .or_else(|| g("NetBiosName"))
                .or_else(|| g("FQDN").map(|f| first_label(&f)));
            let label = match (&shown, &dns) {
                (Some(n), Some(d)) => format!("{n}.{d}"),
                (Some(n), None) => n.clone(),
                _ => g("AzureID")
                    .map(|a| last_segment(&a))
                    .unwrap_or_else(|| "host".into()),
            };
            let alias = name.as_ref().map(|n| key(kind, &[("name", n.clone())]));
            if let Some(a) = lc("AzureID") {
                strong(&[("azureid", a)], label, alias)
            } else if let Some(a) = lc("OMSAgentID") {
                strong(&[("omsagentid", a)], label, alias)
            } else if let (Some(n), Some(d)) = (&name, &dns) {
                strong(
                    &[("name", n.clone()), ("dnsdomain", d.clone())],
                    label,
                    alias,
                )
            } else if let (Some(n), Some(d)) = (&name, lc("NTDomain")) {
                strong(&[("name", n.clone()), ("ntdomain", d)], label, alias)
            } else if let Some(n) = name {
                weak(&[("name", n)], label, alias)
            } else {
                unique(kind, record_scope, label)
            }
        }
        "account" => {
            let name = lc("Name").or_else(|| lc("AccountName"));
            let upn = lc("UPNSuffix");
            let nt = lc("NTDomain");
            let label = match (&name, &upn, &nt) {
                (Some(n), Some(u), _) => format!("{n}@{u}"),
                (Some(n), None, Some(d)) => format!("{d}\\{n}"),
                (Some(n), _, _) => n.clone(),
                _ => g("DisplayName")
                    .or_else(|| g("AadUserId"))
                    .or_else(|| g("Sid"))
                    .unwrap_or_else(|| "account".into()),
            };
            let alias = name
                .as_ref()
                .filter(|_| crate::identity_win::account_has_alias(rec, host_key))
                .map(|n| key(kind, &[("name", n.clone())]));
            let (strong_keys, weak_key) = crate::identity_win::account_keys(rec, host_key);
            if let Some(k) = strong_keys.into_iter().next() {
                Identity {
                    key: k,
                    strength: Strength::Strong,
                    label,
                    alias,
                    also: vec![],
                }
            } else if let Some(w) = weak_key {
                Identity {
                    key: format!("~{w}"),
                    strength: Strength::Weak,
                    label,
                    alias,
                    also: vec![],
                }
            } else {
                unique(kind, record_scope, label)
            }
        }
        "ip" => match lc("Address") {
            Some(a) => strong(&[("address", a.clone())], a, None),
            None => unique(kind, record_scope, "ip".into()),
        },
        "process" => crate::identity_win::process_identity(rec, host_key, record_scope),
        "file" => {
            let name = g("Name").or_else(|| g("FileName"));
            let dir = g("Directory").or_else(|| g("FilePath").and_then(|p| dir_of(&p)));
            let label = name.clone().unwrap_or_else(|| "file".into());
            let alias = name
                .as_ref()
                .map(|n| key(kind, &[("name", n.to_lowercase())]));
            match (name, dir) {
                (Some(n), Some(d)) => strong(
                    &[("dir", normalize_dir(&d)), ("name", n.to_lowercase())],
                    label,
                    alias,
                ),
                (Some(n), None) => weak(&[("name", n.to_lowercase())], label, alias),
                _ => unique(kind, record_scope, label),
            }
        }
        "filehash" => match (lc("Algorithm"), lc("Value")) {
            (Some(a), Some(v)) => strong(
                &[("algorithm", a.clone()), ("value", v.clone())],
                format!("{a}:{}", truncate(&v, 16)),
                None,
            ),
            _ => unique(kind, record_scope, "hash".into()),
        },
        "url" => match g("Url") {
            Some(u) => strong(&[("url", u.clone())], truncate(&u, 80), None),
            None => unique(kind, record_scope, "url".into()),
        },
        "azure-resource" => match lc("ResourceId") {
            Some(r) => strong(&[("resourceid", r.clone())], last_segment(&r), None),
            None => unique(kind, record_scope, "resource".into()),
        },
        "registry-key" => match (lc("Hive"), lc("Key")) {
            (Some(h), Some(k)) => strong(
                &[("hive", h.clone()), ("key", k.clone())],
                format!("{h}\\{k}"),
                None,
            ),
            _ => unique(kind, record_scope, "registry key".into()),
        },
        "dns" => match lc("DomainName") {
            Some(d) => strong(&[("domain", d.clone())], d, None),
            None => unique(kind, record_scope, "dns".into()),
        },
        "mailbox" => match lc("MailboxPrimaryAddress").or_else(|| lc("Upn")) {
            Some(m) => strong(&[("address", m.clone())], m, None),
            None => unique(kind, record_scope, "mailbox".into()),
        },
        "cloud-application" => match lc("AppId").or_else(|| lc("Name")) {
            Some(a) => strong(
                &[("app", a)],
                g("Name").unwrap_or_else(|| g("AppId").unwrap_or_default()),
                None,
            ),
            None => unique(kind, record_scope, "cloud app".into()),
        },
        "host-logon-session" if rec.get("LogonId").is_some() => {
            crate::identity_win::session_identity(rec, host_key)
                .unwrap_or_else(|| unique(kind, record_scope, "logon session".into()))
        }
        "host-logon-session" => match (
            lc("SessionId"),
            g("StartTimeUtc").and_then(|t| crate::time::normalize(&t)),
        ) {
            (Some(s), Some(t)) => strong(
                &[
                    ("host", host_key.unwrap_or("").to_string()),
                    ("session", s.clone()),
                    ("start", t),
                ],
                format!("session {s}"),
                None,
            ),
            (Some(s), None) => weak(
                &[
                    ("host", host_key.unwrap_or("").to_string()),
                    ("session", s.clone()),
                ],
                format!("session {s}"),
                None,
            ),
            _ => unique(kind, record_scope, "logon session".into()),
        },
        _ => {
            // Any other type: its identifying-looking scalar fields, sorted, as a weak key.
            let mut parts: Vec<(&str, String)> = Vec::new();
            for k in [
                "Id",
                "Name",
                "DisplayName",
                "Value",
                "Address",
                "Url",
                "ObjectGuid",
                "DistinguishedName",
                "NetworkMessageId",
                "DeviceId",
                "Category",
            ] {
                if let Some(v) = rec.get(k) {
                    parts.push((k, v.to_lowercase()));
                }
            }
            let label = ["DisplayName", "Name", "Value", "Id"]
                .iter()
                .find_map(|k| rec.get(k))
                .unwrap_or_else(|| kind.to_string());
            if parts.is_empty() {
                unique(kind, record_scope, label)
            } else {
                weak(&parts, truncate(&label, 80), None)
            }
        }
    }
}

pub(crate) fn key(kind: &str, parts: &[(&str, String)]) -> String {
    let mut k = kind.to_string();
    for (f, v) in parts {
        k.push('|');
        k.push_str(f);
        k.push('=');
        k.push_str(v);
    }
    k
}

fn unique(kind: &str, scope: &str, label: String) -> Identity {
    Identity {
        key: format!("!{kind}|{scope}"),
        strength: Strength::None,
        label,
        alias: None,
        also: vec![],
    }
}

fn first_label(fqdn: &str) -> String {
    fqdn.split('.').next().unwrap_or(fqdn).to_string()
}

fn last_segment(s: &str) -> String {
    s.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(s)
        .to_string()
}

fn dir_of(path: &str) -> Option<String> {
    let i = path.rfind(['\\', '/'])?;
    Some(path[..i].to_string())
}

/// Windows paths are case-insensitive; POSIX ones are not, but exports mix both
/// freely, so directories compare case-insensitively with one separator style.
fn normalize_dir(d: &str) -> String {
    d.trim_end_matches(['\\', '/'])
        .replace('/', "\\")
        .to_lowercase()
}

/// `0x1558` and `5464` are the same process id.
pub(crate) fn normalize_pid(p: &str) -> String {
    let p = p.trim();
    let parsed = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => p.parse::<u64>().ok(),
    };
    parsed
        .map(|n| n.to_string())
        .unwrap_or_else(|| p.to_string())
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(rec: EntityRecord, host: Option<&str>) -> Identity {
        identify(&rec, host, "s1r1#0")
    }

    #[test]
    fn hosts_strong_and_weak() {
        let a = id(
            EntityRecord::new("host")
                .with("HostName", "MSTICAlertsWin1")
                .with("AzureID", "/subscriptions/X/vms/MSTICAlertsWin1"),
            None,
        );
        assert_eq!(a.strength, Strength::Strong);
        assert_eq!(a.key, "host|azureid=/subscriptions/x/vms/msticalertswin1");
        let b = id(
            EntityRecord::new("host")
                .with("HostName", "web01")
                .with("DnsDomain", "contoso.com"),
            None,
        );
        assert_eq!(b.key, "host|name=web01|dnsdomain=contoso.com");
        assert_eq!(b.label, "web01.contoso.com");
        // a bare host name, empty domains: weak, and case-insensitive
        let c = id(
            EntityRecord::new("host")
                .with("HostName", "MSTICALERTSLXVM2")
                .with("DnsDomain", "")
                .with("NTDomain", ""),
            None,
        );
        let d = id(
            EntityRecord::new("host").with("HostName", "MSTICAlertsLxVM2"),
            None,
        );
        assert_eq!(c.strength, Strength::Weak);
        assert_eq!(c.key, d.key);
    }

    #[test]
    fn a_host_is_known_by_every_strong_identifier() {
        let full = id(
            EntityRecord::new("host")
                .with("HostName", "Win1")
                .with("AzureID", "/subs/x/vm/Win1")
                .with("OMSAgentID", "263A"),
            None,
        );
        assert_eq!(full.key, "host|azureid=/subs/x/vm/win1");
        assert_eq!(full.also, vec!["host|omsagentid=263a".to_string()]);
        let by_agent = id(
            EntityRecord::new("host")
                .with("HostName", "MSTICAlertsWin1")
                .with("OMSAgentID", "263a"),
            None,
        );
        assert_eq!(by_agent.key, "host|omsagentid=263a");
    }

    #[test]
    fn accounts() {
        let bare = id(EntityRecord::new("account").with("Name", "dbadmin"), None);
        assert_eq!(bare.strength, Strength::Weak);
        let posix = id(
            EntityRecord::new("account")
                .with("Name", "dbadmin")
                .with("Sid", "1001:1001"),
            Some("~host|name=lx"),
        );
        assert_eq!(posix.strength, Strength::Strong);
        assert_ne!(posix.key, bare.key);
        assert_eq!(posix.alias.as_deref(), Some("account|name=dbadmin"));
        let nt = id(
            EntityRecord::new("account")
                .with("Name", "ian")
                .with("NTDomain", "msticalertswin1"),
            None,
        );
        assert_eq!(nt.key, "account|name=ian|ntdomain=msticalertswin1");
        assert_eq!(nt.label, "msticalertswin1\\ian");
        // SYSTEM's SID does not identify an account across hosts
        let sys = id(
            EntityRecord::new("account")
                .with("Name", "SYSTEM")
                .with("Sid", "S-1-5-18")
                .with("NTDomain", "NT AUTHORITY"),
            None,
        );
        assert_eq!(sys.key, "account|sid=s-1-5-18|host=");
        // … it is one account per host, the same whether named by SID or by name
        let on = |h: &str, rec: EntityRecord| identify(&rec, Some(h), "s").key;
        let by_name = EntityRecord::new("account")
            .with("Name", "SYSTEM")
            .with("NTDomain", "NT AUTHORITY");
        let by_sid = EntityRecord::new("account")
            .with("Name", "WS5$")
            .with("Sid", "S-1-5-18");
        assert_eq!(on("host|a", by_name.clone()), on("host|a", by_sid));
        assert_ne!(on("host|a", by_name.clone()), on("host|b", by_name));
        assert!(sys.alias.is_none());
        // a domain account is one account across hosts
        let dom = EntityRecord::new("account")
            .with("Name", "pgustavo")
            .with("Sid", "S-1-5-21-1-2-3-1104");
        assert_eq!(on("host|a", dom.clone()), on("host|b", dom));
        // the machine's own local accounts are scoped to it
        let local = EntityRecord::new("account")
            .with("Name", "Administrator")
            .with("NTDomain", "WS5");
        assert_ne!(
            on("host|name=ws5|dnsdomain=corp", local.clone()),
            on("host|name=ws6|dnsdomain=corp", local)
        );
    }

    #[test]
    fn processes_files_hashes() {
        let p = id(
            EntityRecord::new("process")
                .with("ProcessId", "0x4e55")
                .with("CreationTimeUtc", "2019-02-16T03:23:54.29Z"),
            Some("host|x"),
        );
        assert_eq!(
            p.key,
            "process|host=host|x|pid=20053|sec=2019-02-16T03:23:54"
        );
        let parent = id(
            EntityRecord::new("process").with("ProcessId", "0x4e4f"),
            Some("host|x"),
        );
        assert_eq!(parent.strength, Strength::Weak);
        let f1 = id(
            EntityRecord::new("file")
                .with("Directory", "C:\\Windows\\System32\\")
                .with("Name", "CMD.exe"),
            None,
        );
        let f2 = id(
            EntityRecord::new("file")
                .with("Directory", "c:\\windows\\system32")
                .with("Name", "cmd.exe"),
            None,
        );
        assert_eq!(f1.key, f2.key);
        let h = id(
            EntityRecord::new("filehash")
                .with("Algorithm", "SHA256")
                .with("Value", "ABCD"),
            None,
        );
        assert_eq!(h.key, "filehash|algorithm=sha256|value=abcd");
        let nothing = id(EntityRecord::new("process"), None);
        assert_eq!(nothing.strength, Strength::None);
        assert_eq!(nothing.key, "!process|s1r1#0");
    }
}
