//! Native baseline for `bench/bench_load.py`: times `barter_ffi::market_data::load_file_with`
//! (read, decompress, parse into barter's `MarketStreamEvent`s on `--threads` threads, 0 =
//! one per core), the same function the Python `MarketDataInMemory.from_json_file`
//! reaches through the C ABI; with `--binary`, `market_data::binary::load` of a cache
//! written by `md.save` instead.
//!
//! Build and run:
//!
//! ```text
//! cargo build --release --example bench_load --manifest-path rust_ffi/Cargo.toml
//! rust_ffi/target/release/examples/bench_load PATH [--repeat N] [--warmup W] [--threads T] [--binary]
//! ```
//!
//! `--warmup W` untimed loads come first (default 0). Prints one JSON object on stdout:
//! the per-repeat load times (seconds), best and median, the CPU time of the loading
//! thread per repeat, the time to drop the parsed data, and the record counts.

use std::time::Instant;

#[path = "bench_common/mod.rs"]
mod bench_common;
use bench_common::{cpu_time_s, trim_heap};

struct Options {
    path: String,
    repeat: usize,
    warmup: usize,
    threads: usize,
    binary: bool,
}

fn usage() -> ! {
    eprintln!("usage: bench_load PATH [--repeat N] [--warmup W] [--threads T] [--binary]");
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut path = None;
    let mut repeat = 3usize;
    let mut warmup = 0usize;
    let mut threads = 0usize;
    let mut binary = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => {
                repeat =
                    args.next().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or_else(|| usage())
            }
            "--warmup" => warmup = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--binary" => binary = true,
            "-h" | "--help" => usage(),
            _ if path.is_none() && !arg.starts_with("--") => path = Some(arg),
            _ => usage(),
        }
    }
    Options { path: path.unwrap_or_else(|| usage()), repeat, warmup, threads, binary }
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

fn main() {
    let options = parse_options();
    let mut load_s = Vec::with_capacity(options.repeat);
    let mut drop_s = Vec::with_capacity(options.repeat);
    let mut cpu_s = Vec::with_capacity(options.repeat);
    let mut info = None;
    for round in 0..options.warmup + options.repeat {
        let timed = round >= options.warmup;
        let cpu_start = cpu_time_s(false);
        let start = Instant::now();
        let loaded = if options.binary {
            barter_ffi::market_data::binary::load(&options.path, options.threads)
        } else {
            let load_options =
                barter_ffi::market_data::LoadOptions { skip_errors: false, threads: options.threads };
            barter_ffi::market_data::load_file_with(&options.path, load_options)
        };
        let data = match loaded {
            Ok(data) => data,
            Err(error) => {
                eprintln!("bench_load: {}", error.message);
                std::process::exit(1)
            }
        };
        let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_time_s(false) - cpu_start);
        info = Some((data.len(), data.item_count, data.reconnect_count));
        let start = Instant::now();
        drop(data);
        let dropped = start.elapsed().as_secs_f64();
        if timed {
            load_s.push(wall);
            cpu_s.push(cpu);
            drop_s.push(dropped);
        }
        trim_heap();
    }
    let info = info.expect("repeat > 0");
    let report = serde_json::json!({
        "path": options.path,
        "repeat": options.repeat,
        "warmup": options.warmup,
        "load_s": load_s,
        "load_best_s": load_s.iter().copied().fold(f64::INFINITY, f64::min),
        "load_median_s": median(&load_s),
        "load_cpu_s": cpu_s,
        "drop_median_s": median(&drop_s),
        "records": info.0,
        "items": info.1,
        "reconnects": info.2,
    });
    println!("{report}");
}
