//! Prices of market events, and the one conversion of `f64` prices to `Decimal`.

use barter_data::event::DataKind;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

/// The decimal of `value`'s shortest round-trip text (Rust's `Display`, the same digits
/// as Python's `repr`: 96962.51 is 96962.51, 0.30000000000000004 keeps its 17 digits).
/// Values whose text needs more than 28 digits after the point or more than 96 bits fall
/// back to rust_decimal's `from_f64` (about 16 significant digits). `None` for NaN / inf
/// and magnitudes beyond `Decimal::MAX`.
pub fn decimal_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let text = value.to_string();
    Decimal::from_str_exact(&text).ok().or_else(|| Decimal::from_f64(value))
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
}
