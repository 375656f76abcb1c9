//! `SmaCross(fast, slow, quantity)`: long when the simple moving average of the last
//! `fast` prices crosses above that of the last `slow` prices (it was <= on the previous
//! price and is > now), flat when it crosses back below (was >=, is <). No signal until
//! `slow` prices have been seen; the first crossing can come with price `slow + 1`.
//! The averages are compared exactly (`sum_fast·slow` vs `sum_slow·fast` over the exact
//! prices, see [`super::exact`]).

use super::exact::{ExactWindow, OutOfRange};
use super::Signal;
use rust_decimal::Decimal;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmaCross {
    pub fast: usize,
    pub slow: usize,
    pub quantity: Decimal,
}

#[derive(Debug, Clone)]
pub struct SmaCrossState {
    fast: usize,
    slow: usize,
    window: ExactWindow,
    /// SMA(fast) compared with SMA(slow) at the previous price, once `slow` were seen.
    previous: Option<Ordering>,
}

impl SmaCrossState {
    pub fn new(params: &SmaCross) -> Self {
        Self {
            fast: params.fast,
            slow: params.slow,
            window: ExactWindow::new(params.slow, &[params.fast, params.slow], params.slow),
            previous: None,
        }
    }

    pub fn on_price(&mut self, price: f64) -> Result<Signal, OutOfRange> {
        self.window.push(price)?;
        if self.window.len() < self.slow {
            return Ok(Signal::None);
        }
        // Both products fit by construction of the window's value limit.
        let fast_side = self.window.sum(0).checked_mul(self.slow as i128).ok_or(OutOfRange)?;
        let slow_side = self.window.sum(1).checked_mul(self.fast as i128).ok_or(OutOfRange)?;
        let now = fast_side.cmp(&slow_side);
        let signal = match (self.previous, now) {
            (Some(Ordering::Less | Ordering::Equal), Ordering::Greater) => Signal::Enter,
            (Some(Ordering::Greater | Ordering::Equal), Ordering::Less) => Signal::Exit,
            _ => Signal::None,
        };
        self.previous = Some(now);
        Ok(signal)
    }
}
