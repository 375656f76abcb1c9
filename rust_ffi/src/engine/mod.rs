//! The deterministic backtest driver around barter's `Engine`: an event-time clock
//! ([`clock`]), global data that knows which item was processed last ([`global`]),
//! instrument data that takes every trade, candle and L1 mid ([`instrument_data`]), event
//! prices ([`price`]) and the loop that replays the market data and fills orders
//! ([`driver`]). barter's `Engine`, `EngineState` and `TradingSummary` stay the engine and
//! the books; barter's mock exchange and tokio's runtime are not on this path.

pub mod clock;
pub mod driver;
pub mod global;
pub mod instrument_data;
pub mod price;

pub use driver::{run, ClosedPosition, RunInput, RunOutput};

use barter::engine::state::EngineState;

/// The engine state every backtest runs on.
pub type State = EngineState<global::GlobalData, instrument_data::InstrumentData>;

/// Where Market orders fill.
#[derive(Debug, Copy, Clone, PartialEq, Eq, Default)]
pub enum Fill {
    /// At the next priced event of the order's instrument: the next trade's price, the
    /// next candle's open, the next L1 mid.
    #[default]
    Next,
    /// At the price of the event that produced the order: the trade's price, the candle's
    /// close, the L1 mid.
    Signal,
}

impl Fill {
    pub fn key(self) -> &'static str {
        match self {
            Fill::Next => "next",
            Fill::Signal => "signal",
        }
    }
}

/// The equity curve: value in the quote asset (quote balances plus positions at their
/// last price) at every fill and at up to [`driver::EQUITY_GRID_POINTS`] evenly spaced
/// items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    pub time_ns: Vec<i64>,
    pub value: Vec<f64>,
}
