//! Calls every exported function through an `extern "C"` block that mirrors
//! `barter_cy/include/barter_ffi.h`, the way a C caller does: opaque handle pointers, `CString`
//! arguments, out-parameters, `BarterError**` error objects freed with
//! `barter_error_free`, and byte buffers freed with `barter_bytes_free`.
//!
//! Covers success and error statuses and messages, NULL handles / out-parameters /
//! error out-parameters, the info structs, the events JSON rows, handle lifetimes,
//! panics caught at the boundary, system configs, constant and dynamic backtest
//! arguments and single / concurrent backtests with barter's DefaultStrategy (the output
//! JSON parsed and checked field by field). Strategies through the ABI: `strategy_abi.rs`.

mod common;

use barter_ffi::ffi::backtest::{BarterBacktestArgsConstantInfo, BarterFill};
use barter_ffi::ffi::config::BarterSystemConfigInfo;
use barter_ffi::ffi::market_data::BarterMarketDataInfo;
use barter_ffi::ffi::summary::{BarterSummariesInfo, BarterSummaryView};
use barter_ffi::ffi::BarterStatus;
use common::{
    backtest_config_path, examples, market_data_path, system_config_path, Ordered, FIRST_EVENT_NS,
    LAST_EVENT_NS,
};
use serde_json::{json, Value};
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut, NonNull};

// ---------------------------------------------------------------------------------------
// The C ABI as the header declares it. Handles are opaque to C, so they are opaque here.
// ---------------------------------------------------------------------------------------

#[repr(C)]
pub struct Error {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct MarketData {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct SystemConfig {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ArgsConstant {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Dynamic {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Strategy {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Summaries {
    _opaque: [u8; 0],
}

extern "C" {
    fn barter_backtest_args_constant_new(
        config: *const SystemConfig,
        market_data: *const MarketData,
        summary_interval: *const c_char,
        initial_balances_json: *const c_char,
        out: *mut *mut ArgsConstant,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_backtest_args_constant_info(
        handle: *const ArgsConstant,
        out: *mut BarterBacktestArgsConstantInfo,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_backtest_args_constant_market_data(
        handle: *const ArgsConstant,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_backtest_args_constant_free(handle: *mut ArgsConstant);
    fn barter_backtest_args_dynamic_new(
        id: *const c_char,
        risk_free_return: *const c_char,
        strategy: *const Strategy,
        fill: BarterFill,
        close_at_end: bool,
        out: *mut *mut Dynamic,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_backtest_args_dynamic_free(args: *mut Dynamic);
    fn barter_strategy_free(strategy: *mut Strategy);
    fn barter_backtest_run(
        args: *const ArgsConstant,
        dynamic: *const Dynamic,
        cancel: *const std::ffi::c_void,
        out: *mut *mut Summaries,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_backtest_run_many(
        args: *const ArgsConstant,
        dynamics: *const *const Dynamic,
        count: usize,
        max_concurrent: usize,
        cancel: *const std::ffi::c_void,
        progress: *const std::ffi::c_void,
        out: *mut *mut Summaries,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_summaries_info(
        handle: *const Summaries,
        out: *mut BarterSummariesInfo,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_summaries_get(
        handle: *const Summaries,
        index: usize,
        out: *mut BarterSummaryView,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_summaries_to_json(
        handle: *const Summaries,
        out_ptr: *mut *mut u8,
        out_len: *mut usize,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_summaries_free(handle: *mut Summaries);
    fn barter_system_config_from_json_bytes(
        data: *const u8,
        len: usize,
        source: *const c_char,
        out: *mut *mut SystemConfig,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_system_config_from_json_file(
        path: *const c_char,
        out: *mut *mut SystemConfig,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_system_config_info(
        handle: *const SystemConfig,
        out: *mut BarterSystemConfigInfo,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_system_config_to_json(
        handle: *const SystemConfig,
        out_ptr: *mut *mut u8,
        out_len: *mut usize,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_system_config_free(handle: *mut SystemConfig);
    fn barter_error_status(error: *const Error) -> BarterStatus;
    fn barter_error_message(error: *const Error) -> *const c_char;
    fn barter_error_free(error: *mut Error);
    fn barter_bytes_free(ptr: *mut u8, len: usize);
    fn barter_testing_panic(message: *const c_char, err_out: *mut *mut Error) -> BarterStatus;
    fn barter_ffi_version() -> *const c_char;
    fn barter_market_data_from_json_file(
        path: *const c_char,
        skip_errors: bool,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_from_json_bytes(
        data: *const u8,
        len: usize,
        source: *const c_char,
        skip_errors: bool,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_clone(
        handle: *const MarketData,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_info(
        handle: *const MarketData,
        out: *mut BarterMarketDataInfo,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_events_json(
        handle: *const MarketData,
        start: usize,
        stop: usize,
        out_ptr: *mut *mut u8,
        out_len: *mut usize,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_free(handle: *mut MarketData);
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const INSTRUMENT_NAMES: [&str; 3] = ["binancespot-btc_usdt", "binancespot-eth_usdt", "binancespot-sol_usdt"];

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// A failed call as the caller sees it.
#[derive(Debug, Clone)]
struct Failure {
    status: BarterStatus,
    message: String,
}

/// A non-NULL pointer the library must overwrite (with NULL on success) before use.
fn garbage_error() -> *mut Error {
    NonNull::<Error>::dangling().as_ptr()
}

/// Runs one fallible call with a live `BarterError**`, checks the error-object contract
/// (NULL exactly on success, its status equal to the returned one, a UTF-8 message) and
/// returns the status and message.
fn call(f: impl FnOnce(*mut *mut Error) -> BarterStatus) -> Result<(), Failure> {
    let mut err = garbage_error();
    let status = f(&mut err);
    if status == BarterStatus::Ok {
        assert!(err.is_null(), "success must leave *err NULL");
        return Ok(());
    }
    assert!(!err.is_null(), "failure ({status:?}) must write an error object");
    assert_ne!(err, garbage_error());
    unsafe {
        assert_eq!(barter_error_status(err), status, "error object status = returned status");
        let message_ptr = barter_error_message(err);
        assert!(!message_ptr.is_null());
        let message = CStr::from_ptr(message_ptr).to_str().expect("UTF-8 message").to_owned();
        // The pointer is stable while the error lives.
        assert_eq!(barter_error_message(err), message_ptr);
        barter_error_free(err);
        Err(Failure { status, message })
    }
}

/// Like [`call`] but expects a failure with `status`; returns the message.
#[track_caller]
fn fails(status: BarterStatus, f: impl FnOnce(*mut *mut Error) -> BarterStatus) -> String {
    match call(f) {
        Ok(()) => panic!("expected {status:?}, got Ok"),
        Err(failure) => {
            assert_eq!(failure.status, status, "message: {}", failure.message);
            assert!(!failure.message.is_empty());
            failure.message
        }
    }
}

#[track_caller]
fn ok(f: impl FnOnce(*mut *mut Error) -> BarterStatus) {
    if let Err(failure) = call(f) {
        panic!("expected Ok, got {:?}: {}", failure.status, failure.message);
    }
}

/// Copies a returned buffer and frees it with `barter_bytes_free`.
unsafe fn take_bytes(ptr: *mut u8, len: usize) -> Vec<u8> {
    assert!(!ptr.is_null());
    let bytes = std::slice::from_raw_parts(ptr, len).to_vec();
    barter_bytes_free(ptr, len);
    bytes
}

/// Calls a function returning a (`ptr`, `len`) buffer and parses the buffer as JSON.
/// Returns the parsed JSON twice: as a `Value` (easy to compare) and as an [`Ordered`]
/// tree (keys in the order the library wrote them).
fn json_out(
    f: impl FnOnce(*mut *mut u8, *mut usize, *mut *mut Error) -> BarterStatus,
) -> Result<(Value, Ordered), Failure> {
    let mut ptr: *mut u8 = null_mut();
    let mut len: usize = usize::MAX;
    call(|err| f(&mut ptr, &mut len, err))?;
    let bytes = unsafe { take_bytes(ptr, len) };
    let text = std::str::from_utf8(&bytes).expect("output is UTF-8");
    Ok((serde_json::from_str(text).expect("output is JSON"), Ordered::parse(&bytes)))
}

/// Calls a function writing a summaries handle; returns the handle's
/// `MultiBacktestSummary` JSON (`barter_summaries_to_json`) and frees the handle.
fn summaries_out(
    f: impl FnOnce(*mut *mut Summaries, *mut *mut Error) -> BarterStatus,
) -> Result<(Value, Ordered), Failure> {
    let mut handle: *mut Summaries = null_mut();
    let result = call(|err| f(&mut handle, err));
    if result.is_err() {
        assert!(handle.is_null(), "a failed call must not write a handle");
    }
    result?;
    let json = json_out(|p, l, e| unsafe { barter_summaries_to_json(handle, p, l, e) });
    unsafe { barter_summaries_free(handle) };
    json
}

#[track_caller]
fn json_ok(f: impl FnOnce(*mut *mut u8, *mut usize, *mut *mut Error) -> BarterStatus) -> Value {
    json_out(f).unwrap_or_else(|e| panic!("expected Ok, got {:?}: {}", e.status, e.message)).0
}

fn market_data_file(path: &str, skip_errors: bool) -> Result<*mut MarketData, Failure> {
    let path = c(path);
    let mut out: *mut MarketData = null_mut();
    let result =
        call(|err| unsafe { barter_market_data_from_json_file(path.as_ptr(), skip_errors, &mut out, err) });
    match result {
        Ok(()) => {
            assert!(!out.is_null());
            Ok(out)
        }
        Err(e) => {
            assert!(out.is_null(), "a failed call must not write a handle");
            Err(e)
        }
    }
}

fn market_data_bytes(
    data: &[u8],
    source: Option<&str>,
    skip_errors: bool,
) -> Result<*mut MarketData, Failure> {
    let source = source.map(c);
    let source_ptr = source.as_ref().map_or(null(), |s| s.as_ptr());
    let mut out: *mut MarketData = null_mut();
    let result = call(|err| unsafe {
        barter_market_data_from_json_bytes(data.as_ptr(), data.len(), source_ptr, skip_errors, &mut out, err)
    });
    match result {
        Ok(()) => {
            assert!(!out.is_null());
            Ok(out)
        }
        Err(e) => {
            assert!(out.is_null(), "a failed call must not write a handle");
            Err(e)
        }
    }
}

#[track_caller]
fn expect_err<T>(result: Result<T, Failure>, status: BarterStatus) -> String {
    match result {
        Ok(_) => panic!("expected {status:?}, got Ok"),
        Err(e) => {
            assert_eq!(e.status, status, "message: {}", e.message);
            e.message
        }
    }
}

fn md_info(handle: *const MarketData) -> BarterMarketDataInfo {
    let mut info = BarterMarketDataInfo {
        records: 999,
        items: 999,
        reconnects: 999,
        skipped_errors: 999,
        time_first_event_ns: -1,
        max_instrument: 999,
    };
    ok(|err| unsafe { barter_market_data_info(handle, &mut info, err) });
    info
}

fn events(handle: *const MarketData, start: usize, stop: usize) -> Vec<Value> {
    let value = json_ok(|p, l, e| unsafe { barter_market_data_events_json(handle, start, stop, p, l, e) });
    value.as_array().expect("events JSON is an array").clone()
}

fn config_file(path: &str) -> Result<*mut SystemConfig, Failure> {
    let path = c(path);
    let mut out: *mut SystemConfig = null_mut();
    let result = call(|err| unsafe { barter_system_config_from_json_file(path.as_ptr(), &mut out, err) });
    result.map(|()| out).inspect_err(|_| assert!(out.is_null()))
}

fn config_bytes(data: &[u8], source: Option<&str>) -> Result<*mut SystemConfig, Failure> {
    let source = source.map(c);
    let source_ptr = source.as_ref().map_or(null(), |s| s.as_ptr());
    let mut out: *mut SystemConfig = null_mut();
    let result = call(|err| unsafe {
        barter_system_config_from_json_bytes(data.as_ptr(), data.len(), source_ptr, &mut out, err)
    });
    result.map(|()| out).inspect_err(|_| assert!(out.is_null()))
}

fn config_info(handle: *const SystemConfig) -> BarterSystemConfigInfo {
    let mut info = BarterSystemConfigInfo {
        instruments: 999,
        executions: 999,
        exchanges: 999,
        assets: 999,
        has_risk_free_return: true,
    };
    ok(|err| unsafe { barter_system_config_info(handle, &mut info, err) });
    info
}

fn config_json(handle: *const SystemConfig) -> Value {
    json_ok(|p, l, e| unsafe { barter_system_config_to_json(handle, p, l, e) })
}

fn args_new(
    config: *const SystemConfig,
    market_data: *const MarketData,
    interval: &str,
    balances: Option<&str>,
) -> Result<*mut ArgsConstant, Failure> {
    let interval = c(interval);
    let balances = balances.map(c);
    let balances_ptr = balances.as_ref().map_or(null(), |s| s.as_ptr());
    let mut out: *mut ArgsConstant = null_mut();
    let result = call(|err| unsafe {
        barter_backtest_args_constant_new(config, market_data, interval.as_ptr(), balances_ptr, &mut out, err)
    });
    result.map(|()| out).inspect_err(|_| assert!(out.is_null()))
}

fn args_info(handle: *const ArgsConstant) -> BarterBacktestArgsConstantInfo {
    let mut info =
        BarterBacktestArgsConstantInfo { instruments: 999, executions: 999, summary_interval: 999 };
    ok(|err| unsafe { barter_backtest_args_constant_info(handle, &mut info, err) });
    info
}

/// Dynamic arguments with barter's DefaultStrategy (NULL strategy), fill next, close at end.
fn dynamic_new(id: &str, risk_free_return: &str) -> Result<*mut Dynamic, Failure> {
    let id = c(id);
    let rfr = c(risk_free_return);
    let mut out: *mut Dynamic = null_mut();
    let result = call(|err| unsafe {
        barter_backtest_args_dynamic_new(
            id.as_ptr(),
            rfr.as_ptr(),
            null(),
            BarterFill::Next,
            true,
            &mut out,
            err,
        )
    });
    result.map(|()| out).inspect_err(|_| assert!(out.is_null()))
}

/// One backtest (default strategy) through the dynamic-arguments handle.
fn run(args: *const ArgsConstant, id: &str, risk_free_return: &str) -> Result<(Value, Ordered), Failure> {
    let dynamic = dynamic_new(id, risk_free_return)?;
    let result = summaries_out(|out, e| unsafe { barter_backtest_run(args, dynamic, null(), out, e) });
    unsafe { barter_backtest_args_dynamic_free(dynamic) };
    let (value, ordered) = result?;
    assert_eq!(value["num_backtests"], json!(1));
    Ok((value["summaries"][0].clone(), ordered.get("summaries").at(0).clone()))
}

/// Backtests of several (id, risk-free return) specs through `run_many`.
fn run_many_limit(
    args: *const ArgsConstant,
    specs: &[(&str, &str)],
    max_concurrent: usize,
) -> Result<(Value, Ordered), Failure> {
    let mut handles = Vec::new();
    let mut failure = None;
    for (id, rfr) in specs {
        match dynamic_new(id, rfr) {
            Ok(handle) => handles.push(handle as *const Dynamic),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let result = match failure {
        Some(e) => Err(e),
        None => summaries_out(|out, e| unsafe {
            barter_backtest_run_many(
                args,
                handles.as_ptr(),
                handles.len(),
                max_concurrent,
                null(),
                null(),
                out,
                e,
            )
        }),
    };
    for handle in handles {
        unsafe { barter_backtest_args_dynamic_free(handle as *mut Dynamic) };
    }
    result
}

fn run_many(args: *const ArgsConstant, specs: &[(&str, &str)]) -> Result<(Value, Ordered), Failure> {
    run_many_limit(args, specs, 0)
}

/// Owns the three handles of a standard setup (example config + example market data).
struct Setup {
    config: *mut SystemConfig,
    market_data: *mut MarketData,
    args: *mut ArgsConstant,
}

impl Setup {
    fn new(interval: &str, balances: Option<&str>) -> Self {
        let config = config_file(&backtest_config_path()).unwrap();
        let market_data = market_data_file(&market_data_path(), false).unwrap();
        let args = args_new(config, market_data, interval, balances).unwrap_or_else(|e| panic!("{e:?}"));
        Self { config, market_data, args }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        unsafe {
            barter_backtest_args_constant_free(self.args);
            barter_market_data_free(self.market_data);
            barter_system_config_free(self.config);
        }
    }
}

fn example_records() -> Vec<Value> {
    let text = std::fs::read_to_string(market_data_path()).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The example market data rewritten in the JSON Lines shape (`{"Item": event}` /
/// `{"Reconnecting": exchange}` per line).
fn example_as_json_lines() -> String {
    example_records()
        .iter()
        .map(|record| {
            let line = if let Some(item) = record.get("Item") {
                json!({ "Item": item["Ok"].clone() })
            } else {
                record.clone()
            };
            serde_json::to_string(&line).unwrap() + "\n"
        })
        .collect()
}

fn trade_item(instrument: usize, exchange: &str) -> Value {
    json!({"Item": {"Ok": {
        "time_exchange": "2024-12-20T19:05:18.175Z",
        "time_received": "2024-12-20T19:05:18.319581890Z",
        "exchange": exchange,
        "instrument": instrument,
        "kind": {"Trade": {"id": "1", "price": 100.5, "amount": 0.25, "side": "Sell"}}
    }}})
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

// ---------------------------------------------------------------------------------------
// Error objects, version, buffers, panics
// ---------------------------------------------------------------------------------------

#[test]
fn version_is_static_nul_terminated_crate_version() {
    let ptr = unsafe { barter_ffi_version() };
    assert!(!ptr.is_null());
    let text = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap();
    assert_eq!(text, env!("CARGO_PKG_VERSION"));
    assert_eq!(unsafe { barter_ffi_version() }, ptr, "static string, same pointer every call");
}

#[test]
fn error_accessors_accept_null() {
    unsafe {
        assert_eq!(barter_error_status(null()), BarterStatus::Ok);
        assert!(barter_error_message(null()).is_null());
        barter_error_free(null_mut());
    }
}

#[test]
fn status_values_match_the_header() {
    assert_eq!(BarterStatus::Ok as i32, 0);
    assert_eq!(BarterStatus::InvalidInput as i32, 1);
    assert_eq!(BarterStatus::NotFound as i32, 2);
    assert_eq!(BarterStatus::Io as i32, 3);
    assert_eq!(BarterStatus::Engine as i32, 4);
    assert_eq!(BarterStatus::Panic as i32, 5);
    assert_eq!(BarterStatus::NullPointer as i32, 6);
    assert_eq!(std::mem::size_of::<BarterStatus>(), std::mem::size_of::<std::ffi::c_int>());
}

#[test]
fn every_free_accepts_null() {
    unsafe {
        barter_error_free(null_mut());
        barter_market_data_free(null_mut());
        barter_system_config_free(null_mut());
        barter_backtest_args_constant_free(null_mut());
        barter_backtest_args_dynamic_free(null_mut());
        barter_strategy_free(null_mut());
        barter_bytes_free(null_mut(), 0);
        barter_bytes_free(null_mut(), 12345);
    }
}

#[test]
fn bytes_free_releases_buffers_of_every_size() {
    // Empty range -> "[]" (2 bytes); whole range -> a large buffer. Both freed through
    // barter_bytes_free with the length handed out.
    let md = market_data_file(&market_data_path(), false).unwrap();
    for (start, stop) in [(0, 0), (0, 1), (0, usize::MAX)] {
        let mut ptr: *mut u8 = null_mut();
        let mut len = 0usize;
        ok(|err| unsafe { barter_market_data_events_json(md, start, stop, &mut ptr, &mut len, err) });
        assert!(!ptr.is_null());
        assert!(len >= 2);
        unsafe { barter_bytes_free(ptr, len) };
    }
    unsafe { barter_market_data_free(md) };
}

#[test]
fn testing_panic_reports_panic_status_and_process_continues() {
    for message in ["first deliberate panic", "second deliberate panic: ünïcödé"] {
        let text = c(message);
        let got = fails(BarterStatus::Panic, |err| unsafe { barter_testing_panic(text.as_ptr(), err) });
        // The panic's message, then its backtrace when RUST_BACKTRACE enables one.
        let (head, backtrace) = got.split_once("\nbacktrace:\n").unwrap_or((got.as_str(), ""));
        assert_eq!(head, message);
        assert_eq!(
            !backtrace.is_empty(),
            std::backtrace::Backtrace::capture().status() == std::backtrace::BacktraceStatus::Captured
        );
        assert!(backtrace.is_empty() || backtrace.contains("barter_testing_panic"), "{backtrace}");
    }
    // NULL err out-parameter: the status still comes back.
    let text = c("panic with NULL err");
    assert_eq!(unsafe { barter_testing_panic(text.as_ptr(), null_mut()) }, BarterStatus::Panic);
    // NULL message is a NULL pointer argument, not a panic.
    let got = fails(BarterStatus::NullPointer, |err| unsafe { barter_testing_panic(null(), err) });
    assert!(got.contains("message"), "{got}");
    // Still alive and working.
    let md = market_data_file(&market_data_path(), false).unwrap();
    assert_eq!(md_info(md).items, 21);
    unsafe { barter_market_data_free(md) };
}

// ---------------------------------------------------------------------------------------
// Market data
// ---------------------------------------------------------------------------------------

#[test]
fn market_data_file_info() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    let info = md_info(md);
    assert_eq!(
        info,
        BarterMarketDataInfo {
            records: 24,
            items: 21,
            reconnects: 3,
            skipped_errors: 0,
            time_first_event_ns: FIRST_EVENT_NS,
            max_instrument: 2,
        }
    );
    unsafe { barter_market_data_free(md) };
}

#[test]
fn market_data_bytes_array_and_json_lines_agree_with_file() {
    let array = std::fs::read(market_data_path()).unwrap();
    let from_array = market_data_bytes(&array, Some("array"), false).unwrap();
    let lines = example_as_json_lines();
    let from_lines = market_data_bytes(lines.as_bytes(), None, false).unwrap();
    let from_file = market_data_file(&market_data_path(), false).unwrap();

    let expected = md_info(from_file);
    assert_eq!(md_info(from_array), expected);
    assert_eq!(md_info(from_lines), expected);
    let all = events(from_file, 0, usize::MAX);
    assert_eq!(events(from_array, 0, usize::MAX), all);
    assert_eq!(events(from_lines, 0, usize::MAX), all);

    // A UTF-8 byte order mark and surrounding whitespace are accepted in both shapes.
    let mut with_bom = b"\xEF\xBB\xBF \n".to_vec();
    with_bom.extend_from_slice(&array);
    with_bom.extend_from_slice(b"\n\n");
    let bom_array = market_data_bytes(&with_bom, None, false).unwrap();
    assert_eq!(md_info(bom_array), expected);
    let crlf_lines = format!("\u{FEFF}\r\n{}", lines.replace('\n', "\r\n\r\n"));
    let bom_lines = market_data_bytes(crlf_lines.as_bytes(), None, false).unwrap();
    assert_eq!(md_info(bom_lines), expected);
    unsafe {
        for h in [from_array, from_lines, from_file, bom_array, bom_lines] {
            barter_market_data_free(h);
        }
    }
}

#[test]
fn market_data_missing_file_is_not_found_with_path() {
    let path = examples().join("does_not_exist_4711.json");
    let path = path.to_str().unwrap();
    let message = expect_err(market_data_file(path, false), BarterStatus::NotFound);
    assert!(message.contains(path), "{message}");
    let message = expect_err(config_file(path), BarterStatus::NotFound);
    assert!(message.contains(path), "{message}");
}

#[test]
fn market_data_directory_is_io_error() {
    let dir = examples();
    let dir = dir.to_str().unwrap();
    let message = expect_err(market_data_file(dir, false), BarterStatus::Io);
    assert!(message.contains(dir), "{message}");
    let message = expect_err(config_file(dir), BarterStatus::Io);
    assert!(message.contains(dir), "{message}");
}

#[test]
fn market_data_non_utf8_path_is_invalid_input() {
    let path = CString::new(vec![b'/', b't', b'm', b'p', b'/', 0xff, 0xfe]).unwrap();
    let mut out: *mut MarketData = null_mut();
    let message = fails(BarterStatus::InvalidInput, |err| unsafe {
        barter_market_data_from_json_file(path.as_ptr(), false, &mut out, err)
    });
    assert!(message.contains("UTF-8"), "{message}");
    assert!(out.is_null());
}

#[test]
fn market_data_malformed_json_names_line_and_column() {
    // Array shape: the syntax error is on line 3.
    let text = b"[\n  {\"Reconnecting\": \"binance_spot\"},\n  {\"Item\": {\"Ok\": oops}}\n]";
    let message = expect_err(market_data_bytes(text, Some("bad.json"), false), BarterStatus::InvalidInput);
    assert!(message.contains("bad.json"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("column"), "{message}");

    // JSON Lines shape: line 2 (blank lines count) is truncated.
    let lines = example_as_json_lines();
    let mut broken: Vec<&str> = lines.lines().take(3).collect();
    broken.insert(1, "");
    broken[2] = &broken[2][..20];
    let text = broken.join("\n");
    let message =
        expect_err(market_data_bytes(text.as_bytes(), Some("bad.jsonl"), false), BarterStatus::InvalidInput);
    assert!(message.contains("bad.jsonl"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("column"), "{message}");

    // Without a source name the message still says where.
    let message = expect_err(market_data_bytes(b"[{]", None, false), BarterStatus::InvalidInput);
    assert!(message.contains("line 1") && message.contains("column"), "{message}");
}

#[test]
fn market_data_empty_input() {
    for text in [&b""[..], b"   \n\t  ", b"\xEF\xBB\xBF", b"[]", b"[ \n ]"] {
        let message =
            expect_err(market_data_bytes(text, Some("empty.json"), false), BarterStatus::InvalidInput);
        assert!(message.contains("empty.json"), "{message}");
        assert!(message.contains("no market data records"), "{message}");
    }
    // (NULL, 0) is the empty buffer, not a NULL pointer error.
    let mut out: *mut MarketData = null_mut();
    let message = fails(BarterStatus::InvalidInput, |err| unsafe {
        barter_market_data_from_json_bytes(null(), 0, null(), false, &mut out, err)
    });
    assert!(message.contains("empty"), "{message}");
    assert!(out.is_null());
}

#[test]
fn market_data_without_items() {
    let array = br#"[{"Reconnecting": "binance_spot"}, {"Reconnecting": "binance_spot"}]"#;
    let message = expect_err(market_data_bytes(array, None, false), BarterStatus::InvalidInput);
    assert!(message.contains("no market events"), "{message}");
    assert!(message.contains("2 records"), "{message}");
    let lines = b"{\"Reconnecting\": \"binance_spot\"}\n";
    let message = expect_err(market_data_bytes(lines, None, false), BarterStatus::InvalidInput);
    assert!(message.contains("no market events"), "{message}");
}

#[test]
fn market_data_error_item_names_its_index_and_skip_errors_counts() {
    let records = json!([
        trade_item(0, "binance_spot"),
        {"Reconnecting": "binance_spot"},
        {"Item": {"Err": "socket closed"}},
        trade_item(1, "binance_spot"),
        {"Item": {"Err": {"code": 42}}},
    ]);
    let text = serde_json::to_vec(&records).unwrap();
    let message = expect_err(market_data_bytes(&text, Some("errs.json"), false), BarterStatus::InvalidInput);
    assert!(message.contains("errs.json"), "{message}");
    assert!(message.contains("record 2"), "{message}");
    assert!(message.contains("socket closed"), "{message}");
    assert!(message.contains("skip_errors"), "{message}");

    let md = market_data_bytes(&text, None, true).unwrap();
    assert_eq!(
        md_info(md),
        BarterMarketDataInfo {
            records: 3,
            items: 2,
            reconnects: 1,
            skipped_errors: 2,
            time_first_event_ns: FIRST_EVENT_NS,
            max_instrument: 1,
        }
    );
    let rows = events(md, 0, usize::MAX);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][3], json!(1));
    unsafe { barter_market_data_free(md) };

    // The file on disk has no error items: skip_errors changes nothing.
    let md = market_data_file(&market_data_path(), true).unwrap();
    assert_eq!(md_info(md).skipped_errors, 0);
    assert_eq!(md_info(md).records, 24);
    unsafe { barter_market_data_free(md) };
}

#[test]
fn market_data_all_items_errors_skipped_is_invalid_input() {
    // Two records, both error items dropped by skip_errors: nothing is left to replay.
    // The input was not empty, so the message must not say it was; it should say that
    // error records were skipped.
    let text = br#"[{"Item": {"Err": "a"}}, {"Item": {"Err": "b"}}]"#;
    let message =
        expect_err(market_data_bytes(text, Some("errors_only.json"), true), BarterStatus::InvalidInput);
    assert!(message.contains("errors_only.json"), "{message}");
    assert!(!message.contains("input is empty"), "misleading message: {message}");
    assert!(message.contains("skip"), "message should mention the skipped error records: {message}");

    let text = br#"[{"Item": {"Err": "a"}}, {"Reconnecting": "binance_spot"}]"#;
    let message = expect_err(market_data_bytes(text, None, true), BarterStatus::InvalidInput);
    assert!(message.contains("no market events"), "{message}");
}

#[test]
fn market_data_unknown_exchange() {
    let array =
        serde_json::to_vec(&json!([trade_item(0, "binance_spot"), trade_item(0, "mars_exchange")])).unwrap();
    let message = expect_err(market_data_bytes(&array, Some("x.json"), false), BarterStatus::InvalidInput);
    assert!(message.contains("unknown exchange `mars_exchange`"), "{message}");
    assert!(
        message.contains("x.json") && message.contains("line") && message.contains("column"),
        "{message}"
    );
    // The list of every exchange barter knows is not dumped into the message.
    assert!(!message.contains("bybit"), "{message}");

    let lines = format!(
        "{}\n{}\n",
        serde_json::to_string(&json!({"Item": trade_item(0, "binance_spot")["Item"]["Ok"]})).unwrap(),
        serde_json::to_string(&json!({"Reconnecting": "mars_exchange"})).unwrap()
    );
    let message = expect_err(market_data_bytes(lines.as_bytes(), None, false), BarterStatus::InvalidInput);
    assert!(message.contains("unknown exchange `mars_exchange`"), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn market_data_unknown_kind_and_side() {
    let mut item = trade_item(0, "binance_spot");
    item["Item"]["Ok"]["kind"] = json!({"Candle2": {}});
    let text = serde_json::to_vec(&json!([item])).unwrap();
    let message = expect_err(market_data_bytes(&text, None, false), BarterStatus::InvalidInput);
    assert!(message.contains("Candle2"), "{message}");

    let mut item = trade_item(0, "binance_spot");
    item["Item"]["Ok"]["kind"]["Trade"]["side"] = json!("Sideways");
    let text = serde_json::to_vec(&json!([item])).unwrap();
    let message = expect_err(market_data_bytes(&text, None, false), BarterStatus::InvalidInput);
    assert!(message.contains("Sideways"), "{message}");
}

#[test]
fn error_message_with_nul_byte_survives_as_escaped_text() {
    // serde echoes the unknown name, NUL included; the C string must stay intact.
    let array = serde_json::to_vec(&json!([trade_item(0, "bad\u{0}name")])).unwrap();
    let message = expect_err(market_data_bytes(&array, None, false), BarterStatus::InvalidInput);
    assert!(message.contains("bad\\0name"), "{message}");
}

#[test]
fn market_data_null_arguments() {
    let path = c(&market_data_path());
    let mut out: *mut MarketData = null_mut();
    let m = fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_from_json_file(null(), false, &mut out, err)
    });
    assert!(m.contains("path"), "{m}");
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_from_json_file(path.as_ptr(), false, null_mut(), err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_from_json_bytes(null(), 10, null(), false, &mut out, err)
    });
    let data = std::fs::read(market_data_path()).unwrap();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_from_json_bytes(data.as_ptr(), data.len(), null(), false, null_mut(), err)
    });
    assert!(out.is_null());

    let md = market_data_file(&market_data_path(), false).unwrap();
    let mut info = BarterMarketDataInfo::default();
    fails(BarterStatus::NullPointer, |err| unsafe { barter_market_data_info(null(), &mut info, err) });
    fails(BarterStatus::NullPointer, |err| unsafe { barter_market_data_info(md, null_mut(), err) });
    fails(BarterStatus::NullPointer, |err| unsafe { barter_market_data_clone(null(), &mut out, err) });
    fails(BarterStatus::NullPointer, |err| unsafe { barter_market_data_clone(md, null_mut(), err) });
    assert!(out.is_null());
    let mut ptr: *mut u8 = null_mut();
    let mut len = 0usize;
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_events_json(null(), 0, 10, &mut ptr, &mut len, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_events_json(md, 0, 10, null_mut(), &mut len, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_market_data_events_json(md, 0, 10, &mut ptr, null_mut(), err)
    });
    assert!(ptr.is_null());
    unsafe { barter_market_data_free(md) };
}

#[test]
fn null_err_out_parameter_is_accepted() {
    let path = c(&market_data_path());
    let missing = c("/definitely/not/here.json");
    let mut out: *mut MarketData = null_mut();
    unsafe {
        assert_eq!(
            barter_market_data_from_json_file(missing.as_ptr(), false, &mut out, null_mut()),
            BarterStatus::NotFound
        );
        assert!(out.is_null());
        assert_eq!(
            barter_market_data_from_json_file(null(), false, &mut out, null_mut()),
            BarterStatus::NullPointer
        );
        assert_eq!(
            barter_market_data_from_json_bytes(b"[".as_ptr(), 1, null(), false, &mut out, null_mut()),
            BarterStatus::InvalidInput
        );
        assert_eq!(
            barter_market_data_from_json_file(path.as_ptr(), false, &mut out, null_mut()),
            BarterStatus::Ok
        );
        assert!(!out.is_null());
        let mut info = BarterMarketDataInfo::default();
        assert_eq!(barter_market_data_info(out, &mut info, null_mut()), BarterStatus::Ok);
        assert_eq!(info.items, 21);
        assert_eq!(barter_market_data_info(null(), &mut info, null_mut()), BarterStatus::NullPointer);

        let mut cfg: *mut SystemConfig = null_mut();
        assert_eq!(
            barter_system_config_from_json_file(missing.as_ptr(), &mut cfg, null_mut()),
            BarterStatus::NotFound
        );
        assert_eq!(
            barter_system_config_from_json_bytes(b"{".as_ptr(), 1, null(), &mut cfg, null_mut()),
            BarterStatus::InvalidInput
        );
        let cfg_path = c(&backtest_config_path());
        assert_eq!(
            barter_system_config_from_json_file(cfg_path.as_ptr(), &mut cfg, null_mut()),
            BarterStatus::Ok
        );

        let weekly = c("weekly");
        let daily = c("daily");
        let mut args: *mut ArgsConstant = null_mut();
        assert_eq!(
            barter_backtest_args_constant_new(cfg, out, weekly.as_ptr(), null(), &mut args, null_mut()),
            BarterStatus::InvalidInput
        );
        assert!(args.is_null());
        assert_eq!(
            barter_backtest_args_constant_new(cfg, out, daily.as_ptr(), null(), &mut args, null_mut()),
            BarterStatus::Ok
        );
        let id = c("x");
        let bad = c("abc");
        let mut dynamic: *mut Dynamic = null_mut();
        assert_eq!(
            barter_backtest_args_dynamic_new(
                id.as_ptr(),
                bad.as_ptr(),
                null(),
                BarterFill::Next,
                true,
                &mut dynamic,
                null_mut()
            ),
            BarterStatus::InvalidInput
        );
        assert!(dynamic.is_null());
        let mut summaries: *mut Summaries = null_mut();
        assert_eq!(
            barter_backtest_run(args, null(), null(), &mut summaries, null_mut()),
            BarterStatus::NullPointer
        );
        assert!(summaries.is_null());
        let handles = [null::<Dynamic>()];
        assert_eq!(
            barter_backtest_run_many(
                args,
                handles.as_ptr(),
                1,
                0,
                null(),
                null(),
                &mut summaries,
                null_mut()
            ),
            BarterStatus::NullPointer
        );
        assert!(summaries.is_null());

        barter_backtest_args_constant_free(args);
        barter_system_config_free(cfg);
        barter_market_data_free(out);
    }
}

#[test]
fn events_json_rows() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    let rows = events(md, 0, usize::MAX);
    assert_eq!(rows.len(), 21, "reconnect markers are skipped");
    let first = &rows[0];
    assert_eq!(first.as_array().unwrap().len(), 5);
    assert_eq!(first[0], json!(1_734_721_518_175_000_000i64));
    assert_eq!(first[1], json!(1_734_721_518_319_581_890i64));
    assert_eq!(first[2], json!("binance_spot"));
    assert_eq!(first[3], json!(0));
    assert_eq!(
        first[4],
        json!({"Trade": {"id": "4314349047", "price": 96962.51, "amount": 6e-05, "side": "Buy"}})
    );
    assert_eq!(first[0].as_i64(), Some(FIRST_EVENT_NS));

    // Every row matches the source record it came from, in order.
    let records = example_records();
    let source: Vec<&Value> = records.iter().filter(|r| r.get("Item").is_some()).collect();
    assert_eq!(source.len(), 21);
    for (row, record) in rows.iter().zip(&source) {
        let event = &record["Item"]["Ok"];
        let parse_ns =
            |v: &Value| chrono::DateTime::parse_from_rfc3339(s(v)).unwrap().timestamp_nanos_opt().unwrap();
        assert_eq!(row[0].as_i64().unwrap(), parse_ns(&event["time_exchange"]));
        assert_eq!(row[1].as_i64().unwrap(), parse_ns(&event["time_received"]));
        assert_eq!(row[2], event["exchange"]);
        assert_eq!(row[3], event["instrument"]);
        assert_eq!(row[4], event["kind"]);
    }
    // Exchange times never go backwards in the example.
    assert!(rows.windows(2).all(|w| w[0][0].as_i64() <= w[1][0].as_i64()));
    unsafe { barter_market_data_free(md) };
}

#[test]
fn events_json_ranges_are_record_indices_and_clamped() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    let all = events(md, 0, 24);
    assert_eq!(events(md, 0, usize::MAX), all);
    assert_eq!(events(md, 0, 1000), all);
    // Records 5, 11 and 16 are reconnect markers.
    assert_eq!(events(md, 5, 6), Vec::<Value>::new());
    assert_eq!(events(md, 11, 12), Vec::<Value>::new());
    assert_eq!(events(md, 16, 17), Vec::<Value>::new());
    assert_eq!(events(md, 0, 5), all[0..5].to_vec());
    assert_eq!(events(md, 4, 7), vec![all[4].clone(), all[5].clone()]);
    assert_eq!(events(md, 6, 11), all[5..10].to_vec());
    assert_eq!(events(md, 17, 24), all[14..21].to_vec());
    assert_eq!(events(md, 23, 24), vec![all[20].clone()]);
    // Empty and out of range.
    assert!(events(md, 0, 0).is_empty());
    assert!(events(md, 24, 24).is_empty());
    assert!(events(md, 30, 40).is_empty());
    assert!(events(md, usize::MAX, usize::MAX).is_empty());
    assert!(events(md, 10, 3).is_empty(), "start > stop is empty, not an error");
    assert!(events(md, usize::MAX, 0).is_empty());
    // Concatenating adjacent ranges gives everything.
    let mut joined = Vec::new();
    for start in (0..24).step_by(5) {
        joined.extend(events(md, start, start + 5));
    }
    assert_eq!(joined, all);
    unsafe { barter_market_data_free(md) };
}

/// Rebuilds JSON Lines input from events_json rows.
fn rows_to_json_lines(rows: &[Value]) -> String {
    let time = |v: &Value| {
        chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(v.as_i64().unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    };
    rows.iter()
        .map(|row| {
            let line = json!({"Item": {
                "time_exchange": time(&row[0]),
                "time_received": time(&row[1]),
                "exchange": row[2],
                "instrument": row[3],
                "kind": row[4],
            }});
            serde_json::to_string(&line).unwrap() + "\n"
        })
        .collect()
}

#[test]
fn events_json_round_trips_every_data_kind() {
    // One event of every DataKind; the rows the library writes must read back as the
    // same events (order books included, whose sides barter writes without a tag).
    let level = |price: &str, amount: &str| json!({"price": price, "amount": amount});
    let kinds = [
        json!({"Trade": {"id": "t-1", "price": 100.25, "amount": 0.5, "side": "Sell"}}),
        json!({"OrderBookL1": {"last_update_time": "2024-12-20T19:05:18.175123456Z",
                               "best_bid": level("100.1", "2.5"), "best_ask": null}}),
        json!({"OrderBook": {"Snapshot": {"sequence": 7, "time_engine": null,
            "bids": {"levels": [level("99.5", "1"), level("100", "2")]},
            "asks": {"levels": [level("101.25", "0.001")]}}}}),
        json!({"OrderBook": {"Update": {"sequence": 8, "time_engine": "2024-12-20T19:05:19Z",
            "bids": {"side": "bid", "levels": []},
            "asks": {"side": "ask", "levels": [level("101.5", "3.000")]}}}}),
        json!({"Candle": {"close_time": "2024-12-20T19:06:00Z", "open": 1.5, "high": 2.0, "low": 1.0,
                          "close": 1.75, "volume": 1234.5, "trade_count": 42}}),
        json!({"Liquidation": {"side": "Buy", "price": 99.0, "quantity": 0.25,
                               "time": "2024-12-20T19:05:20.000000001Z"}}),
    ];
    let lines: String = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let event = json!({
                "time_exchange": format!("2024-12-20T19:05:{:02}.123456789Z", 18 + i),
                "time_received": format!("2024-12-20T19:05:{:02}.987654321Z", 18 + i),
                "exchange": "binance_spot",
                "instrument": i % 3,
                "kind": kind,
            });
            serde_json::to_string(&json!({"Item": event})).unwrap() + "\n"
        })
        .collect();
    let md =
        market_data_bytes(lines.as_bytes(), Some("kinds.jsonl"), false).unwrap_or_else(|e| panic!("{e:?}"));
    let rows = events(md, 0, usize::MAX);
    assert_eq!(rows.len(), kinds.len());
    for (row, kind) in rows.iter().zip(&kinds) {
        let tag = kind.as_object().unwrap().keys().next().unwrap();
        assert!(row[4].get(tag).is_some(), "{tag}: {}", row[4]);
    }
    assert_eq!(rows[0][0], json!(1_734_721_518_123_456_789i64));
    assert_eq!(rows[0][1], json!(1_734_721_518_987_654_321i64));

    let again = market_data_bytes(rows_to_json_lines(&rows).as_bytes(), Some("again.jsonl"), false)
        .unwrap_or_else(|e| panic!("the library cannot read back its own rows: {e:?}"));
    assert_eq!(events(again, 0, usize::MAX), rows);
    assert_eq!(md_info(again), md_info(md));

    // The same events in the array shape.
    let array: Vec<Value> = lines
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            json!({"Item": {"Ok": v["Item"]}})
        })
        .collect();
    let from_array = market_data_bytes(&serde_json::to_vec(&array).unwrap(), None, false).unwrap();
    assert_eq!(events(from_array, 0, usize::MAX), rows);
    unsafe {
        barter_market_data_free(md);
        barter_market_data_free(again);
        barter_market_data_free(from_array);
    }
}

#[test]
fn events_json_rows_read_back_for_the_example() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    let rows = events(md, 0, usize::MAX);
    let again = market_data_bytes(rows_to_json_lines(&rows).as_bytes(), None, false).unwrap();
    assert_eq!(events(again, 0, usize::MAX), rows);
    unsafe {
        barter_market_data_free(md);
        barter_market_data_free(again);
    }
}

#[test]
fn clone_shares_records_and_outlives_the_original() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    let info = md_info(md);
    let all = events(md, 0, usize::MAX);
    let mut copy: *mut MarketData = null_mut();
    ok(|err| unsafe { barter_market_data_clone(md, &mut copy, err) });
    assert!(!copy.is_null());
    assert_ne!(copy, md);
    unsafe { barter_market_data_free(md) };
    assert_eq!(md_info(copy), info);
    assert_eq!(events(copy, 0, usize::MAX), all);
    let mut second: *mut MarketData = null_mut();
    ok(|err| unsafe { barter_market_data_clone(copy, &mut second, err) });
    unsafe { barter_market_data_free(copy) };
    assert_eq!(md_info(second), info);
    unsafe { barter_market_data_free(second) };
}

// ---------------------------------------------------------------------------------------
// System config
// ---------------------------------------------------------------------------------------

#[test]
fn system_config_plain_shape_from_file() {
    let cfg = config_file(&system_config_path()).unwrap();
    assert_eq!(
        config_info(cfg),
        BarterSystemConfigInfo {
            instruments: 3,
            executions: 1,
            exchanges: 1,
            assets: 4,
            has_risk_free_return: false
        }
    );
    let value = config_json(cfg);
    assert_eq!(keys(&value), vec!["instrument_assets", "instrument_names", "risk_free_return", "system"]);
    assert_eq!(value["instrument_names"], json!(INSTRUMENT_NAMES));
    assert_eq!(value["instrument_assets"], json!([["btc", "usdt"], ["eth", "usdt"], ["sol", "usdt"]]));
    assert_eq!(
        value["risk_free_return"],
        Value::Null,
        "plain shape: a top-level risk_free_return is not read"
    );
    assert_eq!(value["system"]["instruments"].as_array().unwrap().len(), 3);
    assert_eq!(value["system"]["executions"].as_array().unwrap().len(), 1);
    assert_eq!(value["system"]["instruments"][0]["name_exchange"], json!("BTCUSDT"));
    assert_eq!(value["system"]["executions"][0]["mocked_exchange"], json!("binance_spot"));
    unsafe { barter_system_config_free(cfg) };
}

#[test]
fn system_config_wrapped_shape_from_file() {
    let cfg = config_file(&backtest_config_path()).unwrap();
    assert_eq!(
        config_info(cfg),
        BarterSystemConfigInfo {
            instruments: 3,
            executions: 1,
            exchanges: 1,
            assets: 4,
            has_risk_free_return: true
        }
    );
    let value = config_json(cfg);
    assert_eq!(value["instrument_names"], json!(INSTRUMENT_NAMES));
    assert_eq!(value["risk_free_return"], json!("0.05"));
    unsafe { barter_system_config_free(cfg) };
}

#[test]
fn system_config_from_bytes_both_shapes_and_round_trip() {
    for path in [system_config_path(), backtest_config_path()] {
        let bytes = std::fs::read(&path).unwrap();
        let from_file = config_file(&path).unwrap();
        let from_bytes = config_bytes(&bytes, Some("cfg")).unwrap();
        assert_eq!(config_info(from_bytes), config_info(from_file));
        let value = config_json(from_bytes);
        assert_eq!(value, config_json(from_file));

        // to_json's "system" is itself a valid plain-shape config with the same content.
        let system = serde_json::to_vec(&value["system"]).unwrap();
        let again = config_bytes(&system, None).unwrap();
        let mut expected = config_info(from_file);
        expected.has_risk_free_return = false;
        assert_eq!(config_info(again), expected);
        assert_eq!(config_json(again)["system"], value["system"]);
        assert_eq!(config_json(again)["instrument_names"], value["instrument_names"]);

        // And wrapping it again with a risk-free return reads that back exactly.
        let wrapped =
            serde_json::to_vec(&json!({"system": value["system"], "risk_free_return": "0.0375"})).unwrap();
        let wrapped = config_bytes(&wrapped, None).unwrap();
        assert!(config_info(wrapped).has_risk_free_return);
        assert_eq!(config_json(wrapped)["risk_free_return"], json!("0.0375"));
        unsafe {
            for h in [from_file, from_bytes, again, wrapped] {
                barter_system_config_free(h);
            }
        }
    }
}

#[test]
fn system_config_errors() {
    let message = expect_err(
        config_bytes(b"{\n  \"instruments\": [,\n}", Some("cfg.json")),
        BarterStatus::InvalidInput,
    );
    assert!(message.contains("cfg.json"), "{message}");
    assert!(message.contains("line 2") && message.contains("column"), "{message}");

    let message = expect_err(config_bytes(b"", None), BarterStatus::InvalidInput);
    assert!(message.contains("<json>"), "{message}");
    expect_err(config_bytes(b"[]", None), BarterStatus::InvalidInput);
    expect_err(config_bytes(b"{}", None), BarterStatus::InvalidInput);
    expect_err(config_bytes(br#"{"system": 5}"#, None), BarterStatus::InvalidInput);

    let message = expect_err(
        config_bytes(br#"{"instruments": [], "executions": []}"#, None),
        BarterStatus::InvalidInput,
    );
    assert!(message.contains("no instruments"), "{message}");

    // Bad risk_free_return next to "system".
    let mut value: Value = serde_json::from_slice(&std::fs::read(backtest_config_path()).unwrap()).unwrap();
    value["risk_free_return"] = json!("not a number");
    let message =
        expect_err(config_bytes(&serde_json::to_vec(&value).unwrap(), None), BarterStatus::InvalidInput);
    assert!(message.contains("line") && message.contains("column"), "{message}");

    // Unknown exchange in an instrument.
    let mut value: Value = serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap();
    value["instruments"][1]["exchange"] = json!("mars_exchange");
    let message =
        expect_err(config_bytes(&serde_json::to_vec(&value).unwrap(), None), BarterStatus::InvalidInput);
    assert!(message.contains("mars_exchange"), "{message}");
}

#[test]
fn system_config_null_arguments() {
    let path = c(&system_config_path());
    let mut out: *mut SystemConfig = null_mut();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_from_json_file(null(), &mut out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_from_json_file(path.as_ptr(), null_mut(), err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_from_json_bytes(null(), 3, null(), &mut out, err)
    });
    let bytes = std::fs::read(system_config_path()).unwrap();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_from_json_bytes(bytes.as_ptr(), bytes.len(), null(), null_mut(), err)
    });
    // (NULL, 0) is an empty buffer: invalid JSON, not a NULL pointer.
    fails(BarterStatus::InvalidInput, |err| unsafe {
        barter_system_config_from_json_bytes(null(), 0, null(), &mut out, err)
    });
    assert!(out.is_null());

    let cfg = config_file(&system_config_path()).unwrap();
    let mut info = BarterSystemConfigInfo::default();
    fails(BarterStatus::NullPointer, |err| unsafe { barter_system_config_info(null(), &mut info, err) });
    fails(BarterStatus::NullPointer, |err| unsafe { barter_system_config_info(cfg, null_mut(), err) });
    let mut ptr: *mut u8 = null_mut();
    let mut len = 0usize;
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_to_json(null(), &mut ptr, &mut len, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_to_json(cfg, null_mut(), &mut len, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_system_config_to_json(cfg, &mut ptr, null_mut(), err)
    });
    assert!(ptr.is_null());
    unsafe { barter_system_config_free(cfg) };
}

// ---------------------------------------------------------------------------------------
// Constant backtest arguments
// ---------------------------------------------------------------------------------------

#[test]
fn args_constant_intervals() {
    let cfg = config_file(&system_config_path()).unwrap();
    let md = market_data_file(&market_data_path(), false).unwrap();
    for (text, code) in [
        ("daily", 0u32),
        ("DAILY", 0),
        ("Daily", 0),
        ("annual_252", 1),
        ("Annual_252", 1),
        (" ANNUAL_365 ", 2),
        ("annual_365", 2),
    ] {
        let args = args_new(cfg, md, text, None).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(
            args_info(args),
            BarterBacktestArgsConstantInfo { instruments: 3, executions: 1, summary_interval: code },
            "{text}"
        );
        unsafe { barter_backtest_args_constant_free(args) };
    }
    for text in ["weekly", "", "annual", "annual252", "daily,", "1"] {
        let message = expect_err(args_new(cfg, md, text, None), BarterStatus::InvalidInput);
        assert!(message.contains("daily, annual_252, annual_365"), "{message}");
        assert!(message.contains(&format!("{text:?}")), "{message}");
    }
    unsafe {
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn args_constant_null_arguments() {
    let cfg = config_file(&system_config_path()).unwrap();
    let md = market_data_file(&market_data_path(), false).unwrap();
    let daily = c("daily");
    let mut out: *mut ArgsConstant = null_mut();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_new(null(), md, daily.as_ptr(), null(), &mut out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_new(cfg, null(), daily.as_ptr(), null(), &mut out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_new(cfg, md, null(), null(), &mut out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_new(cfg, md, daily.as_ptr(), null(), null_mut(), err)
    });
    assert!(out.is_null());

    let args = args_new(cfg, md, "daily", None).unwrap();
    let mut info = BarterBacktestArgsConstantInfo::default();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_info(null(), &mut info, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_info(args, null_mut(), err)
    });
    let mut md_out: *mut MarketData = null_mut();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_market_data(null(), &mut md_out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_constant_market_data(args, null_mut(), err)
    });
    assert!(md_out.is_null());

    let id = c("id");
    let rfr = c("0.05");
    let mut dynamic: *mut Dynamic = null_mut();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_dynamic_new(
            null(),
            rfr.as_ptr(),
            null(),
            BarterFill::Next,
            true,
            &mut dynamic,
            err,
        )
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_dynamic_new(
            id.as_ptr(),
            null(),
            null(),
            BarterFill::Next,
            true,
            &mut dynamic,
            err,
        )
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_args_dynamic_new(
            id.as_ptr(),
            rfr.as_ptr(),
            null(),
            BarterFill::Next,
            true,
            null_mut(),
            err,
        )
    });
    assert!(dynamic.is_null());
    let dynamic = dynamic_new("id", "0.05").unwrap();
    let mut out: *mut Summaries = null_mut();
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run(null(), dynamic, null(), &mut out, err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run(args, null(), null(), &mut out, err)
    });
    let message = fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run(args, dynamic, null(), null_mut(), err)
    });
    assert_eq!(message, "out is NULL");
    let handles = [dynamic as *const Dynamic];
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run_many(null(), handles.as_ptr(), 1, 0, null(), null(), &mut out, err)
    });
    let message = fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run_many(args, null(), 10, 0, null(), null(), &mut out, err)
    });
    assert!(message.contains("dynamics"), "{message}");
    let message = fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run_many(args, handles.as_ptr(), 1, 0, null(), null(), null_mut(), err)
    });
    assert_eq!(message, "out is NULL");
    let with_null = [dynamic as *const Dynamic, null()];
    let message = fails(BarterStatus::NullPointer, |err| unsafe {
        barter_backtest_run_many(args, with_null.as_ptr(), 2, 0, null(), null(), &mut out, err)
    });
    assert_eq!(message, "dynamics[1] is NULL");
    assert!(out.is_null());
    // (NULL, 0) is an empty batch.
    ok(|err| unsafe { barter_backtest_run_many(args, null(), 0, 0, null(), null(), &mut out, err) });
    let mut info = BarterSummariesInfo { count: 99, duration_ns: -1 };
    ok(|err| unsafe { barter_summaries_info(out, &mut info, err) });
    assert_eq!(info.count, 0);
    let mut view = std::mem::MaybeUninit::<BarterSummaryView>::uninit();
    let message = fails(BarterStatus::InvalidInput, |err| unsafe {
        barter_summaries_get(out, 0, view.as_mut_ptr(), err)
    });
    assert_eq!(message, "summary index 0 out of range (count 0)");
    fails(BarterStatus::NullPointer, |err| unsafe { barter_summaries_info(null(), &mut info, err) });
    fails(BarterStatus::NullPointer, |err| unsafe {
        barter_summaries_get(null(), 0, view.as_mut_ptr(), err)
    });
    fails(BarterStatus::NullPointer, |err| unsafe { barter_summaries_get(out, 0, null_mut(), err) });
    unsafe {
        barter_summaries_free(out);
        barter_summaries_free(null_mut());
    }
    unsafe {
        barter_backtest_args_dynamic_free(dynamic);
        barter_backtest_args_constant_free(args);
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn args_constant_market_data_shares_the_records() {
    let setup = Setup::new("daily", None);
    let mut md: *mut MarketData = null_mut();
    ok(|err| unsafe { barter_backtest_args_constant_market_data(setup.args, &mut md, err) });
    assert!(!md.is_null());
    assert_eq!(md_info(md), md_info(setup.market_data));
    assert_eq!(events(md, 0, usize::MAX), events(setup.market_data, 0, usize::MAX));
    unsafe { barter_market_data_free(md) };
}

#[test]
fn args_constant_outlives_config_and_market_data_handles() {
    let cfg = config_file(&backtest_config_path()).unwrap();
    let md = market_data_file(&market_data_path(), false).unwrap();
    let args = args_new(cfg, md, "daily", None).unwrap();
    unsafe {
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
    let mut md2: *mut MarketData = null_mut();
    ok(|err| unsafe { barter_backtest_args_constant_market_data(args, &mut md2, err) });
    assert_eq!(md_info(md2).items, 21);
    let (summary, _) = run(args, "after-free", "0.05").unwrap();
    assert_eq!(summary["id"], json!("after-free"));
    unsafe {
        barter_market_data_free(md2);
        barter_backtest_args_constant_free(args);
    }
}

#[test]
fn args_constant_initial_balances() {
    let cfg = config_file(&backtest_config_path()).unwrap();
    let md = market_data_file(&market_data_path(), false).unwrap();

    // Valid overrides: existing asset with case-insensitive names, and "0" balances.
    let valid = [
        r#"[]"#,
        r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "5000", "free": "4000"}]"#,
        r#"[{"exchange": "BINANCE_SPOT", "asset": " USDT ", "total": "1e3", "free": "999.5"}]"#,
        r#"[{"exchange": "binance_spot", "asset": "sol", "total": "0", "free": "0"}]"#,
        r#"[{"exchange": "binance_spot", "asset": "btc", "total": "2", "free": "2"},
            {"exchange": "binance_spot", "asset": "eth", "total": "3.50", "free": "1.25"}]"#,
    ];
    for text in valid {
        let args = args_new(cfg, md, "daily", Some(text)).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        unsafe { barter_backtest_args_constant_free(args) };
    }

    let cases: [(&str, &[&str]); 9] = [
        (
            r#"[{"exchange": "kraken", "asset": "usdt", "total": "1", "free": "1"}]"#,
            &["initial_balances[0].exchange", "kraken", "binance_spot"],
        ),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "1", "free": "1"},
                {"exchange": "binance_spot", "asset": "doge", "total": "1", "free": "1"}]"#,
            &["initial_balances[1].asset", "doge", "btc", "eth", "sol", "usdt"],
        ),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "-1", "free": "0"}]"#,
            &["initial_balances[0].total", "negative"],
        ),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "1", "free": "-0.5"}]"#,
            &["initial_balances[0].free", "negative"],
        ),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "10", "free": "10.01"}]"#,
            &["initial_balances[0]", "free", "greater than total", "10.01"],
        ),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "ten", "free": "1"}]"#,
            &["initial_balances[0].total", "ten"],
        ),
        (r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "1"}]"#, &["initial_balances", "free"]),
        (r#"[{"exchange": "binance_spot""#, &["initial_balances"]),
        (
            r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "1", "free": "1", "extra": 1}]"#,
            &["initial_balances", "extra"],
        ),
    ];
    for (text, needles) in cases {
        let message = expect_err(args_new(cfg, md, "daily", Some(text)), BarterStatus::InvalidInput);
        for needle in needles {
            assert!(message.contains(needle), "{needle:?} not in {message:?}");
        }
    }
    // Numbers instead of decimal strings are rejected, not silently rounded.
    expect_err(
        args_new(
            cfg,
            md,
            "daily",
            Some(r#"[{"exchange": "binance_spot", "asset": "usdt", "total": 1, "free": 1}]"#),
        ),
        BarterStatus::InvalidInput,
    );
    expect_err(
        args_new(cfg, md, "daily", Some(r#"{"exchange": "binance_spot"}"#)),
        BarterStatus::InvalidInput,
    );
    unsafe {
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn args_constant_rejects_market_data_for_unknown_instrument() {
    let cfg = config_file(&system_config_path()).unwrap();
    let mut lines = example_as_json_lines();
    let mut extra = trade_item(5, "binance_spot")["Item"]["Ok"].clone();
    extra["time_exchange"] = json!("2024-12-20T19:06:00Z");
    lines.push_str(&serde_json::to_string(&json!({"Item": extra})).unwrap());
    lines.push('\n');
    let md = market_data_bytes(lines.as_bytes(), Some("five.jsonl"), false).unwrap();
    assert_eq!(md_info(md).max_instrument, 5);
    let message = expect_err(args_new(cfg, md, "daily", None), BarterStatus::InvalidInput);
    assert!(message.contains("instrument index 5"), "{message}");
    assert!(message.contains("3 instrument(s)"), "{message}");
    for name in INSTRUMENT_NAMES {
        assert!(message.contains(name), "{message}");
    }

    // Index 3 is the first out of range; index 2 is fine.
    for (index, fine) in [(3usize, false), (2, true)] {
        let text = serde_json::to_vec(&json!([trade_item(index, "binance_spot")])).unwrap();
        let md = market_data_bytes(&text, None, false).unwrap();
        let result = args_new(cfg, md, "daily", None);
        if fine {
            unsafe { barter_backtest_args_constant_free(result.unwrap()) };
        } else {
            let message = expect_err(result, BarterStatus::InvalidInput);
            assert!(message.contains("instrument index 3"), "{message}");
        }
        unsafe { barter_market_data_free(md) };
    }
    unsafe {
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

// ---------------------------------------------------------------------------------------
// Backtests
// ---------------------------------------------------------------------------------------

/// Assets in the order barter's `IndexedInstruments` lists them (sorted).
const ASSET_KEYS: [&str; 4] =
    ["binance_spot:btc", "binance_spot:eth", "binance_spot:sol", "binance_spot:usdt"];

/// The example executions' initial balances as barter reads them (`1.0` and `10.0` are
/// JSON numbers, read through f64, hence `1` and `10`).
const DEFAULT_BALANCES: [(&str, &str, &str); 4] = [
    (ASSET_KEYS[0], "0.1", "0.1"),
    (ASSET_KEYS[1], "1", "1"),
    (ASSET_KEYS[2], "10", "10"),
    (ASSET_KEYS[3], "10000", "10000"),
];

/// Checks the structure and key order of one `BacktestSummary` JSON and the values the
/// default strategy (which never trades) must produce: engine start and end exactly the
/// first and last event's time, zero PnL, undefined (null) ratios over σ = 0, unchanged
/// balances, a flat equity curve of one point per item.
fn check_summary(
    summary: &Value,
    ordered: &Ordered,
    id: &str,
    risk_free_return: &str,
    interval_name: &str,
    balances: &[(&str, &str, &str)],
) {
    assert_eq!(
        ordered.keys(),
        [
            "id",
            "risk_free_return",
            "trading_summary",
            "strategy",
            "fill",
            "close_at_end",
            "rejected_orders",
            "positions",
            "equity"
        ]
    );
    assert_eq!(summary["strategy"], json!({"name": "default", "params": {}}));
    assert_eq!(summary["fill"], json!("next"));
    assert_eq!(summary["close_at_end"], json!(true));
    assert_eq!(summary["rejected_orders"], json!(0));
    assert_eq!(
        summary["positions"],
        json!({"instruments": [], "instrument": [], "side": [], "quantity": "", "price_entry": "",
               "price_exit": "", "fees": "", "pnl": "", "time_enter_ns": [], "time_exit_ns": []})
    );
    assert_eq!(ordered.get("equity").keys(), ["time_ns", "value"]);
    assert_eq!(summary["id"], json!(id));
    assert_eq!(summary["risk_free_return"], json!(risk_free_return));
    let ts = &summary["trading_summary"];
    let ts_ordered = ordered.get("trading_summary");
    assert_eq!(ts_ordered.keys(), ["time_engine_start_ns", "time_engine_end_ns", "instruments", "assets"]);
    assert_eq!(ts["time_engine_start_ns"], json!(FIRST_EVENT_NS), "engine start = first event, exactly");
    assert_eq!(ts["time_engine_end_ns"], json!(LAST_EVENT_NS), "engine end = last event, exactly");

    assert_eq!(ts_ordered.get("instruments").keys(), INSTRUMENT_NAMES, "instrument order");
    for name in INSTRUMENT_NAMES {
        let sheet = &ts["instruments"][name];
        assert_eq!(
            ts_ordered.get("instruments").get(name).keys(),
            [
                "pnl",
                "pnl_return",
                "sharpe_ratio",
                "sortino_ratio",
                "calmar_ratio",
                "pnl_drawdown",
                "pnl_drawdown_mean",
                "pnl_drawdown_max",
                "win_rate",
                "profit_factor",
            ],
            "{name}"
        );
        assert_eq!(sheet["pnl"], json!("0"), "{name}");
        for metric in ["pnl_return", "sharpe_ratio", "sortino_ratio", "calmar_ratio"] {
            assert_eq!(ts_ordered.get("instruments").get(name).get(metric).keys(), ["value", "interval"]);
            assert_eq!(sheet[metric]["interval"], json!(interval_name), "{name}.{metric}");
        }
        assert_eq!(sheet["pnl_return"]["value"], json!("0"), "{name}");
        // σ = 0: barter leaves the Sharpe ratio at Decimal::MAX, Sortino and Calmar at
        // MAX / MIN by the sign of the excess return (0 when it is 0): undefined is null.
        assert_eq!(sheet["sharpe_ratio"]["value"], Value::Null, "{name}");
        let zero_excess = rust_decimal::Decimal::from_str_exact(risk_free_return.trim()).unwrap().is_zero();
        for metric in ["sortino_ratio", "calmar_ratio"] {
            let expected = if zero_excess { json!("0") } else { Value::Null };
            assert_eq!(sheet[metric]["value"], expected, "{name}.{metric}");
        }
        // No trades: no drawdowns, win rate or profit factor (present as null, not absent).
        for field in ["pnl_drawdown", "pnl_drawdown_mean", "pnl_drawdown_max", "win_rate", "profit_factor"] {
            assert_eq!(sheet[field], Value::Null, "{name}.{field}");
        }
    }

    let assets_ordered = ts_ordered.get("assets");
    let expected_keys: Vec<&str> = balances.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(assets_ordered.keys(), expected_keys, "asset order");
    for (key, total, free) in balances {
        let sheet = &ts["assets"][*key];
        assert_eq!(
            assets_ordered.get(key).keys(),
            ["balance_end", "drawdown", "drawdown_mean", "drawdown_max"]
        );
        assert_eq!(assets_ordered.get(key).get("balance_end").keys(), ["total", "free"]);
        assert_eq!(sheet["balance_end"], json!({"total": total, "free": free}), "{key}");
        // Balances never move without trades: no drawdown.
        for field in ["drawdown", "drawdown_max", "drawdown_mean"] {
            assert_eq!(sheet[field], Value::Null, "{key}.{field}");
        }
    }

    // One equity point per item (21 < 2,000), the usdt balance throughout.
    let usdt: f64 = balances.iter().find(|(k, _, _)| *k == "binance_spot:usdt").unwrap().1.parse().unwrap();
    let times = summary["equity"]["time_ns"].as_array().unwrap();
    let values = summary["equity"]["value"].as_array().unwrap();
    assert_eq!((times.len(), values.len()), (21, 21));
    assert_eq!(times[0], json!(FIRST_EVENT_NS));
    assert_eq!(times[20], json!(LAST_EVENT_NS));
    assert!(values.iter().all(|v| v.as_f64() == Some(usdt)), "{values:?}");
}

#[test]
fn backtest_run_summary() {
    let setup = Setup::new("daily", None);
    let (summary, ordered) = run(setup.args, "run-1", "0.05").unwrap();
    check_summary(&summary, &ordered, "run-1", "0.05", "Daily", &DEFAULT_BALANCES);

    // The id is trimmed; the risk-free return keeps its digits as given.
    let (summary, ordered) = run(setup.args, "  spaced id  ", "0.0500").unwrap();
    check_summary(&summary, &ordered, "spaced id", "0.0500", "Daily", &DEFAULT_BALANCES);
    let (summary, _) = run(setup.args, "sci", "5e-2").unwrap();
    assert_eq!(summary["risk_free_return"], json!("0.05"));
    let (summary, _) = run(setup.args, "neg", " -0.01 ").unwrap();
    assert_eq!(summary["risk_free_return"], json!("-0.01"));
    let (summary, _) = run(setup.args, "unicode ✓ id", "0").unwrap();
    assert_eq!(summary["id"], json!("unicode ✓ id"));
}

#[test]
fn backtest_run_intervals_name_the_metrics() {
    for (interval, name) in [("annual_252", "Annual(252)"), ("ANNUAL_365", "Annual(365)"), ("daily", "Daily")]
    {
        let setup = Setup::new(interval, None);
        let (summary, ordered) = run(setup.args, interval, "0").unwrap();
        check_summary(&summary, &ordered, interval, "0", name, &DEFAULT_BALANCES);
    }
}

#[test]
fn backtest_run_with_initial_balance_override() {
    let balances = r#"[{"exchange": "binance_spot", "asset": "USDT", "total": "5000.50", "free": "4000.25"},
                       {"exchange": "binance_spot", "asset": "sol", "total": "0", "free": "0"}]"#;
    let setup = Setup::new("daily", Some(balances));
    let (summary, ordered) = run(setup.args, "override", "0.05").unwrap();
    check_summary(
        &summary,
        &ordered,
        "override",
        "0.05",
        "Daily",
        &[
            (ASSET_KEYS[0], "0.1", "0.1"),
            (ASSET_KEYS[1], "1", "1"),
            (ASSET_KEYS[2], "0", "0"),
            (ASSET_KEYS[3], "5000.50", "4000.25"),
        ],
    );
}

#[test]
fn backtest_run_errors() {
    let setup = Setup::new("daily", None);
    for bad in ["abc", "", "NaN", "inf", "1e40", "0.05%"] {
        let message = expect_err(run(setup.args, "x", bad), BarterStatus::InvalidInput);
        assert!(message.contains("risk_free_return"), "{message}");
        assert!(message.contains(&format!("{bad:?}")), "{message}");
    }
    for bad_id in ["", "   "] {
        let message = expect_err(run(setup.args, bad_id, "0.05"), BarterStatus::InvalidInput);
        assert!(message.contains("id"), "{message}");
    }
}

#[test]
fn backtest_run_many_summaries() {
    let setup = Setup::new("daily", None);
    let specs = [("alpha", "0.05"), ("beta", "0"), ("gamma", "0.123456789012345678901234567")];
    let (multi, ordered) = run_many(setup.args, &specs).unwrap();
    assert_eq!(ordered.keys(), ["num_backtests", "duration_ns", "summaries"]);
    assert_eq!(multi["num_backtests"], json!(3));
    let duration = multi["duration_ns"].as_i64().expect("i64 duration");
    assert!(duration > 0 && duration < 600_000_000_000, "{duration}");
    let summaries = multi["summaries"].as_array().unwrap();
    assert_eq!(summaries.len(), 3);
    for (i, (summary, (id, rfr))) in summaries.iter().zip(specs).enumerate() {
        let o = ordered.get("summaries").at(i);
        check_summary(summary, o, id, rfr, "Daily", &DEFAULT_BALANCES);
    }
}

#[test]
fn backtest_run_many_empty_array() {
    let setup = Setup::new("annual_365", None);
    for limit in [0, 1, 2] {
        let (multi, _) = run_many_limit(setup.args, &[], limit).unwrap();
        assert_eq!(multi["num_backtests"], json!(0));
        assert_eq!(multi["summaries"], json!([]));
        assert!(multi["duration_ns"].as_i64().unwrap() >= 0);
    }
}

#[test]
fn backtest_run_many_errors() {
    let setup = Setup::new("daily", None);
    let specs = [("b", "0"), ("a", "0"), ("c", "0"), (" a ", "0"), ("b", "0"), ("b", "0")];
    for limit in [0, 1, 2] {
        let message = expect_err(run_many_limit(setup.args, &specs, limit), BarterStatus::InvalidInput);
        assert_eq!(message, "duplicate backtest ids: a, b");
    }

    let message = expect_err(
        run_many(setup.args, &[("ok", "0.05"), ("bad", "five percent")]),
        BarterStatus::InvalidInput,
    );
    assert!(message.starts_with("risk_free_return: "), "{message}");
    assert!(message.contains("five percent"), "{message}");

    let message = expect_err(run_many(setup.args, &[("", "0")]), BarterStatus::InvalidInput);
    assert_eq!(message, "id: must not be empty");
}

#[test]
fn backtests_from_several_threads_share_one_args_handle() {
    struct Shared(*const ArgsConstant);
    unsafe impl Send for Shared {}
    unsafe impl Sync for Shared {}
    let setup = Setup::new("daily", None);
    let shared = Shared(setup.args);
    let shared = &shared;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                scope.spawn(move || {
                    let id = format!("thread-{i}");
                    let (summary, ordered) = run(shared.0, &id, "0.01").unwrap();
                    check_summary(&summary, &ordered, &id, "0.01", "Daily", &DEFAULT_BALANCES);
                    let (a, b) = (format!("{id}-a"), format!("{id}-b"));
                    let (multi, _) = run_many(shared.0, &[(&a, "0"), (&b, "0")]).unwrap();
                    assert_eq!(multi["num_backtests"], json!(2));
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
}

fn plain_config() -> Value {
    serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap()
}

#[test]
fn execution_configs_barter_would_fail_on_are_rejected_up_front() {
    // barter accepts these when the arguments are built but fails every run; the library
    // rejects them when the arguments are made, naming the problem.
    let md = market_data_file(&market_data_path(), false).unwrap();
    let execution = plain_config()["executions"][0].clone();

    // Two mock executions for one exchange.
    let mut v = plain_config();
    v["executions"] = json!([execution.clone(), execution.clone()]);
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    let message = expect_err(args_new(cfg, md, "daily", None), BarterStatus::InvalidInput);
    assert!(
        message.contains("executions[1]: more than one execution for exchange binance_spot"),
        "{message}"
    );
    unsafe { barter_system_config_free(cfg) };

    // A mock execution for an exchange none of the instruments trade on.
    let mut kraken = execution.clone();
    kraken["mocked_exchange"] = json!("kraken");
    kraken["initial_state"]["exchange"] = json!("kraken");
    let mut v = plain_config();
    v["executions"] = json!([execution, kraken]);
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    let message = expect_err(args_new(cfg, md, "daily", None), BarterStatus::InvalidInput);
    assert!(message.contains("executions[1]: exchange kraken has no instruments"), "{message}");
    unsafe {
        barter_system_config_free(cfg);
        barter_market_data_free(md);
    }
}

#[test]
fn system_config_counts_agree_with_the_indexed_instruments() {
    // barter's IndexedInstruments sorts and de-duplicates instruments; the market data's
    // `instrument` field indexes that list. Every count the library reports for the same
    // config must agree with it (or a duplicate must be rejected outright).
    let mut v = plain_config();
    let first = v["instruments"][0].clone();
    v["instruments"].as_array_mut().unwrap().push(first);
    match config_bytes(&serde_json::to_vec(&v).unwrap(), Some("dup.json")) {
        Err(failure) => assert_eq!(failure.status, BarterStatus::InvalidInput, "{}", failure.message),
        Ok(cfg) => {
            let names = config_json(cfg)["instrument_names"].as_array().unwrap().len();
            let md = market_data_file(&market_data_path(), false).unwrap();
            let args = args_new(cfg, md, "daily", None).unwrap();
            let indexed = args_info(args).instruments;
            assert_eq!(names, indexed);
            assert_eq!(
                config_info(cfg).instruments,
                indexed,
                "SystemConfig info says {} instruments, but instrument_names and the backtest args have {indexed}",
                config_info(cfg).instruments
            );
            unsafe {
                barter_backtest_args_constant_free(args);
                barter_market_data_free(md);
                barter_system_config_free(cfg);
            }
        }
    }
}

#[test]
fn instrument_names_follow_barters_index_order() {
    // Config order does not matter: barter indexes instruments sorted.
    let mut v = plain_config();
    v["instruments"].as_array_mut().unwrap().reverse();
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    assert_eq!(config_json(cfg)["instrument_names"], json!(INSTRUMENT_NAMES));
    let md = market_data_file(&market_data_path(), false).unwrap();
    let args = args_new(cfg, md, "daily", None).unwrap();
    let (_, ordered) = run(args, "reversed", "0").unwrap();
    assert_eq!(ordered.get("trading_summary").get("instruments").keys(), INSTRUMENT_NAMES);
    unsafe {
        barter_backtest_args_constant_free(args);
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn decimal_strings_in_configs_and_overrides_are_exact_end_to_end() {
    let mut v: Value = serde_json::from_slice(&std::fs::read(backtest_config_path()).unwrap()).unwrap();
    v["risk_free_return"] = json!("0.1234567890123456789012");
    let balances = &mut v["system"]["executions"][0]["initial_state"]["balances"];
    balances[0]["balance"] =
        json!({"total": "0.1234567890123456789012345678", "free": "0.0000000000000000000000000001"});
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    let value = config_json(cfg);
    assert_eq!(value["risk_free_return"], json!("0.1234567890123456789012"));
    assert_eq!(
        value["system"]["executions"][0]["initial_state"]["balances"][0]["balance"],
        json!({"total": "0.1234567890123456789012345678", "free": "0.0000000000000000000000000001"})
    );
    let md = market_data_file(&market_data_path(), false).unwrap();
    let overrides = r#"[{"exchange": "binance_spot", "asset": "eth", "total": "79228162514264337593543950335",
                         "free": "-0"}]"#;
    let args = args_new(cfg, md, "daily", Some(overrides)).unwrap();
    let (summary, _) = run(args, "exact", "0.0000000000000000000000000001").unwrap();
    assert_eq!(summary["risk_free_return"], json!("0.0000000000000000000000000001"));
    let assets = &summary["trading_summary"]["assets"];
    assert_eq!(
        assets["binance_spot:usdt"]["balance_end"],
        json!({"total": "0.1234567890123456789012345678", "free": "0.0000000000000000000000000001"})
    );
    assert_eq!(
        assets["binance_spot:eth"]["balance_end"],
        json!({"total": "79228162514264337593543950335", "free": "0"})
    );
    unsafe {
        barter_backtest_args_constant_free(args);
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn assets_without_a_balance_and_overrides_that_add_one() {
    let md = market_data_file(&market_data_path(), false).unwrap();
    // The execution has no "sol" balance.
    let mut v = plain_config();
    v["executions"][0]["initial_state"]["balances"].as_array_mut().unwrap().pop();
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    let args = args_new(cfg, md, "daily", None).unwrap();
    let (summary, ordered) = run(args, "no-sol", "0").unwrap();
    assert_eq!(ordered.get("trading_summary").get("assets").keys(), ASSET_KEYS);
    assert_eq!(summary["trading_summary"]["assets"]["binance_spot:sol"]["balance_end"], Value::Null);
    unsafe { barter_backtest_args_constant_free(args) };

    // An override for a known asset the execution has no balance for adds one.
    let args = args_new(
        cfg,
        md,
        "daily",
        Some(r#"[{"exchange": "binance_spot", "asset": "SOL", "total": "3.5", "free": "2"}]"#),
    )
    .unwrap();
    let (summary, _) = run(args, "sol-added", "0").unwrap();
    assert_eq!(
        summary["trading_summary"]["assets"]["binance_spot:sol"]["balance_end"],
        json!({"total": "3.5", "free": "2"})
    );
    unsafe { barter_backtest_args_constant_free(args) };

    // No executions at all: the backtest runs, no asset has a balance.
    let mut v = plain_config();
    v["executions"] = json!([]);
    let cfg2 = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    assert_eq!(config_info(cfg2).executions, 0);
    let message = expect_err(
        args_new(
            cfg2,
            md,
            "daily",
            Some(r#"[{"exchange": "binance_spot", "asset": "usdt", "total": "1", "free": "1"}]"#),
        ),
        BarterStatus::InvalidInput,
    );
    assert!(message.contains("unknown exchange"), "{message}");
    let args = args_new(cfg2, md, "daily", None).unwrap();
    assert_eq!(args_info(args).executions, 0);
    let (summary, _) = run(args, "no-exec", "0").unwrap();
    for key in ASSET_KEYS {
        assert_eq!(summary["trading_summary"]["assets"][key]["balance_end"], Value::Null, "{key}");
    }
    unsafe {
        barter_backtest_args_constant_free(args);
        barter_system_config_free(cfg2);
        barter_system_config_free(cfg);
        barter_market_data_free(md);
    }
}

/// Decimal strings rust_decimal's `from_str` would silently round (scale above 28, or a
/// mantissa beyond 96 bits), with what it would round them to.
const INEXACT_DECIMALS: [(&str, &str); 4] = [
    ("0.00000000000000000000000000001", "0.0000000000000000000000000000"),
    ("0.12345678901234567890123456789", "0.1234567890123456789012345679"),
    ("12345678901234567890123456789.5", "12345678901234567890123456790"),
    ("-0.000000000000000000000000000049", "0.0000000000000000000000000000"),
];

#[test]
fn inexact_decimal_strings_are_rejected_not_rounded() {
    // "1e-30" is rejected as not representable; the same value written out in full must
    // not be accepted and silently turned into 0 (or any other rounded value).
    let setup = Setup::new("daily", None);
    let message = expect_err(run(setup.args, "sci", "1e-30"), BarterStatus::InvalidInput);
    assert!(message.contains("risk_free_return"), "{message}");
    for (text, rounded) in INEXACT_DECIMALS {
        match run(setup.args, "plain", text) {
            Ok((summary, _)) => panic!(
                "risk_free_return {text:?} was accepted and silently rounded to {}; expected InvalidInput \
                 (it would round to {rounded:?})",
                summary["risk_free_return"]
            ),
            Err(e) => {
                assert_eq!(e.status, BarterStatus::InvalidInput, "{}", e.message);
                assert!(e.message.contains("risk_free_return"), "{}", e.message);
            }
        }
        let message = expect_err(run_many(setup.args, &[("a", text)]), BarterStatus::InvalidInput);
        assert!(message.starts_with("risk_free_return: "), "{message}");

        let balances = serde_json::to_string(
            &json!([{"exchange": "binance_spot", "asset": "usdt", "total": "100", "free": text}]),
        )
        .unwrap();
        let message = expect_err(
            args_new(setup.config, setup.market_data, "daily", Some(&balances)),
            BarterStatus::InvalidInput,
        );
        assert!(message.contains("initial_balances[0].free"), "{message}");
    }
    // Exactly representable values with many digits are fine and kept digit for digit.
    for text in
        ["1.0000000000000000000000000001", "0.1234567890123456789012345678", "-79228162514264337593543950335"]
    {
        let (summary, _) = run(setup.args, "exact", text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(summary["risk_free_return"], json!(text));
    }
}

#[test]
fn balances_for_assets_no_instrument_uses_are_rejected_up_front() {
    // The execution holds "bnb", which no instrument trades; barter's execution indexer
    // would refuse it on every run, so the arguments are refused when made.
    let mut v = plain_config();
    v["executions"][0]["initial_state"]["balances"].as_array_mut().unwrap().push(json!({
        "asset": "bnb", "balance": {"total": "5", "free": "5"}, "time_exchange": "2025-03-24T21:30:00Z"
    }));
    let cfg = config_bytes(&serde_json::to_vec(&v).unwrap(), None).unwrap();
    let md = market_data_file(&market_data_path(), false).unwrap();
    let message = expect_err(args_new(cfg, md, "daily", None), BarterStatus::InvalidInput);
    assert!(
        message.contains("executions[0].initial_state.balances[4]: asset \"bnb\" is not an asset of any instrument on binance_spot"),
        "{message}"
    );
    unsafe { barter_system_config_free(cfg) };
    let cfg = config_bytes(&serde_json::to_vec(&plain_config()).unwrap(), None).unwrap();
    let message = expect_err(
        args_new(
            cfg,
            md,
            "daily",
            Some(r#"[{"exchange": "binance_spot", "asset": "bnb", "total": "1", "free": "1"}]"#),
        ),
        BarterStatus::InvalidInput,
    );
    assert!(message.contains("unknown asset") && message.contains("bnb"), "{message}");
    // Still fine with a good config.
    let setup = Setup::new("daily", None);
    let (summary, ordered) = run(setup.args, "after", "0.05").unwrap();
    check_summary(&summary, &ordered, "after", "0.05", "Daily", &DEFAULT_BALANCES);
    unsafe {
        barter_market_data_free(md);
        barter_system_config_free(cfg);
    }
}

#[test]
fn run_many_bound_keeps_input_order_and_results() {
    let setup = Setup::new("daily", None);
    let ids: Vec<String> = (0..5).map(|i| format!("b{i}")).collect();
    let rfrs: Vec<String> = (0..5).map(|i| format!("0.0{i}")).collect();
    let specs: Vec<(&str, &str)> =
        ids.iter().map(String::as_str).zip(rfrs.iter().map(String::as_str)).collect();
    let strip = |mut v: Value| {
        v["duration_ns"] = json!(0);
        v
    };
    let (unbounded, _) = run_many(setup.args, &specs).unwrap();
    for limit in [1usize, 2, 1000] {
        let (bounded, _) = run_many_limit(setup.args, &specs, limit).unwrap();
        assert_eq!(bounded["num_backtests"], json!(5));
        let got_ids: Vec<&str> =
            bounded["summaries"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(got_ids, ids);
        let got_rfrs: Vec<&str> = bounded["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["risk_free_return"].as_str().unwrap())
            .collect();
        assert_eq!(got_rfrs, rfrs);
        assert_eq!(strip(bounded), strip(unbounded.clone()), "max_concurrent {limit}: identical summaries");
    }
    // Each summary equals its single run.
    for (i, (id, rfr)) in specs.iter().enumerate() {
        let (single, _) = run(setup.args, id, rfr).unwrap();
        assert_eq!(single, unbounded["summaries"][i]);
    }
}

#[test]
fn record_view_reads_trades_in_place() {
    use barter_ffi::ffi::market_data::{barter_market_data_record_view, BarterRecordKind, BarterRecordView};
    // SAFETY (for every call below): a live handle and writable out-parameters.
    let record_view =
        |handle, index, out, err| unsafe { barter_market_data_record_view(handle, index, out, err) };
    let md = market_data_file(&market_data_path(), false).unwrap();
    let handle = md as *const barter_ffi::ffi::market_data::BarterMarketData;
    let mut view = std::mem::MaybeUninit::<BarterRecordView>::uninit();
    let mut err = null_mut();
    let status = record_view(handle, 0, view.as_mut_ptr(), &mut err);
    assert_eq!(status, BarterStatus::Ok);
    assert!(err.is_null());
    let view = unsafe { view.assume_init() };
    let text = |p: *const u8, n: usize| unsafe {
        std::str::from_utf8(std::slice::from_raw_parts(p, n)).unwrap().to_owned()
    };
    assert_eq!(view.kind, BarterRecordKind::Trade);
    assert_eq!(text(view.exchange, view.exchange_len), "binance_spot");
    assert_eq!(text(view.trade_id, view.trade_id_len), "4314349047");
    assert_eq!(view.time_exchange_ns, FIRST_EVENT_NS);
    assert_eq!(view.time_received_ns, 1_734_721_518_319_581_890);
    assert_eq!(
        (view.instrument, view.trade_price, view.trade_amount, view.trade_side),
        (0, 96962.51, 0.00006, 0)
    );
    // Reconnect markers are records too; count them through the views.
    let mut reconnects = 0;
    for index in 0..24 {
        let mut v = std::mem::MaybeUninit::<BarterRecordView>::uninit();
        assert_eq!(record_view(handle, index, v.as_mut_ptr(), null_mut()), BarterStatus::Ok);
        let v = unsafe { v.assume_init() };
        if v.kind == BarterRecordKind::Reconnecting {
            reconnects += 1;
            assert_eq!(text(v.exchange, v.exchange_len), "binance_spot");
        }
    }
    assert_eq!(reconnects, 3);
    // Past the end: InvalidInput naming the index; NULL handle or out: NullPointer.
    let mut v = std::mem::MaybeUninit::<BarterRecordView>::uninit();
    let mut err = null_mut();
    assert_eq!(record_view(handle, 24, v.as_mut_ptr(), &mut err), BarterStatus::InvalidInput);
    let message =
        unsafe { CStr::from_ptr(barter_ffi::ffi::barter_error_message(err)) }.to_str().unwrap().to_owned();
    assert!(message.contains("record index 24 out of range (24 records)"), "{message}");
    unsafe { barter_ffi::ffi::barter_error_free(err) };
    assert_eq!(record_view(null(), 0, v.as_mut_ptr(), null_mut()), BarterStatus::NullPointer);
    assert_eq!(record_view(handle, 0, null_mut(), null_mut()), BarterStatus::NullPointer);
    unsafe { barter_market_data_free(md) };
}
