//! The one error of every use case, with a stable code both edges share: the CLI prints the
//! message, the window branches on the code ([`ErrorReply`] is what crosses IPC).

use cb_store::StoreError;
use serde::Serialize;
use std::path::PathBuf;

/// What went wrong, coarsely and stably: enough for the window to choose what to offer.
/// A storage failure (disk full, I/O error, a damaged case) is `storage`, never `bad_input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No case is open (window only).
    NoCase,
    /// The file asked for does not exist.
    Missing,
    /// The file is not a Caseboard case (or cannot be opened as one).
    NotACase,
    /// The node, investigation, incident or query asked for does not exist.
    NotFound,
    /// The request itself is malformed (bad node id, unknown status, empty reason…).
    BadInput,
    /// An evidence file in no format Caseboard reads.
    UnknownFormat,
    /// A folder where a file was needed.
    Directory,
    /// An evidence file that cannot be read.
    Unreadable,
    /// Reading or writing the case (or an output file) failed.
    Storage,
    /// The analyst cancelled; the case is as it was.
    Cancelled,
    /// An evidence file changed while it was being imported; nothing was imported.
    Changed,
    /// A seal file that does not hold a seal (or not of this case).
    NotSealed,
    /// Anything else; the message says what.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoCase => "no_case",
            ErrorCode::Missing => "missing",
            ErrorCode::NotACase => "not_a_case",
            ErrorCode::NotFound => "not_found",
            ErrorCode::BadInput => "bad_input",
            ErrorCode::UnknownFormat => "unknown_format",
            ErrorCode::Directory => "directory",
            ErrorCode::Unreadable => "unreadable",
            ErrorCode::Storage => "storage",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Changed => "changed",
            ErrorCode::NotSealed => "not_sealed",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{path}: no such file")]
    Missing { path: PathBuf },
    #[error("{path}: is a directory, not an evidence file")]
    Directory { path: PathBuf },
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: unknown format (not an alert, incident or log format Caseboard reads)")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: import cancelled; the case is as it was before this file")]
    Cancelled { path: PathBuf },
    #[error("{path}: {source}")]
    Store { path: PathBuf, source: StoreError },
    #[error("{path}: changed while being imported ({reason}); nothing was imported — import it again once it is complete")]
    ChangedDuringImport { path: PathBuf, reason: String },
    #[error("{path}: not sealed: {reason}")]
    NotSealed { path: PathBuf, reason: String },
    #[error(transparent)]
    Case(#[from] StoreError),
    #[error(transparent)]
    Graph(#[from] cb_graph::GraphError),
    #[error(transparent)]
    Search(#[from] cb_search::SearchError),
    #[error(transparent)]
    Export(#[from] cb_export::ExportError),
    #[error("No case is open. Open a case file or create a new one.")]
    NoCase,
    #[error("{0}")]
    BadInput(String),
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

pub type ApiResult<T> = Result<T, ApiError>;

fn store_code(e: &StoreError) -> ErrorCode {
    match e {
        StoreError::NotACase { .. } | StoreError::Open { .. } => ErrorCode::NotACase,
        StoreError::NoSuchNode(_) => ErrorCode::NotFound,
        StoreError::Invalid(_) => ErrorCode::BadInput,
        StoreError::Cancelled => ErrorCode::Cancelled,
        _ => ErrorCode::Storage,
    }
}

fn graph_code(g: &cb_graph::GraphError) -> ErrorCode {
    use cb_graph::GraphError as G;
    match g {
        G::NoSuchNode(_)
        | G::NoSuchInvestigation(_)
        | G::NoSuchIncident(_)
        | G::NoSuchQuery { .. } => ErrorCode::NotFound,
        G::Invalid(_) | G::NothingTo { .. } => ErrorCode::BadInput,
        G::Store(s) => store_code(s),
        G::Sql(_) => ErrorCode::Storage,
        G::BadHistory { .. } | G::Mitre(_) => ErrorCode::Internal,
    }
}

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadInput(msg.into())
    }

    /// The stable code of this error.
    pub fn kind(&self) -> ErrorCode {
        match self {
            ApiError::Missing { .. } => ErrorCode::Missing,
            ApiError::Directory { .. } => ErrorCode::Directory,
            ApiError::Unreadable { .. } => ErrorCode::Unreadable,
            ApiError::UnknownFormat { .. } => ErrorCode::UnknownFormat,
            ApiError::Cancelled { .. } => ErrorCode::Cancelled,
            ApiError::ChangedDuringImport { .. } => ErrorCode::Changed,
            ApiError::NotSealed { .. } => ErrorCode::NotSealed,
            ApiError::Store { source, .. } | ApiError::Case(source) => store_code(source),
            ApiError::Graph(g) => graph_code(g),
            ApiError::Search(s) => match s {
                cb_search::SearchError::Sql(_) => ErrorCode::Storage,
                _ => ErrorCode::BadInput,
            },
            ApiError::Export(e) => match e {
                cb_export::ExportError::Store(s) => store_code(s),
                cb_export::ExportError::Graph(g) => graph_code(g),
                cb_export::ExportError::Invalid(_) => ErrorCode::BadInput,
            },
            ApiError::NoCase => ErrorCode::NoCase,
            ApiError::BadInput(_) => ErrorCode::BadInput,
            ApiError::Io { .. } => ErrorCode::Storage,
        }
    }

    /// The stable code as text (`missing`, `not_a_case`, `bad_input`, `storage`, …).
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::Case(StoreError::Sql(e))
    }
}

impl From<cb_domain::BadNodeId> for ApiError {
    fn from(e: cb_domain::BadNodeId) -> ApiError {
        ApiError::BadInput(e.to_string())
    }
}

/// The error as it crosses IPC: `{ code, message }`. The window branches on `code`, never on
/// the message text.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorReply {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorReply {
        ErrorReply {
            code,
            message: message.into(),
        }
    }
}

impl From<ApiError> for ErrorReply {
    fn from(e: ApiError) -> ErrorReply {
        ErrorReply::new(e.kind(), e.to_string())
    }
}
