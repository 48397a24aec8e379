//! The pane's overview and timeline on real evidence (issue 12): the busiest host of the OTRF
//! WMI lab, with counts from a jq-like walk over the raw JSON lines.

use crate::windows::{host, imported, raw, s, sysmon, WMIC};
use cb_graph::overview::{overview, timeline, TimelineRequest};
use std::collections::BTreeMap;

#[test]
fn overview_and_timeline_of_the_busiest_host() {
    let recs = raw(WMIC);
    let st = imported(&[WMIC]);
    let mut per_host: BTreeMap<String, u64> = BTreeMap::new();
    for r in &recs {
        if let Some(h) = s(r, "Hostname") {
            *per_host.entry(h.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let (busiest, n) = per_host.iter().max_by_key(|(_, n)| **n).unwrap();
    let mut per_source: BTreeMap<String, u64> = BTreeMap::new();
    for r in recs
        .iter()
        .filter(|r| s(r, "Hostname").is_some_and(|h| h.eq_ignore_ascii_case(busiest)))
    {
        let fam = if sysmon(r) {
            "Sysmon"
        } else if s(r, "Channel").is_some_and(|c| c.eq_ignore_ascii_case("security")) {
            "SecurityEvent"
        } else {
            "WindowsEvent"
        };
        *per_source.entry(fam.into()).or_default() += 1;
    }
    let h = host(&st, busiest);
    let o = overview(&st, h).unwrap();
    assert_eq!(o.counts.events, *n, "{busiest}: events mentioning it");
    assert!(o.first_seen.is_some() && o.first_seen <= o.last_seen);
    assert!(o.entities.len() <= 200 && o.counts.entities >= o.entities.len() as u64);
    // one evidence file (relations Caseboard derived itself cite none)
    let files: Vec<_> = o.provenance.iter().filter(|p| !p.file.is_empty()).collect();
    assert_eq!(files.len(), 1, "{:?}", o.provenance);
    assert!(files[0].file.ends_with("empire_wmic_add_user_backdoor.zip"));
    assert!(!files[0].records.is_empty());
    assert!(
        files[0].records_said >= *n,
        "every record of the host said something of it"
    );
    assert!(!o.fields.contains_key("relations"));

    let all = timeline(
        &st,
        &TimelineRequest {
            node: h,
            limit: Some(100),
            ..TimelineRequest::of(h)
        },
    )
    .unwrap();
    assert_eq!(all.all, *n);
    assert_eq!(all.total, *n);
    let got: BTreeMap<String, u64> = all
        .sources
        .iter()
        .map(|c| (c.source.clone(), c.count))
        .collect();
    assert_eq!(got, per_source);
    assert_eq!(
        all.buckets.iter().map(|b| b.count).sum::<u64>(),
        *n,
        "every dated item in a bar"
    );
    assert!(all.buckets.len() <= 61 && all.bucket_secs > 0);
    assert_eq!(all.items.len(), 100);
    assert!(
        all.items.windows(2).all(|w| w[0].time <= w[1].time),
        "by time"
    );
    assert!(all.items.iter().all(|i| i.time.is_some()), "real times");
    assert_eq!(all.first, o.first_seen);
    // one source only
    let sy = timeline(
        &st,
        &TimelineRequest {
            node: h,
            sources: vec!["Sysmon".into()],
            limit: Some(10),
            ..TimelineRequest::of(h)
        },
    )
    .unwrap();
    assert_eq!(sy.total, per_source["Sysmon"]);
    assert!(sy.items.iter().all(|i| i.source == "Sysmon"));
    // a brush over the first half of the bars: the count is the bars' sum
    let half = all.buckets.len() / 2;
    let to_bucket = &all.buckets[half];
    let to = chrono::DateTime::parse_from_rfc3339(&to_bucket.from).unwrap()
        - chrono::Duration::milliseconds(1);
    let to = cb_domain::time::format(&to.with_timezone(&chrono::Utc));
    let br = timeline(
        &st,
        &TimelineRequest {
            node: h,
            to: Some(to),
            limit: Some(5000),
            ..TimelineRequest::of(h)
        },
    )
    .unwrap();
    let expect: u64 = all.buckets[..half].iter().map(|b| b.count).sum();
    assert_eq!(br.total, expect);
    // the last page
    let last = timeline(
        &st,
        &TimelineRequest {
            node: h,
            offset: Some((*n - 3) as usize),
            ..TimelineRequest::of(h)
        },
    )
    .unwrap();
    assert_eq!(last.items.len(), 3);
}
