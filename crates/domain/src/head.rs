//! The first bytes of an evidence file or archive member, for format detection.

use std::io::{BufRead, Read};

/// Bytes read for detection: at least this many …
pub const HEAD_BYTES: usize = 64 * 1024;
/// … and, for JSON, on until the first record and the start of the next are in (a first
/// record over 64 KiB must not blind detection), at most this many.
pub const HEAD_MAX: usize = 16 << 20;

/// The first bytes of a stream, for detection: [`HEAD_BYTES`], and for JSON (`{` or `[`
/// first) on to the second line break, up to [`HEAD_MAX`].
pub fn read_head_from<R: Read + ?Sized>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(HEAD_BYTES);
    r.take(HEAD_BYTES as u64).read_to_end(&mut buf)?;
    let json = buf
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&buf)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    if json {
        let mut lines = buf.iter().filter(|&&b| b == b'\n').count();
        while lines < 2 && buf.len() < HEAD_MAX {
            let at = buf.len();
            let want = (HEAD_MAX - at).min(1 << 20) as u64;
            r.take(want).read_to_end(&mut buf)?;
            if buf.len() == at {
                break;
            }
            lines += buf[at..].iter().filter(|&&b| b == b'\n').count();
        }
    }
    Ok(buf)
}

/// Read one line into `out` (without the newline), keeping at most `max` bytes.
/// Returns `Ok(None)` at end of input, `Ok(Some(full_len))` otherwise.
pub fn read_line_capped(
    r: &mut impl BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<usize>> {
    out.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (chunk, done) = match memchr_nl(buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        total += chunk.len();
        if out.len() < max {
            let take = chunk.len().min(max - out.len());
            out.extend_from_slice(&chunk[..take]);
        }
        let consumed = done.unwrap_or(buf.len());
        r.consume(consumed);
        if done.is_some() {
            return Ok(Some(total));
        }
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}
