//! Streaming split of a JSON array into its elements' bytes, without parsing the whole
//! document: `[ {...}, {...} ]` at the top level, or the array under one top-level key
//! (`{"type":"bundle","objects":[...]}`). Memory is one element at a time.

use std::io::Read;

pub(crate) struct Elements<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    done: bool,
    /// Elements yielded so far.
    pub index: u64,
    max: usize,
}

#[derive(Debug)]
pub(crate) enum ElemError {
    /// The element was larger than the limit (it was skipped; the stream goes on).
    TooLarge(usize),
    /// The document ended or broke inside an element (the stream stops).
    Broken(String),
}

impl<R: Read> Elements<R> {
    fn new(r: R, max: usize) -> Self {
        Elements {
            r,
            buf: vec![0; 256 * 1024],
            pos: 0,
            len: 0,
            done: false,
            index: 0,
            max,
        }
    }

    fn byte(&mut self) -> std::io::Result<Option<u8>> {
        if self.pos == self.len {
            self.len = loop {
                match self.r.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.pos = 0;
            if self.len == 0 {
                return Ok(None);
            }
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(Some(b))
    }

    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            match self.byte()? {
                Some(b) if b.is_ascii_whitespace() => continue,
                Some(0xEF) | Some(0xBB) | Some(0xBF) => continue, // BOM
                other => return Ok(other),
            }
        }
    }

    /// Elements of the top-level array.
    pub fn top_level(r: R, max: usize) -> Result<Self, String> {
        let mut s = Elements::new(r, max);
        match s.skip_ws().map_err(|e| e.to_string())? {
            Some(b'[') => Ok(s),
            _ => Err("not a JSON array".into()),
        }
    }

    /// Elements of the array under top-level `key` of a top-level object.
    pub fn under_key(r: R, key: &str, max: usize) -> Result<Self, String> {
        let mut s = Elements::new(r, max);
        let e = |e: std::io::Error| e.to_string();
        if s.skip_ws().map_err(e)? != Some(b'{') {
            return Err("not a JSON object".into());
        }
        let mut depth = 1usize;
        let mut last_string: Vec<u8> = Vec::new();
        let mut string_at_depth1 = false;
        loop {
            let Some(b) = s.byte().map_err(e)? else {
                return Err(format!("no \"{key}\" array found"));
            };
            match b {
                b'"' => {
                    last_string.clear();
                    loop {
                        match s.byte().map_err(e)? {
                            None => return Err("document ends inside a string".into()),
                            Some(b'\\') => {
                                let n = s.byte().map_err(e)?.unwrap_or(b'\\');
                                last_string.push(n);
                            }
                            Some(b'"') => break,
                            Some(c) => {
                                if last_string.len() < 256 {
                                    last_string.push(c)
                                }
                            }
                        }
                    }
                    string_at_depth1 = depth == 1;
                }
                b':' if depth == 1 && string_at_depth1 && last_string == key.as_bytes() => {
                    return match s.skip_ws().map_err(e)? {
                        Some(b'[') => Ok(s),
                        _ => Err(format!("\"{key}\" is not an array")),
                    };
                }
                b'{' | b'[' => {
                    depth += 1;
                    string_at_depth1 = false;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    string_at_depth1 = false;
                }
                b',' => string_at_depth1 = false,
                c if c.is_ascii_whitespace() => {}
                _ => string_at_depth1 = false,
            }
        }
    }
}

impl<R: Read> Iterator for Elements<R> {
    type Item = Result<Vec<u8>, ElemError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let io = |e: std::io::Error| ElemError::Broken(e.to_string());
        let first = match self.skip_ws() {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.done = true;
                return Some(Err(ElemError::Broken(
                    "document ends inside the array".into(),
                )));
            }
            Err(e) => {
                self.done = true;
                return Some(Err(io(e)));
            }
        };
        if first == b']' {
            self.done = true;
            return None;
        }
        let mut out = Vec::with_capacity(1024);
        let mut size = 0usize;
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut b = first;
        loop {
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
            } else {
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        if b == b']' {
                            self.done = true;
                        }
                        break;
                    }
                    _ => {}
                }
            }
            size += 1;
            if size <= self.max {
                out.push(b);
            }
            b = match self.byte() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    self.done = true;
                    self.index += 1;
                    return Some(Err(ElemError::Broken(format!(
                        "document ends inside element {}",
                        self.index
                    ))));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(io(e)));
                }
            };
        }
        self.index += 1;
        if size > self.max {
            return Some(Err(ElemError::TooLarge(size)));
        }
        // trailing whitespace of the element
        while out.last().is_some_and(|c| c.is_ascii_whitespace()) {
            out.pop();
        }
        Some(Ok(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arrays_and_keyed_arrays() {
        let doc = br#" [ {"a":"x,]}"}, [1,2], 3 , "s\"]" ] "#;
        let els: Vec<_> = Elements::top_level(&doc[..], 1 << 20)
            .unwrap()
            .map(|e| String::from_utf8(e.unwrap()).unwrap())
            .collect();
        assert_eq!(els, vec![r#"{"a":"x,]}"}"#, "[1,2]", "3", r#""s\"]""#]);
        let doc = br#"{"type":"bundle","x":{"objects":[9]},"objects":[{"id":"a"},{"id":"b"}]}"#;
        let els: Vec<_> = Elements::under_key(&doc[..], "objects", 1 << 20)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(els.len(), 2);
        let empty: Vec<_> = Elements::top_level(&b"[]"[..], 10).unwrap().collect();
        assert!(empty.is_empty());
        let mut trunc = Elements::top_level(&b"[{\"a\":1},{\"b\""[..], 100).unwrap();
        assert!(trunc.next().unwrap().is_ok());
        assert!(matches!(trunc.next().unwrap(), Err(ElemError::Broken(_))));
        assert!(trunc.next().is_none());
    }
}
