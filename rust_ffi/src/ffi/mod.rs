//! Every `#[no_mangle] extern "C"` function of the crate, one file per area, and the
//! plumbing they share: the owned error object, the one wrapper that catches panics and
//! fills the error out-parameter, handle and pointer helpers, and the free functions for
//! byte buffers Rust hands out. No domain logic lives here.
//!
//! The pointer contract every export relies on (its `# Safety`): each pointer argument
//! is NULL (reported as `NullPointer` where a value is required) or valid: a handle made
//! by this library and not yet freed, a NUL-terminated string, a buffer readable for the
//! given length, an out-parameter writable for its type. Handles may be shared across
//! threads; each is freed once.

use std::ffi::{c_char, CStr, CString};

pub use crate::error::{panic_message, BarterStatus, FfiError, FfiResult};

pub mod backtest;
pub mod cancel;
pub mod columns;
pub mod config;
pub mod log;
pub mod market_data;
pub mod progress;
pub mod strategy;
pub mod summary;

/// Error details for a failed call: a status and a UTF-8 message. Owned by Rust; free it
/// with `barter_error_free`.
pub struct BarterError {
    status: BarterStatus,
    message: CString,
}

/// Runs `body` and turns its result, or a panic inside it, into a status plus an optional
/// error object written to `err_out` (which may be NULL). Every exported fallible function
/// is a call to this.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn ffi_call<F>(err_out: *mut *mut BarterError, body: F) -> BarterStatus
where
    F: FnOnce() -> FfiResult<()>,
{
    crate::log::install(); // once: tracing to the log queue, panics without stderr
    if !err_out.is_null() {
        // SAFETY: the caller passes a valid location or NULL.
        unsafe { *err_out = std::ptr::null_mut() };
    }
    let error = match crate::log::catch_quietly(body) {
        Ok(Ok(())) => return BarterStatus::Ok,
        Ok(Err(error)) => error,
        Err(payload) => {
            FfiError::new(BarterStatus::Panic, crate::log::caught_panic_message(payload.as_ref()))
        }
    };
    let status = error.status;
    if !err_out.is_null() {
        let message = CString::new(error.message.replace('\0', "\\0"))
            .unwrap_or_else(|_| CString::new("invalid error message").unwrap());
        let boxed = Box::new(BarterError { status, message });
        // SAFETY: checked non-NULL above.
        unsafe { *err_out = Box::into_raw(boxed) };
    }
    status
}

/// Runs a free function body so that a panic in a destructor cannot unwind into C.
pub fn ffi_free<F: FnOnce()>(body: F) {
    let _ = crate::log::catch_quietly(body);
}

/// Borrows the object behind a handle, failing on NULL.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn handle_ref<'a, T>(ptr: *const T, what: &str) -> FfiResult<&'a T> {
    // SAFETY: non-NULL handles come from `Box::into_raw` in this crate and stay alive
    // until their `*_free`; the caller guarantees that.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::new(BarterStatus::NullPointer, format!("{what} is NULL")))
}

/// Writes `value` through an out-parameter, failing on NULL.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and provided by the caller as writable.
    unsafe { out.write(value) };
    Ok(())
}

/// Moves a Rust value into a new handle written to `out`.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn write_handle<T>(out: *mut *mut T, value: T, what: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("{what} is NULL")));
    }
    // SAFETY: as in `write_out`.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
    Ok(())
}

/// Frees a handle created by `write_handle`; NULL is ignored.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        ffi_free(|| {
            // SAFETY: created by `Box::into_raw` in `write_handle`, freed once by contract.
            drop(unsafe { Box::from_raw(ptr) })
        });
    }
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("{what} is NULL")));
    }
    // SAFETY: non-NULL, NUL-terminated by contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|e| FfiError::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// Reads an optional NUL-terminated UTF-8 string argument (NULL means absent).
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn opt_str_arg<'a>(ptr: *const c_char, what: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, what).map(Some)
    }
}

/// Borrows a byte buffer argument; (NULL, 0) is the empty buffer.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("{what} is NULL")));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `ptr` for the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Hands a byte buffer to the caller through (`out_ptr`, `out_len`); free it with
/// `barter_bytes_free(ptr, len)`.
///
/// # Safety
/// Pointer arguments follow the contract in the module docs.
pub unsafe fn write_bytes(bytes: Vec<u8>, out_ptr: *mut *mut u8, out_len: *mut usize) -> FfiResult<()> {
    if out_ptr.is_null() || out_len.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, "output buffer pointer is NULL"));
    }
    let boxed: Box<[u8]> = bytes.into_boxed_slice();
    let len = boxed.len();
    let ptr = Box::into_raw(boxed) as *mut u8;
    // SAFETY: both checked non-NULL.
    unsafe {
        out_len.write(len);
        out_ptr.write(ptr);
    }
    Ok(())
}

/// The status of an error object (`Ok` for NULL).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_error_status(error: *const BarterError) -> BarterStatus {
    // SAFETY: NULL or a live error from this crate.
    match unsafe { error.as_ref() } {
        Some(e) => e.status,
        None => BarterStatus::Ok,
    }
}

/// The UTF-8, NUL-terminated message of an error object, valid until it is freed
/// (NULL for NULL).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_error_message(error: *const BarterError) -> *const c_char {
    // SAFETY: NULL or a live error from this crate.
    match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => std::ptr::null(),
    }
}

/// Frees an error object; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_error_free(error: *mut BarterError) {
    free_handle(error)
}

/// Frees a buffer returned through a (`ptr`, `len`) pair; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_bytes_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        ffi_free(|| {
            // SAFETY: made by `write_bytes` from a boxed slice of exactly `len` bytes.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) })
        });
    }
}

/// Panics on purpose with `message` inside the shared wrapper, so tests can check that
/// a panic reaches the caller as `BARTER_STATUS_PANIC` and the process goes on.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_testing_panic(
    message: *const c_char,
    err_out: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err_out, || {
        let text = str_arg(message, "message")?.to_owned();
        panic!("{text}")
    })
}

/// Version of this library, a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn barter_ffi_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}
