//! The log exports: set the level, drain the queued records as JSON, and a test-only
//! emitter. See `crate::log` for the queue, the `tracing` subscriber and the panic hook.

use super::{ffi_call, str_arg, write_bytes, BarterError, BarterStatus, FfiError};
use crate::log;
use std::ffi::c_char;

/// Log levels for `barter_log_set_level` (and the `level` of drained records).
pub const BARTER_LOG_OFF: u32 = 0;
pub const BARTER_LOG_ERROR: u32 = 1;
pub const BARTER_LOG_WARN: u32 = 2;
pub const BARTER_LOG_INFO: u32 = 3;
pub const BARTER_LOG_DEBUG: u32 = 4;
pub const BARTER_LOG_TRACE: u32 = 5;

/// Records log events at `level` and above: 0 off, 1 error, 2 warn (the default),
/// 3 info, 4 debug, 5 trace (larger values mean trace). Installs the log bridge if no
/// call did yet. Safe from any thread.
#[no_mangle]
pub extern "C" fn barter_log_set_level(level: u32) {
    log::install();
    log::set_level(u8::try_from(level.min(BARTER_LOG_TRACE)).unwrap_or(u8::MAX));
}

/// The current log level (0 off ... 5 trace).
#[no_mangle]
pub extern "C" fn barter_log_level() -> u32 {
    u32::from(log::level())
}

/// Takes the queued log records and writes them as JSON:
/// `{"dropped":N,"records":[{"level":1..5,"target":"...","message":"..."},...]}` in the
/// order they were recorded; `dropped` counts the records lost since the previous drain
/// because the queue was full (it keeps the newest 10,000). Free the buffer with
/// `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_log_drain(
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        if out_ptr.is_null() || out_len.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "output buffer pointer is NULL"));
        }
        let json =
            serde_json::to_vec(&log::drain()).map_err(|e| FfiError::engine(format!("log records: {e}")))?;
        write_bytes(json, out_ptr, out_len)
    })
}

/// Emits `message` as a `tracing` event at `level` (1 error ... 5 trace) with target
/// `barter_ffi::testing` and a field `source="barter_testing_log"`, exactly as barter's
/// own events are emitted, so tests can check the bridge end to end. Level 0 or above 5
/// is `InvalidInput`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_testing_log(
    level: u32,
    message: *const c_char,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let text = str_arg(message, "message")?;
        let source = "barter_testing_log";
        match level {
            1 => tracing::error!(target: "barter_ffi::testing", source, "{text}"),
            2 => tracing::warn!(target: "barter_ffi::testing", source, "{text}"),
            3 => tracing::info!(target: "barter_ffi::testing", source, "{text}"),
            4 => tracing::debug!(target: "barter_ffi::testing", source, "{text}"),
            5 => tracing::trace!(target: "barter_ffi::testing", source, "{text}"),
            other => {
                return Err(FfiError::invalid(format!("level: must be 1 (error) to 5 (trace), got {other}")))
            }
        }
        Ok(())
    })
}
