//! Throughput of the deterministic driver with a trading strategy: one seeded random walk
//! of N trades (built in memory, no JSON), then
//! 1. one `SmaCross(10, 30, 0.01)` backtest and one DefaultStrategy backtest: best of
//!    `--repeat` runs each, events/s on one thread, with the trades held as barter's
//!    records and as a column store (`market_data::TradeStore`), alternating run by
//!    run (the summaries must be identical);
//! 2. a 10×10 `SmaCross` grid (fast 5..50 step 5, slow 60..240 step 20) through
//!    `barter_ffi::backtest::run_many` with each `--threads` value (max_concurrent).
//!
//! Build and run:
//!
//! ```text
//! cargo build --release --example bench_strategy --manifest-path rust_ffi/Cargo.toml
//! rust_ffi/target/release/examples/bench_strategy [--events 1000000] [--repeat 3] \
//!     [--threads 1,2] [--seed 7] [--skip-grid]
//! ```
//!
//! Prints one JSON object on stdout (grid runs with the process CPU time and the load
//! average: on a shared machine, wall time alone does not show the scaling).

use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::trade::PublicTrade;
use barter_ffi::backtest::{build_args_constant, build_args_dynamic, run_many, run_one, SummaryInterval};
use barter_ffi::engine::Fill;
use barter_ffi::market_data::{MarketData, Store, TradeRef, TradeStore};
use barter_ffi::strategy::Strategy;
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
use std::time::Instant;

#[path = "bench_common/mod.rs"]
mod bench_common;
use bench_common::{cpu_time_s, trim_heap};

struct Options {
    events: usize,
    repeat: usize,
    threads: Vec<usize>,
    seed: u64,
    grid: bool,
}

fn usage() -> ! {
    eprintln!("usage: bench_strategy [--events N] [--repeat R] [--threads 1,2] [--seed S] [--skip-grid]");
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut options = Options { events: 1_000_000, repeat: 3, threads: vec![1, 2], seed: 7, grid: true };
    let mut args = std::env::args().skip(1);
    let number =
        |value: Option<String>| -> u64 { value.and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()) };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => options.events = number(args.next()).max(1) as usize,
            "--repeat" => options.repeat = number(args.next()).max(1) as usize,
            "--seed" => options.seed = number(args.next()),
            "--skip-grid" => options.grid = false,
            "--threads" => {
                options.threads = args
                    .next()
                    .unwrap_or_else(|| usage())
                    .split(',')
                    .map(|t| t.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            _ => usage(),
        }
    }
    options
}

/// A seeded random walk of trades on instrument 0 (binance_spot btc_usdt of the example
/// config), one per millisecond, prices rounded to cents: as barter's records and as
/// columns.
fn random_walk(events: usize, seed: u64) -> (MarketData, MarketData) {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let start = chrono::DateTime::parse_from_rfc3339("2024-12-20T00:00:00Z").unwrap().to_utc();
    let mut price = 100.0f64;
    let mut records = Vec::with_capacity(events);
    for i in 0..events {
        // Sum of uniforms: a cheap, roughly normal step of about 0.1 %.
        let step = (next() + next() + next() - 1.5) * 0.002;
        price = ((price * (1.0 + step)) * 100.0).round() / 100.0;
        let time = start + chrono::TimeDelta::milliseconds(i as i64);
        records.push(ReconnectEvent::Item(MarketEvent {
            time_exchange: time,
            time_received: time,
            exchange: ExchangeId::BinanceSpot,
            instrument: InstrumentIndex(0),
            kind: DataKind::Trade(PublicTrade { id: i.to_string(), price, amount: 1.0, side: Side::Buy }),
        }));
    }
    let mut trades = TradeStore::default();
    for record in &records {
        let ReconnectEvent::Item(event) = record else { continue };
        let DataKind::Trade(trade) = &event.kind else { continue };
        let ns = event.time_exchange.timestamp_nanos_opt().unwrap();
        assert!(trades.push_trade(&TradeRef {
            time_exchange_ns: ns,
            time_received_ns: ns,
            exchange: event.exchange,
            instrument: event.instrument.index(),
            price: trade.price,
            amount: trade.amount,
            side: trade.side,
            id: &trade.id,
        }));
    }
    (
        MarketData::new(Store::Records(records), 0, "random walk").unwrap(),
        MarketData::new(Store::Trades(trades), 0, "random walk").unwrap(),
    )
}

fn sma(fast: usize, slow: usize) -> Strategy {
    Strategy::from_name(
        "sma_cross",
        Some(&format!(r#"{{"fast": {fast}, "slow": {slow}, "quantity": "0.01"}}"#)),
    )
    .expect("valid parameters")
}

fn main() {
    let options = parse_options();
    let config_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../barter_cy/examples/system_config.json");
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(config_path).unwrap()).unwrap();
    config["executions"][0]["fees_percent"] = serde_json::json!(0.001);
    let config = barter_ffi::config::parse(&serde_json::to_vec(&config).unwrap(), "config").unwrap();

    let started = Instant::now();
    let (market_data, columns) = random_walk(options.events, options.seed);
    let generate_s = started.elapsed().as_secs_f64();
    let args = build_args_constant(&config, &market_data, SummaryInterval::Daily, &[]).unwrap();
    let args_columns = build_args_constant(&config, &columns, SummaryInterval::Daily, &[]).unwrap();

    let mut singles = Vec::new();
    for (label, strategy) in
        [("sma_cross(10, 30, 0.01), fill next", sma(10, 30)), ("default (never orders)", Strategy::default())]
    {
        let dynamic = build_args_dynamic("single", "0.05", Some(strategy), Fill::Next, true).unwrap();
        let mut samples = Vec::new();
        let mut samples_columns = Vec::new();
        let mut ratios = Vec::new();
        let mut positions = 0;
        for _ in 0..options.repeat {
            let started = Instant::now();
            let summary = run_one(&args, &dynamic).unwrap();
            samples.push(started.elapsed().as_secs_f64());
            positions = summary.positions.len();
            let started = Instant::now();
            let from_columns = run_one(&args_columns, &dynamic).unwrap();
            samples_columns.push(started.elapsed().as_secs_f64());
            assert_eq!(summary.to_json().unwrap(), from_columns.to_json().unwrap(), "the stores disagree");
            ratios.push(samples[samples.len() - 1] / samples_columns[samples_columns.len() - 1]);
        }
        let best = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let best_columns = samples_columns.iter().copied().fold(f64::INFINITY, f64::min);
        ratios.sort_by(f64::total_cmp);
        singles.push(serde_json::json!({
            "strategy": label,
            "samples_s": samples,
            "best_s": best,
            "events_per_s": options.events as f64 / best,
            "columns_samples_s": samples_columns,
            "columns_best_s": best_columns,
            "columns_events_per_s": options.events as f64 / best_columns,
            "records_over_columns_median": ratios[ratios.len() / 2],
            "closed_positions": positions,
        }));
    }

    let mut grid = Vec::new();
    if options.grid {
        let dynamics: Vec<_> = (1..=10)
            .flat_map(|f| (0..10).map(move |s| (5 * f, 60 + 20 * s)))
            .map(|(fast, slow)| {
                build_args_dynamic(
                    &format!("sma-{fast}-{slow}"),
                    "0.05",
                    Some(sma(fast, slow)),
                    Fill::Next,
                    true,
                )
                .unwrap()
            })
            .collect();
        let mut reference: Option<Vec<u8>> = None;
        for threads in &options.threads {
            trim_heap();
            let cpu_started = cpu_time_s(false);
            let started = Instant::now();
            let multi = run_many(&args, &dynamics, *threads).unwrap();
            let seconds = started.elapsed().as_secs_f64();
            let cpu_s = cpu_time_s(false) - cpu_started;
            let json = serde_json::to_vec(&multi.summaries).unwrap();
            let identical = reference.get_or_insert_with(|| json.clone()) == &json;
            grid.push(serde_json::json!({
                "threads": threads,
                "variants": dynamics.len(),
                "seconds": seconds,
                "cpu_s": cpu_s,
                "load_average": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_owned(),
                "events_per_s": (dynamics.len() * options.events) as f64 / seconds,
                "same_summaries_as_first": identical,
            }));
        }
    }

    let report = serde_json::json!({
        "events": options.events,
        "generate_s": generate_s,
        "single": singles,
        "grid": grid,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    println!("{report}");
}
