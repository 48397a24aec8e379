//! Zip (`.zip`, `.Zip`) and gzip / tar.gz archives, read member by member as streams, never
//! unpacked to disk. Each member is detected on its own first bytes.

use crate::emit::Ctx;
use crate::{detect, evtx_import, records, stix, EventFormat};
use cb_domain::SinkError;
use std::io::{Cursor, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// A decompressing reader on a budget (see `Settings::max_ratio`): past it, reads fail with
/// the reason, which the reader above reports as a skip.
struct Budget<R> {
    inner: R,
    /// This member's bytes so far, and its limit.
    read: u64,
    limit: u64,
    total: Arc<AtomicU64>,
    compressed: Arc<AtomicU64>,
    ratio: u64,
    floor: u64,
    max_total: u64,
}

impl<R> Budget<R> {
    fn new(inner: R, ctx: &Ctx<'_>, compressed_size: Option<u64>) -> Budget<R> {
        let s = ctx.settings;
        Budget {
            inner,
            read: 0,
            limit: compressed_size
                .map(|c| s.ratio_floor.max(c.saturating_mul(s.max_ratio)))
                .unwrap_or(u64::MAX),
            total: ctx.decompressed.clone(),
            compressed: ctx.bytes_read(),
            ratio: s.max_ratio,
            floor: s.ratio_floor,
            max_total: s.max_decompressed_bytes,
        }
    }
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let total = self.total.fetch_add(n as u64, Relaxed) + n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(format!(
                "decompression budget: the member expands to more than {} bytes (over {}:1); skipped",
                self.limit, self.ratio
            )));
        }
        let compressed = self.compressed.load(Relaxed);
        if total > self.max_total
            || (total > self.floor && total > compressed.saturating_mul(self.ratio))
        {
            return Err(std::io::Error::other(format!(
                "decompression budget of the file exceeded: {total} bytes from {compressed} compressed (over {}:1, or more than {} bytes); rest skipped",
                self.ratio, self.max_total
            )));
        }
        Ok(n)
    }
}

const HEAD: usize = 64 * 1024;
/// Archives inside archives are followed this deep.
const MAX_DEPTH: u32 = 3;

pub(crate) fn import_zip(f: std::fs::File, ctx: &mut Ctx<'_>) -> Result<(), SinkError> {
    ctx.in_archive = true;
    let r = ctx.counting(f);
    zip_reader(r, ctx, "", 0)
}

pub(crate) fn import_gzip(f: std::fs::File, ctx: &mut Ctx<'_>) -> Result<(), SinkError> {
    ctx.in_archive = true;
    let r = ctx.counting(f);
    gzip_reader(r, ctx, "", 0)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}!{name}")
    }
}

fn zip_reader<R: Read + Seek>(
    r: R,
    ctx: &mut Ctx<'_>,
    prefix: &str,
    depth: u32,
) -> Result<(), SinkError> {
    let mut z = match zip::ZipArchive::new(r) {
        Ok(z) => z,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, prefix, format!("not a readable zip archive: {e}"));
            return Ok(());
        }
    };
    for i in 0..z.len() {
        let mut m = match z.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                let rec = ctx.record_no(0);
                let name = join(prefix, &format!("#{}", i + 1));
                ctx.skip(rec, &name, format!("cannot read member: {e}"));
                continue;
            }
        };
        // macOS resource forks that zip tools add next to the real files
        if m.is_dir() || m.name().starts_with("__MACOSX/") {
            continue;
        }
        let name = join(prefix, m.name());
        let compressed = m.compressed_size();
        let mut b = Budget::new(&mut m, ctx, Some(compressed));
        member(&mut b, &name, ctx, depth)?;
    }
    Ok(())
}

fn gzip_reader<R: Read>(
    r: R,
    ctx: &mut Ctx<'_>,
    prefix: &str,
    depth: u32,
) -> Result<(), SinkError> {
    let mut gz = Budget::new(flate2::read::MultiGzDecoder::new(r), ctx, None);
    let head = match read_head(&mut gz, HEAD) {
        Ok(h) => h,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, prefix, format!("not a readable gzip stream: {e}"));
            return Ok(());
        }
    };
    let is_tar = head.len() >= 262 && &head[257..262] == b"ustar";
    let stream = Cursor::new(head).chain(gz);
    if !is_tar {
        let name = if prefix.is_empty() {
            "(gzip content)".to_string()
        } else {
            prefix.to_string()
        };
        let mut s = stream;
        return member(&mut s, &name, ctx, depth);
    }
    let mut ar = tar::Archive::new(stream);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, prefix, format!("not a readable tar archive: {e}"));
            return Ok(());
        }
    };
    for (i, e) in entries.enumerate() {
        let mut e = match e {
            Ok(e) => e,
            Err(err) => {
                let rec = ctx.record_no(0);
                let name = join(prefix, &format!("#{}", i + 1));
                ctx.skip(
                    rec,
                    &name,
                    format!("archive broken here, rest unreadable: {err}"),
                );
                break;
            }
        };
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = join(
            prefix,
            &e.path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| format!("#{}", i + 1)),
        );
        member(&mut e, &name, ctx, depth)?;
    }
    Ok(())
}

fn read_head<R: Read + ?Sized>(r: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Detect one member on its first bytes and import it as a stream.
fn member(r: &mut dyn Read, name: &str, ctx: &mut Ctx<'_>, depth: u32) -> Result<(), SinkError> {
    // 64 KiB, or for JSON the whole first record (up to 16 MiB)
    let head = match cb_domain::head::read_head_from(r) {
        Ok(h) => h,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, name, format!("cannot read: {e}"));
            return Ok(());
        }
    };
    if head.is_empty() {
        return Ok(());
    }
    let Some(fmt) = detect(Path::new(name), &head) else {
        let rec = ctx.record_no(0);
        ctx.skip(
            rec,
            name,
            "not an event format Caseboard reads; skipped".into(),
        );
        return Ok(());
    };
    let stream = Cursor::new(head).chain(r);
    match fmt {
        EventFormat::Table(t, l) => records::import_table_here(stream, t, l, ctx, name),
        EventFormat::Stix2 => stix::import(stream, ctx, name),
        EventFormat::Gzip if depth < MAX_DEPTH => gzip_reader(stream, ctx, name, depth + 1),
        EventFormat::Evtx | EventFormat::Zip if depth < MAX_DEPTH => {
            // these need to seek: hold the member in memory (bounded), never on disk
            let cap = ctx.settings.max_member_bytes;
            let mut buf = Vec::new();
            let mut s = stream;
            if let Err(e) = (&mut s).take(cap + 1).read_to_end(&mut buf) {
                let rec = ctx.record_no(0);
                ctx.skip(rec, name, format!("cannot read: {e}"));
                return Ok(());
            }
            if buf.len() as u64 > cap {
                let rec = ctx.record_no(0);
                ctx.skip(
                    rec,
                    name,
                    format!("member larger than {cap} bytes; import it unpacked"),
                );
                return Ok(());
            }
            if fmt == EventFormat::Evtx {
                evtx_import::import(Cursor::new(buf), ctx, name)
            } else {
                zip_reader(Cursor::new(buf), ctx, name, depth + 1)
            }
        }
        _ => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, name, "archive nested too deep; skipped".into());
            Ok(())
        }
    }
}
