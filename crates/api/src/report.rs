//! The incident report as a document, the template the seeds ask for: findings, the attack
//! story (every sentence with its evidence), the timeline, the actions taken (from the audit
//! log), lessons learned (analyst notes that start with `Lessons learned:`, stored and audited
//! as triage notes) and the evidence sources — rendered into the HTML report and as a text PDF.

use crate::case::Case;
use crate::error::ApiResult;
use crate::story::{story, Story};
use cb_domain::NodeId;
use cb_export::{Block, Doc, Section};
use std::path::Path;

/// `source · record N` for each record a sentence cites.
fn cites(ev: &[cb_graph::trace::Evidence]) -> Option<String> {
    if ev.is_empty() {
        return None;
    }
    let parts: Vec<String> = ev
        .iter()
        .map(|e| format!("{} · record {}", e.source, e.record))
        .collect();
    Some(format!("Evidence: {}", parts.join("; ")))
}

/// The story as report sections: the summary, then one section per paragraph.
pub fn story_sections(s: &Story) -> Vec<Section> {
    let mut out = vec![Section {
        heading: "Attack story".into(),
        blocks: vec![Block::Text(s.summary.clone())],
    }];
    for p in &s.paragraphs {
        let mut blocks = vec![];
        for x in &p.sentences {
            let mut t = x.text.clone();
            if x.inferred {
                if let Some(c) = &x.confidence {
                    if !t.contains("confidence") {
                        t.push_str(&format!(" (inferred, confidence {c})"));
                    }
                }
            }
            blocks.push(Block::Text(t));
            if let Some(c) = cites(&x.evidence) {
                blocks.push(Block::Note(c));
            }
        }
        out.push(Section {
            heading: format!("Story: {}", p.heading),
            blocks,
        });
    }
    out
}

/// The prefix that marks an analyst note as a lesson learned.
pub const LESSONS_PREFIX: &str = "Lessons learned:";

fn text_of(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Findings, actions taken and lessons learned of an alert or incident (empty otherwise).
fn triage_sections(case: &Case, node: NodeId, s: &Story) -> ApiResult<(Section, Vec<Section>)> {
    let mut findings = Section {
        heading: "Findings".into(),
        blocks: vec![],
    };
    let mut after = vec![];
    if !matches!(node, NodeId::Alert(_) | NodeId::Incident(_)) {
        findings.blocks.push(Block::Text(s.summary.clone()));
        return Ok((findings, after));
    }
    let t = case.store.triage_state(node)?;
    findings.blocks.push(Block::Text(format!(
        "Status {}{}{}{}.",
        t.status,
        t.severity
            .map(|x| format!(", severity {}", x.as_str()))
            .unwrap_or_default(),
        if t.classification.is_empty() {
            String::new()
        } else {
            format!(", classified {}", t.classification)
        },
        if t.owner.is_empty() {
            String::new()
        } else {
            format!(", owner {}", t.owner)
        },
    )));
    if !s.hosts.is_empty() {
        findings.blocks.push(Block::Text(format!(
            "Hosts affected: {}.",
            s.hosts.join(", ")
        )));
    }
    if !s.accounts.is_empty() {
        findings.blocks.push(Block::Text(format!(
            "Accounts involved: {}.",
            s.accounts.join(", ")
        )));
    }
    let tactics: Vec<&str> = s
        .paragraphs
        .iter()
        .filter_map(|p| p.tactic.as_deref())
        .collect();
    if !tactics.is_empty() {
        findings.blocks.push(Block::Text(format!(
            "ATT&CK tactics seen: {}.",
            tactics.join(", ")
        )));
    }
    let actions = case.store.activity(node)?;
    after.push(Section {
        heading: "Actions taken".into(),
        blocks: if actions.is_empty() {
            vec![Block::Text("No analyst action is recorded yet.".into())]
        } else {
            actions
                .iter()
                .map(|a| {
                    let detail = text_of(a.get("detail"));
                    Block::Text(format!(
                        "{} — {}: {}{}",
                        text_of(a.get("at")),
                        text_of(a.get("actor")),
                        text_of(a.get("action")),
                        if detail.is_empty() || detail == "{}" {
                            String::new()
                        } else {
                            format!(" {detail}")
                        }
                    ))
                })
                .collect()
        },
    });
    let (lessons, notes): (Vec<_>, Vec<_>) = t
        .notes
        .iter()
        .partition(|n| n.text.trim_start().starts_with(LESSONS_PREFIX));
    after.push(Section {
        heading: "Lessons learned".into(),
        blocks: if lessons.is_empty() {
            vec![Block::Text(
                "None written yet (add a note starting with \"Lessons learned:\").".into(),
            )]
        } else {
            lessons
                .iter()
                .flat_map(|n| {
                    [
                        Block::Text(
                            n.text.trim_start()[LESSONS_PREFIX.len()..]
                                .trim()
                                .to_string(),
                        ),
                        Block::Note(format!("{} — {}", n.at, n.actor)),
                    ]
                })
                .collect()
        },
    });
    if !notes.is_empty() {
        after.push(Section {
            heading: "Analyst notes".into(),
            blocks: notes
                .iter()
                .flat_map(|n| {
                    [
                        Block::Text(n.text.clone()),
                        Block::Note(format!("{} — {}", n.at, n.actor)),
                    ]
                })
                .collect(),
        });
    }
    Ok((findings, after))
}

/// The report document of an alert, incident, event or process.
pub fn document(case: &Case, node: NodeId, generated: &str) -> ApiResult<Doc> {
    let s = story(case, node)?;
    let (findings, after) = triage_sections(case, node, &s)?;
    let mut sections = vec![findings];
    sections.extend(story_sections(&s));
    let mut timeline: Vec<(&str, &str)> = s
        .paragraphs
        .iter()
        .flat_map(|p| p.sentences.iter())
        .filter_map(|x| x.time.as_deref().map(|t| (t, x.text.as_str())))
        .collect();
    timeline.sort();
    timeline.dedup();
    if !timeline.is_empty() {
        sections.push(Section {
            heading: "Timeline".into(),
            blocks: timeline
                .iter()
                .map(|(t, x)| Block::Text(format!("{t} — {x}")))
                .collect(),
        });
    }
    sections.extend(after);
    let sources = case.store.sources()?;
    if !sources.is_empty() {
        sections.push(Section {
            heading: "Evidence sources".into(),
            blocks: sources
                .iter()
                .map(|src| Block::Mono(format!("{}  sha256 {}", src.path, src.sha256)))
                .collect(),
        });
    }
    let mut subtitle = vec![format!("{} · {}", node.kind(), node)];
    if !s.hosts.is_empty() {
        subtitle.push(format!("Hosts: {}", s.hosts.join(", ")));
    }
    subtitle.push(format!(
        "Generated by Caseboard at {generated} from {}",
        case.path().display()
    ));
    Ok(Doc {
        title: s.title,
        subtitle,
        sections,
    })
}

/// `caseboard export --format pdf`: the report of `node` as PDF bytes.
pub fn pdf(case: &Case, node: NodeId, generated: &str) -> ApiResult<Vec<u8>> {
    Ok(cb_export::pdf(&document(case, node, generated)?))
}

/// The window's Export PDF: the report written where the save dialog said; bytes written.
pub fn save_pdf(case: &Case, node: NodeId, generated: &str, path: &Path) -> ApiResult<u64> {
    crate::export::write_file(path, &pdf(case, node, generated)?)
}

/// The prefix of the audited note written when an analyst resolves an incident without
/// exporting its report.
pub const SKIPPED_PREFIX: &str = "Report skipped:";

/// The formats the window offers when an incident is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReportFormat {
    Pdf,
    Html,
}

/// The report of `node` written where the save dialog said, as PDF or as the self-contained
/// HTML report, and recorded in the audit log (`report.export`, with format, path and size);
/// bytes written.
pub fn export_report(
    case: &mut Case,
    node: NodeId,
    format: ReportFormat,
    generated: &str,
    path: &Path,
) -> ApiResult<u64> {
    let bytes = match format {
        ReportFormat::Pdf => pdf(case, node, generated)?,
        ReportFormat::Html => crate::export::export(
            case,
            crate::export::ExportRequest {
                format: crate::export::ExportFormat::Html,
                node: Some(node),
                investigation: None,
            },
            generated,
        )?
        .into_bytes(),
    };
    let n = crate::export::write_file(path, &bytes)?;
    let detail = serde_json::json!({
        "format": match format { ReportFormat::Pdf => "pdf", ReportFormat::Html => "html" },
        "path": path.display().to_string(),
        "bytes": n,
    });
    case.store
        .write("report.export", &node.to_string(), detail, |_| Ok(()))?;
    Ok(n)
}

/// Resolve without a report: the reason is required and kept as an audited triage note
/// (`Report skipped: <reason>`), so the audit log says why no report was written.
pub fn skip_report(
    case: &mut Case,
    node: NodeId,
    reason: &str,
) -> ApiResult<crate::triage::TriageInfo> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::error::ApiError::bad("say why the report is skipped"));
    }
    let change = crate::triage::TriageRequest {
        note: Some(format!("{SKIPPED_PREFIX} {reason}")),
        ..Default::default()
    };
    let mut out = crate::triage::triage(case, &[node], change)?.triaged;
    out.pop()
        .ok_or_else(|| crate::error::ApiError::bad("nothing was triaged"))
}
