//! `TargetPositions(targets)`: one target position (base units) per item of the market
//! data (reconnect markers excluded, file order); after each item the engine orders the
//! difference between that item's target and the position of the item's instrument.

use crate::error::{FfiError, FfiResult};
use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPositions {
    pub targets: Arc<[Decimal]>,
}

impl TargetPositions {
    /// Validates and converts the targets: finite, not negative, each converted to the
    /// decimal of its shortest round-trip text (`0.01` is 0.01, as Python's `repr`).
    pub fn new(targets: &[f64]) -> FfiResult<Self> {
        let mut out = Vec::with_capacity(targets.len());
        for (index, value) in targets.iter().enumerate() {
            if value.is_nan() {
                return Err(FfiError::invalid(format!("targets[{index}]: NaN is not a target position")));
            }
            if value.is_infinite() {
                return Err(FfiError::invalid(format!("targets[{index}]: {value} is not a target position")));
            }
            if *value < 0.0 {
                return Err(FfiError::invalid(format!(
                    "targets[{index}]: must not be negative (long only), got {value}"
                )));
            }
            let decimal = crate::engine::price::decimal_from_f64(*value).ok_or_else(|| {
                FfiError::invalid(format!(
                    "targets[{index}]: {value:e} is not a decimal barter can represent"
                ))
            })?;
            out.push(decimal.abs());
        }
        Ok(Self { targets: out.into() })
    }

    /// The target for item `item` (in range: the length is checked before a run).
    pub fn target(&self, item: usize) -> Option<Decimal> {
        self.targets.get(item).copied()
    }

    pub fn check_items(&self, items: usize) -> FfiResult<()> {
        if self.targets.len() == items {
            Ok(())
        } else {
            Err(FfiError::invalid(format!(
                "targets: {} values but the market data has {items} items",
                self.targets.len()
            )))
        }
    }
}
