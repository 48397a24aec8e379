//! Record → event + entities + relations, one function per log family. Entities carry
//! Sentinel property names so `cb_domain::identify` gives them the same identity as alert
//! entities.

use crate::Table;
use cb_domain::{EntityRecord, EventRecord};
use serde_json::{Map, Value};

mod sysmon;
mod winacct;
mod winsec;
mod winsum;

/// Index meaning "the event itself" in a [`Rel`].
pub(crate) const END_EVENT: usize = usize::MAX;

pub(crate) struct Ent {
    pub rec: EntityRecord,
    /// Identity is scoped to the record's host (processes, SID-less local accounts).
    pub on_host: bool,
    /// (pid, time): a process named by pid only; the emitter first asks the sink for the
    /// latest creation of that pid on the host up to that time.
    pub lookup: Option<(String, String)>,
    /// `rec.props` as JSON text (the emitter's cache key), made by [`map`] on the parsing
    /// thread so the writing thread does not serialise it per mention.
    pub props_json: Vec<u8>,
}

pub(crate) struct Rel {
    pub from: usize,
    pub to: usize,
    pub kind: &'static str,
    pub props: Map<String, Value>,
}

pub(crate) struct Mapped {
    pub event: EventRecord,
    pub ents: Vec<Ent>,
    pub host: Option<usize>,
    pub rels: Vec<Rel>,
    /// `event.fields` as JSON text (what the store compresses), made by [`map`] on the
    /// parsing thread.
    pub fields_json: String,
    /// What the sink's preparer made of the event (on the parsing thread, where there is one).
    pub prepared: cb_domain::PreparedEvent,
}

impl Mapped {
    /// Run the sink's preparer (when it has one) on the finished event: what the parsing
    /// threads do after mapping.
    pub(crate) fn prepare(&mut self, prep: &mut Option<cb_domain::EventPreparer>) {
        if let Some(p) = prep {
            self.prepared = p(&self.event, &self.fields_json);
        }
    }

    fn new(source: &str) -> Self {
        Mapped {
            event: EventRecord {
                source: source.to_string(),
                ..Default::default()
            },
            ents: vec![],
            host: None,
            rels: vec![],
            fields_json: String::new(),
            prepared: Default::default(),
        }
    }
    /// Add an entity (deduplicated); `None` when it has no properties.
    fn ent(&mut self, e: Option<EntityRecord>, on_host: bool) -> Option<usize> {
        let e = e?;
        if e.props.is_empty() {
            return None;
        }
        if let Some(i) = self.ents.iter().position(|x| x.rec == e) {
            return Some(i);
        }
        self.ents.push(Ent {
            rec: e,
            on_host,
            lookup: None,
            props_json: vec![],
        });
        Some(self.ents.len() - 1)
    }
    fn set_host(&mut self, name: Option<String>) -> Option<usize> {
        self.set_host_entity(name.as_deref().and_then(host))
    }
    /// The host named by a Log Analytics row (`Computer`…) with the strong identifiers such
    /// rows carry: `SourceComputerId` (the agent id, Sentinel's host `OMSAgentID`) and a VM's
    /// `_ResourceId` (`AzureID`), so the events' host is the alerts' host.
    fn set_la_host(&mut self, name: Option<String>, v: &View) -> Option<usize> {
        let h = name.as_deref().and_then(host).map(|mut e| {
            if let Some(id) = v.s(&["SourceComputerId"]).filter(|s| is_agent_id(s)) {
                e = e.with("OMSAgentID", id);
            }
            if let Some(id) = v.s(&["_ResourceId"]).filter(|s| is_vm_resource(s)) {
                e = e.with("AzureID", id);
            }
            e
        });
        self.set_host_entity(h)
    }
    fn set_host_entity(&mut self, h: Option<EntityRecord>) -> Option<usize> {
        let h = self.ent(h, false);
        if self.host.is_none() {
            self.host = h;
        }
        h
    }
    fn rel(
        &mut self,
        from: Option<usize>,
        to: Option<usize>,
        kind: &'static str,
        props: Map<String, Value>,
    ) {
        if let (Some(from), Some(to)) = (from, to) {
            if from != to {
                self.rels.push(Rel {
                    from,
                    to,
                    kind,
                    props,
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// field access

/// A record seen through several maps (top level, then `event_data`, …).
pub(crate) struct View<'a> {
    maps: Vec<&'a Map<String, Value>>,
}

impl<'a> View<'a> {
    pub fn new(m: &'a Map<String, Value>) -> Self {
        View { maps: vec![m] }
    }
    fn with(mut self, m: Option<&'a Value>) -> Self {
        if let Some(Value::Object(o)) = m {
            self.maps.push(o);
        }
        self
    }
    /// The raw value at a dotted path (`winlog.event_data.User`) or a flat key, in any map.
    fn v(&self, key: &str) -> Option<&'a Value> {
        for m in &self.maps {
            if let Some(v) = m.get(key) {
                return Some(v);
            }
            if key.contains('.') {
                let mut cur: Option<&Value> = None;
                let mut obj: &Map<String, Value> = m;
                let mut ok = true;
                for part in key.split('.') {
                    match obj.get(part) {
                        Some(Value::Object(o)) => {
                            cur = None;
                            obj = o;
                        }
                        Some(v) => {
                            if cur.is_some() {
                                ok = false;
                                break;
                            }
                            cur = Some(v);
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    if let Some(v) = cur {
                        return Some(v);
                    }
                }
            }
        }
        None
    }
    /// First of `keys` with a meaningful text value (`-`, blanks and nulls are absent).
    pub fn s(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| text(self.v(k)?))
    }
}

fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && !n.is_i64() && !n.is_u64())
            {
                format!("{}", f as i64)
            } else {
                n.to_string()
            }
        }
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    if s.is_empty() || s == "-" || s == "(null)" {
        None
    } else {
        Some(s)
    }
}

fn props(pairs: &[(&str, Option<String>)]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert(k.to_string(), Value::String(v.clone()));
        }
    }
    m
}

fn trunc(s: &str, n: usize) -> String {
    cb_domain::identity::truncate(s.lines().next().unwrap_or(""), n)
}

// ---------------------------------------------------------------------------------------------
// entity builders (Sentinel property names)

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// A Log Analytics agent id (a GUID; empty and all-zero ids identify nothing).
fn is_agent_id(s: &str) -> bool {
    s.len() >= 32
        && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && s.chars().any(|c| c.is_ascii_hexdigit() && c != '0')
}

/// An Azure resource id of a machine (a VM or an Arc server), not of any other resource.
fn is_vm_resource(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("/subscriptions/")
        && (l.contains("/providers/microsoft.compute/virtualmachines/")
            || l.contains("/providers/microsoft.hybridcompute/machines/"))
}

pub(crate) fn host(name: &str) -> Option<EntityRecord> {
    let n = name.trim().trim_end_matches('$');
    if n.is_empty() || n == "-" || n.eq_ignore_ascii_case("localhost") {
        return None;
    }
    if is_ip(n) {
        return None;
    }
    Some(match n.split_once('.') {
        Some((h, d)) if !h.is_empty() && !d.is_empty() => EntityRecord::new("host")
            .with("HostName", h)
            .with("DnsDomain", d)
            .with("FQDN", n),
        _ => EntityRecord::new("host").with("HostName", n),
    })
}

/// An account from a name that may be `DOMAIN\user` or `user@upn.suffix`, a domain and a SID.
fn account(
    name: Option<String>,
    domain: Option<String>,
    sid: Option<String>,
) -> Option<EntityRecord> {
    let mut e = EntityRecord::new("account");
    let mut domain = domain;
    if let Some(n) = name {
        if let Some((d, u)) = n.split_once('\\') {
            e = e.with("Name", u);
            domain = domain.or(Some(d.to_string()));
        } else if let Some((u, s)) = n.split_once('@') {
            e = e.with("Name", u).with("UPNSuffix", s);
        } else {
            e = e.with("Name", n.as_str());
        }
    }
    if let Some(d) = domain {
        if e.props.contains_key("Name") {
            e = e.with("NTDomain", d);
        }
    }
    if let Some(s) = sid {
        if s.to_ascii_uppercase().starts_with("S-1-") && s != "S-1-0-0" {
            e = e.with("Sid", s);
        }
    }
    (!e.props.is_empty()).then_some(e)
}

fn aad_account(
    upn: Option<String>,
    aad_id: Option<String>,
    display: Option<String>,
) -> Option<EntityRecord> {
    let mut e = EntityRecord::new("account");
    if let Some(u) = upn {
        match u.split_once('@') {
            Some((n, s)) => e = e.with("Name", n).with("UPNSuffix", s),
            None => e = e.with("Name", u),
        }
    }
    if let Some(a) = aad_id {
        e = e.with("AadUserId", a);
    }
    if let Some(d) = display {
        e = e.with("DisplayName", d);
    }
    (!e.props.is_empty()).then_some(e)
}

fn ip(addr: Option<String>) -> Option<EntityRecord> {
    let a = addr?;
    let a = a.trim().trim_start_matches("::ffff:");
    // one spelling per address (`fe80:0:0:0:…` and `fe80::…` are one)
    let a = a.parse::<std::net::IpAddr>().ok()?.to_string();
    Some(EntityRecord::new("ip").with("Address", a))
}

pub(crate) fn file(path: Option<String>) -> Option<EntityRecord> {
    let p = path?;
    let p = p.trim().trim_matches('"');
    if p.is_empty() {
        return None;
    }
    Some(match p.rfind(['\\', '/']) {
        Some(i) if i + 1 < p.len() => EntityRecord::new("file")
            .with("Directory", &p[..i])
            .with("Name", &p[i + 1..]),
        _ => EntityRecord::new("file").with("Name", p),
    })
}

fn process(
    pid: Option<String>,
    cmd: Option<String>,
    created: Option<String>,
) -> Option<EntityRecord> {
    let mut e = EntityRecord::new("process");
    if let Some(p) = pid {
        e = e.with("ProcessId", p);
    }
    if let Some(c) = cmd {
        e = e.with("CommandLine", c);
    }
    if let Some(t) = created.and_then(|t| cb_domain::time::normalize(&t)) {
        e = e.with("CreationTimeUtc", t);
    }
    (!e.props.is_empty()).then_some(e)
}

fn hash(alg: &str, v: Option<String>) -> Option<EntityRecord> {
    let v = v?;
    (v.len() >= 16 && v.chars().all(|c| c.is_ascii_hexdigit())).then(|| {
        EntityRecord::new("filehash")
            .with("Algorithm", alg)
            .with("Value", v)
    })
}

fn url(u: Option<String>) -> Option<EntityRecord> {
    u.map(|u| EntityRecord::new("url").with("Url", u))
}

fn dns(d: Option<String>) -> Option<EntityRecord> {
    d.map(|d| EntityRecord::new("dns").with("DomainName", d.trim_end_matches('.')))
}

fn registry(path: Option<String>) -> Option<EntityRecord> {
    let p = path?;
    let (hive, key) = p.split_once('\\')?;
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        _ => return None,
    };
    Some(
        EntityRecord::new("registry-key")
            .with("Hive", hive)
            .with("Key", key),
    )
}

fn time_of(v: &View, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| v.s(&[k]).and_then(|t| cb_domain::time::normalize(&t)))
}

/// Sysmon `Hashes` (`SHA1=..,MD5=..`) → filehash entities linked from the image file.
fn sysmon_hashes(m: &mut Mapped, hashes: Option<String>, file: Option<usize>) {
    let Some(h) = hashes else { return };
    for part in h.split(',') {
        if let Some((alg, val)) = part.split_once('=') {
            let alg = alg.trim().to_ascii_uppercase();
            if matches!(alg.as_str(), "SHA1" | "MD5" | "SHA256") {
                let he = m.ent(hash(&alg, Some(val.trim().to_string())), false);
                m.rel(file, he, "FileHashes", Map::new());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dispatch

pub(crate) fn map(table: Table, rec: Map<String, Value>) -> Mapped {
    let mut m = {
        let v = View::new(&rec);
        match table {
            Table::SecurityEvent | Table::WindowsFlat => windows(v, table),
            Table::Winlogbeat => {
                let ed = rec.get("event_data");
                let wl = rec.get("winlog").and_then(|w| w.get("event_data"));
                let wlo = rec.get("winlog");
                windows(v.with(ed).with(wl).with(wlo), table)
            }
            Table::SigninLogs => signin(v),
            Table::NetworkFlows => flows(v),
            Table::Zeek => zeek(v),
            Table::SuricataEve => suricata(v),
            Table::Ocsf => ocsf(v),
            Table::Ecs => ecs(v),
            Table::CloudTrail => cloudtrail(v),
            Table::Auditd => auditd(v),
            Table::LogTable if v.s(&["CreatedProcessId"]).is_some() => mde_process(v),
            Table::LogTable => logtable(v),
        }
    };
    m.event.summary = cb_domain::identity::truncate(&m.event.summary, 400);
    m.event.fields = rec;
    // the texts the writer needs, made here: for JSON lines and EVTX this is the parsing
    // thread, and the writing thread (the import's bottleneck) only copies them
    m.fields_json = serde_json::to_string(&m.event.fields).unwrap_or_else(|_| "{}".into());
    for e in &mut m.ents {
        e.props_json = serde_json::to_vec(&e.rec.props).unwrap_or_default();
    }
    m
}

/// EVTX records, flattened by `evtx_import` into the same shape as OTRF's flattened events.
pub(crate) fn map_evtx(rec: Map<String, Value>) -> Mapped {
    map(Table::WindowsFlat, rec)
}

// ---------------------------------------------------------------------------------------------
// Windows: SecurityEvent rows, OTRF flattened, Winlogbeat, EVTX

fn windows(v: View, table: Table) -> Mapped {
    let eid = v.s(&[
        "EventID",
        "event_id",
        "winlog.event_id",
        "event.code",
        "EventId",
    ]);
    let channel = v
        .s(&["Channel", "log_name", "winlog.channel", "channel"])
        .unwrap_or_default();
    let computer = v.s(&[
        "Computer",
        "Hostname",
        "computer_name",
        "winlog.computer_name",
        "host.name",
        "ComputerName",
    ]);
    let sysmon = channel.contains("Sysmon")
        || v.s(&[
            "SourceName",
            "source_name",
            "winlog.provider_name",
            "Provider",
        ])
        .is_some_and(|p| p.contains("Sysmon"));
    let source = if sysmon {
        "Sysmon"
    } else if table == Table::SecurityEvent || channel.eq_ignore_ascii_case("security") {
        "SecurityEvent"
    } else {
        "WindowsEvent"
    };
    let mut m = Mapped::new(source);
    m.event.channel = channel.clone();
    m.event.event_id = eid.clone();
    m.event.time = if sysmon {
        time_of(
            &v,
            &[
                "UtcTime",
                "@timestamp",
                "TimeGenerated",
                "TimeCreated",
                "EventTime",
                "SystemTime",
            ],
        )
    } else {
        time_of(
            &v,
            &[
                "TimeGenerated",
                "@timestamp",
                "TimeCreated",
                "TimeCreatedUtc",
                "EventTime",
                "SystemTime",
                "UtcTime",
            ],
        )
    };
    let h = m.set_la_host(computer.clone(), &v);
    let hostname = computer.clone().unwrap_or_default();
    let e = eid.as_deref().unwrap_or("");
    let mut summary = if sysmon {
        sysmon::map(&mut m, &v, e, h, &hostname)
    } else {
        winsec::map(&mut m, &v, e, h, &hostname)
    };
    if summary.is_empty() && !sysmon {
        summary = winsum::summary(&v, e, &hostname).unwrap_or_default();
    }
    // whatever else a Windows record names
    if !sysmon {
        m.ent(
            account(
                v.s(&["SubjectUserName"]),
                v.s(&["SubjectDomainName"]),
                v.s(&["SubjectUserSid"]),
            ),
            true,
        );
        m.ent(
            account(
                v.s(&["TargetUserName"]),
                v.s(&["TargetDomainName"]),
                v.s(&["TargetUserSid"]),
            ),
            true,
        );
        m.ent(ip(v.s(&["IpAddress"])), false);
    }
    if summary.is_empty() {
        let what = v
            .s(&[
                "Activity",
                "task",
                "Message",
                "message",
                "RenderedDescription",
            ])
            .map(|t| trunc(&t, 160))
            .unwrap_or_else(|| channel.clone());
        summary = format!(
            "{} {} on {hostname}",
            eid.as_deref().unwrap_or("event"),
            what
        );
    }
    m.event.summary = summary;
    m
}

// ---------------------------------------------------------------------------------------------
// Entra ID sign-ins

fn signin(v: View) -> Mapped {
    let mut m = Mapped::new("SigninLogs");
    m.event.channel = v.s(&["Category"]).unwrap_or_default();
    m.event.event_id = v.s(&["ResultType"]);
    m.event.time = time_of(&v, &["TimeGenerated", "CreatedDateTime", "createdDateTime"]);
    let upn = v.s(&["UserPrincipalName", "userPrincipalName"]);
    let a = m.ent(
        aad_account(upn.clone(), v.s(&["UserId", "userId"]), None),
        false,
    );
    let addr = v.s(&["IPAddress", "ipAddress"]);
    let i = m.ent(ip(addr.clone()), false);
    let app = v.s(&["AppDisplayName", "appDisplayName"]);
    let result = v.s(&["ResultType", "status.errorCode"]);
    m.rel(
        a,
        i,
        "signed_in_from",
        props(&[("app", app.clone()), ("result", result.clone())]),
    );
    m.event.summary = format!(
        "sign-in {} from {} to {}: result {}{}",
        upn.unwrap_or_default(),
        addr.unwrap_or_default(),
        app.unwrap_or_default(),
        result.unwrap_or_default(),
        v.s(&["ResultDescription"])
            .map(|d| format!(" ({})", trunc(&d, 80)))
            .unwrap_or_default()
    );
    m
}

// ---------------------------------------------------------------------------------------------
// AzureNetworkAnalytics flows

fn flows(v: View) -> Mapped {
    let mut m = Mapped::new("AzureNetworkAnalytics");
    m.event.channel = v.s(&["FlowType"]).unwrap_or_default();
    m.event.time = time_of(&v, &["FlowStartTime", "TimeGenerated", "FlowEndTime"]);
    let vm = v.s(&["VMName"]);
    let h = m.set_host(vm.clone());
    let vmip = v.s(&["VMIPAddress"]);
    let vmi = m.ent(ip(vmip.clone()), false);
    let dir = v.s(&["FlowDirection"]).unwrap_or_default();
    let port = v.s(&["DestPort"]);
    let proto = v.s(&["L7Protocol", "L4Protocol"]);
    let mut peers: Vec<String> = vec![];
    if let Some(Value::Array(a)) = v.v("PublicIPs") {
        peers.extend(a.iter().filter_map(text));
    }
    for k in ["SrcIP", "DestIP"] {
        if let Some(x) = v.s(&[k]) {
            if Some(&x) != vmip.as_ref() {
                peers.push(x);
            }
        }
    }
    if peers.is_empty() {
        if let Some(all) = v.s(&["AllExtIPs"]) {
            peers.extend(
                all.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
        }
    }
    for p in &peers {
        // PublicIPs may carry "ip|count" pairs in some exports
        let addr = p.split('|').next().unwrap_or(p).to_string();
        let pi = m.ent(ip(Some(addr)), false);
        let pr = props(&[
            ("port", port.clone()),
            ("protocol", proto.clone()),
            ("direction", Some(dir.clone())),
        ]);
        if dir == "I" {
            m.rel(pi, vmi.or(h), "connected_to", pr);
        } else {
            m.rel(vmi.or(h), pi, "connected_to", pr);
        }
    }
    m.event.summary = format!(
        "flow {} {} ({}) {} {} {}/{}",
        if dir == "I" { "inbound" } else { "outbound" },
        vm.unwrap_or_default(),
        vmip.unwrap_or_default(),
        if dir == "I" { "<-" } else { "->" },
        peers.join(","),
        proto.unwrap_or_default(),
        port.unwrap_or_default()
    );
    m
}

// ---------------------------------------------------------------------------------------------
// Zeek

fn zeek(v: View) -> Mapped {
    let stream = v.s(&["@stream", "_path"]).unwrap_or_else(|| "log".into());
    let mut m = Mapped::new(&format!("zeek.{stream}"));
    m.event.channel = stream.clone();
    m.event.event_id = v.s(&["uid", "fuid"]);
    m.event.time = time_of(&v, &["ts", "@timestamp"]);
    let orig = v.s(&["id.orig_h", "id_orig_h"]);
    let resp = v.s(&["id.resp_h", "id_resp_h"]);
    let oport = v.s(&["id.orig_p", "id_orig_p"]).unwrap_or_default();
    let rport = v.s(&["id.resp_p", "id_resp_p"]);
    let o = m.ent(ip(orig.clone()), false);
    let r = m.ent(ip(resp.clone()), false);
    let detail = match stream.as_str() {
        "conn" => {
            let proto = v.s(&["proto"]);
            m.rel(
                o,
                r,
                "connected_to",
                props(&[
                    ("port", rport.clone()),
                    ("protocol", proto.clone()),
                    ("service", v.s(&["service"])),
                ]),
            );
            format!(
                "{} {} {}",
                proto.unwrap_or_default(),
                v.s(&["service"]).unwrap_or_default(),
                v.s(&["conn_state"]).unwrap_or_default()
            )
        }
        "dns" => {
            let q = v.s(&["query"]);
            let d = m.ent(dns(q.clone()), false);
            m.rel(
                o,
                d,
                "dns_query",
                props(&[
                    ("qtype", v.s(&["qtype_name"])),
                    ("rcode", v.s(&["rcode_name"])),
                ]),
            );
            format!(
                "query {} {}",
                q.unwrap_or_default(),
                v.s(&["qtype_name"]).unwrap_or_default()
            )
        }
        "http" => {
            let hostn = v.s(&["host"]);
            let uri = v.s(&["uri"]);
            if let Some(hn) = &hostn {
                m.ent(
                    url(Some(format!(
                        "http://{hn}{}",
                        uri.clone().unwrap_or_default()
                    ))),
                    false,
                );
            }
            format!(
                "{} {}{}",
                v.s(&["method"]).unwrap_or_default(),
                hostn.unwrap_or_default(),
                uri.unwrap_or_default()
            )
        }
        "ssl" => {
            let sni = v.s(&["server_name"]);
            m.ent(dns(sni.clone()), false);
            format!("tls {}", sni.unwrap_or_default())
        }
        "kerberos" => {
            let client = v.s(&["client"]);
            if let Some(c) = &client {
                let (u, d) = c
                    .split_once('/')
                    .map(|(u, d)| (u.to_string(), Some(d.to_string())))
                    .unwrap_or((c.clone(), None));
                m.ent(account(Some(u), d, None), false);
            }
            format!(
                "kerberos {} {} {}",
                v.s(&["request_type"]).unwrap_or_default(),
                client.unwrap_or_default(),
                v.s(&["service"]).unwrap_or_default()
            )
        }
        "files" | "pe" | "smb_files" | "x509" => {
            for (alg, k) in [("MD5", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")] {
                m.ent(hash(alg, v.s(&[k])), false);
            }
            if let Some(Value::Array(a)) = v.v("tx_hosts") {
                for x in a.iter().filter_map(text) {
                    m.ent(ip(Some(x)), false);
                }
            }
            if let Some(Value::Array(a)) = v.v("rx_hosts") {
                for x in a.iter().filter_map(text) {
                    m.ent(ip(Some(x)), false);
                }
            }
            let name = v.s(&["filename", "name", "path", "certificate.subject"]);
            if stream == "smb_files" {
                m.ent(file(name.clone()), false);
            }
            format!(
                "{} {}",
                name.unwrap_or_default(),
                v.s(&["mime_type", "action"]).unwrap_or_default()
            )
        }
        _ => v
            .s(&[
                "note",
                "msg",
                "name",
                "operation",
                "path",
                "service",
                "endpoint",
            ])
            .map(|s| trunc(&s, 160))
            .unwrap_or_default(),
    };
    m.event.summary = format!(
        "zeek {stream} {}:{oport} -> {}:{} {}",
        orig.unwrap_or_default(),
        resp.unwrap_or_default(),
        rport.unwrap_or_default(),
        detail.trim()
    );
    m
}

// ---------------------------------------------------------------------------------------------
// Suricata EVE

fn suricata(v: View) -> Mapped {
    let et = v.s(&["event_type"]).unwrap_or_else(|| "event".into());
    let mut m = Mapped::new("suricata");
    m.event.channel = et.clone();
    m.event.event_id = v.s(&["alert.signature_id"]).or_else(|| v.s(&["flow_id"]));
    m.event.time = time_of(&v, &["timestamp", "@timestamp"]);
    let src = v.s(&["src_ip"]);
    let dst = v.s(&["dest_ip"]);
    let s = m.ent(ip(src.clone()), false);
    let d = m.ent(ip(dst.clone()), false);
    let proto = v.s(&["proto", "app_proto"]);
    let port = v.s(&["dest_port"]);
    m.rel(
        s,
        d,
        "connected_to",
        props(&[
            ("port", port.clone()),
            ("protocol", proto.clone()),
            ("signature", v.s(&["alert.signature"])),
        ]),
    );
    let mut detail = String::new();
    match et.as_str() {
        "alert" => {
            detail = format!(
                "{} [{}] severity {}",
                v.s(&["alert.signature"]).unwrap_or_default(),
                v.s(&["alert.category"]).unwrap_or_default(),
                v.s(&["alert.severity"]).unwrap_or_default()
            )
        }
        "dns" => {
            let q = v.s(&["dns.rrname"]);
            let dn = m.ent(dns(q.clone()), false);
            m.rel(
                s,
                dn,
                "dns_query",
                props(&[("rrtype", v.s(&["dns.rrtype"]))]),
            );
            detail = format!("dns {}", q.unwrap_or_default());
        }
        "http" => {
            let hn = v.s(&["http.hostname"]);
            let u = v.s(&["http.url"]);
            if let Some(hn) = &hn {
                m.ent(
                    url(Some(format!(
                        "http://{hn}{}",
                        u.clone().unwrap_or_default()
                    ))),
                    false,
                );
            }
            detail = format!("http {}{}", hn.unwrap_or_default(), u.unwrap_or_default());
        }
        "tls" => {
            let sni = v.s(&["tls.sni"]);
            m.ent(dns(sni.clone()), false);
            detail = format!("tls {}", sni.unwrap_or_default());
        }
        "fileinfo" => {
            detail = format!("file {}", v.s(&["fileinfo.filename"]).unwrap_or_default());
            m.ent(hash("SHA256", v.s(&["fileinfo.sha256"])), false);
        }
        _ => {}
    }
    if let Some(hn) = v.s(&["host", "hostname"]) {
        m.set_host(Some(hn));
    }
    m.event.summary = format!(
        "suricata {et} {}:{} -> {}:{} {} {}",
        src.unwrap_or_default(),
        v.s(&["src_port"]).unwrap_or_default(),
        dst.unwrap_or_default(),
        port.unwrap_or_default(),
        proto.unwrap_or_default(),
        detail
    );
    m
}

// ---------------------------------------------------------------------------------------------
// OCSF

fn ocsf(v: View) -> Mapped {
    let class = v
        .s(&["class_name"])
        .unwrap_or_else(|| format!("class {}", v.s(&["class_uid"]).unwrap_or_default()));
    let uid = v.s(&["class_uid"]).unwrap_or_default();
    let mut m = Mapped::new(&format!(
        "ocsf.{}",
        class.to_ascii_lowercase().replace(' ', "_")
    ));
    m.event.channel = v.s(&["category_name"]).unwrap_or_default();
    m.event.event_id = v.s(&["type_uid"]).or(Some(uid.clone()));
    m.event.time = time_of(
        &v,
        &["time_dt", "time", "start_time", "metadata.logged_time"],
    );
    let h = m.set_host(v.s(&["device.hostname", "device.name"]));
    let dip = m.ent(ip(v.s(&["device.ip"])), false);
    let _ = dip;
    let src_addr = v.s(&["src_endpoint.ip"]);
    let src = m.ent(ip(src_addr.clone()), false);
    let dst = m.ent(ip(v.s(&["dst_endpoint.ip"])), false);
    m.set_host(v.s(&["src_endpoint.hostname"]));
    let dsth = m.ent(
        v.s(&["dst_endpoint.hostname"]).as_deref().and_then(host),
        false,
    );
    let user = m.ent(
        account(
            v.s(&["actor.user.name", "user.name"]),
            v.s(&["actor.user.domain", "user.domain"]),
            v.s(&["actor.user.uid", "user.uid"])
                .filter(|s| s.starts_with("S-1-")),
        ),
        true,
    );
    let p = m.ent(
        process(
            v.s(&["actor.process.pid", "process.pid"]),
            v.s(&["actor.process.cmd_line", "process.cmd_line"]),
            v.s(&["process.created_time_dt", "process.created_time"]),
        ),
        true,
    );
    let image = m.ent(
        file(v.s(&["process.file.path", "actor.process.file.path"])),
        false,
    );
    let f = m.ent(file(v.s(&["file.path"])), false);
    m.ent(
        url(v.s(&["url.url_string", "http_request.url.url_string"])),
        false,
    );
    let q = m.ent(dns(v.s(&["query.hostname"])), false);
    if let Some(Value::Array(hs)) = v.v("file.hashes") {
        for hv in hs {
            if let (Some(a), Some(val)) = (
                hv.get("algorithm").and_then(text),
                hv.get("value").and_then(text),
            ) {
                let he = m.ent(
                    hash(&a.to_ascii_uppercase().replace('-', ""), Some(val)),
                    false,
                );
                m.rel(f, he, "FileHashes", Map::new());
            }
        }
    }
    match uid.as_str() {
        "4001" | "4002" | "4003" => {
            m.rel(
                src.or(h),
                dst,
                "connected_to",
                props(&[
                    ("port", v.s(&["dst_endpoint.port"])),
                    ("protocol", v.s(&["connection_info.protocol_name"])),
                ]),
            );
            if uid == "4003" {
                m.rel(src.or(h), q, "dns_query", Map::new());
            }
        }
        "3002" => {
            m.rel(
                user,
                dsth.or(h),
                "logged_on",
                props(&[
                    ("logon_type", v.s(&["logon_type"])),
                    ("source_ip", src_addr.clone()),
                ]),
            );
            m.rel(
                user,
                src,
                "signed_in_from",
                props(&[
                    ("app", v.s(&["service.name", "app_name"])),
                    ("result", v.s(&["status"])),
                ]),
            );
        }
        "1007" => {
            let parent = m.ent(
                process(
                    v.s(&["process.parent_process.pid"]),
                    v.s(&["process.parent_process.cmd_line"]),
                    None,
                ),
                true,
            );
            m.rel(p, parent, "ParentProcess", Map::new());
            m.rel(p, image, "ImageFile", Map::new());
            m.rel(p, user, "Account", Map::new());
            m.rel(p, h, "Host", Map::new());
        }
        "1001" => m.rel(p.or(h), f, "created_file", Map::new()),
        _ => {}
    }
    let what = v
        .s(&[
            "finding_info.title",
            "finding.title",
            "message",
            "activity_name",
            "type_name",
        ])
        .map(|t| trunc(&t, 200))
        .unwrap_or_default();
    m.event.summary = format!(
        "{class}: {what}{}",
        v.s(&["severity"])
            .map(|s| format!(" (severity {s})"))
            .unwrap_or_default()
    );
    m
}

// ---------------------------------------------------------------------------------------------
// ECS / NDJSON

fn ecs(v: View) -> Mapped {
    let ds = v
        .s(&["event.dataset", "event.module", "data_stream.dataset"])
        .unwrap_or_else(|| "event".into());
    let mut m = Mapped::new(&format!("ecs.{ds}"));
    m.event.channel = v.s(&["event.category", "event.kind"]).unwrap_or_default();
    if let Some(Value::Array(a)) = v.v("event.category") {
        m.event.channel = a.iter().filter_map(text).collect::<Vec<_>>().join(",");
    }
    m.event.event_id = v.s(&["event.code", "event.id"]);
    m.event.time = time_of(&v, &["@timestamp", "event.created"]);
    let h = m.set_host(v.s(&["host.name", "host.hostname"]));
    let src_addr = v.s(&["source.ip"]);
    let src = m.ent(ip(src_addr.clone()), false);
    let dst = m.ent(ip(v.s(&["destination.ip"])), false);
    let user = m.ent(
        account(
            v.s(&["user.name"]),
            v.s(&["user.domain"]),
            v.s(&["user.id"]).filter(|s| s.starts_with("S-1-")),
        ),
        true,
    );
    let p = m.ent(
        process(
            v.s(&["process.pid"]),
            v.s(&["process.command_line", "process.executable"]),
            v.s(&["process.start"]),
        ),
        true,
    );
    let parent = m.ent(
        process(
            v.s(&["process.parent.pid"]),
            v.s(&["process.parent.command_line", "process.parent.executable"]),
            None,
        ),
        true,
    );
    let image = m.ent(file(v.s(&["process.executable"])), false);
    let f = m.ent(file(v.s(&["file.path"])), false);
    for (alg, k) in [
        ("MD5", "hash.md5"),
        ("SHA1", "hash.sha1"),
        ("SHA256", "hash.sha256"),
        ("SHA256", "file.hash.sha256"),
        ("SHA256", "process.hash.sha256"),
    ] {
        m.ent(hash(alg, v.s(&[k])), false);
    }
    m.ent(url(v.s(&["url.full", "url.original"])), false);
    let q = m.ent(dns(v.s(&["dns.question.name"])), false);
    let k = m.ent(registry(v.s(&["registry.path"])), false);
    let action = v.s(&["event.action"]).unwrap_or_default();
    let cat = m.event.channel.clone();
    if dst.is_some() {
        m.rel(
            src.or(h),
            dst,
            "connected_to",
            props(&[
                ("port", v.s(&["destination.port"])),
                ("protocol", v.s(&["network.transport", "network.protocol"])),
            ]),
        );
    }
    if q.is_some() {
        m.rel(src.or(p).or(h), q, "dns_query", Map::new());
    }
    if cat.contains("process") && p.is_some() {
        m.rel(p, parent, "ParentProcess", Map::new());
        m.rel(p, image, "ImageFile", Map::new());
        m.rel(p, user, "Account", Map::new());
        m.rel(p, h, "Host", Map::new());
    }
    if cat.contains("file")
        && (action.contains("creat")
            || v.s(&["event.type"]).is_some_and(|t| t.contains("creation")))
    {
        m.rel(p.or(h), f, "created_file", Map::new());
    }
    if k.is_some() {
        m.rel(
            p.or(h),
            k,
            "set_registry",
            props(&[("value", v.s(&["registry.value"]))]),
        );
    }
    if cat.contains("authentication") {
        m.rel(
            user,
            h,
            "logged_on",
            props(&[
                ("logon_type", v.s(&["winlog.logon.type"])),
                ("source_ip", src_addr),
            ]),
        );
    }
    let msg = v
        .s(&["message"])
        .map(|s| trunc(&s, 200))
        .unwrap_or_default();
    m.event.summary = format!("{ds} {action} {msg}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    m
}

// ---------------------------------------------------------------------------------------------
// Any other Sentinel / Defender table

/// AWS CloudTrail.
fn cloudtrail(v: View) -> Mapped {
    let mut m = Mapped::new("AWSCloudTrail");
    m.event.channel = v.s(&["eventSource"]).unwrap_or_default();
    m.event.event_id = v.s(&["eventName"]);
    m.event.time = time_of(&v, &["eventTime", "@timestamp"]);
    let user = v.s(&[
        "userIdentity.userName",
        "userIdentity.sessionContext.sessionIssuer.userName",
        "userIdentity.principalId",
    ]);
    let a = m.ent(
        user.clone()
            .map(|u| EntityRecord::new("account").with("Name", u)),
        false,
    );
    let addr = v.s(&["sourceIPAddress"]);
    let i = m.ent(ip(addr.clone()), false);
    m.rel(
        a,
        i,
        "signed_in_from",
        props(&[
            ("app", v.s(&["userAgent"])),
            ("result", v.s(&["errorCode"]).or(Some("success".into()))),
        ]),
    );
    m.event.summary = format!(
        "{} {} by {} from {}{}",
        v.s(&["eventSource"]).unwrap_or_default(),
        v.s(&["eventName"]).unwrap_or_default(),
        user.unwrap_or_default(),
        addr.unwrap_or_default(),
        v.s(&["errorCode"])
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    );
    m
}

/// Linux auditd records.
fn auditd(v: View) -> Mapped {
    let ty = v.s(&["type"]).unwrap_or_default();
    let mut m = Mapped::new("auditd");
    m.event.channel = ty.clone();
    m.event.event_id = Some(ty.clone());
    m.event.time = time_of(&v, &["time"]);
    m.set_host(v.s(&["node", "hostname"]));
    let exe = v.s(&["exe"]);
    let p = m.ent(process(v.s(&["pid"]), exe.clone(), None), true);
    let parent = m.ent(process(v.s(&["ppid"]), None, None), true);
    let f = m.ent(file(exe.clone()), false);
    m.ent(ip(v.s(&["addr", "laddr", "saddr"])), false);
    m.rel(p, parent, "ParentProcess", Map::new());
    m.rel(p, f, "ImageFile", Map::new());
    let detail = v
        .s(&["comm", "name", "a0", "proctitle", "op"])
        .unwrap_or_default();
    m.event.summary = format!("audit {ty} {detail} {}", exe.unwrap_or_default())
        .trim()
        .to_string();
    m
}

/// Defender for Endpoint process-creation reports (`CreatedProcess*` / `InitiatingProcess*`).
fn mde_process(v: View) -> Mapped {
    let mut m = Mapped::new("DeviceProcessEvents");
    m.event.channel = "ProcessCreated".into();
    m.event.event_id = v.s(&["ReportId", "ReportIndex"]);
    m.event.time = time_of(
        &v,
        &[
            "CreatedProcessCreationTime",
            "ReportTime",
            "ReportArrivalTimeUtc",
            "Timestamp",
        ],
    );
    let h = m.set_host(v.s(&["ComputerDnsName", "DeviceName"]));
    let cmd = v.s(&["CreatedProcessCommandLine", "Process_CommandLine"]);
    let p = m.ent(
        process(
            v.s(&["CreatedProcessId"]),
            cmd.clone(),
            v.s(&["CreatedProcessCreationTime"]),
        ),
        true,
    );
    let parent = m.ent(
        process(
            v.s(&["InitiatingProcessId"]),
            v.s(&["InitiatingProcessCommandLine"]),
            v.s(&["InitiatingProcessCreationTime"]),
        ),
        true,
    );
    let image = v
        .s(&["CreatedProcessFilePath"])
        .map(|d| match v.s(&["CreatedProcessName"]) {
            Some(n) if !d.to_lowercase().ends_with(&n.to_lowercase()) => {
                format!("{}\\{n}", d.trim_end_matches('\\'))
            }
            _ => d,
        });
    let f = m.ent(file(image.clone()), false);
    for (alg, k) in [
        ("SHA256", "CreatedProcessFileSha256"),
        ("SHA1", "CreatedProcessFileSha1"),
        ("MD5", "CreatedProcessFileMd5"),
    ] {
        let he = m.ent(hash(alg, v.s(&[k])), false);
        m.rel(f, he, "FileHashes", Map::new());
    }
    let acct = m.ent(
        account(
            v.s(&["CreatedProcessAccountName"]),
            v.s(&["CreatedProcessAccountDomainName"]),
            v.s(&["CreatedProcessAccountSid"]),
        ),
        true,
    );
    m.rel(p, parent, "ParentProcess", Map::new());
    m.rel(p, f, "ImageFile", Map::new());
    m.rel(p, acct, "Account", Map::new());
    m.rel(p, h, "Host", Map::new());
    m.event.summary = format!(
        "process created on {} by {}: {}",
        v.s(&["ComputerDnsName"]).unwrap_or_default(),
        v.s(&["CreatedProcessAccountName"]).unwrap_or_default(),
        cmd.or(image).unwrap_or_default()
    );
    m
}

fn logtable(v: View) -> Mapped {
    let ty = v.s(&["Type"]).unwrap_or_else(|| "LogTable".into());
    let mut m = Mapped::new(&ty);
    m.event.channel = v
        .s(&["Category", "RecordType", "OfficeWorkload"])
        .unwrap_or_default();
    m.event.event_id = v.s(&["EventID", "ReportId", "Id"]);
    m.event.time = time_of(
        &v,
        &[
            "TimeGenerated",
            "Timestamp",
            "CreationTime",
            "TimeCreated",
            "@timestamp",
            "EventTime",
            "eventTime",
            "Event DateTime",
            "timestamp",
            "CreatedDateTime",
            "createdDateTime",
            "datetime",
            "date_time",
        ],
    );
    let h = m.set_la_host(v.s(&["DeviceName", "Computer", "HostName", "Hostname"]), &v);
    let acct = m.ent(
        account(
            v.s(&["AccountName"]),
            v.s(&["AccountDomain"]),
            v.s(&["AccountSid"]),
        ),
        true,
    );
    m.ent(
        aad_account(
            v.s(&["UserPrincipalName", "UserId", "MailboxOwnerUPN"])
                .filter(|u| u.contains('@')),
            v.s(&["AccountObjectId"]),
            None,
        ),
        false,
    );
    for k in [
        "Source IP",
        "sourceIPAddress",
        "IPAddress",
        "RemoteIP",
        "LocalIP",
        "ClientIP",
        "Client_IPAddress",
        "ClientIPAddress",
        "SrcIP",
        "DestIP",
        "IpAddress",
        "FileOriginIP",
    ] {
        m.ent(ip(v.s(&[k])), false);
    }
    m.ent(url(v.s(&["RemoteUrl", "FileOriginUrl", "Url"])), false);
    let f = m.ent(
        file(v.s(&["FolderPath"]).filter(|p| p.contains(['\\', '/']))),
        false,
    );
    for (alg, k) in [("SHA1", "SHA1"), ("SHA256", "SHA256"), ("MD5", "MD5")] {
        let he = m.ent(hash(alg, v.s(&[k])), false);
        m.rel(f, he, "FileHashes", Map::new());
    }
    let action = v
        .s(&["ActionType", "OperationName", "Operation", "Activity"])
        .unwrap_or_default();
    // Defender Device*Events process creation
    let p = m.ent(
        process(
            v.s(&["ProcessId"]),
            v.s(&["ProcessCommandLine"]),
            v.s(&["ProcessCreationTime"]),
        ),
        true,
    );
    let parent = m.ent(
        process(
            v.s(&["InitiatingProcessId"]),
            v.s(&["InitiatingProcessCommandLine"]),
            v.s(&["InitiatingProcessCreationTime"]),
        ),
        true,
    );
    if action == "ProcessCreated" {
        m.rel(p, parent, "ParentProcess", Map::new());
        m.rel(p, f, "ImageFile", Map::new());
        m.rel(p, acct, "Account", Map::new());
        m.rel(p, h, "Host", Map::new());
    }
    if action.starts_with("Connection") {
        let r = m.ent(ip(v.s(&["RemoteIP"])), false);
        let l = m.ent(ip(v.s(&["LocalIP"])), false);
        m.rel(
            l.or(h),
            r,
            "connected_to",
            props(&[
                ("port", v.s(&["RemotePort"])),
                ("protocol", v.s(&["Protocol"])),
            ]),
        );
    }
    if action == "FileCreated" {
        m.rel(parent.or(h), f, "created_file", Map::new());
    }
    if action.starts_with("RegistryValueSet") {
        let k = m.ent(registry(v.s(&["RegistryKey"])), false);
        m.rel(
            parent.or(h),
            k,
            "set_registry",
            props(&[("value", v.s(&["RegistryValueName"]))]),
        );
    }
    let who = v
        .s(&[
            "UserPrincipalName",
            "UserId",
            "AccountName",
            "InitiatingProcessAccountName",
            "Caller",
        ])
        .unwrap_or_default();
    let what = v
        .s(&[
            "ProcessCommandLine",
            "RemoteUrl",
            "FileName",
            "ResultDescription",
            "Result",
            "ResultStatus",
        ])
        .map(|s| trunc(&s, 160))
        .unwrap_or_default();
    m.event.summary = format!(
        "{ty} {action} {who} {} {what}",
        v.s(&["DeviceName", "Computer"]).unwrap_or_default()
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ");
    m
}
