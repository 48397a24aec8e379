//! Windows EVTX (incl. Sysmon) through the `evtx` crate, chunks parsed in parallel.
//! A damaged chunk yields an error for that chunk: every readable record is still imported
//! and the rest is reported as skipped.

use crate::emit::Ctx;
use crate::map::map_evtx;
use cb_domain::SinkError;
use evtx::{EvtxParser, ParserSettings};
use serde_json::{Map, Value};
use std::io::{Read, Seek};

pub(crate) fn import_file(
    f: std::fs::File,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    import(f, ctx, member)
}

pub(crate) fn import<R: Read + Seek + Send + 'static>(
    r: R,
    ctx: &mut Ctx<'_>,
    member: &str,
) -> Result<(), SinkError> {
    let threads = match ctx.settings.threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    let mut parser = match EvtxParser::from_read_seek(r) {
        Ok(p) => p.with_configuration(
            ParserSettings::new()
                .num_threads(threads)
                .separate_json_attributes(true),
        ),
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, member, format!("not a readable EVTX file: {e}"));
            return Ok(());
        }
    };
    // both cores, as for JSON lines (see `records::json_lines`): a second thread runs the
    // parser (chunks), flattens and maps each record; this thread owns the sink (the SQLite
    // writes). Order, record numbers, skips and progress are as if one thread did it all.
    let (out, batches) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT);
    // written batches go back to the parsing thread to be freed there (see `records`)
    let (trash, written) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(IN_FLIGHT + 1);
    let mut prep = ctx.sink.preparer();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for r in parser.records_json_value() {
                batch.push(match r {
                    Ok(rec) => {
                        let mut flat = flatten(rec.data);
                        flat.entry("EventRecordID")
                            .or_insert_with(|| Value::from(rec.event_record_id));
                        flat.entry("SystemTime")
                            .or_insert_with(|| Value::String(rec.timestamp.to_string()));
                        let mut m = map_evtx(flat);
                        if m.event.time.is_none() {
                            m.event.time = cb_domain::time::normalize(&rec.timestamp.to_string());
                        }
                        m.prepare(&mut prep);
                        Ok((rec.event_record_id, m))
                    }
                    Err(e) => Err(e.to_string()),
                });
                if batch.len() >= BATCH {
                    while let Ok(done) = written.try_recv() {
                        drop(done);
                    }
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if out.send(full).is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = out.send(batch);
            }
        });
        let mut bad = 0u64;
        // on an error (a cancel) `batches` is dropped here, so the parsing thread stops
        for batch in batches {
            for r in &batch {
                ctx.tick()?;
                match r {
                    Ok((id, m)) => {
                        let no = ctx.record_no(*id);
                        ctx.emit(m, no)?;
                    }
                    Err(e) => {
                        bad += 1;
                        let no = ctx.record_no(0);
                        ctx.skip(no, member, format!("unreadable EVTX data ({bad}): {e}"));
                    }
                }
            }
            let _ = trash.try_send(batch);
        }
        Ok(())
    })
}

/// Records per batch handed from the parsing thread to the writer.
const BATCH: usize = 256;
/// Batches in flight (bounds memory: the parser runs at most this far ahead of the writes).
const IN_FLIGHT: usize = 3;

/// A record parsed and mapped (its EventRecordID), or why it could not be read.
type Parsed = Result<(u64, crate::map::Mapped), String>;

/// `{"Event":{"System":{…},"EventData":{…}}}` → one flat map: the System fields a reader
/// needs (EventID, Channel, Computer, Provider, TimeCreated, EventRecordID, Level, Task,
/// UserID…) and every EventData / UserData field by name. Takes the document so values are
/// moved, not copied.
pub(crate) fn flatten(doc: Value) -> Map<String, Value> {
    let mut out = Map::new();
    let mut doc = match doc {
        Value::Object(o) => o,
        _ => return out,
    };
    let mut ev = match doc.remove("Event") {
        Some(Value::Object(e)) => e,
        Some(_) => return out,
        None => doc,
    };
    if let Some(Value::Object(sys)) = ev.remove("System") {
        for (k, v) in sys {
            match (k.as_str(), v) {
                ("Provider_attributes", Value::Object(mut a)) => {
                    if let Some(n) = a.remove("Name") {
                        out.insert("Provider".into(), n);
                    }
                }
                ("TimeCreated_attributes", Value::Object(mut a)) => {
                    if let Some(t) = a.remove("SystemTime") {
                        out.insert("TimeCreated".into(), t);
                    }
                }
                ("Security_attributes", Value::Object(mut a)) => {
                    if let Some(u) = a.remove("UserID") {
                        out.insert("UserID".into(), u);
                    }
                }
                ("Execution_attributes", Value::Object(a)) => {
                    for (ek, ev) in a {
                        out.insert(format!("Execution{ek}"), ev);
                    }
                }
                (_, Value::Object(mut o)) if o.contains_key("#text") => {
                    if let Some(t) = o.remove("#text") {
                        out.insert(k, t);
                    }
                }
                (_, Value::Object(_)) | (_, Value::Null) => {}
                (_, v) => {
                    out.insert(k, v);
                }
            }
        }
    }
    for section in ["EventData", "UserData"] {
        match ev.remove(section) {
            Some(Value::Object(d)) => {
                // UserData wraps its fields in one element named after the event
                let d = if section == "UserData"
                    && d.len() == 1
                    && matches!(d.values().next(), Some(Value::Object(_)))
                {
                    match d.into_iter().next() {
                        Some((_, Value::Object(inner))) => inner,
                        _ => Map::new(),
                    }
                } else {
                    d
                };
                for (k, v) in d {
                    if k.ends_with("_attributes") {
                        continue;
                    }
                    out.entry(k).or_insert(v);
                }
            }
            Some(v @ Value::String(_)) => {
                out.entry(section.to_string()).or_insert(v);
            }
            _ => {}
        }
    }
    out
}
