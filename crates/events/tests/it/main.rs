//! cb-events on the real samples in `fixtures/`, end to end through an in-memory case.
//! Expected counts are verified independently: JSON lines = non-empty lines (`grep -c .`,
//! also counted here), archive members = `unzip -p … | grep -c .`, EVTX = the evtx crate's
//! own record iterator (default settings, no Caseboard code involved).

use cb_domain::{Sink, SinkError};
use cb_events::{detect, import, EventFormat, Layout, Settings, Table};
use cb_store::{Actor, ImportOutcome, SourceMeta, SqliteStore};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn head(p: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut h = Vec::new();
    std::fs::File::open(p)
        .unwrap()
        .take(64 * 1024)
        .read_to_end(&mut h)
        .unwrap();
    h
}

struct Imported {
    store: SqliteStore,
    out: ImportOutcome,
    format: EventFormat,
}

impl Imported {
    fn n(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }
    fn events(&self) -> i64 {
        self.n("SELECT count(*) FROM events")
    }
}

#[track_caller]
fn import_fixture(rel: &str) -> Imported {
    let path = fixture(rel);
    let format = detect(&path, &head(&path)).unwrap_or_else(|| panic!("{rel}: not detected"));
    let mut store = SqliteStore::in_memory(Actor("test".into())).unwrap();
    let meta = SourceMeta {
        path: rel.into(),
        sha256: rel.into(),
        size: 0,
        format: format.name().into(),
    };
    let out = store
        .import_source(&meta, &mut |_, _| true, &mut |sink: &mut dyn Sink| {
            import(format, &path, sink, &Settings::default())
        })
        .unwrap();
    Imported { store, out, format }
}

fn nonempty_lines(rel: &str) -> i64 {
    std::fs::read_to_string(fixture(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as i64
}

/// Records the evtx crate itself yields (Ok), errors it reports, and records per EventID,
/// with its default settings.
fn evtx_crate_counts(rel: &str) -> (i64, i64, std::collections::BTreeMap<String, i64>) {
    let mut p = evtx::EvtxParser::from_path(fixture(rel)).unwrap();
    let (mut ok, mut bad) = (0, 0);
    let mut per = std::collections::BTreeMap::new();
    for r in p.records_json_value() {
        match r {
            Ok(r) => {
                ok += 1;
                let e = &r.data["Event"]["System"]["EventID"];
                let e = if e.is_object() { &e["#text"] } else { e };
                *per.entry(e.to_string().trim_matches('"').to_string())
                    .or_insert(0) += 1;
            }
            Err(_) => bad += 1,
        }
    }
    (ok, bad, per)
}

// ----------------------------------------------------------------------------------------------
// detection

#[test]
fn detection_by_content() {
    let t = |rel: &str| detect(&fixture(rel), &head(&fixture(rel)));
    assert_eq!(
        t("evtx-rs-samples/samples/sysmon.evtx"),
        Some(EventFormat::Evtx)
    );
    assert_eq!(
        t("msticpy/tests/testdata/localdata/host_logons.jsonl"),
        Some(EventFormat::Table(Table::SecurityEvent, Layout::JsonLines))
    );
    assert_eq!(
        t("msticpy/tests/testdata/localdata/all_events_df.jsonl"),
        Some(EventFormat::Table(Table::SecurityEvent, Layout::JsonLines))
    );
    assert_eq!(
        t("msticpy/tests/testdata/localdata/aad_logons.jsonl"),
        Some(EventFormat::Table(Table::SigninLogs, Layout::JsonLines))
    );
    assert_eq!(
        t("msticpy/tests/testdata/localdata/az_net_comms_df.jsonl"),
        Some(EventFormat::Table(Table::NetworkFlows, Layout::JsonLines))
    );
    assert_eq!(
        t("suricata-sample-data/samples/honeypot-2018/alerts-only.json"),
        Some(EventFormat::Table(Table::SuricataEve, Layout::JsonArray))
    );
    assert_eq!(
        t("stix2-json-schemas/examples/infrastructure.json"),
        Some(EventFormat::Stix2)
    );
    assert_eq!(
        t("mitre-cti/enterprise-tactics.json"),
        Some(EventFormat::Stix2)
    );
    assert_eq!(
        t("otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip"),
        Some(EventFormat::Zip)
    );
    assert_eq!(t("otrf-security-datasets/datasets/atomic/windows/persistence/host/covenant_persistwmi.tar.gz"), Some(EventFormat::Gzip));
    assert_eq!(
        t("caseboard-made/ocsf-events.jsonl"),
        Some(EventFormat::Table(Table::Ocsf, Layout::JsonLines))
    );
    assert_eq!(
        t("caseboard-made/ecs-events.ndjson"),
        Some(EventFormat::Table(Table::Ecs, Layout::JsonLines))
    );
    assert_eq!(
        t("msticpy/tests/testdata/mde_proc_cs1.head40.csv"),
        Some(EventFormat::Table(Table::LogTable, Layout::Csv))
    );
    // the name is never the signal
    let zeek = br#"{"ts":1588205198.89971,"uid":"Cw1Hz43UWS4qXFei8f","id.orig_h":"10.0.1.4","id.resp_h":"10.0.0.4"}"#;
    assert_eq!(
        detect(Path::new("alerts.csv"), zeek),
        Some(EventFormat::Table(Table::Zeek, Layout::JsonLines))
    );
    let csv = b"TimeGenerated,Computer,EventID,Account,LogonType\n2019-02-12T04:56:34Z,WIN1,4624,NT AUTHORITY\\SYSTEM,5\n";
    assert_eq!(
        detect(Path::new("x.json"), csv),
        Some(EventFormat::Table(Table::SecurityEvent, Layout::Csv))
    );
}

#[test]
fn alert_formats_are_not_claimed() {
    for rel in [
        "msticpy/tests/testdata/localdata/alerts_list.jsonl",
        "msticpy/tests/testdata/sent_incidents.jsonl",
        "msticpy/tests/testdata/entities.json",
        "azure-rest-api-specs/security-2022-01-01/Alerts/GetAlertsSubscription_example.json",
        "azure-rest-api-specs/securityinsights-2024-09-01/incidents/GetIncidentById.json",
        "msgraph-security-alerts_v2/security-alert-get.response.json",
    ] {
        let p = fixture(rel);
        assert_eq!(detect(&p, &head(&p)), None, "{rel}");
    }
    let csv = b"TimeGenerated,AlertDisplayName,AlertName,Severity,SystemAlertId,Entities\n";
    assert_eq!(detect(Path::new("a.csv"), csv), None);
}

// ----------------------------------------------------------------------------------------------
// log tables

#[test]
fn securityevent_4624_logons() {
    let rel = "msticpy/tests/testdata/localdata/host_logons.jsonl";
    let i = import_fixture(rel);
    assert_eq!(i.format.name(), "securityevent-jsonl");
    assert_eq!(i.events(), nonempty_lines(rel));
    assert_eq!(i.events(), 25);
    assert!(i.out.skipped.is_empty(), "{:?}", i.out.skipped);
    assert_eq!(i.n("SELECT count(*) FROM events WHERE source='SecurityEvent' AND event_id='4624' AND time LIKE '2019-02-1%Z'"), 25);
    // logon session (host + logon id) of the account, with logon type and source IP
    let (props,): (String,) = i
        .store
        .conn()
        .query_row(
            "SELECT s.props FROM relations r JOIN entities s ON r.src = 'entity:' || s.id JOIN entities a ON r.dst = 'entity:' || a.id
             WHERE r.kind='logon_of' AND s.kind = 'host-logon-session' AND a.label LIKE '%msticadmin%' AND s.props LIKE '%131.107.147.209%'",
            [],
            |r| Ok((r.get(0)?,)),
        )
        .unwrap();
    assert!(props.contains("\"LogonType\":\"3\""), "{props}");
    // the same lab host as the alerts, one entity: `Computer` plus the row's
    // `SourceComputerId` (the agent id = Sentinel's host OMSAgentID), a strong key
    assert_eq!(i.n("SELECT count(*) FROM entities WHERE kind='host'"), 1);
    assert_eq!(
        i.n("SELECT count(*) FROM entities WHERE kind='host' AND strength='strong' AND key='host|omsagentid=263a788b-6526-4cdc-8ed9-d79402fe4aa0'"),
        1
    );
    // every event mentions at least its host
    assert_eq!(
        i.n("SELECT count(DISTINCT src) FROM relations WHERE kind='mentions'"),
        25
    );
}

/// Import several fixtures into one case.
fn import_into(store: &mut SqliteStore, rel: &str) -> ImportOutcome {
    let path = fixture(rel);
    let format = detect(&path, &head(&path)).unwrap_or_else(|| panic!("{rel}: not detected"));
    let meta = SourceMeta {
        path: rel.into(),
        sha256: rel.into(),
        size: 0,
        format: format.name().into(),
    };
    store
        .import_source(&meta, &mut |_, _| true, &mut |sink: &mut dyn Sink| {
            import(format, &path, sink, &Settings::default())
        })
        .unwrap()
}

#[test]
fn securityevent_host_carries_agent_id_and_vm_resource_id() {
    // all_events_df rows carry Computer, SourceComputerId and the VM's _ResourceId;
    // host_logons rows Computer and SourceComputerId only: one strong host, whichever file
    // comes first, known by both keys (as the alerts' host is: AzureID and OMSAgentID)
    for order in [
        ["host_logons.jsonl", "all_events_df.jsonl"],
        ["all_events_df.jsonl", "host_logons.jsonl"],
    ] {
        let mut store = SqliteStore::in_memory(Actor("test".into())).unwrap();
        for f in order {
            import_into(&mut store, &format!("msticpy/tests/testdata/localdata/{f}"));
        }
        let n = |sql: &str| -> i64 { store.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            n("SELECT count(*) FROM entities WHERE kind='host'"),
            1,
            "{order:?}"
        );
        assert_eq!(n("SELECT count(*) FROM entities WHERE kind='host' AND strength='strong' AND label LIKE 'msticalertswin1'"), 1);
        assert_eq!(
            n("SELECT count(*) FROM entities WHERE kind='host' AND key LIKE '~%'"),
            0
        );
        let keys = n("SELECT count(*) FROM entity_keys k JOIN entities e ON e.id = k.entity_id WHERE e.kind='host' AND (k.key = 'host|omsagentid=263a788b-6526-4cdc-8ed9-d79402fe4aa0' OR k.key = 'host|azureid=/subscriptions/40dcc8bf-0478-4f3b-b275-ed0a94f2c013/resourcegroups/asihuntomsworkspacerg/providers/microsoft.compute/virtualmachines/msticalertswin1')");
        assert_eq!(keys, 2, "{order:?}");
        // every event of both files is linked to that host
        assert_eq!(
            n("SELECT count(*) FROM events"),
            n("SELECT count(DISTINCT r.src) FROM relations r JOIN entities e ON r.dst = 'entity:' || e.id WHERE r.kind = 'mentions' AND e.kind = 'host'")
        );
    }
}

#[test]
fn securityevent_4688_process_creation() {
    let rel = "msticpy/tests/testdata/localdata/processes_on_host.jsonl";
    let i = import_fixture(rel);
    assert_eq!(i.events(), nonempty_lines(rel));
    for k in ["ParentProcess", "ImageFile", "created_by"] {
        assert_eq!(
            i.n(&format!("SELECT count(*) FROM relations WHERE kind='{k}'")),
            25,
            "{k}"
        );
    }
    // the new process runs as someone and is on its host (as is its creator)
    for k in ["ran_as", "Host"] {
        assert_eq!(
            i.n(&format!("SELECT count(*) FROM relations WHERE kind='{k}' AND src IN (SELECT src FROM relations WHERE kind = 'ImageFile')")),
            25,
            "{k}"
        );
    }
    // processes are strong: host + pid + creation time
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='process' AND strength='strong'") >= 25);
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='file' AND label='conhost.exe'") == 1);
}

#[test]
fn securityevent_wide_226_columns() {
    let rel = "msticpy/tests/testdata/localdata/all_events_df.jsonl";
    let i = import_fixture(rel);
    assert_eq!(i.events(), nonempty_lines(rel));
    let cols: i64 = i.n(&format!(
        "SELECT count(*) FROM events, json_each({}) WHERE events.id = (SELECT min(id) FROM events)",
        cb_store::fields::sql("events.fields")
    ));
    assert!(cols >= 200, "{cols} columns kept");
    assert!(i.out.skipped.is_empty());
}

#[test]
fn signinlogs() {
    let rel = "msticpy/tests/testdata/localdata/aad_logons.jsonl";
    let i = import_fixture(rel);
    assert_eq!(i.events(), nonempty_lines(rel));
    assert_eq!(i.events(), 86);
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE source='SigninLogs'"),
        86
    );
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='signed_in_from' AND props LIKE '%\"app\":%'") > 0);
    // accounts identified by AadUserId (strong)
    assert!(
        i.n(
            "SELECT count(*) FROM entities WHERE kind='account' AND key LIKE 'account|aaduserid=%'"
        ) > 0
    );
}

#[test]
fn azure_network_flows() {
    let rel = "msticpy/tests/testdata/localdata/az_net_comms_df.jsonl";
    let i = import_fixture(rel);
    assert_eq!(i.events(), nonempty_lines(rel));
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to' AND props LIKE '%\"port\":\"443\"%'") > 0);
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='ip' AND label='10.0.3.5'") == 1);
}

#[test]
fn otrf_flattened_windows_and_sysmon_in_zip() {
    let rel = "otrf-security-datasets/datasets/atomic/windows/credential_access/host/cmd_sam_copy_esentutl.zip";
    let i = import_fixture(rel);
    assert_eq!(i.format.name(), "zip");
    assert_eq!(i.events(), 915); // unzip -p | grep -c .
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE source='Sysmon'"),
        711
    ); // grep -c Sysmon/Operational channel
    assert!(i.n("SELECT count(*) FROM events WHERE source='Sysmon' AND event_id='1' AND summary LIKE '%esentutl.exe%'") >= 1);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='ParentProcess'") > 0);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='FileHashes'") > 0);
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='filehash' AND props LIKE '%8A0BF768502C8006CEAC62E3F1564E6893595170A4601E89B0F67C574EC98C41%'") == 1);
    for (rel, n) in [
        ("otrf-security-datasets/datasets/atomic/windows/credential_access/host/psh_lsass_memory_dump_comsvcs.zip", 184),
        ("otrf-security-datasets/datasets/atomic/windows/execution/host/psh_powershell_httplistener.zip", 110),
    ] {
        assert_eq!(import_fixture(rel).events(), n, "{rel}");
    }
}

#[test]
fn goldensaml_compound_tables_in_capital_zip() {
    for (rel, n, source) in [
        ("otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip", 38, "SecurityEvent"),
        ("otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/AADAuditEvents.Zip", 4, ""),
        ("otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/Microsoft365DefenderEvents.Zip", 9, ""),
        ("otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/OfficeActivityEvents.Zip", 1, "OfficeActivity"),
    ] {
        let i = import_fixture(rel);
        assert_eq!(i.events(), n, "{rel}: {:?}", i.out.skipped);
        if !source.is_empty() {
            assert_eq!(i.n(&format!("SELECT count(*) FROM events WHERE source='{source}'")), n, "{rel}");
        }
    }
}

#[test]
fn nxlog_2019_flattened_tar_gz() {
    let rel = "otrf-security-datasets/datasets/atomic/windows/persistence/host/covenant_persistwmi.tar.gz";
    let i = import_fixture(rel);
    assert_eq!(i.format.name(), "gzip");
    // `tar xzOf … | grep -c .` prints 1001 lines (gzip then complains about one stray byte
    // after the gzip stream, past the end of the tar archive: nothing is lost)
    assert_eq!(i.events(), 1001);
    assert!(i.out.skipped.is_empty(), "{:?}", i.out.skipped);
}

#[test]
fn winlogbeat_2019_nested_tar_gz() {
    let rel = "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_enable_rdp.tar.gz";
    let i = import_fixture(rel);
    assert_eq!(i.events(), 2668); // tar xzOf | grep -c .
    assert!(i.out.skipped.is_empty(), "{:?}", i.out.skipped);
    assert_eq!(
        i.n(&format!(
            "SELECT count(*) FROM events WHERE json_extract({}, '$.log_name') IS NOT NULL",
            cb_store::fields::sql("fields")
        )),
        2668,
        "nested form kept as read"
    );
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE event_id IS NULL OR time IS NULL"),
        0
    );
    // per-EventID counts, from python3 json over the same lines
    for (channel, eid, n) in [
        ("Microsoft-Windows-Sysmon/Operational", "12", 701),
        ("Microsoft-Windows-Sysmon/Operational", "13", 293),
        ("Security", "5156", 99),
        ("Microsoft-Windows-Sysmon/Operational", "3", 89),
    ] {
        assert_eq!(
            i.n(&format!(
                "SELECT count(*) FROM events WHERE channel='{channel}' AND event_id='{eid}'"
            )),
            n,
            "{channel} {eid}"
        );
    }
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to'") > 0);
    assert!(
        i.n("SELECT count(*) FROM entities WHERE kind='host' AND label LIKE '%.shire.com'") > 0
    );
    assert!(i.n("SELECT count(*) FROM events WHERE source='Sysmon'") > 0);
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='host'") > 0);
}

#[test]
fn zeek_logs_in_zip() {
    let rel = "otrf-security-datasets/datasets/compound/apt29/day1/zeek/SCRANTON-zeek_logs.zip";
    let i = import_fixture(rel);
    assert_eq!(i.events(), 415); // unzip -p | grep -c .
    assert!(i.out.skipped.is_empty(), "{:?}", i.out.skipped);
    assert!(i.n("SELECT count(*) FROM events WHERE source='zeek.conn'") > 0);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to'") > 0);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='dns_query'") > 0);
    assert!(i.n("SELECT count(*) FROM events WHERE time LIKE '2020-04-30T%Z' OR time LIKE '2020-05-0%Z'") == 415);
}

#[test]
fn zeek_tsv_logs_in_zip() {
    let rel = "otrf-security-datasets/datasets/compound/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump_zeek_logs.zip";
    let i = import_fixture(rel);
    // per member: unzip -p … <member> | grep -vc '^#'
    for (source, n) in [
        ("zeek.conn", 119),
        ("zeek.dns", 147),
        ("zeek.files", 2),
        ("zeek.http", 3),
        ("zeek.packet_filter", 1),
        ("zeek.weird", 6),
    ] {
        assert_eq!(
            i.n(&format!(
                "SELECT count(*) FROM events WHERE source='{source}'"
            )),
            n,
            "{source}"
        );
    }
    assert!(i.out.skipped.is_empty(), "{:?}", i.out.skipped);
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE time IS NULL AND source <> 'zeek.packet_filter'"),
        0
    );
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to' AND props LIKE '%\"port\":\"53\"%'") > 0);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='dns_query'") > 0);
    let p = fixture(rel);
    let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
    let mut conn = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name("conn.log").unwrap(), &mut conn).unwrap();
    assert_eq!(
        detect(Path::new("conn.log"), &conn),
        Some(EventFormat::Table(Table::Zeek, Layout::ZeekTsv))
    );
}

#[test]
fn defender_process_reports_csv() {
    // the first 40 rows of msticpy's mde_proc_cs1.csv (python csv: 40 records)
    let i = import_fixture("msticpy/tests/testdata/mde_proc_cs1.head40.csv");
    assert_eq!(i.format.name(), "logtable-csv");
    assert_eq!(i.events(), 40);
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE source='DeviceProcessEvents' AND time IS NOT NULL"),
        40
    );
    for k in ["ParentProcess", "ImageFile", "Host"] {
        assert_eq!(
            i.n(&format!("SELECT count(*) FROM relations WHERE kind='{k}'")),
            40,
            "{k}"
        );
    }
}

#[test]
fn aws_cloudtrail_and_linux_auditd_in_zip() {
    let i = import_fixture(
        "otrf-security-datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip",
    );
    assert_eq!(i.events(), 103); // unzip -p | grep -c .
    assert_eq!(i.n("SELECT count(*) FROM events WHERE source='AWSCloudTrail' AND time IS NOT NULL AND event_id IS NOT NULL"), 103);
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE event_id='AssumeRole'"),
        5
    );
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='signed_in_from'") > 0);
    let i = import_fixture(
        "otrf-security-datasets/datasets/atomic/linux/discovery/host/sh_arp_cache.zip",
    );
    assert_eq!(i.events(), 12); // unzip -p | grep -c .
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE source='auditd' AND event_id='SYSCALL'"),
        2
    );
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='file' AND label='arp'") == 1);
    assert!(i.n("SELECT count(*) FROM events WHERE time LIKE '2020-11-10T%'") == 12);
}

#[test]
fn suricata_eve_json_arrays() {
    for (rel, n) in [
        (
            "suricata-sample-data/samples/honeypot-2018/alerts-only.json",
            44,
        ),
        (
            "suricata-sample-data/samples/first-org-conf-2015/alerts-only.json",
            136,
        ),
    ] {
        let i = import_fixture(rel);
        assert_eq!(i.format.name(), "suricata-eve-json");
        assert_eq!(i.events(), n, "{rel}"); // python3 -c 'len(json.load(...))'
        assert!(i.out.skipped.is_empty());
        assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to'") > 0);
    }
}

#[test]
fn ocsf_and_ecs() {
    let i = import_fixture("caseboard-made/ocsf-events.jsonl");
    assert_eq!(i.events(), 3);
    assert_eq!(
        i.n("SELECT count(*) FROM events WHERE source='ocsf.detection_finding'"),
        1
    );
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='logged_on'") == 1);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='connected_to'") >= 1);
    let i = import_fixture("caseboard-made/ecs-events.ndjson");
    assert_eq!(i.events(), 3);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='ParentProcess'") == 1);
    assert!(i.n("SELECT count(*) FROM relations WHERE kind='dns_query'") == 1);
}

#[test]
fn stix_bundles() {
    let i = import_fixture("stix2-json-schemas/examples/infrastructure.json");
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='infrastructure'") == 2);
    assert!(
        i.n("SELECT count(*) FROM relations WHERE kind NOT IN ('mentions','possibly_same_as')")
            >= 1
    );
    let i = import_fixture("mitre-cti/enterprise-tactics.json");
    assert_eq!(
        i.n("SELECT count(*) FROM entities WHERE kind='x-mitre-tactic'"),
        14
    );
    for f in [
        "indicator-for-c2-ip-address.json",
        "indicators-for-C2-with-COA.json",
        "malicious-email-indicator-with-attachment.json",
    ] {
        let i = import_fixture(&format!("stix2-json-schemas/examples/{f}"));
        assert!(i.n("SELECT count(*) FROM entities") >= 1, "{f}");
    }
    // a sighting becomes an event linked to what it saw
    let dir = std::env::temp_dir().join(format!("cb-events-stix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("b.json");
    std::fs::write(
        &p,
        r#"{"type":"bundle","id":"bundle--1","objects":[
        {"type":"sighting","spec_version":"2.1","id":"sighting--1","created":"2021-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","first_seen":"2021-01-01T10:00:00Z","count":3,"sighting_of_ref":"indicator--1","where_sighted_refs":["identity--1"]},
        {"type":"indicator","spec_version":"2.1","id":"indicator--1","created":"2021-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","name":"bad ip","pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z"},
        {"type":"identity","spec_version":"2.1","id":"identity--1","created":"2021-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","name":"ACME SOC"},
        {"type":"relationship","spec_version":"2.1","id":"relationship--1","created":"2021-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--missing"}
        ]}"#,
    )
    .unwrap();
    let fmt = detect(&p, &head(&p)).unwrap();
    let mut store = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let meta = SourceMeta {
        path: "b.json".into(),
        sha256: "b".into(),
        size: 0,
        format: fmt.name().into(),
    };
    let out = store
        .import_source(&meta, &mut |_, _| true, &mut |s: &mut dyn Sink| {
            import(fmt, &p, s, &Settings::default())
        })
        .unwrap();
    let n = |sql: &str| -> i64 { store.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(n("SELECT count(*) FROM events WHERE source='stix2.sighting' AND time='2021-01-01T10:00:00.000Z'"), 1);
    assert_eq!(
        n("SELECT count(*) FROM relations WHERE kind='mentions' AND src LIKE 'event:%'"),
        2
    );
    assert_eq!(n("SELECT count(*) FROM relations WHERE kind='sighted'"), 1);
    assert_eq!(
        out.skipped.len(),
        1,
        "the dangling relationship is reported"
    );
    assert!(out.skipped[0].reason.contains("malware--missing"));
    std::fs::remove_dir_all(&dir).ok();
}

// ----------------------------------------------------------------------------------------------
// EVTX

#[test]
fn evtx_counts_match_the_evtx_crate() {
    for rel in [
        "evtx-rs-samples/samples/Security_short_selected.evtx",
        "evtx-rs-samples/samples/new-user-security.evtx",
        "evtx-rs-samples/samples/issue_201.evtx",
        "evtx-rs-samples/samples/Application_no_crc32.evtx",
        "evtx-rs-samples/samples/sysmon.evtx",
        "evtx-rs-samples/samples/sample_with_a_bad_chunk_magic.evtx",
    ] {
        let (ok, bad, per) = evtx_crate_counts(rel);
        let i = import_fixture(rel);
        assert_eq!(i.events(), ok, "{rel}");
        // `evtx_dump -o jsonl <file> | wc -l` (evtx 0.15.1), run by hand
        let dump = match rel.rsplit('/').next().unwrap() {
            "Application_no_crc32.evtx" => 17,
            "Security_short_selected.evtx" => 7,
            "issue_201.evtx" => 1,
            "new-user-security.evtx" => 4,
            "sample_with_a_bad_chunk_magic.evtx" => 301,
            "sysmon.evtx" => 358,
            _ => unreachable!(),
        };
        assert_eq!(i.events(), dump, "{rel} vs evtx_dump");
        let mut st = i
            .store
            .conn()
            .prepare("SELECT event_id, count(*) FROM events GROUP BY event_id")
            .unwrap();
        let ours: std::collections::BTreeMap<String, i64> = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ours, per, "{rel}: per EventID");
        assert_eq!(
            i.out.skipped.len() as i64,
            bad,
            "{rel}: {:?}",
            i.out.skipped
        );
    }
}

#[test]
fn evtx_sysmon_entities_and_damaged_file() {
    let i = import_fixture("evtx-rs-samples/samples/sysmon.evtx");
    assert!(i.n("SELECT count(*) FROM events WHERE source='Sysmon'") > 0);
    assert!(i.n("SELECT count(*) FROM events WHERE event_id IS NULL OR time IS NULL") == 0);
    assert!(i.n("SELECT count(*) FROM entities WHERE kind='host'") >= 1);
    let i = import_fixture("evtx-rs-samples/samples/sample_with_a_bad_chunk_magic.evtx");
    assert!(i.events() > 0, "readable records survive the bad chunk");
    assert!(!i.out.skipped.is_empty(), "the bad chunk is reported");
}

// ----------------------------------------------------------------------------------------------
// robustness, progress, cancel

#[test]
fn bad_records_never_abort_a_file() {
    let dir = std::env::temp_dir().join(format!("cb-events-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("mixed.jsonl");
    let good = r#"{"TimeGenerated":"2019-02-12T04:56:34.307","Computer":"WIN1","EventID":4624,"TargetUserName":"bob","TargetDomainName":"CORP","LogonType":10,"IpAddress":"10.1.2.3"}"#;
    std::fs::write(&p, format!("{good}\n{{not json\n\n[1,2]\n{good}\n")).unwrap();
    let fmt = detect(&p, &head(&p)).unwrap();
    let mut store = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let meta = SourceMeta {
        path: "m".into(),
        sha256: "m".into(),
        size: 0,
        format: fmt.name().into(),
    };
    let out = store
        .import_source(&meta, &mut |_, _| true, &mut |s: &mut dyn Sink| {
            import(fmt, &p, s, &Settings::default())
        })
        .unwrap();
    assert_eq!(out.added.events, 2);
    let reasons: Vec<_> = out
        .skipped
        .iter()
        .map(|s| (s.record, s.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, 2);
    assert!(
        reasons[0].1.starts_with("line 2: invalid JSON"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].1.starts_with("line 4: not a JSON object"),
        "{reasons:?}"
    );

    // progress is reported and a cancel stops the import
    let mut calls = 0;
    let settings = Settings {
        progress_every: 1,
        ..Settings::default()
    };
    let mut store = SqliteStore::in_memory(Actor("t".into())).unwrap();
    let r = store.import_source(
        &meta,
        &mut |records, _| {
            calls += 1;
            records < 2
        },
        &mut |s: &mut dyn Sink| import(fmt, &p, s, &settings),
    );
    assert!(r.is_err(), "cancelled");
    assert!(calls >= 2);
    let n: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "a cancelled file leaves nothing");
    std::fs::remove_dir_all(&dir).ok();
}

/// A sink that only counts, to check the crate never needs more than the trait.
#[derive(Default)]
struct Counter {
    events: u64,
    skipped: u64,
}

impl Sink for Counter {
    fn entity(
        &mut self,
        _: &cb_domain::EntityRecord,
        _: Option<&str>,
        _: u64,
    ) -> Result<(cb_domain::NodeId, String), SinkError> {
        Ok((cb_domain::NodeId::Entity(1), "k".into()))
    }
    fn alert(
        &mut self,
        _: &cb_domain::AlertRecord,
        _: &serde_json::Value,
        _: u64,
    ) -> Result<cb_domain::NodeId, SinkError> {
        unreachable!()
    }
    fn incident(
        &mut self,
        _: &cb_domain::IncidentRecord,
        _: &serde_json::Value,
        _: u64,
    ) -> Result<cb_domain::NodeId, SinkError> {
        unreachable!()
    }
    fn event(
        &mut self,
        _: &cb_domain::EventRecord,
        _: u64,
    ) -> Result<cb_domain::NodeId, SinkError> {
        self.events += 1;
        Ok(cb_domain::NodeId::Event(self.events as i64))
    }
    fn relation(
        &mut self,
        _: cb_domain::NodeId,
        _: cb_domain::NodeId,
        _: &str,
        _: &serde_json::Map<String, serde_json::Value>,
        _: u64,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn skip(&mut self, _: u64, _: String) {
        self.skipped += 1;
    }
    fn progress(&mut self, _: u64, _: u64) -> Result<(), SinkError> {
        Ok(())
    }
}

#[test]
fn missing_file_is_a_skip_not_a_panic() {
    let mut c = Counter::default();
    import(
        EventFormat::Evtx,
        Path::new("/nonexistent/x.evtx"),
        &mut c,
        &Settings::default(),
    )
    .unwrap();
    assert_eq!((c.events, c.skipped), (0, 1));
}
