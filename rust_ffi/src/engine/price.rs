//! Prices of market events, and the one conversion of `f64` prices to `Decimal`.

use barter_data::event::DataKind;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

const POWERS_OF_TEN: [f64; 18] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17];

/// `value` as the decimal `mantissa · 10^-scale` of its shortest round-trip text (the
/// digits of Rust's `Display` and of Python's `repr`: 96962.51 is 9696251·10^-2,
/// 0.30000000000000004 keeps its 17 digits). `None` for NaN / inf and for values whose
/// text has more than 28 digits after the point or does not fit 96 bits (then
/// [`decimal_from_f64`] falls back to rust_decimal's `from_f64`).
///
/// Fast path: the smallest `scale` for which `round(value·10^scale) / 10^scale == value`
/// (an integer below 2^53 and a correctly rounded division: that decimal reads back as
/// `value`, and no shorter one does); otherwise the `Display` text is parsed.
pub fn decimal_parts(value: f64) -> Option<(i128, u32)> {
    if !value.is_finite() {
        return None;
    }
    for (scale, power) in POWERS_OF_TEN.iter().enumerate() {
        let scaled = (value * power).round();
        if scaled.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        if scaled / power == value {
            return Some((scaled as i128, scale as u32));
        }
    }
    let decimal = Decimal::from_str_exact(&value.to_string()).ok()?;
    Some((decimal.mantissa(), decimal.scale()))
}

/// The decimal of `value`'s shortest round-trip text (see [`decimal_parts`]); beyond
/// that, rust_decimal's `from_f64` (about 16 significant digits). `None` for NaN / inf
/// and magnitudes beyond `Decimal::MAX`.
pub fn decimal_from_f64(value: f64) -> Option<Decimal> {
    decimal_parts(value)
        .and_then(|(mantissa, scale)| Decimal::try_from_i128_with_scale(mantissa, scale).ok())
        .or_else(|| Decimal::from_f64(value))
}

/// A price as the event carries it.
#[derive(Debug, Copy, Clone, PartialEq)]
pub enum Mark {
    /// A trade price or candle price (f64 in barter's data model).
    Float(f64),
    /// An L1 mid price (barter computes it as a Decimal).
    Exact(Decimal),
}

impl Mark {
    pub fn decimal(self) -> Option<Decimal> {
        match self {
            Mark::Float(value) => decimal_from_f64(value),
            Mark::Exact(value) => Some(value),
        }
    }
}

/// The prices one market event carries.
#[derive(Debug, Copy, Clone, PartialEq)]
pub struct EventPrices {
    /// Where an order waiting for this event fills (`fill="next"`): a trade's price, a
    /// candle's open, an L1 mid.
    pub open: Mark,
    /// The instrument's last price after this event, and where an order the event
    /// produced fills (`fill="signal"`): a trade's price, a candle's close, an L1 mid.
    pub close: Mark,
    /// The price strategies see: trades and candle closes (L1 mids are not fed to them).
    pub indicator: Option<f64>,
}

impl EventPrices {
    /// `None` for events without a price (order book snapshots and updates, liquidations,
    /// an L1 book missing a side).
    pub fn of(kind: &DataKind) -> Option<Self> {
        match kind {
            DataKind::Trade(trade) => Some(Self {
                open: Mark::Float(trade.price),
                close: Mark::Float(trade.price),
                indicator: Some(trade.price),
            }),
            DataKind::Candle(candle) => Some(Self {
                open: Mark::Float(candle.open),
                close: Mark::Float(candle.close),
                indicator: Some(candle.close),
            }),
            DataKind::OrderBookL1(l1) => l1.volume_weighed_mid_price().map(|mid| Self {
                open: Mark::Exact(mid),
                close: Mark::Exact(mid),
                indicator: None,
            }),
            DataKind::OrderBook(_) | DataKind::Liquidation(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_round_trip_digits() {
        for (value, text) in [
            (96962.51, "96962.51"),
            (0.01, "0.01"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "0.0000001"),
            (100.0, "100"),
            (-0.0, "0"),
        ] {
            assert_eq!(decimal_from_f64(value).unwrap().to_string(), text, "{value}");
        }
        assert!(decimal_from_f64(f64::NAN).is_none());
        assert!(decimal_from_f64(1e300).is_none());
        // Beyond 28 decimal places: rust_decimal's own conversion.
        assert!(decimal_from_f64(1e-30).is_some());
    }

    #[test]
    fn fast_path_agrees_with_display() {
        let mut state = 5u64;
        for _ in 0..200_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let bits = state >> 11;
            let candidates = [
                (bits % 10_000_000) as f64 / 100.0,
                (bits % 1_000_000_000) as f64 / 1e6,
                f64::from_bits(0x3ff0_0000_0000_0000 | (state >> 12)) * 100.0,
                (bits as f64) / 3.0,
                -((bits % 100_000) as f64) / 1000.0,
            ];
            for value in candidates {
                let (mantissa, scale) = decimal_parts(value).unwrap();
                let text = Decimal::from_i128_with_scale(mantissa, scale).to_string();
                let expected = Decimal::from_str_exact(&value.to_string()).unwrap().to_string();
                assert_eq!(text, expected, "{value:?}");
            }
        }
    }
}
