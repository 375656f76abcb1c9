//! The strategy exports: built-in strategies by name and JSON parameters, target
//! positions from an array, their description, free.

use super::{
    ffi_call, free_handle, handle_ref, opt_str_arg, str_arg, write_bytes, write_handle, BarterError,
};
use super::{BarterStatus, FfiError};
use crate::strategy::callback::{BarterStrategyCallback, Callback};
use crate::strategy::{Strategy, StrategyKind};
use std::ffi::{c_char, c_void};

/// Opaque, immutable strategy handle (`Arc` inside, `Send + Sync`).
pub struct BarterStrategy {
    pub(crate) inner: Strategy,
}

/// A built-in strategy. `name`: `default`, `buy_and_hold`, `sma_cross`,
/// `bollinger_reversion` or `breakout`. `params_json` (NULL = `{}`): a JSON object,
/// decimals as strings, windows as JSON integers: `{"quantity": "0.01"}`,
/// `{"fast": 10, "slow": 30, "quantity": "0.01"}`, `{"window": 20, "k": "2", "quantity":
/// "1"}`, `{"window": 20, "quantity": "1"}`. An unknown name, an unknown or missing
/// parameter or a bad value is `INVALID_INPUT` naming it (fast >= slow, fast < 1,
/// window < 2, k <= 0, quantity <= 0).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_strategy_new(
    name: *const c_char,
    params_json: *const c_char,
    out: *mut *mut BarterStrategy,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let name = str_arg(name, "name")?;
        let params = opt_str_arg(params_json, "params_json")?;
        let inner = Strategy::from_name(name, params)?;
        write_handle(out, BarterStrategy { inner }, "out")
    })
}

/// `TargetPositions`: `targets[i]` is the target position (base units, long only) after
/// market data item `i` (reconnect markers excluded), for that item's instrument. NaN,
/// infinite or negative targets are `INVALID_INPUT` naming the index ("targets[i]: ...");
/// a length other than the market data's item count fails when the backtest runs.
/// `targets` may be NULL when `len` is 0. The values are copied.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_strategy_target_positions(
    targets: *const f64,
    len: usize,
    out: *mut *mut BarterStrategy,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let values: &[f64] = if len == 0 {
            &[]
        } else if targets.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "targets is NULL"));
        } else {
            // SAFETY: the caller guarantees `len` readable f64 values at `targets`.
            unsafe { std::slice::from_raw_parts(targets, len) }
        };
        let inner = Strategy::target_positions(values)?;
        write_handle(out, BarterStrategy { inner }, "out")
    })
}

/// The strategy as JSON, `{"name": ..., "params": {...}}`, exactly as in the summary
/// (`target_positions` params: `{"len": N}`; `default`: `{}`). Free the buffer with
/// `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_strategy_describe(
    strategy: *const BarterStrategy,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let strategy = &handle_ref(strategy, "strategy handle")?.inner;
        write_bytes(strategy.describe_json()?, out_ptr, out_len)
    })
}

/// Frees a strategy handle; NULL is ignored. Backtest arguments made with it keep their
/// own reference.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_strategy_free(strategy: *mut BarterStrategy) {
    free_handle(strategy)
}

/// A strategy implemented by the caller: `function(user, event)` is called before the
/// first record (`START`: set `event->run` to a per-run context if you need one), after
/// the engine processed each market item (`EVENT`: set `event->has_target` and
/// `event->target` to order towards a position), after the last record (`FINISH`) and
/// always once at the end (`END`, also after a failure: release `event->run`). Return 0
/// to go on; anything else stops the backtest, which then fails with
/// `BARTER_STATUS_CALLBACK`. `name` and `params_json` (a JSON object, NULL = `{}`) are how
/// the summary reports the strategy.
/// # Safety
/// Pointer arguments as the C ABI contract in `ffi` states. `function` may be called
/// from any thread (backtests run on several) with `user`, which must stay valid until
/// every run using this strategy (and every dynamic-arguments handle made from it) has
/// ended and been freed.
#[no_mangle]
pub unsafe extern "C" fn barter_strategy_callback(
    name: *const c_char,
    params_json: *const c_char,
    function: BarterStrategyCallback,
    user: *mut c_void,
    out: *mut *mut BarterStrategy,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let name = str_arg(name, "name")?.trim();
        if name.is_empty() {
            return Err(FfiError::invalid("name: must not be empty"));
        }
        let params = match opt_str_arg(params_json, "params_json")? {
            None => serde_json::Value::Object(Default::default()),
            Some(text) => match serde_json::from_str(text) {
                Ok(value @ serde_json::Value::Object(_)) => value,
                Ok(_) => return Err(FfiError::invalid("params_json: expected a JSON object")),
                Err(e) => return Err(FfiError::invalid(format!("params_json: {e}"))),
            },
        };
        let function =
            function.ok_or_else(|| FfiError::new(BarterStatus::NullPointer, "function is NULL"))?;
        let callback = Callback::new(function, user, name.to_owned(), params);
        write_handle(out, BarterStrategy { inner: Strategy::new(StrategyKind::Callback(callback)) }, "out")
    })
}
