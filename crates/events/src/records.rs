//! Log tables: JSON lines, JSON arrays and CSV, one record at a time.

use crate::detect::table_of;
use crate::emit::Ctx;
use crate::jsonscan::{ElemError, Elements};
use crate::map::map;
use crate::{Layout, Table};
use cb_domain::SinkError;
use serde_json::{Map, Value};
use std::io::{BufReader, Read};

pub(crate) fn import_table(
    r: impl Read,
    table: Table,
    layout: Layout,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    match layout {
        Layout::JsonLines => json_lines(r, table, ctx, member),
        Layout::JsonArray => json_array(r, table, ctx, member),
        Layout::Csv => csv_rows(r, table, ctx, member),
        Layout::ZeekTsv => zeek_tsv(r, table, ctx, member),
    }
}

/// One parsed record: pick its table (a file may mix, e.g. Security and Sysmon), map, emit.
fn one(
    ctx: &mut Ctx<'_>,
    table: Table,
    obj: Map<String, Value>,
    record: u64,
) -> Result<(), SinkError> {
    let t = table_of(&obj).unwrap_or(table);
    let m = map(t, obj);
    ctx.emit(&m, record)?;
    Ok(())
}

fn parse_obj(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(format!("not a JSON object but {}", kind_of(&other))),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

use cb_domain::head::read_line_capped;

fn json_lines(
    r: impl Read,
    table: Table,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    let mut r = BufReader::with_capacity(256 * 1024, r);
    let mut line = Vec::new();
    let mut n = 0u64;
    let max = ctx.settings.max_record_bytes;
    loop {
        let len = match read_line_capped(&mut r, &mut line, max) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                let rec = ctx.record_no(n + 1);
                ctx.skip(
                    rec,
                    member,
                    format!("line {}: read failed, rest of the input lost: {e}", n + 1),
                );
                break;
            }
        };
        n += 1;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        let rec = ctx.record_no(n);
        ctx.tick()?;
        if len > max {
            ctx.skip(
                rec,
                member,
                format!("line {n}: {len} bytes, over the {max}-byte record limit"),
            );
            continue;
        }
        if table == Table::Auditd {
            match parse_auditd(trimmed) {
                Some(o) => {
                    let m = map(table, o);
                    ctx.emit(&m, rec)?;
                }
                None => ctx.skip(
                    rec,
                    member,
                    format!("line {n}: not an audit record (type=… msg=audit(…))"),
                ),
            }
            continue;
        }
        match parse_obj(trimmed) {
            Ok(o) => one(ctx, table, o, rec)?,
            Err(e) => ctx.skip(rec, member, format!("line {n}: {e}")),
        }
    }
    Ok(())
}

fn json_array(
    r: impl Read,
    table: Table,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    let max = ctx.settings.max_record_bytes;
    let els = match Elements::top_level(r, max) {
        Ok(e) => e,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, member, format!("element 1: {e}"));
            return Ok(());
        }
    };
    for (i, el) in els.enumerate() {
        let n = i as u64 + 1;
        let rec = ctx.record_no(n);
        ctx.tick()?;
        match el {
            Ok(bytes) => match parse_obj(&bytes) {
                Ok(o) => one(ctx, table, o, rec)?,
                Err(e) => ctx.skip(rec, member, format!("element {n}: {e}")),
            },
            Err(ElemError::TooLarge(sz)) => ctx.skip(
                rec,
                member,
                format!("element {n}: {sz} bytes, over the {max}-byte record limit"),
            ),
            Err(ElemError::Broken(e)) => ctx.skip(rec, member, format!("element {n}: {e}")),
        }
    }
    Ok(())
}

fn csv_rows(r: impl Read, table: Table, ctx: &mut Ctx<'_>, member: &str) -> Result<(), SinkError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
            .collect(),
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, member, format!("header row: {e}"));
            return Ok(());
        }
    };
    let mut row = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        n += 1;
        match rdr.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let rec = ctx.record_no(n);
                ctx.tick()?;
                let mut obj = Map::new();
                for (h, v) in headers.iter().zip(row.iter()) {
                    obj.insert(h.clone(), Value::String(v.to_string()));
                }
                one(ctx, table, obj, rec)?;
            }
            Err(e) => {
                let rec = ctx.record_no(n);
                ctx.tick()?;
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                ctx.skip(rec, member, format!("row {n}: {e}"));
                if fatal {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Zeek ASCII logs: `#separator \x09`, `#path conn`, `#fields ts uid …`, then one record per
/// line; `-` is unset, `(empty)` an empty value.
fn zeek_tsv(r: impl Read, table: Table, ctx: &mut Ctx<'_>, member: &str) -> Result<(), SinkError> {
    let mut r = BufReader::with_capacity(256 * 1024, r);
    let mut line = Vec::new();
    let mut n = 0u64;
    let max = ctx.settings.max_record_bytes;
    let mut sep = "\t".to_string();
    let mut path = String::new();
    let mut fields: Vec<String> = Vec::new();
    loop {
        let len = match read_line_capped(&mut r, &mut line, max) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                let rec = ctx.record_no(n + 1);
                ctx.skip(
                    rec,
                    member,
                    format!("line {}: read failed, rest of the input lost: {e}", n + 1),
                );
                break;
            }
        };
        n += 1;
        let text = String::from_utf8_lossy(line.trim_ascii_end());
        if text.is_empty() {
            continue;
        }
        if let Some(d) = text.strip_prefix('#') {
            let (k, v) = d.split_once([' ', '\t']).unwrap_or((d, ""));
            match k {
                "separator" => {
                    sep = match v
                        .trim()
                        .strip_prefix("\\x")
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(b) => (b as char).to_string(),
                        None => v.trim().to_string(),
                    }
                }
                "path" => path = v.trim().to_string(),
                "fields" => {
                    fields = v
                        .split(sep.as_str())
                        .map(|f| f.trim().to_string())
                        .collect()
                }
                _ => {}
            }
            continue;
        }
        let rec = ctx.record_no(n);
        ctx.tick()?;
        if len > max {
            ctx.skip(
                rec,
                member,
                format!("line {n}: {len} bytes, over the {max}-byte record limit"),
            );
            continue;
        }
        if fields.is_empty() {
            ctx.skip(
                rec,
                member,
                format!("line {n}: a record before the #fields header"),
            );
            continue;
        }
        let vals: Vec<&str> = text.split(sep.as_str()).collect();
        if vals.len() != fields.len() {
            ctx.skip(
                rec,
                member,
                format!(
                    "line {n}: {} values for {} #fields",
                    vals.len(),
                    fields.len()
                ),
            );
            continue;
        }
        let mut obj = Map::new();
        if !path.is_empty() {
            obj.insert("_path".into(), Value::String(path.clone()));
        }
        for (f, v) in fields.iter().zip(vals) {
            match v {
                "-" => {}
                "(empty)" => {
                    obj.insert(f.clone(), Value::String(String::new()));
                }
                _ => {
                    obj.insert(f.clone(), Value::String(v.to_string()));
                }
            }
        }
        let m = map(table, obj);
        ctx.emit(&m, rec)?;
    }
    Ok(())
}

/// `type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e … comm="arp" exe="/usr/sbin/arp"`
/// → `{type, time, serial, arch, …}` (quotes removed).
fn parse_auditd(line: &[u8]) -> Option<Map<String, Value>> {
    let text = String::from_utf8_lossy(line);
    let (head, rest) = text.split_once("): ").or_else(|| text.split_once(')'))?;
    let ty = head
        .strip_prefix("type=")?
        .split_whitespace()
        .next()?
        .to_string();
    let stamp = head.split_once("msg=audit(")?.1;
    let (time, serial) = stamp.split_once(':').unwrap_or((stamp, ""));
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(ty));
    obj.insert("time".into(), Value::String(time.to_string()));
    obj.insert("serial".into(), Value::String(serial.to_string()));
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            break;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let value: String = if chars.next_if_eq(&'"').is_some() {
            let v = std::iter::from_fn(|| chars.next_if(|c| *c != '"')).collect();
            chars.next();
            v
        } else if chars.next_if_eq(&'\'').is_some() {
            let v = std::iter::from_fn(|| chars.next_if(|c| *c != '\'')).collect();
            chars.next();
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect()
        };
        obj.entry(key).or_insert(Value::String(value));
    }
    Some(obj)
}
