//! barter `TradingSummary<Daily>` / `BacktestSummary` values built by hand with awkward
//! Decimals (28 significant digits, negatives, `Decimal::MAX` / `MIN`, 1e-28, trailing
//! zeros, negative zero), drawdowns with nanosecond and boundary times, `None` fields and
//! several instruments / assets in a non-sorted order, converted with the crate's wire
//! structs and serialised with serde_json. Every decimal must come back as the exact
//! `Display` string (digit for digit) and parse to the identical Decimal (value and
//! scale), except metric values at `Decimal::MAX` / `MIN` (barter's stand-in for an
//! undefined ratio), which must be `null`; every time must be exact nanoseconds; map
//! order must be kept. A barter summary carries no strategy: the wire says `default`.
//!
//! With `BARTER_FFI_WRITE_FIXTURES` set, also writes `tests/data/awkward_summary.json`
//! (the wire JSON of one summary) and `tests/data/awkward_summary_expected.json` (the
//! expected decimal strings, times and orders by JSON pointer, computed from the native
//! values, not from the wire) at the repository root for the Python tests. Without it,
//! existing fixture files are checked to still match.

mod common;

use barter::backtest::summary::{BacktestSummary, MultiBacktestSummary};
use barter::statistic::metric::{
    calmar::CalmarRatio,
    drawdown::{max::MaxDrawdown, mean::MeanDrawdown, Drawdown},
    profit_factor::ProfitFactor,
    rate_of_return::RateOfReturn,
    sharpe::SharpeRatio,
    sortino::SortinoRatio,
    win_rate::WinRate,
};
use barter::statistic::summary::{asset::TearSheetAsset, instrument::TearSheet, TradingSummary};
use barter::statistic::time::Daily;
use barter_execution::balance::Balance;
use barter_ffi::summary::{BacktestSummaryWire, MultiBacktestSummaryWire, TradingSummaryWire};
use barter_instrument::asset::{name::AssetNameInternal, ExchangeAsset};
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::name::InstrumentNameInternal;
use barter_integration::collection::FnvIndexMap;
use chrono::{DateTime, TimeZone, Utc};
use common::Ordered;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use smol_str::SmolStr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Awkward inputs
// ---------------------------------------------------------------------------------------

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// Decimals whose string form is easy to get wrong.
fn awkward() -> Vec<Decimal> {
    vec![
        Decimal::MAX,                           // 79228162514264337593543950335
        Decimal::MIN,                           // -79228162514264337593543950335
        Decimal::new(1, 28),                    // 0.0000000000000000000000000001
        Decimal::new(-1, 28),                   // -0.0000000000000000000000000001
        Decimal::new(1500, 3),                  // 1.500
        Decimal::new(-1500, 3),                 // -1.500
        dec("1234567890.123456789012345678"),   // 28 significant digits
        dec("-0.1234567890123456789012345678"), // 28 digits, all after the point
        Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950_335, 28), // 7.92...335
        Decimal::new(100, 28),                  // 0.0000000000000000000000000100
        Decimal::ZERO,                          // 0
        Decimal::new(0, 10),                    // 0.0000000000
        Decimal::from_parts(0, 0, 0, true, 5),  // zero with the sign bit set, scale 5
        Decimal::new(i64::MIN, 0),              // -9223372036854775808
        Decimal::new(5, 2),                     // 0.05
        dec("10000"),
        dec("-42.000000000000000000000000"),   // trailing zeros, negative
        dec("0.3333333333333333333333333333"), // 28 threes
    ]
}

fn t(ns: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_nanos(ns)
}

/// Times whose nanoseconds are easy to get wrong: sub-microsecond, before the epoch,
/// and the ends of the i64 nanosecond range.
fn awkward_times() -> Vec<DateTime<Utc>> {
    vec![
        t(1_734_721_518_319_581_890),
        Utc.with_ymd_and_hms(2024, 12, 20, 19, 5, 18).unwrap() + chrono::TimeDelta::nanoseconds(1),
        t(-1),
        t(0),
        t(-1_000_000_000_123),
        t(i64::MIN),
        t(i64::MAX),
        t(1_700_000_000_999_999_999),
    ]
}

fn drawdown(value: Decimal, start: DateTime<Utc>, end: DateTime<Utc>) -> Drawdown {
    Drawdown { value, time_start: start, time_end: end }
}

/// Builds a summary using every awkward decimal and time in many fields; `shift` rotates
/// which value goes where, so different summaries exercise different combinations.
/// `extreme_ms` also puts `i64::MIN` / `i64::MAX` into `mean_drawdown_ms` (left out of the
/// Python fixture: its model converts milliseconds to i64 nanoseconds).
fn build_summary(shift: usize, extreme_ms: bool) -> TradingSummary<Daily> {
    let d = awkward();
    let times = awkward_times();
    let mut k = shift;
    let mut next = || {
        k += 1;
        d[k % d.len()]
    };
    let mut tk = shift;
    let mut next_time = || {
        tk += 1;
        times[tk % times.len()]
    };
    let ms_values = if extreme_ms {
        [0i64, -1, i64::MAX, i64::MIN, 1_234_567_890_123]
    } else {
        [0i64, 1, 86_400_000, 59_999, 1_234_567_890_123]
    };

    let mut instruments = FnvIndexMap::default();
    // Deliberately not sorted: the wire must keep insertion order.
    let names = ["zzz-last_in_alphabet", "binancespot-btc_usdt", "aaa-first_in_alphabet", "okx-ünïcödé_名前"];
    for (i, name) in names.iter().enumerate() {
        let sheet = if i == 2 {
            // All optional fields None.
            TearSheet {
                pnl: next(),
                pnl_return: RateOfReturn { value: next(), interval: Daily },
                sharpe_ratio: SharpeRatio { value: next(), interval: Daily },
                sortino_ratio: SortinoRatio { value: next(), interval: Daily },
                calmar_ratio: CalmarRatio { value: next(), interval: Daily },
                pnl_drawdown: None,
                pnl_drawdown_mean: None,
                pnl_drawdown_max: None,
                win_rate: None,
                profit_factor: None,
            }
        } else {
            TearSheet {
                pnl: next(),
                pnl_return: RateOfReturn { value: next(), interval: Daily },
                sharpe_ratio: SharpeRatio { value: next(), interval: Daily },
                sortino_ratio: SortinoRatio { value: next(), interval: Daily },
                calmar_ratio: CalmarRatio { value: next(), interval: Daily },
                pnl_drawdown: Some(drawdown(next(), next_time(), next_time())),
                pnl_drawdown_mean: Some(MeanDrawdown {
                    mean_drawdown: next(),
                    mean_drawdown_ms: ms_values[(shift + i) % ms_values.len()],
                }),
                pnl_drawdown_max: Some(MaxDrawdown(drawdown(next(), next_time(), next_time()))),
                win_rate: Some(WinRate { value: next() }),
                profit_factor: Some(ProfitFactor { value: next() }),
            }
        };
        instruments.insert(InstrumentNameInternal::new(*name), sheet);
    }

    let mut assets = FnvIndexMap::default();
    let keys = [
        (ExchangeId::Kraken, "usdt"),
        (ExchangeId::BinanceSpot, "btc"),
        (ExchangeId::Coinbase, "eth"),
        (ExchangeId::BinanceSpot, "aaa"),
    ];
    for (i, (exchange, asset)) in keys.iter().enumerate() {
        let sheet = if i == 3 {
            TearSheetAsset { balance_end: None, drawdown: None, drawdown_mean: None, drawdown_max: None }
        } else {
            TearSheetAsset {
                balance_end: Some(Balance { total: next(), free: next() }),
                drawdown: Some(drawdown(next(), next_time(), next_time())),
                drawdown_mean: Some(MeanDrawdown {
                    mean_drawdown: next(),
                    mean_drawdown_ms: ms_values[(shift + i + 2) % ms_values.len()],
                }),
                drawdown_max: Some(MaxDrawdown(drawdown(next(), next_time(), next_time()))),
            }
        };
        assets.insert(ExchangeAsset::new(*exchange, AssetNameInternal::new(*asset)), sheet);
    }

    TradingSummary { time_engine_start: next_time(), time_engine_end: next_time(), instruments, assets }
}

fn backtest_summary(id: &str, shift: usize, extreme_ms: bool) -> BacktestSummary<Daily> {
    let d = awkward();
    BacktestSummary {
        id: SmolStr::new(id),
        risk_free_return: d[(shift * 7) % d.len()],
        trading_summary: build_summary(shift, extreme_ms),
    }
}

// ---------------------------------------------------------------------------------------
// Expected values, computed from the native values (not from the wire structs)
// ---------------------------------------------------------------------------------------

/// What the wire JSON must contain, by JSON pointer.
#[derive(Default)]
struct Expected {
    decimals: Vec<(String, Decimal)>,
    times_ns: Vec<(String, i64)>,
    integers: Vec<(String, i64)>,
    strings: Vec<(String, String)>,
    nulls: Vec<String>,
    absent: Vec<String>,
    key_orders: Vec<(String, Vec<String>)>,
}

/// Exact nanoseconds from the parts, independent of chrono's nanosecond helpers.
fn exact_ns(time: DateTime<Utc>) -> i64 {
    let ns = i128::from(time.timestamp()) * 1_000_000_000 + i128::from(time.timestamp_subsec_nanos());
    i64::try_from(ns).expect("test times fit i64 nanoseconds")
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Expected {
    fn drawdown(&mut self, at: &str, d: Option<&Drawdown>) {
        match d {
            None => self.nulls.push(at.to_owned()),
            Some(d) => {
                self.key_orders.push((
                    at.to_owned(),
                    vec!["value".into(), "time_start_ns".into(), "time_end_ns".into()],
                ));
                self.decimals.push((format!("{at}/value"), d.value));
                self.times_ns.push((format!("{at}/time_start_ns"), exact_ns(d.time_start)));
                self.times_ns.push((format!("{at}/time_end_ns"), exact_ns(d.time_end)));
            }
        }
    }

    fn mean(&mut self, at: &str, d: Option<&MeanDrawdown>) {
        match d {
            None => self.nulls.push(at.to_owned()),
            Some(d) => {
                self.key_orders
                    .push((at.to_owned(), vec!["mean_drawdown".into(), "mean_drawdown_ms".into()]));
                self.decimals.push((format!("{at}/mean_drawdown"), d.mean_drawdown));
                self.integers.push((format!("{at}/mean_drawdown_ms"), d.mean_drawdown_ms));
            }
        }
    }

    fn metric(&mut self, at: &str, value: Decimal, interval: Option<&str>) {
        if value == Decimal::MAX || value == Decimal::MIN {
            self.nulls.push(format!("{at}/value"));
        } else {
            self.decimals.push((format!("{at}/value"), value));
        }
        match interval {
            Some(name) => {
                self.strings.push((format!("{at}/interval"), name.to_owned()));
                self.key_orders.push((at.to_owned(), vec!["value".into(), "interval".into()]));
            }
            None => {
                self.absent.push(format!("{at}/interval"));
                self.key_orders.push((at.to_owned(), vec!["value".into()]));
            }
        }
    }

    fn trading_summary(&mut self, at: &str, ts: &TradingSummary<Daily>) {
        self.key_orders.push((
            at.to_owned(),
            vec![
                "time_engine_start_ns".into(),
                "time_engine_end_ns".into(),
                "instruments".into(),
                "assets".into(),
            ],
        ));
        self.times_ns.push((format!("{at}/time_engine_start_ns"), exact_ns(ts.time_engine_start)));
        self.times_ns.push((format!("{at}/time_engine_end_ns"), exact_ns(ts.time_engine_end)));
        self.key_orders.push((
            format!("{at}/instruments"),
            ts.instruments.keys().map(|k| k.name().to_string()).collect(),
        ));
        for (name, sheet) in &ts.instruments {
            let p = format!("{at}/instruments/{}", escape(name.name()));
            self.key_orders.push((
                p.clone(),
                [
                    "pnl",
                    "pnl_return",
                    "sharpe_ratio",
                    "sortino_ratio",
                    "calmar_ratio",
                    "pnl_drawdown",
                    "pnl_drawdown_mean",
                    "pnl_drawdown_max",
                    "win_rate",
                    "profit_factor",
                ]
                .map(String::from)
                .to_vec(),
            ));
            self.decimals.push((format!("{p}/pnl"), sheet.pnl));
            self.metric(&format!("{p}/pnl_return"), sheet.pnl_return.value, Some("Daily"));
            self.metric(&format!("{p}/sharpe_ratio"), sheet.sharpe_ratio.value, Some("Daily"));
            self.metric(&format!("{p}/sortino_ratio"), sheet.sortino_ratio.value, Some("Daily"));
            self.metric(&format!("{p}/calmar_ratio"), sheet.calmar_ratio.value, Some("Daily"));
            self.drawdown(&format!("{p}/pnl_drawdown"), sheet.pnl_drawdown.as_ref());
            self.mean(&format!("{p}/pnl_drawdown_mean"), sheet.pnl_drawdown_mean.as_ref());
            self.drawdown(&format!("{p}/pnl_drawdown_max"), sheet.pnl_drawdown_max.as_ref().map(|m| &m.0));
            match &sheet.win_rate {
                Some(w) => self.metric(&format!("{p}/win_rate"), w.value, None),
                None => self.nulls.push(format!("{p}/win_rate")),
            }
            match &sheet.profit_factor {
                Some(f) => self.metric(&format!("{p}/profit_factor"), f.value, None),
                None => self.nulls.push(format!("{p}/profit_factor")),
            }
        }
        self.key_orders.push((
            format!("{at}/assets"),
            ts.assets.keys().map(|k| format!("{}:{}", k.exchange.as_str(), k.asset.name())).collect(),
        ));
        for (key, sheet) in &ts.assets {
            let p =
                format!("{at}/assets/{}", escape(&format!("{}:{}", key.exchange.as_str(), key.asset.name())));
            self.key_orders.push((
                p.clone(),
                ["balance_end", "drawdown", "drawdown_mean", "drawdown_max"].map(String::from).to_vec(),
            ));
            match &sheet.balance_end {
                Some(b) => {
                    self.key_orders.push((format!("{p}/balance_end"), vec!["total".into(), "free".into()]));
                    self.decimals.push((format!("{p}/balance_end/total"), b.total));
                    self.decimals.push((format!("{p}/balance_end/free"), b.free));
                }
                None => self.nulls.push(format!("{p}/balance_end")),
            }
            self.drawdown(&format!("{p}/drawdown"), sheet.drawdown.as_ref());
            self.mean(&format!("{p}/drawdown_mean"), sheet.drawdown_mean.as_ref());
            self.drawdown(&format!("{p}/drawdown_max"), sheet.drawdown_max.as_ref().map(|m| &m.0));
        }
    }

    fn backtest_summary(&mut self, at: &str, summary: &BacktestSummary<Daily>) {
        self.key_orders.push((
            at.to_owned(),
            [
                "id",
                "risk_free_return",
                "trading_summary",
                "strategy",
                "fill",
                "close_at_end",
                "rejected_orders",
                "positions",
                "equity",
            ]
            .map(String::from)
            .to_vec(),
        ));
        self.strings.push((format!("{at}/fill"), "next".into()));
        self.integers.push((format!("{at}/rejected_orders"), 0));
        self.key_orders.push((format!("{at}/strategy"), vec!["name".into(), "params".into()]));
        self.strings.push((format!("{at}/strategy/name"), "default".into()));
        self.strings.push((format!("{at}/id"), summary.id.to_string()));
        self.decimals.push((format!("{at}/risk_free_return"), summary.risk_free_return));
        self.trading_summary(&format!("{at}/trading_summary"), &summary.trading_summary);
    }

    /// Checks `text` (the serialised wire JSON) against everything expected.
    fn check(&self, text: &str) {
        let ordered = Ordered::parse(text.as_bytes());
        let value: Value = serde_json::from_str(text).unwrap();
        assert!(self.decimals.len() > 40, "the fixture must exercise many decimals");
        for (pointer, decimal) in &self.decimals {
            let node = value.pointer(pointer).unwrap_or_else(|| panic!("{pointer} missing"));
            let wire = node
                .as_str()
                .unwrap_or_else(|| panic!("{pointer}: decimal must be a JSON string, got {node}"));
            assert_eq!(wire, decimal.to_string(), "{pointer}: digit for digit");
            let back = Decimal::from_str(wire).unwrap_or_else(|e| panic!("{pointer}: {wire}: {e}"));
            assert_eq!(back, *decimal, "{pointer}: value");
            assert_eq!(back.scale(), decimal.scale(), "{pointer}: scale of {wire}");
            assert_eq!(back.mantissa().abs(), decimal.mantissa().abs(), "{pointer}: mantissa of {wire}");
            if !decimal.is_zero() {
                assert_eq!(back.is_sign_negative(), decimal.is_sign_negative(), "{pointer}: sign of {wire}");
            }
        }
        for (pointer, ns) in self.times_ns.iter().chain(&self.integers) {
            let node = value.pointer(pointer).unwrap_or_else(|| panic!("{pointer} missing"));
            assert!(node.is_i64(), "{pointer}: must be a JSON integer, got {node}");
            assert_eq!(node.as_i64(), Some(*ns), "{pointer}");
            // No float detour: the literal digits are the integer.
            assert_eq!(serde_json::to_string(node).unwrap(), ns.to_string(), "{pointer}");
        }
        for (pointer, expected) in &self.strings {
            assert_eq!(value.pointer(pointer), Some(&json!(expected)), "{pointer}");
        }
        for pointer in &self.nulls {
            assert_eq!(value.pointer(pointer), Some(&Value::Null), "{pointer}: None must be null (present)");
        }
        for pointer in &self.absent {
            assert_eq!(value.pointer(pointer), None, "{pointer} must be absent");
        }
        for (pointer, keys) in &self.key_orders {
            assert_eq!(
                ordered.pointer(pointer).keys(),
                keys.iter().map(String::as_str).collect::<Vec<_>>(),
                "{pointer}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn awkward_decimals_have_the_expected_display_forms() {
    // The inputs are what they claim to be (so the other tests test something).
    let strings: Vec<String> = awkward().iter().map(Decimal::to_string).collect();
    for expected in [
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.0000000000000000000000000001",
        "-0.0000000000000000000000000001",
        "1.500",
        "-1.500",
        "1234567890.123456789012345678",
        "-0.1234567890123456789012345678",
        "7.9228162514264337593543950335",
        "0.0000000000000000000000000100",
        "0",
        "0.0000000000",
        "-9223372036854775808",
        "-42.000000000000000000000000",
        "0.3333333333333333333333333333",
    ] {
        assert!(strings.iter().any(|s| s == expected), "{expected} not among {strings:?}");
    }
    assert_eq!(exact_ns(t(i64::MIN)), i64::MIN);
    assert_eq!(exact_ns(t(i64::MAX)), i64::MAX);
    assert_eq!(exact_ns(t(-1)), -1);
}

#[test]
fn trading_summary_wire_round_trips_every_decimal_time_and_order() {
    for shift in 0..awkward().len() {
        let summary = build_summary(shift, shift % 2 == 0);
        let text = serde_json::to_string(&TradingSummaryWire::from(&summary)).unwrap();
        let mut expected = Expected::default();
        expected.trading_summary("", &summary);
        expected.check(&text);
    }
}

#[test]
fn backtest_summary_wire_round_trips() {
    for shift in [0, 3, 11] {
        let summary = backtest_summary(&format!("id-{shift} \"quoted\" ✓"), shift, true);
        let text = serde_json::to_string(&BacktestSummaryWire::from(&summary)).unwrap();
        let mut expected = Expected::default();
        expected.backtest_summary("", &summary);
        expected.check(&text);
        // Pretty printing changes no value.
        let pretty = serde_json::to_string_pretty(&BacktestSummaryWire::from(&summary)).unwrap();
        expected.check(&pretty);
    }
}

#[test]
fn multi_backtest_summary_wire_round_trips() {
    let summaries: Vec<_> = (0..3).map(|i| backtest_summary(&format!("b{i}"), i * 5, i == 1)).collect();
    let mut expected = Expected::default();
    for (i, s) in summaries.iter().enumerate() {
        expected.backtest_summary(&format!("/summaries/{i}"), s);
    }
    let multi = MultiBacktestSummary::new(Duration::new(1, 500_000_007), summaries);
    let text = serde_json::to_string(&MultiBacktestSummaryWire::from(&multi)).unwrap();
    expected
        .key_orders
        .push((String::new(), vec!["num_backtests".into(), "duration_ns".into(), "summaries".into()]));
    expected.integers.push(("/num_backtests".into(), 3));
    expected.integers.push(("/duration_ns".into(), 1_500_000_007));
    expected.check(&text);

    // Durations beyond i64 nanoseconds saturate instead of wrapping.
    let huge = MultiBacktestSummary::<Daily>::new(Duration::from_secs(u64::MAX), Vec::new());
    let value = serde_json::to_value(MultiBacktestSummaryWire::from(&huge)).unwrap();
    assert_eq!(value, json!({"num_backtests": 0, "duration_ns": i64::MAX, "summaries": []}));
}

#[test]
fn empty_maps_serialise_as_empty_objects() {
    let summary = TradingSummary::<Daily> {
        time_engine_start: t(0),
        time_engine_end: t(1),
        instruments: FnvIndexMap::default(),
        assets: FnvIndexMap::default(),
    };
    let text = serde_json::to_string(&TradingSummaryWire::from(&summary)).unwrap();
    assert_eq!(text, r#"{"time_engine_start_ns":0,"time_engine_end_ns":1,"instruments":{},"assets":{}}"#);
}

// ---------------------------------------------------------------------------------------
// Fixture for the Python tests
// ---------------------------------------------------------------------------------------

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

fn fixture_summary() -> BacktestSummary<Daily> {
    backtest_summary("awkward-fixture", 0, false)
}

/// The expected-values companion: every decimal string, time, integer, string, null and
/// key order, by JSON pointer (RFC 6901) and as a list of path segments.
fn fixture_expected_json(summary: &BacktestSummary<Daily>) -> Value {
    let mut e = Expected::default();
    e.backtest_summary("", summary);
    let path = |pointer: &str| -> Vec<String> {
        if pointer.is_empty() {
            return Vec::new();
        }
        pointer[1..].split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect()
    };
    let entry =
        |pointer: &str, value: Value| json!({"pointer": pointer, "path": path(pointer), "value": value});
    json!({
        "description": "Expected values of awkward_summary.json (a BacktestSummary on the wire), generated from \
                        the native rust_decimal / chrono values by rust_ffi/tests/summary_decimals.rs. \
                        decimals: Display strings, digit for digit; times_ns and integers: exact i64; \
                        nulls: present and null; absent: keys that must not exist; key_orders: object keys \
                        in order.",
        "decimals": e.decimals.iter().map(|(p, d)| entry(p, json!(d.to_string()))).collect::<Vec<_>>(),
        "times_ns": e.times_ns.iter().map(|(p, n)| entry(p, json!(n))).collect::<Vec<_>>(),
        "integers": e.integers.iter().map(|(p, n)| entry(p, json!(n))).collect::<Vec<_>>(),
        "strings": e.strings.iter().map(|(p, s)| entry(p, json!(s))).collect::<Vec<_>>(),
        "nulls": e.nulls.iter().map(|p| entry(p, Value::Null)).collect::<Vec<_>>(),
        "absent": e.absent.iter().map(|p| json!({"pointer": p, "path": path(p)})).collect::<Vec<_>>(),
        "key_orders": e.key_orders.iter().map(|(p, k)| entry(p, json!(k))).collect::<Vec<_>>(),
    })
}

#[test]
fn awkward_fixture_for_python() {
    let summary = fixture_summary();
    let mut summary_text = serde_json::to_string_pretty(&BacktestSummaryWire::from(&summary)).unwrap();
    summary_text.push('\n');
    let mut expected_text = serde_json::to_string_pretty(&fixture_expected_json(&summary)).unwrap();
    expected_text.push('\n');

    // The fixture itself satisfies every expectation.
    let mut e = Expected::default();
    e.backtest_summary("", &summary);
    e.check(&summary_text);

    let dir = fixture_dir();
    let summary_path = dir.join("awkward_summary.json");
    let expected_path = dir.join("awkward_summary_expected.json");
    if std::env::var_os("BARTER_FFI_WRITE_FIXTURES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&summary_path, &summary_text).unwrap();
        std::fs::write(&expected_path, &expected_text).unwrap();
        eprintln!("wrote {} and {}", summary_path.display(), expected_path.display());
        return;
    }
    // Not writing: any committed fixture must still be what the code produces.
    for (path, fresh) in [(&summary_path, &summary_text), (&expected_path, &expected_text)] {
        if let Ok(existing) = std::fs::read_to_string(path) {
            assert!(
                existing == *fresh,
                "{} is stale; regenerate with BARTER_FFI_WRITE_FIXTURES=1 cargo test --test summary_decimals",
                path.display()
            );
        }
    }
}
