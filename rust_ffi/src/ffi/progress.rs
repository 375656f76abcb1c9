//! The progress counter exports: make one, pass it to a long call (next to its cancel
//! token), read it from any thread while the call runs, free it.

use super::{ffi_call, free_handle, write_handle, BarterError, BarterStatus};
use crate::progress::Progress;

/// Opaque progress counter (`Arc` inside, `Send + Sync`): a long call advances it as
/// units of work finish (`barter_backtest_run_many`: one per finished backtest, failed
/// ones included); any thread reads it with `barter_progress_done` meanwhile.
pub struct BarterProgress {
    pub(crate) inner: Progress,
}

/// The counter behind a progress argument (one nobody reads for NULL).
///
/// # Safety
/// `progress` is NULL or a live counter.
pub(crate) unsafe fn progress_arg(progress: *const BarterProgress) -> Progress {
    // SAFETY: NULL or a live counter, by the caller's contract.
    unsafe { progress.as_ref() }.map_or_else(Progress::unobserved, |counter| counter.inner.clone())
}

/// A new counter at 0.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states.
#[no_mangle]
pub unsafe extern "C" fn barter_progress_new(
    out: *mut *mut BarterProgress,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || write_handle(out, BarterProgress { inner: Progress::default() }, "out"))
}

/// Units finished so far (0 for NULL). Lock-free; safe from any thread while a call
/// using the counter runs. A counter passed to several calls counts for all of them.
/// # Safety
/// `progress` is NULL or a live counter.
#[no_mangle]
pub unsafe extern "C" fn barter_progress_done(progress: *const BarterProgress) -> usize {
    // SAFETY: NULL or a live counter.
    unsafe { progress.as_ref() }.map_or(0, |counter| counter.inner.done())
}

/// Frees a counter (after the calls using it returned); NULL is ignored.
/// # Safety
/// `progress` is NULL or a live counter, freed once.
#[no_mangle]
pub unsafe extern "C" fn barter_progress_free(progress: *mut BarterProgress) {
    free_handle(progress)
}
