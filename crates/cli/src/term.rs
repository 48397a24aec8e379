//! Terminal safety for plain output: evidence is attacker-controlled text, so control
//! characters (ESC sequences that clear the screen, set the window title, make OSC 8 links or
//! query the terminal), C1 controls and bidi overrides are printed as visible escapes
//! (`\x1b`, `\u{202e}`). Newlines and tabs are kept. `--json` output is not touched (JSON
//! escapes control characters itself).

use std::borrow::Cow;

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character but newline and tab shown as an escape.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let n = c as u32;
            if n < 0x80 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn escapes_terminal_controls_and_keeps_text() {
        assert_eq!(safe("plain text\twith tab"), "plain text\twith tab");
        assert_eq!(safe("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(safe("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(safe("x\ry"), "x\\x0dy");
        assert_eq!(safe("\u{9b}6n"), "\\u{9b}6n");
        assert_eq!(safe("invoice\u{202e}gpj.exe"), "invoice\\u{202e}gpj.exe");
        assert_eq!(safe("line1\nline2"), "line1\nline2");
        assert_eq!(safe("\x7f"), "\\x7f");
    }
}
