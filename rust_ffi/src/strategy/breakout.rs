//! `Breakout(window, quantity)`: long when the price exceeds the highest of the previous
//! `window` prices, flat when it falls below their lowest. No signal until `window`
//! previous prices exist. Prices are compared as the f64 values they are (exact).

use super::Signal;
use rust_decimal::Decimal;
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakout {
    pub window: usize,
    pub quantity: Decimal,
}

/// Sliding maximum and minimum of the previous `window` prices (monotonic deques of
/// (sequence number, price)).
#[derive(Debug, Clone)]
pub struct BreakoutState {
    window: usize,
    seen: usize,
    highs: VecDeque<(usize, f64)>,
    lows: VecDeque<(usize, f64)>,
}

impl BreakoutState {
    pub fn new(params: &Breakout) -> Self {
        Self { window: params.window, seen: 0, highs: VecDeque::new(), lows: VecDeque::new() }
    }

    pub fn on_price(&mut self, price: f64) -> Signal {
        if !price.is_finite() {
            return Signal::None;
        }
        let signal = if self.seen >= self.window {
            let high = self.highs.front().map_or(f64::INFINITY, |(_, p)| *p);
            let low = self.lows.front().map_or(f64::NEG_INFINITY, |(_, p)| *p);
            if price > high {
                Signal::Enter
            } else if price < low {
                Signal::Exit
            } else {
                Signal::None
            }
        } else {
            Signal::None
        };
        let index = self.seen;
        self.seen += 1;
        while self.highs.back().is_some_and(|(_, p)| *p <= price) {
            self.highs.pop_back();
        }
        self.highs.push_back((index, price));
        while self.lows.back().is_some_and(|(_, p)| *p >= price) {
            self.lows.pop_back();
        }
        self.lows.push_back((index, price));
        // Keep the last `window` prices (indices seen-window .. seen-1).
        let oldest = self.seen.saturating_sub(self.window);
        while self.highs.front().is_some_and(|(i, _)| *i < oldest) {
            self.highs.pop_front();
        }
        while self.lows.front().is_some_and(|(i, _)| *i < oldest) {
            self.lows.pop_front();
        }
        signal
    }
}
