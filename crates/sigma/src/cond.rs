//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`, `1 of them`,
//! `all of them` (identifiers starting with `_` excluded from `them`). Precedence, least to
//! most binding: or, and, not, x of, ( ).

/// A condition over search identifiers, by index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Id(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// At least `n` of these (`1 of`); `n == usize::MAX` means all of them.
    Of(usize, Vec<usize>),
}

impl Cond {
    /// Evaluate with `search(i)` giving identifier `i`'s result (memoised by the caller).
    pub fn eval(&self, search: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Id(i) => search(*i),
            Cond::Not(c) => !c.eval(search),
            Cond::And(v) => v.iter().all(|c| c.eval(search)),
            Cond::Or(v) => v.iter().any(|c| c.eval(search)),
            Cond::Of(n, ids) if *n == usize::MAX => ids.iter().all(|&i| search(i)),
            Cond::Of(n, ids) => {
                let mut hits = 0;
                for &i in ids {
                    if search(i) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Open,
    Close,
    Word(String),
}

fn lex(s: &str) -> Result<Vec<T>, String> {
    let mut out = vec![];
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' | ' ' | '\t' | '\n' | '\r' => {
                if !cur.is_empty() {
                    out.push(T::Word(std::mem::take(&mut cur)));
                }
                if c == '(' {
                    out.push(T::Open);
                } else if c == ')' {
                    out.push(T::Close);
                }
            }
            '|' => return Err("aggregation expressions ('| count() …') are not supported".into()),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(T::Word(cur));
    }
    Ok(out)
}

struct P<'a> {
    toks: Vec<T>,
    pos: usize,
    names: &'a [String],
}

/// Parse `text` against the rule's search identifiers `names`.
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    let mut p = P {
        toks: lex(text)?,
        pos: 0,
        names,
    };
    if p.toks.is_empty() {
        return Err("empty condition".into());
    }
    let c = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "condition {text:?}: unexpected {:?}",
            p.toks[p.pos]
        ));
    }
    Ok(c)
}

impl P<'_> {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(T::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.and()?];
        while self.peek_kw("or") {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::Or(v)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.not()?];
        while self.peek_kw("and") {
            self.pos += 1;
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::And(v)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek_kw("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.toks.get(self.pos).cloned() {
            Some(T::Open) => {
                self.pos += 1;
                let c = self.or()?;
                if self.toks.get(self.pos) != Some(&T::Close) {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(c)
            }
            Some(T::Word(w)) => {
                self.pos += 1;
                let quant = if w.eq_ignore_ascii_case("all") {
                    Some(usize::MAX)
                } else if w.eq_ignore_ascii_case("any") {
                    Some(1)
                } else {
                    w.parse::<usize>().ok().filter(|&n| n > 0)
                };
                if let Some(n) = quant {
                    if self.peek_kw("of") {
                        self.pos += 1;
                        let Some(T::Word(target)) = self.toks.get(self.pos).cloned() else {
                            return Err(format!("'{w} of' without identifiers"));
                        };
                        self.pos += 1;
                        return Ok(Cond::Of(n, self.matching(&target)?));
                    }
                }
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Cond::Id(i)),
                    None => Err(format!(
                        "condition names an unknown search identifier '{w}'"
                    )),
                }
            }
            Some(T::Close) => Err("unexpected ')'".into()),
            None => Err("condition ends early".into()),
        }
    }

    fn matching(&self, target: &str) -> Result<Vec<usize>, String> {
        let ids: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| glob(target, &self.names[i]))
                .collect()
        };
        if ids.is_empty() {
            return Err(format!("'of {target}': no search identifier matches"));
        }
        Ok(ids)
    }
}

/// `*` = any run of characters (identifier patterns).
fn glob(pat: &str, s: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_and_quantifiers() {
        let n = names(&["selection_a", "selection_b", "filter_main_x", "_hidden"]);
        let c = parse("all of selection_* and not 1 of filter_main_*", &n).unwrap();
        assert_eq!(
            c,
            Cond::And(vec![
                Cond::Of(usize::MAX, vec![0, 1]),
                Cond::Not(Box::new(Cond::Of(1, vec![2])))
            ])
        );
        let c = parse("selection_a or selection_b and not filter_main_x", &n).unwrap();
        assert!(matches!(c, Cond::Or(ref v) if v.len() == 2));
        assert_eq!(parse("1 of them", &n).unwrap(), Cond::Of(1, vec![0, 1, 2]));
        assert!(parse("selection_c", &n).is_err());
        assert!(parse("selection_a | count() > 5", &n).is_err());
        assert!(parse("(selection_a", &n).is_err());
    }
}
