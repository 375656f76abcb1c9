//! The strategy exports and strategy-carrying backtests through the C ABI, the way C
//! calls them: every strategy name and its description, every invalid parameter and its
//! message, target positions (NaN, infinite, negative, NULL), dynamic arguments that
//! outlive their strategy handle, `fill` / `close_at_end` reaching the summary, and
//! `run_many` giving identical summaries at any thread count.

mod common;

use barter_ffi::ffi::backtest::{
    barter_backtest_args_constant_free, barter_backtest_args_constant_new, barter_backtest_args_dynamic_free,
    barter_backtest_args_dynamic_new, barter_backtest_run, barter_backtest_run_many,
    BarterBacktestArgsConstant, BarterBacktestArgsDynamic, BarterFill,
};
use barter_ffi::ffi::config::{
    barter_system_config_free, barter_system_config_from_json_bytes, BarterSystemConfig,
};
use barter_ffi::ffi::market_data::{
    barter_market_data_free, barter_market_data_from_json_file, BarterMarketData,
};
use barter_ffi::ffi::strategy::{
    barter_strategy_callback, barter_strategy_describe, barter_strategy_free, barter_strategy_new,
    barter_strategy_target_positions, BarterStrategy,
};
use barter_ffi::ffi::summary::{
    barter_summaries_free, barter_summaries_get, barter_summaries_info, barter_summaries_to_json,
    BarterSummaries, BarterSummariesInfo, BarterSummaryView, BarterText,
};
use barter_ffi::ffi::{
    barter_bytes_free, barter_error_free, barter_error_message, BarterError, BarterStatus,
};
use barter_ffi::strategy::callback::{BarterStrategyEvent, BarterStrategyPhase};
use common::{market_data_path, system_config_path};
use serde_json::{json, Value};
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// Status and message of a call taking a `BarterError**`.
fn call(f: impl FnOnce(*mut *mut BarterError) -> BarterStatus) -> Result<(), (BarterStatus, String)> {
    let mut err: *mut BarterError = null_mut();
    let status = f(&mut err);
    if status == BarterStatus::Ok {
        assert!(err.is_null());
        return Ok(());
    }
    assert!(!err.is_null());
    let message = unsafe { CStr::from_ptr(barter_error_message(err)) }.to_str().unwrap().to_owned();
    unsafe { barter_error_free(err) };
    Err((status, message))
}

fn strategy_new(name: &str, params: Option<&str>) -> Result<*mut BarterStrategy, (BarterStatus, String)> {
    let name = c(name);
    let params = params.map(c);
    let mut out = null_mut();
    call(|err| unsafe {
        barter_strategy_new(name.as_ptr(), params.as_ref().map_or(null(), |p| p.as_ptr()), &mut out, err)
    })
    .map(|()| out)
    .inspect_err(|_| assert!(out.is_null()))
}

fn targets_new(targets: &[f64]) -> Result<*mut BarterStrategy, (BarterStatus, String)> {
    let mut out = null_mut();
    call(|err| unsafe { barter_strategy_target_positions(targets.as_ptr(), targets.len(), &mut out, err) })
        .map(|()| out)
}

fn bytes_out(
    f: impl FnOnce(*mut *mut u8, *mut usize, *mut *mut BarterError) -> BarterStatus,
) -> Result<Vec<u8>, (BarterStatus, String)> {
    let mut ptr = null_mut();
    let mut len = 0usize;
    call(|err| f(&mut ptr, &mut len, err))?;
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    unsafe { barter_bytes_free(ptr, len) };
    Ok(bytes)
}

/// Calls a run writing a summaries handle; the handle's `MultiBacktestSummary` JSON
/// (`barter_summaries_to_json`), the handle freed.
fn summaries_json(
    f: impl FnOnce(*mut *mut BarterSummaries, *mut *mut BarterError) -> BarterStatus,
) -> Result<Vec<u8>, (BarterStatus, String)> {
    let mut handle = null_mut();
    call(|err| f(&mut handle, err))?;
    let json = bytes_out(|p, l, e| unsafe { barter_summaries_to_json(handle, p, l, e) });
    unsafe { barter_summaries_free(handle) };
    json
}

fn describe(strategy: *const BarterStrategy) -> Vec<u8> {
    bytes_out(|p, l, e| unsafe { barter_strategy_describe(strategy, p, l, e) }).unwrap()
}

fn invalid(result: Result<*mut BarterStrategy, (BarterStatus, String)>) -> String {
    match result {
        Ok(handle) => {
            unsafe { barter_strategy_free(handle) };
            panic!("expected INVALID_INPUT")
        }
        Err((status, message)) => {
            assert_eq!(status, BarterStatus::InvalidInput, "{message}");
            message
        }
    }
}

#[test]
fn every_strategy_name_and_its_description() {
    for (name, params, description) in [
        ("default", None, r#"{"name":"default","params":{}}"#),
        ("default", Some("{}"), r#"{"name":"default","params":{}}"#),
        (
            "buy_and_hold",
            Some(r#"{"quantity": "0.01"}"#),
            r#"{"name":"buy_and_hold","params":{"quantity":"0.01"}}"#,
        ),
        (
            "sma_cross",
            Some(r#"{"quantity": "0.010", "slow": 30, "fast": 10}"#),
            r#"{"name":"sma_cross","params":{"fast":10,"slow":30,"quantity":"0.010"}}"#,
        ),
        (
            "bollinger_reversion",
            Some(r#"{"window": 20, "k": "2", "quantity": 1}"#),
            r#"{"name":"bollinger_reversion","params":{"window":20,"k":"2","quantity":"1"}}"#,
        ),
        (
            "breakout",
            Some(r#"{"window": 2, "quantity": "5e-1"}"#),
            r#"{"name":"breakout","params":{"window":2,"quantity":"0.5"}}"#,
        ),
        (
            " SMA_Cross ",
            Some(r#"{"fast": 1, "slow": 2, "quantity": "1"}"#),
            r#"{"name":"sma_cross","params":{"fast":1,"slow":2,"quantity":"1"}}"#,
        ),
    ] {
        let handle = strategy_new(name, params).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(String::from_utf8(describe(handle)).unwrap(), description);
        unsafe { barter_strategy_free(handle) };
    }
    let handle = targets_new(&[0.0, 0.5, 1e-8]).unwrap();
    assert_eq!(describe(handle), br#"{"name":"target_positions","params":{"len":3}}"#);
    unsafe { barter_strategy_free(handle) };
    let mut out = null_mut();
    call(|err| unsafe { barter_strategy_target_positions(null(), 0, &mut out, err) }).unwrap();
    assert_eq!(describe(out), br#"{"name":"target_positions","params":{"len":0}}"#);
    unsafe { barter_strategy_free(out) };
}

#[test]
fn every_invalid_parameter_is_named() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("sma_crossing", None, "name: unknown strategy \"sma_crossing\"; valid names are default, buy_and_hold, sma_cross, bollinger_reversion, breakout"),
        ("target_positions", None, "name: target_positions takes one target per market data item"),
        ("default", Some(r#"{"quantity": "1"}"#), "quantity: unknown parameter for default (it takes no parameters)"),
        ("buy_and_hold", None, "quantity: missing (parameters of buy_and_hold: quantity)"),
        ("buy_and_hold", Some(r#"{"quantity": "0"}"#), "quantity: must be greater than 0, got 0"),
        ("buy_and_hold", Some(r#"{"quantity": "-1"}"#), "quantity: must be greater than 0, got -1"),
        ("buy_and_hold", Some(r#"{"quantity": -2}"#), "quantity: must be greater than 0, got -2"),
        ("buy_and_hold", Some(r#"{"quantity": 0.01}"#), "quantity: give decimals as strings"),
        ("buy_and_hold", Some(r#"{"quantity": "abc"}"#), "quantity: \"abc\" is not a decimal"),
        ("buy_and_hold", Some(r#"{"quantity": null}"#), "quantity: must be a decimal string, got null"),
        ("buy_and_hold", Some(r#"{"quantity": "1", "extra": 1}"#), "extra: unknown parameter for buy_and_hold (it takes quantity)"),
        ("buy_and_hold", Some("[1]"), "params: expected a JSON object, got [1]"),
        ("buy_and_hold", Some("{"), "params: invalid JSON"),
        ("sma_cross", Some(r#"{"fast": 30, "slow": 10, "quantity": "1"}"#), "fast: must be less than slow (got fast=30, slow=10)"),
        ("sma_cross", Some(r#"{"fast": 10, "slow": 10, "quantity": "1"}"#), "fast: must be less than slow (got fast=10, slow=10)"),
        ("sma_cross", Some(r#"{"fast": 0, "slow": 10, "quantity": "1"}"#), "fast: must be at least 1, got 0"),
        ("sma_cross", Some(r#"{"fast": -1, "slow": 10, "quantity": "1"}"#), "fast: must be at least 1, got -1"),
        ("sma_cross", Some(r#"{"fast": 2.5, "slow": 10, "quantity": "1"}"#), "fast: must be a JSON integer, got 2.5"),
        ("sma_cross", Some(r#"{"fast": "2", "slow": 10, "quantity": "1"}"#), "fast: must be a JSON integer, got \"2\""),
        ("sma_cross", Some(r#"{"fast": 2, "quantity": "1"}"#), "slow: missing (parameters of sma_cross: fast, slow, quantity)"),
        ("sma_cross", Some(r#"{"fast": 2, "slow": 3, "quantity": "0"}"#), "quantity: must be greater than 0, got 0"),
        ("sma_cross", Some(r#"{"fast": 2, "slow": 10000001, "quantity": "1"}"#), "slow: must be at most 10000000, got 10000001"),
        ("bollinger_reversion", Some(r#"{"window": 1, "k": "2", "quantity": "1"}"#), "window: must be at least 2, got 1"),
        ("bollinger_reversion", Some(r#"{"window": 20, "k": "0", "quantity": "1"}"#), "k: must be greater than 0, got 0"),
        ("bollinger_reversion", Some(r#"{"window": 20, "k": "-1.5", "quantity": "1"}"#), "k: must be greater than 0, got -1.5"),
        ("bollinger_reversion", Some(r#"{"window": 20, "k": "2", "quantity": "-0.1"}"#), "quantity: must be greater than 0, got -0.1"),
        ("breakout", Some(r#"{"window": 1, "quantity": "1"}"#), "window: must be at least 2, got 1"),
        ("breakout", Some(r#"{"window": 0, "quantity": "1"}"#), "window: must be at least 2, got 0"),
        ("breakout", Some(r#"{"window": 5, "quantity": "0.00"}"#), "quantity: must be greater than 0, got 0.00"),
        ("breakout", Some(r#"{"window": 5}"#), "quantity: missing (parameters of breakout: window, quantity)"),
    ];
    for (name, params, expected) in cases {
        let message = invalid(strategy_new(name, *params));
        assert!(
            message.starts_with(expected),
            "{name} {params:?}: {message:?} does not start with {expected:?}"
        );
    }
    let mut out = null_mut();
    let (status, message) =
        call(|err| unsafe { barter_strategy_new(null(), null(), &mut out, err) }).unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::NullPointer, "name is NULL"));
    let name = c("default");
    let (status, _) =
        call(|err| unsafe { barter_strategy_new(name.as_ptr(), null(), null_mut(), err) }).unwrap_err();
    assert_eq!(status, BarterStatus::NullPointer);
}

#[test]
fn invalid_target_positions_name_the_index() {
    for (targets, expected) in [
        (vec![0.0, f64::NAN], "targets[1]: NaN is not a target position"),
        (vec![1.0, 2.0, f64::INFINITY], "targets[2]: inf is not a target position"),
        (vec![f64::NEG_INFINITY], "targets[0]: -inf is not a target position"),
        (vec![0.0, 0.0, 0.0, -0.5], "targets[3]: must not be negative (long only), got -0.5"),
        (vec![1e30], "targets[0]: 1e30 is not a decimal barter can represent"),
    ] {
        let message = invalid(targets_new(&targets));
        assert_eq!(message, expected);
    }
    let mut out = null_mut();
    let (status, message) =
        call(|err| unsafe { barter_strategy_target_positions(null(), 3, &mut out, err) }).unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::NullPointer, "targets is NULL"));
    // -0.0 is a target of 0.
    let handle = targets_new(&[-0.0]).unwrap();
    unsafe { barter_strategy_free(handle) };
}

struct Setup {
    config: *mut BarterSystemConfig,
    market_data: *mut BarterMarketData,
    args: *mut BarterBacktestArgsConstant,
}

impl Setup {
    /// The example system config with 0.1 % fees, the example market data (21 items).
    fn new() -> Self {
        let mut v: Value = serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap();
        v["executions"][0]["fees_percent"] = json!("0.001");
        let bytes = serde_json::to_vec(&v).unwrap();
        let mut config = null_mut();
        call(|err| unsafe {
            barter_system_config_from_json_bytes(bytes.as_ptr(), bytes.len(), null(), &mut config, err)
        })
        .unwrap();
        let path = c(&market_data_path());
        let mut market_data = null_mut();
        call(|err| unsafe { barter_market_data_from_json_file(path.as_ptr(), false, &mut market_data, err) })
            .unwrap();
        let daily = c("daily");
        let mut args = null_mut();
        call(|err| unsafe {
            barter_backtest_args_constant_new(config, market_data, daily.as_ptr(), null(), &mut args, err)
        })
        .unwrap();
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

fn dynamic_new(
    id: &str,
    strategy: *const BarterStrategy,
    fill: BarterFill,
    close_at_end: bool,
) -> Result<*mut BarterBacktestArgsDynamic, (BarterStatus, String)> {
    let id = c(id);
    let rfr = c("0.05");
    let mut out = null_mut();
    call(|err| unsafe {
        barter_backtest_args_dynamic_new(
            id.as_ptr(),
            rfr.as_ptr(),
            strategy,
            fill,
            close_at_end,
            &mut out,
            err,
        )
    })
    .map(|()| out)
}

fn run(
    args: *const BarterBacktestArgsConstant,
    dynamic: *const BarterBacktestArgsDynamic,
) -> Result<Value, (BarterStatus, String)> {
    summaries_json(|o, e| unsafe { barter_backtest_run(args, dynamic, null(), o, e) }).map(|bytes| {
        let multi: Value = serde_json::from_slice(&bytes).unwrap();
        multi["summaries"][0].clone()
    })
}

#[test]
fn strategies_trade_through_the_abi() {
    let setup = Setup::new();
    let strategy = strategy_new("buy_and_hold", Some(r#"{"quantity": "0.01"}"#)).unwrap();
    let signal = dynamic_new("signal", strategy, BarterFill::Signal, true).unwrap();
    let hold = dynamic_new("hold", strategy, BarterFill::Next, false).unwrap();
    // The dynamic arguments keep the strategy alive.
    unsafe { barter_strategy_free(strategy) };

    let summary = run(setup.args, signal).unwrap();
    assert_eq!(summary["strategy"], json!({"name": "buy_and_hold", "params": {"quantity": "0.01"}}));
    assert_eq!((summary["fill"].as_str(), summary["close_at_end"].as_bool()), (Some("signal"), Some(true)));
    let positions = &summary["positions"];
    assert_eq!(positions["side"], json!([1, 1]));
    assert_eq!(positions["instruments"], json!(["binancespot-btc_usdt", "binancespot-sol_usdt"]));
    assert_eq!(positions["instrument"], json!([0, 1]));
    assert_eq!(positions["price_entry"].as_str().unwrap().split(' ').next(), Some("96962.51"));
    // q(P1−P0) − f·q(P0+P1) for sol: 0.01·(190.86 − 190.85) − 0.001·0.01·(190.85 + 190.86)
    assert_eq!(positions["pnl"].as_str().unwrap().split(' ').nth(1), Some("-0.0037171"));

    let summary = run(setup.args, hold).unwrap();
    assert_eq!((summary["fill"].as_str(), summary["close_at_end"].as_bool()), (Some("next"), Some(false)));
    assert_eq!(summary["positions"]["side"], json!([]));
    assert_eq!(summary["positions"]["pnl"], json!(""));
    let btc = &summary["trading_summary"]["assets"]["binance_spot:btc"]["balance_end"];
    assert_eq!(btc, &json!({"total": "0.11", "free": "0.11"}));

    // Identical summaries through run_many at any thread count.
    let handles = [signal as *const BarterBacktestArgsDynamic, hold];
    let mut outputs = Vec::new();
    for max_concurrent in [1usize, 2, 0] {
        let bytes = summaries_json(|o, e| unsafe {
            barter_backtest_run_many(setup.args, handles.as_ptr(), 2, max_concurrent, null(), null(), o, e)
        })
        .unwrap();
        let mut multi: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(multi["num_backtests"], json!(2));
        multi["duration_ns"] = json!(0);
        outputs.push(multi);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    assert_eq!(outputs[0]["summaries"][0], run(setup.args, signal).unwrap());
    unsafe {
        barter_backtest_args_dynamic_free(signal);
        barter_backtest_args_dynamic_free(hold);
    }
}

#[test]
fn target_positions_length_is_checked_when_the_backtest_runs() {
    let setup = Setup::new();
    let wrong = targets_new(&[0.01; 20]).unwrap();
    let dynamic = dynamic_new("t", wrong, BarterFill::Next, true).unwrap();
    let (status, message) = run(setup.args, dynamic).unwrap_err();
    assert_eq!(
        (status, message.as_str()),
        (BarterStatus::InvalidInput, "targets: 20 values but the market data has 21 items")
    );
    let handles = [dynamic as *const BarterBacktestArgsDynamic];
    let (status, message) = summaries_json(|o, e| unsafe {
        barter_backtest_run_many(setup.args, handles.as_ptr(), 1, 2, null(), null(), o, e)
    })
    .unwrap_err();
    assert_eq!(status, BarterStatus::InvalidInput);
    assert_eq!(message, "backtest \"t\": targets: 20 values but the market data has 21 items");
    unsafe {
        barter_backtest_args_dynamic_free(dynamic);
        barter_strategy_free(wrong);
    }
    let right = targets_new(&[0.01; 21]).unwrap();
    let dynamic = dynamic_new("t", right, BarterFill::Signal, true).unwrap();
    let summary = run(setup.args, dynamic).unwrap();
    assert_eq!(summary["strategy"], json!({"name": "target_positions", "params": {"len": 21}}));
    assert_eq!(summary["positions"]["side"].as_array().unwrap().len(), 2);
    unsafe {
        barter_backtest_args_dynamic_free(dynamic);
        barter_strategy_free(right);
    }
}

#[test]
fn dynamic_arguments_errors() {
    for (id, rfr, expected) in [
        ("", "0.05", "id: must not be empty"),
        ("  ", "0.05", "id: must not be empty"),
        ("x", "abc", "risk_free_return: \"abc\" is not a decimal"),
    ] {
        let id = c(id);
        let rfr = c(rfr);
        let mut out = null_mut();
        let (status, message) = call(|err| unsafe {
            barter_backtest_args_dynamic_new(
                id.as_ptr(),
                rfr.as_ptr(),
                null(),
                BarterFill::Next,
                true,
                &mut out,
                err,
            )
        })
        .unwrap_err();
        assert_eq!(status, BarterStatus::InvalidInput);
        assert!(message.starts_with(expected), "{message}");
        assert!(out.is_null());
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<BarterStrategy>();
    check::<BarterBacktestArgsDynamic>();
    check::<BarterBacktestArgsConstant>();
    check::<BarterMarketData>();
    check::<BarterSystemConfig>();
}

/// What the test callback records, and how it behaves.
#[derive(Default)]
struct Script {
    /// Phases seen, in order (0 start, 1 event, 2 finish, 3 end).
    phases: Vec<u32>,
    /// (record, item, instrument, price, position, quote_free) per event.
    events: Vec<(usize, usize, usize, f64, f64, f64)>,
    /// The per-run context seen in each phase after start.
    runs: Vec<usize>,
    /// Return non-zero at this item.
    stop_at: Option<usize>,
    /// Write this target (possibly invalid) at every event.
    target: Option<f64>,
}

unsafe extern "C" fn scripted(user: *mut std::ffi::c_void, event: *mut BarterStrategyEvent) -> i32 {
    let script = &mut *(user as *mut Script);
    let event = &mut *event;
    script.phases.push(event.phase as u32);
    match event.phase {
        BarterStrategyPhase::Start => event.run = 0xBEEF as *mut std::ffi::c_void,
        BarterStrategyPhase::Event => {
            script.runs.push(event.run as usize);
            script.events.push((
                event.record,
                event.item,
                event.instrument,
                event.price,
                event.position,
                event.quote_free,
            ));
            if script.stop_at == Some(event.item) {
                return 1;
            }
            if let Some(target) = script.target {
                event.has_target = true;
                event.target = target;
            }
        }
        BarterStrategyPhase::Finish | BarterStrategyPhase::End => script.runs.push(event.run as usize),
    }
    0
}

fn callback_new(
    script: &mut Script,
    params: Option<&str>,
) -> Result<*mut BarterStrategy, (BarterStatus, String)> {
    let name = c("scripted");
    let params = params.map(c);
    let mut out = null_mut();
    call(|err| unsafe {
        barter_strategy_callback(
            name.as_ptr(),
            params.as_ref().map_or(null(), |p| p.as_ptr()),
            Some(scripted),
            script as *mut Script as *mut std::ffi::c_void,
            &mut out,
            err,
        )
    })
    .map(|()| out)
}

#[test]
fn a_callback_strategy_is_called_once_per_item_with_its_run_context() {
    let setup = Setup::new();
    let mut script = Script { target: Some(0.01), ..Script::default() };
    let strategy = callback_new(&mut script, Some(r#"{"window": 3}"#)).unwrap();
    let dynamic = dynamic_new("cb", strategy, BarterFill::Signal, true).unwrap();
    let summary = run(setup.args, dynamic).unwrap();
    assert_eq!(summary["strategy"], json!({"name": "scripted", "params": {"window": 3}}));
    // start, 21 items, finish, end; the run context flows through every later phase.
    assert_eq!(script.phases.first(), Some(&0));
    assert_eq!(&script.phases[script.phases.len() - 2..], &[2, 3]);
    assert_eq!(script.phases.iter().filter(|p| **p == 1).count(), 21);
    assert!(script.runs.iter().all(|r| *r == 0xBEEF));
    // Items are numbered without the reconnect markers; records with them.
    let items: Vec<usize> = script.events.iter().map(|e| e.1).collect();
    assert_eq!(items, (0..21).collect::<Vec<_>>());
    assert!(script.events.iter().zip(script.events.iter().skip(1)).all(|(a, b)| b.0 > a.0));
    assert_eq!(script.events[0].3, 96962.51);
    assert_eq!(script.events[0].4, 0.0);
    // The first target (0.01 of btc) was bought at the first trade: the next btc event sees it.
    let next_btc = script.events.iter().skip(1).find(|e| e.2 == 0).unwrap();
    assert_eq!(next_btc.4, 0.01);
    assert!(next_btc.5 < 10_000.0);
    assert!(!summary["positions"]["side"].as_array().unwrap().is_empty());
    unsafe {
        barter_backtest_args_dynamic_free(dynamic);
        barter_strategy_free(strategy);
    }
}

#[test]
fn a_callback_that_stops_or_writes_a_bad_target_fails_the_run_and_still_gets_end() {
    let setup = Setup::new();
    let mut script = Script { stop_at: Some(4), ..Script::default() };
    let strategy = callback_new(&mut script, None).unwrap();
    let dynamic = dynamic_new("stop", strategy, BarterFill::Next, true).unwrap();
    let (status, message) = run(setup.args, dynamic).unwrap_err();
    assert_eq!(status, BarterStatus::Callback);
    assert_eq!(message, "strategy \"scripted\": the callback stopped the backtest");
    assert_eq!(script.events.len(), 5);
    assert_eq!(script.phases.last(), Some(&3), "END after a stop");
    assert!(!script.phases.contains(&2), "no FINISH after a stop");
    unsafe {
        barter_backtest_args_dynamic_free(dynamic);
        barter_strategy_free(strategy);
    }

    for (target, text) in [(f64::NAN, "target NaN"), (-1.0, "target -1"), (f64::INFINITY, "target inf")] {
        let mut script = Script { target: Some(target), ..Script::default() };
        let strategy = callback_new(&mut script, None).unwrap();
        let dynamic = dynamic_new("bad", strategy, BarterFill::Signal, true).unwrap();
        let (status, message) = run(setup.args, dynamic).unwrap_err();
        assert_eq!(status, BarterStatus::Callback);
        assert_eq!(
            message,
            format!("strategy \"scripted\": item 0: {text} is not a position (finite, >= 0, long only)")
        );
        assert_eq!(script.phases.last(), Some(&3));
        unsafe {
            barter_backtest_args_dynamic_free(dynamic);
            barter_strategy_free(strategy);
        }
    }
}

#[test]
fn callback_strategy_arguments_are_checked() {
    let mut script = Script::default();
    assert_eq!(invalid(callback_new(&mut script, Some("[1]"))), "params_json: expected a JSON object");
    assert!(invalid(callback_new(&mut script, Some("{"))).starts_with("params_json: "));
    let name = c("  ");
    let mut out = null_mut();
    let (status, message) = call(|err| unsafe {
        barter_strategy_callback(name.as_ptr(), null(), Some(scripted), null_mut(), &mut out, err)
    })
    .unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::InvalidInput, "name: must not be empty"));
    let name = c("x");
    let (status, message) = call(|err| unsafe {
        barter_strategy_callback(name.as_ptr(), null(), None, null_mut(), &mut out, err)
    })
    .unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::NullPointer, "function is NULL"));
}

#[test]
fn a_tripped_cancel_token_stops_runs_with_cancelled() {
    use barter_ffi::ffi::cancel::{barter_cancel_free, barter_cancel_new, barter_cancel_trip};
    let setup = Setup::new();
    let dynamic = dynamic_new("c", null(), BarterFill::Next, true).unwrap();
    let mut token = null_mut();
    call(|err| unsafe { barter_cancel_new(&mut token, err) }).unwrap();
    // Untripped: the runs go through.
    summaries_json(|o, e| unsafe { barter_backtest_run(setup.args, dynamic, token, o, e) }).unwrap();
    unsafe { barter_cancel_trip(token) };
    unsafe { barter_cancel_trip(token) };
    let (status, message) =
        summaries_json(|o, e| unsafe { barter_backtest_run(setup.args, dynamic, token, o, e) }).unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::Cancelled, "cancelled"));
    let handles = [dynamic as *const BarterBacktestArgsDynamic];
    let (status, message) = summaries_json(|o, e| unsafe {
        barter_backtest_run_many(setup.args, handles.as_ptr(), 1, 2, token, null(), o, e)
    })
    .unwrap_err();
    assert_eq!((status, message.as_str()), (BarterStatus::Cancelled, "backtest \"c\": cancelled"));
    unsafe {
        barter_cancel_trip(null());
        barter_cancel_free(token);
        barter_cancel_free(null_mut());
        barter_backtest_args_dynamic_free(dynamic);
    }
}

fn text(t: BarterText) -> String {
    if t.len == 0 {
        return String::new();
    }
    String::from_utf8(unsafe { std::slice::from_raw_parts(t.ptr, t.len) }.to_vec()).unwrap()
}

fn slice<T: Copy>(ptr: *const T, len: usize) -> Vec<T> {
    if len == 0 {
        return Vec::new();
    }
    unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
}

#[test]
fn summary_views_hold_the_same_columns_as_the_json() {
    let setup = Setup::new();
    let sma = strategy_new("sma_cross", Some(r#"{"fast": 2, "slow": 4, "quantity": "0.01"}"#)).unwrap();
    let hold = strategy_new("buy_and_hold", Some(r#"{"quantity": "0.01"}"#)).unwrap();
    let dynamics = [
        dynamic_new("sma", sma, BarterFill::Signal, true).unwrap(),
        dynamic_new("hold", hold, BarterFill::Next, true).unwrap(),
        dynamic_new("none", null(), BarterFill::Next, true).unwrap(),
    ];
    let handles: Vec<*const BarterBacktestArgsDynamic> = dynamics.iter().map(|d| *d as *const _).collect();
    let mut summaries: *mut BarterSummaries = null_mut();
    call(|e| unsafe {
        barter_backtest_run_many(setup.args, handles.as_ptr(), 3, 2, null(), null(), &mut summaries, e)
    })
    .unwrap();
    let multi: Value = serde_json::from_slice(
        &bytes_out(|p, l, e| unsafe { barter_summaries_to_json(summaries, p, l, e) }).unwrap(),
    )
    .unwrap();
    let mut info = BarterSummariesInfo::default();
    call(|e| unsafe { barter_summaries_info(summaries, &mut info, e) }).unwrap();
    assert_eq!(info.count, 3);
    assert_eq!(json!(info.duration_ns), multi["duration_ns"]);
    let mut positions_seen = 0;
    for index in 0..3 {
        let mut view = std::mem::MaybeUninit::<BarterSummaryView>::uninit();
        call(|e| unsafe { barter_summaries_get(summaries, index, view.as_mut_ptr(), e) }).unwrap();
        let view = unsafe { view.assume_init() };
        let mut whole = multi["summaries"][index].clone();
        let p = &whole["positions"];
        let rows = p["side"].as_array().unwrap().len();
        positions_seen += rows;
        assert_eq!(view.positions, rows);
        assert_eq!(json!(slice(view.instrument.ptr, view.instrument.len)), p["instrument"]);
        assert_eq!(json!(slice(view.side.ptr, view.side.len)), p["side"]);
        assert_eq!(json!(slice(view.time_enter_ns.ptr, view.time_enter_ns.len)), p["time_enter_ns"]);
        assert_eq!(json!(slice(view.time_exit_ns.ptr, view.time_exit_ns.len)), p["time_exit_ns"]);
        for (name, column) in [
            ("quantity", view.quantity),
            ("price_entry", view.price_entry),
            ("price_exit", view.price_exit),
            ("fees", view.fees),
            ("pnl", view.pnl),
        ] {
            let column = text(column);
            assert_eq!(json!(column), p[name], "{name}");
            assert_eq!(if rows == 0 { 0 } else { column.split(' ').count() }, rows, "{name}");
        }
        let e = &whole["equity"];
        assert_eq!(json!(slice(view.equity_time_ns.ptr, view.equity_time_ns.len)), e["time_ns"]);
        assert_eq!(json!(slice(view.equity_value.ptr, view.equity_value.len)), e["value"]);
        assert!(view.equity_time_ns.len > 0);
        // The head: the summary without its columns, the instrument names kept.
        let head: Value = serde_json::from_str(&text(view.head_json)).unwrap();
        let names = whole["positions"]["instruments"].clone();
        let object = whole.as_object_mut().unwrap();
        object.remove("equity");
        object.insert("positions".into(), json!({"instruments": names}));
        assert_eq!(head, whole);
    }
    assert!(positions_seen > 2, "the SmaCross variant must trade: {positions_seen}");
    unsafe {
        barter_summaries_free(summaries);
        for dynamic in dynamics {
            barter_backtest_args_dynamic_free(dynamic);
        }
        barter_strategy_free(sma);
        barter_strategy_free(hold);
    }
}
