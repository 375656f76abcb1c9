//! Issue 10 on the Rust side: config errors name the field path, assets are keyed as
//! barter keys them, duplicate balances and long latencies are refused when the constant
//! arguments are made, and rust_decimal overflow inside barter's statistics stops a run
//! with an `Engine` error (not a panic) that names the record.

mod common;

use barter_ffi::backtest::{
    asset_key, build_args_constant, build_args_dynamic, run_many, run_one, BalanceOverride, SummaryInterval,
    MAX_LATENCY_MS,
};
use barter_ffi::engine::Fill;
use barter_ffi::error::BarterStatus;
use barter_ffi::strategy::Strategy;
use common::system_config_path;
use serde_json::{json, Value};

fn example() -> Value {
    serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap()
}

fn parse(value: &Value) -> Result<barter_ffi::config::Config, String> {
    barter_ffi::config::parse(&serde_json::to_vec(value).unwrap(), "<test>").map_err(|e| e.message)
}

/// Daily trades at `prices` on instrument 0 (binance_spot), JSON Lines.
fn trades(prices: &[f64]) -> barter_ffi::market_data::MarketData {
    let mut text = String::new();
    for (index, price) in prices.iter().enumerate() {
        let ns = 1_704_067_200_000_000_000i64 + index as i64 * 86_400_000_000_000;
        let time = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ns)
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let event = json!({"Item": {"time_exchange": time, "time_received": time, "exchange": "binance_spot",
            "instrument": 0, "kind": {"Trade": {"id": "1", "price": price, "amount": 1.0, "side": "Buy"}}}});
        text.push_str(&event.to_string());
        text.push('\n');
    }
    barter_ffi::market_data::parse(text.as_bytes(), "test", false).unwrap()
}

fn example_trades() -> barter_ffi::market_data::MarketData {
    trades(&[100.0, 101.0, 102.0])
}

#[test]
fn config_errors_name_the_field_path() {
    let mut value = example();
    value["instruments"][1]["underlying"]["quote"] = json!(5);
    let message = parse(&value).unwrap_err();
    assert!(
        message.starts_with(
            "<test>: invalid system config at instruments[1].underlying.quote: invalid type: integer `5`"
        ),
        "{message}"
    );

    let mut value = example();
    value["executions"][0]["latency_ms"] = json!(-1);
    let message = parse(&value).unwrap_err();
    assert!(
        message.starts_with("<test>: invalid system config at executions[0].latency_ms: invalid value: integer `-1`, expected u64 (line "),
        "{message}"
    );

    let wrapped = json!({"risk_free_return": 0.05, "system": {"instruments": "x", "executions": []}});
    let message = parse(&wrapped).unwrap_err();
    assert!(
        message.starts_with("<test>: invalid system config at system.instruments: invalid type: string"),
        "{message}"
    );

    let message = barter_ffi::config::parse(b"{\"instruments\": [}", "<test>").unwrap_err().message;
    assert!(
        message
            .starts_with("<test>: invalid system config at instruments: expected value at line 1 column 18"),
        "{message}"
    );
}

#[test]
fn asset_names_are_keyed_as_barter_keys_them() {
    assert_eq!(asset_key("USDT"), "usdt");
    assert_eq!(asset_key("usdt"), "usdt");
    assert_eq!(asset_key("ÄBC"), "äbc");
    assert_eq!(asset_key("Btc1"), "btc1");

    let mut value = example();
    for instrument in value["instruments"].as_array_mut().unwrap() {
        instrument["underlying"]["quote"] = json!("USDT");
    }
    value["executions"][0]["initial_state"]["balances"][0]["asset"] = json!("UsDt");
    let config = parse(&value).unwrap();
    let overrides = [BalanceOverride {
        exchange: "binance_spot".into(),
        asset: "USDT".into(),
        total: "5".into(),
        free: "4".into(),
    }];
    let args = build_args_constant(&config, &example_trades(), SummaryInterval::Daily, &overrides).unwrap();
    let usdt: Vec<_> = args.balances.iter().filter(|b| b.key.asset.name().as_str() == "usdt").collect();
    assert_eq!(usdt.len(), 1);
    assert_eq!(usdt[0].value.total.to_string(), "5");
    assert_eq!(usdt[0].value.free.to_string(), "4");
}

#[test]
fn duplicate_balances_are_refused_naming_the_asset() {
    let config = parse(&example()).unwrap();
    let entry = |asset: &str| BalanceOverride {
        exchange: "binance_spot".into(),
        asset: asset.into(),
        total: "1".into(),
        free: "1".into(),
    };
    let error = build_args_constant(
        &config,
        &example_trades(),
        SummaryInterval::Daily,
        &[entry("btc"), entry("BTC")],
    )
    .unwrap_err();
    assert_eq!(error.status, BarterStatus::InvalidInput);
    assert!(
        error.message.starts_with(
            "initial_balances[1].asset: asset \"btc\" on binance_spot is given twice (initial_balances[0] and [1];"
        ),
        "{}",
        error.message
    );

    let mut value = example();
    let first = value["executions"][0]["initial_state"]["balances"][1].clone();
    let mut twin = first.clone();
    twin["asset"] = json!("BTC");
    value["executions"][0]["initial_state"]["balances"].as_array_mut().unwrap().push(twin);
    let error = build_args_constant(&parse(&value).unwrap(), &example_trades(), SummaryInterval::Daily, &[])
        .unwrap_err();
    assert!(
        error.message.starts_with(
            "executions[0].initial_state.balances[4]: asset \"btc\" is given twice (balances[1] and [4];"
        ),
        "{}",
        error.message
    );
}

#[test]
fn latency_is_bounded_to_an_hour() {
    for (latency, ok) in [(MAX_LATENCY_MS, true), (MAX_LATENCY_MS + 1, false), (u64::MAX, false)] {
        let mut value = example();
        value["executions"][0]["latency_ms"] = json!(latency);
        let result =
            build_args_constant(&parse(&value).unwrap(), &example_trades(), SummaryInterval::Daily, &[]);
        match result {
            Ok(_) => assert!(ok, "{latency} accepted"),
            Err(error) => {
                assert!(!ok, "{latency}: {}", error.message);
                assert_eq!(
                    error.message,
                    format!("executions[0].latency_ms: at most 3600000 (one hour), got {latency}")
                );
            }
        }
    }
}

#[test]
fn decimal_overflow_in_barter_statistics_is_an_engine_error() {
    let config = parse(&example()).unwrap();
    let overrides = [BalanceOverride {
        exchange: "binance_spot".into(),
        asset: "usdt".into(),
        total: "25000".into(),
        free: "25000".into(),
    }];
    let prices: Vec<f64> = [1e25, 1e-10].iter().copied().cycle().take(40).collect();
    let args = build_args_constant(&config, &trades(&prices), SummaryInterval::Daily, &overrides).unwrap();
    let strategy =
        Strategy::from_name("sma_cross", Some(r#"{"fast": 2, "slow": 3, "quantity": "0.01"}"#)).unwrap();
    let dynamic = build_args_dynamic("x", "0.05", Some(strategy), Fill::Signal, true).unwrap();
    let error = run_one(&args, &dynamic).unwrap_err();
    assert_eq!(error.status, BarterStatus::Engine);
    assert_eq!(
        error.message,
        "backtest stopped at market data record 4: barter's decimal arithmetic overflowed (Division overflowed); \
         prices, quantities or balances this far apart are beyond rust_decimal's 28 digits"
    );
    let error = run_many(&args, &[dynamic], 2).unwrap_err();
    assert_eq!(error.status, BarterStatus::Engine);
    assert!(
        error.message.starts_with("backtest \"x\": backtest stopped at market data record 4"),
        "{}",
        error.message
    );
}

#[test]
fn other_panics_still_unwind_through_the_overflow_catch() {
    let result = std::panic::catch_unwind(|| {
        barter_ffi::log::catch_decimal_overflow(|| -> () { panic!("not an overflow") })
    });
    assert!(result.is_err());
    assert_eq!(barter_ffi::log::catch_decimal_overflow(|| 7), Ok(7));
    let caught = barter_ffi::log::catch_decimal_overflow(|| {
        let _ = rust_decimal::Decimal::MAX + rust_decimal::Decimal::ONE;
    });
    assert_eq!(caught, Err("Addition overflowed".to_owned()));
}
