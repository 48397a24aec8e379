//! `caseboard`: the command line over the same core as the window. `--json` output is a
//! contract (see README); errors are one line on stderr with a non-zero exit.

use anyhow::{Context, Result};
use cb_domain::{NodeId, Severity, Status};
use cb_store::{Actor, AlertSort, Classification, SqliteStore, TriageChange};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

mod integrity;
mod term;

/// `println!` that ends the program quietly when stdout is closed (`caseboard … | head`), with
/// control characters from evidence shown as escapes (see `term`).
macro_rules! say {
    ($($arg:tt)*) => {
        if writeln!(std::io::stdout(), "{}", crate::term::safe(&format!($($arg)*))).is_err() {
            std::process::exit(0);
        }
    };
}

#[derive(Parser)]
#[command(
    name = "caseboard",
    version,
    about = "Investigation-graph explorer for security incidents (command line)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Import evidence files into a case (created if missing).
    Import {
        case: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Counts of what the case holds.
    Stats {
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The alert queue.
    Alerts {
        case: PathBuf,
        #[arg(long, value_enum, default_value_t = SortArg::Severity)]
        sort: SortArg,
        #[arg(long)]
        json: bool,
    },
    /// Incidents, imported and derived.
    Incidents {
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Entities, optionally of one type (host, account, ip, process, file…).
    Entities {
        case: PathBuf,
        #[arg(long = "type")]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One alert, incident, entity or event with its properties and relations.
    Show {
        case: PathBuf,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Evidence sources with their SHA-256 and import summary.
    Sources {
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check the case: audit chain, signatures, signed head, triage state replayed from the
    /// log, what each import wrote, every evidence file, and a seal if given. Exits non-zero
    /// and names what broke.
    Verify(integrity::VerifyArgs),
    /// Write a seal file (case id, entry count, head hash, signature, time) to keep beside the
    /// evidence or hand over; `verify --seal FILE` checks the case against it.
    Seal(integrity::SealArgs),
    /// Chain-of-custody report (HTML, print-ready): every source with path, size, SHA-256, who
    /// imported it and when; every analyst action; the verify result and the seal.
    Custody(integrity::CustodyArgs),
    /// Triage alerts or incidents: status, classification, severity, owner, notes, tags.
    /// Several ids make a bulk action (one transaction). Every change is audited.
    Triage {
        case: PathBuf,
        #[arg(required = true)]
        ids: Vec<String>,
        /// Active, InProgress, Resolved or Dismissed
        #[arg(long)]
        status: Option<String>,
        /// true_positive, benign_positive, false_positive or undetermined
        #[arg(long)]
        classification: Option<String>,
        /// why (required for false_positive)
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        severity: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long = "untag")]
        untags: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark an entity as related to an alert or incident, with a reason.
    Relate {
        case: PathBuf,
        target: String,
        entity: String,
        #[arg(long)]
        reason: String,
    },
    /// The audit entries of one alert or incident (its Activity), or of the whole case.
    Activity {
        case: PathBuf,
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Export the case, an investigation map or one alert/incident: GraphML (Gephi, yEd,
    /// Maltego), a STIX 2.1 bundle (OpenCTI, MISP) or a self-contained HTML report.
    Export {
        case: PathBuf,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// an alert or incident (required for html)
        #[arg(long)]
        node: Option<String>,
        /// a saved investigation's id
        #[arg(long)]
        investigation: Option<i64>,
        /// write here instead of stdout
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Exploration queries of a node with their counts, or one query's nodes and edges.
    Expand {
        case: PathBuf,
        node: String,
        #[arg(long)]
        query: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        offset: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Shortest path between two nodes over stored relations.
    Path {
        case: PathBuf,
        from: String,
        to: String,
        #[arg(long)]
        max_depth: Option<usize>,
        /// only follow relations of these kinds (repeatable)
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Group alerts into incidents (kill chain per resource, shared strong entity) and print
    /// the derived incidents with their reasons.
    Correlate {
        case: PathBuf,
        /// correlation settings as JSON (window, rules); defaults otherwise
        #[arg(long)]
        settings: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Add an alert to an incident or remove it, by hand (audited).
    Incident {
        case: PathBuf,
        #[arg(value_parser = ["add", "remove"])]
        action: String,
        incident: String,
        alert: String,
        #[arg(long)]
        json: bool,
    },
    /// Saved investigation maps: new, list, show, op, undo, redo, history.
    Investigation {
        case: PathBuf,
        #[command(subcommand)]
        cmd: InvCmd,
    },
    /// Search events, alerts and entities (see README for the query language). A query that
    /// starts with `-` goes after `--`: `caseboard search CASE -- '-term'`.
    Search {
        case: PathBuf,
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// Build the bundled demo case from the fixtures folder.
    Demo {
        case: PathBuf,
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum InvCmd {
    /// Start a map from a node.
    New {
        name: String,
        start: String,
    },
    List,
    Show {
        id: i64,
        /// the map rendered as text
        #[arg(long)]
        text: bool,
    },
    /// Apply a map operation given as JSON, e.g. '{"op":"expand","node":"alert:1","query":"entities"}'.
    Op {
        id: i64,
        op: String,
    },
    Undo {
        id: i64,
    },
    Redo {
        id: i64,
    },
    History {
        id: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Graphml,
    Stix,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum SortArg {
    Severity,
    Time,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        let mut msg = e.to_string();
        for cause in e.chain().skip(1) {
            let c = cause.to_string();
            if !msg.contains(&c) {
                msg.push_str(": ");
                msg.push_str(&c);
            }
        }
        eprintln!("caseboard: {}", term::safe(&msg));
        std::process::exit(1);
    }
}

fn open(case: &Path) -> Result<SqliteStore> {
    let mut store = SqliteStore::open(case, Actor::from_env())?;
    integrity::sign(&mut store);
    Ok(store)
}

fn correlation_settings(path: Option<&Path>) -> Result<cb_graph::CorrelationSettings> {
    match path {
        None => Ok(cb_graph::CorrelationSettings::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not correlation settings JSON", p.display()))
        }
    }
}

pub(crate) fn print_json(v: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Import { case, files, json } => import(&case, &files, json),
        Cmd::Stats { case, json } => {
            let s = open(&case)?.stats()?;
            if json {
                print_json(&serde_json::to_value(s)?)
            } else {
                say!(
                    "alerts {}  incidents {}  entities {}  relations {}  events {}  sources {}",
                    s.alerts,
                    s.incidents,
                    s.entities,
                    s.relations,
                    s.events,
                    s.sources
                );
                Ok(())
            }
        }
        Cmd::Alerts { case, sort, json } => {
            let sort = match sort {
                SortArg::Severity => AlertSort::Severity,
                SortArg::Time => AlertSort::Time,
            };
            let rows = open(&case)?.alerts(sort)?;
            if json {
                return print_json(&json!({ "alerts": rows }));
            }
            say!(
                "{:<10} {:<13} {:<10} {:<25} NAME",
                "ID",
                "SEVERITY",
                "STATUS",
                "START"
            );
            for a in rows {
                say!(
                    "{:<10} {:<13} {:<10} {:<25} {} ({} entities)",
                    a.id.to_string(),
                    a.severity.map(|s| s.as_str()).unwrap_or("-"),
                    a.status,
                    a.start.as_deref().unwrap_or("-"),
                    a.name,
                    a.entities.len()
                );
            }
            Ok(())
        }
        Cmd::Incidents { case, json } => {
            // derived incidents are part of the answer: correlate first (adds only new groups)
            let mut store = open(&case)?;
            let v = cb_graph::cli::cmd_incidents(
                &mut store,
                Some(&cb_graph::CorrelationSettings::default()),
            )?;
            if json {
                return print_json(&v);
            }
            let rows = store.incidents()?;
            for i in rows {
                say!(
                    "{:<12} {:<13} {:<10} {} [{} alerts]{}",
                    i.id.to_string(),
                    i.severity.map(|s| s.as_str()).unwrap_or("-"),
                    i.status,
                    if i.title.is_empty() {
                        &i.ext_id
                    } else {
                        &i.title
                    },
                    i.alerts.len(),
                    i.reason.map(|r| format!(" — {r}")).unwrap_or_default()
                );
            }
            Ok(())
        }
        Cmd::Entities { case, kind, json } => {
            let rows = open(&case)?.entities(kind.as_deref())?;
            if json {
                return print_json(&json!({ "entities": rows }));
            }
            for e in rows {
                say!(
                    "{:<12} {:<18} {:<7} {}",
                    e.id.to_string(),
                    e.kind,
                    e.strength,
                    e.label
                );
            }
            Ok(())
        }
        Cmd::Show { case, id, json } => {
            let id: NodeId = id.parse()?;
            let store = open(&case)?;
            let d = store.node(id)?;
            if json {
                return print_json(&serde_json::to_value(d)?);
            }
            say!("{} {} — {}", d.kind, d.id, d.label);
            for (k, v) in &d.fields {
                if k == "raw" {
                    continue;
                }
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                say!("  {k}: {text}");
            }
            for r in &d.relations {
                let (dir, other) = if r.from == id {
                    ("->", r.to)
                } else {
                    ("<-", r.from)
                };
                let label = store.label(other).unwrap_or_default();
                let prov = match (&r.source, r.record) {
                    (Some(s), Some(n)) => format!("{s} record {n}"),
                    _ => "derived".into(),
                };
                say!("  {dir} {} {} {} ({prov})", r.kind, other, label);
            }
            Ok(())
        }
        Cmd::Sources { case, json } => {
            let rows = open(&case)?.sources()?;
            if json {
                return print_json(&json!({ "sources": rows }));
            }
            for s in rows {
                say!(
                    "{:<4} {} {} {} ({} bytes) {}",
                    s.id,
                    s.sha256,
                    s.format,
                    s.path,
                    s.size,
                    s.counts
                );
            }
            Ok(())
        }
        Cmd::Verify(a) => integrity::verify(a),
        Cmd::Seal(a) => integrity::seal(a),
        Cmd::Custody(a) => integrity::custody(a),
        Cmd::Triage {
            case,
            ids,
            status,
            classification,
            reason,
            severity,
            owner,
            note,
            tags,
            untags,
            json,
        } => {
            let ids: Vec<NodeId> = ids.iter().map(|i| i.parse()).collect::<Result<_, _>>()?;
            let change = TriageChange {
                status: status.map(|s| Status::parse(&s).with_context(|| format!("unknown status {s:?} (Active, InProgress, Resolved, Dismissed)"))).transpose()?,
                classification: classification
                    .map(|c| Classification::parse(&c).with_context(|| format!("unknown classification {c:?} (true_positive, benign_positive, false_positive, undetermined)")))
                    .transpose()?,
                reason,
                severity: severity.map(|s| Severity::parse(&s).with_context(|| format!("unknown severity {s:?}"))).transpose()?,
                owner,
                note,
                add_tags: tags,
                remove_tags: untags,
            };
            let mut store = open(&case)?;
            let states = store.triage(&ids, &change)?;
            if json {
                return print_json(&json!({ "triaged": states }));
            }
            for s in states {
                say!(
                    "{} status {} classification {:?} severity {} owner {:?} tags {:?}",
                    s.id,
                    s.status,
                    s.classification,
                    s.severity.map(|x| x.as_str()).unwrap_or("-"),
                    s.owner,
                    s.tags
                );
            }
            Ok(())
        }
        Cmd::Relate {
            case,
            target,
            entity,
            reason,
        } => {
            let mut store = open(&case)?;
            store.mark_related(target.parse()?, entity.parse()?, &reason)?;
            say!("{entity} marked as related to {target}");
            Ok(())
        }
        Cmd::Activity { case, id, json } => {
            let store = open(&case)?;
            let rows = match id {
                Some(i) => store.activity(i.parse()?)?,
                None => store.audit_log(None)?,
            };
            if json {
                return print_json(&json!({ "activity": rows }));
            }
            for r in rows {
                say!(
                    "{} {} {} {} {}",
                    r["at"].as_str().unwrap_or(""),
                    r["actor"].as_str().unwrap_or(""),
                    r["action"].as_str().unwrap_or(""),
                    r["target"].as_str().unwrap_or(""),
                    r["detail"]
                );
            }
            Ok(())
        }
        Cmd::Export {
            case,
            format,
            node,
            investigation,
            output,
        } => {
            let store = open(&case)?;
            let node: Option<NodeId> = node.map(|n| n.parse()).transpose()?;
            let scope = match (node, investigation) {
                (Some(n), _) => cb_export::Scope::Around(n),
                (None, Some(i)) => cb_export::Scope::Investigation(i),
                (None, None) => cb_export::Scope::Case,
            };
            let now = cb_domain::time::format(&chrono::Utc::now());
            let text = match format {
                ExportFormat::Graphml => cb_export::graphml(&cb_export::subgraph(&store, scope)?),
                ExportFormat::Stix => {
                    serde_json::to_string_pretty(&cb_export::stix_bundle(&store, scope, &now)?)?
                }
                ExportFormat::Html => {
                    let n = node.context("--format html needs --node <alert or incident id>")?;
                    cb_export::html_report(&store, n, &now)?
                }
            };
            match output {
                Some(p) => {
                    std::fs::write(&p, text)
                        .with_context(|| format!("{}: cannot write", p.display()))?;
                    eprintln!("wrote {}", p.display());
                }
                None if std::io::stdout().is_terminal() => say!("{}", text.trim_end()),
                // piped: the exported bytes as they are (XML and JSON escape controls already)
                None => {
                    let mut o = std::io::stdout().lock();
                    if writeln!(o, "{}", text.trim_end()).is_err() {
                        std::process::exit(0);
                    }
                }
            }
            Ok(())
        }
        Cmd::Expand {
            case,
            node,
            query,
            limit,
            offset,
            json: _,
        } => {
            let store = open(&case)?;
            print_json(&cb_graph::cli::cmd_expand(
                &store,
                node.parse()?,
                query.as_deref(),
                limit,
                offset,
            )?)
        }
        Cmd::Path {
            case,
            from,
            to,
            max_depth,
            kinds,
            json: _,
        } => {
            let store = open(&case)?;
            print_json(&cb_graph::cli::cmd_path(
                &store,
                from.parse()?,
                to.parse()?,
                max_depth,
                &kinds,
            )?)
        }
        Cmd::Correlate {
            case,
            settings,
            json: _,
        } => {
            let settings = correlation_settings(settings.as_deref())?;
            let mut store = open(&case)?;
            print_json(&cb_graph::cli::cmd_correlate(&mut store, &settings)?)
        }
        Cmd::Incident {
            case,
            action,
            incident,
            alert,
            json: _,
        } => {
            let mut store = open(&case)?;
            print_json(&cb_graph::cli::cmd_incident_edit(
                &mut store,
                incident.parse()?,
                alert.parse()?,
                action == "add",
            )?)
        }
        Cmd::Investigation { case, cmd } => {
            let mut store = open(&case)?;
            use cb_graph::cli::InvestigationCmd as I;
            let cmd = match cmd {
                InvCmd::New { name, start } => I::New {
                    name,
                    start: start.parse()?,
                },
                InvCmd::List => I::List,
                InvCmd::Show { id, text } => I::Show { id, text },
                InvCmd::Op { id, op } => I::Op { id, op },
                InvCmd::Undo { id } => I::Undo { id },
                InvCmd::Redo { id } => I::Redo { id },
                InvCmd::History { id } => I::History { id },
            };
            let v = cb_graph::cli::cmd_investigation(&mut store, cmd)?;
            match v {
                Value::String(text) => {
                    say!("{text}");
                    Ok(())
                }
                other => print_json(&other),
            }
        }
        Cmd::Search {
            case,
            query,
            limit,
            offset,
            json,
        } => {
            let store = open(&case)?;
            let v = cb_search::cmd_search(&store, &query, limit, offset)?;
            if json {
                return print_json(&v);
            }
            say!("{} hits {}", v["total"], v["by_source"]);
            for h in v["hits"].as_array().into_iter().flatten() {
                say!(
                    "{:<12} {:<25} {:<16} {}",
                    h["id"].as_str().unwrap_or(""),
                    h["time"].as_str().unwrap_or("-"),
                    h["source"].as_str().unwrap_or(""),
                    h["summary"].as_str().unwrap_or("")
                );
            }
            Ok(())
        }
        Cmd::Demo {
            case,
            fixtures,
            json,
        } => {
            let reports = cb_api::build_demo_case(
                &case,
                &fixtures,
                Actor::from_env(),
                integrity::key_file().as_deref(),
            )?;
            if json {
                return print_json(&json!({ "files": reports }));
            }
            for r in reports {
                say!(
                    "{}: {} alerts, {} incidents, {} entities, {} events",
                    r.path,
                    r.added.alerts,
                    r.added.incidents,
                    r.added.entities,
                    r.added.events
                );
            }
            say!("demo case ready: {}", case.display());
            Ok(())
        }
    }
}

fn import(case: &Path, files: &[PathBuf], json: bool) -> Result<()> {
    // Check every file before the case is created or touched: a bad argument writes nothing.
    for f in files {
        cb_api::probe(f)?;
    }
    let mut store = SqliteStore::open_or_create(case, Actor::from_env())
        .with_context(|| format!("{}", case.display()))?;
    integrity::sign(&mut store);
    let tty = std::io::stderr().is_terminal() && !json;
    let mut reports = Vec::new();
    for f in files {
        let mut last = std::time::Instant::now();
        let mut progress = |p: cb_api::Progress| {
            if tty && last.elapsed().as_millis() > 100 {
                last = std::time::Instant::now();
                let pct = (p.bytes * 100).checked_div(p.bytes_total).unwrap_or(0);
                eprint!(
                    "\r{}: {pct:>3}% {} records",
                    term::safe(&f.display().to_string()),
                    p.records
                );
            }
            true
        };
        let r = cb_api::import_file(&mut store, f, &mut progress)?;
        if tty {
            eprint!("\r\x1b[K");
        }
        if !json {
            match &r.duplicate_of {
                Some(prev) => say!("{}: already imported (same SHA-256 as {prev}); nothing added", r.path),
                None => say!(
                    "{}: {} sha256 {}: added {} alerts, {} incidents, {} entities, {} relations, {} events; merged {}; skipped {}",
                    r.path, r.format, r.sha256, r.added.alerts, r.added.incidents, r.added.entities, r.added.relations, r.added.events, r.merged, r.skipped_total
                ),
            }
            for s in &r.skipped {
                say!("  skipped {} record {}: {}", r.path, s.record, s.reason);
            }
            if r.skipped_total > r.skipped.len() as u64 {
                say!(
                    "  … {} more skipped records; by reason: {}",
                    r.skipped_total - r.skipped.len() as u64,
                    serde_json::to_string(&r.skipped_by_reason).unwrap_or_default()
                );
            }
        }
        reports.push(r);
    }
    if json {
        print_json(&json!({ "files": reports }))?;
    }
    Ok(())
}
