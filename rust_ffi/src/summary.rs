//! Serde structs of our own for summaries crossing the boundary (barter's
//! `TradingSummary` has a map with struct keys serde_json refuses, and `BacktestSummary`
//! / `MultiBacktestSummary` are not `Serialize`). Decimals are written with their
//! `Display` form as strings, so every digit barter computed survives; times are i64
//! nanoseconds since the Unix epoch (UTC). A metric barter leaves at `Decimal::MAX` /
//! `Decimal::MIN` (a ratio over σ = 0, a profit factor without losses...) is undefined:
//! its `"value"` is `null`. Closed positions and the equity curve are columns
//! ([`PositionColumns`], [`EquityWire`]): across the C ABI they are read in place
//! (`barter_summaries_get`) and only the small head is JSON.

use crate::backtest::ArgsDynamic;
use crate::engine::{ClosedPosition, EquityCurve, Fill, RunOutput};
use crate::error::{FfiError, FfiResult};
use crate::market_data::to_ns;
use crate::strategy::params::StrategyDescription;
use crate::strategy::Strategy;
use barter::backtest::summary::{BacktestSummary, MultiBacktestSummary};
use barter::statistic::{
    metric::drawdown::{max::MaxDrawdown, mean::MeanDrawdown, Drawdown},
    summary::{asset::TearSheetAsset, instrument::TearSheet, TradingSummary},
    time::TimeInterval,
};
use barter_execution::balance::Balance;
use barter_instrument::Side;
use rust_decimal::Decimal;
use serde::Serialize;

/// A Decimal as its exact string form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DecimalString(pub String);

impl From<Decimal> for DecimalString {
    fn from(value: Decimal) -> Self {
        Self(value.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricWire {
    /// `None` (JSON `null`) when barter left the metric at `Decimal::MAX` / `MIN`.
    pub value: Option<DecimalString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
}

/// `None` for barter's stand-ins for an undefined metric (`Decimal::MAX` / `MIN`).
pub fn defined(value: Decimal) -> Option<DecimalString> {
    (value != Decimal::MAX && value != Decimal::MIN).then(|| value.into())
}

impl MetricWire {
    fn with_interval(value: Decimal, interval: impl TimeInterval) -> Self {
        Self { value: defined(value), interval: Some(interval.name().to_string()) }
    }
    fn plain(value: Decimal) -> Self {
        Self { value: defined(value), interval: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawdownWire {
    pub value: DecimalString,
    pub time_start_ns: i64,
    pub time_end_ns: i64,
}

impl From<&Drawdown> for DrawdownWire {
    fn from(d: &Drawdown) -> Self {
        Self { value: d.value.into(), time_start_ns: to_ns(d.time_start), time_end_ns: to_ns(d.time_end) }
    }
}

impl From<&MaxDrawdown> for DrawdownWire {
    fn from(d: &MaxDrawdown) -> Self {
        Self::from(&d.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanDrawdownWire {
    pub mean_drawdown: DecimalString,
    pub mean_drawdown_ms: i64,
}

impl From<&MeanDrawdown> for MeanDrawdownWire {
    fn from(d: &MeanDrawdown) -> Self {
        Self { mean_drawdown: d.mean_drawdown.into(), mean_drawdown_ms: d.mean_drawdown_ms }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceWire {
    pub total: DecimalString,
    pub free: DecimalString,
}

impl From<&Balance> for BalanceWire {
    fn from(b: &Balance) -> Self {
        Self { total: b.total.into(), free: b.free.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TearSheetWire {
    pub pnl: DecimalString,
    pub pnl_return: MetricWire,
    pub sharpe_ratio: MetricWire,
    pub sortino_ratio: MetricWire,
    pub calmar_ratio: MetricWire,
    pub pnl_drawdown: Option<DrawdownWire>,
    pub pnl_drawdown_mean: Option<MeanDrawdownWire>,
    pub pnl_drawdown_max: Option<DrawdownWire>,
    pub win_rate: Option<MetricWire>,
    pub profit_factor: Option<MetricWire>,
}

impl<I: TimeInterval> From<&TearSheet<I>> for TearSheetWire {
    fn from(t: &TearSheet<I>) -> Self {
        Self {
            pnl: t.pnl.into(),
            pnl_return: MetricWire::with_interval(t.pnl_return.value, t.pnl_return.interval),
            sharpe_ratio: MetricWire::with_interval(t.sharpe_ratio.value, t.sharpe_ratio.interval),
            sortino_ratio: MetricWire::with_interval(t.sortino_ratio.value, t.sortino_ratio.interval),
            calmar_ratio: MetricWire::with_interval(t.calmar_ratio.value, t.calmar_ratio.interval),
            pnl_drawdown: t.pnl_drawdown.as_ref().map(DrawdownWire::from),
            pnl_drawdown_mean: t.pnl_drawdown_mean.as_ref().map(MeanDrawdownWire::from),
            pnl_drawdown_max: t.pnl_drawdown_max.as_ref().map(DrawdownWire::from),
            win_rate: t.win_rate.as_ref().map(|w| MetricWire::plain(w.value)),
            profit_factor: t.profit_factor.as_ref().map(|p| MetricWire::plain(p.value)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TearSheetAssetWire {
    pub balance_end: Option<BalanceWire>,
    pub drawdown: Option<DrawdownWire>,
    pub drawdown_mean: Option<MeanDrawdownWire>,
    pub drawdown_max: Option<DrawdownWire>,
}

impl From<&TearSheetAsset> for TearSheetAssetWire {
    fn from(t: &TearSheetAsset) -> Self {
        Self {
            balance_end: t.balance_end.as_ref().map(BalanceWire::from),
            drawdown: t.drawdown.as_ref().map(DrawdownWire::from),
            drawdown_mean: t.drawdown_mean.as_ref().map(MeanDrawdownWire::from),
            drawdown_max: t.drawdown_max.as_ref().map(DrawdownWire::from),
        }
    }
}

/// Ordered string-keyed map, serialised as a JSON object in insertion order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradingSummaryWire {
    pub time_engine_start_ns: i64,
    pub time_engine_end_ns: i64,
    /// Keyed by barter's internal instrument name, e.g. `binancespot-btc_usdt`.
    pub instruments: OrderedMap<TearSheetWire>,
    /// Keyed by `exchange:asset`, e.g. `binance_spot:usdt`.
    pub assets: OrderedMap<TearSheetAssetWire>,
}

impl<I: TimeInterval> From<&TradingSummary<I>> for TradingSummaryWire {
    fn from(t: &TradingSummary<I>) -> Self {
        Self {
            time_engine_start_ns: to_ns(t.time_engine_start),
            time_engine_end_ns: to_ns(t.time_engine_end),
            instruments: OrderedMap(
                t.instruments
                    .iter()
                    .map(|(name, sheet)| (name.name().to_string(), TearSheetWire::from(sheet)))
                    .collect(),
            ),
            assets: OrderedMap(
                t.assets
                    .iter()
                    .map(|(key, sheet)| {
                        (
                            format!("{}:{}", key.exchange.as_str(), key.asset.name()),
                            TearSheetAssetWire::from(sheet),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// Decimals in their `Display` form (exact), separated by single spaces: one string for a
/// whole column, so hundreds of thousands of positions cost one allocation, not one each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct DecimalColumn(pub String);

impl DecimalColumn {
    fn push(&mut self, value: Decimal) {
        use std::fmt::Write;
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{value}");
    }
}

/// The closed positions as columns, one row per position in the order they closed.
/// `instrument` indexes `instruments` (barter's internal names, in order of first
/// appearance); `side` is 1 (buy, long) or -1 (sell, short); decimals are exact
/// ([`DecimalColumn`]); times are ns since the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PositionColumns {
    pub instruments: Vec<String>,
    pub instrument: Vec<i64>,
    pub side: Vec<i8>,
    pub quantity: DecimalColumn,
    pub price_entry: DecimalColumn,
    pub price_exit: DecimalColumn,
    pub fees: DecimalColumn,
    pub pnl: DecimalColumn,
    pub time_enter_ns: Vec<i64>,
    pub time_exit_ns: Vec<i64>,
}

impl PositionColumns {
    /// The number of positions.
    pub fn len(&self) -> usize {
        self.side.len()
    }

    pub fn is_empty(&self) -> bool {
        self.side.is_empty()
    }

    fn instrument_code(&mut self, name: &str) -> i64 {
        let position = match self.instruments.iter().rposition(|known| known == name) {
            Some(position) => position,
            None => {
                self.instruments.push(name.to_string());
                self.instruments.len() - 1
            }
        };
        i64::try_from(position).unwrap_or(i64::MAX)
    }
}

impl From<&[ClosedPosition]> for PositionColumns {
    fn from(positions: &[ClosedPosition]) -> Self {
        let mut out = Self {
            instrument: Vec::with_capacity(positions.len()),
            side: Vec::with_capacity(positions.len()),
            time_enter_ns: Vec::with_capacity(positions.len()),
            time_exit_ns: Vec::with_capacity(positions.len()),
            ..Self::default()
        };
        for p in positions {
            let code = out.instrument_code(&p.instrument);
            out.instrument.push(code);
            out.side.push(match p.side {
                Side::Buy => 1,
                Side::Sell => -1,
            });
            out.quantity.push(p.quantity);
            out.price_entry.push(p.price_entry);
            out.price_exit.push(p.price_exit);
            out.fees.push(p.fees);
            out.pnl.push(p.pnl);
            out.time_enter_ns.push(to_ns(p.time_enter));
            out.time_exit_ns.push(to_ns(p.time_exit));
        }
        out
    }
}

/// The equity curve as two parallel arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EquityWire {
    pub time_ns: Vec<i64>,
    pub value: Vec<f64>,
}

impl From<&EquityCurve> for EquityWire {
    fn from(e: &EquityCurve) -> Self {
        Self { time_ns: e.time_ns.clone(), value: e.value.clone() }
    }
}

/// Everything in a summary but its columns (positions and equity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryHead {
    pub id: String,
    pub risk_free_return: DecimalString,
    pub trading_summary: TradingSummaryWire,
    pub strategy: StrategyDescription,
    /// `"next"` or `"signal"`.
    pub fill: &'static str,
    pub close_at_end: bool,
    pub rejected_orders: u64,
}

/// A summary: its head, the closed positions and the equity curve as columns.
/// Serialised (`to_json`), it is the wire format Python's `to_json` writes too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestSummaryWire {
    #[serde(flatten)]
    pub head: SummaryHead,
    pub positions: PositionColumns,
    pub equity: EquityWire,
}

/// The head of a summary with the positions' instrument names but no column: what
/// crosses the C ABI as JSON next to the columns (`barter_summaries_get`).
#[derive(Serialize)]
struct HeadJson<'a> {
    #[serde(flatten)]
    head: &'a SummaryHead,
    positions: InstrumentNames<'a>,
}

#[derive(Serialize)]
struct InstrumentNames<'a> {
    instruments: &'a [String],
}

impl BacktestSummaryWire {
    /// The summary of one of our runs.
    pub fn from_run<I: TimeInterval>(dynamic: &ArgsDynamic, run: &RunOutput<I>) -> Self {
        Self {
            head: SummaryHead {
                id: dynamic.id.to_string(),
                risk_free_return: dynamic.risk_free_return.into(),
                trading_summary: TradingSummaryWire::from(&run.trading_summary),
                strategy: dynamic.strategy.describe(),
                fill: dynamic.fill.key(),
                close_at_end: dynamic.close_at_end,
                rejected_orders: run.rejected_orders,
            },
            positions: PositionColumns::from(run.positions.as_slice()),
            equity: EquityWire::from(&run.equity),
        }
    }

    /// The head as JSON: every field but the columns, and `"positions"` holding only
    /// `"instruments"` (the names the `instrument` column indexes).
    pub fn head_json(&self) -> FfiResult<Vec<u8>> {
        to_json(&HeadJson {
            head: &self.head,
            positions: InstrumentNames { instruments: &self.positions.instruments },
        })
    }
}

/// barter's own summary (which knows nothing of strategies, fills or positions): strategy
/// `default`, fill `next`, `close_at_end` true, no rejected orders, no positions, no
/// equity points. barter's `win_rate` is passed through as barter computed it.
impl<I: TimeInterval> From<&BacktestSummary<I>> for BacktestSummaryWire {
    fn from(b: &BacktestSummary<I>) -> Self {
        Self {
            head: SummaryHead {
                id: b.id.to_string(),
                risk_free_return: b.risk_free_return.into(),
                trading_summary: TradingSummaryWire::from(&b.trading_summary),
                strategy: Strategy::default().describe(),
                fill: Fill::default().key(),
                close_at_end: true,
                rejected_orders: 0,
            },
            positions: PositionColumns::default(),
            equity: EquityWire::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiBacktestSummaryWire {
    pub num_backtests: usize,
    pub duration_ns: i64,
    pub summaries: Vec<BacktestSummaryWire>,
}

impl<I: TimeInterval> From<&MultiBacktestSummary<I>> for MultiBacktestSummaryWire {
    fn from(m: &MultiBacktestSummary<I>) -> Self {
        Self {
            num_backtests: m.num_backtests,
            duration_ns: i64::try_from(m.duration.as_nanos()).unwrap_or(i64::MAX),
            summaries: m.summaries.iter().map(BacktestSummaryWire::from).collect(),
        }
    }
}

impl BacktestSummaryWire {
    pub fn to_json(&self) -> FfiResult<Vec<u8>> {
        to_json(self)
    }
}

impl MultiBacktestSummaryWire {
    pub fn to_json(&self) -> FfiResult<Vec<u8>> {
        to_json(self)
    }
}

fn to_json<T: Serialize>(value: &T) -> FfiResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| FfiError::engine(format!("serialising summary: {e}")))
}
