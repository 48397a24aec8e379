//! The query language.
//!
//! ```text
//! query   := or? EOF                       (empty = everything)
//! or      := and ( "OR" and )*
//! and     := unary ( "AND"? unary )*       (juxtaposition is AND)
//! unary   := ("NOT" | "-") unary | primary
//! primary := "(" or ")" | term
//! term    := PHRASE | WORD | NAME (":" | "=" | ">" | ">=" | "<" | "<=") (PHRASE | WORD)
//! ```
//! A trailing `*` on a word or phrase is a prefix wildcard. `AND`, `OR`, `NOT` are operators
//! only in upper case. Positions are 0-based character offsets into the query.
//!
//! Limits (hostile or pasted queries): at most [`MAX_QUERY_CHARS`] characters, [`MAX_TERMS`]
//! search terms and [`MAX_DEPTH`] nested `NOT`/`-`/parentheses; past them the query is a
//! syntax error at the offending position, never a deep recursion or an SQL error.

/// Longest query accepted (characters).
pub const MAX_QUERY_CHARS: usize = 65_536;
/// Most search terms (words, phrases, `field:value`) in one query.
pub const MAX_TERMS: usize = 64;
/// Deepest nesting of `NOT`, `-` and parentheses.
pub const MAX_DEPTH: usize = 32;

/// A comparison in a `field<op>value` term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `:` or `=`: equality / text match.
    Is,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    pub fn sql(&self) -> &'static str {
        match self {
            Op::Is => "=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// Free text or a phrase (`prefix` = trailing `*`).
    Text {
        text: String,
        prefix: bool,
    },
    /// `name op value`; `pos` is where the value starts.
    Field {
        name: String,
        op: Op,
        value: String,
        prefix: bool,
        pos: usize,
    },
    /// Matches everything (the empty query).
    All,
}

/// A query that does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: usize,
    pub expected: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// a word or a phrase; `quoted` for phrases
    Term {
        text: String,
        prefix: bool,
        quoted: bool,
    },
    /// `name` followed by an operator; the value is the next token
    FieldOp {
        name: String,
        op: Op,
    },
    Eof,
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-')
}

fn lex(q: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    if let Some((at, _)) = q.char_indices().nth(MAX_QUERY_CHARS) {
        return Err(SyntaxError {
            position: q[..at].chars().count(),
            expected: format!("the end of the query (at most {MAX_QUERY_CHARS} characters)"),
        });
    }
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        match c {
            '(' => {
                out.push((i, Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push((i, Tok::RParen));
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(SyntaxError {
                                position: chars.len(),
                                expected: format!(
                                    "a closing '\"' for the phrase opened at {start}"
                                ),
                            })
                        }
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            s.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                let prefix = chars.get(i) == Some(&'*');
                if prefix {
                    i += 1;
                }
                out.push((
                    start,
                    Tok::Term {
                        text: s,
                        prefix,
                        quoted: true,
                    },
                ));
            }
            '-' if chars
                .get(i + 1)
                .is_some_and(|c| !c.is_whitespace() && *c != ')') =>
            {
                // `-term` is `NOT term`
                out.push((i, Tok::Not));
                i += 1;
            }
            _ => {
                // a word runs to whitespace, a parenthesis or a quote
                let mut j = i;
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !matches!(chars[j], '(' | ')' | '"')
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                // `name:value`, `name>=value`…: a name, an operator, then the value
                let name_len = word.chars().take_while(|&c| is_name_char(c)).count();
                let rest: String = word.chars().skip(name_len).collect();
                let op = if rest.starts_with(">=") {
                    Some((Op::Ge, 2))
                } else if rest.starts_with("<=") {
                    Some((Op::Le, 2))
                } else if rest.starts_with('>') {
                    Some((Op::Gt, 1))
                } else if rest.starts_with('<') {
                    Some((Op::Lt, 1))
                } else if rest.starts_with(':') || rest.starts_with('=') {
                    Some((Op::Is, 1))
                } else {
                    None
                };
                match op {
                    Some((op, oplen)) if name_len > 0 => {
                        let name: String = word.chars().take(name_len).collect();
                        out.push((start, Tok::FieldOp { name, op }));
                        let vstart = i + name_len + oplen;
                        if vstart < j {
                            let v: String = chars[vstart..j].iter().collect();
                            out.push((vstart, term_tok(v)));
                        }
                    }
                    _ => {
                        let t = match word.as_str() {
                            "AND" => Tok::And,
                            "OR" => Tok::Or,
                            "NOT" => Tok::Not,
                            _ => term_tok(word),
                        };
                        out.push((start, t));
                    }
                }
                i = j;
            }
        }
    }
    out.push((chars.len(), Tok::Eof));
    if let Some((pos, _)) = out
        .iter()
        .filter(|(_, t)| matches!(t, Tok::Term { .. }))
        .nth(MAX_TERMS)
    {
        return Err(SyntaxError {
            position: *pos,
            expected: format!("the end of the query (at most {MAX_TERMS} search terms)"),
        });
    }
    Ok(out)
}

fn term_tok(w: String) -> Tok {
    match w.strip_suffix('*') {
        Some(s) if !s.is_empty() => Tok::Term {
            text: s.to_string(),
            prefix: true,
            quoted: false,
        },
        _ => Tok::Term {
            text: w,
            prefix: false,
            quoted: false,
        },
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    /// `NOT`s and parentheses open around the current token.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].1
    }
    fn pos(&self) -> usize {
        self.toks[self.i].0
    }
    fn next(&mut self) -> (usize, Tok) {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn deeper(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(&format!(
                "a search term (at most {MAX_DEPTH} nested NOT, '-' or parentheses)"
            ));
        }
        Ok(())
    }
    fn err<T>(&self, expected: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            position: self.pos(),
            expected: expected.to_string(),
        })
    }

    fn or(&mut self) -> Result<Node, SyntaxError> {
        let mut parts = vec![self.and()?];
        while *self.peek() == Tok::Or {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::All)
        } else {
            Node::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Node, SyntaxError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Tok::And => {
                    self.next();
                    parts.push(self.unary()?);
                }
                Tok::Term { .. } | Tok::FieldOp { .. } | Tok::Not | Tok::LParen => {
                    parts.push(self.unary()?)
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::All)
        } else {
            Node::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Node, SyntaxError> {
        if *self.peek() == Tok::Not {
            self.deeper()?;
            self.next();
            let n = Node::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(n);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, SyntaxError> {
        match self.peek().clone() {
            Tok::LParen => {
                self.deeper()?;
                self.next();
                if *self.peek() == Tok::RParen {
                    return self.err("a search term inside '(' ')'");
                }
                let n = self.or()?;
                if *self.peek() != Tok::RParen {
                    return self.err("')'");
                }
                self.next();
                self.depth -= 1;
                Ok(n)
            }
            Tok::Term { text, prefix, .. } => {
                self.next();
                Ok(Node::Text { text, prefix })
            }
            Tok::FieldOp { name, op } => {
                self.next();
                let pos = self.pos();
                match self.peek().clone() {
                    Tok::Term { text, prefix, .. } => {
                        self.next();
                        Ok(Node::Field {
                            name,
                            op,
                            value: text,
                            prefix,
                            pos,
                        })
                    }
                    _ => self.err(&format!(
                        "a value after '{name}{}'",
                        if op == Op::Is { ":" } else { op.sql() }
                    )),
                }
            }
            Tok::RParen => self.err("a search term (or a matching '(' before ')')"),
            Tok::Eof => self.err("a search term"),
            Tok::And | Tok::Or => self.err("a search term before the operator"),
            Tok::Not => self.err("a search term"),
        }
    }
}

/// Parse a query.
pub fn parse(q: &str) -> Result<Node, SyntaxError> {
    let toks = lex(q)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    if *p.peek() == Tok::Eof {
        return Ok(Node::All);
    }
    let n = p.or()?;
    match p.peek() {
        Tok::Eof => Ok(n),
        Tok::RParen => p.err("end of query (this ')' has no matching '(')"),
        _ => p.err("AND, OR or end of query"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Node {
        Node::Text {
            text: s.into(),
            prefix: false,
        }
    }

    #[test]
    fn hostile_queries_are_syntax_errors_at_a_position() {
        // 10,000 NOTs: no stack overflow, an error where the limit is passed
        let q = "NOT ".repeat(10_000) + "x";
        let e = parse(&q).unwrap_err();
        assert_eq!(e.position, MAX_DEPTH * 4, "{e:?}");
        assert!(e.expected.contains("nested"), "{e:?}");
        let q = "-".repeat(5000) + "x";
        assert!(parse(&q).unwrap_err().expected.contains("nested"));
        let q = "(".repeat(40_000) + "x" + &")".repeat(40_000);
        let e = parse(&q).unwrap_err();
        assert!(e.expected.contains("characters"), "{e:?}");
        assert_eq!(e.position, MAX_QUERY_CHARS);
        let q = "(".repeat(1000) + "x" + &")".repeat(1000);
        let e = parse(&q).unwrap_err();
        assert_eq!(e.position, MAX_DEPTH, "{e:?}");
        // many terms
        let q = (0..1000)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let e = parse(&q).unwrap_err();
        assert!(e.expected.contains("search terms"), "{e:?}");
        assert_eq!(
            &q.chars().skip(e.position).take(4).collect::<String>(),
            "t64 "
        );
        // at the limits it parses
        let q = "NOT ".repeat(MAX_DEPTH) + "x";
        assert!(parse(&q).is_ok());
        let q = (0..MAX_TERMS)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(parse(&q).is_ok());
        // a query starting with '-' is NOT
        assert_eq!(parse("-x").unwrap(), Node::Not(Box::new(t("x"))));
    }

    #[test]
    fn grammar() {
        assert_eq!(parse("").unwrap(), Node::All);
        assert_eq!(parse("a b").unwrap(), Node::And(vec![t("a"), t("b")]));
        assert_eq!(
            parse("a OR b AND c").unwrap(),
            Node::Or(vec![t("a"), Node::And(vec![t("b"), t("c")])])
        );
        assert_eq!(
            parse("NOT (a OR b)").unwrap(),
            Node::Not(Box::new(Node::Or(vec![t("a"), t("b")])))
        );
        assert_eq!(parse("-a").unwrap(), Node::Not(Box::new(t("a"))));
        assert_eq!(
            parse("adm*").unwrap(),
            Node::Text {
                text: "adm".into(),
                prefix: true
            }
        );
        assert_eq!(
            parse("\"a \"\"b\"\"\"*").unwrap(),
            Node::Text {
                text: "a \"b\"".into(),
                prefix: true
            }
        );
        assert_eq!(
            parse("severity>=medium").unwrap(),
            Node::Field {
                name: "severity".into(),
                op: Op::Ge,
                value: "medium".into(),
                prefix: false,
                pos: 10
            }
        );
        assert_eq!(
            parse("url:http://x/a?b=c").unwrap(),
            Node::Field {
                name: "url".into(),
                op: Op::Is,
                value: "http://x/a?b=c".into(),
                prefix: false,
                pos: 4
            }
        );
        assert_eq!(
            parse("user:\"john smith\"").unwrap(),
            Node::Field {
                name: "user".into(),
                op: Op::Is,
                value: "john smith".into(),
                prefix: false,
                pos: 5
            }
        );
        assert_eq!(
            parse("and or not").unwrap(),
            Node::And(vec![t("and"), t("or"), t("not")])
        );
    }

    #[test]
    fn errors_name_position_and_expectation() {
        let e = |q: &str| parse(q).unwrap_err();
        assert_eq!(e("(a OR b").position, 7);
        assert_eq!(e("(a OR b").expected, "')'");
        assert_eq!(e("a AND").position, 5);
        assert_eq!(e("a AND").expected, "a search term");
        assert_eq!(e("a )").position, 2);
        assert_eq!(e("host:").position, 5);
        assert!(e("host:").expected.contains("value after 'host:'"));
        assert_eq!(e("a (b c").position, 6);
        assert_eq!(e("\"open").position, 5);
        assert_eq!(e("OR a").position, 0);
        assert_eq!(e("()").position, 1);
    }
}
