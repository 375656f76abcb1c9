//! The crate's error type: a status (the code that crosses the C ABI) and a message.
//! Domain code returns `FfiResult`; `ffi::ffi_call` turns it into a status plus a
//! `BarterError` for C callers.

/// Outcome of every fallible exported function.
#[repr(C)]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum BarterStatus {
    /// Success; out-parameters are written.
    Ok = 0,
    /// The caller's input is invalid (bad JSON, bad value, unknown name...).
    InvalidInput = 1,
    /// A file does not exist.
    NotFound = 2,
    /// Any other I/O failure (permissions, a directory instead of a file...).
    Io = 3,
    /// barter itself reported an error while running.
    Engine = 4,
    /// A Rust panic was caught at the boundary.
    Panic = 5,
    /// A required pointer argument was NULL.
    NullPointer = 6,
    /// A strategy callback asked to stop the backtest (or wrote an order that cannot be
    /// traded); the caller knows why (for Python: the exception it raised).
    Callback = 7,
    /// The call was cancelled through its cancel token.
    Cancelled = 8,
}

/// The error type used inside the crate before it crosses the boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    pub status: BarterStatus,
    pub message: String,
}

impl FfiError {
    pub fn new(status: BarterStatus, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(BarterStatus::InvalidInput, message)
    }
    pub fn engine(message: impl Into<String>) -> Self {
        Self::new(BarterStatus::Engine, message)
    }
    pub fn io(path: &str, error: &std::io::Error) -> Self {
        let status = match error.kind() {
            std::io::ErrorKind::NotFound => BarterStatus::NotFound,
            _ => BarterStatus::Io,
        };
        Self::new(status, format!("{path}: {error}"))
    }
}

pub type FfiResult<T> = Result<T, FfiError>;

/// Text of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Rust panic with a non-string payload".to_owned()
    }
}
