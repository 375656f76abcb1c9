//! Native baseline for `bench/bench_backtest.py`: builds the backtest inputs exactly as
//! the C ABI does (`barter_ffi::config::parse`, `barter_ffi::market_data::load_file`,
//! `barter_ffi::backtest::build_args_constant` / `build_args_dynamic`), then times
//! barter's own `barter::backtest::backtest` / `run_backtests` on a tokio multi-thread
//! runtime with a chosen number of worker threads. No JSON crosses any boundary here:
//! the timed call returns barter's summary structs.
//!
//! Batches run either through barter's `run_backtests` (`--max-concurrent 0`, the
//! default: every variant starts at once) or, with `--max-concurrent K`, with at most K
//! in flight: barter's `backtest` per variant through `futures::stream::iter(..)
//! .buffered(K)`, summaries in input order, then `MultiBacktestSummary::new(elapsed,
//! summaries)`. That is the scheme of `barter_ffi::backtest::run_many` (what the Python
//! `run_backtests(..., max_concurrent=K)` runs), written here against barter directly
//! so that it stays a native baseline without the summary JSON.
//!
//! Build and run:
//!
//! ```text
//! cargo build --release --example bench_backtest --manifest-path rust_ffi/Cargo.toml
//! rust_ffi/target/release/examples/bench_backtest --data DATA --config CONFIG \
//!     [--variants N] [--repeat R] [--warmup W] [--warmup-variants V] [--workers T] \
//!     [--max-concurrent K]
//! ```
//!
//! `--variants 0` (the default) times one `backtest()` per repeat; `--variants N` times
//! one `run_backtests()` of N variants (ids `bt-0`..`bt-{N-1}`, risk-free return 0.05)
//! per repeat, after `--warmup` untimed calls of the same kind (default 1; batches of at
//! most `--warmup-variants`, default 100, run the same bounded or unbounded way).
//! `--workers` defaults to the number of CPUs
//! (tokio's default, which is what the Python bindings' runtime uses). Prints one JSON
//! object on stdout: timings, process CPU times, barter's own batch durations, peak RSS.

use barter::backtest::summary::MultiBacktestSummary;
use barter::error::BarterError;
use barter_ffi::backtest::{
    build_args_constant, build_args_dynamic, ArgsConstant, ArgsDynamic, DynamicSpec, SummaryInterval,
};
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use std::time::Instant;

#[path = "bench_common/mod.rs"]
mod bench_common;
use bench_common::{cpu_time_s, trim_heap};

struct Options {
    data: String,
    config: String,
    variants: usize,
    repeat: usize,
    warmup: usize,
    warmup_variants: usize,
    workers: Option<usize>,
    /// 0: barter's `run_backtests` (unbounded); K > 0: at most K backtests in flight.
    max_concurrent: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_backtest --data PATH --config PATH [--variants N] [--repeat R] [--warmup W] \
         [--warmup-variants V] [--workers T] [--max-concurrent K]"
    );
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut options = Options {
        data: String::new(),
        config: String::new(),
        variants: 0,
        repeat: 3,
        warmup: 1,
        warmup_variants: 100,
        workers: None,
        max_concurrent: 0,
    };
    let mut args = std::env::args().skip(1);
    let number =
        |value: Option<String>| -> usize { value.and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()) };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => options.data = args.next().unwrap_or_else(|| usage()),
            "--config" => options.config = args.next().unwrap_or_else(|| usage()),
            "--variants" => options.variants = number(args.next()),
            "--repeat" => options.repeat = number(args.next()).max(1),
            "--warmup" => options.warmup = number(args.next()),
            "--warmup-variants" => options.warmup_variants = number(args.next()).max(1),
            "--workers" => options.workers = Some(number(args.next()).max(1)),
            "--max-concurrent" => options.max_concurrent = number(args.next()),
            _ => usage(),
        }
    }
    if options.data.is_empty() || options.config.is_empty() {
        usage()
    }
    options
}

fn fail(what: &str, message: &str) -> ! {
    eprintln!("bench_backtest: {what}: {message}");
    std::process::exit(1)
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite timings"));
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Peak resident set size of this process so far, in bytes (Linux; 0 elsewhere).
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kb = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim();
                kb.parse::<u64>().ok()
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// The dynamic arguments of one batch, built the way `barter_backtest_run_many` does.
fn dynamics(count: usize, prefix: &str) -> Vec<ArgsDynamic> {
    let specs: Vec<DynamicSpec> = (0..count)
        .map(|i| DynamicSpec { id: format!("{prefix}{i}"), risk_free_return: "0.05".to_owned() })
        .collect();
    build_args_dynamic(&specs).unwrap_or_else(|e| fail("args_dynamic", &e.message))
}

/// One batch of backtests: barter's own `run_backtests` when `max_concurrent` is 0
/// (every variant started at once), otherwise barter's `backtest` for each variant with
/// at most `max_concurrent` in flight, summaries in input order, combined into barter's
/// `MultiBacktestSummary` the way `run_backtests` does (elapsed time of the batch).
async fn run_batch(
    args: &Arc<ArgsConstant>,
    batch: Vec<ArgsDynamic>,
    max_concurrent: usize,
) -> Result<MultiBacktestSummary<SummaryInterval>, BarterError> {
    if max_concurrent == 0 {
        return barter::backtest::run_backtests(Arc::clone(args), batch).await;
    }
    let started = Instant::now();
    let summaries: Vec<_> = futures::stream::iter(batch)
        .map(|dynamic| barter::backtest::backtest(Arc::clone(args), dynamic))
        .buffered(max_concurrent)
        .try_collect()
        .await?;
    Ok(MultiBacktestSummary::new(started.elapsed(), summaries))
}

fn main() {
    let options = parse_options();

    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(workers) = options.workers {
        builder.worker_threads(workers);
    }
    let runtime = builder.build().unwrap_or_else(|e| fail("tokio runtime", &e.to_string()));
    let workers = runtime.metrics().num_workers();

    let start = Instant::now();
    let config_bytes =
        std::fs::read(&options.config).unwrap_or_else(|e| fail(&options.config, &e.to_string()));
    let config = barter_ffi::config::parse(&config_bytes, &options.config)
        .unwrap_or_else(|e| fail("config", &e.message));
    let config_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let market_data = barter_ffi::market_data::load_file(&options.data, false)
        .unwrap_or_else(|e| fail("market data", &e.message));
    let load_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let args = Arc::new(
        build_args_constant(&config, &market_data, SummaryInterval::Daily, &[])
            .unwrap_or_else(|e| fail("args_constant", &e.message)),
    );
    let args_s = start.elapsed().as_secs_f64();

    // Untimed warm-up calls of the same kind (batches capped at --warmup-variants):
    // they start the runtime's threads and grow the allocator's arenas, which would
    // otherwise be charged to the first timed call of this fresh process.
    for round in 0..options.warmup {
        if options.variants == 0 {
            let dynamic = dynamics(1, &format!("warmup-{round}-")).pop().expect("one");
            runtime
                .block_on(barter::backtest::backtest(Arc::clone(&args), dynamic))
                .unwrap_or_else(|e| fail("warm-up backtest", &e.to_string()));
        } else {
            let batch = dynamics(options.variants.min(options.warmup_variants), &format!("warmup-{round}-"));
            runtime
                .block_on(run_batch(&args, batch, options.max_concurrent))
                .unwrap_or_else(|e| fail("warm-up run_backtests", &e.to_string()));
        }
    }

    let mut samples = Vec::with_capacity(options.repeat);
    let mut cpu_samples = Vec::with_capacity(options.repeat);
    let mut barter_durations = Vec::new();
    let mut summaries = 0usize;
    let mut instruments = 0usize;
    for _ in 0..options.repeat {
        trim_heap();
        if options.variants == 0 {
            let dynamic = dynamics(1, "bt-").pop().expect("one");
            let cpu_start = cpu_time_s(false);
            let start = Instant::now();
            let summary = runtime
                .block_on(barter::backtest::backtest(Arc::clone(&args), dynamic))
                .unwrap_or_else(|e| fail("backtest", &e.to_string()));
            samples.push(start.elapsed().as_secs_f64());
            cpu_samples.push(cpu_time_s(false) - cpu_start);
            summaries = 1;
            instruments = summary.trading_summary.instruments.len();
            drop(summary);
        } else {
            let batch = dynamics(options.variants, "bt-");
            let cpu_start = cpu_time_s(false);
            let start = Instant::now();
            let summary = runtime
                .block_on(run_batch(&args, batch, options.max_concurrent))
                .unwrap_or_else(|e| fail("run_backtests", &e.to_string()));
            samples.push(start.elapsed().as_secs_f64());
            cpu_samples.push(cpu_time_s(false) - cpu_start);
            barter_durations.push(summary.duration.as_secs_f64());
            summaries = summary.summaries.len();
            instruments = summary.summaries.first().map_or(0, |s| s.trading_summary.instruments.len());
            drop(summary);
        }
    }

    let report = serde_json::json!({
        "mode": if options.variants == 0 { "backtest" } else { "run_backtests" },
        "variants": options.variants,
        "workers": workers,
        "max_concurrent": options.max_concurrent,
        "in_flight": if options.max_concurrent == 0 { options.variants } else { options.variants.min(options.max_concurrent) },
        "repeat": options.repeat,
        "warmup": options.warmup,
        "warmup_variants": options.warmup_variants,
        "records": market_data.records.len(),
        "setup_s": {"config": config_s, "load": load_s, "args_constant": args_s},
        "samples_s": samples,
        "best_s": samples.iter().copied().fold(f64::INFINITY, f64::min),
        "median_s": median(&samples),
        "cpu_s": cpu_samples,
        "barter_duration_s": barter_durations,
        "summaries": summaries,
        "instruments_per_summary": instruments,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{report}");
}
