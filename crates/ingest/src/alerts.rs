//! Alert and incident objects of the Microsoft formats, mapped to domain records.
//! Field lookup is case-insensitive so Sentinel table rows (PascalCase) and REST bodies
//! (camelCase) share one mapper.

use crate::entities;
use cb_domain::{time, AlertRecord, IncidentRecord, RecordNo, Severity, Sink, SinkError, Status};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Case-insensitive lookup of the first present, non-blank key.
pub fn get<'a>(o: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    for k in keys {
        if let Some(v) = o.get(*k).filter(|v| !cb_domain::is_blank(v)) {
            return Some(v);
        }
        if let Some((_, v)) = o
            .iter()
            .find(|(ok, v)| ok.eq_ignore_ascii_case(k) && !cb_domain::is_blank(v))
        {
            return Some(v);
        }
    }
    None
}

pub fn text(o: &Map<String, Value>, keys: &[&str]) -> String {
    match get(o, keys) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

fn time_of(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    get(o, keys)
        .and_then(|v| {
            v.as_str()
                .map(String::from)
                .or_else(|| v.as_f64().map(|f| f.to_string()))
        })
        .and_then(|s| time::normalize(&s))
}

fn truthy(o: &Map<String, Value>, keys: &[&str]) -> bool {
    match get(o, keys) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// The elements of a JSON array as text (strings as they are, anything else as JSON).
fn texts(a: &[Value]) -> Vec<String> {
    a.iter()
        .map(|x| {
            x.as_str()
                .map(String::from)
                .unwrap_or_else(|| x.to_string())
        })
        .collect()
}

/// A list that may be a JSON array, a JSON array inside a string, or comma/newline text.
pub fn list(v: Option<&Value>) -> Vec<String> {
    let items: Vec<String> = match v {
        None => vec![],
        Some(Value::Array(a)) => texts(a),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.starts_with('[') {
                match serde_json::from_str::<Value>(t) {
                    Ok(Value::Array(a)) => texts(&a),
                    _ => vec![t.to_string()],
                }
            } else {
                t.split([',', '\n']).map(String::from).collect()
            }
        }
        Some(other) => vec![other.to_string()],
    };
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "Unknown")
        .collect()
}

/// Remediation text: a JSON array in a string (Sentinel), a list (Defender) or prose with one
/// step per line (Graph `recommendedActions`).
fn steps(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) if !s.trim_start().starts_with('[') => s
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches(['\u{fffd}', '•', '-', '\t'])
                    .trim()
                    .to_string()
            })
            .filter(|l| !l.is_empty())
            .collect(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s.trim()) {
            Ok(Value::Array(a)) => texts(&a),
            _ => vec![s.trim().to_string()],
        },
        Some(Value::Array(a)) => texts(a),
        _ => vec![],
    }
}

fn object(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

fn fingerprint(o: &Map<String, Value>) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_string(o).unwrap_or_default().as_bytes());
    format!("sha256:{}", hex::encode(&h.finalize()[..16]))
}

/// A Sentinel SecurityAlert row (table export) or a Sentinel/Defender REST alert's
/// `properties` object.
pub fn alert_from(o: &Map<String, Value>) -> AlertRecord {
    let mut ext_id = text(o, &["SystemAlertId", "VendorOriginalId", "ProviderAlertId"]);
    if ext_id.is_empty() {
        ext_id = fingerprint(o);
    }
    let name = text(
        o,
        &[
            "AlertDisplayName",
            "DisplayName",
            "FriendlyName",
            "AlertName",
            "Title",
        ],
    );
    let mut tactics = list(get(o, &["Tactics", "Intent"]));
    tactics.retain(|t| !t.eq_ignore_ascii_case("unknown"));
    let mut techniques = list(get(o, &["Techniques"]));
    techniques.extend(list(get(o, &["SubTechniques"])));
    let resource = get(o, &["ResourceIdentifiers"])
        .and_then(|v| v.as_array())
        .and_then(|a| {
            a.iter().find_map(|r| {
                r.get("azureResourceId")
                    .and_then(|x| x.as_str())
                    .map(String::from)
            })
        })
        .unwrap_or_else(|| text(o, &["ResourceId", "AzureResourceId"]));
    AlertRecord {
        ext_id,
        name: if name.is_empty() {
            "(unnamed alert)".into()
        } else {
            name
        },
        alert_type: text(o, &["AlertType"]),
        severity: Severity::parse(&text(o, &["Severity", "AlertSeverity", "ReportedSeverity"])),
        status: Status::parse(&text(o, &["Status"])),
        provider: text(o, &["ProviderName", "ProductComponentName"]),
        product: text(o, &["ProductName"]),
        vendor: text(o, &["VendorName"]),
        description: text(o, &["Description"]),
        remediation: steps(get(o, &["RemediationSteps"])),
        tactics,
        techniques,
        start: time_of(o, &["StartTimeUtc", "StartTime"]),
        end: time_of(o, &["EndTimeUtc", "EndTime"]),
        generated: time_of(
            o,
            &["TimeGenerated", "TimeGeneratedUtc", "ProcessingEndTime"],
        ),
        compromised_entity: text(o, &["CompromisedEntity"]),
        resource_id: resource,
        extended: {
            let mut m = object(get(o, &["ExtendedProperties"]));
            for (k, v) in object(get(o, &["AdditionalData"])) {
                m.entry(k).or_insert(v);
            }
            m
        },
        contains_alerts: vec![],
        is_incident: truthy(o, &["IsIncident"]),
    }
}

/// Store one alert object and its entities. `Ok(Err(reason))` = skip the record.
pub fn import_alert(
    o: &Map<String, Value>,
    raw: &Value,
    sink: &mut dyn Sink,
    record: RecordNo,
) -> Result<Result<(), String>, SinkError> {
    let mut a = alert_from(o);
    let resolved =
        match entities::resolve(get(o, &["Entities"]).unwrap_or(&Value::Null), sink, record)? {
            Ok(r) => r,
            Err(reason) => return Ok(Err(reason)),
        };
    a.contains_alerts = resolved.alert_refs.clone();
    let id = sink.alert(&a, raw, record)?;
    for n in &resolved.nodes {
        sink.relation(id, *n, "involves", &Map::new(), record)?;
    }
    if a.is_incident {
        // an ASC/Defender "security incident" alert: the alerts it groups form an incident
        let inc = IncidentRecord {
            ext_id: format!("alert-incident:{}", a.ext_id),
            title: a.name.clone(),
            severity: a.severity,
            status: a.status,
            description: a.description.clone(),
            created: a.generated.clone(),
            first_activity: a.start.clone(),
            last_activity: a.end.clone(),
            provider: a.provider.clone(),
            tactics: a.tactics.clone(),
            // an incident alert that lists no alerts stands for itself
            alert_ext_ids: if a.contains_alerts.is_empty() {
                vec![a.ext_id.clone()]
            } else {
                a.contains_alerts.clone()
            },
            ..Default::default()
        };
        sink.incident(&inc, raw, record)?;
    }
    Ok(Ok(()))
}

/// A Sentinel incident: a flattened table row (`properties.title`…) or a REST object
/// (`properties: {title…}`).
pub fn import_incident(
    o: &Map<String, Value>,
    raw: &Value,
    sink: &mut dyn Sink,
    record: RecordNo,
    extra_alerts: &[String],
) -> Result<Result<(), String>, SinkError> {
    let mut p: Map<String, Value> = object(o.get("properties"));
    for (k, v) in o {
        if let Some(rest) = k.strip_prefix("properties.") {
            // flattened: properties.owner.email → nested owner.email kept flat
            p.insert(rest.to_string(), v.clone());
        }
    }
    let name = text(o, &["name"]);
    if name.is_empty() && p.is_empty() {
        return Ok(Err("not an incident: no name and no properties".into()));
    }
    let owner = {
        let nested = object(p.get("owner"));
        let mut s = text(&nested, &["assignedTo", "email", "userPrincipalName"]);
        if s.is_empty() {
            s = text(
                &p,
                &["owner.assignedTo", "owner.email", "owner.userPrincipalName"],
            );
        }
        s
    };
    let additional = object(p.get("additionalData"));
    let mut tactics = list(get(&additional, &["tactics"]));
    if tactics.is_empty() {
        tactics = list(get(&p, &["additionalData.tactics"]));
    }
    let mut alert_ext_ids: Vec<String> = extra_alerts.to_vec();
    // table exports list their alerts in an `Alerts` column: [{ID, Name}]
    for a in get(o, &["Alerts"])
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(id) = a
            .as_object()
            .map(|m| text(m, &["ID", "SystemAlertId", "name"]))
            .filter(|s| !s.is_empty())
        {
            alert_ext_ids.push(id);
        }
    }
    let classification = [
        text(&p, &["classification"]),
        text(&p, &["classificationReason"]),
        text(&p, &["classificationComment"]),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" — ");
    let inc = IncidentRecord {
        ext_id: if name.is_empty() {
            fingerprint(o)
        } else {
            name
        },
        title: text(&p, &["title"]),
        number: get(&p, &["incidentNumber"]).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        }),
        severity: Severity::parse(&text(&p, &["severity"])),
        status: Status::parse(&text(&p, &["status"])),
        classification,
        owner,
        description: text(&p, &["description"]),
        created: time_of(&p, &["createdTimeUtc"]),
        first_activity: time_of(&p, &["firstActivityTimeUtc"]),
        last_activity: time_of(&p, &["lastActivityTimeUtc"]),
        provider: text(&p, &["providerName"])
            .if_empty(|| list(get(&p, &["additionalData.alertProductNames"])).join(", ")),
        tactics,
        labels: list(get(&p, &["labels"])),
        alert_ext_ids,
        reason: None,
        props: p,
    };
    sink.incident(&inc, raw, record)?;
    Ok(Ok(()))
}

trait IfEmpty {
    fn if_empty(self, f: impl FnOnce() -> String) -> String;
}
impl IfEmpty for String {
    fn if_empty(self, f: impl FnOnce() -> String) -> String {
        if self.is_empty() {
            f()
        } else {
            self
        }
    }
}
