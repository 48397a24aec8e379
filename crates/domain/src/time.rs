//! Times are stored as fixed-width UTC strings (`2019-02-18T01:49:02.000Z`) so that text order
//! is time order. Inputs come in many shapes: with/without `T`, with/without `Z`, 7-digit
//! fractions, offsets, US-style `02/15/2019 19:55:11`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Normalise a time string to `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). Times without a zone are UTC
/// (every Microsoft export we read writes UTC). `None` when the text is not a time.
pub fn normalize(input: &str) -> Option<String> {
    parse(input).map(|t| format(&t))
}

/// Format a UTC time the way the store keeps it.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse the time shapes seen in real exports.
pub fn parse(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // `2019-02-18 01:49:02 UTC`, `... +00:00` with a space
    let s2 = s.trim_end_matches(" UTC").trim_end_matches('Z');
    let s2 = s2.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&format!("{s2}Z")) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(&s2) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %I:%M:%S %p",
    ] {
        if let Ok(t) =
            NaiveDateTime::parse_from_str(&s2.replacen('T', " ", 1), &f.replacen('T', " ", 1))
        {
            return Some(t.and_utc());
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    // epoch seconds / milliseconds (Zeek `ts`, some NDJSON)
    if let Ok(f) = s.parse::<f64>() {
        let secs = if f > 1e12 { f / 1000.0 } else { f };
        if (1e8..1e11).contains(&secs) {
            let whole = secs.trunc() as i64;
            let nanos = ((secs - secs.trunc()) * 1e9).round() as u32;
            return DateTime::from_timestamp(whole, nanos.min(999_999_999));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[track_caller]
    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(normalize(input).as_deref(), expected, "input {input:?}");
    }

    #[test]
    fn shapes_seen_in_exports() {
        check("2019-02-18T01:49:02.000", Some("2019-02-18T01:49:02.000Z"));
        check("2019-02-18T01:49:02.000Z", Some("2019-02-18T01:49:02.000Z"));
        check(
            "2020-02-22T00:00:00.0000000Z",
            Some("2020-02-22T00:00:00.000Z"),
        );
        check("2019-02-18 01:49:02", Some("2019-02-18T01:49:02.000Z"));
        check("2019-02-15 10:14:37 UTC", Some("2019-02-15T10:14:37.000Z"));
        check(
            "2021-10-05T15:11:27.9108388Z",
            Some("2021-10-05T15:11:27.910Z"),
        );
        check(
            "2019-02-18T03:00:00+02:00",
            Some("2019-02-18T01:00:00.000Z"),
        );
        check("02/15/2019 19:55:11", Some("2019-02-15T19:55:11.000Z"));
        check("1600000000.5", Some("2020-09-13T12:26:40.500Z"));
        check("", None);
        check("yesterday", None);
    }
}
