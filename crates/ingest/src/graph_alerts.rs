//! Microsoft Graph security `alert` (alerts_v2): `evidence[]` with `@odata.type`, roles,
//! verdict and remediation status.

use crate::alerts::{get, list, text};
use cb_domain::{
    time, AlertRecord, EntityRecord, IncidentRecord, NodeId, RecordNo, Severity, Sink, SinkError,
    Status,
};
use serde_json::{Map, Value};

fn sub<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a Map<String, Value>> {
    o.get(k).and_then(|v| v.as_object())
}

/// Evidence metadata kept on the entity.
fn evidence_props(e: &Map<String, Value>, mut rec: EntityRecord) -> EntityRecord {
    for k in [
        "verdict",
        "remediationStatus",
        "detectionStatus",
        "roles",
        "detailedRoles",
        "tags",
    ] {
        if let Some(v) = e.get(k).filter(|v| !cb_domain::is_blank(v)) {
            rec.props.insert(k.to_string(), v.clone());
        }
    }
    rec
}

fn file_entity(f: &Map<String, Value>) -> EntityRecord {
    EntityRecord::new("file")
        .with("Name", text(f, &["fileName"]))
        .with("Directory", text(f, &["filePath"]))
        .with("Size", f.get("fileSize").cloned().unwrap_or(Value::Null))
        .with("Publisher", text(f, &["filePublisher"]))
}

fn account_entity(u: &Map<String, Value>) -> EntityRecord {
    let upn = text(u, &["userPrincipalName"]);
    let upn_suffix = upn
        .split_once('@')
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    EntityRecord::new("account")
        .with("Name", text(u, &["accountName"]))
        .with("NTDomain", text(u, &["domainName"]))
        .with("Sid", text(u, &["userSid"]))
        .with("AadUserId", text(u, &["azureAdUserId"]))
        .with("UPNSuffix", upn_suffix)
        .with("DisplayName", text(u, &["displayName"]))
}

/// Entities (with relations) for one file: the file and its hashes.
fn store_file(
    f: &Map<String, Value>,
    sink: &mut dyn Sink,
    record: RecordNo,
    extra: Option<&Map<String, Value>>,
) -> Result<Vec<NodeId>, SinkError> {
    let mut rec = file_entity(f);
    if let Some(e) = extra {
        rec = evidence_props(e, rec);
    }
    let (file, _) = sink.entity(&rec, None, record)?;
    let mut out = vec![file];
    for (alg, key) in [("SHA1", "sha1"), ("SHA256", "sha256"), ("MD5", "md5")] {
        let v = text(f, &[key]);
        if !v.is_empty() {
            let (h, _) = sink.entity(
                &EntityRecord::new("filehash")
                    .with("Algorithm", alg)
                    .with("Value", v),
                None,
                record,
            )?;
            sink.relation(file, h, "FileHashes", &Map::new(), record)?;
            out.push(h);
        }
    }
    Ok(out)
}

pub fn import(
    o: &Map<String, Value>,
    raw: &Value,
    sink: &mut dyn Sink,
    record: RecordNo,
) -> Result<Result<(), String>, SinkError> {
    let id = text(o, &["id", "providerAlertId"]);
    if id.is_empty() {
        return Ok(Err("Graph alert without an id".into()));
    }
    let mut techniques = list(get(o, &["mitreTechniques"]));
    techniques.dedup();
    let mut extended = Map::new();
    for k in [
        "serviceSource",
        "detectionSource",
        "detectorId",
        "determination",
        "classification",
        "alertWebUrl",
        "incidentWebUrl",
        "tenantId",
        "threatFamilyName",
        "threatDisplayName",
    ] {
        if let Some(v) = o.get(k).filter(|v| !cb_domain::is_blank(v)) {
            extended.insert(k.to_string(), v.clone());
        }
    }
    let a = AlertRecord {
        ext_id: id.clone(),
        name: text(o, &["title"]),
        alert_type: text(o, &["detectorId", "category"]),
        severity: Severity::parse(&text(o, &["severity"])),
        status: Status::parse(&text(o, &["status"])),
        provider: text(o, &["detectionSource"]),
        product: text(o, &["serviceSource", "productName"]),
        vendor: "Microsoft".into(),
        description: text(o, &["description"]),
        remediation: text(o, &["recommendedActions"])
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches(['\u{fffd}', '•', '-'])
                    .trim()
                    .to_string()
            })
            .filter(|l| !l.is_empty())
            .collect(),
        tactics: list(get(o, &["category"])),
        techniques,
        start: get(o, &["firstActivityDateTime"])
            .and_then(|v| v.as_str())
            .and_then(time::normalize),
        end: get(o, &["lastActivityDateTime"])
            .and_then(|v| v.as_str())
            .and_then(time::normalize),
        generated: get(o, &["createdDateTime"])
            .and_then(|v| v.as_str())
            .and_then(time::normalize),
        compromised_entity: String::new(),
        resource_id: String::new(),
        extended,
        contains_alerts: vec![],
        is_incident: false,
    };
    let mut a = a;
    let mut involved: Vec<NodeId> = Vec::new();
    let empty = Map::new();
    for ev in get(o, &["evidence"])
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let Some(e) = ev.as_object() else { continue };
        let t = text(e, &["@odata.type"])
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_string();
        match t.as_str() {
            "deviceEvidence" => {
                let dns = text(e, &["deviceDnsName"]);
                let (host, domain) = match dns.split_once('.') {
                    Some((h, d)) => (h.to_string(), d.to_string()),
                    None => (dns.clone(), String::new()),
                };
                let mut rec = EntityRecord::new("host")
                    .with("HostName", host)
                    .with("DnsDomain", domain)
                    .with("MdeDeviceId", text(e, &["mdeDeviceId"]))
                    .with(
                        "AzureID",
                        sub(e, "vmMetadata")
                            .map(|m| text(m, &["resourceId"]))
                            .unwrap_or_default(),
                    )
                    .with("OSFamily", text(e, &["osPlatform"]))
                    .with("OSVersion", text(e, &["version", "osBuild"]))
                    .with("RiskScore", text(e, &["riskScore"]))
                    .with(
                        "IpInterfaces",
                        e.get("ipInterfaces").cloned().unwrap_or(Value::Null),
                    );
                rec = evidence_props(e, rec);
                let (h, _) = sink.entity(&rec, None, record)?;
                if a.compromised_entity.is_empty()
                    && e.get("roles")
                        .is_some_and(|r| r.to_string().contains("compromised"))
                {
                    a.compromised_entity = dns.clone();
                }
                involved.push(h);
            }
            "userEvidence" => {
                if let Some(u) = sub(e, "userAccount") {
                    let (acc, _) =
                        sink.entity(&evidence_props(e, account_entity(u)), None, record)?;
                    involved.push(acc);
                }
            }
            "ipEvidence" => {
                let (ip, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("ip")
                            .with("Address", text(e, &["ipAddress"]))
                            .with("CountryLetterCode", text(e, &["countryLetterCode"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(ip);
            }
            "urlEvidence" => {
                let (u, _) = sink.entity(
                    &evidence_props(e, EntityRecord::new("url").with("Url", text(e, &["url"]))),
                    None,
                    record,
                )?;
                involved.push(u);
            }
            "fileEvidence" => {
                if let Some(f) = sub(e, "fileDetails") {
                    involved.extend(store_file(f, sink, record, Some(e))?);
                }
            }
            "processEvidence" => {
                let rec = evidence_props(
                    e,
                    EntityRecord::new("process")
                        .with(
                            "ProcessId",
                            e.get("processId").cloned().unwrap_or(Value::Null),
                        )
                        .with("CommandLine", text(e, &["processCommandLine"]))
                        .with("CreationTimeUtc", text(e, &["processCreationDateTime"])),
                );
                // Graph evidence names the device by mdeDeviceId: scope processes to it
                let host_key = Some(format!("mde|{}", text(e, &["mdeDeviceId"])));
                let (p, _) = sink.entity(&rec, host_key.as_deref(), record)?;
                involved.push(p);
                if let Some(f) = sub(e, "imageFile") {
                    let files = store_file(f, sink, record, None)?;
                    sink.relation(p, files[0], "ImageFile", &empty, record)?;
                    involved.extend(files);
                }
                if let Some(u) = sub(e, "userAccount") {
                    let (acc, _) = sink.entity(&account_entity(u), None, record)?;
                    sink.relation(p, acc, "Account", &empty, record)?;
                    involved.push(acc);
                }
                if e.get("parentProcessId").is_some_and(|v| !v.is_null()) {
                    let parent = EntityRecord::new("process")
                        .with(
                            "ProcessId",
                            e.get("parentProcessId").cloned().unwrap_or(Value::Null),
                        )
                        .with(
                            "CreationTimeUtc",
                            text(e, &["parentProcessCreationDateTime"]),
                        );
                    let (pp, _) = sink.entity(&parent, host_key.as_deref(), record)?;
                    sink.relation(p, pp, "ParentProcess", &empty, record)?;
                    involved.push(pp);
                    if let Some(f) = sub(e, "parentProcessImageFile") {
                        let files = store_file(f, sink, record, None)?;
                        sink.relation(pp, files[0], "ImageFile", &empty, record)?;
                        involved.extend(files);
                    }
                }
            }
            "registryKeyEvidence" => {
                let (k, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("registry-key")
                            .with("Hive", text(e, &["registryHive"]))
                            .with("Key", text(e, &["registryKey"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(k);
            }
            "registryValueEvidence" => {
                let (k, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("registry-value")
                            .with("Name", text(e, &["registryValueName"]))
                            .with("Value", text(e, &["registryValue"]))
                            .with("Key", text(e, &["registryKey"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(k);
            }
            "mailboxEvidence" => {
                let (m, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("mailbox")
                            .with("MailboxPrimaryAddress", text(e, &["primaryAddress"]))
                            .with("DisplayName", text(e, &["displayName"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(m);
            }
            "cloudApplicationEvidence" => {
                let (c, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("cloud-application")
                            .with("AppId", text(e, &["appId"]))
                            .with("Name", text(e, &["displayName"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(c);
            }
            "azureResourceEvidence" => {
                let (r, _) = sink.entity(
                    &evidence_props(
                        e,
                        EntityRecord::new("azure-resource")
                            .with("ResourceId", text(e, &["resourceId"]))
                            .with("Name", text(e, &["resourceName"])),
                    ),
                    None,
                    record,
                )?;
                involved.push(r);
            }
            other => {
                // unknown evidence kinds are kept, weakly identified, with all their scalars
                let mut rec =
                    EntityRecord::new(&other.trim_end_matches("Evidence").to_ascii_lowercase());
                for (k, v) in e {
                    if !v.is_object() && !v.is_array() && !k.starts_with('@') {
                        rec = rec.with(k, v.clone());
                    }
                }
                let (n, _) = sink.entity(&rec, None, record)?;
                involved.push(n);
            }
        }
    }
    let alert = sink.alert(&a, raw, record)?;
    let mut seen = Vec::new();
    for n in involved {
        if !seen.contains(&n) {
            sink.relation(alert, n, "involves", &empty, record)?;
            seen.push(n);
        }
    }
    let inc = text(o, &["incidentId"]);
    if !inc.is_empty() {
        sink.incident(
            &IncidentRecord {
                ext_id: format!("graph-incident:{inc}"),
                title: format!("Defender XDR incident {inc}"),
                number: inc.parse().ok(),
                provider: a.product.clone(),
                alert_ext_ids: vec![id],
                ..Default::default()
            },
            &Value::Null,
            record,
        )?;
    }
    Ok(Ok(()))
}
