//! The text the search index holds for a record: its values, each field name marked so that
//! free text matches what a log says, not the names of its fields (`hostname` as free text
//! does not hit every record that has a `Hostname` field), while `Hostname:ws5` still finds
//! the value right after its marked name.
//!
//! An event's `Message` (the rendered text NXLog/Winlogbeat logs carry, e.g. in the OTRF
//! datasets) mostly repeats the record's other fields as `Label: value` lines. Such a line is
//! indexed as its label only when its value is exactly (ASCII case aside) the value of another
//! top-level field of the same record: that field indexes the same words, so every word,
//! prefix and boolean query finds the same records as before, with ~a third fewer tokens per
//! OTRF event. What no longer matches: a quoted phrase that runs from a `Message` label into
//! its repeated value (`"ProcessId: 2008"`); the value's own phrase still matches in its field.

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

/// Append the search text of event `e` to `out`: its source, channel and event id, then
/// [`push_event_fields`].
pub fn push_event(out: &mut String, e: &cb_domain::EventRecord) {
    out.push_str(&e.source);
    out.push(' ');
    out.push_str(&e.channel);
    out.push(' ');
    out.push_str(e.event_id.as_deref().unwrap_or(""));
    out.push(' ');
    push_event_fields(out, &e.fields);
}

/// The field that carries a rendered message (see the module doc).
pub const MESSAGE: &str = "Message";

/// Append the indexed text of an event's `fields` to `out`: [`push_fields`], with the value
/// lines of `Message` that repeat another field indexed by their label only.
pub fn push_event_fields(out: &mut String, fields: &Map<String, Value>) {
    let Some(Value::String(msg)) = fields.get(MESSAGE) else {
        return push_fields(out, fields);
    };
    // the other top-level values, as the index holds them
    let mut nums: Vec<String> = Vec::new();
    let mut values: Vec<&str> = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        match v {
            _ if k == MESSAGE => {}
            Value::String(s) => values.push(s.trim()),
            Value::Number(n) => nums.push(n.to_string()),
            Value::Bool(b) => values.push(if *b { "true" } else { "false" }),
            _ => {}
        }
    }
    values.extend(nums.iter().map(String::as_str));
    for (k, v) in fields {
        out.push(FIELD_MARK);
        out.push_str(k);
        out.push(' ');
        if k == MESSAGE {
            push_message(out, msg, &values);
        } else {
            push_value(out, v);
        }
    }
}

fn push_message(out: &mut String, msg: &str, values: &[&str]) {
    for line in msg.split('\n') {
        if let Some((label, value)) = line.split_once(':') {
            let value = value.trim();
            if !value.is_empty()
                && values
                    .iter()
                    .any(|v| v.len() == value.len() && v.eq_ignore_ascii_case(value))
            {
                out.push_str(label);
                out.push(' ');
                continue;
            }
        }
        out.push_str(line);
        out.push(' ');
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

    /// Words of the index text (what unicode61 keeps: letters and digits, case folded).
    fn words(s: &str) -> std::collections::BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    #[test]
    fn message_lines_that_repeat_a_field_keep_their_label_only() {
        let v: Map<String, Value> = serde_json::from_str(
            r#"{"EventID":1,"Image":"C:\\Windows\\cmd.exe","LogonId":"0x3e4",
                "Message":"Process Create:\r\nRuleName: -\r\nProcessId: 2008\r\nImage: C:\\Windows\\cmd.exe\r\nLogonId: 0x3E4\r\nEventID: 1\r\nUser: bob\r\nSee: the manual"}"#,
        )
        .unwrap();
        let mut full = String::new();
        push_fields(&mut full, &v);
        let mut s = String::new();
        push_event_fields(&mut s, &v);
        // repeated values (Image, LogonId in another case, EventID a number) drop; the rest
        // stays: the header, a value no field has (2008, bob, "-"), prose
        assert!(s.contains("ƒMessage Process Create:\r RuleName: -\r ProcessId: 2008\r Image LogonId EventID User: bob\r See: the manual "), "{s}");
        assert!(s.len() < full.len());
        // the same words as the whole text: word queries find the record as before
        assert_eq!(words(&s), words(&full));
        // no Message: the same text as push_fields
        let mut w: Map<String, Value> = v.clone();
        w.remove("Message");
        let (mut a, mut b) = (String::new(), String::new());
        push_fields(&mut a, &w);
        push_event_fields(&mut b, &w);
        assert_eq!(a, b);
    }
}
