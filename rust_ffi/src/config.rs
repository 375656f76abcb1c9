//! SystemConfig: barter's own serde type, parsed from either the plain shape or the
//! shape under a `"system"` key (barter's backtest example), behind an immutable handle.

use crate::ffi::{
    bytes_arg, ffi_call, free_handle, handle_ref, panic_message, str_arg, write_bytes,
    write_handle, write_out, BarterError, BarterStatus, FfiError, FfiResult,
};
use barter::system::config::SystemConfig;
use barter_instrument::index::IndexedInstruments;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::c_char;
use std::sync::Arc;

/// A parsed config and the instruments indexed from it (the order market data refers to).
#[derive(Debug, Clone)]
pub struct Config {
    pub system: Arc<SystemConfig>,
    pub instruments: Arc<IndexedInstruments>,
    /// `risk_free_return` found next to `"system"`, if any.
    pub risk_free_return: Option<Decimal>,
}

/// Opaque SystemConfig handle.
pub struct BarterSystemConfig {
    pub(crate) inner: Config,
}

/// Counts of a SystemConfig handle.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterSystemConfigInfo {
    pub instruments: usize,
    pub executions: usize,
    pub exchanges: usize,
    pub assets: usize,
    /// Whether the input had a `risk_free_return` next to its `"system"` key.
    pub has_risk_free_return: bool,
}

#[derive(Deserialize)]
struct Wrapped {
    system: SystemConfig,
    risk_free_return: Option<Decimal>,
}

fn located(source: &str, e: &serde_json::Error) -> FfiError {
    FfiError::invalid(format!("{source}: invalid system config: {e}"))
}

/// Parses a config in either shape. `source` names the input in error messages.
pub fn parse(bytes: &[u8], source: &str) -> FfiResult<Config> {
    // Look at the top-level keys first (syntax errors surface here with their location).
    let keys: BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(|e| located(source, &e))?;
    let (system, risk_free_return) = if keys.contains_key("system") {
        let w: Wrapped = serde_json::from_slice(bytes).map_err(|e| located(source, &e))?;
        (w.system, w.risk_free_return)
    } else {
        (serde_json::from_slice::<SystemConfig>(bytes).map_err(|e| located(source, &e))?, None)
    };
    if system.instruments.is_empty() {
        return Err(FfiError::invalid(format!("{source}: system config has no instruments")));
    }
    let for_index = system.instruments.clone();
    let instruments = std::panic::catch_unwind(move || IndexedInstruments::new(for_index))
        .map_err(|p| {
            FfiError::invalid(format!(
                "{source}: instruments cannot be indexed: {}",
                panic_message(p.as_ref())
            ))
        })?;
    Ok(Config { system: Arc::new(system), instruments: Arc::new(instruments), risk_free_return })
}

impl Config {
    pub fn info(&self) -> BarterSystemConfigInfo {
        BarterSystemConfigInfo {
            // Indexed (sorted, duplicates merged): the count market data indices refer to.
            instruments: self.instruments.instruments().len(),
            executions: self.system.executions.len(),
            exchanges: self.instruments.exchanges().len(),
            assets: self.instruments.assets().len(),
            has_risk_free_return: self.risk_free_return.is_some(),
        }
    }

    /// Names of the indexed instruments, in index order.
    pub fn instrument_names(&self) -> Vec<String> {
        self.instruments
            .instruments()
            .iter()
            .map(|keyed| keyed.value.name_internal.name().to_string())
            .collect()
    }
}

/// Parses a SystemConfig from a UTF-8 JSON buffer; `source` (may be NULL) names it in
/// error messages.
#[no_mangle]
pub extern "C" fn barter_system_config_from_json_bytes(
    data: *const u8,
    len: usize,
    source: *const c_char,
    out: *mut *mut BarterSystemConfig,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let bytes = bytes_arg(data, len, "data")?;
        let source = crate::ffi::opt_str_arg(source, "source")?.unwrap_or("<json>");
        let inner = parse(bytes, source)?;
        write_handle(out, BarterSystemConfig { inner }, "out")
    })
}

/// Reads and parses a SystemConfig file. A missing file is `NotFound`.
#[no_mangle]
pub extern "C" fn barter_system_config_from_json_file(
    path: *const c_char,
    out: *mut *mut BarterSystemConfig,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let path = str_arg(path, "path")?;
        let bytes = std::fs::read(path).map_err(|e| FfiError::io(path, &e))?;
        let inner = parse(&bytes, path)?;
        write_handle(out, BarterSystemConfig { inner }, "out")
    })
}

/// Counts of the config.
#[no_mangle]
pub extern "C" fn barter_system_config_info(
    handle: *const BarterSystemConfig,
    out: *mut BarterSystemConfigInfo,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let info = handle_ref(handle, "system config handle")?.inner.info();
        write_out(out, info, "out")
    })
}

/// The config as JSON in the plain shape, plus the indexed instrument names and the
/// `risk_free_return` if one was given:
/// `{"system": {...}, "instrument_names": [...], "risk_free_return": "0.05" | null}`.
/// Free the buffer with `barter_bytes_free`.
#[no_mangle]
pub extern "C" fn barter_system_config_to_json(
    handle: *const BarterSystemConfig,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let config = &handle_ref(handle, "system config handle")?.inner;
        let value = serde_json::json!({
            "system": &*config.system,
            "instrument_names": config.instrument_names(),
            "risk_free_return": config.risk_free_return.map(|d| d.to_string()),
        });
        let bytes = serde_json::to_vec(&value)
            .map_err(|e| FfiError::engine(format!("serialising system config: {e}")))?;
        write_bytes(bytes, out_ptr, out_len)
    })
}

/// Frees a SystemConfig handle; NULL is ignored.
#[no_mangle]
pub extern "C" fn barter_system_config_free(handle: *mut BarterSystemConfig) {
    free_handle(handle)
}
