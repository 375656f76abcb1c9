//! Native baseline for `bench/bench_backtest.py`: builds the backtest inputs exactly as
//! the C ABI does (`barter_ffi::config::parse`, `barter_ffi::market_data::load_file`,
//! `barter_ffi::backtest::build_args_constant` / `build_args_dynamic`), then times the
//! same domain functions the C ABI runs: `barter_ffi::backtest::run_one` (one backtest
//! on this thread) or `run_many` (a batch on Rust threads), with barter's
//! DefaultStrategy. Only the summary JSON serialisation is left out.
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
//! `--variants 0` (the default) times one backtest per repeat; `--variants N` times one
//! batch of N variants (ids `bt-0`..`bt-{N-1}`, risk-free return 0.05) per repeat, after
//! `--warmup` untimed calls of the same kind (batches of at most `--warmup-variants`).
//! Batches run on `--max-concurrent K` threads (0, the default: the number of cores),
//! capped by `--workers T` when given. Prints one JSON object on stdout: timings, process
//! CPU times, the batch durations `run_many` measured, peak RSS.

use barter_ffi::backtest::{
    build_args_constant, build_args_dynamic, run_many, run_one, thread_count, ArgsConstant, ArgsDynamic,
    SummaryInterval,
};
use barter_ffi::engine::Fill;
use barter_ffi::summary::MultiBacktestSummaryWire;
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
    /// Threads of a batch (0: the number of cores).
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

/// The dynamic arguments of one batch (default strategy), as `barter_backtest_args_dynamic_new` builds them.
fn dynamics(count: usize, prefix: &str) -> Vec<ArgsDynamic> {
    (0..count)
        .map(|i| {
            build_args_dynamic(&format!("{prefix}{i}"), "0.05", None, Fill::Next, true)
                .unwrap_or_else(|e| fail("args_dynamic", &e.message))
        })
        .collect()
}

fn run_batch(args: &ArgsConstant, batch: &[ArgsDynamic], threads: usize) -> MultiBacktestSummaryWire {
    run_many(args, batch, threads).unwrap_or_else(|e| fail("run_many", &e.message))
}

fn main() {
    let options = parse_options();

    let mut threads = if options.max_concurrent == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.max_concurrent
    };
    if let Some(workers) = options.workers {
        threads = threads.min(workers);
    }
    let workers = thread_count(threads, usize::MAX);

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
    let args = build_args_constant(&config, &market_data, SummaryInterval::Daily, &[])
        .unwrap_or_else(|e| fail("args_constant", &e.message));
    let args_s = start.elapsed().as_secs_f64();

    // Untimed warm-up calls of the same kind (batches capped at --warmup-variants):
    // they grow the allocator's arenas, which would otherwise be charged to the first
    // timed call of this fresh process.
    for round in 0..options.warmup {
        if options.variants == 0 {
            let dynamic = dynamics(1, &format!("warmup-{round}-")).pop().expect("one");
            run_one(&args, &dynamic).unwrap_or_else(|e| fail("warm-up backtest", &e.message));
        } else {
            let batch = dynamics(options.variants.min(options.warmup_variants), &format!("warmup-{round}-"));
            run_batch(&args, &batch, workers);
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
            let summary = run_one(&args, &dynamic).unwrap_or_else(|e| fail("backtest", &e.message));
            samples.push(start.elapsed().as_secs_f64());
            cpu_samples.push(cpu_time_s(false) - cpu_start);
            summaries = 1;
            instruments = summary.head.trading_summary.instruments.0.len();
            drop(summary);
        } else {
            let batch = dynamics(options.variants, "bt-");
            let cpu_start = cpu_time_s(false);
            let start = Instant::now();
            let summary = run_batch(&args, &batch, workers);
            samples.push(start.elapsed().as_secs_f64());
            cpu_samples.push(cpu_time_s(false) - cpu_start);
            barter_durations.push(summary.duration_ns as f64 / 1e9);
            summaries = summary.summaries.len();
            instruments = summary.summaries.first().map_or(0, |s| s.head.trading_summary.instruments.0.len());
            drop(summary);
        }
    }

    let report = serde_json::json!({
        "mode": if options.variants == 0 { "backtest" } else { "run_backtests" },
        "variants": options.variants,
        "workers": workers,
        "max_concurrent": options.max_concurrent,
        "in_flight": options.variants.min(workers),
        "repeat": options.repeat,
        "warmup": options.warmup,
        "warmup_variants": options.warmup_variants,
        "records": market_data.len(),
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
