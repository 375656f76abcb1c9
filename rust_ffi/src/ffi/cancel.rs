//! The cancel token exports: make one, trip it from any thread, free it.

use super::{ffi_call, free_handle, write_handle, BarterError, BarterStatus};
use crate::cancel::Cancel;

/// Opaque cancel token (`Arc` inside, `Send + Sync`): pass it to a long call and trip it
/// from another thread to stop that call with `BARTER_STATUS_CANCELLED`.
pub struct BarterCancel {
    pub(crate) inner: Cancel,
}

/// The token behind a cancel argument (a token nobody trips for NULL).
///
/// # Safety
/// `cancel` is NULL or a live token.
pub(crate) unsafe fn cancel_arg(cancel: *const BarterCancel) -> Cancel {
    // SAFETY: NULL or a live token, by the caller's contract.
    unsafe { cancel.as_ref() }.map_or_else(Cancel::never, |token| token.inner.clone())
}

/// A new, untripped cancel token.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states.
#[no_mangle]
pub unsafe extern "C" fn barter_cancel_new(
    out: *mut *mut BarterCancel,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || write_handle(out, BarterCancel { inner: Cancel::default() }, "out"))
}

/// Trips the token: calls using it stop within milliseconds. Safe to call from any
/// thread, any number of times; NULL is ignored.
/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn barter_cancel_trip(cancel: *const BarterCancel) {
    // SAFETY: NULL or a live token.
    if let Some(token) = unsafe { cancel.as_ref() } {
        token.inner.trip();
    }
}

/// Frees a token (after the calls using it returned); NULL is ignored.
/// # Safety
/// `cancel` is NULL or a live token, freed once.
#[no_mangle]
pub unsafe extern "C" fn barter_cancel_free(cancel: *mut BarterCancel) {
    free_handle(cancel)
}
