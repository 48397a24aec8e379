//! `events.fields`, the original fields of an event: written once, compressed. Since schema 6
//! a row holds its fields' JSON text compressed as one zstd frame (a BLOB); rows written by
//! older versions hold the JSON text itself (TEXT). Every reader goes through this module:
//! [`decode`] / [`decode_text`] in Rust, and the SQL function `cb_fields(fields)` (registered
//! on every connection the store opens) in SQL, e.g. `json_extract(cb_fields(fields), '$.X')`.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::{Map, Value};

/// zstd level: 3 (the library default) compresses the perf corpus's events ~4× at a small
/// fraction of the import's time; higher levels cost more time than they save in writes.
pub const LEVEL: i32 = 3;

/// Name of the SQL function that turns a stored `fields` value into its JSON text.
pub const SQL_FUNCTION: &str = "cb_fields";

/// A reusable compressor (one per import: its context is allocated once).
pub struct Encoder(zstd::bulk::Compressor<'static>);

impl Encoder {
    pub fn new() -> std::io::Result<Encoder> {
        let mut c = zstd::bulk::Compressor::new(LEVEL)?;
        // the frame records its content size, so a reader allocates the text once
        c.include_contentsize(true)?;
        c.include_checksum(false)?;
        Ok(Encoder(c))
    }

    /// The stored form of a fields JSON text.
    pub fn encode(&mut self, json: &str) -> std::io::Result<Vec<u8>> {
        self.0.compress(json.as_bytes())
    }
}

/// The JSON text of a stored `fields` value: a zstd frame (schema 6 on), or the text itself
/// (rows written before); `None` for NULL or a value that is neither.
pub fn decode_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => String::from_utf8(t.to_vec()).ok(),
        ValueRef::Blob(b) => {
            let text = zstd::stream::decode_all(b).ok()?;
            String::from_utf8(text).ok()
        }
        _ => None,
    }
}

/// The fields of a stored `fields` value (empty when it cannot be read).
pub fn decode(v: ValueRef<'_>) -> Map<String, Value> {
    decode_text(v)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Register `cb_fields(x)` on `conn`: the JSON text of a stored `fields` value (NULL when it
/// cannot be read), so SQL reads the fields of old and new rows alike.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        SQL_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(decode_text(ctx.get_raw(0))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_old_rows() {
        let json = r#"{"Image":"C:\\Windows\\System32\\cmd.exe","EventID":1,"Message":"Process Create: Image: C:\\Windows\\System32\\cmd.exe"}"#;
        let blob = Encoder::new().unwrap().encode(json).unwrap();
        assert!(blob.len() < json.len());
        assert_eq!(decode_text(ValueRef::Blob(&blob)).as_deref(), Some(json));
        // a row written before schema 6: the text itself
        assert_eq!(
            decode_text(ValueRef::Text(json.as_bytes())).as_deref(),
            Some(json)
        );
        assert_eq!(decode(ValueRef::Blob(&blob))["EventID"], 1);
        assert!(decode(ValueRef::Blob(b"not zstd")).is_empty());
        assert!(decode(ValueRef::Null).is_empty());

        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let image: String = conn
            .query_row(
                "SELECT json_extract(cb_fields(?1), '$.Image') || '|' || json_extract(cb_fields(?2), '$.EventID')",
                rusqlite::params![blob, json],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(image, r"C:\Windows\System32\cmd.exe|1");
    }
}
