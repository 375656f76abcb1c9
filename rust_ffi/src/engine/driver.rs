//! The deterministic driver: replays market data through barter's `Engine` one event at
//! a time, on this thread, and fills the orders the strategy sends itself.
//!
//! Per market record it does what barter's `Engine::process` does (clock, state update,
//! then `generate_algo_orders` while trading is enabled), calling the same public engine
//! methods, minus the audit (which would clone every event). Order requests reach the
//! driver through an `UnboundedTx` per exchange over one tokio unbounded channel, read
//! with `try_recv` (never awaited). Fills are applied as account events, each followed
//! by `generate_algo_orders` like any event: the trade (with quote fees), the quote and
//! base balance snapshots, and the order snapshot that ends the order. At the end,
//! `Command::ClosePositions` closes what is open (unless `close_at_end` is false) and
//! `engine.trading_summary_generator(rfr).generate(interval)` makes barter's summary.
//!
//! No wall clock, no tasks, no randomness: the same inputs give the same summary.

use super::clock::EventClock;
use super::global::GlobalData;
use super::instrument_data::InstrumentData;
use super::price::{EventPrices, Mark};
use super::{EquityCurve, Fill, State};
use crate::cancel::Cancel;
use crate::error::{BarterStatus, FfiError, FfiResult};

use crate::market_data::{to_ns, MarketData, Record, Replay};
use crate::strategy::orders::{signed_position, EngineStrategy};
use crate::strategy::Strategy;
use barter::engine::action::generate_algo_orders::GenerateAlgoOrders;
use barter::engine::command::Command;
use barter::engine::execution_tx::MultiExchangeTxMap;
use barter::engine::state::builder::EngineStateBuilder;
use barter::engine::state::instrument::data::InstrumentDataState;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter::engine::state::position::PositionExited;
use barter::engine::state::trading::TradingState;
use barter::engine::{Engine, UpdateFromAccountOutput};
use barter::execution::request::ExecutionRequest;
use barter::execution::AccountStreamEvent;
use barter::risk::DefaultRiskManager;
use barter::statistic::metric::{profit_factor::ProfitFactor, win_rate::WinRate};
use barter::statistic::summary::TradingSummary;
use barter::statistic::time::TimeInterval;
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_execution::balance::{AssetBalance, Balance};
use barter_execution::error::{ApiError, OrderError};
use barter_execution::order::id::OrderId;
use barter_execution::order::request::OrderRequestOpen;
use barter_execution::order::state::OrderState;
use barter_execution::order::Order;
use barter_execution::trade::{AssetFees, Trade, TradeId};
use barter_execution::{AccountEvent, AccountEventKind};
use barter_instrument::asset::name::AssetNameInternal;
use barter_instrument::asset::{AssetIndex, ExchangeAsset, QuoteAsset};
use barter_instrument::exchange::ExchangeIndex;
use barter_instrument::index::IndexedInstruments;
use barter_instrument::instrument::InstrumentIndex;
use barter_instrument::{Keyed, Side};
use barter_integration::channel::UnboundedTx;
use barter_integration::collection::snapshot::Snapshot;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use smol_str::format_smolstr;
use tokio::sync::mpsc::UnboundedReceiver;

/// Equity points sampled at evenly spaced items (fills are sampled on top).
///
/// cbindgen:ignore
pub const EQUITY_GRID_POINTS: usize = 2000;

/// Everything one run needs. Borrowed: many runs can share one copy of the market data.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a, Interval> {
    /// Checked before every record (one relaxed atomic load).
    pub cancel: &'a Cancel,
    pub instruments: &'a IndexedInstruments,
    pub market_data: &'a MarketData,
    /// Items among the records (reconnect markers excluded).
    pub items: usize,
    /// The first item's `time_exchange`.
    pub time_start: DateTime<Utc>,
    pub balances: &'a [Keyed<ExchangeAsset<AssetNameInternal>, Balance>],
    /// `fees_percent` (a fraction) by `ExchangeIndex`; `None`: no execution config for
    /// that exchange, so its orders are rejected.
    pub fees: &'a [Option<Decimal>],
    pub interval: Interval,
    pub risk_free_return: Decimal,
    pub strategy: &'a Strategy,
    pub fill: Fill,
    pub close_at_end: bool,
}

/// A closed position as the summary reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPosition {
    /// barter's internal instrument name, e.g. `binancespot-btc_usdt`.
    pub instrument: String,
    pub side: Side,
    /// The largest quantity held (barter's `quantity_abs_max`).
    pub quantity: Decimal,
    /// Volume-weighted average entry price.
    pub price_entry: Decimal,
    /// Volume-weighted average price of the trades that reduced the position.
    pub price_exit: Decimal,
    /// Entry plus exit fees (quote asset).
    pub fees: Decimal,
    /// barter's `pnl_realised` (fees included).
    pub pnl: Decimal,
    pub time_enter: DateTime<Utc>,
    pub time_exit: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RunOutput<Interval> {
    /// barter's summary, with `win_rate` recomputed as wins ÷ closed positions (barter
    /// 0.14 divides the loss count).
    pub trading_summary: TradingSummary<Interval>,
    pub positions: Vec<ClosedPosition>,
    pub equity: EquityCurve,
    /// Orders not filled because the free balance could not pay for them (or no
    /// execution is configured for the exchange).
    pub rejected_orders: u64,
    /// `fill="next"` orders still waiting for a price when the data ended (dropped).
    pub unfilled_orders: u64,
}

type Txs = MultiExchangeTxMap<UnboundedTx<ExecutionRequest>>;
type BacktestEngine = Engine<EventClock, State, Txs, EngineStrategy, DefaultRiskManager<State>>;

/// Runs one backtest. barter's position and statistics arithmetic panics when a value
/// leaves rust_decimal's range (extreme prices, quantities or balances): that stops the
/// run with an `Engine` error naming the record (or the summary), not a panic.
pub fn run<Interval: TimeInterval>(input: RunInput<'_, Interval>) -> FfiResult<RunOutput<Interval>> {
    let at = std::cell::Cell::new(None);
    crate::log::catch_decimal_overflow(|| run_records(input, &at)).unwrap_or_else(|message| {
        let place = match at.get() {
            Some(record) => format!("at market data record {record}"),
            None => "at the end of the data (closing positions, making the summary)".to_owned(),
        };
        Err(FfiError::engine(format!(
            "backtest stopped {place}: barter's decimal arithmetic overflowed ({message}); prices, \
             quantities or balances this far apart are beyond rust_decimal's 28 digits"
        )))
    })
}

fn run_records<Interval: TimeInterval>(
    input: RunInput<'_, Interval>,
    at: &std::cell::Cell<Option<usize>>,
) -> FfiResult<RunOutput<Interval>> {
    input.strategy.check_items(input.items)?;
    let mut driver = Driver::new(&input);
    let callback = driver.engine.strategy.callback.clone();
    if let Some(run) = &callback {
        run.start(crate::market_data::to_ns(input.time_start));
    }
    let mut replay = Replay::default();
    for (index, record) in input.market_data.iter().enumerate() {
        if callback.as_ref().is_some_and(|run| run.stopped()) {
            break;
        }
        input.cancel.check()?;
        at.set(Some(index));
        driver.engine.state.global.record = index;
        driver.record(replay.record(record));
    }
    if let Some(run) = &callback {
        if !run.stopped() {
            let facts = driver.engine.strategy.facts(&driver.engine.state).unwrap_or_default();
            run.finish(facts);
        }
        if run.stopped() {
            return Err(FfiError::new(BarterStatus::Callback, run.failure()));
        }
    }
    input.cancel.check()?;
    at.set(None);
    driver.finish(&input)
}

struct Driver<'a> {
    engine: BacktestEngine,
    requests: UnboundedReceiver<ExecutionRequest>,
    fill: Fill,
    fees: &'a [Option<Decimal>],
    /// `fill="next"` orders waiting for their instrument's next priced event.
    pending: Vec<Vec<OrderRequestOpen>>,
    /// Per instrument: Σ quantity·price and Σ quantity of the trades reducing the open
    /// position (its exit price).
    exits: Vec<(Decimal, Decimal)>,
    positions: Vec<ClosedPosition>,
    names: Vec<String>,
    quote_assets: Vec<AssetIndex>,
    rejected: u64,
    fills: u64,
    equity: EquityCurve,
    item: usize,
    grid: Grid,
}

/// Item indices `⌊j·(n−1)/(P−1)⌋`, j = 0..P, P = min(EQUITY_GRID_POINTS, n).
struct Grid {
    items: usize,
    points: usize,
    next_point: usize,
}

impl Grid {
    fn new(items: usize) -> Self {
        Self { items, points: items.min(EQUITY_GRID_POINTS), next_point: 0 }
    }

    fn item_of(&self, point: usize) -> Option<usize> {
        if point >= self.points {
            return None;
        }
        if self.points == 1 {
            return Some(0);
        }
        Some(((point as u128 * (self.items as u128 - 1)) / (self.points as u128 - 1)) as usize)
    }

    /// Whether item `item` is a grid point (items arrive in order).
    fn hit(&mut self, item: usize) -> bool {
        if self.item_of(self.next_point) == Some(item) {
            self.next_point += 1;
            true
        } else {
            false
        }
    }
}

impl<'a> Driver<'a> {
    fn new<Interval>(input: &RunInput<'a, Interval>) -> Self {
        let strategy = input.strategy;
        let state: State = EngineStateBuilder::new(input.instruments, GlobalData::default(), |_| {
            InstrumentData::new(strategy.indicator())
        })
        .time_engine_start(input.time_start)
        .trading_state(TradingState::Enabled)
        .balances(input.balances.iter().cloned())
        .build();

        let (tx, requests) = tokio::sync::mpsc::unbounded_channel();
        let txs: Txs = input
            .instruments
            .exchanges()
            .iter()
            .map(|exchange| (exchange.value, Some(UnboundedTx::new(tx.clone()))))
            .collect();

        let names: Vec<String> = input
            .instruments
            .instruments()
            .iter()
            .map(|keyed| keyed.value.name_internal.name().to_string())
            .collect();
        let mut quote_assets: Vec<AssetIndex> =
            input.instruments.instruments().iter().map(|keyed| keyed.value.underlying.quote).collect();
        quote_assets.sort_by_key(|asset| asset.index());
        quote_assets.dedup();
        let count = names.len();

        let engine = Engine::new(
            EventClock::new(input.time_start),
            state,
            txs,
            EngineStrategy::new(strategy.clone()),
            DefaultRiskManager::default(),
        );
        Self {
            engine,
            requests,
            fill: input.fill,
            fees: input.fees,
            pending: vec![Vec::new(); count],
            exits: vec![(Decimal::ZERO, Decimal::ZERO); count],
            positions: Vec::new(),
            names,
            quote_assets,
            rejected: 0,
            fills: 0,
            equity: EquityCurve::default(),
            item: 0,
            grid: Grid::new(input.items),
        }
    }

    /// One market data record.
    fn record(&mut self, record: &Record) {
        match record {
            ReconnectEvent::Reconnecting(_) => {
                self.engine.state.global.last = None;
                let _ = self.engine.update_from_market_stream(record);
                self.after_event(None);
            }
            ReconnectEvent::Item(event) => {
                self.engine.clock.advance(event.time_exchange);
                let prices = EventPrices::of(&event.kind);
                if let (Fill::Next, Some(prices)) = (self.fill, prices) {
                    self.fill_pending(event.instrument, prices.open);
                }
                let _ = self.engine.update_from_market_stream(record);
                self.after_event(prices.map(|p| (event.instrument, p.close)));
                if self.grid.hit(self.item) {
                    self.sample_equity();
                }
                self.item += 1;
            }
        }
    }

    /// What `Engine::process` does after updating the state: ask the strategy for orders
    /// (while trading is enabled), then handle the requests it sent. barter's
    /// `generate_algo_orders` is skipped when the strategy would send nothing (its output
    /// would be empty; the built-in strategies are pure, see `EngineStrategy::may_order`).
    fn generate(&mut self) {
        if self.engine.state.trading == TradingState::Enabled
            && self.engine.strategy.may_order(&self.engine.state)
        {
            let _ = self.engine.generate_algo_orders();
        }
    }

    fn after_event(&mut self, signal_price: Option<(InstrumentIndex, Mark)>) {
        self.generate();
        self.drain(signal_price);
    }

    /// Handles every request sent so far: fills now (`fill="signal"`) or parks the order
    /// until its instrument's next priced event (`fill="next"`).
    fn drain(&mut self, signal_price: Option<(InstrumentIndex, Mark)>) {
        while let Ok(request) = self.requests.try_recv() {
            let ExecutionRequest::Open(order) = request else {
                continue; // cancels and shutdowns: nothing is resting, nothing to do
            };
            match self.fill {
                Fill::Signal => {
                    let price = match signal_price {
                        Some((instrument, mark)) if instrument == order.key.instrument => mark.decimal(),
                        _ => self.last_price(order.key.instrument),
                    };
                    self.execute(order, price);
                }
                Fill::Next => {
                    let index = order.key.instrument.index();
                    self.pending[index].push(order);
                }
            }
        }
    }

    fn fill_pending(&mut self, instrument: InstrumentIndex, open: Mark) {
        if self.pending[instrument.index()].is_empty() {
            return;
        }
        let price = open.decimal();
        for order in std::mem::take(&mut self.pending[instrument.index()]) {
            self.execute(order, price);
        }
    }

    fn last_price(&self, instrument: InstrumentIndex) -> Option<Decimal> {
        self.engine.state.instruments.instrument_index(&instrument).data.price()
    }

    fn balance(&self, asset: AssetIndex) -> Balance {
        self.engine
            .state
            .assets
            .asset_index(&asset)
            .balance
            .as_ref()
            .map(|timed| timed.value)
            .unwrap_or_default()
    }

    /// Applies one account event the way `Engine::process` would (state update, then the
    /// strategy), returning a position it closed.
    fn account(
        &mut self,
        exchange: ExchangeIndex,
        kind: AccountEventKind<ExchangeIndex, AssetIndex, InstrumentIndex>,
    ) -> Option<PositionExited<QuoteAsset>> {
        let event: AccountStreamEvent = ReconnectEvent::Item(AccountEvent { exchange, kind });
        let output = self.engine.update_from_account_stream(&event);
        self.generate();
        match output {
            UpdateFromAccountOutput::PositionExit(exited) => Some(exited),
            _ => None,
        }
    }

    fn end_order(&mut self, order: &OrderRequestOpen, state: OrderState) {
        let snapshot = Order {
            key: order.key.clone(),
            side: order.state.side,
            price: order.state.price,
            quantity: order.state.quantity,
            kind: order.state.kind,
            time_in_force: order.state.time_in_force,
            state,
        };
        self.account(order.key.exchange, AccountEventKind::OrderSnapshot(Snapshot(snapshot)));
    }

    fn reject(&mut self, order: &OrderRequestOpen, error: ApiError) {
        self.rejected += 1;
        self.end_order(order, OrderState::inactive(OrderError::Rejected(error)));
    }

    /// Fills `order` completely at `price`, or rejects it: spot, fees (`fees_percent` of
    /// the traded value) charged in the quote asset on both sides, a buy needing free
    /// quote for value plus fee, a sell needing the free base quantity.
    fn execute(&mut self, order: OrderRequestOpen, price: Option<Decimal>) {
        let instrument = order.key.instrument;
        let (base, quote) = {
            let state = self.engine.state.instruments.instrument_index(&instrument);
            (state.instrument.underlying.base, state.instrument.underlying.quote)
        };
        let Some(fee_rate) = self.fees.get(order.key.exchange.index()).copied().flatten() else {
            return self.reject(
                &order,
                ApiError::OrderRejected("no execution is configured for the exchange".into()),
            );
        };
        let Some(price) = price.filter(|p| *p > Decimal::ZERO) else {
            return self.reject(&order, ApiError::OrderRejected("no positive price to fill at".into()));
        };
        let quantity = order.state.quantity;
        // barter divides PnL by the traded value (pnl_return): a value that rounds to 0 in
        // 28 decimal places cannot be booked.
        if quantity.checked_mul(price).is_none_or(|value| value <= Decimal::ZERO) {
            return self
                .reject(&order, ApiError::OrderRejected(format!("value of {quantity} at {price} is 0")));
        }
        let side = order.state.side;
        let quote_balance = self.balance(quote);
        let base_balance = self.balance(base);

        let value = quantity.checked_mul(price);
        let fee = value.and_then(|v| v.checked_mul(fee_rate));
        let balances = match (side, value, fee) {
            (Side::Buy, Some(value), Some(fee)) => {
                value.checked_add(fee).filter(|cost| *cost <= quote_balance.free).and_then(|cost| {
                    Some((
                        Balance::new(
                            quote_balance.total.checked_sub(cost)?,
                            quote_balance.free.checked_sub(cost)?,
                        ),
                        Balance::new(
                            base_balance.total.checked_add(quantity)?,
                            base_balance.free.checked_add(quantity)?,
                        ),
                    ))
                })
            }
            (Side::Sell, Some(value), Some(fee)) if quantity <= base_balance.free => {
                value.checked_sub(fee).and_then(|proceeds| {
                    Some((
                        Balance::new(
                            quote_balance.total.checked_add(proceeds)?,
                            quote_balance.free.checked_add(proceeds)?,
                        ),
                        Balance::new(
                            base_balance.total.checked_sub(quantity)?,
                            base_balance.free.checked_sub(quantity)?,
                        ),
                    ))
                })
            }
            _ => None,
        };
        let (Some((quote_after, base_after)), Some(fee)) = (balances, fee) else {
            let asset = if side == Side::Buy { quote } else { base };
            return self.reject(
                &order,
                ApiError::BalanceInsufficient(asset, format!("{side} {quantity} at {price}")),
            );
        };

        self.fills += 1;
        let time = self.engine.time();
        let id = format_smolstr!("{}", self.fills);
        if side == Side::Sell {
            let (value_sum, quantity_sum) = &mut self.exits[instrument.index()];
            *value_sum = value_sum.checked_add(value.unwrap_or_default()).unwrap_or(*value_sum);
            *quantity_sum = quantity_sum.checked_add(quantity).unwrap_or(*quantity_sum);
        }
        let trade = Trade {
            id: TradeId(id.clone()),
            order_id: OrderId(id),
            instrument,
            strategy: order.key.strategy.clone(),
            time_exchange: time,
            side,
            price,
            quantity,
            fees: AssetFees::quote_fees(fee),
        };
        let exchange = order.key.exchange;
        if let Some(exited) = self.account(exchange, AccountEventKind::Trade(trade)) {
            self.record_exit(exited);
        }
        for (asset, balance) in [(quote, quote_after), (base, base_after)] {
            let snapshot = AssetBalance { asset, balance, time_exchange: time };
            self.account(exchange, AccountEventKind::BalanceSnapshot(Snapshot(snapshot)));
        }
        self.end_order(&order, OrderState::fully_filled());
        self.sample_equity();
    }

    fn record_exit(&mut self, exited: PositionExited<QuoteAsset>) {
        let index = exited.instrument.index();
        let (value_sum, quantity_sum) = std::mem::take(&mut self.exits[index]);
        let price_exit = if quantity_sum.is_zero() {
            Decimal::ZERO
        } else {
            value_sum.checked_div(quantity_sum).unwrap_or_default()
        };
        self.positions.push(ClosedPosition {
            instrument: self.names[index].clone(),
            side: exited.side,
            quantity: exited.quantity_abs_max,
            price_entry: exited.price_entry_average,
            price_exit,
            fees: exited.fees_enter.fees.checked_add(exited.fees_exit.fees).unwrap_or(Decimal::MAX),
            pnl: exited.pnl_realised,
            time_enter: exited.time_enter,
            time_exit: exited.time_exit,
        });
    }

    /// Quote balances plus every position at its instrument's last price, in f64.
    fn equity_value(&self) -> f64 {
        let state = &self.engine.state;
        let balances: f64 = self
            .quote_assets
            .iter()
            .map(|asset| self.balance(*asset).total.to_f64().unwrap_or(f64::NAN))
            .sum();
        let positions: f64 = state
            .instruments
            .0
            .values()
            .filter(|instrument| instrument.position.current.is_some())
            .map(|instrument| {
                let quantity = signed_position(instrument).to_f64().unwrap_or(f64::NAN);
                let price = instrument.data.price().and_then(|p| p.to_f64()).unwrap_or(f64::NAN);
                quantity * price
            })
            .sum();
        balances + positions
    }

    fn sample_equity(&mut self) {
        let value = self.equity_value();
        self.equity.time_ns.push(to_ns(self.engine.time()));
        self.equity.value.push(value);
    }

    fn finish<Interval: TimeInterval>(
        mut self,
        input: &RunInput<'a, Interval>,
    ) -> FfiResult<RunOutput<Interval>> {
        if let Some((index, price)) = self
            .engine
            .state
            .instruments
            .0
            .values()
            .enumerate()
            .find_map(|(index, instrument)| instrument.data.error.map(|price| (index, price)))
        {
            return Err(FfiError::invalid(format!(
                "market data: {}: {} cannot use price {price:e} exactly (the prices of one window span \
                 too wide a range)",
                self.names[index],
                input.strategy.name()
            )));
        }

        self.engine.state.global.last = None;
        let mut unfilled = 0u64;
        for index in 0..self.pending.len() {
            for order in std::mem::take(&mut self.pending[index]) {
                unfilled += 1;
                self.end_order(&order, OrderState::expired());
            }
        }
        if input.close_at_end {
            let _ = self.engine.action(&Command::ClosePositions(InstrumentFilter::None));
            while let Ok(request) = self.requests.try_recv() {
                if let ExecutionRequest::Open(order) = request {
                    let price = self.last_price(order.key.instrument);
                    self.execute(order, price);
                }
            }
        }

        let mut trading_summary =
            self.engine.trading_summary_generator(input.risk_free_return).generate(input.interval);
        // barter 0.14 passes the loss count to WinRate::calculate(wins, total) and the sum
        // of all returns as the gross profit to ProfitFactor::calculate(profits, losses):
        // recompute both from the closed positions (win: pnl > 0; returns as barter's
        // calculate_pnl_return).
        for (index, (_, sheet)) in trading_summary.instruments.iter_mut().enumerate() {
            let name = &self.names[index];
            let mut wins = 0u64;
            let mut total = 0u64;
            let mut profits = Decimal::ZERO;
            let mut losses = Decimal::ZERO;
            for position in self.positions.iter().filter(|p| &p.instrument == name) {
                total += 1;
                wins += u64::from(position.pnl > Decimal::ZERO);
                let cost = position.price_entry.checked_mul(position.quantity).unwrap_or_default();
                let pnl_return = position.pnl.checked_div(cost).unwrap_or_default();
                if pnl_return > Decimal::ZERO {
                    profits = profits.saturating_add(pnl_return);
                } else if pnl_return < Decimal::ZERO {
                    losses = losses.saturating_add(pnl_return.abs());
                }
            }
            sheet.win_rate = WinRate::calculate(Decimal::from(wins), Decimal::from(total));
            sheet.profit_factor = ProfitFactor::calculate(profits, losses);
        }

        Ok(RunOutput {
            trading_summary,
            positions: self.positions,
            equity: self.equity,
            rejected_orders: self.rejected,
            unfilled_orders: unfilled,
        })
    }
}
