//! Backtests: the constant arguments (instruments, balances and fees from a config,
//! market data, summary interval), validated once when made; the dynamic arguments (id,
//! risk-free return, strategy, fill, close_at_end); and runs: one, or many on Rust threads
//! sharing the constant arguments. Every run goes through the deterministic driver in
//! [`crate::engine`].

use crate::cancel::Cancel;
use crate::engine::{self, Fill, RunInput};
use crate::error::{BarterStatus, FfiError, FfiResult};
use crate::market_data::MarketData;
use crate::progress::Progress;
use crate::strategy::Strategy;
use crate::summary::{BacktestSummaryWire, MultiBacktestSummaryWire};
use barter::statistic::time::TimeInterval;
use barter::system::config::ExecutionConfig;
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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

/// One `initial_balances` entry as given by the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceOverride {
    pub exchange: String,
    pub asset: String,
    pub total: String,
    pub free: String,
}

/// Parses a decimal string exactly (rejecting what rust_decimal would round), naming
/// `field` in the error.
pub fn parse_decimal(text: &str, field: &str) -> FfiResult<Decimal> {
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

/// Largest `latency_ms` accepted in an execution config: one hour. (The deterministic
/// driver fills without a wall-clock delay; barter's mock exchange would sleep this long
/// per request.)
pub const MAX_LATENCY_MS: u64 = 3_600_000;

/// An asset name as barter keys it: `AssetNameInternal::new` (Unicode lowercase), so
/// `"USDT"`, `"usdt"` and `"Usdt"` are one asset, and `"ÄBC"` is `"äbc"` as in barter.
pub fn asset_key(name: &str) -> String {
    AssetNameInternal::new(name).name().to_string()
}

/// Applies the overrides to the mock executions' initial balances and returns the
/// balances the engine state starts from, so the two agree. An asset given twice for
/// one exchange (names compared as barter keys them) is an error naming both entries.
fn apply_balances(
    executions: &mut [ExecutionConfig],
    known_assets: &HashSet<(ExchangeId, String)>,
    overrides: &[BalanceOverride],
    time_default: DateTime<Utc>,
) -> FfiResult<Vec<Keyed<ExchangeAsset<AssetNameInternal>, Balance>>> {
    let mut given: Vec<(ExchangeId, String, usize)> = Vec::with_capacity(overrides.len());
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
        let asset = asset_key(entry.asset.trim());
        if let Some((_, _, first)) = given.iter().find(|(e, a, _)| *e == exchange && *a == asset) {
            return Err(FfiError::invalid(format!(
                "{}: asset {:?} on {} is given twice (initial_balances[{first}] and [{index}]; names are \
                 compared lowercased, as barter keys assets)",
                field("asset"),
                asset,
                exchange.as_str()
            )));
        }
        given.push((exchange, asset.clone(), index));
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
        match balances.iter_mut().find(|b| asset_key(b.asset.name()) == asset) {
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
            let asset = asset_key(b.asset.name());
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
        if mock.latency_ms > MAX_LATENCY_MS {
            return Err(FfiError::invalid(format!(
                "executions[{index}].latency_ms: at most {MAX_LATENCY_MS} (one hour), got {}",
                mock.latency_ms
            )));
        }
        let mut assets: Vec<String> = Vec::with_capacity(mock.initial_state.balances.len());
        for (position, balance) in mock.initial_state.balances.iter().enumerate() {
            let asset = asset_key(balance.asset.name());
            if !known_assets.contains(&(exchange, asset.clone())) {
                return Err(FfiError::invalid(format!(
                    "executions[{index}].initial_state.balances[{position}]: asset {asset:?} is not an asset of any instrument on {}",
                    exchange.as_str()
                )));
            }
            if let Some(first) = assets.iter().position(|a| *a == asset) {
                return Err(FfiError::invalid(format!(
                    "executions[{index}].initial_state.balances[{position}]: asset {asset:?} is given twice \
                     (balances[{first}] and [{position}]; names are compared lowercased, as barter keys assets)"
                )));
            }
            assets.push(asset);
        }
    }
    Ok(())
}

/// Rejects execution configs whose fees are not a fraction in [0, 1].
fn check_fees(executions: &[ExecutionConfig]) -> FfiResult<()> {
    for (index, ExecutionConfig::Mock(mock)) in executions.iter().enumerate() {
        let fees = mock.fees_percent;
        if fees < Decimal::ZERO || fees > Decimal::ONE {
            return Err(FfiError::invalid(format!(
                "executions[{index}].fees_percent: must be a fraction between 0 and 1 (0.001 is 0.1 %), got {fees}"
            )));
        }
    }
    Ok(())
}

/// Rejects market data barter's engine state would panic on: items whose exchange is not
/// their instrument's, reconnect markers for exchanges the config has no instrument on.
fn check_market_data(instruments: &IndexedInstruments, market_data: &MarketData) -> FfiResult<()> {
    let exchanges: Vec<ExchangeId> =
        instruments.instruments().iter().map(|keyed| keyed.value.exchange.value).collect();
    let mut item = 0usize;
    for (record_index, record) in market_data.iter().enumerate() {
        let exchange = record.exchange();
        match record.instrument() {
            Some(instrument) => {
                let expected = exchanges[instrument];
                if exchange != expected {
                    return Err(FfiError::invalid(format!(
                        "market data item {item} (record {record_index}): exchange {} but instrument {} ({}) \
                         is on {}",
                        exchange.as_str(),
                        instrument,
                        instruments.instruments()[instrument].value.name_internal.name(),
                        expected.as_str()
                    )));
                }
                item += 1;
            }
            None => {
                if !exchanges.contains(&exchange) {
                    return Err(FfiError::invalid(format!(
                        "market data record {record_index}: reconnect marker for {}, which has no instruments \
                         in the config",
                        exchange.as_str()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The constant arguments shared by every run: validated once, immutable, shared by
/// reference across runs and threads (the market data is never copied per run).
#[derive(Debug, Clone)]
pub struct ArgsConstant {
    pub instruments: Arc<IndexedInstruments>,
    /// The config's executions with the balance overrides applied.
    pub executions: Vec<ExecutionConfig>,
    pub market_data: MarketData,
    pub summary_interval: SummaryInterval,
    /// The first item's `time_exchange`: the engine's start time.
    pub time_start: DateTime<Utc>,
    /// Balances the engine state starts from.
    pub balances: Vec<Keyed<ExchangeAsset<AssetNameInternal>, Balance>>,
    /// `fees_percent` by `ExchangeIndex` (`None`: no execution for that exchange).
    pub fees: Vec<Option<Decimal>>,
}

/// Builds the constant arguments from a config and market data: market data indices and
/// exchanges checked against the config's instruments, executions checked, balance
/// overrides applied.
pub fn build_args_constant(
    config: &crate::config::Config,
    market_data: &MarketData,
    interval: SummaryInterval,
    overrides: &[BalanceOverride],
) -> FfiResult<ArgsConstant> {
    let instruments = Arc::clone(&config.instruments);
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
    check_market_data(&instruments, market_data)?;
    let time_start = DateTime::<Utc>::from_timestamp_nanos(market_data.time_first_event_ns);
    let known_assets: HashSet<(ExchangeId, String)> = instruments
        .assets()
        .iter()
        .map(|keyed| (keyed.value.exchange, keyed.value.asset.name_internal.name().to_string()))
        .collect();
    let mut executions = config.system.executions.clone();
    check_executions(&executions, &instruments, &known_assets)?;
    check_fees(&executions)?;
    let balances = apply_balances(&mut executions, &known_assets, overrides, time_start)?;
    let fees = instruments
        .exchanges()
        .iter()
        .map(|exchange| {
            executions.iter().find_map(|ExecutionConfig::Mock(mock)| {
                (mock.mocked_exchange == exchange.value).then_some(mock.fees_percent)
            })
        })
        .collect();

    Ok(ArgsConstant {
        instruments,
        executions,
        market_data: market_data.clone(),
        summary_interval: interval,
        time_start,
        balances,
        fees,
    })
}

/// The arguments of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgsDynamic {
    pub id: SmolStr,
    pub risk_free_return: Decimal,
    pub strategy: Strategy,
    pub fill: Fill,
    pub close_at_end: bool,
}

/// Validates the arguments of one run: `id` trimmed and non-empty, `risk_free_return` an
/// exact decimal; `None` strategy is barter's DefaultStrategy (never orders).
pub fn build_args_dynamic(
    id: &str,
    risk_free_return: &str,
    strategy: Option<Strategy>,
    fill: Fill,
    close_at_end: bool,
) -> FfiResult<ArgsDynamic> {
    let trimmed = id.trim();
    if trimmed.is_empty() {
        return Err(FfiError::invalid("id: must not be empty"));
    }
    Ok(ArgsDynamic {
        id: SmolStr::new(trimmed),
        risk_free_return: parse_decimal(risk_free_return, "risk_free_return")?,
        strategy: strategy.unwrap_or_default(),
        fill,
        close_at_end,
    })
}

/// Runs one backtest on the calling thread.
pub fn run_one(args: &ArgsConstant, dynamic: &ArgsDynamic) -> FfiResult<BacktestSummaryWire> {
    run_one_cancellable(args, dynamic, &Cancel::never())
}

/// [`run_one`], stopping with `Cancelled` once `cancel` is tripped.
pub fn run_one_cancellable(
    args: &ArgsConstant,
    dynamic: &ArgsDynamic,
    cancel: &Cancel,
) -> FfiResult<BacktestSummaryWire> {
    let output = engine::run(RunInput {
        cancel,
        instruments: &args.instruments,
        market_data: &args.market_data,
        items: args.market_data.item_count,
        time_start: args.time_start,
        balances: &args.balances,
        fees: &args.fees,
        interval: args.summary_interval,
        risk_free_return: dynamic.risk_free_return,
        strategy: &dynamic.strategy,
        fill: dynamic.fill,
        close_at_end: dynamic.close_at_end,
    })?;
    Ok(BacktestSummaryWire::from_run(dynamic, &output))
}

/// Threads `run_many` uses for `max_concurrent` (0: the number of cores) and `count` runs.
pub fn thread_count(max_concurrent: usize, count: usize) -> usize {
    let limit = if max_concurrent == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        max_concurrent
    };
    limit.min(count).max(1)
}

fn run_caught(args: &ArgsConstant, dynamic: &ArgsDynamic, cancel: &Cancel) -> FfiResult<BacktestSummaryWire> {
    crate::log::catch_quietly(|| run_one_cancellable(args, dynamic, cancel))
        .unwrap_or_else(|payload| {
            Err(FfiError::new(BarterStatus::Panic, crate::log::caught_panic_message(payload.as_ref())))
        })
        .map_err(|e| FfiError::new(e.status, format!("backtest {:?}: {}", dynamic.id.as_str(), e.message)))
}

/// Runs backtests on up to `max_concurrent` Rust threads (0: the number of cores), all
/// sharing `args`. Ids must be unique. Summaries come in input order, each identical to
/// its single run; on failure, the error of the first failing backtest in input order.
pub fn run_many(
    args: &ArgsConstant,
    dynamics: &[ArgsDynamic],
    max_concurrent: usize,
) -> FfiResult<MultiBacktestSummaryWire> {
    run_many_cancellable(args, dynamics, max_concurrent, &Cancel::never())
}

/// [`run_many`], stopping with `Cancelled` once `cancel` is tripped.
pub fn run_many_cancellable(
    args: &ArgsConstant,
    dynamics: &[ArgsDynamic],
    max_concurrent: usize,
    cancel: &Cancel,
) -> FfiResult<MultiBacktestSummaryWire> {
    run_many_observed(args, dynamics, max_concurrent, cancel, &Progress::unobserved())
}

/// [`run_many_cancellable`], advancing `progress` by one as each backtest finishes
/// (successfully or not), so another thread can follow the batch while it runs.
pub fn run_many_observed(
    args: &ArgsConstant,
    dynamics: &[ArgsDynamic],
    max_concurrent: usize,
    cancel: &Cancel,
    progress: &Progress,
) -> FfiResult<MultiBacktestSummaryWire> {
    let mut seen = HashSet::with_capacity(dynamics.len());
    let duplicates: BTreeSet<&str> =
        dynamics.iter().filter(|d| !seen.insert(d.id.as_str())).map(|d| d.id.as_str()).collect();
    if !duplicates.is_empty() {
        let list: Vec<&str> = duplicates.into_iter().collect();
        return Err(FfiError::invalid(format!("duplicate backtest ids: {}", list.join(", "))));
    }

    let started = std::time::Instant::now();
    let threads = thread_count(max_concurrent, dynamics.len());
    let results: Vec<Option<FfiResult<BacktestSummaryWire>>> = if threads <= 1 {
        let mut results = Vec::with_capacity(dynamics.len());
        for dynamic in dynamics {
            let result = run_caught(args, dynamic, cancel);
            progress.advance();
            let failed = result.is_err();
            results.push(Some(result));
            if failed {
                break;
            }
        }
        results
    } else {
        let slots: Vec<Mutex<Option<FfiResult<BacktestSummaryWire>>>> =
            dynamics.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let worker = || loop {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(dynamic) = dynamics.get(index) else {
                break;
            };
            let result = run_caught(args, dynamic, cancel);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            *slots[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            progress.advance();
        };
        std::thread::scope(|scope| -> FfiResult<()> {
            for _ in 1..threads {
                std::thread::Builder::new()
                    .name("barter-backtest".into())
                    .spawn_scoped(scope, worker)
                    .map_err(|e| FfiError::engine(format!("starting a backtest thread: {e}")))?;
            }
            worker(); // the calling thread is one of the workers
            Ok(())
        })?;
        slots.into_iter().map(|slot| slot.into_inner().unwrap_or_else(|p| p.into_inner())).collect()
    };

    let mut summaries = Vec::with_capacity(dynamics.len());
    for result in results.into_iter().flatten() {
        summaries.push(result?);
    }
    if summaries.len() != dynamics.len() {
        return Err(FfiError::engine("a backtest did not run"));
    }
    Ok(MultiBacktestSummaryWire {
        num_backtests: summaries.len(),
        duration_ns: i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX),
        summaries,
    })
}

/// Parses the `initial_balances` JSON array (`[{"exchange","asset","total","free"}]`).
pub fn parse_balance_overrides(text: &str) -> FfiResult<Vec<BalanceOverride>> {
    serde_json::from_str(text).map_err(|e| FfiError::invalid(format!("initial_balances: {e}")))
}
