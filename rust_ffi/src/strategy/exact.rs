//! Exact window sums of prices, so that indicator comparisons never depend on rounding:
//! a flat run of equal prices has SMA(fast) == SMA(slow) exactly, and two windows whose
//! prices add up to the same decimal total compare equal.
//!
//! Each price is taken as the decimal of its shortest round-trip text (96962.51, not the
//! binary value nearest to it; see [`crate::engine::price::decimal_parts`]); a window
//! stores each price as the integer `price·10^scale` in an `i128`, `scale` being the
//! largest number of decimals among the prices it has seen (it grows, rescaling what is
//! stored, when a price with more decimals comes). Sums are then plain integer sums:
//! exact, O(1) per price. A window refuses a price whose scaled form would not leave room
//! for its sums and cross-products within 126 bits (only for prices with about 30 digits
//! between their largest and their finest in one window).

use crate::engine::price::decimal_parts;
use std::collections::VecDeque;

/// A price the window cannot hold exactly (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

fn bits(n: u128) -> u32 {
    128 - n.leading_zeros()
}

fn power_of_ten(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

/// The last `capacity` prices as exact integers, with exact running sums over the last
/// `w` prices for each requested window length `w <= capacity`.
#[derive(Debug, Clone)]
pub struct ExactWindow {
    values: VecDeque<i128>,
    capacity: usize,
    scale: u32,
    /// Largest bit length a stored value may have.
    limit_bits: u32,
    /// (window length, exact sum of the last `min(window, len)` values).
    sums: Vec<(usize, i128)>,
}

impl ExactWindow {
    /// `multiplier` is the largest integer a sum will be multiplied by (for comparing
    /// two means by cross-multiplication); values are limited so that such products of
    /// full-window sums fit an `i128`.
    pub fn new(capacity: usize, windows: &[usize], multiplier: usize) -> Self {
        let capacity = capacity.max(1);
        let limit_bits = 126u32.saturating_sub(bits(capacity as u128) + bits(multiplier.max(1) as u128));
        Self {
            values: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            scale: 0,
            limit_bits,
            sums: windows.iter().map(|w| ((*w).clamp(1, capacity), 0)).collect(),
        }
    }

    /// Number of prices held (at most `capacity`).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The exact sum of the last `window` prices of window `index` (as given to `new`).
    pub fn sum(&self, index: usize) -> i128 {
        self.sums[index].1
    }

    /// The newest price, scaled like the sums.
    pub fn last(&self) -> i128 {
        self.values.back().copied().unwrap_or(0)
    }

    /// The stored prices, oldest first, scaled like the sums.
    pub fn values(&self) -> impl Iterator<Item = &i128> {
        self.values.iter()
    }

    fn fits(&self, value: i128) -> bool {
        bits(value.unsigned_abs()) <= self.limit_bits
    }

    fn rescale(&mut self, delta: u32) -> Result<(), OutOfRange> {
        let factor = power_of_ten(delta).ok_or(OutOfRange)?;
        let scaled: Option<Vec<i128>> =
            self.values.iter().map(|v| v.checked_mul(factor).filter(|v| self.fits(*v))).collect();
        let scaled = scaled.ok_or(OutOfRange)?;
        let sums: Option<Vec<i128>> = self.sums.iter().map(|(_, sum)| sum.checked_mul(factor)).collect();
        let sums = sums.ok_or(OutOfRange)?;
        self.values = scaled.into();
        for ((_, sum), scaled_sum) in self.sums.iter_mut().zip(sums) {
            *sum = scaled_sum;
        }
        self.scale += delta;
        Ok(())
    }

    /// Appends a price (dropping the oldest beyond `capacity`). On `Err` nothing changes.
    pub fn push(&mut self, price: f64) -> Result<(), OutOfRange> {
        let (mantissa, scale) = decimal_parts(price).ok_or(OutOfRange)?;
        if scale > self.scale {
            if !self.fits(mantissa) {
                return Err(OutOfRange);
            }
            self.rescale(scale - self.scale)?;
        }
        let value = power_of_ten(self.scale - scale)
            .and_then(|factor| mantissa.checked_mul(factor))
            .filter(|v| self.fits(*v))
            .ok_or(OutOfRange)?;
        self.values.push_back(value);
        let len = self.values.len();
        for (window, sum) in self.sums.iter_mut() {
            *sum += value;
            if len > *window {
                *sum -= self.values[len - 1 - *window];
            }
        }
        if len > self.capacity {
            self.values.pop_front();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_rolling() {
        let mut w = ExactWindow::new(3, &[2, 3], 3);
        for p in [0.1, 0.1, 0.1] {
            w.push(p).unwrap();
        }
        // Three equal prices: the 2-sum times 3 equals the 3-sum times 2, exactly.
        assert_eq!(w.sum(0) * 3, w.sum(1) * 2);
        w.push(0.2).unwrap();
        w.push(1.0).unwrap();
        w.push(0.35).unwrap(); // finer: rescale
        assert_eq!((w.sum(0), w.sum(1)), (135, 155));
        assert_eq!(w.len(), 3);
        let direct: i128 = w.values().sum();
        assert_eq!(direct, w.sum(1));
        // Decimal ties are ties: 29.99 + 29.97 == 29.98 + 29.98.
        let mut a = ExactWindow::new(2, &[2], 2);
        let mut b = ExactWindow::new(2, &[2], 2);
        for p in [29.99, 29.97] {
            a.push(p).unwrap();
        }
        for p in [29.98, 29.98] {
            b.push(p).unwrap();
        }
        assert_eq!(a.sum(0), b.sum(0));
    }

    #[test]
    fn refuses_prices_beyond_the_exact_range() {
        let mut w = ExactWindow::new(10, &[10], 10);
        w.push(1e20).unwrap();
        assert_eq!(w.push(1.2345678901234567e-12), Err(OutOfRange));
        assert_eq!(w.len(), 1);
        assert_eq!(w.push(f64::NAN), Err(OutOfRange));
        assert_eq!(w.push(f64::INFINITY), Err(OutOfRange));
    }

    #[test]
    fn rolling_sums_match_direct_sums() {
        let mut state = 11u64;
        let mut cents = 20_000i64;
        let mut w = ExactWindow::new(7, &[3, 7], 7);
        for step in 0..3000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            cents = (cents + ((state >> 33) as i64 % 7) - 3).max(100);
            let price = if step % 100 == 50 { cents as f64 / 1000.0 } else { cents as f64 / 100.0 };
            w.push(price).unwrap();
            let direct: Vec<i128> = w.values().copied().collect();
            let s3: i128 = direct[direct.len().saturating_sub(3)..].iter().sum();
            let s7: i128 = direct.iter().sum();
            assert_eq!((w.sum(0), w.sum(1)), (s3, s7), "step {step}");
        }
    }
}
