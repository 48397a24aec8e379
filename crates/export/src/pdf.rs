//! A text PDF of a report: A4 pages in the PDF base-14 fonts (Helvetica, Helvetica-Bold,
//! Courier — every reader has them, nothing is embedded), lines wrapped here by the fonts'
//! metrics, long tokens (paths, command lines) broken where they must be. The text is real
//! text (selectable, `pdftotext` reads it back), never an image.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A document to print: a title, lines under it, then sections of paragraphs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    pub subtitle: Vec<String>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of text.
    Text(String),
    /// A smaller grey line under the previous one (evidence, a citation).
    Note(String),
    /// Monospaced text (hashes, paths).
    Mono(String),
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// Helvetica advance widths (1/1000 em) of ASCII 32..=126, from the base-14 AFM metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

#[derive(Clone, Copy, PartialEq)]
enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
            Font::Mono => Name(b"F3"),
        }
    }

    /// Width of `c` at `size` points (bold is a little wider: measured as 1.08×, on the safe side).
    fn width(self, c: char, size: f32) -> f32 {
        let em = match self {
            Font::Mono => 600.0,
            _ => {
                let w = match c as u32 {
                    32..=126 => HELVETICA[(c as u32 - 32) as usize] as f32,
                    _ => 611.0,
                };
                if self == Font::Bold {
                    w * 1.08
                } else {
                    w
                }
            }
        };
        em * size / 1000.0
    }
}

/// The WinAnsi byte of `c` (the encoding the fonts are declared with); `?` when it has none.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        '→' => b'>',
        '\t' => b' ',
        _ => b'?',
    }
}

fn encode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c == '→' {
            out.extend_from_slice(b"->");
        } else if !c.is_control() {
            out.push(win_ansi(c));
        }
    }
    out
}

/// Break `text` into lines no wider than `width`: at spaces where possible, inside a token
/// that is wider than a whole line.
fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = vec![];
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for word in para.split(' ') {
            let ww: f32 = word.chars().map(|c| font.width(c, size)).sum();
            let space = font.width(' ', size);
            if !line.is_empty() && w + space + ww <= width {
                line.push(' ');
                line.push_str(word);
                w += space + ww;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            if ww <= width {
                line.push_str(word);
                w = ww;
                continue;
            }
            // a token wider than the line: cut it where it reaches the edge
            for c in word.chars() {
                let cw = font.width(c, size);
                if w + cw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(c);
                w += cw;
            }
        }
        lines.push(line);
    }
    lines
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.new_page();
        }
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }

    fn line(&mut self, text: &str, font: Font, size: f32, indent: f32, grey: bool) {
        let lead = size * 1.35;
        if self.y - lead < MARGIN {
            self.new_page();
        }
        self.y -= lead;
        let y = self.y;
        let c = self.page();
        c.begin_text();
        if grey {
            c.set_fill_gray(0.35);
        } else {
            c.set_fill_gray(0.0);
        }
        c.set_font(font.name(), size);
        c.next_line(MARGIN + indent, y);
        c.show(Str(&encode(text)));
        c.end_text();
    }

    fn text(&mut self, text: &str, font: Font, size: f32, indent: f32, grey: bool) {
        let width = PAGE_W - 2.0 * MARGIN - indent;
        for l in wrap(text, font, size, width) {
            self.line(&l, font, size, indent, grey);
        }
    }

    fn gap(&mut self, pts: f32) {
        self.y -= pts;
    }
}

/// The PDF bytes of `doc`.
pub fn pdf(doc: &Doc) -> Vec<u8> {
    let mut w = Writer {
        pages: vec![],
        y: PAGE_H - MARGIN,
    };
    w.text(&doc.title, Font::Bold, 17.0, 0.0, false);
    for s in &doc.subtitle {
        w.text(s, Font::Regular, 9.5, 0.0, true);
    }
    for sec in &doc.sections {
        w.gap(10.0);
        if w.y - 60.0 < MARGIN {
            w.new_page();
        }
        w.text(&sec.heading, Font::Bold, 12.5, 0.0, false);
        w.gap(2.0);
        for b in &sec.blocks {
            match b {
                Block::Text(t) => {
                    w.gap(3.0);
                    w.text(t, Font::Regular, 10.5, 0.0, false);
                }
                Block::Note(t) => w.text(t, Font::Regular, 8.5, 12.0, true),
                Block::Mono(t) => w.text(t, Font::Mono, 8.5, 0.0, false),
            }
        }
    }
    let n = w.pages.len().max(1);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [Ref::new(4), Ref::new(5), Ref::new(6)];
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(10 + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(n as i32);
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .producer(TextStr("Caseboard"));
    for (f, base) in fonts
        .iter()
        .zip([&b"Helvetica"[..], &b"Helvetica-Bold"[..], &b"Courier"[..]])
    {
        pdf.type1_font(*f)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    if w.pages.is_empty() {
        w.new_page();
    }
    let total = w.pages.len();
    for (i, mut content) in w.pages.into_iter().enumerate() {
        // page number at the foot
        content.begin_text();
        content.set_fill_gray(0.45);
        content.set_font(Font::Regular.name(), 8.0);
        content.next_line(PAGE_W - MARGIN - 60.0, MARGIN / 2.0);
        content.show(Str(format!("page {} of {total}", i + 1).as_bytes()));
        content.end_text();
        let page_id = page_ids[i];
        let content_id = Ref::new(11 + 2 * i as i32);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_id);
        let mut res = page.resources();
        let mut f = res.fonts();
        f.pair(Font::Regular.name(), fonts[0]);
        f.pair(Font::Bold.name(), fonts[1]);
        f.pair(Font::Mono.name(), fonts[2]);
        f.finish();
        res.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_fits_the_width() {
        let text = "powershell.exe -noP -sta -w 1 -enc SQBGACgAJABQAFMAVgBlAHIAcwBpAG8AbgBUAGEAYgBsAGUALgBQAFMAVgBlAHIAcwBpAG8AbgAuAE0AYQBqAG8AcgAgAC0AZwBlACAAMwApAHsA was started";
        let lines = wrap(text, Font::Regular, 10.0, 200.0);
        assert!(lines.len() > 2);
        for l in &lines {
            let w: f32 = l.chars().map(|c| Font::Regular.width(c, 10.0)).sum();
            assert!(w <= 200.0 + 0.01, "{l}: {w}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let orig: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, orig);
    }

    #[test]
    fn a_pdf_is_a_pdf_with_one_page_per_screenful() {
        let doc = Doc {
            title: "T".into(),
            subtitle: vec![],
            sections: vec![Section {
                heading: "S".into(),
                blocks: (0..200).map(|i| Block::Text(format!("line {i}"))).collect(),
            }],
        };
        let b = pdf(&doc);
        assert!(b.starts_with(b"%PDF-"));
        let s = String::from_utf8_lossy(&b);
        assert!(s.contains("/Count 5") || s.contains("/Count 6"), "pages");
        assert!(s.trim_end().ends_with("%%EOF"));
    }
}
