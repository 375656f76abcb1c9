//! `BollingerReversion(window, k, quantity)`: long when the price closes below
//! SMA − k·σ, flat when it closes at or above the SMA. SMA and population σ are over the
//! last `window` prices, the current one included; no signal before `window` prices.
//! "Below / at or above the SMA" is decided exactly (`window·price` vs the exact sum);
//! the σ band is compared in f64 from exact deviations (`window·x_i − sum`).

use super::exact::{ExactWindow, OutOfRange};
use super::Signal;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BollingerReversion {
    pub window: usize,
    pub k: Decimal,
    pub quantity: Decimal,
}

#[derive(Debug, Clone)]
pub struct BollingerState {
    n: usize,
    k: f64,
    window: ExactWindow,
}

impl BollingerState {
    pub fn new(params: &BollingerReversion) -> Self {
        use rust_decimal::prelude::ToPrimitive;
        Self {
            n: params.window,
            k: params.k.to_f64().unwrap_or(f64::INFINITY),
            window: ExactWindow::new(params.window, &[params.window], params.window),
        }
    }

    pub fn on_price(&mut self, price: f64) -> Result<Signal, OutOfRange> {
        self.window.push(price)?;
        if self.window.len() < self.n {
            return Ok(Signal::None);
        }
        let n = self.n as i128;
        let sum = self.window.sum(0);
        // d = n·(SMA − price), exact.
        let d = sum.checked_sub(self.window.last().checked_mul(n).ok_or(OutOfRange)?).ok_or(OutOfRange)?;
        if d <= 0 {
            return Ok(Signal::Exit);
        }
        // n·σ = sqrt(Σ (n·x_i − sum)² / n)
        let mut squares = 0.0f64;
        for value in self.window.values() {
            let deviation = value.checked_mul(n).and_then(|v| v.checked_sub(sum)).ok_or(OutOfRange)? as f64;
            squares += deviation * deviation;
        }
        let n_sigma = (squares / self.n as f64).sqrt();
        if (d as f64) > self.k * n_sigma {
            Ok(Signal::Enter)
        } else {
            Ok(Signal::None)
        }
    }
}
