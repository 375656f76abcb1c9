//! Built-in strategies, one file per family, acting per instrument on that instrument's
//! prices (one price per trade, or per candle: its close).
//!
//! The layers:
//! - a [`Strategy`] is an immutable, shareable description ([`StrategyKind`] in an `Arc`);
//! - each instrument's indicator state ([`Indicator`]) lives in the engine's instrument
//!   data (`crate::engine::instrument_data`), fed one price per trade or candle, and
//!   yields a [`Signal`] for the event just processed;
//! - after every event the engine asks the strategy for a [`Decision`] about the
//!   instrument of that event ([`Strategy::decide`]), and [`orders::EngineStrategy`] (the
//!   type that implements barter's strategy traits) turns it into at most one Market
//!   order, given the position and any order in flight.
//!
//! A strategy implemented outside Rust (a C callback: a function pointer and a `void*`
//! context, called per event with price, position and balances, returning a decision)
//! is meant to be one more [`StrategyKind`] variant whose `decide` calls it: it needs no
//! indicator state in the engine (its state is the callback's context), and the driver,
//! the fills and the order logic stay as they are.

pub mod bollinger;
pub mod breakout;
pub mod buy_and_hold;
pub mod callback;
pub mod exact;
pub mod orders;
pub mod params;
pub mod sma_cross;
pub mod target_positions;

use crate::error::{FfiError, FfiResult};
use bollinger::{BollingerReversion, BollingerState};
use breakout::{Breakout, BreakoutState};
use buy_and_hold::{BuyAndHold, BuyAndHoldState};
use exact::OutOfRange;
use params::StrategyDescription;
use rust_decimal::Decimal;
use sma_cross::{SmaCross, SmaCrossState};
use std::sync::Arc;
use target_positions::TargetPositions;

/// What an indicator says about the price just seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    #[default]
    None,
    /// Go long (if flat).
    Enter,
    /// Go flat (if long).
    Exit,
}

/// What the strategy wants for the instrument of the event just processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Hold,
    /// Buy this quantity if flat.
    Enter(Decimal),
    /// Sell the whole position if long.
    Exit,
    /// Trade towards this position (base units, long only).
    Target(Decimal),
}

/// The strategies there are, with their validated parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrategyKind {
    /// barter's `DefaultStrategy`: never orders.
    Default,
    BuyAndHold(BuyAndHold),
    SmaCross(SmaCross),
    BollingerReversion(BollingerReversion),
    Breakout(Breakout),
    TargetPositions(TargetPositions),
    /// Implemented outside Rust, called per event (see [`callback`]).
    Callback(callback::Callback),
}

/// Per-instrument indicator state of a strategy.
#[derive(Debug, Clone)]
pub enum Indicator {
    None,
    BuyAndHold(BuyAndHoldState),
    SmaCross(SmaCrossState),
    Bollinger(BollingerState),
    Breakout(BreakoutState),
}

impl Indicator {
    /// Feeds one price; `Err` when the price cannot be used exactly (see [`exact`]).
    pub fn on_price(&mut self, price: f64) -> Result<Signal, OutOfRange> {
        match self {
            Indicator::None => Ok(Signal::None),
            Indicator::BuyAndHold(state) => Ok(state.on_price(price)),
            Indicator::SmaCross(state) => state.on_price(price),
            Indicator::Bollinger(state) => state.on_price(price),
            Indicator::Breakout(state) => Ok(state.on_price(price)),
        }
    }
}

/// An immutable strategy description, cheap to clone and share across threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    kind: Arc<StrategyKind>,
}

impl Default for Strategy {
    fn default() -> Self {
        Self { kind: Arc::new(StrategyKind::Default) }
    }
}

impl Strategy {
    pub fn new(kind: StrategyKind) -> Self {
        Self { kind: Arc::new(kind) }
    }

    /// A strategy by name with its parameters as a JSON object (see [`params::parse`]).
    pub fn from_name(name: &str, params_json: Option<&str>) -> FfiResult<Self> {
        params::parse(name, params_json).map(Self::new)
    }

    /// `TargetPositions` from one target per market data item.
    pub fn target_positions(targets: &[f64]) -> FfiResult<Self> {
        TargetPositions::new(targets).map(|t| Self::new(StrategyKind::TargetPositions(t)))
    }

    pub fn kind(&self) -> &StrategyKind {
        &self.kind
    }

    pub fn describe(&self) -> StrategyDescription {
        params::describe(&self.kind)
    }

    pub fn name(&self) -> String {
        self.describe().name
    }

    /// `{"name": ..., "params": {...}}` as in the summary.
    pub fn describe_json(&self) -> FfiResult<Vec<u8>> {
        serde_json::to_vec(&self.describe())
            .map_err(|e| FfiError::engine(format!("serialising strategy description: {e}")))
    }

    /// Fresh indicator state for one instrument.
    pub fn indicator(&self) -> Indicator {
        match &*self.kind {
            StrategyKind::Default | StrategyKind::TargetPositions(_) | StrategyKind::Callback(_) => {
                Indicator::None
            }
            StrategyKind::BuyAndHold(_) => Indicator::BuyAndHold(BuyAndHoldState::default()),
            StrategyKind::SmaCross(p) => Indicator::SmaCross(SmaCrossState::new(p)),
            StrategyKind::BollingerReversion(p) => Indicator::Bollinger(BollingerState::new(p)),
            StrategyKind::Breakout(p) => Indicator::Breakout(BreakoutState::new(p)),
        }
    }

    /// Checks the strategy fits market data with `items` items (before a run).
    pub fn check_items(&self, items: usize) -> FfiResult<()> {
        match &*self.kind {
            StrategyKind::TargetPositions(t) => t.check_items(items),
            _ => Ok(()),
        }
    }

    /// The decision after item `item` (0-based, reconnect markers excluded), given the
    /// signal the item's instrument's indicator gave for it.
    pub fn decide(&self, item: usize, signal: Signal) -> Decision {
        let quantity = match &*self.kind {
            StrategyKind::Default | StrategyKind::Callback(_) => return Decision::Hold,
            StrategyKind::TargetPositions(t) => {
                return t.target(item).map_or(Decision::Hold, Decision::Target)
            }
            StrategyKind::BuyAndHold(p) => p.quantity,
            StrategyKind::SmaCross(p) => p.quantity,
            StrategyKind::BollingerReversion(p) => p.quantity,
            StrategyKind::Breakout(p) => p.quantity,
        };
        match signal {
            Signal::None => Decision::Hold,
            Signal::Enter => Decision::Enter(quantity),
            Signal::Exit => Decision::Exit,
        }
    }
}
