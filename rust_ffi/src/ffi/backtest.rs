//! The backtest exports: constant arguments (new, counts, market data, free) and runs
//! (one, many) returning summaries as JSON.

use super::config::BarterSystemConfig;
use super::market_data::BarterMarketData;
use super::{
    bytes_arg, ffi_call, free_handle, handle_ref, opt_str_arg, str_arg, write_bytes, write_handle, write_out,
    BarterError, BarterStatus,
};
use crate::backtest::{
    build_args_constant, build_args_dynamic, parse_balance_overrides, parse_dynamic_specs, run_many, run_one,
    ArgsConstant, DynamicSpec, SummaryInterval,
};
use crate::market_data::MarketData;
use std::ffi::c_char;
use std::sync::Arc;

/// Opaque handle to the constant backtest arguments (`Arc` inside).
pub struct BarterBacktestArgsConstant {
    pub(crate) inner: Arc<ArgsConstant>,
    pub(crate) market_data: MarketData,
}

/// Counts of a constant-arguments handle.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterBacktestArgsConstantInfo {
    pub instruments: usize,
    pub executions: usize,
    /// 0 daily, 1 annual_252, 2 annual_365.
    pub summary_interval: u32,
}

/// Builds the constant backtest arguments. `summary_interval` is `daily`, `annual_252`
/// or `annual_365` (case-insensitive); `initial_balances_json` (may be NULL) is a JSON
/// array of `{"exchange","asset","total","free"}` with decimal strings.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_constant_new(
    config: *const BarterSystemConfig,
    market_data: *const BarterMarketData,
    summary_interval: *const c_char,
    initial_balances_json: *const c_char,
    out: *mut *mut BarterBacktestArgsConstant,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let config = &handle_ref(config, "system config handle")?.inner;
        let market_data = &handle_ref(market_data, "market data handle")?.inner;
        let interval = SummaryInterval::parse(str_arg(summary_interval, "summary_interval")?)?;
        let overrides = match opt_str_arg(initial_balances_json, "initial_balances")? {
            None => Vec::new(),
            Some(text) => parse_balance_overrides(text)?,
        };
        let args = build_args_constant(config, market_data, interval, &overrides)?;
        write_handle(
            out,
            BarterBacktestArgsConstant { inner: Arc::new(args), market_data: market_data.clone() },
            "out",
        )
    })
}

/// Counts and interval of the constant arguments.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_constant_info(
    handle: *const BarterBacktestArgsConstant,
    out: *mut BarterBacktestArgsConstantInfo,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let args = &handle_ref(handle, "backtest args handle")?.inner;
        let info = BarterBacktestArgsConstantInfo {
            instruments: args.instruments.instruments().len(),
            executions: args.executions.len(),
            summary_interval: args.summary_interval as u32,
        };
        write_out(out, info, "out")
    })
}

/// A new market data handle sharing the records the arguments replay.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_constant_market_data(
    handle: *const BarterBacktestArgsConstant,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let inner = handle_ref(handle, "backtest args handle")?.market_data.clone();
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// Frees a constant-arguments handle; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_constant_free(handle: *mut BarterBacktestArgsConstant) {
    free_handle(handle)
}

/// Runs one backtest with the default strategy and risk manager. `risk_free_return` is a
/// decimal string. Writes the `BacktestSummary` as JSON; free it with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_run(
    args: *const BarterBacktestArgsConstant,
    id: *const c_char,
    risk_free_return: *const c_char,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let args = &handle_ref(args, "backtest args handle")?.inner;
        let spec = DynamicSpec {
            id: str_arg(id, "id")?.to_owned(),
            risk_free_return: str_arg(risk_free_return, "risk_free_return")?.to_owned(),
        };
        let dynamic = build_args_dynamic(std::slice::from_ref(&spec))?.pop().expect("one spec in, one out");
        let summary = run_one(args, dynamic)?;
        write_bytes(summary.to_json()?, out_ptr, out_len)
    })
}

/// Runs backtests concurrently, at most `max_concurrent` in flight (0: 64), summaries
/// in input order. `dynamics_json` is a JSON array of
/// `{"id": str, "risk_free_return": decimal string}`; ids must be unique. Writes the
/// `MultiBacktestSummary` as JSON; free it with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_run_many(
    args: *const BarterBacktestArgsConstant,
    dynamics_json: *const u8,
    dynamics_len: usize,
    max_concurrent: usize,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let args = &handle_ref(args, "backtest args handle")?.inner;
        let bytes = bytes_arg(dynamics_json, dynamics_len, "dynamics_json")?;
        let specs = parse_dynamic_specs(bytes)?;
        let dynamics = build_args_dynamic(&specs)?;
        let summary = run_many(args, dynamics, max_concurrent)?;
        write_bytes(summary.to_json()?, out_ptr, out_len)
    })
}
