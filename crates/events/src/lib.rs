//! Streaming import of raw security events into a case.
//!
//! * [`detect`] names the format of a file from its first bytes (never from its name);
//! * [`import`] reads it as a stream, one record at a time, and feeds a [`cb_domain::Sink`]:
//!   each record becomes an event (`sink.event`), the entities it mentions (built with
//!   Sentinel's property names so the shared identity rules apply), an `event -[mentions]->
//!   entity` link per entity, and typed relations (`logged_on`, `ParentProcess`, `ImageFile`,
//!   `Account`, `Host`, `connected_to`, `signed_in_from`, `dns_query`, `created_file`,
//!   `set_registry`).
//!
//! Invariants: files are opened read-only; memory is bounded whatever the file size (lines,
//! array elements and CSV rows are read one at a time, archives member by member without
//! unpacking to disk); one bad record never aborts a file (`sink.skip` names the record and,
//! for archives, the member); the library prints nothing.
#![forbid(unsafe_code)]

mod archive;
mod detect;
mod emit;
mod evtx_import;
mod jsonscan;
mod map;
mod records;
mod stix;

pub use detect::detect;

use cb_domain::{Sink, SinkError};
use std::path::Path;

/// Layout of a log table on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One JSON object per line.
    JsonLines,
    /// One JSON array of objects (streamed element by element).
    JsonArray,
    /// CSV with a header row.
    Csv,
    /// Zeek's own tab-separated logs (`#separator`, `#fields`, `#path` headers).
    ZeekTsv,
}

/// Which kind of log a table holds; decides how records become events and entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Sentinel `SecurityEvent` (4624, 4688, the wide 226-column form…).
    SecurityEvent,
    /// Sentinel / Entra ID `SigninLogs`.
    SigninLogs,
    /// `AzureNetworkAnalytics_CL` flows.
    NetworkFlows,
    /// OTRF/Mordor flattened Windows and Sysmon events (2020+ schema).
    WindowsFlat,
    /// OTRF 2019 Winlogbeat documents (`event_data`, `log_name`, `computer_name`) and the
    /// Winlogbeat 7 `winlog.*` form.
    Winlogbeat,
    /// Zeek JSON logs (`@stream` / `_path`, `id.orig_h` or `id_orig_h`).
    Zeek,
    /// Suricata EVE.
    SuricataEve,
    /// OCSF events and findings.
    Ocsf,
    /// Elastic Common Schema / NDJSON.
    Ecs,
    /// Any other Sentinel / Defender table with a time column (AuditLogs, OfficeActivity,
    /// Device* tables…): stored with generic entity extraction.
    LogTable,
    /// AWS CloudTrail records (`eventTime`, `eventName`, `eventSource`, `userIdentity`).
    CloudTrail,
    /// Linux auditd lines (`type=SYSCALL msg=audit(…): key=value …`).
    Auditd,
}

impl Table {
    pub fn name(&self) -> &'static str {
        match self {
            Table::SecurityEvent => "securityevent",
            Table::SigninLogs => "signinlogs",
            Table::NetworkFlows => "azurenetworkanalytics",
            Table::WindowsFlat => "otrf-windows",
            Table::Winlogbeat => "winlogbeat",
            Table::Zeek => "zeek",
            Table::SuricataEve => "suricata-eve",
            Table::Ocsf => "ocsf",
            Table::Ecs => "ecs",
            Table::LogTable => "logtable",
            Table::CloudTrail => "cloudtrail",
            Table::Auditd => "auditd",
        }
    }
}

/// A format this crate imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventFormat {
    /// Windows EVTX (incl. Sysmon).
    Evtx,
    /// A log table.
    Table(Table, Layout),
    /// A STIX 2.x bundle.
    Stix2,
    /// A zip archive (`.zip`, `.Zip`): every member is detected and imported.
    Zip,
    /// A gzip stream: a tar archive (OTRF 2019 `.tar.gz`) or one compressed file.
    Gzip,
}

macro_rules! table_names {
    ($t:expr, $l:expr, $( $v:ident => $n:literal ),* $(,)?) => {
        match ($t, $l) {
            $(
                (Table::$v, Layout::JsonLines) => concat!($n, "-jsonl"),
                (Table::$v, Layout::JsonArray) => concat!($n, "-json"),
                (Table::$v, Layout::Csv) => concat!($n, "-csv"),
                (Table::$v, Layout::ZeekTsv) => concat!($n, "-tsv"),
            )*
        }
    };
}

impl EventFormat {
    /// Stable name (`evtx`, `securityevent-jsonl`, `zeek-jsonl`, `suricata-eve-json`, `stix2`,
    /// `zip`, `gzip`…), recorded as the source's format.
    pub fn name(&self) -> &'static str {
        match self {
            EventFormat::Evtx => "evtx",
            EventFormat::Stix2 => "stix2",
            EventFormat::Zip => "zip",
            EventFormat::Gzip => "gzip",
            EventFormat::Table(Table::Auditd, _) => "auditd",
            EventFormat::Table(t, l) => table_names!(*t, *l,
                SecurityEvent => "securityevent",
                SigninLogs => "signinlogs",
                NetworkFlows => "azurenetworkanalytics",
                WindowsFlat => "otrf-windows",
                Winlogbeat => "winlogbeat",
                Zeek => "zeek",
                SuricataEve => "suricata-eve",
                Ocsf => "ocsf",
                Ecs => "ecs",
                LogTable => "logtable",
                CloudTrail => "cloudtrail",
                Auditd => "auditd",
            ),
        }
    }
}

/// How to import (evtx's `ParserSettings` style: a struct, not boolean arguments).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Threads for EVTX chunk parsing (0 = all cores).
    pub threads: usize,
    /// Largest archive member held in memory (only EVTX members inside archives need it,
    /// because the EVTX parser seeks); larger ones are reported as skipped.
    pub max_member_bytes: u64,
    /// Longest line / array element / row accepted (after decompression); longer ones are
    /// skipped, so no single record costs more than a few times this in memory.
    pub max_record_bytes: usize,
    /// Decompression budget: an archive member may yield at most `max_ratio` times its
    /// compressed size, and a whole file at most `max_ratio` times the bytes read from it —
    /// both only past `ratio_floor` bytes — and never more than `max_decompressed_bytes`.
    /// Past the budget the member (or the rest of the file) is skipped with the reason.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    pub max_decompressed_bytes: u64,
    /// Call `sink.progress` every this many records.
    pub progress_every: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threads: 0,
            max_member_bytes: 512 << 20,
            max_record_bytes: 8 << 20,
            max_ratio: 100,
            ratio_floor: 64 << 20,
            max_decompressed_bytes: 64 << 30,
            progress_every: 1000,
        }
    }
}

/// Import `path` (opened read-only here) as `format` into `sink`. Bad records are reported with
/// `sink.skip` and never abort the file; only the sink's own errors (storage, cancel) do.
pub fn import(
    format: EventFormat,
    path: &Path,
    sink: &mut dyn Sink,
    settings: &Settings,
) -> Result<(), SinkError> {
    match std::fs::File::open(path) {
        Ok(f) => import_open(format, f, sink, settings),
        Err(e) => {
            sink.skip(0, format!("{}: cannot open: {e}", path.display()));
            Ok(())
        }
    }
}

/// Import a file already opened (read-only) by the caller, from its start.
pub fn import_open(
    format: EventFormat,
    file: std::fs::File,
    sink: &mut dyn Sink,
    settings: &Settings,
) -> Result<(), SinkError> {
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut ctx = emit::Ctx::new(sink, settings, total);
    match format {
        EventFormat::Evtx => evtx_import::import_file(file, &mut ctx, ""),
        EventFormat::Zip => archive::import_zip(file, &mut ctx),
        EventFormat::Gzip => archive::import_gzip(file, &mut ctx),
        EventFormat::Stix2 => {
            let r = ctx.counting(file);
            stix::import(r, &mut ctx, "")
        }
        EventFormat::Table(t, l) => {
            let r = ctx.counting(file);
            records::import_table(r, t, l, &mut ctx, "")
        }
    }?;
    ctx.finish()
}
