//! `barter_pyo3_twin`: a benchmark-only PyO3 binding over the same `barter_ffi` domain
//! functions that barter_cy reaches through its C ABI and Cython, so that
//! `bench/bench_vs_pyo3.py` compares the two bindings and nothing else.
//!
//! Every operation calls the function the C ABI calls (`market_data::load_file`,
//! `config::load_file`, `backtest::build_args_constant`, `backtest::build_args_dynamic`,
//! `strategy::Strategy::from_name`, `backtest::run_one` / `run_many` and the summaries'
//! `to_json`), releases the GIL (`Python::detach`) wherever barter_cy releases it around
//! a Rust call, and returns what barter_cy's handles return (the summary JSON bytes,
//! parsed into barter_cy's own summary classes by the caller). The Python-facing classes
//! are plain `#[pyclass]`es: what a PyO3 binding of these types would naturally be.
//! Never part of barter_cy's `pip install .`; build with `bench/pyo3_twin/build.sh`.

use barter_data::event::DataKind as RustDataKind;
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_ffi::backtest::{
    build_args_constant, build_args_dynamic, run_many, run_one, ArgsConstant, ArgsDynamic,
    BalanceOverride, SummaryInterval,
};
use barter_ffi::engine::Fill;
use barter_ffi::error::{BarterStatus, FfiError};
use barter_ffi::market_data::{to_ns, MarketData, RecordRef};
use barter_ffi::strategy::Strategy;
use barter_instrument::exchange::ExchangeId;
use chrono::{DateTime, Utc};
use pyo3::exceptions::{
    PyFileNotFoundError, PyNotImplementedError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyList, PyString};
use std::path::PathBuf;
use std::sync::Arc;

/// The Python exception for a domain error, with barter_cy's mapping of statuses.
fn py_err(error: FfiError) -> PyErr {
    match error.status {
        BarterStatus::InvalidInput | BarterStatus::NullPointer => PyValueError::new_err(error.message),
        BarterStatus::NotFound => PyFileNotFoundError::new_err(error.message),
        BarterStatus::Io => PyOSError::new_err(error.message),
        BarterStatus::Panic => pyo3::panic::PanicException::new_err(error.message),
        _ => PyRuntimeError::new_err(error.message),
    }
}

fn path_str(path: &PathBuf) -> PyResult<&str> {
    path.to_str().ok_or_else(|| PyValueError::new_err(format!("path is not valid UTF-8: {path:?}")))
}

/// A tz-aware UTC `datetime` (microseconds, floored) from nanoseconds since the epoch.
fn datetime<'py>(py: Python<'py>, ns: i64) -> PyResult<Bound<'py, PyAny>> {
    Ok(DateTime::<Utc>::from_timestamp_nanos(ns).into_pyobject(py)?.into_any())
}

/// A decimal as barter_cy sends it: `str` as is, `float` through its `repr`, anything
/// else (`Decimal`, `int`) through `str()`; rust_decimal parses it.
fn decimal_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_str()?.to_owned());
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(value.repr()?.to_str()?.to_owned());
    }
    Ok(value.str()?.to_str()?.to_owned())
}

fn py_decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("decimal")?.getattr("Decimal")?.call1((text,))
}

// -- market data -------------------------------------------------------------------------

/// Market data held in Rust (barter_ffi's `MarketData`: records behind an `Arc`).
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct MarketDataInMemory {
    inner: MarketData,
}

#[pymethods]
impl MarketDataInMemory {
    /// Reads and parses a market data file (either shape) with the GIL released.
    #[staticmethod]
    #[pyo3(signature = (path, *, skip_errors = false))]
    fn from_json_file(py: Python<'_>, path: PathBuf, skip_errors: bool) -> PyResult<Self> {
        let path = path_str(&path)?;
        let inner = py.detach(|| barter_ffi::market_data::load_file(path, skip_errors)).map_err(py_err)?;
        Ok(Self { inner })
    }

    /// All records, reconnect markers included.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn item_count(&self) -> usize {
        self.inner.item_count
    }

    #[getter]
    fn time_first_event_ns(&self) -> i64 {
        self.inner.time_first_event_ns
    }

    /// `time_exchange` of the first item: a new tz-aware UTC `datetime` on each access.
    #[getter]
    fn time_first_event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.inner.time_first_event_ns)
    }

    /// All items as `MarketEvent` objects in file order (reconnect markers skipped). Like
    /// barter_cy's `events()`: trades built straight from the Rust records (trade id as a
    /// `str`, one `str` per exchange shared), other kinds through their serde JSON, and
    /// the cyclic GC paused while the objects are made.
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let _paused = GcPaused::new();
        let json_loads = py.import("json")?.getattr("loads")?;
        let mut exchanges: Vec<(ExchangeId, Py<PyString>)> = Vec::new();
        let mut out: Vec<Py<MarketEvent>> = Vec::with_capacity(self.inner.item_count);
        let side = |side| match side {
            barter_instrument::Side::Buy => Side::Buy,
            barter_instrument::Side::Sell => Side::Sell,
        };
        for record in self.inner.iter() {
            // (time_exchange_ns, time_received_ns, exchange, instrument, kind)
            let (time_exchange_ns, time_received_ns, exchange_id, instrument, kind) = match record {
                RecordRef::Record(ReconnectEvent::Item(event)) => {
                    let kind = match &event.kind {
                        RustDataKind::Trade(trade) => {
                            let value = Py::new(
                                py,
                                PublicTrade {
                                    id: PyString::new(py, &trade.id).unbind(),
                                    price: trade.price,
                                    amount: trade.amount,
                                    side: side(trade.side),
                                },
                            )?;
                            DataKind { kind_name: "public_trade", value: value.into_any() }
                        }
                        other => {
                            let kind_name = match other {
                                RustDataKind::OrderBookL1(_) => "l1",
                                RustDataKind::OrderBook(_) => "l2",
                                RustDataKind::Candle(_) => "candle",
                                _ => "liquidation",
                            };
                            let text = serde_json::to_string(other)
                                .map_err(|e| PyRuntimeError::new_err(format!("serialising an event: {e}")))?;
                            DataKind { kind_name, value: json_loads.call1((text,))?.unbind() }
                        }
                    };
                    (to_ns(event.time_exchange), to_ns(event.time_received), event.exchange, event.instrument.index(), kind)
                }
                RecordRef::Trade(trade) => {
                    let value = Py::new(
                        py,
                        PublicTrade {
                            id: PyString::new(py, trade.id).unbind(),
                            price: trade.price,
                            amount: trade.amount,
                            side: side(trade.side),
                        },
                    )?;
                    let kind = DataKind { kind_name: "public_trade", value: value.into_any() };
                    (trade.time_exchange_ns, trade.time_received_ns, trade.exchange, trade.instrument, kind)
                }
                _ => continue,
            };
            let exchange = match exchanges.iter().find(|(id, _)| *id == exchange_id) {
                Some((_, name)) => name.clone_ref(py),
                None => {
                    let name = PyString::new(py, exchange_id.as_str()).unbind();
                    exchanges.push((exchange_id, name.clone_ref(py)));
                    name
                }
            };
            out.push(Py::new(
                py,
                MarketEvent { time_exchange_ns, time_received_ns, exchange, instrument, kind: Py::new(py, kind)? },
            )?);
        }
        PyList::new(py, out)
    }

    fn __repr__(&self) -> String {
        format!("MarketDataInMemory(records={}, items={})", self.inner.len(), self.inner.item_count)
    }
}

/// Disables Python's cyclic GC for its lifetime (re-enabling it only if it was on).
struct GcPaused(bool);

impl GcPaused {
    fn new() -> Self {
        // SAFETY: called with the GIL held (from a #[pymethods] body).
        Self(unsafe { pyo3::ffi::PyGC_Disable() } != 0)
    }
}

impl Drop for GcPaused {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: dropped in the same GIL-holding scope it was made in.
            unsafe { pyo3::ffi::PyGC_Enable() };
        }
    }
}

/// Trade side.
#[pyclass(eq, eq_int, frozen, module = "barter_pyo3_twin")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    #[pyo3(name = "BUY")]
    Buy,
    #[pyo3(name = "SELL")]
    Sell,
}

#[pymethods]
impl Side {
    /// `BUY` / `SELL`, as the enum member names of barter_cy's `Side`.
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// `Buy` / `Sell`, barter's serde names (barter_cy's `Side.value`).
    #[getter]
    fn value(&self) -> &'static str {
        match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
        }
    }
}

/// barter `PublicTrade { id, price: f64, amount: f64, side }`.
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct PublicTrade {
    id: Py<PyString>,
    price: f64,
    amount: f64,
    side: Side,
}

#[pymethods]
impl PublicTrade {
    #[getter]
    fn id(&self, py: Python<'_>) -> Py<PyString> {
        self.id.clone_ref(py)
    }
    #[getter]
    fn price(&self) -> f64 {
        self.price
    }
    #[getter]
    fn amount(&self) -> f64 {
        self.amount
    }
    #[getter]
    fn side(&self) -> Side {
        self.side
    }
}

/// barter `DataKind`: `kind_name` (`public_trade`, `l1`, `l2`, `candle`, `liquidation`)
/// and the payload `value`.
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct DataKind {
    kind_name: &'static str,
    value: Py<PyAny>,
}

#[pymethods]
impl DataKind {
    #[getter]
    fn kind_name(&self) -> &'static str {
        self.kind_name
    }
    #[getter]
    fn value(&self, py: Python<'_>) -> Py<PyAny> {
        self.value.clone_ref(py)
    }
}

/// barter `MarketEvent<InstrumentIndex, DataKind>`; times kept as nanoseconds, turned
/// into `datetime` on access (as barter_cy does).
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct MarketEvent {
    time_exchange_ns: i64,
    time_received_ns: i64,
    exchange: Py<PyString>,
    instrument: usize,
    kind: Py<DataKind>,
}

#[pymethods]
impl MarketEvent {
    #[getter]
    fn time_exchange<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.time_exchange_ns)
    }
    #[getter]
    fn time_exchange_ns(&self) -> i64 {
        self.time_exchange_ns
    }
    #[getter]
    fn time_received<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.time_received_ns)
    }
    #[getter]
    fn time_received_ns(&self) -> i64 {
        self.time_received_ns
    }
    #[getter]
    fn exchange(&self, py: Python<'_>) -> Py<PyString> {
        self.exchange.clone_ref(py)
    }
    #[getter]
    fn instrument(&self) -> usize {
        self.instrument
    }
    #[getter]
    fn kind(&self, py: Python<'_>) -> Py<DataKind> {
        self.kind.clone_ref(py)
    }
}

// -- config ------------------------------------------------------------------------------

/// barter's `SystemConfig` with its indexed instruments (barter_ffi's `Config`).
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct SystemConfig {
    inner: barter_ffi::config::Config,
}

#[pymethods]
impl SystemConfig {
    /// Reads and parses a config file with the GIL released.
    #[staticmethod]
    fn from_json(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let path = path_str(&path)?;
        let inner = py.detach(|| barter_ffi::config::load_file(path)).map_err(py_err)?;
        Ok(Self { inner })
    }

    #[getter]
    fn instrument_count(&self) -> usize {
        self.inner.instruments.instruments().len()
    }

    #[getter]
    fn instrument_names(&self) -> Vec<String> {
        self.inner.instrument_names()
    }
}

// -- strategies --------------------------------------------------------------------------

/// Base of the built-in strategies: the validated Rust strategy.
#[pyclass(subclass, frozen, module = "barter_pyo3_twin")]
pub struct BuiltinStrategy {
    inner: Strategy,
}

fn strategy(name: &str, params: serde_json::Value) -> PyResult<BuiltinStrategy> {
    let text = params.to_string();
    let inner = Strategy::from_name(name, Some(&text)).map_err(py_err)?;
    Ok(BuiltinStrategy { inner })
}

#[pymethods]
impl BuiltinStrategy {
    #[getter]
    fn name(&self) -> String {
        self.inner.name()
    }
}

/// SMA crossover (same parameters and validation as barter_cy's `SmaCross`).
#[pyclass(extends = BuiltinStrategy, frozen, module = "barter_pyo3_twin")]
pub struct SmaCross;

#[pymethods]
impl SmaCross {
    #[new]
    fn new(fast: usize, slow: usize, quantity: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        let params = serde_json::json!({"fast": fast, "slow": slow, "quantity": decimal_text(quantity)?});
        Ok(PyClassInitializer::from(strategy("sma_cross", params)?).add_subclass(SmaCross))
    }
}

/// Buy and hold (same parameters and validation as barter_cy's `BuyAndHold`).
#[pyclass(extends = BuiltinStrategy, frozen, module = "barter_pyo3_twin")]
pub struct BuyAndHold;

#[pymethods]
impl BuyAndHold {
    #[new]
    fn new(quantity: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        let params = serde_json::json!({"quantity": decimal_text(quantity)?});
        Ok(PyClassInitializer::from(strategy("buy_and_hold", params)?).add_subclass(BuyAndHold))
    }
}

// -- backtest arguments ------------------------------------------------------------------

/// The constant backtest arguments, built and validated by `build_args_constant` with
/// the GIL released.
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct BacktestArgsConstant {
    inner: Arc<ArgsConstant>,
    system_config: Py<SystemConfig>,
    market_data: Py<MarketDataInMemory>,
}

fn balance_overrides(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<BalanceOverride>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (index, entry) in value.try_iter()?.enumerate() {
        let entry = entry?;
        let text = |key: &str| -> PyResult<String> {
            let item = entry
                .get_item(key)
                .map_err(|_| PyValueError::new_err(format!("initial_balances[{index}] is missing {key}")))?;
            decimal_text(&item)
        };
        out.push(BalanceOverride {
            exchange: text("exchange")?,
            asset: text("asset")?,
            total: text("total")?,
            free: text("free")?,
        });
    }
    Ok(out)
}

#[pymethods]
impl BacktestArgsConstant {
    #[new]
    #[pyo3(signature = (system_config, market_data, summary_interval = "daily", initial_balances = None))]
    fn new(
        py: Python<'_>,
        system_config: Py<SystemConfig>,
        market_data: Py<MarketDataInMemory>,
        summary_interval: &str,
        initial_balances: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let overrides = balance_overrides(initial_balances)?;
        let config = &system_config.get().inner;
        let data = &market_data.get().inner;
        let args = py
            .detach(|| {
                let interval = SummaryInterval::parse(summary_interval)?;
                build_args_constant(config, data, interval, &overrides)
            })
            .map_err(py_err)?;
        Ok(Self { inner: Arc::new(args), system_config, market_data })
    }

    #[getter]
    fn summary_interval(&self) -> &'static str {
        self.inner.summary_interval.key()
    }

    #[getter]
    fn instrument_count(&self) -> usize {
        self.inner.instruments.instruments().len()
    }

    #[getter]
    fn system_config(&self, py: Python<'_>) -> Py<SystemConfig> {
        self.system_config.clone_ref(py)
    }

    #[getter]
    fn market_data(&self, py: Python<'_>) -> Py<MarketDataInMemory> {
        self.market_data.clone_ref(py)
    }
}

/// The arguments of one backtest, validated by `build_args_dynamic` with the GIL
/// released.
#[pyclass(frozen, module = "barter_pyo3_twin")]
pub struct BacktestArgsDynamic {
    inner: ArgsDynamic,
    strategy: Option<Py<BuiltinStrategy>>,
}

#[pymethods]
impl BacktestArgsDynamic {
    #[new]
    #[pyo3(signature = (id, risk_free_return, strategy = None, risk = None, fill = "next", close_at_end = true))]
    fn new(
        py: Python<'_>,
        id: &str,
        risk_free_return: &Bound<'_, PyAny>,
        strategy: Option<Py<BuiltinStrategy>>,
        risk: Option<&Bound<'_, PyAny>>,
        fill: &str,
        close_at_end: bool,
    ) -> PyResult<Self> {
        if risk.is_some_and(|r| !r.is_none()) {
            return Err(PyNotImplementedError::new_err("custom risk managers are not supported; pass risk=None"));
        }
        let fill = match fill {
            "next" => Fill::Next,
            "signal" => Fill::Signal,
            other => return Err(PyValueError::new_err(format!("fill must be one of next, signal, got {other:?}"))),
        };
        let rfr = decimal_text(risk_free_return)?;
        let rust_strategy = strategy.as_ref().map(|s| s.get().inner.clone());
        let inner = py
            .detach(|| build_args_dynamic(id, &rfr, rust_strategy, fill, close_at_end))
            .map_err(py_err)?;
        Ok(Self { inner, strategy })
    }

    #[getter]
    fn id(&self) -> &str {
        self.inner.id.as_str()
    }

    #[getter]
    fn risk_free_return<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_decimal(py, &self.inner.risk_free_return.to_string())
    }

    #[getter]
    fn strategy(&self, py: Python<'_>) -> Option<Py<BuiltinStrategy>> {
        self.strategy.as_ref().map(|s| s.clone_ref(py))
    }

    #[getter]
    fn fill(&self) -> &'static str {
        self.inner.fill.key()
    }

    #[getter]
    fn close_at_end(&self) -> bool {
        self.inner.close_at_end
    }
}

// -- runs --------------------------------------------------------------------------------

/// One backtest with the GIL released; the `BacktestSummary` JSON bytes (the same bytes
/// `barter_backtest_run` writes).
#[pyfunction]
fn backtest<'py>(
    py: Python<'py>,
    args_constant: &Bound<'py, BacktestArgsConstant>,
    args_dynamic: &Bound<'py, BacktestArgsDynamic>,
) -> PyResult<Bound<'py, PyBytes>> {
    let args = &args_constant.get().inner;
    let dynamic = &args_dynamic.get().inner;
    let json = py.detach(|| run_one(args, dynamic).and_then(|summary| summary.to_json())).map_err(py_err)?;
    Ok(PyBytes::new(py, &json))
}

/// Backtests on Rust threads (`max_concurrent` None: one per core) with the GIL
/// released for the whole batch; the `MultiBacktestSummary` JSON bytes (the same bytes
/// `barter_backtest_run_many` writes).
#[pyfunction]
#[pyo3(signature = (args_constant, args_dynamic_iter, *, max_concurrent = None))]
fn run_backtests<'py>(
    py: Python<'py>,
    args_constant: &Bound<'py, BacktestArgsConstant>,
    args_dynamic_iter: &Bound<'py, PyAny>,
    max_concurrent: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let args = &args_constant.get().inner;
    let mut dynamics = Vec::new();
    for (index, item) in args_dynamic_iter.try_iter()?.enumerate() {
        let item = item?;
        let dynamic = item.cast::<BacktestArgsDynamic>().map_err(|_| {
            PyTypeError::new_err(format!(
                "args_dynamic_iter[{index}] must be BacktestArgsDynamic, got {}",
                item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?;
        dynamics.push(dynamic.get().inner.clone());
    }
    let limit = max_concurrent.unwrap_or(0);
    let json =
        py.detach(|| run_many(args, &dynamics, limit).and_then(|summary| summary.to_json())).map_err(py_err)?;
    Ok(PyBytes::new(py, &json))
}

#[pymodule]
fn barter_pyo3_twin(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MarketDataInMemory>()?;
    m.add_class::<MarketEvent>()?;
    m.add_class::<DataKind>()?;
    m.add_class::<PublicTrade>()?;
    m.add_class::<Side>()?;
    m.add_class::<SystemConfig>()?;
    m.add_class::<BuiltinStrategy>()?;
    m.add_class::<SmaCross>()?;
    m.add_class::<BuyAndHold>()?;
    m.add_class::<BacktestArgsConstant>()?;
    m.add_class::<BacktestArgsDynamic>()?;
    m.add_function(wrap_pyfunction!(backtest, m)?)?;
    m.add_function(wrap_pyfunction!(run_backtests, m)?)?;
    Ok(())
}
