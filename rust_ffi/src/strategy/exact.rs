//! Exact window sums of `f64` prices, so that indicator comparisons never depend on
//! rounding (a flat run of equal prices has SMA(fast) == SMA(slow) exactly, as it should).
//!
//! Every finite `f64` is `m·2^e` with an integer `m`; a window stores each price as the
//! integer `x·2^shift` in an `i128`, `shift` being the smallest that makes every price of
//! the window an integer (it grows, rescaling what is stored, when a finer price comes).
//! Sums are then plain integer sums: exact, O(1) per price. A window refuses a price whose
//! scaled form would not leave room for its sums and cross-products within 126 bits (only
//! for prices spanning more than ~2^70 between the largest and the finest in one window).

use std::collections::VecDeque;

/// A price the window cannot hold exactly (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

fn bits(n: u128) -> u32 {
    128 - n.leading_zeros()
}

/// `x = sign · mantissa · 2^exponent` with an odd mantissa (or 0); `None` for NaN / inf.
fn decompose(x: f64) -> Option<(bool, u64, i32)> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some((false, 0, 0));
    }
    let raw = x.to_bits();
    let negative = raw >> 63 == 1;
    let biased = ((raw >> 52) & 0x7ff) as i32;
    let fraction = raw & ((1u64 << 52) - 1);
    let (mantissa, exponent) =
        if biased == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), biased - 1075) };
    let zeros = mantissa.trailing_zeros();
    Some((negative, mantissa >> zeros, exponent + zeros as i32))
}

/// The last `capacity` prices as exact integers, with exact running sums over the last
/// `w` prices for each requested window length `w <= capacity`.
#[derive(Debug, Clone)]
pub struct ExactWindow {
    values: VecDeque<i128>,
    capacity: usize,
    shift: u32,
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
            shift: 0,
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

    fn rescale(&mut self, delta: u32) -> Result<(), OutOfRange> {
        let limit = self.limit_bits;
        if self.values.iter().any(|v| bits(v.unsigned_abs()) + delta > limit) {
            return Err(OutOfRange);
        }
        for v in self.values.iter_mut() {
            *v <<= delta;
        }
        for (_, sum) in self.sums.iter_mut() {
            *sum <<= delta;
        }
        self.shift += delta;
        Ok(())
    }

    /// Appends a price (dropping the oldest beyond `capacity`). On `Err` nothing changes.
    pub fn push(&mut self, price: f64) -> Result<(), OutOfRange> {
        let (negative, mantissa, exponent) = decompose(price).ok_or(OutOfRange)?;
        let value = if mantissa == 0 {
            0i128
        } else {
            let needed = exponent.checked_neg().ok_or(OutOfRange)?;
            if needed > self.shift as i32 {
                let delta = (needed - self.shift as i32) as u32;
                if delta > self.limit_bits {
                    return Err(OutOfRange);
                }
                // Check the new value fits before touching the stored ones.
                if bits(mantissa as u128) > self.limit_bits {
                    return Err(OutOfRange);
                }
                self.rescale(delta)?;
            }
            let left = (self.shift as i32 + exponent) as u32;
            if bits(mantissa as u128) + left > self.limit_bits {
                return Err(OutOfRange);
            }
            let magnitude = (mantissa as i128) << left;
            if negative {
                -magnitude
            } else {
                magnitude
            }
        };
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
    fn decomposes_exactly() {
        for x in [1.0, 0.1, 96962.51, -3.5, 1e-300, 5e-324, f64::MAX, 123456789.123] {
            let (negative, m, e) = decompose(x).unwrap();
            let back = (m as f64) * 2f64.powi(e);
            assert_eq!(if negative { -back } else { back }, x, "{x}");
            assert!(m == 0 || m % 2 == 1);
        }
        assert_eq!(decompose(f64::NAN), None);
        assert_eq!(decompose(f64::INFINITY), None);
    }

    #[test]
    fn sums_are_exact_and_rolling() {
        let mut w = ExactWindow::new(3, &[2, 3], 3);
        for p in [0.1, 0.1, 0.1] {
            w.push(p).unwrap();
        }
        // Three equal prices: the 2-sum times 3 equals the 3-sum times 2, exactly.
        assert_eq!(w.sum(0) * 3, w.sum(1) * 2);
        w.push(0.2).unwrap();
        w.push(1.0).unwrap(); // coarser: no rescale
        w.push(0.3).unwrap();
        let scale = w.sum(1) as f64 / (0.2 + 1.0 + 0.3);
        assert!((w.sum(0) as f64 / scale - 1.3).abs() < 1e-12);
        assert_eq!(w.len(), 3);
        let direct: i128 = w.values().sum();
        assert_eq!(direct, w.sum(1));
    }

    #[test]
    fn refuses_prices_beyond_the_exact_range() {
        let mut w = ExactWindow::new(10, &[10], 10);
        w.push(1e20).unwrap();
        assert_eq!(w.push(1e-20), Err(OutOfRange));
        assert_eq!(w.len(), 1);
        assert_eq!(w.push(f64::NAN), Err(OutOfRange));
    }
}
