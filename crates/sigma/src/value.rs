//! Sigma values and modifiers, compiled to matchers: wildcards and escapes, `contains`,
//! `startswith`, `endswith`, `all`, `re` (+ `i`/`m`/`s`), `cidr`, `base64`, `base64offset`,
//! `windash`, `wide`/`utf16le`/`utf16be`/`utf16`, `exists`, `fieldref`, `cased`,
//! `lt`/`lte`/`gt`/`gte`, `neq`, `expand`. Matching is case-insensitive unless `cased`
//! (regular expressions are case-sensitive unless `i`).

use memchr::memmem::Finder;
use regex::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::net::IpAddr;
use yaml_serde::Value as Yaml;

/// One piece of a Sigma string.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(String),
    /// `*`
    Star,
    /// `?`
    One,
    /// A windash position: `-`, `/`, en dash, em dash or horizontal bar.
    Dash,
}

/// A compiled test of one value against one field value.
#[derive(Debug)]
pub(crate) enum Pat {
    Eq(String),
    Prefix(String),
    Suffix(String),
    Contains(Box<Finder<'static>>),
    /// Wildcards inside or windash positions (on the lowered value unless cased).
    Glob(Glob),
    /// A regular expression (`re`), on the raw value.
    Regex(Regex),
    /// Any value (a lone `*`).
    Any,
    Cidr(IpAddr, u8),
    Num(Cmp, f64),
    /// Field absent or null.
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// One pattern and whether it compares case-sensitively (the raw value) or on lowered text.
#[derive(Debug)]
pub(crate) struct Matcher {
    pub pat: Pat,
    pub cased: bool,
}

impl Matcher {
    /// `raw` is the field's text, `lower` the same lowered.
    pub fn test(&self, raw: &str, lower: &str) -> bool {
        let s = if self.cased { raw } else { lower };
        match &self.pat {
            Pat::Eq(p) => s == p,
            Pat::Prefix(p) => s.starts_with(p.as_str()),
            Pat::Suffix(p) => s.ends_with(p.as_str()),
            Pat::Contains(f) => f.find(s.as_bytes()).is_some(),
            Pat::Glob(g) => g.is_match(s),
            Pat::Regex(r) => r.is_match(s),
            Pat::Any => true,
            Pat::Cidr(net, bits) => raw
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_net(ip, *net, *bits)),
            Pat::Num(c, v) => raw.trim().parse::<f64>().is_ok_and(|x| match c {
                Cmp::Lt => x < *v,
                Cmp::Lte => x <= *v,
                Cmp::Gt => x > *v,
                Cmp::Gte => x >= *v,
            }),
            Pat::Null => false,
        }
    }
}

/// What a field test compares with.
#[derive(Debug)]
pub(crate) enum Op {
    /// Alternatives per listed value: `all` = every value must match (each by any of its
    /// alternatives), else any. `neq` = the field exists and no value matches.
    Values {
        values: Vec<Vec<Matcher>>,
        all: bool,
        neq: bool,
        /// Without `all`: the lowered `contains` patterns of `values` in one automaton (one
        /// pass over the field instead of one search per value); those matchers are then
        /// left out of `values`.
        any_contains: Option<aho_corasick::AhoCorasick>,
    },
    Exists(bool),
    /// Equal (or startswith/endswith/contains) to another field of the same event.
    FieldRef {
        fields: Vec<String>,
        /// The same, interned (filled by the rule compiler).
        ids: Vec<usize>,
        shape: Shape,
        cased: bool,
        all: bool,
        neq: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shape {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// Modifiers of one field test.
#[derive(Debug, Default)]
struct Mods {
    shape: Option<Shape>,
    all: bool,
    re: bool,
    re_flags: (bool, bool, bool),
    cidr: bool,
    cased: bool,
    exists: bool,
    fieldref: bool,
    neq: bool,
    num: Option<Cmp>,
    /// Transformations, in the order written.
    transforms: Vec<Transform>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Transform {
    Base64,
    Base64Offset,
    Windash,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
    Expand,
}

fn parse_mods(mods: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    for &raw in mods {
        let set_shape = |m: &mut Mods, s: Shape| -> Result<(), String> {
            if m.shape.is_some_and(|x| x != s) {
                return Err(format!(
                    "modifier {raw}: conflicts with another shape modifier"
                ));
            }
            m.shape = Some(s);
            Ok(())
        };
        match raw {
            "contains" => set_shape(&mut m, Shape::Contains)?,
            "startswith" => set_shape(&mut m, Shape::Prefix)?,
            "endswith" => set_shape(&mut m, Shape::Suffix)?,
            "all" => m.all = true,
            "re" => m.re = true,
            "i" => m.re_flags.0 = true,
            "m" => m.re_flags.1 = true,
            "s" => m.re_flags.2 = true,
            "cidr" => m.cidr = true,
            "cased" => m.cased = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "neq" => m.neq = true,
            "lt" => m.num = Some(Cmp::Lt),
            "lte" => m.num = Some(Cmp::Lte),
            "gt" => m.num = Some(Cmp::Gt),
            "gte" => m.num = Some(Cmp::Gte),
            "base64" => m.transforms.push(Transform::Base64),
            "base64offset" => m.transforms.push(Transform::Base64Offset),
            "windash" => m.transforms.push(Transform::Windash),
            "wide" | "utf16le" => m.transforms.push(Transform::Utf16Le),
            "utf16be" => m.transforms.push(Transform::Utf16Be),
            "utf16" => m.transforms.push(Transform::Utf16Bom),
            "expand" => m.transforms.push(Transform::Expand),
            other => return Err(format!("unsupported modifier '{other}'")),
        }
    }
    if (m.re_flags.0 || m.re_flags.1 || m.re_flags.2) && !m.re {
        return Err("regular expression flag (i/m/s) without 're'".into());
    }
    Ok(m)
}

/// Placeholder values for `expand` (`%name%` → values), from settings.
pub type Placeholders = HashMap<String, Vec<String>>;

/// Compile the modifiers `mods` and the YAML value(s) of one field test.
pub(crate) fn compile(mods: &[&str], value: &Yaml, ph: &Placeholders) -> Result<Op, String> {
    let m = parse_mods(mods)?;
    let items: Vec<&Yaml> = match value {
        Yaml::Sequence(s) => s.iter().collect(),
        v => vec![v],
    };
    if items.is_empty() {
        return Err("empty value list".into());
    }
    if m.exists {
        return match items.as_slice() {
            [Yaml::Bool(b)] => Ok(Op::Exists(*b)),
            [Yaml::String(s)] if s.eq_ignore_ascii_case("true") => Ok(Op::Exists(true)),
            [Yaml::String(s)] if s.eq_ignore_ascii_case("false") => Ok(Op::Exists(false)),
            _ => Err("'exists' needs one boolean value".into()),
        };
    }
    if m.fieldref {
        let fields = items
            .iter()
            .map(|v| scalar_text(v).ok_or_else(|| "'fieldref' needs field names".to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Op::FieldRef {
            fields,
            ids: vec![],
            shape: m.shape.unwrap_or(Shape::Exact),
            cased: m.cased,
            all: m.all,
            neq: m.neq,
        });
    }
    let mut values = Vec::with_capacity(items.len());
    for v in items {
        values.push(compile_value(&m, v, ph)?);
    }
    let mut any_contains = None;
    if !m.all && !m.cased {
        let needles: Vec<Vec<u8>> = values
            .iter()
            .flatten()
            .filter_map(|x| match &x.pat {
                Pat::Contains(f) => Some(f.needle().to_vec()),
                _ => None,
            })
            .collect();
        if needles.len() >= 4 {
            if let Ok(ac) = aho_corasick::AhoCorasick::new(&needles) {
                for alts in &mut values {
                    alts.retain(|x| !matches!(x.pat, Pat::Contains(_)));
                }
                values.retain(|alts| !alts.is_empty());
                any_contains = Some(ac);
            }
        }
    }
    Ok(Op::Values {
        values,
        all: m.all,
        neq: m.neq,
        any_contains,
    })
}

/// A keyword (field-less) value: matched anywhere in any field (`contains` unless a shape
/// modifier says otherwise).
pub(crate) fn compile_keywords(
    mods: &[&str],
    value: &Yaml,
    ph: &Placeholders,
) -> Result<(Vec<Vec<Matcher>>, bool), String> {
    let mut m = parse_mods(mods)?;
    if m.exists || m.fieldref {
        return Err("'exists'/'fieldref' need a field".into());
    }
    if m.shape.is_none() && !m.re && !m.cidr && m.num.is_none() {
        m.shape = Some(Shape::Contains);
    }
    let items: Vec<&Yaml> = match value {
        Yaml::Sequence(s) => s.iter().collect(),
        v => vec![v],
    };
    let mut out = vec![];
    for v in items {
        out.push(compile_value(&m, v, ph)?);
    }
    Ok((out, m.all))
}

fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One listed value → its alternatives (several after windash/base64offset/expand).
fn compile_value(m: &Mods, v: &Yaml, ph: &Placeholders) -> Result<Vec<Matcher>, String> {
    if matches!(v, Yaml::Null) {
        if !m.transforms.is_empty() || m.shape.is_some() || m.re {
            return Err("null value with modifiers".into());
        }
        return Ok(vec![Matcher {
            pat: Pat::Null,
            cased: false,
        }]);
    }
    let text = scalar_text(v).ok_or_else(|| format!("value is not a scalar: {v:?}"))?;
    if m.re {
        if !m.transforms.is_empty() || m.shape.is_some() {
            return Err("'re' combined with transformation or shape modifiers".into());
        }
        let r = RegexBuilder::new(&text)
            .case_insensitive(m.re_flags.0)
            .multi_line(m.re_flags.1)
            .dot_matches_new_line(m.re_flags.2)
            .build()
            .map_err(|e| {
                format!(
                    "regular expression {text:?}: {}",
                    first_line(&e.to_string())
                )
            })?;
        return Ok(vec![Matcher {
            pat: Pat::Regex(r),
            cased: true,
        }]);
    }
    if m.cidr {
        let (net, bits) = parse_cidr(&text)?;
        return Ok(vec![Matcher {
            pat: Pat::Cidr(net, bits),
            cased: true,
        }]);
    }
    if let Some(c) = m.num {
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("numeric modifier on a non-number {text:?}"))?;
        return Ok(vec![Matcher {
            pat: Pat::Num(c, n),
            cased: true,
        }]);
    }
    // a number or bool is a plain value; a string has wildcards and escapes
    let mut alts: Vec<Alt> = vec![Alt::Toks(match v {
        Yaml::String(s) => parse_wildcards(s),
        _ => vec![Tok::Lit(text)],
    })];
    for t in &m.transforms {
        let mut next = vec![];
        for alt in alts {
            match (t, alt) {
                (Transform::Expand, Alt::Toks(toks)) => {
                    next.extend(expand(&toks, ph)?.into_iter().map(Alt::Toks))
                }
                (Transform::Windash, Alt::Toks(toks)) => next.push(Alt::Toks(windash(&toks))),
                (
                    Transform::Utf16Le | Transform::Utf16Be | Transform::Utf16Bom,
                    Alt::Toks(toks),
                ) => next.push(Alt::Bytes(utf16(&literal(&toks, "utf16")?, *t))),
                (Transform::Base64, alt) => {
                    next.push(Alt::Toks(vec![Tok::Lit(base64(&alt.bytes("base64")?))]))
                }
                (Transform::Base64Offset, alt) => {
                    for enc in base64_offsets(&alt.bytes("base64offset")?) {
                        next.push(Alt::Toks(vec![Tok::Lit(enc)]));
                    }
                }
                (_, Alt::Bytes(_)) => return Err("text modifier after an encoding modifier".into()),
            }
        }
        alts = next;
    }
    let cased = m.cased;
    alts.into_iter()
        .map(|alt| {
            let mut toks = match alt {
                Alt::Toks(t) => t,
                // encoded bytes as text (NULs included), as a decoded field would hold them
                Alt::Bytes(b) => vec![Tok::Lit(b.iter().map(|&c| c as char).collect())],
            };
            match m.shape {
                Some(Shape::Contains) => {
                    if toks.first() != Some(&Tok::Star) {
                        toks.insert(0, Tok::Star);
                    }
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                Some(Shape::Prefix) => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                Some(Shape::Suffix) => {
                    if toks.first() != Some(&Tok::Star) {
                        toks.insert(0, Tok::Star);
                    }
                }
                Some(Shape::Exact) | None => {}
            }
            Ok(Matcher {
                pat: to_pat(toks, cased)?,
                cased,
            })
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

/// `\` escapes `*`, `?` and `\`; any other backslash is literal.
fn parse_wildcards(s: &str) -> Vec<Tok> {
    let mut out = vec![];
    let mut lit = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    it.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' { Tok::Star } else { Tok::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Tok::Lit(lit));
    }
    out
}

fn literal(toks: &[Tok], what: &str) -> Result<String, String> {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Lit(l) => s.push_str(l),
            _ => return Err(format!("'{what}' on a value with wildcards")),
        }
    }
    Ok(s)
}

/// A value on its way through transformation modifiers.
enum Alt {
    Toks(Vec<Tok>),
    Bytes(Vec<u8>),
}

impl Alt {
    fn bytes(self, what: &str) -> Result<Vec<u8>, String> {
        match self {
            Alt::Bytes(b) => Ok(b),
            Alt::Toks(t) => Ok(literal(&t, what)?.into_bytes()),
        }
    }
}

fn utf16(s: &str, t: Transform) -> Vec<u8> {
    let mut out = vec![];
    if t == Transform::Utf16Bom {
        out.extend([0xFF, 0xFE]);
    }
    for u in s.encode_utf16() {
        let [a, b] = u.to_le_bytes();
        if t == Transform::Utf16Be {
            out.extend([b, a]);
        } else {
            out.extend([a, b]);
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub(crate) fn base64(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three Base64 forms of `v` at byte offsets 0, 1 and 2 of a longer string, cut to the
/// characters that do not depend on the surrounding bytes.
fn base64_offsets(v: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2]; // chars cut at the end, by (len + shift) % 3
    let mut out = vec![];
    for shift in 0..3 {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(v);
        let enc = base64(&padded);
        let cut = END[(v.len() + shift) % 3];
        let end = enc.len().saturating_sub(cut);
        if START[shift] < end {
            out.push(enc[START[shift]..end].to_string());
        }
    }
    out
}

/// `-` or `/` that starts a word (after a non-word character or the start, before a word
/// character) becomes any of the Windows dash characters.
fn windash(toks: &[Tok]) -> Vec<Tok> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = vec![];
    for (i, t) in toks.iter().enumerate() {
        let Tok::Lit(s) = t else {
            out.push(t.clone());
            continue;
        };
        let chars: Vec<char> = s.chars().collect();
        let mut lit = String::new();
        for (j, &c) in chars.iter().enumerate() {
            let prev_word = if j > 0 {
                word(chars[j - 1])
            } else {
                // across a wildcard: not a word character
                matches!(i.checked_sub(1).map(|k| &toks[k]), Some(Tok::Lit(p)) if p.chars().last().is_some_and(word))
            };
            let next_word = chars.get(j + 1).is_some_and(|&n| word(n));
            if (c == '-' || c == '/') && !prev_word && next_word {
                if !lit.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                out.push(Tok::Dash);
            } else {
                lit.push(c);
            }
        }
        if !lit.is_empty() {
            out.push(Tok::Lit(lit));
        }
    }
    out
}

/// `%name%` placeholders → one alternative per value; `\%` is a plain percent sign.
fn expand(toks: &[Tok], ph: &Placeholders) -> Result<Vec<Vec<Tok>>, String> {
    let mut alts: Vec<Vec<Tok>> = vec![vec![]];
    for t in toks {
        let Tok::Lit(s) = t else {
            for a in &mut alts {
                a.push(t.clone());
            }
            continue;
        };
        // split s into literal and placeholder parts
        let mut parts: Vec<(bool, String)> = vec![];
        let mut cur = String::new();
        let mut it = s.chars().peekable();
        let mut in_ph = false;
        while let Some(c) = it.next() {
            if c == '\\' && it.peek() == Some(&'%') {
                cur.push('%');
                it.next();
            } else if c == '%' {
                parts.push((in_ph, std::mem::take(&mut cur)));
                in_ph = !in_ph;
            } else {
                cur.push(c);
            }
        }
        if in_ph {
            return Err(format!("unterminated placeholder in {s:?}"));
        }
        parts.push((false, cur));
        for (is_ph, p) in parts {
            if !is_ph {
                if !p.is_empty() {
                    for a in &mut alts {
                        a.push(Tok::Lit(p.clone()));
                    }
                }
                continue;
            }
            let vals = ph
                .get(&p)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("placeholder %{p}% has no values in the settings"))?;
            let mut next = vec![];
            for a in &alts {
                for v in vals {
                    let mut b = a.clone();
                    b.extend(parse_wildcards(v));
                    next.push(b);
                }
            }
            alts = next;
        }
    }
    Ok(alts
        .into_iter()
        .map(|a| {
            // merge adjacent literals so the fast paths apply
            let mut out: Vec<Tok> = vec![];
            for t in a {
                match (out.last_mut(), t) {
                    (Some(Tok::Lit(p)), Tok::Lit(s)) => p.push_str(&s),
                    (_, t) => out.push(t),
                }
            }
            out
        })
        .collect())
}

fn to_pat(toks: Vec<Tok>, cased: bool) -> Result<Pat, String> {
    let low = |s: &str| {
        if cased {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    Ok(match toks.as_slice() {
        [] => Pat::Eq(String::new()),
        [Tok::Lit(s)] => Pat::Eq(low(s)),
        [Tok::Star] => Pat::Any,
        [Tok::Lit(s), Tok::Star] => Pat::Prefix(low(s)),
        [Tok::Star, Tok::Lit(s)] => Pat::Suffix(low(s)),
        [Tok::Star, Tok::Lit(s), Tok::Star] => {
            Pat::Contains(Box::new(Finder::new(low(s).as_bytes()).into_owned()))
        }
        _ => {
            let mut g = Glob {
                start: toks.first() != Some(&Tok::Star),
                end: toks.last() != Some(&Tok::Star),
                segs: vec![vec![]],
            };
            for t in &toks {
                let seg = g.segs.last_mut().expect("one segment");
                match t {
                    Tok::Lit(s) => seg.extend(low(s).chars().map(Unit::Char)),
                    Tok::One => seg.push(Unit::One),
                    Tok::Dash => seg.push(Unit::Dash),
                    Tok::Star => g.segs.push(vec![]),
                }
            }
            g.segs.retain(|s| !s.is_empty());
            Pat::Glob(g)
        }
    })
}

/// One character position of a glob.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    Char(char),
    /// `?`
    One,
    /// `-`, `/`, en dash, em dash, horizontal bar
    Dash,
}

impl Unit {
    fn accepts(self, c: char) -> bool {
        match self {
            Unit::Char(x) => x == c,
            Unit::One => true,
            Unit::Dash => matches!(c, '-' | '/' | '\u{2013}' | '\u{2014}' | '\u{2015}'),
        }
    }
}

/// Segments separated by `*`; `start`/`end`: the first/last segment is anchored.
#[derive(Debug)]
pub(crate) struct Glob {
    start: bool,
    end: bool,
    segs: Vec<Vec<Unit>>,
}

/// Byte end of `seg` matched at byte `at` of `s`.
fn seg_at(s: &str, at: usize, seg: &[Unit]) -> Option<usize> {
    let mut it = s[at..].char_indices();
    for u in seg {
        let (_, c) = it.next()?;
        if !u.accepts(c) {
            return None;
        }
    }
    Some(it.next().map(|(i, _)| at + i).unwrap_or(s.len()))
}

impl Glob {
    /// Leftmost-first matching of each segment is exact for globs whose only variable-length
    /// wildcard is `*`.
    pub fn is_match(&self, s: &str) -> bool {
        let n = self.segs.len();
        if n == 0 {
            // only stars, or anchored empty
            return !(self.start && self.end) || s.is_empty();
        }
        let mut pos = 0;
        for (i, seg) in self.segs.iter().enumerate() {
            let first = i == 0 && self.start;
            let last = i == n - 1 && self.end;
            if last {
                // anchored at the end: it starts `seg.len()` characters before the end
                let Some(start) = s
                    .char_indices()
                    .rev()
                    .nth(seg.len().saturating_sub(1))
                    .map(|(b, _)| b)
                else {
                    return false;
                };
                if seg.is_empty() || start < pos || (first && start != 0) {
                    return false;
                }
                return seg_at(s, start, seg) == Some(s.len());
            }
            if first {
                match seg_at(s, 0, seg) {
                    Some(e) => pos = e,
                    None => return false,
                }
                continue;
            }
            let mut found = None;
            for (b, _) in s[pos..].char_indices() {
                if let Some(e) = seg_at(s, pos + b, seg) {
                    found = Some(e);
                    break;
                }
            }
            match found {
                Some(e) => pos = e,
                None => return false,
            }
        }
        true
    }
}

fn parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let (a, b) = s.split_once('/').unwrap_or((s, ""));
    let ip: IpAddr = a
        .trim()
        .parse()
        .map_err(|_| format!("cidr {s:?}: not an address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u8 = if b.is_empty() {
        max
    } else {
        b.trim()
            .parse()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| format!("cidr {s:?}: bad prefix length"))?
    };
    Ok((ip, bits))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits as u32)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits as u32)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_net(IpAddr::V4(v4), net, bits)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_reference_encoding() {
        assert_eq!(base64(b"cmd"), "Y21k");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        // each offset form appears in the encoding of the value at that offset
        let v = b"IEX (New-Object";
        let forms = base64_offsets(v);
        assert_eq!(forms.len(), 3);
        for (shift, form) in forms.iter().enumerate() {
            let mut s = b"xyz".to_vec();
            s.truncate(shift);
            s.extend_from_slice(v);
            s.extend_from_slice(b" tail");
            assert!(base64(&s).contains(form.as_str()), "{shift} {form}");
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(parse_wildcards(r"a\*b"), vec![Tok::Lit("a*b".into())]);
        assert_eq!(
            parse_wildcards(r"C:\Windows\\"),
            vec![Tok::Lit(r"C:\Windows\".into())]
        );
        assert_eq!(
            parse_wildcards(r"\\*"),
            vec![Tok::Lit("\\".into()), Tok::Star]
        );
        assert_eq!(parse_wildcards(r"\\\*"), vec![Tok::Lit(r"\*".into())]);
    }

    #[test]
    fn globs() {
        let g = |p: &str| match to_pat(parse_wildcards(p), false).unwrap() {
            Pat::Glob(g) => g,
            other => panic!("{other:?}"),
        };
        assert!(g("a*b*c").is_match("axxbyyc"));
        assert!(!g("a*b*c").is_match("axxbyy"));
        assert!(g("*a?c*").is_match("zzabczz"));
        assert!(g("a?c").is_match("abc") && !g("a?c").is_match("abbc"));
        assert!(g("*ab*ab").is_match("xxabab") && !g("*ab*ab").is_match("xxab"));
        assert!(g("é*ü").is_match("éxü"));
        let w = windash(&parse_wildcards("* -enc *"));
        let Pat::Glob(w) = to_pat(w, false).unwrap() else {
            panic!()
        };
        for v in ["x -enc y", "x /enc y", "x \u{2013}enc y", "x \u{2015}enc y"] {
            assert!(w.is_match(v), "{v}");
        }
        assert!(!w.is_match("x +enc y"));
    }

    #[test]
    fn cidr() {
        let (n, b) = parse_cidr("10.0.0.0/8").unwrap();
        assert!(in_net("10.1.2.3".parse().unwrap(), n, b));
        assert!(!in_net("11.1.2.3".parse().unwrap(), n, b));
        let (n, b) = parse_cidr("fe80::/10").unwrap();
        assert!(in_net("fe80::1".parse().unwrap(), n, b));
    }
}
