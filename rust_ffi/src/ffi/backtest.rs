//! The backtest exports: constant arguments (new, counts, market data, free), dynamic
//! arguments (new, free) and runs (one, many on Rust threads) returning a summaries
//! handle (`ffi::summary`).

use super::cancel::{cancel_arg, BarterCancel};
use super::config::BarterSystemConfig;
use super::market_data::BarterMarketData;
use super::progress::{progress_arg, BarterProgress};
use super::strategy::BarterStrategy;
use super::summary::BarterSummaries;
use super::{
    ffi_call, free_handle, handle_ref, opt_str_arg, str_arg, write_handle, write_out, BarterError,
    BarterStatus, FfiError,
};
use crate::backtest::{
    build_args_constant, build_args_dynamic, parse_balance_overrides, run_many_observed, run_one_cancellable,
    ArgsConstant, ArgsDynamic, SummaryInterval,
};
use crate::engine::Fill;
use crate::market_data::MarketData;
use crate::summary::MultiBacktestSummaryWire;
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

/// Where Market orders fill. Pass one of the enumerators; any other value is undefined
/// behaviour.
#[repr(C)]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum BarterFill {
    /// At the next priced event of the order's instrument (next trade's price, next
    /// candle's open, next L1 mid).
    Next = 0,
    /// At the price of the event that produced the order (trade price, candle close, L1 mid).
    Signal = 1,
}

impl From<BarterFill> for Fill {
    fn from(fill: BarterFill) -> Self {
        match fill {
            BarterFill::Next => Fill::Next,
            BarterFill::Signal => Fill::Signal,
        }
    }
}

/// Opaque, immutable handle to the arguments of one backtest (`Send + Sync`).
pub struct BarterBacktestArgsDynamic {
    pub(crate) inner: ArgsDynamic,
}

/// Builds the arguments of one backtest. `id` is trimmed and must not be empty;
/// `risk_free_return` is a decimal string; `strategy` NULL is barter's DefaultStrategy
/// (never orders; the handle is not consumed: free it independently); `fill` says where
/// Market orders fill; `close_at_end` closes open positions at the last price when the
/// data ends.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_dynamic_new(
    id: *const c_char,
    risk_free_return: *const c_char,
    strategy: *const BarterStrategy,
    fill: BarterFill,
    close_at_end: bool,
    out: *mut *mut BarterBacktestArgsDynamic,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let id = str_arg(id, "id")?;
        let risk_free_return = str_arg(risk_free_return, "risk_free_return")?;
        // SAFETY: NULL or a live strategy handle, by contract.
        let strategy = unsafe { strategy.as_ref() }.map(|s| s.inner.clone());
        let inner = build_args_dynamic(id, risk_free_return, strategy, fill.into(), close_at_end)?;
        write_handle(out, BarterBacktestArgsDynamic { inner }, "out")
    })
}

/// Frees a dynamic-arguments handle; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_args_dynamic_free(args: *mut BarterBacktestArgsDynamic) {
    free_handle(args)
}

/// Runs one backtest on the calling thread. `cancel` (may be NULL) stops it with
/// `BARTER_STATUS_CANCELLED` when tripped from another thread. Writes a summaries
/// handle holding its one summary (duration 0); free it with `barter_summaries_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_run(
    args: *const BarterBacktestArgsConstant,
    dynamic: *const BarterBacktestArgsDynamic,
    cancel: *const BarterCancel,
    out: *mut *mut BarterSummaries,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let args = &handle_ref(args, "backtest args handle")?.inner;
        let dynamic = &handle_ref(dynamic, "dynamic args handle")?.inner;
        if out.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "out is NULL"));
        }
        let cancel = cancel_arg(cancel);
        let summary = run_one_cancellable(args, dynamic, &cancel)?;
        let one = MultiBacktestSummaryWire { num_backtests: 1, duration_ns: 0, summaries: vec![summary] };
        write_handle(out, BarterSummaries::new(one)?, "out")
    })
}

/// Runs `count` backtests on up to `max_concurrent` Rust threads (0: the number of
/// cores), sharing the constant arguments. `dynamics` is an array of `count` handles
/// (NULL allowed when `count` is 0); ids must be unique. Writes a summaries handle
/// (summaries in input order, the batch's wall time); free it with
/// `barter_summaries_free`. `cancel` (may be NULL)
/// stops every backtest with `BARTER_STATUS_CANCELLED` when tripped. `progress` (may be
/// NULL) is advanced by one as each backtest finishes (failed ones included): read it
/// with `barter_progress_done` from another thread while this call runs.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_backtest_run_many(
    args: *const BarterBacktestArgsConstant,
    dynamics: *const *const BarterBacktestArgsDynamic,
    count: usize,
    max_concurrent: usize,
    cancel: *const BarterCancel,
    progress: *const BarterProgress,
    out: *mut *mut BarterSummaries,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let args = &handle_ref(args, "backtest args handle")?.inner;
        if out.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "out is NULL"));
        }
        let handles: &[*const BarterBacktestArgsDynamic] = if count == 0 {
            &[]
        } else if dynamics.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "dynamics is NULL"));
        } else {
            // SAFETY: the caller guarantees `count` readable handle pointers.
            unsafe { std::slice::from_raw_parts(dynamics, count) }
        };
        let mut list = Vec::with_capacity(handles.len());
        for (index, handle) in handles.iter().enumerate() {
            list.push(handle_ref(*handle, &format!("dynamics[{index}]"))?.inner.clone());
        }
        let summary =
            run_many_observed(args, &list, max_concurrent, &cancel_arg(cancel), &progress_arg(progress))?;
        write_handle(out, BarterSummaries::new(summary)?, "out")
    })
}
