//! Backtests: barter's `BacktestArgsConstant` built from a config and market data, the
//! dynamic arguments, and `backtest` / `run_backtests` run on the process-wide runtime.

use crate::error::{FfiError, FfiResult};
use crate::market_data::MarketData;
use crate::summary::{BacktestSummaryWire, MultiBacktestSummaryWire};
use barter::backtest::summary::MultiBacktestSummary;
use barter::backtest::{market_data::MarketDataInMemory, BacktestArgsConstant, BacktestArgsDynamic};
use barter::engine::state::{
    builder::EngineStateBuilder, global::DefaultGlobalData, instrument::data::DefaultInstrumentMarketData,
    trading::TradingState, EngineState,
};
use barter::risk::DefaultRiskManager;
use barter::statistic::time::TimeInterval;
use barter::strategy::DefaultStrategy;
use barter::system::config::ExecutionConfig;
use barter_data::event::DataKind;
use barter_execution::balance::{AssetBalance, Balance};
use barter_instrument::{
    asset::{name::AssetNameInternal, ExchangeAsset},
    exchange::ExchangeId,
    index::IndexedInstruments,
    Keyed,
};
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use smol_str::SmolStr;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// The summary interval, chosen at run time (barter's `Daily`, `Annual252`, `Annual365`
/// are distinct types; this is one type with the same names and lengths).
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum SummaryInterval {
    Daily,
    Annual252,
    Annual365,
}

impl SummaryInterval {
    pub const VALID: &'static str = "daily, annual_252, annual_365";

    pub fn parse(text: &str) -> FfiResult<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Self::Daily),
            "annual_252" => Ok(Self::Annual252),
            "annual_365" => Ok(Self::Annual365),
            _ => Err(FfiError::invalid(format!(
                "summary_interval: unknown interval {text:?}; valid values are {}",
                Self::VALID
            ))),
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Annual252 => "annual_252",
            Self::Annual365 => "annual_365",
        }
    }
}

impl TimeInterval for SummaryInterval {
    fn name(&self) -> SmolStr {
        match self {
            Self::Daily => barter::statistic::time::Daily.name(),
            Self::Annual252 => barter::statistic::time::Annual252.name(),
            Self::Annual365 => barter::statistic::time::Annual365.name(),
        }
    }

    fn interval(&self) -> TimeDelta {
        match self {
            Self::Daily => barter::statistic::time::Daily.interval(),
            Self::Annual252 => barter::statistic::time::Annual252.interval(),
            Self::Annual365 => barter::statistic::time::Annual365.interval(),
        }
    }
}

pub type State = EngineState<DefaultGlobalData, DefaultInstrumentMarketData>;
pub type ArgsConstant = BacktestArgsConstant<MarketDataInMemory<DataKind>, SummaryInterval, State>;
pub type ArgsDynamic = BacktestArgsDynamic<DefaultStrategy<State>, DefaultRiskManager<State>>;

/// One `initial_balances` entry as given by the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceOverride {
    pub exchange: String,
    pub asset: String,
    pub total: String,
    pub free: String,
}

fn parse_decimal(text: &str, field: &str) -> FfiResult<Decimal> {
    let trimmed = text.trim();
    Decimal::from_str_exact(trimmed).or_else(|_| Decimal::from_scientific(trimmed)).map_err(|e| {
        let shown: String = if trimmed.chars().count() > 48 {
            format!("{}... ({} characters)", trimmed.chars().take(40).collect::<String>(), trimmed.chars().count())
        } else {
            trimmed.to_owned()
        };
        FfiError::invalid(format!(
            "{field}: {shown:?} is not a decimal barter can represent (at most 28 significant digits, magnitude below 7.9e28): {e}"
        ))
    })
}

/// Applies the overrides to the mock executions' initial balances and returns the
/// balances the engine state starts from, so the two agree.
fn apply_balances(
    executions: &mut [ExecutionConfig],
    known_assets: &HashSet<(ExchangeId, String)>,
    overrides: &[BalanceOverride],
    time_default: DateTime<Utc>,
) -> FfiResult<Vec<Keyed<ExchangeAsset<AssetNameInternal>, Balance>>> {
    for (index, entry) in overrides.iter().enumerate() {
        let field = |name: &str| format!("initial_balances[{index}].{name}");
        let exchange_name = entry.exchange.trim();
        let position = executions.iter().position(|ExecutionConfig::Mock(mock)| {
            mock.mocked_exchange.as_str().eq_ignore_ascii_case(exchange_name)
        });
        let Some(position) = position else {
            let known: Vec<&str> =
                executions.iter().map(|ExecutionConfig::Mock(mock)| mock.mocked_exchange.as_str()).collect();
            return Err(FfiError::invalid(format!(
                "{}: unknown exchange {:?}; the config executes on {:?}",
                field("exchange"),
                entry.exchange,
                known
            )));
        };
        let ExecutionConfig::Mock(mock) = &mut executions[position];
        let exchange = mock.mocked_exchange;
        let asset = entry.asset.trim().to_ascii_lowercase();
        if !known_assets.contains(&(exchange, asset.clone())) {
            let mut known: Vec<&str> =
                known_assets.iter().filter(|(e, _)| *e == exchange).map(|(_, a)| a.as_str()).collect();
            known.sort_unstable();
            return Err(FfiError::invalid(format!(
                "{}: unknown asset {:?} on {}; known assets are {:?}",
                field("asset"),
                entry.asset,
                exchange.as_str(),
                known
            )));
        }
        let total = parse_decimal(&entry.total, &field("total"))?;
        let free = parse_decimal(&entry.free, &field("free"))?;
        if total.is_sign_negative() && !total.is_zero() {
            return Err(FfiError::invalid(format!("{}: must not be negative, got {total}", field("total"))));
        }
        if free.is_sign_negative() && !free.is_zero() {
            return Err(FfiError::invalid(format!("{}: must not be negative, got {free}", field("free"))));
        }
        if free > total {
            return Err(FfiError::invalid(format!(
                "initial_balances[{index}]: free ({free}) is greater than total ({total})"
            )));
        }
        let balance = Balance::new(total, free);
        let balances = &mut mock.initial_state.balances;
        match balances.iter_mut().find(|b| b.asset.name().to_ascii_lowercase() == asset) {
            Some(existing) => existing.balance = balance,
            None => balances.push(AssetBalance {
                asset: asset.as_str().into(),
                balance,
                time_exchange: time_default,
            }),
        }
    }

    let mut engine_balances = Vec::new();
    for ExecutionConfig::Mock(mock) in executions.iter() {
        for b in &mock.initial_state.balances {
            let asset = b.asset.name().to_ascii_lowercase();
            if known_assets.contains(&(mock.mocked_exchange, asset.clone())) {
                engine_balances.push(Keyed {
                    key: ExchangeAsset::new(mock.mocked_exchange, AssetNameInternal::from(asset.as_str())),
                    value: b.balance,
                });
            }
        }
    }
    Ok(engine_balances)
}

/// Rejects execution configs that barter would accept here but fail on at run time.
fn check_executions(
    executions: &[ExecutionConfig],
    instruments: &IndexedInstruments,
    known_assets: &HashSet<(ExchangeId, String)>,
) -> FfiResult<()> {
    let mut seen = HashSet::new();
    for (index, ExecutionConfig::Mock(mock)) in executions.iter().enumerate() {
        let exchange = mock.mocked_exchange;
        if !seen.insert(exchange) {
            return Err(FfiError::invalid(format!(
                "executions[{index}]: more than one execution for exchange {}",
                exchange.as_str()
            )));
        }
        if instruments.find_exchange_index(exchange).is_err() {
            return Err(FfiError::invalid(format!(
                "executions[{index}]: exchange {} has no instruments in the config",
                exchange.as_str()
            )));
        }
        for (position, balance) in mock.initial_state.balances.iter().enumerate() {
            let asset = balance.asset.name().to_ascii_lowercase();
            if !known_assets.contains(&(exchange, asset.clone())) {
                return Err(FfiError::invalid(format!(
                    "executions[{index}].initial_state.balances[{position}]: asset {asset:?} is not an asset of any instrument on {}",
                    exchange.as_str()
                )));
            }
        }
    }
    Ok(())
}

/// Builds barter's constant arguments: indexed instruments and executions from the
/// config, the market data, and an engine state with trading enabled starting at the
/// first event, seeded with the executions' initial balances.
pub fn build_args_constant(
    config: &crate::config::Config,
    market_data: &MarketData,
    interval: SummaryInterval,
    overrides: &[BalanceOverride],
) -> FfiResult<ArgsConstant> {
    let instruments = (*config.instruments).clone();
    let count = instruments.instruments().len();
    if market_data.max_instrument >= count {
        let names = config.instrument_names();
        return Err(FfiError::invalid(format!(
            "market data refers to instrument index {}, but the config has {count} instrument(s) (indices 0..={}: {})",
            market_data.max_instrument,
            count.saturating_sub(1),
            names.join(", ")
        )));
    }
    let time_start = DateTime::<Utc>::from_timestamp_nanos(market_data.time_first_event_ns);
    let known_assets: HashSet<(ExchangeId, String)> = instruments
        .assets()
        .iter()
        .map(|keyed| (keyed.value.exchange, keyed.value.asset.name_internal.name().to_ascii_lowercase()))
        .collect();
    let mut executions = config.system.executions.clone();
    check_executions(&executions, &instruments, &known_assets)?;
    let balances = apply_balances(&mut executions, &known_assets, overrides, time_start)?;

    let engine_state =
        EngineStateBuilder::new(&instruments, DefaultGlobalData, |_| DefaultInstrumentMarketData::default())
            .time_engine_start(time_start)
            .trading_state(TradingState::Enabled)
            .balances(balances)
            .build();

    Ok(BacktestArgsConstant {
        instruments,
        executions,
        market_data: market_data.to_barter(),
        summary_interval: interval,
        engine_state,
    })
}

/// One dynamic-arguments entry as given by the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicSpec {
    pub id: String,
    pub risk_free_return: String,
}

/// Validates dynamic argument specs into barter's `BacktestArgsDynamic`s (ids trimmed,
/// non-empty and unique; risk-free returns finite decimals).
pub fn build_args_dynamic(specs: &[DynamicSpec]) -> FfiResult<Vec<ArgsDynamic>> {
    let mut seen = HashSet::with_capacity(specs.len());
    let mut duplicates = BTreeSet::new();
    let mut out = Vec::with_capacity(specs.len());
    for (index, spec) in specs.iter().enumerate() {
        let id = spec.id.trim();
        if id.is_empty() {
            return Err(FfiError::invalid(format!("args_dynamic[{index}].id: must not be empty")));
        }
        if !seen.insert(id.to_owned()) {
            duplicates.insert(id.to_owned());
        }
        let risk_free_return =
            parse_decimal(&spec.risk_free_return, &format!("args_dynamic[{index}].risk_free_return"))?;
        out.push(BacktestArgsDynamic {
            id: SmolStr::new(id),
            risk_free_return,
            strategy: DefaultStrategy::default(),
            risk: DefaultRiskManager::default(),
        });
    }
    if !duplicates.is_empty() {
        let list: Vec<String> = duplicates.into_iter().collect();
        return Err(FfiError::invalid(format!("duplicate backtest ids: {}", list.join(", "))));
    }
    Ok(out)
}

/// Runs one backtest to completion on the process-wide runtime.
pub fn run_one(args: &Arc<ArgsConstant>, dynamic: ArgsDynamic) -> FfiResult<BacktestSummaryWire> {
    let runtime = crate::runtime::runtime().map_err(|e| FfiError::engine(format!("tokio runtime: {e}")))?;
    let summary = runtime
        .block_on(barter::backtest::backtest(Arc::clone(args), dynamic))
        .map_err(|e| FfiError::engine(e.to_string()))?;
    Ok(BacktestSummaryWire::from(&summary))
}

/// How many backtests `run_many` keeps in flight when the caller passes 0.
pub const DEFAULT_MAX_CONCURRENT: usize = 64;

/// Runs many backtests concurrently on the process-wide runtime, at most `max_concurrent`
/// at a time (0: [`DEFAULT_MAX_CONCURRENT`]), summaries in input order.
///
/// barter's own `run_backtests` starts every backtest at once, and each one copies its
/// whole market stream into an unbounded channel ahead of its engine, so memory grows
/// with variants × events (about 195 bytes per event per backtest in flight: 19 GB for
/// 1,000 variants of 100,000 events). With two cores nothing is gained by more than a
/// few dozen in flight, so this runs barter's `backtest` for each variant with a bound,
/// and builds barter's `MultiBacktestSummary` from the results the same way.
pub fn run_many(
    args: &Arc<ArgsConstant>,
    dynamics: Vec<ArgsDynamic>,
    max_concurrent: usize,
) -> FfiResult<MultiBacktestSummaryWire> {
    use futures::{StreamExt, TryStreamExt};
    let limit = if max_concurrent == 0 { DEFAULT_MAX_CONCURRENT } else { max_concurrent };
    let runtime = crate::runtime::runtime().map_err(|e| FfiError::engine(format!("tokio runtime: {e}")))?;
    let summary = runtime
        .block_on(async {
            let started = std::time::Instant::now();
            let summaries: Vec<_> = futures::stream::iter(dynamics)
                .map(|dynamic| barter::backtest::backtest(Arc::clone(args), dynamic))
                .buffered(limit)
                .try_collect()
                .await?;
            Ok::<_, barter::error::BarterError>(MultiBacktestSummary::new(started.elapsed(), summaries))
        })
        .map_err(|e| FfiError::engine(e.to_string()))?;
    Ok(MultiBacktestSummaryWire::from(&summary))
}

/// Parses the `initial_balances` JSON array (`[{"exchange","asset","total","free"}]`).
pub fn parse_balance_overrides(text: &str) -> FfiResult<Vec<BalanceOverride>> {
    serde_json::from_str(text).map_err(|e| FfiError::invalid(format!("initial_balances: {e}")))
}

/// Parses the dynamic-argument specs JSON array (`[{"id","risk_free_return"}]`).
pub fn parse_dynamic_specs(bytes: &[u8]) -> FfiResult<Vec<DynamicSpec>> {
    serde_json::from_slice(bytes).map_err(|e| FfiError::invalid(format!("args_dynamic: {e}")))
}
