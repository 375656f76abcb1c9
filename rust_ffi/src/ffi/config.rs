//! The SystemConfig exports: parse from bytes or a file, counts, JSON, free.

use super::{
    bytes_arg, ffi_call, free_handle, handle_ref, opt_str_arg, str_arg, write_bytes, write_handle, write_out,
    BarterError, BarterStatus,
};
use crate::config::{load_file, parse, Config};
use std::ffi::c_char;

/// Opaque SystemConfig handle.
pub struct BarterSystemConfig {
    pub(crate) inner: Config,
}

/// Counts of a SystemConfig handle.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterSystemConfigInfo {
    /// Indexed instruments (sorted, duplicates merged): the count market data indices refer to.
    pub instruments: usize,
    pub executions: usize,
    pub exchanges: usize,
    pub assets: usize,
    /// Whether the input had a `risk_free_return` next to its `"system"` key.
    pub has_risk_free_return: bool,
}

impl From<&Config> for BarterSystemConfigInfo {
    fn from(config: &Config) -> Self {
        Self {
            instruments: config.instruments.instruments().len(),
            executions: config.system.executions.len(),
            exchanges: config.instruments.exchanges().len(),
            assets: config.instruments.assets().len(),
            has_risk_free_return: config.risk_free_return.is_some(),
        }
    }
}

/// Parses a SystemConfig from a UTF-8 JSON buffer; `source` (may be NULL) names it in
/// error messages.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_system_config_from_json_bytes(
    data: *const u8,
    len: usize,
    source: *const c_char,
    out: *mut *mut BarterSystemConfig,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let bytes = bytes_arg(data, len, "data")?;
        let source = opt_str_arg(source, "source")?.unwrap_or("<json>");
        let inner = parse(bytes, source)?;
        write_handle(out, BarterSystemConfig { inner }, "out")
    })
}

/// Reads and parses a SystemConfig file. A missing file is `NotFound`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_system_config_from_json_file(
    path: *const c_char,
    out: *mut *mut BarterSystemConfig,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let path = str_arg(path, "path")?;
        let inner = load_file(path)?;
        write_handle(out, BarterSystemConfig { inner }, "out")
    })
}

/// Counts of the config.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_system_config_info(
    handle: *const BarterSystemConfig,
    out: *mut BarterSystemConfigInfo,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let info = BarterSystemConfigInfo::from(&handle_ref(handle, "system config handle")?.inner);
        write_out(out, info, "out")
    })
}

/// The config as JSON (see `Config::to_json`). Free the buffer with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_system_config_to_json(
    handle: *const BarterSystemConfig,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let json = handle_ref(handle, "system config handle")?.inner.to_json()?;
        write_bytes(json, out_ptr, out_len)
    })
}

/// Frees a SystemConfig handle; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_system_config_free(handle: *mut BarterSystemConfig) {
    free_handle(handle)
}
