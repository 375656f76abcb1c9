//! The same DefaultStrategy backtest run twice: natively with barter's own async
//! `backtest` / `run_backtests` (mock exchange, `HistoricalClock`; the way barter's
//! `examples/backtests_concurrent.rs` sets it up) and through the C ABI, which runs the
//! crate's deterministic driver on barter's `Engine`. The FFI's JSON must equal the native
//! result on every field, except `time_engine_start_ns` / `time_engine_end_ns` (the
//! driver's are exactly the first and last event's; barter's `HistoricalClock` adds
//! elapsed real time, so its start is compared within 5 s), the values of the
//! period-scaled metrics (pnl_return / sharpe / sortino / calmar, whose interval names
//! are compared) and the equity curve (barter has none; the FFI's is checked on its own).
//!
//! The native summary is converted twice: with `barter_ffi::summary::BacktestSummaryWire`
//! and independently, by serialising barter's Decimals here with `to_string` (a
//! `Decimal::MAX` / `MIN` metric as `null`).

mod common;

use barter::backtest::{
    backtest, market_data::BacktestMarketData, market_data::MarketDataInMemory, run_backtests,
    summary::BacktestSummary, BacktestArgsConstant, BacktestArgsDynamic,
};
use barter::engine::state::{
    builder::EngineStateBuilder, global::DefaultGlobalData, instrument::data::DefaultInstrumentMarketData,
    trading::TradingState, EngineState,
};
use barter::risk::DefaultRiskManager;
use barter::statistic::metric::drawdown::{mean::MeanDrawdown, Drawdown};
use barter::statistic::time::{Daily, TimeInterval};
use barter::strategy::DefaultStrategy;
use barter::system::config::{ExecutionConfig, SystemConfig};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::consumer::MarketStreamEvent;
use barter_execution::balance::Balance;
use barter_ffi::ffi::backtest::{
    barter_backtest_args_constant_free, barter_backtest_args_constant_new, barter_backtest_args_dynamic_free,
    barter_backtest_args_dynamic_new, barter_backtest_run, barter_backtest_run_many,
    BarterBacktestArgsConstant, BarterBacktestArgsDynamic, BarterFill,
};
use barter_ffi::ffi::config::{
    barter_system_config_free, barter_system_config_from_json_file, BarterSystemConfig,
};
use barter_ffi::ffi::market_data::{
    barter_market_data_free, barter_market_data_from_json_file, BarterMarketData,
};
use barter_ffi::ffi::summary::{barter_summaries_free, barter_summaries_to_json, BarterSummaries};
use barter_ffi::ffi::{
    barter_bytes_free, barter_error_free, barter_error_message, BarterError, BarterStatus,
};
use barter_ffi::summary::BacktestSummaryWire;
use barter_instrument::{
    asset::{name::AssetNameInternal, ExchangeAsset},
    index::IndexedInstruments,
    instrument::InstrumentIndex,
    Keyed,
};
use common::{backtest_config_path, market_data_path, Ordered, FIRST_EVENT_NS, LAST_EVENT_NS};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use smol_str::SmolStr;
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::Arc;

type State = EngineState<DefaultGlobalData, DefaultInstrumentMarketData>;
type Args = BacktestArgsConstant<MarketDataInMemory<DataKind>, Daily, State>;
type Dynamic = BacktestArgsDynamic<DefaultStrategy<State>, DefaultRiskManager<State>>;

const METRICS_SCALED: [&str; 4] = ["pnl_return", "sharpe_ratio", "sortino_ratio", "calmar_ratio"];
const TIME_START_TOLERANCE_NS: i64 = 5_000_000_000;

// ---------------------------------------------------------------------------------------
// Native side
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct BacktestConfig {
    risk_free_return: Decimal,
    system: SystemConfig,
}

fn load_config() -> BacktestConfig {
    serde_json::from_slice(&std::fs::read(backtest_config_path()).unwrap()).unwrap()
}

/// The recorded stream results (`{"Item": {"Ok": event}}` / `{"Reconnecting": exchange}`)
/// turned into the events barter replays, with barter's own serde types.
fn load_market_events() -> Vec<MarketStreamEvent<InstrumentIndex, DataKind>> {
    let records: Vec<Value> = serde_json::from_slice(&std::fs::read(market_data_path()).unwrap()).unwrap();
    records
        .into_iter()
        .map(|record| {
            let object = record.as_object().unwrap();
            assert_eq!(object.len(), 1);
            let (tag, body) = object.iter().next().unwrap();
            let event = match tag.as_str() {
                "Item" => {
                    json!({ "Item": body.get("Ok").expect("example has no error items").clone() })
                }
                "Reconnecting" => record.clone(),
                other => panic!("unexpected record {other}"),
            };
            serde_json::from_value::<MarketStreamEvent<InstrumentIndex, DataKind>>(event).unwrap()
        })
        .collect()
}

fn native_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn native_args(runtime: &tokio::runtime::Runtime) -> (Arc<Args>, Decimal) {
    let BacktestConfig { risk_free_return, system: SystemConfig { instruments, executions } } = load_config();
    let instruments = IndexedInstruments::new(instruments);
    let events = load_market_events();
    assert_eq!(events.len(), 24);
    let market_data = MarketDataInMemory::new(Arc::new(events));
    let time_engine_start = runtime.block_on(market_data.time_first_event()).unwrap();
    assert_eq!(time_engine_start.timestamp_nanos_opt(), Some(FIRST_EVENT_NS));

    let balances: Vec<Keyed<ExchangeAsset<AssetNameInternal>, Balance>> = executions
        .iter()
        .flat_map(|ExecutionConfig::Mock(mock)| {
            mock.initial_state.balances.iter().map(move |b| Keyed {
                key: ExchangeAsset::new(mock.mocked_exchange, AssetNameInternal::new(b.asset.name().clone())),
                value: b.balance,
            })
        })
        .collect();
    assert_eq!(balances.len(), 4);

    let engine_state =
        EngineStateBuilder::new(&instruments, DefaultGlobalData, |_| DefaultInstrumentMarketData::default())
            .time_engine_start(time_engine_start)
            .trading_state(TradingState::Enabled)
            .balances(balances)
            .build();

    let args = Arc::new(BacktestArgsConstant {
        instruments,
        executions,
        market_data,
        summary_interval: Daily,
        engine_state,
    });
    (args, risk_free_return)
}

fn dynamic(id: &str, risk_free_return: Decimal) -> Dynamic {
    BacktestArgsDynamic {
        id: SmolStr::new(id),
        risk_free_return,
        strategy: DefaultStrategy::default(),
        risk: DefaultRiskManager::default(),
    }
}

// ---------------------------------------------------------------------------------------
// FFI side (the exported C functions, called with raw pointers)
// ---------------------------------------------------------------------------------------

struct Ffi {
    config: *mut BarterSystemConfig,
    market_data: *mut BarterMarketData,
    args: *mut BarterBacktestArgsConstant,
}

fn check(status: BarterStatus, err: *mut BarterError) {
    if status != BarterStatus::Ok {
        // SAFETY: a failed call wrote a live error object.
        let message = unsafe { CStr::from_ptr(barter_error_message(err)) }.to_string_lossy().into_owned();
        unsafe { barter_error_free(err) };
        panic!("{status:?}: {message}");
    }
    assert!(err.is_null());
}

impl Ffi {
    fn new() -> Self {
        let mut err: *mut BarterError = null_mut();
        let config_path = CString::new(backtest_config_path()).unwrap();
        let mut config = null_mut();
        check(
            unsafe { barter_system_config_from_json_file(config_path.as_ptr(), &mut config, &mut err) },
            err,
        );
        let md_path = CString::new(market_data_path()).unwrap();
        let mut market_data = null_mut();
        check(
            unsafe { barter_market_data_from_json_file(md_path.as_ptr(), false, &mut market_data, &mut err) },
            err,
        );
        let daily = CString::new("daily").unwrap();
        let mut args = null_mut();
        check(
            unsafe {
                barter_backtest_args_constant_new(
                    config,
                    market_data,
                    daily.as_ptr(),
                    null(),
                    &mut args,
                    &mut err,
                )
            },
            err,
        );
        Self { config, market_data, args }
    }

    /// The summaries handle's `MultiBacktestSummary` JSON; frees the handle.
    fn take_json(summaries: *mut BarterSummaries) -> (Value, Ordered) {
        let (mut ptr, mut len, mut err) = (null_mut(), 0usize, null_mut());
        check(unsafe { barter_summaries_to_json(summaries, &mut ptr, &mut len, &mut err) }, err);
        // SAFETY: a buffer of `len` bytes handed out by the library, freed once here.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
        unsafe {
            barter_bytes_free(ptr, len);
            barter_summaries_free(summaries);
        }
        (serde_json::from_slice(&bytes).unwrap(), Ordered::parse(&bytes))
    }

    /// Dynamic arguments with the default strategy (NULL), fill next, close at end.
    fn dynamic(id: &str, risk_free_return: &str) -> *mut BarterBacktestArgsDynamic {
        let id = CString::new(id).unwrap();
        let rfr = CString::new(risk_free_return).unwrap();
        let (mut out, mut err) = (null_mut(), null_mut());
        check(
            unsafe {
                barter_backtest_args_dynamic_new(
                    id.as_ptr(),
                    rfr.as_ptr(),
                    null(),
                    BarterFill::Next,
                    true,
                    &mut out,
                    &mut err,
                )
            },
            err,
        );
        out
    }

    fn run(&self, id: &str, risk_free_return: &str) -> (Value, Ordered) {
        let dynamic = Self::dynamic(id, risk_free_return);
        let (mut out, mut err) = (null_mut(), null_mut());
        check(unsafe { barter_backtest_run(self.args, dynamic, null(), &mut out, &mut err) }, err);
        unsafe { barter_backtest_args_dynamic_free(dynamic) };
        let (value, ordered) = Self::take_json(out);
        (value["summaries"][0].clone(), ordered.get("summaries").at(0).clone())
    }

    fn run_many(&self, specs: &[(&str, &str)]) -> (Value, Ordered) {
        let handles: Vec<*const BarterBacktestArgsDynamic> =
            specs.iter().map(|(id, rfr)| Self::dynamic(id, rfr) as *const _).collect();
        let (mut out, mut err) = (null_mut(), null_mut());
        check(
            unsafe {
                barter_backtest_run_many(
                    self.args,
                    handles.as_ptr(),
                    handles.len(),
                    0,
                    null(),
                    null(),
                    &mut out,
                    &mut err,
                )
            },
            err,
        );
        for handle in handles {
            unsafe { barter_backtest_args_dynamic_free(handle as *mut _) };
        }
        Self::take_json(out)
    }
}

impl Drop for Ffi {
    fn drop(&mut self) {
        // SAFETY: made in `new`, freed once here.
        unsafe {
            barter_backtest_args_constant_free(self.args);
            barter_market_data_free(self.market_data);
            barter_system_config_free(self.config);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Independent conversion of a native summary
// ---------------------------------------------------------------------------------------

fn ns(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_nanos_opt().expect("time fits i64 ns")
}

fn drawdown(d: Option<&Drawdown>) -> Value {
    d.map_or(Value::Null, |d| {
        json!({"value": d.value.to_string(), "time_start_ns": ns(d.time_start), "time_end_ns": ns(d.time_end)})
    })
}

fn mean_drawdown(d: Option<&MeanDrawdown>) -> Value {
    d.map_or(
        Value::Null,
        |d| json!({"mean_drawdown": d.mean_drawdown.to_string(), "mean_drawdown_ms": d.mean_drawdown_ms}),
    )
}

/// The native summary as the wire JSON, written here from barter's fields, plus the
/// instrument and asset keys in barter's map order.
fn expected_json(summary: &BacktestSummary<Daily>) -> (Value, Vec<String>, Vec<String>) {
    let ts = &summary.trading_summary;
    let mut instruments = serde_json::Map::new();
    let mut instrument_keys = Vec::new();
    for (name, sheet) in &ts.instruments {
        let defined = |value: Decimal| {
            if value == Decimal::MAX || value == Decimal::MIN {
                Value::Null
            } else {
                json!(value.to_string())
            }
        };
        let metric = |value: Decimal, interval: Daily| json!({"value": defined(value), "interval": interval.name().as_str()});
        instrument_keys.push(name.name().to_string());
        instruments.insert(
            name.name().to_string(),
            json!({
                "pnl": sheet.pnl.to_string(),
                "pnl_return": metric(sheet.pnl_return.value, sheet.pnl_return.interval),
                "sharpe_ratio": metric(sheet.sharpe_ratio.value, sheet.sharpe_ratio.interval),
                "sortino_ratio": metric(sheet.sortino_ratio.value, sheet.sortino_ratio.interval),
                "calmar_ratio": metric(sheet.calmar_ratio.value, sheet.calmar_ratio.interval),
                "pnl_drawdown": drawdown(sheet.pnl_drawdown.as_ref()),
                "pnl_drawdown_mean": mean_drawdown(sheet.pnl_drawdown_mean.as_ref()),
                "pnl_drawdown_max": drawdown(sheet.pnl_drawdown_max.as_ref().map(|m| &m.0)),
                "win_rate": sheet.win_rate.as_ref().map_or(Value::Null, |w| json!({"value": defined(w.value)})),
                "profit_factor": sheet.profit_factor.as_ref().map_or(Value::Null, |p| json!({"value": defined(p.value)})),
            }),
        );
    }
    let mut assets = serde_json::Map::new();
    let mut asset_keys = Vec::new();
    for (key, sheet) in &ts.assets {
        let name = format!("{}:{}", key.exchange.as_str(), key.asset.name());
        asset_keys.push(name.clone());
        assets.insert(
            name,
            json!({
                "balance_end": sheet.balance_end.as_ref().map_or(Value::Null, |b| {
                    json!({"total": b.total.to_string(), "free": b.free.to_string()})
                }),
                "drawdown": drawdown(sheet.drawdown.as_ref()),
                "drawdown_mean": mean_drawdown(sheet.drawdown_mean.as_ref()),
                "drawdown_max": drawdown(sheet.drawdown_max.as_ref().map(|m| &m.0)),
            }),
        );
    }
    let value = json!({
        "id": summary.id.as_str(),
        "risk_free_return": summary.risk_free_return.to_string(),
        "trading_summary": {
            "time_engine_start_ns": ns(ts.time_engine_start),
            "time_engine_end_ns": ns(ts.time_engine_end),
            "instruments": instruments,
            "assets": assets,
        },
        // What a barter summary stands for on the wire: the default strategy.
        "strategy": {"name": "default", "params": {}},
        "fill": "next",
        "close_at_end": true,
        "rejected_orders": 0,
        "positions": {"instruments": [], "instrument": [], "side": [], "quantity": "", "price_entry": "",
                      "price_exit": "", "fees": "", "pnl": "", "time_enter_ns": [], "time_exit_ns": []},
        "equity": {"time_ns": [], "value": []},
    });
    (value, instrument_keys, asset_keys)
}

// ---------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------

/// Removes what may legitimately differ between the two and returns it:
/// (time_engine_start_ns, time_engine_end_ns, [(instrument, metric, value or null)]).
/// The equity curve is dropped (barter has none).
#[allow(clippy::type_complexity)]
fn strip_run_dependent(summary: &mut Value) -> (i64, i64, Vec<(String, String, Option<String>)>) {
    summary.as_object_mut().unwrap().remove("equity").expect("equity present");
    let ts = summary["trading_summary"].as_object_mut().unwrap();
    let end = ts.remove("time_engine_end_ns").expect("time_engine_end_ns present").as_i64().unwrap();
    let start = ts.remove("time_engine_start_ns").expect("time_engine_start_ns present").as_i64().unwrap();
    let mut values = Vec::new();
    for (name, sheet) in ts["instruments"].as_object_mut().unwrap() {
        for metric in METRICS_SCALED {
            let value = sheet[metric].as_object_mut().unwrap().remove("value").expect("metric value");
            values.push((name.clone(), metric.to_owned(), value.as_str().map(str::to_owned)));
        }
    }
    (start, end, values)
}

/// Asserts the FFI summary equals the native one (both conversions of it).
fn assert_matches_native(ffi: &Value, ffi_ordered: &Ordered, native: &BacktestSummary<Daily>) {
    let via_wire = serde_json::to_value(BacktestSummaryWire::from(native)).unwrap();
    let (independent, instrument_keys, asset_keys) = expected_json(native);

    // The crate's conversion and the one written here agree exactly (same run).
    assert_eq!(via_wire, independent, "BacktestSummaryWire::from(native) vs independent conversion");

    // Key order as barter's maps have it.
    let ts_ordered = ffi_ordered.get("trading_summary");
    assert_eq!(ts_ordered.get("instruments").keys(), instrument_keys);
    assert_eq!(ts_ordered.get("assets").keys(), asset_keys);
    let wire_text = serde_json::to_vec(&BacktestSummaryWire::from(native)).unwrap();
    let wire_ordered = Ordered::parse(&wire_text);
    assert_eq!(wire_ordered.get("trading_summary").get("instruments").keys(), instrument_keys);
    assert_eq!(wire_ordered.get("trading_summary").get("assets").keys(), asset_keys);
    assert_eq!(instrument_keys.len(), 3);
    assert_eq!(asset_keys.len(), 4);

    // The FFI's equity curve: one point per item, the usdt balance throughout.
    let times = ffi["equity"]["time_ns"].as_array().unwrap();
    assert_eq!(times.len(), 21);
    assert!(ffi["equity"]["value"].as_array().unwrap().iter().all(|v| v.as_f64() == Some(10000.0)));

    let mut ffi = ffi.clone();
    let mut native_value = independent;
    let (ffi_start, ffi_end, ffi_metrics) = strip_run_dependent(&mut ffi);
    let (native_start, native_end, native_metrics) = strip_run_dependent(&mut native_value);
    assert_eq!(ffi, native_value, "FFI summary vs native summary (run-dependent fields removed)");

    // Times: the driver's are exactly the first and last event's; barter's start drifts
    // with wall-clock time, its end is wall-clock dependent.
    assert_eq!((ffi_start, ffi_end), (FIRST_EVENT_NS, LAST_EVENT_NS));
    assert!(native_start >= FIRST_EVENT_NS, "{native_start}");
    assert!(native_start - FIRST_EVENT_NS < TIME_START_TOLERANCE_NS, "{native_start}");
    assert!(native_end >= native_start);

    // Scaled metrics: same instruments and metrics; values are Display-form decimals or
    // null on both sides together (undefined does not depend on the period).
    let shape = |m: &[(String, String, Option<String>)]| {
        m.iter().map(|(i, k, v)| (i.clone(), k.clone(), v.is_some())).collect::<Vec<_>>()
    };
    assert_eq!(shape(&ffi_metrics), shape(&native_metrics));
    for (instrument, metric, value) in ffi_metrics {
        if let Some(value) = value {
            let parsed: Decimal =
                value.parse().unwrap_or_else(|e| panic!("{instrument}.{metric} = {value}: {e}"));
            assert_eq!(parsed.to_string(), value, "{instrument}.{metric}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn single_backtest_matches_native() {
    let runtime = native_runtime();
    let (args, risk_free_return) = native_args(&runtime);
    assert_eq!(risk_free_return.to_string(), "0.05");
    let native = runtime.block_on(backtest(Arc::clone(&args), dynamic("single", risk_free_return))).unwrap();

    // Sanity of the native run itself: the default strategy never trades.
    assert_eq!(native.trading_summary.instruments.len(), 3);
    assert!(native.trading_summary.instruments.values().all(|sheet| sheet.pnl.is_zero()));
    let usdt = native
        .trading_summary
        .assets
        .iter()
        .find(|(k, _)| k.asset.name() == "usdt")
        .map(|(_, sheet)| sheet.balance_end.unwrap())
        .unwrap();
    assert_eq!(usdt.total.to_string(), "10000");

    let ffi = Ffi::new();
    let (value, ordered) = ffi.run("single", &risk_free_return.to_string());
    assert_matches_native(&value, &ordered, &native);
    assert_eq!(value["id"], json!("single"));
    assert_eq!(value["risk_free_return"], json!("0.05"));
}

#[test]
fn run_backtests_of_three_match_native() {
    let runtime = native_runtime();
    let (args, _) = native_args(&runtime);
    let specs = [("first", "0.05"), ("second", "0"), ("third", "0.0123456789012345678901234567")];
    let dynamics: Vec<Dynamic> = specs.iter().map(|(id, rfr)| dynamic(id, rfr.parse().unwrap())).collect();
    let native = runtime.block_on(run_backtests(Arc::clone(&args), dynamics)).unwrap();
    assert_eq!(native.num_backtests, 3);

    let ffi = Ffi::new();
    let (value, ordered) = ffi.run_many(&specs);
    assert_eq!(ordered.keys(), ["num_backtests", "duration_ns", "summaries"]);
    assert_eq!(value["num_backtests"], json!(native.num_backtests));
    assert!(value["duration_ns"].as_i64().unwrap() > 0);
    let summaries = value["summaries"].as_array().unwrap();
    assert_eq!(summaries.len(), native.summaries.len());
    for (i, (ffi_summary, native_summary)) in summaries.iter().zip(&native.summaries).enumerate() {
        assert_eq!(ffi_summary["id"], json!(specs[i].0));
        assert_eq!(native_summary.id, specs[i].0);
        assert_eq!(ffi_summary["risk_free_return"], json!(specs[i].1));
        assert_matches_native(ffi_summary, ordered.get("summaries").at(i), native_summary);
    }

    // The single-run path gives the same as each member of the batch.
    for (i, (id, rfr)) in specs.iter().enumerate() {
        let (single, single_ordered) = ffi.run(id, rfr);
        assert_matches_native(&single, &single_ordered, &native.summaries[i]);
    }
}

#[test]
fn native_market_events_match_the_ffi_rows() {
    // The FFI parsed the same events barter's serde reads from the same file.
    let events = load_market_events();
    let ffi = Ffi::new();
    let (mut ptr, mut len, mut err) = (null_mut(), 0usize, null_mut());
    check(
        unsafe {
            barter_ffi::ffi::market_data::barter_market_data_events_json(
                ffi.market_data,
                0,
                usize::MAX,
                &mut ptr,
                &mut len,
                &mut err,
            )
        },
        err,
    );
    // SAFETY: a buffer of `len` bytes handed out by the library, freed once here.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    unsafe { barter_bytes_free(ptr, len) };
    let rows: Value = serde_json::from_slice(&bytes).unwrap();
    let items: Vec<&MarketEvent<InstrumentIndex, DataKind>> = events
        .iter()
        .filter_map(|e| match e {
            MarketStreamEvent::Item(event) => Some(event),
            MarketStreamEvent::Reconnecting(_) => None,
        })
        .collect();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), items.len());
    for (row, event) in rows.iter().zip(items) {
        assert_eq!(row[0].as_i64().unwrap(), ns(event.time_exchange));
        assert_eq!(row[1].as_i64().unwrap(), ns(event.time_received));
        assert_eq!(row[2], serde_json::to_value(event.exchange).unwrap());
        assert_eq!(row[3].as_u64().unwrap() as usize, event.instrument.index());
        assert_eq!(row[4], serde_json::to_value(&event.kind).unwrap());
    }
}
