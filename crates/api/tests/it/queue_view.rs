//! The window's queue on the real msticpy SecurityAlert export: chip counts, the time filter,
//! header = queue, incident membership edits and merged remediation. Expected values come from
//! a walk over the raw JSON lines, never from our importer.

use super::{fixture, ALERTS};
use cb_api::queue::{self, QueueFilter, QueueShow, QueueSort};
use cb_api::{correlate, import::import_paths, Actor, Case, NodeId, Severity};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const INCIDENTS: &str = "msticpy/tests/testdata/sent_incidents.jsonl";

/// The raw alerts: every line that is a JSON object.
fn raw_alerts() -> Vec<Value> {
    std::fs::read_to_string(fixture(ALERTS))
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn raw_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn case_with(files: &[&str]) -> (tempfile::TempDir, Case) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.case");
    let paths: Vec<_> = files.iter().map(|f| fixture(f)).collect();
    import_paths(&path, &paths, Actor("test".into()), &mut |_, _| true).unwrap();
    let case = Case::open(&path, Actor("analyst".into())).unwrap();
    (dir, case)
}

fn view(case: &Case, f: &QueueFilter) -> queue::QueueView {
    queue::queue_view(case, QueueSort::Severity, f).unwrap()
}

fn alerts_only() -> QueueFilter {
    QueueFilter {
        show: QueueShow::Alerts,
        ..Default::default()
    }
}

#[test]
fn chip_counts_equal_the_raw_export_and_what_the_queue_lists() {
    let raw = raw_alerts();
    let (_d, case) = case_with(&[ALERTS]);

    // severity chips over the alerts = the raw `Severity` values counted by hand
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for a in &raw {
        *expected
            .entry(raw_str(a, "Severity").to_string())
            .or_default() += 1;
    }
    let v = view(&case, &alerts_only());
    let got: BTreeMap<String, usize> = v
        .counts
        .severity
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| (s.as_str().to_string(), *n))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(v.alerts.len(), raw.len());
    assert_eq!(v.counts.shown, raw.len());
    // the export has no Status column: every alert has the one default status
    assert!(raw.iter().all(|a| a.get("Status").is_none()));
    assert_eq!(v.counts.status.len(), 1, "{:?}", v.counts.status);
    assert_eq!(v.counts.status.values().sum::<usize>(), raw.len());

    // every chip's count is what the queue lists with only that chip on, alerts and incidents
    // together, and stays so under a status filter
    for show in [QueueShow::Both, QueueShow::Alerts, QueueShow::Incidents] {
        let base = QueueFilter {
            show,
            ..Default::default()
        };
        let all = view(&case, &base);
        for s in Severity::ALL {
            let on = view(
                &case,
                &QueueFilter {
                    severities: vec![s],
                    ..base.clone()
                },
            );
            assert_eq!(all.counts.severity[&s], on.counts.shown, "{show:?} {s:?}");
            assert!(on.alerts.iter().all(|a| a.severity == Some(s)));
            assert!(on.incidents.iter().all(|i| i.severity == Some(s)));
            // the severity chips do not count themselves away
            assert_eq!(on.counts.severity, all.counts.severity);
        }
        for (st, n) in &all.counts.status {
            let on = view(
                &case,
                &QueueFilter {
                    status: Some(st.clone()),
                    ..base.clone()
                },
            );
            assert_eq!(*n, on.counts.shown, "{show:?} {st}");
        }
    }
    // two chips on: the union
    let two = view(
        &case,
        &QueueFilter {
            show: QueueShow::Alerts,
            severities: vec![Severity::Medium, Severity::Informational],
            ..Default::default()
        },
    );
    let by_hand = raw
        .iter()
        .filter(|a| matches!(raw_str(a, "Severity"), "Medium" | "Informational"))
        .count();
    assert_eq!(two.alerts.len(), by_hand);
}

#[test]
fn the_time_filter_narrows_the_queue_as_the_raw_times_say() {
    let raw = raw_alerts();
    let (_d, case) = case_with(&[ALERTS]);
    let starts: Vec<&str> = raw.iter().map(|a| raw_str(a, "StartTimeUtc")).collect();
    let count = |f: QueueFilter| {
        view(
            &case,
            &QueueFilter {
                show: QueueShow::Alerts,
                ..f
            },
        )
        .alerts
        .len()
    };

    // from a day on (inclusive)
    let from = "2019-02-16";
    let n = starts.iter().filter(|t| &t[..10] >= from).count();
    assert!(n > 0 && n < raw.len(), "the window must cut: {n}");
    let got = count(QueueFilter {
        from: Some(from.into()),
        ..Default::default()
    });
    assert_eq!(got, n);

    // up to a day: `to` includes the whole day
    let to = "2019-02-15";
    let n = starts.iter().filter(|t| &t[..10] <= to).count();
    assert!(n > 0);
    let got = count(QueueFilter {
        to: Some(to.into()),
        ..Default::default()
    });
    assert_eq!(got, n);

    // a typed minute, both ends: `2019-02-18 01:49` holds 01:49:02
    let n = starts
        .iter()
        .filter(|t| &t[..16] >= "2019-02-15T04:03" && &t[..16] <= "2019-02-18T01:49")
        .count();
    let got = count(QueueFilter {
        from: Some("2019-02-15 04:03".into()),
        to: Some("2019-02-18 01:49".into()),
        ..Default::default()
    });
    assert_eq!(got, n);

    // the quick range "last 24 h" ends at the newest alert of the case
    let newest = starts.iter().max().unwrap();
    let cut = chrono::NaiveDateTime::parse_from_str(newest, "%Y-%m-%dT%H:%M:%S%.f").unwrap()
        - chrono::Duration::hours(24);
    let n = starts
        .iter()
        .filter(|t| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").unwrap() >= cut
        })
        .count();
    assert!(n > 0 && n < raw.len(), "{n}");
    let v = view(
        &case,
        &QueueFilter {
            show: QueueShow::Alerts,
            last_hours: Some(24),
            ..Default::default()
        },
    );
    assert_eq!(v.alerts.len(), n);
    assert!(v
        .counts
        .newest
        .as_deref()
        .unwrap()
        .starts_with(&newest[..19]));
    // and the chips count inside the window
    assert_eq!(v.counts.severity.values().sum::<usize>(), n);

    // typed nonsense and a window that ends before it starts are refused, naming the text
    for (from, to) in [
        ("yesterday", ""),
        ("2019-02-30", ""),
        ("2019-02-18", "2019-02-17"),
    ] {
        let e = queue::queue_view(
            &case,
            QueueSort::Time,
            &QueueFilter {
                from: Some(from.into()),
                to: Some(to.into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), "bad_input", "{from} {to}: {e}");
        let shown = if to.is_empty() || from == "2019-02-18" {
            from
        } else {
            to
        };
        assert!(e.to_string().contains(shown), "{e}");
    }
}

#[test]
fn the_header_counts_equal_the_queue() {
    let raw = raw_alerts();
    let raw_incidents = std::fs::read_to_string(fixture(INCIDENTS))
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .count();
    let (_d, case) = case_with(&[ALERTS, INCIDENTS]);
    // the header reads the case's counts first (the old bug: a queue read that correlated
    // afterwards listed 6 incidents under a header that said 1)
    let header = cb_api::case::info(&case).unwrap().stats;
    let v = view(&case, &QueueFilter::default());
    assert_eq!(header.alerts as usize, raw.len());
    assert_eq!(v.counts.total_alerts, raw.len());
    assert_eq!(v.alerts.len(), raw.len());
    assert_eq!(header.incidents as usize, v.counts.total_incidents);
    assert_eq!(v.incidents.len(), v.counts.total_incidents);
    assert!(
        v.counts.total_incidents > raw_incidents,
        "imported {raw_incidents} + derived ones: {}",
        v.counts.total_incidents
    );
    assert_eq!(v.counts.shown, raw.len() + v.counts.total_incidents);
    // and reading the queue again changes nothing
    let again = cb_api::case::info(&case).unwrap().stats;
    assert_eq!(
        (again.alerts, again.incidents),
        (header.alerts, header.incidents)
    );
    // a filter narrows the list, never the totals
    let f = view(
        &case,
        &QueueFilter {
            severities: vec![Severity::Medium],
            ..Default::default()
        },
    );
    assert_eq!(
        (f.counts.total_alerts, f.counts.total_incidents),
        (v.counts.total_alerts, v.counts.total_incidents)
    );
    assert!(f.counts.shown < v.counts.shown);

    // the Sentinel incidents are dated 2021, the alerts 2019: "last 24 h" of the alerts ends
    // at the newest alert, not at the newest incident
    let newest = raw
        .iter()
        .map(|a| raw_str(a, "StartTimeUtc"))
        .max()
        .unwrap();
    let at = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    let n = raw
        .iter()
        .filter(|a| at(raw_str(a, "StartTimeUtc")) >= at(newest) - chrono::Duration::hours(24))
        .count();
    let last = view(
        &case,
        &QueueFilter {
            show: QueueShow::Alerts,
            last_hours: Some(24),
            ..Default::default()
        },
    );
    assert!(n > 0);
    assert_eq!(last.alerts.len(), n);
}

/// The steps of one raw alert: `RemediationSteps` is a JSON array inside a string.
fn raw_steps(a: &Value) -> Vec<String> {
    let s = raw_str(a, "RemediationSteps");
    if s.trim().is_empty() {
        return vec![];
    }
    serde_json::from_str::<Vec<String>>(s).unwrap()
}

/// Same step: without a leading number and dot, spacing and case ignored.
fn same(step: &str) -> String {
    let mut s = step.trim();
    if let Some((n, rest)) = s.split_once('.') {
        if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) {
            s = rest;
        }
    }
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn adding_and_removing_an_alert_is_audited_reversible_and_remediation_follows() {
    let raw = raw_alerts();
    let (_d, mut case) = case_with(&[ALERTS]);
    let all = view(&case, &QueueFilter::default());
    let incident = all
        .incidents
        .iter()
        .min_by_key(|i| i.alerts.len())
        .expect("the import derives incidents")
        .clone();
    let by_ext: BTreeMap<&str, &Value> = raw
        .iter()
        .map(|a| (raw_str(a, "SystemAlertId"), a))
        .collect();
    let with_steps: Vec<NodeId> = all
        .alerts
        .iter()
        .filter(|a| !raw_steps(by_ext[a.ext_id.as_str()]).is_empty())
        .filter(|a| !incident.alerts.contains(&a.id))
        .map(|a| a.id)
        .collect();
    assert!(with_steps.len() >= 2, "{with_steps:?}");
    let before = queue::incident_remediation(&case, incident.id).unwrap();
    let activity = |c: &Case| {
        cb_api::activity::activity(c, Some(incident.id))
            .unwrap()
            .activity
    };
    let audit_before = activity(&case).len();

    // add every alert with steps
    for a in &with_steps {
        let e = correlate::edit_incident(&mut case, incident.id, *a, true).unwrap();
        assert!(e.changed);
        assert!(
            !correlate::edit_incident(&mut case, incident.id, *a, true)
                .unwrap()
                .changed
        );
    }
    let members = |c: &Case| -> BTreeSet<NodeId> {
        queue::incidents(c)
            .unwrap()
            .incidents
            .into_iter()
            .find(|i| i.id == incident.id)
            .unwrap()
            .alerts
            .into_iter()
            .collect()
    };
    let grown = members(&case);
    assert!(with_steps.iter().all(|a| grown.contains(a)));
    let log = activity(&case);
    let adds: Vec<_> = log
        .iter()
        .filter(|e| e.action == "incident.add_alert")
        .collect();
    assert_eq!(adds.len(), with_steps.len(), "one audit entry per change");
    assert!(adds.iter().all(|e| e.actor == "analyst"));

    // merged remediation: every raw step of every member, each once
    let merged = queue::incident_remediation(&case, incident.id).unwrap();
    let mut keys = BTreeSet::new();
    let mut total = 0;
    for a in &all.alerts {
        if grown.contains(&a.id) {
            for s in raw_steps(by_ext[a.ext_id.as_str()]) {
                total += 1;
                keys.insert(same(&s));
            }
        }
    }
    assert!(
        total > keys.len(),
        "the members share steps: {total} vs {}",
        keys.len()
    );
    let got: BTreeSet<String> = merged.steps.iter().map(|s| same(&s.text)).collect();
    assert_eq!(got, keys);
    assert_eq!(merged.steps.len(), keys.len(), "no step twice");
    assert!(merged.steps.iter().any(|s| s.alerts.len() > 1));
    assert!(merged
        .steps
        .iter()
        .all(|s| !s.text.starts_with(|c: char| c.is_ascii_digit())));

    // take them out again: membership, remediation and the queue as before; audited
    for a in &with_steps {
        assert!(
            correlate::edit_incident(&mut case, incident.id, *a, false)
                .unwrap()
                .changed
        );
        assert!(
            !correlate::edit_incident(&mut case, incident.id, *a, false)
                .unwrap()
                .changed
        );
    }
    assert_eq!(members(&case), incident.alerts.iter().copied().collect());
    let after = queue::incident_remediation(&case, incident.id).unwrap();
    assert_eq!(after.steps.len(), before.steps.len());
    let log = activity(&case);
    assert_eq!(log.len(), audit_before + 2 * with_steps.len());
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "incident.remove_alert")
            .count(),
        with_steps.len()
    );
    // not an incident, not an alert: refused
    let alert = all.alerts[0].id;
    assert_eq!(
        queue::incident_remediation(&case, alert)
            .unwrap_err()
            .code(),
        "bad_input"
    );
    assert!(correlate::edit_incident(&mut case, incident.id, incident.id, true).is_err());
}
