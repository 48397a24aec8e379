//! The text the search index holds for a record: its values, each field name marked so that
//! free text matches what a log says, not the names of its fields (`hostname` as free text
//! does not hit every record that has a `Hostname` field), while `Hostname:ws5` still finds
//! the value right after its marked name.

use serde_json::{Map, Value};

/// Written in front of every field name in the index (a letter, so the name stays one token
/// with it: `ƒHostname`). A search for `name:value` looks for the phrase `ƒname value`.
pub const FIELD_MARK: char = 'ƒ';

/// Append the indexed text of `fields` to `out`.
pub fn push_fields(out: &mut String, fields: &Map<String, Value>) {
    for (k, v) in fields {
        out.push(FIELD_MARK);
        out.push_str(k);
        out.push(' ');
        push_value(out, v);
    }
}

fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Object(o) => push_fields(out, o),
        Value::Array(a) => {
            for x in a {
                push_value(out, x);
            }
        }
        Value::String(s) => {
            out.push_str(s);
            out.push(' ');
        }
        Value::Null => {}
        other => {
            out.push_str(&other.to_string());
            out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_marked_values_are_not() {
        let v: Map<String, Value> =
            serde_json::from_str(r#"{"Hostname":"WS5","n":3,"a":["x",{"User":"bob"}]}"#).unwrap();
        let mut s = String::new();
        push_fields(&mut s, &v);
        assert_eq!(s, "ƒHostname WS5 ƒn 3 ƒa x ƒUser bob ");
    }
}
