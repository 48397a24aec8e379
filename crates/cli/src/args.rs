//! The command line: what `caseboard` accepts (clap). Parsing only.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "caseboard",
    version,
    about = "Investigation-graph explorer for security incidents (command line)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Import evidence files and folders (recursively) into a case (created if missing), then
    /// correlate. In folders, files of an unknown format are reported and skipped.
    Import {
        case: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        /// run Sigma rules on each event as it is imported (the bundled SigmaHQ rules by
        /// default; --rules/--min-level/--status/--no-bundled as for `detect`)
        #[arg(long)]
        detect: bool,
        #[command(flatten)]
        rules: crate::detect::RuleArgs,
    },
    /// Run Sigma rules (bundled SigmaHQ rules and --rules folders) over the case's events.
    Detect(crate::detect::DetectArgs),
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
    Verify(crate::integrity::VerifyArgs),
    /// Write a seal file (case id, entry count, head hash, signature, time) to keep beside the
    /// evidence or hand over; `verify --seal FILE` checks the case against it.
    Seal(crate::integrity::SealArgs),
    /// Chain-of-custody report (HTML, print-ready): every source with path, size, SHA-256, who
    /// imported it and when; every analyst action; the verify result and the seal.
    Custody(crate::integrity::CustodyArgs),
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
    /// Trace an alert, event or process back to what explains it: parent processes, the logon
    /// session, the host it came from and the process there that made the call, each step
    /// with its evidence record. `--forward`: what it led to instead (counts per kind first).
    Trace {
        case: PathBuf,
        node: String,
        /// at most this many steps (forward: nodes); default 64 (forward 500)
        #[arg(long)]
        max_steps: Option<usize>,
        #[arg(long)]
        forward: bool,
        #[arg(long)]
        json: bool,
    },
    /// The process tree of a host, a logon session or a process (by start time, with image,
    /// pid, user, command line and alert counts).
    Tree {
        case: PathBuf,
        node: String,
        #[arg(long)]
        json: bool,
    },
    /// The attack story of an incident (its alerts and the trace back from them) or of the
    /// trace of an alert, event or process, each sentence with its evidence.
    Story {
        case: PathBuf,
        node: String,
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
    /// Saved investigation maps: new (from any node id), list, show, op, undo, redo, history,
    /// rename, delete.
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
pub enum InvCmd {
    /// Start a map from a node, with its first expansion (as the window's Investigate).
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
    /// Rename a map (audited).
    Rename {
        id: i64,
        name: String,
    },
    /// Delete a map and its history (audited).
    Delete {
        id: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Graphml,
    Stix,
    Html,
    /// the report (attack story, timeline, sources) as a text PDF; needs --node and --output
    Pdf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortArg {
    Severity,
    Time,
}
