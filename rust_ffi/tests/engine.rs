//! The deterministic driver with trading strategies, checked against analytic oracles
//! computed here independently: round-trip PnL `q(P1−P0) − f·q(P0+P1)`, end balances =
//! start + realised PnL, fill prices and times for `fill="signal"` / `"next"` item by
//! item, SmaCross entries and exits from a separate exact SMA computation (on trades and
//! on candles), rejected orders, equity curve bounds, exact engine start / end times,
//! determinism over repeated runs and thread counts.

mod common;

use barter_ffi::backtest::{
    build_args_constant, build_args_dynamic, run_many, run_one, ArgsConstant, ArgsDynamic, BalanceOverride,
    SummaryInterval,
};
use barter_ffi::engine::Fill;
use barter_ffi::strategy::Strategy;
use chrono::{DateTime, SecondsFormat, Utc};
use common::{market_data_path, system_config_path, FIRST_EVENT_NS};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

const BTC: &str = "binancespot-btc_usdt";
const ETH: &str = "binancespot-eth_usdt";
const SOL: &str = "binancespot-sol_usdt";
const NAMES: [&str; 3] = [BTC, ETH, SOL];
const T0_NS: i64 = 1_734_652_800_000_000_000; // 2024-12-20T00:00:00Z

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// The example system config with `fees_percent` and the usdt balance replaced.
fn config(fees: &str, usdt: &str) -> barter_ffi::config::Config {
    let mut v: Value = serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap();
    v["executions"][0]["fees_percent"] = json!(fees);
    v["executions"][0]["initial_state"]["balances"][0]["balance"] = json!({"total": usdt, "free": usdt});
    barter_ffi::config::parse(&serde_json::to_vec(&v).unwrap(), "test config").unwrap()
}

/// One market item: instrument, time (ms after T0), open and close in cents (a trade has
/// open == close).
#[derive(Debug, Clone, Copy)]
struct Item {
    instrument: usize,
    ms: i64,
    open: i64,
    close: i64,
    candle: bool,
}

fn trade(instrument: usize, ms: i64, cents: i64) -> Item {
    Item { instrument, ms, open: cents, close: cents, candle: false }
}

fn candle(instrument: usize, ms: i64, open: i64, close: i64) -> Item {
    Item { instrument, ms, open, close, candle: true }
}

fn time_text(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn ns(item: &Item) -> i64 {
    T0_NS + item.ms * 1_000_000
}

fn price(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn cents_dec(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// JSON Lines market data (items in order, optional reconnect markers before some items).
fn json_lines(items: &[Item], reconnect_before: &[usize]) -> String {
    let mut out = String::new();
    for (index, item) in items.iter().enumerate() {
        if reconnect_before.contains(&index) {
            out.push_str("{\"Reconnecting\":\"binance_spot\"}\n");
        }
        let time = time_text(ns(item));
        let kind = if item.candle {
            let (hi, lo) = (item.open.max(item.close), item.open.min(item.close));
            json!({"Candle": {"close_time": time, "open": price(item.open), "high": price(hi), "low": price(lo),
                               "close": price(item.close), "volume": 1.0, "trade_count": 1}})
        } else {
            json!({"Trade": {"id": index.to_string(), "price": price(item.close), "amount": 1.0, "side": "Buy"}})
        };
        let event = json!({"Item": {"time_exchange": time, "time_received": time, "exchange": "binance_spot",
                                    "instrument": item.instrument, "kind": kind}});
        out.push_str(&serde_json::to_string(&event).unwrap());
        out.push('\n');
    }
    out
}

fn args_for(items: &[Item], fees: &str, usdt: &str) -> ArgsConstant {
    let md = barter_ffi::market_data::parse(json_lines(items, &[]).as_bytes(), "test", false).unwrap();
    build_args_constant(&config(fees, usdt), &md, SummaryInterval::Daily, &[]).unwrap()
}

fn strategy(name: &str, params: &str) -> Strategy {
    Strategy::from_name(name, Some(params)).unwrap_or_else(|e| panic!("{name} {params}: {e:?}"))
}

fn dynamic(strategy: Strategy, fill: Fill, close_at_end: bool) -> ArgsDynamic {
    build_args_dynamic("test", "0.05", Some(strategy), fill, close_at_end).unwrap()
}

/// The summary as JSON, its position columns turned into one object per position
/// (instrument name, side "buy"/"sell", decimal strings, times) for the checks below;
/// the columns' lengths are checked on the way.
fn run(args: &ArgsConstant, dynamic: &ArgsDynamic) -> Value {
    let mut summary: Value =
        serde_json::from_slice(&run_one(args, dynamic).unwrap().to_json().unwrap()).unwrap();
    let columns = summary["positions"].clone();
    let rows = columns["side"].as_array().unwrap().len();
    let decimals = ["quantity", "price_entry", "price_exit", "fees", "pnl"].map(|name| {
        let text = columns[name].as_str().unwrap();
        let items: Vec<&str> = if rows == 0 { Vec::new() } else { text.split(' ').collect() };
        assert_eq!(items.len(), rows, "{name}: one decimal per position");
        (name, items.into_iter().map(String::from).collect::<Vec<_>>())
    });
    let positions: Vec<Value> = (0..rows)
        .map(|i| {
            let code = columns["instrument"][i].as_u64().unwrap() as usize;
            let mut row = json!({
                "instrument": columns["instruments"][code],
                "side": if columns["side"][i] == json!(1) { "buy" } else { "sell" },
                "time_enter_ns": columns["time_enter_ns"][i],
                "time_exit_ns": columns["time_exit_ns"][i],
            });
            for (name, items) in &decimals {
                row[*name] = json!(items[i]);
            }
            row
        })
        .collect();
    summary["positions"] = json!(positions);
    summary
}

fn d(v: &Value) -> Decimal {
    dec(v.as_str().unwrap_or_else(|| panic!("expected a decimal string, got {v}")))
}

/// A seeded random walk in cents (with flat stretches, so SMA ties happen).
fn walk(n: usize, seed: u64, start: i64) -> Vec<i64> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as i64
    };
    let mut cents = start;
    (0..n)
        .map(|_| {
            let r = next() % 7;
            cents = (cents + r - 3).max(100);
            cents
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The oracle: positions from decisions, filled the documented way
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Expected {
    instrument: &'static str,
    quantity: Decimal,
    entry: Decimal,
    exit: Decimal,
    enter_ns: i64,
    exit_ns: i64,
}

impl Expected {
    fn pnl(&self, fee: Decimal) -> Decimal {
        self.quantity * (self.exit - self.entry) - fee * self.quantity * (self.entry + self.exit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Hold,
    Enter,
    Exit,
}

/// Replays `items` with a per-instrument decision function (called with the item index
/// and the instrument's closes so far) and the documented fill rules; returns the closed
/// positions in exit order.
fn simulate(
    items: &[Item],
    fill: Fill,
    close_at_end: bool,
    quantity: Decimal,
    mut decide: impl FnMut(usize, &[i64]) -> Want,
) -> Vec<Expected> {
    let mut closes: Vec<Vec<i64>> = vec![Vec::new(); 3];
    let mut long: Vec<Option<(Decimal, i64)>> = vec![None; 3];
    let mut pending: Vec<Option<Want>> = vec![None; 3];
    let mut out = Vec::new();
    let apply = |long: &mut Option<(Decimal, i64)>, out: &mut Vec<Expected>, i: usize, want, p, t| match want
    {
        Want::Enter => *long = Some((p, t)),
        Want::Exit => {
            let (entry, enter_ns) = long.take().unwrap();
            out.push(Expected { instrument: NAMES[i], quantity, entry, exit: p, enter_ns, exit_ns: t })
        }
        Want::Hold => {}
    };
    for (index, item) in items.iter().enumerate() {
        let i = item.instrument;
        if let Some(want) = pending[i].take() {
            apply(&mut long[i], &mut out, i, want, cents_dec(item.open), ns(item));
        }
        closes[i].push(item.close);
        let want = match decide(index, &closes[i]) {
            Want::Enter if long[i].is_none() => Want::Enter,
            Want::Exit if long[i].is_some() => Want::Exit,
            _ => Want::Hold,
        };
        if want != Want::Hold {
            match fill {
                Fill::Signal => apply(&mut long[i], &mut out, i, want, cents_dec(item.close), ns(item)),
                Fill::Next => pending[i] = Some(want),
            }
        }
    }
    if close_at_end {
        let end = ns(items.last().unwrap());
        for i in 0..3 {
            if long[i].is_some() {
                let last = *closes[i].last().unwrap();
                apply(&mut long[i], &mut out, i, Want::Exit, cents_dec(last), end);
            }
        }
    }
    out
}

/// Checks the summary's positions, per-instrument PnL and usdt balance against `expected`.
fn check_positions(summary: &Value, expected: &[Expected], fee: Decimal, usdt_start: Decimal) {
    let label = summary["strategy"].to_string() + " " + summary["fill"].as_str().unwrap();
    let positions = summary["positions"].as_array().unwrap();
    let mut total = Decimal::ZERO;
    for (index, (got, want)) in positions.iter().zip(expected).enumerate() {
        assert!(
            got["instrument"] == json!(want.instrument) && got["time_enter_ns"] == json!(want.enter_ns),
            "{label}: first difference at #{index}: got {got}, want {want:?}"
        );
        assert_eq!(got["instrument"], json!(want.instrument), "{label} #{index}");
        assert_eq!(got["side"], json!("buy"), "{label} #{index}");
        assert_eq!(d(&got["quantity"]), want.quantity, "{label} #{index}");
        assert_eq!(d(&got["price_entry"]), want.entry, "{label} #{index} entry");
        assert_eq!(d(&got["price_exit"]), want.exit, "{label} #{index} exit");
        assert_eq!(got["time_enter_ns"], json!(want.enter_ns), "{label} #{index}");
        assert_eq!(got["time_exit_ns"], json!(want.exit_ns), "{label} #{index}");
        let pnl = want.pnl(fee);
        assert_eq!(d(&got["pnl"]), pnl, "{label} #{index} pnl");
        assert_eq!(d(&got["fees"]), fee * want.quantity * (want.entry + want.exit), "{label} #{index} fees");
        total += pnl;
    }
    assert_eq!(positions.len(), expected.len(), "number of positions");
    for name in NAMES {
        let instrument_pnl: Decimal =
            expected.iter().filter(|e| e.instrument == name).map(|e| e.pnl(fee)).sum();
        let sheet = &summary["trading_summary"]["instruments"][name];
        assert_eq!(d(&sheet["pnl"]), instrument_pnl, "{name} pnl");
    }
    let usdt = &summary["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"];
    assert_eq!(d(&usdt["total"]), usdt_start + total, "usdt total = start + realised PnL");
    assert_eq!(d(&usdt["free"]), usdt_start + total, "usdt free");
}

// ---------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------

#[test]
fn buy_and_hold_on_the_example_file_matches_the_oracle() {
    // The example: 9 btc trades (instrument 0) and 12 sol trades (instrument 2), 3
    // reconnect markers, several trades per millisecond.
    let md = barter_ffi::market_data::load_file(&market_data_path(), false).unwrap();
    let prices: Vec<(usize, i64, Decimal)> = {
        let text = std::fs::read_to_string(market_data_path()).unwrap();
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        records
            .iter()
            .filter_map(|r| r.get("Item"))
            .map(|item| {
                let ok = &item["Ok"];
                let time: DateTime<Utc> = ok["time_exchange"].as_str().unwrap().parse().unwrap();
                let p = ok["kind"]["Trade"]["price"].as_f64().unwrap();
                (
                    ok["instrument"].as_u64().unwrap() as usize,
                    time.timestamp_nanos_opt().unwrap(),
                    dec(&p.to_string()),
                )
            })
            .collect()
    };
    let last_ns = prices.last().unwrap().1;
    for (fees, q) in [("0", "0.01"), ("0.001", "0.02"), ("0.05", "0.01")] {
        let args = build_args_constant(&config(fees, "100000"), &md, SummaryInterval::Daily, &[]).unwrap();
        for fill in [Fill::Signal, Fill::Next] {
            let summary = run(
                &args,
                &dynamic(strategy("buy_and_hold", &format!(r#"{{"quantity": "{q}"}}"#)), fill, true),
            );
            let mut expected = Vec::new();
            for instrument in [0usize, 2] {
                let own: Vec<_> = prices.iter().filter(|p| p.0 == instrument).collect();
                let entry = if fill == Fill::Signal { own[0] } else { own[1] };
                expected.push(Expected {
                    instrument: NAMES[instrument],
                    quantity: dec(q),
                    entry: entry.2,
                    exit: own.last().unwrap().2,
                    enter_ns: entry.1,
                    exit_ns: last_ns,
                });
            }
            check_positions(&summary, &expected, dec(fees), dec("100000"));
            // Base balances move with the trades and come back.
            let btc = &summary["trading_summary"]["assets"]["binance_spot:btc"]["balance_end"];
            assert_eq!(d(&btc["total"]), dec("0.1"));
            assert_eq!(summary["rejected_orders"], json!(0));
            assert_eq!(summary["trading_summary"]["time_engine_start_ns"], json!(FIRST_EVENT_NS));
            assert_eq!(summary["trading_summary"]["time_engine_end_ns"], json!(last_ns));
        }
    }
}

#[test]
fn buy_and_hold_on_generated_trades_with_fees() {
    let btc = walk(300, 1, 10_000);
    let sol = walk(300, 2, 2_000);
    let mut items = Vec::new();
    for k in 0..300 {
        items.push(trade(0, 2 * k as i64, btc[k]));
        items.push(trade(2, 2 * k as i64 + 1, sol[k]));
    }
    for fees in ["0", "0.0015"] {
        let args = args_for(&items, fees, "1000000");
        for fill in [Fill::Signal, Fill::Next] {
            let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "3"}"#), fill, true));
            let expected = simulate(&items, fill, true, dec("3"), |_, closes| {
                if closes.len() == 1 {
                    Want::Enter
                } else {
                    Want::Hold
                }
            });
            assert_eq!(expected.len(), 2);
            check_positions(&summary, &expected, dec(fees), dec("1000000"));
        }
    }
}

#[test]
fn target_positions_round_trips_match_the_oracle() {
    // Two instruments interleaved, so "the next event of the instrument" is not "the next
    // event". Targets: blocks of q on btc, 0 on sol except one block.
    let btc = walk(120, 3, 5_000);
    let sol = walk(120, 4, 900);
    let mut items = Vec::new();
    for k in 0..120 {
        items.push(trade(0, 3 * k as i64, btc[k]));
        items.push(trade(2, 3 * k as i64 + 1, sol[k]));
    }
    let block = |k: usize| (k / 10) % 2 == 1; // per-instrument item k in an "on" block
    let targets: Vec<f64> = items
        .iter()
        .enumerate()
        .map(|(j, item)| {
            let k = j / 2;
            match item.instrument {
                0 if block(k) => 0.5,
                2 if (40..60).contains(&k) => 2.0,
                _ => 0.0,
            }
        })
        .collect();
    let strategy = Strategy::target_positions(&targets).unwrap();
    for fees in ["0", "0.001"] {
        let args = args_for(&items, fees, "1000000");
        for fill in [Fill::Signal, Fill::Next] {
            let summary = run(&args, &dynamic(strategy.clone(), fill, true));
            // Same positions as entering at a block's first item and leaving at the first
            // item after it, per instrument.
            let mut expected = simulate(&items, fill, true, Decimal::ZERO, |index, _| {
                let want_long = targets[index] > 0.0;
                let was = index >= 2 && targets[index - 2] > 0.0;
                match (was, want_long) {
                    (false, true) => Want::Enter,
                    (true, false) => Want::Exit,
                    _ => Want::Hold,
                }
            });
            for e in &mut expected {
                e.quantity = if e.instrument == BTC { dec("0.5") } else { dec("2") };
            }
            assert!(expected.len() >= 6, "{expected:?}");
            check_positions(&summary, &expected, dec(fees), dec("1000000"));
        }
    }
}

#[test]
fn target_positions_scale_in_and_out() {
    // 1 → 3 → 2 → 0: one position, average entry, exit price = volume-weighted.
    let items: Vec<Item> = [10_000, 10_100, 10_200, 10_300, 10_400]
        .iter()
        .enumerate()
        .map(|(k, c)| trade(0, k as i64, *c))
        .collect();
    let args = args_for(&items, "0", "1000000");
    let summary = run(
        &args,
        &dynamic(Strategy::target_positions(&[1.0, 3.0, 2.0, 0.0, 0.0]).unwrap(), Fill::Signal, true),
    );
    let p = &summary["positions"].as_array().unwrap()[0];
    assert_eq!(summary["positions"].as_array().unwrap().len(), 1);
    assert_eq!(d(&p["quantity"]), dec("3"));
    // entry: (1·100 + 2·101) / 3; exit: (1·102 + 2·103) / 3
    assert_eq!(d(&p["price_entry"]), (dec("100") + dec("202")) / dec("3"));
    assert_eq!(d(&p["price_exit"]), (dec("102") + dec("206")) / dec("3"));
    // 6, up to the rounding of the 28-digit average entry price.
    let pnl = d(&p["pnl"]);
    assert!((pnl - dec("6")).abs() < dec("1e-20"), "{pnl}");
}

// ---------------------------------------------------------------------------------------
// SmaCross against an independent exact SMA
// ---------------------------------------------------------------------------------------

/// SMA(fast) vs SMA(slow) of the last prices, compared exactly (sums recomputed).
fn sma_order(closes: &[i64], fast: usize, slow: usize) -> Option<std::cmp::Ordering> {
    if closes.len() < slow {
        return None;
    }
    let sum = |w: usize| closes[closes.len() - w..].iter().map(|c| *c as i128).sum::<i128>();
    Some((sum(fast) * slow as i128).cmp(&(sum(slow) * fast as i128)))
}

fn sma_decision(closes: &[i64], fast: usize, slow: usize) -> Want {
    use std::cmp::Ordering::*;
    let now = sma_order(closes, fast, slow);
    let before = sma_order(&closes[..closes.len() - 1], fast, slow);
    match (before, now) {
        (Some(Less | Equal), Some(Greater)) => Want::Enter,
        (Some(Greater | Equal), Some(Less)) => Want::Exit,
        _ => Want::Hold,
    }
}

#[test]
fn sma_cross_matches_an_independent_sma_on_trades_and_candles() {
    let btc = walk(1500, 11, 20_000);
    let eth = walk(1500, 12, 3_000);
    for candles in [false, true] {
        let mut items = Vec::new();
        for k in 0..1500 {
            let (b_open, e_open) = if k == 0 { (btc[0], eth[0]) } else { (btc[k - 1] + 1, eth[k - 1] - 1) };
            if candles {
                items.push(candle(0, 2 * k as i64, b_open, btc[k]));
                items.push(candle(1, 2 * k as i64 + 1, e_open, eth[k]));
            } else {
                items.push(trade(0, 2 * k as i64, btc[k]));
                items.push(trade(1, 2 * k as i64 + 1, eth[k]));
            }
        }
        let args = args_for(&items, "0.001", "100000000");
        for (fast, slow) in [(1, 2), (3, 7), (5, 20), (10, 30)] {
            let s =
                strategy("sma_cross", &format!(r#"{{"fast": {fast}, "slow": {slow}, "quantity": "0.25"}}"#));
            for fill in [Fill::Signal, Fill::Next] {
                for close_at_end in [true, false] {
                    let summary = run(&args, &dynamic(s.clone(), fill, close_at_end));
                    let expected = simulate(&items, fill, close_at_end, dec("0.25"), |_, closes| {
                        sma_decision(closes, fast, slow)
                    });
                    assert!(expected.len() > 20, "({fast}, {slow}): only {} positions", expected.len());
                    let label = format!("candles={candles} ({fast},{slow}) {fill:?} close={close_at_end}");
                    let positions = summary["positions"].as_array().unwrap();
                    for (i, (got, want)) in positions.iter().zip(&expected).enumerate() {
                        if d(&got["price_entry"]) != want.entry
                            || got["instrument"] != json!(want.instrument)
                            || got["time_enter_ns"] != json!(want.enter_ns)
                        {
                            panic!("{label} #{i}: got {got} want {want:?}");
                        }
                    }
                    assert_eq!(positions.len(), expected.len(), "{label}");
                    let fee = dec("0.001");
                    for (got, want) in positions.iter().zip(&expected) {
                        assert_eq!(got["instrument"], json!(want.instrument), "{label}");
                        assert_eq!(d(&got["price_entry"]), want.entry, "{label}");
                        assert_eq!(d(&got["price_exit"]), want.exit, "{label}");
                        assert_eq!(got["time_enter_ns"], json!(want.enter_ns), "{label}");
                        assert_eq!(got["time_exit_ns"], json!(want.exit_ns), "{label}");
                        assert_eq!(d(&got["pnl"]), want.pnl(fee), "{label}");
                    }
                }
            }
        }
    }
}

#[test]
fn sma_cross_ties_on_flat_prices_are_exact() {
    // Flat at 0.1 (not a binary fraction): SMA(fast) == SMA(slow) exactly, so no signal;
    // then a rise crosses once, a fall crosses back once.
    let mut cents = vec![10; 12];
    cents.extend([20, 30, 40, 40, 40, 10, 5, 5, 5]);
    let items: Vec<Item> = cents.iter().enumerate().map(|(k, c)| trade(0, k as i64, *c)).collect();
    let args = args_for(&items, "0", "1000");
    let summary = run(
        &args,
        &dynamic(strategy("sma_cross", r#"{"fast": 2, "slow": 5, "quantity": "1"}"#), Fill::Signal, true),
    );
    let expected = simulate(&items, Fill::Signal, true, dec("1"), |_, closes| sma_decision(closes, 2, 5));
    assert_eq!(expected.len(), 1);
    check_positions(&summary, &expected, Decimal::ZERO, dec("1000"));
    assert_eq!(d(&summary["positions"][0]["price_entry"]), dec("0.2"));
}

// ---------------------------------------------------------------------------------------
// Other strategies, signal vs next, candles
// ---------------------------------------------------------------------------------------

#[test]
fn bollinger_and_breakout_follow_their_rules() {
    let cents = walk(800, 21, 10_000);
    let items: Vec<Item> = cents.iter().enumerate().map(|(k, c)| trade(0, k as i64, *c)).collect();
    let args = args_for(&items, "0", "100000000");
    // Breakout(window): previous `window` closes.
    for window in [2usize, 5, 20] {
        let s = strategy("breakout", &format!(r#"{{"window": {window}, "quantity": "1"}}"#));
        for fill in [Fill::Signal, Fill::Next] {
            let summary = run(&args, &dynamic(s.clone(), fill, true));
            let expected = simulate(&items, fill, true, dec("1"), |_, closes| {
                let n = closes.len();
                if n <= window {
                    return Want::Hold;
                }
                let previous = &closes[n - 1 - window..n - 1];
                let (hi, lo) = (*previous.iter().max().unwrap(), *previous.iter().min().unwrap());
                if closes[n - 1] > hi {
                    Want::Enter
                } else if closes[n - 1] < lo {
                    Want::Exit
                } else {
                    Want::Hold
                }
            });
            assert!(expected.len() > 5);
            check_positions(&summary, &expected, Decimal::ZERO, dec("100000000"));
        }
    }
    // Bollinger(window, k): band over the last `window` closes, current included.
    for (window, k) in [(5usize, 1.0f64), (20, 2.0), (10, 0.5)] {
        let s = strategy(
            "bollinger_reversion",
            &format!(r#"{{"window": {window}, "k": "{k}", "quantity": "1"}}"#),
        );
        for fill in [Fill::Signal, Fill::Next] {
            let summary = run(&args, &dynamic(s.clone(), fill, true));
            let expected = simulate(&items, fill, true, dec("1"), |_, closes| {
                let n = closes.len();
                if n < window {
                    return Want::Hold;
                }
                let w: Vec<f64> = closes[n - window..].iter().map(|c| *c as f64).collect();
                let mean = w.iter().sum::<f64>() / window as f64;
                let sigma = (w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / window as f64).sqrt();
                let p = *w.last().unwrap();
                if p < mean - k * sigma {
                    Want::Enter
                } else if p >= mean {
                    Want::Exit
                } else {
                    Want::Hold
                }
            });
            assert!(expected.len() > 5, "{window} {k}");
            check_positions(&summary, &expected, Decimal::ZERO, dec("100000000"));
        }
    }
}

#[test]
fn candles_fill_at_the_next_open_or_the_signal_close() {
    let items = vec![
        candle(0, 0, 10_000, 10_050),
        candle(0, 60_000, 10_060, 10_100),
        candle(0, 120_000, 10_110, 10_200),
        candle(0, 180_000, 10_190, 10_300),
    ];
    let args = args_for(&items, "0", "1000000");
    let targets = [1.0, 1.0, 0.0, 0.0];
    let s = Strategy::target_positions(&targets).unwrap();
    let next = run(&args, &dynamic(s.clone(), Fill::Next, true));
    let p = &next["positions"][0];
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("100.60"), dec("101.90")), "next: opens");
    assert_eq!(
        (p["time_enter_ns"].as_i64(), p["time_exit_ns"].as_i64()),
        (Some(ns(&items[1])), Some(ns(&items[3])))
    );
    let signal = run(&args, &dynamic(s, Fill::Signal, true));
    let p = &signal["positions"][0];
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("100.50"), dec("102.00")), "signal: closes");
    assert_eq!(
        (p["time_enter_ns"].as_i64(), p["time_exit_ns"].as_i64()),
        (Some(ns(&items[0])), Some(ns(&items[2])))
    );
}

#[test]
fn every_trade_counts_also_at_one_timestamp() {
    // Three trades in one millisecond: the last one's price is the last price.
    let items = vec![trade(0, 0, 10_000), trade(0, 5, 10_100), trade(0, 5, 10_200), trade(0, 5, 10_300)];
    let args = args_for(&items, "0", "1000000");
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Next, true));
    let p = &summary["positions"][0];
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("101"), dec("103")));
}

#[test]
fn fill_next_orders_without_a_next_event_are_dropped() {
    let items = vec![trade(0, 0, 10_000), trade(2, 1, 500)];
    let args = args_for(&items, "0", "1000000");
    let targets = [0.0, 1.0]; // sol's only item asks for 1; no later sol event
    let summary = run(&args, &dynamic(Strategy::target_positions(&targets).unwrap(), Fill::Next, true));
    assert_eq!(summary["positions"], json!([]));
    assert_eq!(summary["rejected_orders"], json!(0));
    let usdt = &summary["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"];
    assert_eq!(d(&usdt["total"]), dec("1000000"));
}

// ---------------------------------------------------------------------------------------
// Balances, rejections, close_at_end, equity, metrics
// ---------------------------------------------------------------------------------------

#[test]
fn orders_the_free_quote_balance_cannot_pay_for_are_rejected_and_counted() {
    let items: Vec<Item> = (0..10).map(|k| trade(0, k, 10_000)).collect();
    // 100 usdt; 1 btc at 100 costs 100 + fee 0.1: rejected. 0.5 fits.
    let args = args_for(&items, "0.001", "100");
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(1));
    assert_eq!(summary["positions"], json!([]));
    let usdt = &summary["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"];
    assert_eq!(d(&usdt["total"]), dec("100"));
    // Exactly affordable with fee: 0.999000999... no; 0.99 costs 99 + 0.099.
    let summary =
        run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "0.99"}"#), Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(0));
    // TargetPositions asks again after every item: every ask is rejected and counted.
    let targets = vec![5.0; 10];
    let summary = run(&args, &dynamic(Strategy::target_positions(&targets).unwrap(), Fill::Next, true));
    assert_eq!(summary["rejected_orders"], json!(9), "the 10th order never gets a next event");
}

#[test]
fn close_at_end_false_keeps_the_position_open() {
    let items: Vec<Item> =
        [10_000, 11_000, 12_000].iter().enumerate().map(|(k, c)| trade(0, k as i64, *c)).collect();
    let args = args_for(&items, "0.001", "1000");
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "2"}"#), Fill::Signal, false));
    assert_eq!(summary["positions"], json!([]));
    assert_eq!(summary["close_at_end"], json!(false));
    let assets = &summary["trading_summary"]["assets"];
    assert_eq!(
        d(&assets["binance_spot:usdt"]["balance_end"]["total"]),
        dec("1000") - dec("200") - dec("0.2")
    );
    assert_eq!(d(&assets["binance_spot:btc"]["balance_end"]["total"]), dec("2.1"));
    // Equity values the open position at the last price.
    let values = summary["equity"]["value"].as_array().unwrap();
    assert_eq!(values.last().unwrap().as_f64().unwrap(), 799.8 + 2.0 * 120.0);
}

#[test]
fn equity_curve_is_bounded_and_ends_at_the_balance() {
    let cents = walk(10_000, 31, 10_000);
    let items: Vec<Item> = cents.iter().enumerate().map(|(k, c)| trade(0, k as i64, *c)).collect();
    let args = args_for(&items, "0.001", "1000000");
    let summary = run(
        &args,
        &dynamic(strategy("sma_cross", r#"{"fast": 5, "slow": 50, "quantity": "1"}"#), Fill::Next, true),
    );
    let fills = 2 * summary["positions"].as_array().unwrap().len();
    let times = summary["equity"]["time_ns"].as_array().unwrap();
    let values = summary["equity"]["value"].as_array().unwrap();
    assert_eq!(times.len(), values.len());
    assert_eq!(times.len(), 2000 + fills, "2,000 grid points plus one per fill");
    assert_eq!(times[0], json!(ns(&items[0])));
    assert_eq!(values[0], json!(1000000.0));
    assert!(times.windows(2).all(|w| w[0].as_i64() <= w[1].as_i64()));
    let usdt = d(&summary["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"]["total"]);
    use rust_decimal::prelude::ToPrimitive;
    assert_eq!(values.last().unwrap().as_f64().unwrap(), usdt.to_f64().unwrap());
    // Short data: one point per item.
    let args = args_for(&items[..7], "0", "1000");
    let summary = run(&args, &dynamic(Strategy::default(), Fill::Next, true));
    assert_eq!(summary["equity"]["time_ns"].as_array().unwrap().len(), 7);
}

#[test]
fn win_rate_is_wins_over_closed_positions_and_undefined_ratios_are_null() {
    // Three round trips: +, +, −.
    let cents = [10_000, 10_100, 10_100, 10_300, 10_300, 10_200];
    let items: Vec<Item> = cents.iter().enumerate().map(|(k, c)| trade(0, k as i64 * 1000, *c)).collect();
    let targets = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
    let args = args_for(&items, "0", "1000000");
    let summary = run(&args, &dynamic(Strategy::target_positions(&targets).unwrap(), Fill::Signal, true));
    assert_eq!(summary["positions"].as_array().unwrap().len(), 3);
    let sheet = &summary["trading_summary"]["instruments"][BTC];
    assert_eq!(d(&sheet["win_rate"]["value"]), dec("2") / dec("3"));
    assert!(sheet["sharpe_ratio"]["value"].is_string(), "σ > 0: defined");
    assert_eq!(sheet["sharpe_ratio"]["interval"], json!("Daily"));
    // gross profit returns / gross loss returns
    let expected_pf = (dec("1") / dec("100") + dec("2") / dec("101")) / (dec("1") / dec("103"));
    assert_eq!(d(&sheet["profit_factor"]["value"]), expected_pf);
    // No positions: ratios over σ = 0 are null, interval kept.
    let eth = &summary["trading_summary"]["instruments"][ETH];
    for metric in ["sharpe_ratio", "sortino_ratio", "calmar_ratio"] {
        assert_eq!(eth[metric], json!({"value": null, "interval": "Daily"}), "{metric}");
    }
    assert_eq!(eth["win_rate"], Value::Null);
    // One winning position: σ = 0, profit factor without losses: null values.
    let summary = run(
        &args,
        &dynamic(Strategy::target_positions(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]).unwrap(), Fill::Signal, true),
    );
    let sheet = &summary["trading_summary"]["instruments"][BTC];
    assert_eq!(sheet["sharpe_ratio"]["value"], Value::Null);
    assert_eq!(sheet["profit_factor"], json!({"value": null}));
    assert_eq!(d(&sheet["win_rate"]["value"]), dec("1"));
}

#[test]
fn summary_keys_and_strategy_description() {
    let items: Vec<Item> = (0..5).map(|k| trade(0, k, 10_000 + k)).collect();
    let args = args_for(&items, "0", "1000");
    let s = strategy("sma_cross", r#"{"fast": 2, "slow": 3, "quantity": "0.010"}"#);
    let text = run_one(&args, &dynamic(s, Fill::Signal, true)).unwrap().to_json().unwrap();
    let ordered = common::Ordered::parse(&text);
    assert_eq!(
        ordered.keys(),
        [
            "id",
            "risk_free_return",
            "trading_summary",
            "strategy",
            "fill",
            "close_at_end",
            "rejected_orders",
            "positions",
            "equity"
        ]
    );
    assert_eq!(ordered.get("strategy").keys(), ["name", "params"]);
    assert_eq!(ordered.get("strategy").get("params").keys(), ["fast", "slow", "quantity"]);
    let summary: Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(
        summary["strategy"],
        json!({"name": "sma_cross", "params": {"fast": 2, "slow": 3, "quantity": "0.010"}})
    );
    assert_eq!(summary["fill"], json!("signal"));
    assert_eq!(ordered.get("equity").keys(), ["time_ns", "value"]);
    let default = run(&args, &dynamic(Strategy::default(), Fill::Next, true));
    assert_eq!(default["strategy"], json!({"name": "default", "params": {}}));
    assert_eq!(default["fill"], json!("next"));
    let targets = run(&args, &dynamic(Strategy::target_positions(&[0.0; 5]).unwrap(), Fill::Next, true));
    assert_eq!(targets["strategy"], json!({"name": "target_positions", "params": {"len": 5}}));
}

#[test]
fn target_positions_length_must_match_the_items() {
    let items: Vec<Item> = (0..5).map(|k| trade(0, k, 10_000)).collect();
    // A reconnect marker is not an item.
    let md = barter_ffi::market_data::parse(json_lines(&items, &[0, 3]).as_bytes(), "t", false).unwrap();
    let args = build_args_constant(&config("0", "1000"), &md, SummaryInterval::Daily, &[]).unwrap();
    let e = run_one(&args, &dynamic(Strategy::target_positions(&[1.0; 7]).unwrap(), Fill::Next, true))
        .unwrap_err();
    assert_eq!(e.message, "targets: 7 values but the market data has 5 items");
    assert_eq!(e.status, barter_ffi::error::BarterStatus::InvalidInput);
    run_one(&args, &dynamic(Strategy::target_positions(&[1.0; 5]).unwrap(), Fill::Next, true)).unwrap();
}

#[test]
fn reconnects_do_not_repeat_orders() {
    let items: Vec<Item> = (0..6).map(|k| trade(0, k, 10_000 + 10 * k)).collect();
    let md = barter_ffi::market_data::parse(json_lines(&items, &[1, 2, 4]).as_bytes(), "t", false).unwrap();
    let args = build_args_constant(&config("0", "100000"), &md, SummaryInterval::Daily, &[]).unwrap();
    for fill in [Fill::Signal, Fill::Next] {
        let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), fill, true));
        assert_eq!(summary["positions"].as_array().unwrap().len(), 1);
        let btc = d(&summary["trading_summary"]["assets"]["binance_spot:btc"]["balance_end"]["total"]);
        assert_eq!(btc, dec("0.1"));
    }
}

#[test]
fn balance_overrides_apply_to_the_fills() {
    let items: Vec<Item> = (0..3).map(|k| trade(0, k, 10_000)).collect();
    let md = barter_ffi::market_data::parse(json_lines(&items, &[]).as_bytes(), "t", false).unwrap();
    let overrides = [BalanceOverride {
        exchange: "binance_spot".into(),
        asset: "usdt".into(),
        total: "50".into(),
        free: "50".into(),
    }];
    let args = build_args_constant(&config("0", "100000"), &md, SummaryInterval::Daily, &overrides).unwrap();
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(1));
}

// ---------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------

#[test]
fn identical_summaries_over_runs_and_thread_counts() {
    let btc = walk(20_000, 41, 10_000);
    let sol = walk(20_000, 42, 1_000);
    let items: Vec<Item> =
        (0..20_000).flat_map(|k| [trade(0, k as i64, btc[k]), trade(2, k as i64, sol[k])]).collect();
    let args = args_for(&items, "0.001", "1000000");
    let dynamics: Vec<ArgsDynamic> = [(5, 20), (10, 30), (2, 50), (20, 60), (3, 4)]
        .iter()
        .enumerate()
        .map(|(i, (f, s))| {
            let st = strategy("sma_cross", &format!(r#"{{"fast": {f}, "slow": {s}, "quantity": "0.5"}}"#));
            let fill = if i % 2 == 0 { Fill::Next } else { Fill::Signal };
            build_args_dynamic(&format!("v{i}"), "0.05", Some(st), fill, true).unwrap()
        })
        .collect();
    let singles: Vec<Vec<u8>> =
        dynamics.iter().map(|d| run_one(&args, d).unwrap().to_json().unwrap()).collect();
    for _ in 0..4 {
        assert_eq!(run_one(&args, &dynamics[0]).unwrap().to_json().unwrap(), singles[0]);
    }
    for threads in [1, 2, 0, 16] {
        let multi = run_many(&args, &dynamics, threads).unwrap();
        assert_eq!(multi.num_backtests, dynamics.len());
        let got: Vec<Vec<u8>> = multi.summaries.iter().map(|s| s.to_json().unwrap()).collect();
        assert_eq!(got, singles, "max_concurrent {threads}");
    }
    let duplicate = vec![dynamics[0].clone(), dynamics[1].clone(), dynamics[0].clone()];
    let e = run_many(&args, &duplicate, 2).unwrap_err();
    assert_eq!(e.message, "duplicate backtest ids: v0");
}

// ---------------------------------------------------------------------------------------
// Inputs the engine refuses or cannot fill
// ---------------------------------------------------------------------------------------

#[test]
fn market_data_and_executions_barter_would_panic_on_are_refused() {
    let items = vec![trade(0, 0, 10_000)];
    let text = json_lines(&items, &[]).replace("\"exchange\":\"binance_spot\"", "\"exchange\":\"okx\"");
    let md = barter_ffi::market_data::parse(text.as_bytes(), "t", false).unwrap();
    let e = build_args_constant(&config("0", "1"), &md, SummaryInterval::Daily, &[]).unwrap_err();
    assert_eq!(
        e.message,
        "market data item 0 (record 0): exchange okx but instrument 0 (binancespot-btc_usdt) is on binance_spot"
    );
    let text = format!("{}{{\"Reconnecting\":\"okx\"}}\n", json_lines(&items, &[]));
    let md = barter_ffi::market_data::parse(text.as_bytes(), "t", false).unwrap();
    let e = build_args_constant(&config("0", "1"), &md, SummaryInterval::Daily, &[]).unwrap_err();
    assert_eq!(
        e.message,
        "market data record 1: reconnect marker for okx, which has no instruments in the config"
    );
    let md = barter_ffi::market_data::parse(json_lines(&items, &[]).as_bytes(), "t", false).unwrap();
    for fees in ["-0.001", "1.5"] {
        let e = build_args_constant(&config(fees, "1"), &md, SummaryInterval::Daily, &[]).unwrap_err();
        assert!(
            e.message.starts_with("executions[0].fees_percent: must be a fraction between 0 and 1"),
            "{}",
            e.message
        );
    }
    build_args_constant(&config("1", "1"), &md, SummaryInterval::Daily, &[]).unwrap();
}

#[test]
fn orders_without_an_execution_or_a_positive_value_are_rejected() {
    // No execution for binance_spot: every order is rejected, nothing moves.
    let items: Vec<Item> = (0..4).map(|k| trade(0, k, 10_000)).collect();
    let md = barter_ffi::market_data::parse(json_lines(&items, &[]).as_bytes(), "t", false).unwrap();
    let mut v: Value = serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap();
    v["executions"] = json!([]);
    let cfg = barter_ffi::config::parse(&serde_json::to_vec(&v).unwrap(), "t").unwrap();
    let args = build_args_constant(&cfg, &md, SummaryInterval::Daily, &[]).unwrap();
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(1));
    assert_eq!(summary["positions"], json!([]));

    // A price of 0, and a quantity whose value rounds to 0.
    let items = vec![trade(0, 0, 0), trade(0, 1, 0), trade(0, 2, 100)];
    let args = args_for(&items, "0", "1000");
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(1));
    let items = vec![trade(0, 0, 1), trade(0, 1, 2)];
    let args = args_for(&items, "0", "1000");
    let tiny = strategy("buy_and_hold", r#"{"quantity": "0.0000000000000000000000000001"}"#);
    let summary = run(&args, &dynamic(tiny, Fill::Signal, true));
    assert_eq!(summary["rejected_orders"], json!(1));
    assert_eq!(summary["positions"], json!([]));
}

#[test]
fn adversarial_prices_and_quantities_never_panic() {
    let mut v: Value = serde_json::from_slice(&std::fs::read(system_config_path()).unwrap()).unwrap();
    v["executions"][0]["fees_percent"] = json!("0.001");
    let max = "79228162514264337593543950335";
    v["executions"][0]["initial_state"]["balances"][0]["balance"] = json!({"total": max, "free": max});
    let cfg = barter_ffi::config::parse(&serde_json::to_vec(&v).unwrap(), "t").unwrap();
    let price_sets: Vec<Vec<f64>> = vec![
        vec![1e-20, 1e15, 1e-20, 1e15, 3.0, 1e-300, 1e300, 5e-324, 1.7e308, 2.0, 1.0, 0.5],
        vec![-5.0, -1.0, 0.0, 2.0, -3.0, 7.0, 1.0, 2.0, 3.0, 4.0],
        (0..200).map(|i| if i % 3 == 0 { 1e-25 } else { 1e25 }).collect(),
        (0..200).map(|i| (i as f64).sin() * 1e10 + 1e10 + 1e-9).collect(),
    ];
    let mut strategies: Vec<Strategy> = vec![
        strategy("sma_cross", &format!(r#"{{"fast": 1, "slow": 2, "quantity": "{max}"}}"#)),
        strategy("sma_cross", r#"{"fast": 2, "slow": 3, "quantity": "0.0000000000000000000000000001"}"#),
        strategy(
            "bollinger_reversion",
            r#"{"window": 2, "k": "0.0000000000000000000000000001", "quantity": "1"}"#,
        ),
        strategy("bollinger_reversion", &format!(r#"{{"window": 3, "k": "{max}", "quantity": "1000000"}}"#)),
        strategy("breakout", r#"{"window": 2, "quantity": "123456789.123456789"}"#),
        strategy("buy_and_hold", r#"{"quantity": "1000000000000"}"#),
    ];
    for prices in &price_sets {
        let mut text = String::new();
        for (i, p) in prices.iter().enumerate() {
            let t = time_text(T0_NS + i as i64 * 1_000_000);
            let event = json!({"Item": {"time_exchange": t, "time_received": t, "exchange": "binance_spot",
                "instrument": 0, "kind": {"Trade": {"id": "1", "price": p, "amount": 1.0, "side": "Buy"}}}});
            text += &serde_json::to_string(&event).unwrap();
            text.push('\n');
        }
        let md = barter_ffi::market_data::parse(text.as_bytes(), "t", false).unwrap();
        let args = build_args_constant(&cfg, &md, SummaryInterval::Annual365, &[]).unwrap();
        let targets: Vec<f64> = (0..prices.len()).map(|i| if i % 2 == 0 { 1e15 } else { 1e-12 }).collect();
        strategies.push(Strategy::target_positions(&targets).unwrap());
        for s in &strategies {
            for fill in [Fill::Next, Fill::Signal] {
                let d = dynamic(s.clone(), fill, true);
                match std::panic::catch_unwind(|| run_one(&args, &d).map(|w| w.to_json().unwrap())) {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        assert_eq!(e.status, barter_ffi::error::BarterStatus::InvalidInput, "{}", e.message);
                        assert!(e.message.contains("cannot use price"), "{}", e.message);
                    }
                    Err(p) => panic!(
                        "{:?} {fill:?}: {}",
                        s.describe(),
                        barter_ffi::error::panic_message(p.as_ref())
                    ),
                }
            }
        }
        strategies.pop();
    }
}

#[test]
fn l1_mids_price_and_fill_but_do_not_feed_indicators() {
    // Trades and L1 books interleaved on btc: the L1 volume-weighted mid is the last
    // price and fills `fill="next"` orders; a book without an ask carries no price; an L2
    // book carries none either.
    let t = |ms: i64| time_text(T0_NS + ms * 1_000_000);
    let level = |price: &str, amount: &str| json!({"price": price, "amount": amount});
    let kinds = [
        json!({"Trade": {"id": "1", "price": 100.0, "amount": 1.0, "side": "Buy"}}),
        json!({"OrderBookL1": {"last_update_time": t(1), "best_bid": level("101", "1"), "best_ask": level("102", "3")}}),
        json!({"OrderBookL1": {"last_update_time": t(2), "best_bid": level("103", "1"), "best_ask": null}}),
        json!({"OrderBook": {"Snapshot": {"sequence": 1, "time_engine": null,
            "bids": {"levels": [level("90", "1")]}, "asks": {"levels": [level("91", "1")]}}}}),
        json!({"Trade": {"id": "2", "price": 105.0, "amount": 1.0, "side": "Buy"}}),
        json!({"OrderBookL1": {"last_update_time": t(5), "best_bid": level("106", "2"), "best_ask": level("108", "2")}}),
    ];
    let text: String = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let event = json!({"Item": {"time_exchange": t(i as i64), "time_received": t(i as i64),
                "exchange": "binance_spot", "instrument": 0, "kind": kind}});
            serde_json::to_string(&event).unwrap() + "\n"
        })
        .collect();
    let md = barter_ffi::market_data::parse(text.as_bytes(), "t", false).unwrap();
    let args = build_args_constant(&config("0", "100000"), &md, SummaryInterval::Daily, &[]).unwrap();
    // Buy 1 after the first trade, sell after the second trade.
    let targets = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
    let s = Strategy::target_positions(&targets).unwrap();
    let next = run(&args, &dynamic(s.clone(), Fill::Next, true));
    let p = &next["positions"][0];
    // vw mid of (101 × 1, 102 × 3) = (101·3 + 102·1) / 4 = 101.25; then (106·2 + 108·2)/4 = 107.
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("101.25"), dec("107")));
    assert_eq!(
        (p["time_enter_ns"].as_i64(), p["time_exit_ns"].as_i64()),
        (Some(T0_NS + 1_000_000), Some(T0_NS + 5_000_000))
    );
    let signal = run(&args, &dynamic(s, Fill::Signal, true));
    let p = &signal["positions"][0];
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("100"), dec("105")));
    // BuyAndHold enters at the first *indicator* price (the trade), closes at the last mid.
    let summary = run(&args, &dynamic(strategy("buy_and_hold", r#"{"quantity": "1"}"#), Fill::Signal, true));
    let p = &summary["positions"][0];
    assert_eq!((d(&p["price_entry"]), d(&p["price_exit"])), (dec("100"), dec("107")));
}
