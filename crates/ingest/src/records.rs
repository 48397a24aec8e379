//! Record readers: JSON lines, JSON arrays (streamed element by element) and CSV, each
//! yielding `(record number, Result<object, reason>)` so one bad record never stops a file.

use serde_json::{Map, Value};
use std::io::{BufReader, Read};

pub type Rec = (u64, Result<Map<String, Value>, String>);

/// Longest record (line, array element) read; longer ones are skipped unread, so a hostile
/// file never makes one record cost more than a few times this in memory.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// One JSON object per line. The record number is the line number; blank lines are skipped.
pub fn json_lines<R: Read>(r: R) -> impl Iterator<Item = Rec> {
    let mut r = BufReader::with_capacity(1 << 16, r);
    let mut line = Vec::new();
    let mut n = 0u64;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        n += 1;
        match cb_domain::head::read_line_capped(&mut r, &mut line, MAX_RECORD_BYTES) {
            Ok(Some(len)) if len > MAX_RECORD_BYTES => {
                return Some((
                    n,
                    Err(format!(
                    "line of {len} bytes is longer than the {MAX_RECORD_BYTES}-byte record limit"
                )),
                ))
            }
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => {
                done = true;
                return Some((n, Err(format!("read error: {e}"))));
            }
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            continue;
        }
        return Some((n, parse_object(t)));
    })
}

fn parse_object(t: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("expected a JSON object, found {}", kind(&other))),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Elements of a top-level JSON array, streamed: only one element is held in memory.
/// Record numbers are 1-based element positions. A malformed element is reported and the
/// reader resynchronises at the next top-level comma.
pub fn json_array<R: Read>(r: R) -> impl Iterator<Item = Rec> {
    let mut bytes = BufReader::with_capacity(1 << 16, r).bytes();
    let mut started = false;
    let mut done = false;
    let mut n = 0u64;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if !started {
            loop {
                match bytes.next() {
                    Some(Ok(b'[')) => break,
                    Some(Ok(b))
                        if b.is_ascii_whitespace() || b == 0xef || b == 0xbb || b == 0xbf =>
                    {
                        continue
                    }
                    Some(Ok(_)) => {
                        done = true;
                        return Some((1, Err("expected a JSON array".to_string())));
                    }
                    Some(Err(e)) => {
                        done = true;
                        return Some((1, Err(format!("read error: {e}"))));
                    }
                    None => return None,
                }
            }
            started = true;
        }
        let mut buf: Vec<u8> = Vec::new();
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        loop {
            let b = match bytes.next() {
                Some(Ok(b)) => b,
                Some(Err(e)) => {
                    done = true;
                    n += 1;
                    return Some((n, Err(format!("read error: {e}"))));
                }
                None => {
                    done = true;
                    if buf.iter().all(|b| b.is_ascii_whitespace()) {
                        return None;
                    }
                    n += 1;
                    return Some((n, Err("unexpected end of file inside the array".into())));
                }
            };
            if in_str {
                buf.push(b);
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' => depth -= 1,
                b']' if depth == 0 => {
                    done = true;
                    if buf.iter().all(|b| b.is_ascii_whitespace()) {
                        return None;
                    }
                    n += 1;
                    return Some((n, parse_object(&String::from_utf8_lossy(&buf))));
                }
                b']' => depth -= 1,
                b',' if depth == 0 => {
                    n += 1;
                    if buf.len() > MAX_RECORD_BYTES {
                        return Some((
                            n,
                            Err(format!(
                                "element longer than the {MAX_RECORD_BYTES}-byte record limit"
                            )),
                        ));
                    }
                    return Some((n, parse_object(&String::from_utf8_lossy(&buf))));
                }
                _ => {}
            }
            if buf.len() <= MAX_RECORD_BYTES {
                buf.push(b);
            }
        }
    })
}

/// CSV with a header row. Columns with an empty name (a DataFrame index) are dropped; every
/// cell is a string. Record numbers are 1-based data rows.
pub fn csv_rows<R: Read>(r: R) -> impl Iterator<Item = Rec> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(r);
    let headers: Result<Vec<String>, String> = rdr
        .headers()
        .map(|h| h.iter().map(header_name).collect())
        .map_err(|e| e.to_string());
    let mut records = rdr.into_records();
    let mut n = 0u64;
    let mut header_error = Some(headers.clone());
    std::iter::from_fn(move || {
        if let Some(Err(e)) = header_error.take() {
            return Some((0, Err(format!("bad CSV header: {e}"))));
        }
        let headers = headers.as_ref().ok()?;
        let rec = records.next()?;
        n += 1;
        Some((
            n,
            rec.map_err(|e| format!("bad CSV row: {e}"))
                .and_then(|row| {
                    if row.len() != headers.len() {
                        return Err(format!(
                            "row has {} cells, header has {}",
                            row.len(),
                            headers.len()
                        ));
                    }
                    Ok(headers
                        .iter()
                        .zip(row.iter())
                        .filter(|(h, _)| !h.is_empty())
                        .map(|(h, v)| (h.clone(), Value::String(v.to_string())))
                        .collect())
                }),
        ))
    })
}

/// A CSV header as the column name: BOM and spaces trimmed, and the unit suffix the Azure
/// portal's "Export to CSV" appends (`TimeGenerated [UTC]`) dropped.
fn header_name(h: &str) -> String {
    let h = h.trim().trim_start_matches('\u{feff}').trim();
    match h.strip_suffix(']').and_then(|x| x.rsplit_once(" [")) {
        Some((name, _unit)) => name.trim().to_string(),
        None => h.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_streaming_survives_a_bad_element() {
        let text =
            br#" [ {"a": "x,]}"}, {"b": 2, "c": [1, {"d": 3}]}, {bad}, 7, {"e": "\"q\""} ] "#;
        let got: Vec<_> = json_array(&text[..]).collect();
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].1.as_ref().unwrap()["a"], "x,]}");
        assert_eq!(got[1].1.as_ref().unwrap()["c"][1]["d"], 3);
        assert!(got[2].1.as_ref().unwrap_err().starts_with("invalid JSON"));
        assert_eq!(
            got[3].1.as_ref().unwrap_err(),
            "expected a JSON object, found a number"
        );
        assert_eq!(got[4].1.as_ref().unwrap()["e"], "\"q\"");
        assert_eq!(json_array(&b"[]"[..]).count(), 0);
    }

    #[test]
    fn lines_are_numbered_by_line() {
        let got: Vec<_> = json_lines(&b"{\"a\":1}\n\n{oops\n{\"b\":2}\n"[..]).collect();
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 3, 4]);
        assert!(got[1].1.is_err());
    }

    #[test]
    fn portal_headers_lose_their_unit() {
        assert_eq!(header_name("TimeGenerated [UTC]"), "TimeGenerated");
        assert_eq!(header_name("\u{feff}SystemAlertId"), "SystemAlertId");
        assert_eq!(header_name("[odd]"), "[odd]");
    }

    #[test]
    fn csv_drops_the_index_column() {
        let got: Vec<_> = csv_rows(&b",Name,Severity\n0,a,High\n1,b\n"[..]).collect();
        assert_eq!(
            got[0].1.as_ref().unwrap().keys().collect::<Vec<_>>(),
            vec!["Name", "Severity"]
        );
        assert!(got[1].1.as_ref().unwrap_err().contains("2 cells"));
    }
}
