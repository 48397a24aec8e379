//! The one error shape that crosses IPC: `{ code, message }`. The UI branches on `code`,
//! never on message text.

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, coarsely: enough for the UI to choose what to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// No case is open; offer Open / New.
    NoCase,
    /// The file is not a Caseboard case (or cannot be opened as one).
    NotACase,
    /// The node, investigation or file asked for does not exist.
    NotFound,
    /// The request itself is malformed (bad node id, bad argument).
    BadInput,
    /// Reading or writing a file failed.
    Io,
    /// Anything else; the message says what.
    Internal,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

pub type IpcResult<T> = Result<T, IpcError>;

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
        }
    }
    pub fn no_case() -> IpcError {
        IpcError::new(
            ErrorCode::NoCase,
            "No case is open. Open a case file or create a new one.",
        )
    }
}

impl From<cb_store::StoreError> for IpcError {
    fn from(e: cb_store::StoreError) -> IpcError {
        IpcError::new(IpcError::from_store_code(&e), e.to_string())
    }
}

impl From<cb_graph::GraphError> for IpcError {
    fn from(e: cb_graph::GraphError) -> IpcError {
        use cb_graph::GraphError as E;
        let code = match &e {
            E::NoSuchNode(_)
            | E::NoSuchInvestigation(_)
            | E::NoSuchIncident(_)
            | E::NoSuchQuery { .. } => ErrorCode::NotFound,
            E::Invalid(_) | E::NothingTo { .. } => ErrorCode::BadInput,
            E::Store(s) => return IpcError::new(IpcError::from_store_code(s), e.to_string()),
            _ => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

impl IpcError {
    fn from_store_code(e: &cb_store::StoreError) -> ErrorCode {
        use cb_store::StoreError as E;
        match e {
            E::NotACase { .. } | E::Open { .. } => ErrorCode::NotACase,
            E::NoSuchNode(_) => ErrorCode::NotFound,
            E::Invalid(_) => ErrorCode::BadInput,
            _ => ErrorCode::Internal,
        }
    }
}

impl From<cb_domain::BadNodeId> for IpcError {
    fn from(e: cb_domain::BadNodeId) -> IpcError {
        IpcError::new(ErrorCode::BadInput, e.to_string())
    }
}

impl From<std::io::Error> for IpcError {
    fn from(e: std::io::Error) -> IpcError {
        IpcError::new(ErrorCode::Io, e.to_string())
    }
}
