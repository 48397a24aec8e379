//! Which events a rule's `logsource` means: the Windows tables of the Sigma taxonomy appendix
//! (`sigma-appendix-taxonomy.md`, categories → Sysmon channel + EventIDs, services → channels),
//! plus process_creation from Security 4688 with its field names mapped, and the non-Windows
//! sources Caseboard imports (by event source).

use serde::{Deserialize, Serialize};

/// A rule's `logsource` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

/// One set of events a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Windows channel (lower case), optionally restricted to EventIDs; `alias` = read
    /// the event through the Security 4688 → Sysmon field names.
    Channel {
        channel: String,
        event_ids: Vec<u32>,
        alias: bool,
    },
    /// Every Windows event (a rule with `product: windows` only).
    AnyWindows,
    /// Events whose `source` (cb-events' log type) is this (lower case).
    Source(String),
}

pub const SYSMON: &str = "microsoft-windows-sysmon/operational";

/// Sysmon categories of the taxonomy: category → EventIDs on the Sysmon channel.
const SYSMON_CATEGORIES: &[(&str, &[u32])] = &[
    ("process_creation", &[1]),
    ("file_change", &[2]),
    ("network_connection", &[3]),
    ("sysmon_status", &[4, 16]),
    ("process_termination", &[5]),
    ("driver_load", &[6]),
    ("image_load", &[7]),
    ("create_remote_thread", &[8]),
    ("raw_access_thread", &[9]),
    ("process_access", &[10]),
    ("file_event", &[11]),
    ("registry_event", &[12, 13, 14]),
    ("registry_add", &[12]),
    ("registry_delete", &[12]),
    ("registry_set", &[13]),
    ("registry_rename", &[14]),
    ("create_stream_hash", &[15]),
    ("pipe_created", &[17, 18]),
    ("wmi_event", &[19, 20, 21]),
    ("dns_query", &[22]),
    ("file_delete", &[23, 26]),
    ("clipboard_capture", &[24]),
    ("process_tampering", &[25]),
    ("file_delete_detected", &[26]),
    ("file_block_executable", &[27]),
    ("file_block_shredding", &[28]),
    ("file_executable_detected", &[29]),
    ("sysmon_error", &[255]),
];

/// PowerShell categories: category → (EventID, channels).
const PS_CATEGORIES: &[(&str, u32, &[&str])] = &[
    ("ps_classic_start", 400, &["windows powershell"]),
    ("ps_classic_provider_start", 600, &["windows powershell"]),
    ("ps_classic_script", 800, &["windows powershell"]),
    (
        "ps_module",
        4103,
        &[
            "microsoft-windows-powershell/operational",
            "powershellcore/operational",
        ],
    ),
    (
        "ps_script",
        4104,
        &[
            "microsoft-windows-powershell/operational",
            "powershellcore/operational",
        ],
    ),
];

/// Windows services of the taxonomy: service → channels.
const SERVICES: &[(&str, &[&str])] = &[
    ("application", &["Application"]),
    (
        "application-experience",
        &[
            "Microsoft-Windows-Application-Experience/Program-Telemetry",
            "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
        ],
    ),
    (
        "applocker",
        &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
    ),
    (
        "appmodel-runtime",
        &["Microsoft-Windows-AppModel-Runtime/Admin"],
    ),
    (
        "appxdeployment-server",
        &["Microsoft-Windows-AppXDeploymentServer/Operational"],
    ),
    (
        "appxpackaging-om",
        &["Microsoft-Windows-AppxPackaging/Operational"],
    ),
    (
        "bitlocker",
        &["Microsoft-Windows-BitLocker/BitLocker Management"],
    ),
    (
        "bits-client",
        &["Microsoft-Windows-Bits-Client/Operational"],
    ),
    ("capi2", &["Microsoft-Windows-CAPI2/Operational"]),
    (
        "certificateservicesclient-lifecycle-system",
        &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    ),
    (
        "codeintegrity-operational",
        &["Microsoft-Windows-CodeIntegrity/Operational"],
    ),
    ("dhcp", &["Microsoft-Windows-DHCP-Server/Operational"]),
    (
        "diagnosis-scripted",
        &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
    ),
    (
        "dns-client",
        &["Microsoft-Windows-DNS Client Events/Operational"],
    ),
    ("dns-server", &["DNS Server"]),
    (
        "dns-server-analytic",
        &["Microsoft-Windows-DNS-Server/Analytical"],
    ),
    ("dns-server-audit", &["Microsoft-Windows-DNS-Server/Audit"]),
    (
        "driver-framework",
        &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
    ),
    (
        "firewall-as",
        &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    ),
    ("hyper-v-worker", &["Microsoft-Windows-Hyper-V-Worker"]),
    (
        "iis-configuration",
        &["Microsoft-IIS-Configuration/Operational"],
    ),
    (
        "kernel-event-tracing",
        &["Microsoft-Windows-Kernel-EventTracing"],
    ),
    (
        "kernel-shimengine",
        &[
            "Microsoft-Windows-Kernel-ShimEngine/Operational",
            "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
        ],
    ),
    ("ldap", &["Microsoft-Windows-LDAP-Client/Debug"]),
    ("lsa-server", &["Microsoft-Windows-LSA/Operational"]),
    ("msexchange-management", &["MSExchange Management"]),
    ("ntfs", &["Microsoft-Windows-Ntfs/Operational"]),
    ("ntlm", &["Microsoft-Windows-NTLM/Operational"]),
    ("openssh", &["OpenSSH/Operational"]),
    ("powershell", &["Microsoft-Windows-PowerShell/Operational"]),
    ("powershell-classic", &["Windows PowerShell"]),
    (
        "printservice-admin",
        &["Microsoft-Windows-PrintService/Admin"],
    ),
    (
        "printservice-operational",
        &["Microsoft-Windows-PrintService/Operational"],
    ),
    ("security", &["Security"]),
    (
        "security-mitigations",
        &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
    ),
    ("sense", &["Microsoft-Windows-SENSE/Operational"]),
    (
        "servicebus-client",
        &[
            "Microsoft-ServiceBus-Client/Operational",
            "Microsoft-ServiceBus-Client/Admin",
        ],
    ),
    (
        "microsoft-servicebus-client",
        &[
            "Microsoft-ServiceBus-Client/Operational",
            "Microsoft-ServiceBus-Client/Admin",
        ],
    ),
    ("shell-core", &["Microsoft-Windows-Shell-Core/Operational"]),
    (
        "smbclient-security",
        &["Microsoft-Windows-SmbClient/Security"],
    ),
    (
        "smbclient-connectivity",
        &["Microsoft-Windows-SmbClient/Connectivity"],
    ),
    (
        "smbserver-connectivity",
        &["Microsoft-Windows-SMBServer/Connectivity"],
    ),
    ("sysmon", &["Microsoft-Windows-Sysmon/Operational"]),
    ("system", &["System"]),
    (
        "taskscheduler",
        &["Microsoft-Windows-TaskScheduler/Operational"],
    ),
    (
        "terminalservices-localsessionmanager",
        &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
    ),
    ("vhdmp", &["Microsoft-Windows-VHDMP/Operational"]),
    (
        "windefend",
        &["Microsoft-Windows-Windows Defender/Operational"],
    ),
    ("wmi", &["Microsoft-Windows-WMI-Activity/Operational"]),
];

/// Security 4688 field → the Sysmon (taxonomy) name a process_creation rule uses.
pub const SECURITY_4688_FIELDS: &[(&str, &str)] = &[
    ("Image", "NewProcessName"),
    ("ParentImage", "ParentProcessName"),
    ("ProcessId", "NewProcessId"),
    ("ParentProcessId", "ProcessId"),
    ("User", "SubjectUserName"),
    ("LogonId", "SubjectLogonId"),
];

/// Non-Windows `product`/`service` → cb-events event source (lower case). `*` = prefix.
const SOURCES: &[(&str, &str, &str)] = &[
    ("aws", "cloudtrail", "awscloudtrail"),
    ("azure", "signinlogs", "signinlogs"),
    ("linux", "auditd", "auditd"),
    ("zeek", "*", "zeek."),
];

/// The events `ls` means, or why none can be read.
pub fn targets(ls: &LogSource) -> Result<Vec<Target>, String> {
    let product = ls.product.as_deref().map(str::to_ascii_lowercase);
    let category = ls.category.as_deref().map(str::to_ascii_lowercase);
    let service = ls.service.as_deref().map(str::to_ascii_lowercase);
    let what = || {
        [&ls.product, &ls.category, &ls.service]
            .iter()
            .filter_map(|s| s.as_deref())
            .collect::<Vec<_>>()
            .join("/")
    };
    if product.as_deref() == Some("windows") {
        let mut out = vec![];
        if let Some(c) = category.as_deref() {
            if let Some((_, ids)) = SYSMON_CATEGORIES.iter().find(|(n, _)| *n == c) {
                out.push(Target::Channel {
                    channel: SYSMON.into(),
                    event_ids: ids.to_vec(),
                    alias: false,
                });
                if c == "process_creation" {
                    out.push(Target::Channel {
                        channel: "security".into(),
                        event_ids: vec![4688],
                        alias: true,
                    });
                }
            } else if let Some((_, id, chans)) = PS_CATEGORIES.iter().find(|(n, _, _)| *n == c) {
                for ch in *chans {
                    out.push(Target::Channel {
                        channel: ch.to_string(),
                        event_ids: vec![*id],
                        alias: false,
                    });
                }
            } else {
                return Err(format!(
                    "logsource {} has no Windows event log mapping in the Sigma taxonomy",
                    what()
                ));
            }
        }
        if let Some(s) = service.as_deref() {
            let chans = SERVICES
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, c)| *c)
                .ok_or_else(|| format!("logsource {}: unknown Windows service", what()))?;
            let svc: Vec<Target> = chans
                .iter()
                .map(|c| Target::Channel {
                    channel: c.to_ascii_lowercase(),
                    event_ids: vec![],
                    alias: false,
                })
                .collect();
            if out.is_empty() {
                out = svc;
            } else {
                // category and service: the category's events on the service's channels
                out.retain(|t| svc.iter().any(|s| same_channel(s, t)));
            }
        }
        if category.is_none() && service.is_none() {
            out.push(Target::AnyWindows);
        }
        return Ok(out);
    }
    if let (Some(p), Some(s)) = (product.as_deref(), service.as_deref()) {
        for (prod, svc, src) in SOURCES {
            if *prod == p && (*svc == s || *svc == "*") {
                let src = if src.ends_with('.') {
                    format!("{src}{s}")
                } else {
                    src.to_string()
                };
                return Ok(vec![Target::Source(src)]);
            }
        }
    }
    Err(format!(
        "logsource {} is not a log Caseboard imports",
        what()
    ))
}

fn same_channel(a: &Target, b: &Target) -> bool {
    matches!((a, b), (Target::Channel { channel: x, .. }, Target::Channel { channel: y, .. }) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(p: &str, c: Option<&str>, s: Option<&str>) -> LogSource {
        LogSource {
            product: Some(p.into()),
            category: c.map(Into::into),
            service: s.map(Into::into),
        }
    }

    #[test]
    fn process_creation_is_sysmon_1_or_security_4688() {
        let t = targets(&ls("windows", Some("process_creation"), None)).unwrap();
        assert_eq!(t.len(), 2);
        assert!(
            matches!(&t[1], Target::Channel { channel, event_ids, alias: true } if channel == "security" && event_ids == &[4688])
        );
    }

    #[test]
    fn services_and_unmapped_sources() {
        let t = targets(&ls("windows", None, Some("system"))).unwrap();
        assert!(
            matches!(&t[0], Target::Channel { channel, event_ids, .. } if channel == "system" && event_ids.is_empty())
        );
        assert!(targets(&ls("windows", Some("file_access"), None)).is_err());
        assert!(targets(&ls("macos", Some("process_creation"), None)).is_err());
        assert_eq!(
            targets(&ls("zeek", None, Some("http"))).unwrap(),
            vec![Target::Source("zeek.http".into())]
        );
    }
}
