//! Strategy parameters as they cross the boundary: a JSON object per strategy name
//! (`{"fast": 10, "slow": 30, "quantity": "0.01"}`; decimals as strings, windows as JSON
//! integers), validated into a [`StrategyKind`], and described back in the same shape.

use super::{
    bollinger::BollingerReversion, breakout::Breakout, buy_and_hold::BuyAndHold, sma_cross::SmaCross,
    StrategyKind,
};
use crate::backtest::parse_decimal;
use crate::error::{FfiError, FfiResult};
use crate::summary::OrderedMap;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

/// Names `barter_strategy_new` accepts.
pub const NAMES: &str = "default, buy_and_hold, sma_cross, bollinger_reversion, breakout";

/// Largest window any strategy accepts (keeps the exact sums of [`super::exact`] roomy).
///
/// cbindgen:ignore
pub const MAX_WINDOW: u64 = 10_000_000;

/// One parameter value as described: an integer, or a decimal as its exact string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Integer(u64),
    Decimal(String),
    /// A callback strategy's own parameters, as its caller gave them.
    Json(Value),
}

/// `{"name": ..., "params": {...}}`, params in their documented order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyDescription {
    pub name: String,
    pub params: OrderedMap<ParamValue>,
}

impl StrategyDescription {
    pub fn new(name: &str, params: Vec<(&str, ParamValue)>) -> Self {
        Self {
            name: name.to_owned(),
            params: OrderedMap(params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        }
    }
}

fn decimal_param(value: Decimal) -> ParamValue {
    ParamValue::Decimal(value.to_string())
}

fn window_param(value: usize) -> ParamValue {
    ParamValue::Integer(value as u64)
}

/// Describes a strategy (the `strategy` object of the summary).
pub fn describe(kind: &StrategyKind) -> StrategyDescription {
    match kind {
        StrategyKind::Default => StrategyDescription::new("default", vec![]),
        StrategyKind::BuyAndHold(p) => {
            StrategyDescription::new("buy_and_hold", vec![("quantity", decimal_param(p.quantity))])
        }
        StrategyKind::SmaCross(p) => StrategyDescription::new(
            "sma_cross",
            vec![
                ("fast", window_param(p.fast)),
                ("slow", window_param(p.slow)),
                ("quantity", decimal_param(p.quantity)),
            ],
        ),
        StrategyKind::BollingerReversion(p) => StrategyDescription::new(
            "bollinger_reversion",
            vec![
                ("window", window_param(p.window)),
                ("k", decimal_param(p.k)),
                ("quantity", decimal_param(p.quantity)),
            ],
        ),
        StrategyKind::Breakout(p) => StrategyDescription::new(
            "breakout",
            vec![("window", window_param(p.window)), ("quantity", decimal_param(p.quantity))],
        ),
        StrategyKind::TargetPositions(p) => StrategyDescription::new(
            "target_positions",
            vec![("len", ParamValue::Integer(p.targets.len() as u64))],
        ),
        StrategyKind::Callback(c) => StrategyDescription::new(
            &c.name,
            match &c.params {
                Value::Object(map) => {
                    map.iter().map(|(k, v)| (k.as_str(), ParamValue::Json(v.clone()))).collect()
                }
                _ => vec![],
            },
        ),
    }
}

/// The parameters of one strategy, each taken once; what is left over is unknown.
struct Params {
    name: &'static str,
    expected: &'static [&'static str],
    map: Map<String, Value>,
}

impl Params {
    fn parse(name: &'static str, expected: &'static [&'static str], text: Option<&str>) -> FfiResult<Self> {
        let text = text.unwrap_or("{}");
        let value: Value = serde_json::from_str(if text.trim().is_empty() { "{}" } else { text })
            .map_err(|e| FfiError::invalid(format!("params: invalid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(FfiError::invalid(format!("params: expected a JSON object, got {value}")));
        };
        let mut unknown: Vec<&String> = map.keys().filter(|k| !expected.contains(&k.as_str())).collect();
        unknown.sort();
        if let Some(first) = unknown.first() {
            return Err(FfiError::invalid(format!(
                "{first}: unknown parameter for {name} (it takes {})",
                if expected.is_empty() { "no parameters".to_owned() } else { expected.join(", ") }
            )));
        }
        Ok(Self { name, expected, map })
    }

    fn take(&mut self, key: &'static str) -> FfiResult<Value> {
        self.map.remove(key).ok_or_else(|| {
            FfiError::invalid(format!(
                "{key}: missing (parameters of {}: {})",
                self.name,
                self.expected.join(", ")
            ))
        })
    }

    /// A window length: a JSON integer, at least `min`.
    fn window(&mut self, key: &'static str, min: u64) -> FfiResult<usize> {
        let value = self.take(key)?;
        let number = match &value {
            Value::Number(n) if n.is_u64() => n.as_u64().unwrap_or(0),
            Value::Number(n) if n.is_i64() => {
                return Err(FfiError::invalid(format!("{key}: must be at least {min}, got {n}")));
            }
            other => return Err(FfiError::invalid(format!("{key}: must be a JSON integer, got {other}"))),
        };
        if number < min {
            return Err(FfiError::invalid(format!("{key}: must be at least {min}, got {number}")));
        }
        if number > MAX_WINDOW {
            return Err(FfiError::invalid(format!("{key}: must be at most {MAX_WINDOW}, got {number}")));
        }
        usize::try_from(number).map_err(|_| FfiError::invalid(format!("{key}: {number} is too large")))
    }

    /// A decimal greater than 0: a string (exact) or a JSON integer.
    fn positive_decimal(&mut self, key: &'static str) -> FfiResult<Decimal> {
        let value = self.take(key)?;
        let decimal = match &value {
            Value::String(text) => parse_decimal(text, key)?,
            Value::Number(n) if n.is_i64() => Decimal::from(n.as_i64().unwrap_or(0)),
            Value::Number(n) if n.is_u64() => Decimal::from(n.as_u64().unwrap_or(0)),
            Value::Number(n) => {
                return Err(FfiError::invalid(format!(
                    "{key}: give decimals as strings (got the JSON number {n}, which may not be exact)"
                )))
            }
            other => return Err(FfiError::invalid(format!("{key}: must be a decimal string, got {other}"))),
        };
        if decimal <= Decimal::ZERO {
            return Err(FfiError::invalid(format!("{key}: must be greater than 0, got {decimal}")));
        }
        Ok(decimal)
    }
}

/// Validates `params_json` (NULL / empty = `{}`) for the strategy called `name`.
pub fn parse(name: &str, params_json: Option<&str>) -> FfiResult<StrategyKind> {
    match name.trim().to_ascii_lowercase().as_str() {
        "default" => {
            Params::parse("default", &[], params_json)?;
            Ok(StrategyKind::Default)
        }
        "buy_and_hold" => {
            let mut p = Params::parse("buy_and_hold", &["quantity"], params_json)?;
            Ok(StrategyKind::BuyAndHold(BuyAndHold { quantity: p.positive_decimal("quantity")? }))
        }
        "sma_cross" => {
            let mut p = Params::parse("sma_cross", &["fast", "slow", "quantity"], params_json)?;
            let fast = p.window("fast", 1)?;
            let slow = p.window("slow", 2)?;
            if fast >= slow {
                return Err(FfiError::invalid(format!(
                    "fast: must be less than slow (got fast={fast}, slow={slow})"
                )));
            }
            let quantity = p.positive_decimal("quantity")?;
            Ok(StrategyKind::SmaCross(SmaCross { fast, slow, quantity }))
        }
        "bollinger_reversion" => {
            let mut p = Params::parse("bollinger_reversion", &["window", "k", "quantity"], params_json)?;
            let window = p.window("window", 2)?;
            let k = p.positive_decimal("k")?;
            let quantity = p.positive_decimal("quantity")?;
            Ok(StrategyKind::BollingerReversion(BollingerReversion { window, k, quantity }))
        }
        "breakout" => {
            let mut p = Params::parse("breakout", &["window", "quantity"], params_json)?;
            let window = p.window("window", 2)?;
            let quantity = p.positive_decimal("quantity")?;
            Ok(StrategyKind::Breakout(Breakout { window, quantity }))
        }
        "target_positions" => Err(FfiError::invalid(
            "name: target_positions takes one target per market data item: make it with \
             barter_strategy_target_positions",
        )),
        _ => Err(FfiError::invalid(format!("name: unknown strategy {name:?}; valid names are {NAMES}"))),
    }
}
