//! Log tables: JSON lines, JSON arrays and CSV, one record at a time.

use crate::detect::table_of;
use crate::emit::Ctx;
use crate::jsonscan::{ElemError, Elements};
use crate::map::{map, Mapped};
use crate::{Layout, Table};
use cb_domain::SinkError;
use serde_json::{Map, Value};
use std::io::{BufReader, Read};

pub(crate) fn import_table(
    r: impl Read + Send,
    table: Table,
    layout: Layout,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    match layout {
        Layout::JsonLines if table != Table::Auditd => json_lines(r, table, ctx, member),
        _ => import_table_here(r, table, layout, ctx, member),
    }
}

/// [`import_table`] for a reader that must stay on this thread (an archive member).
pub(crate) fn import_table_here(
    r: impl Read,
    table: Table,
    layout: Layout,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    match layout {
        Layout::JsonLines => json_lines_here(r, table, ctx, member),
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

/// Records per batch handed from the parsing thread to the writer.
const LINE_BATCH: usize = 256;
/// Batches in flight between the threads (bounds memory: at most this many batches of
/// `LINE_BATCH` records of `max_record_bytes`, each way).
const IN_FLIGHT: usize = 3;

/// A line read, as the parsing thread gets it when this thread reads (see
/// [`json_lines_here`]): (line number, length, bytes), or a read error.
enum RawLine {
    Line(u64, usize, Vec<u8>),
    ReadErr(u64, String),
}

/// A line parsed and mapped, in order, for the writer (moved in batches, never one by one:
/// the size difference of the variants costs nothing): (line number, length, record), or a
/// read error after that many lines.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    Rec(u64, usize, Result<Mapped, String>),
    ReadErr(u64, String),
}

/// The non-blank lines of an input, numbered, each at most `max` bytes kept (see
/// `read_line_capped`); a read error ends them.
struct Lines<R> {
    r: BufReader<R>,
    line: Vec<u8>,
    n: u64,
    max: usize,
    done: bool,
}

/// One of [`Lines`]: (line number, length as read, trimmed bytes), or the read error after
/// that many lines.
enum Line<'a> {
    Rec(u64, usize, &'a [u8]),
    ReadErr(u64, String),
}

impl<R: Read> Lines<R> {
    fn new(r: R, max: usize) -> Lines<R> {
        Lines {
            r: BufReader::with_capacity(256 * 1024, r),
            line: Vec::new(),
            n: 0,
            max,
            done: false,
        }
    }

    fn next(&mut self) -> Option<Line<'_>> {
        while !self.done {
            match read_line_capped(&mut self.r, &mut self.line, self.max) {
                Ok(Some(len)) => {
                    self.n += 1;
                    if !self.line.trim_ascii().is_empty() {
                        return Some(Line::Rec(self.n, len, self.line.trim_ascii()));
                    }
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Line::ReadErr(self.n, e.to_string()));
                }
            }
        }
        None
    }
}

/// Parse and map line `n` (`len` bytes as read, `bytes` trimmed), on the parsing thread.
fn parse_line(
    n: u64,
    len: usize,
    bytes: &[u8],
    table: Table,
    max: usize,
    prep: &mut Option<cb_domain::EventPreparer>,
) -> Parsed {
    let m = if len > max {
        Err(String::new())
    } else {
        parse_obj(bytes).map(|o| {
            let t = table_of(&o).unwrap_or(table);
            let mut m = map(t, o);
            m.prepare(prep);
            m
        })
    };
    Parsed::Rec(n, len, m)
}

/// Store a batch of parsed lines, on the writing thread.
fn write_batch(batch: &[Parsed], ctx: &mut Ctx<'_>, member: &str) -> Result<(), SinkError> {
    let max = ctx.settings.max_record_bytes;
    for p in batch {
        match p {
            Parsed::Rec(n, len, m) => {
                let (n, len) = (*n, *len);
                let rec = ctx.record_no(n);
                ctx.tick()?;
                match m {
                    _ if len > max => ctx.skip(
                        rec,
                        member,
                        format!("line {n}: {len} bytes, over the {max}-byte record limit"),
                    ),
                    Ok(m) => {
                        ctx.emit(m, rec)?;
                    }
                    Err(e) => ctx.skip(rec, member, format!("line {n}: {e}")),
                }
            }
            Parsed::ReadErr(n, e) => {
                let n = *n;
                let rec = ctx.record_no(n + 1);
                ctx.skip(
                    rec,
                    member,
                    format!("line {}: read failed, rest of the input lost: {e}", n + 1),
                );
            }
        }
    }
    Ok(())
}

/// JSON lines of a file on both cores: a second thread reads the input, splits its lines,
/// parses each line's JSON and maps it; this thread owns the sink (the SQLite writes, the
/// import's bottleneck, so it does nothing else). Order, record numbers, skips and progress
/// are as if one thread did it all.
fn json_lines(
    r: impl Read + Send,
    table: Table,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    let max = ctx.settings.max_record_bytes;
    let (parsed_out, parsed) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT);
    // written batches go back to the parsing thread to be freed there: freeing a record's
    // maps and strings was ~5 % of the writing thread
    let (trash, written) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT + 1);
    let mut prep = ctx.sink.preparer();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut lines = Lines::new(r, max);
            let mut batch = Vec::with_capacity(LINE_BATCH);
            loop {
                let next = lines.next();
                let done = next.is_none();
                match next {
                    Some(Line::Rec(n, len, bytes)) => {
                        batch.push(parse_line(n, len, bytes, table, max, &mut prep))
                    }
                    Some(Line::ReadErr(n, e)) => batch.push(Parsed::ReadErr(n, e)),
                    None => {}
                }
                if batch.len() >= LINE_BATCH || (done && !batch.is_empty()) {
                    while let Ok(old) = written.try_recv() {
                        drop(old);
                    }
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(LINE_BATCH));
                    // the writer stopped (an error, a cancel): so does the reading
                    if parsed_out.send(full).is_err() {
                        break;
                    }
                }
                if done {
                    break;
                }
            }
        });
        // on an error (a cancel) `parsed` is dropped here, so the parsing thread stops
        for batch in parsed {
            write_batch(&batch, ctx, member)?;
            let _ = trash.try_send(batch);
        }
        Ok(())
    })
}

/// [`json_lines`] for a reader that cannot leave this thread (a tar member borrows its
/// archive): this thread reads and splits the lines too, and the second thread parses them.
fn json_lines_here(
    r: impl Read,
    table: Table,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    if table == Table::Auditd {
        return auditd_lines(r, ctx, member);
    }
    let max = ctx.settings.max_record_bytes;
    let (to_parse, parse_in) = std::sync::mpsc::sync_channel::<Vec<RawLine>>(IN_FLIGHT);
    let (parsed_out, parsed) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT);
    let (trash, written) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT + 1);
    let mut prep = ctx.sink.preparer();
    std::thread::scope(|s| {
        s.spawn(move || {
            for batch in parse_in {
                while let Ok(done) = written.try_recv() {
                    drop(done);
                }
                let out = batch
                    .into_iter()
                    .map(|l| match l {
                        RawLine::Line(n, len, bytes) => {
                            parse_line(n, len, &bytes, table, max, &mut prep)
                        }
                        RawLine::ReadErr(n, e) => Parsed::ReadErr(n, e),
                    })
                    .collect();
                if parsed_out.send(out).is_err() {
                    break;
                }
            }
        });
        let mut lines = Lines::new(r, max);
        let mut batch = Vec::with_capacity(LINE_BATCH);
        let mut in_flight = 0usize;
        loop {
            let next = lines.next();
            let done = next.is_none();
            match next {
                Some(Line::Rec(n, len, bytes)) => batch.push(RawLine::Line(n, len, bytes.to_vec())),
                Some(Line::ReadErr(n, e)) => batch.push(RawLine::ReadErr(n, e)),
                None => {}
            }
            if batch.len() >= LINE_BATCH || (done && !batch.is_empty()) {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(LINE_BATCH));
                if to_parse.send(full).is_err() {
                    break;
                }
                in_flight += 1;
                if in_flight >= IN_FLIGHT {
                    let b = parsed.recv().map_err(|_| parser_gone())?;
                    in_flight -= 1;
                    write_batch(&b, ctx, member)?;
                    let _ = trash.try_send(b);
                }
            }
            if done {
                break;
            }
        }
        drop(to_parse);
        while in_flight > 0 {
            let b = parsed.recv().map_err(|_| parser_gone())?;
            in_flight -= 1;
            write_batch(&b, ctx, member)?;
            let _ = trash.try_send(b);
        }
        Ok(())
    })
}

fn parser_gone() -> SinkError {
    SinkError::Storage("the JSON parsing thread stopped".into())
}

/// Linux audit logs, one record per line (`type=… msg=audit(…)`).
fn auditd_lines(r: impl Read, ctx: &mut Ctx<'_>, member: &str) -> Result<(), SinkError> {
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
        match parse_auditd(trimmed) {
            Some(o) => {
                let m = map(Table::Auditd, o);
                ctx.emit(&m, rec)?;
            }
            None => ctx.skip(
                rec,
                member,
                format!("line {n}: not an audit record (type=… msg=audit(…))"),
            ),
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
