//! `BuyAndHold(quantity)`: buy `quantity` at the first price of each instrument, hold.

use super::Signal;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyAndHold {
    pub quantity: Decimal,
}

/// Per-instrument state: whether the first price has been seen.
#[derive(Debug, Clone, Default)]
pub struct BuyAndHoldState {
    seen: bool,
}

impl BuyAndHoldState {
    pub fn on_price(&mut self, _price: f64) -> Signal {
        if std::mem::replace(&mut self.seen, true) {
            Signal::None
        } else {
            Signal::Enter
        }
    }
}
