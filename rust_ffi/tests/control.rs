//! Progress counters, cancelling loads, the log bridge and the quiet panic hook.
//!
//! The log queue and level are process-wide, so every test here that may log (any
//! exported call, any backtest over the example data, which has reconnect markers
//! barter warns about) holds `SERIAL`.

mod common;

use barter_ffi::backtest::{build_args_constant, build_args_dynamic, run_many_observed, SummaryInterval};
use barter_ffi::cancel::Cancel;
use barter_ffi::engine::Fill;
use barter_ffi::error::BarterStatus;
use barter_ffi::ffi::log::{barter_log_drain, barter_log_level, barter_log_set_level, barter_testing_log};
use barter_ffi::ffi::progress::{barter_progress_done, barter_progress_free, barter_progress_new};
use barter_ffi::ffi::{
    barter_bytes_free, barter_error_free, barter_error_message, barter_testing_panic, BarterError,
};
use barter_ffi::market_data::{binary, load_file_cancellable, parse_cancellable, LoadOptions, MarketData};
use barter_ffi::progress::Progress;
use common::{market_data_path, system_config_path};
use serde_json::Value;
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn drain() -> Value {
    let (mut ptr, mut len, mut err) = (null_mut(), 0usize, null_mut());
    let status = unsafe { barter_log_drain(&mut ptr, &mut len, &mut err) };
    assert_eq!(status, BarterStatus::Ok);
    let value = serde_json::from_slice(unsafe { std::slice::from_raw_parts(ptr, len) }).unwrap();
    unsafe { barter_bytes_free(ptr, len) };
    value
}

fn records(drained: &Value) -> Vec<(u64, String, String)> {
    drained["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["level"].as_u64().unwrap(),
                r["target"].as_str().unwrap().to_owned(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn error_text(err: *mut BarterError) -> String {
    let text = unsafe { CStr::from_ptr(barter_error_message(err)) }.to_str().unwrap().to_owned();
    unsafe { barter_error_free(err) };
    text
}

fn example_args() -> barter_ffi::backtest::ArgsConstant {
    let config = barter_ffi::config::load_file(&system_config_path()).unwrap();
    let data = barter_ffi::market_data::load_file(&market_data_path(), false).unwrap();
    build_args_constant(&config, &data, SummaryInterval::Daily, &[]).unwrap()
}

#[test]
fn progress_counts_each_finished_backtest_at_any_thread_count() {
    let _guard = serial();
    let args = example_args();
    let dynamics: Vec<_> = (0..7)
        .map(|i| build_args_dynamic(&format!("v{i}"), "0.05", None, Fill::Next, true).unwrap())
        .collect();
    for threads in [1, 2, 3] {
        let progress = Progress::default();
        let multi = run_many_observed(&args, &dynamics, threads, &Cancel::never(), &progress).unwrap();
        assert_eq!((multi.num_backtests, progress.done()), (7, 7), "threads {threads}");
        // A counter keeps counting across calls.
        run_many_observed(&args, &dynamics[..2], threads, &Cancel::never(), &progress).unwrap();
        assert_eq!(progress.done(), 9);
    }
    // Failed backtests count as finished: a tripped token fails the first one and the
    // one-thread loop stops there.
    let (cancel, progress) = (Cancel::default(), Progress::default());
    cancel.trip();
    let error = run_many_observed(&args, &dynamics, 1, &cancel, &progress).unwrap_err();
    assert_eq!((error.status, progress.done()), (BarterStatus::Cancelled, 1));
    // Refused before running (duplicate ids): nothing counted.
    let twice = [dynamics[0].clone(), dynamics[0].clone()];
    let progress = Progress::default();
    assert!(run_many_observed(&args, &twice, 2, &Cancel::never(), &progress).is_err());
    assert_eq!(progress.done(), 0);
    drain();
}

#[test]
fn progress_handle_through_the_abi() {
    use barter_ffi::ffi::backtest::*;
    use barter_ffi::ffi::config::{barter_system_config_free, barter_system_config_from_json_file};
    use barter_ffi::ffi::market_data::{barter_market_data_free, barter_market_data_from_json_file};
    use barter_ffi::ffi::summary::barter_summaries_free;
    let _guard = serial();
    let (mut progress, mut err) = (null_mut(), null_mut());
    assert_eq!(unsafe { barter_progress_new(&mut progress, &mut err) }, BarterStatus::Ok);
    assert_eq!(unsafe { barter_progress_done(progress) }, 0);
    assert_eq!(unsafe { barter_progress_done(null()) }, 0);
    let (config_path, data_path) =
        (CString::new(system_config_path()).unwrap(), CString::new(market_data_path()).unwrap());
    let daily = CString::new("daily").unwrap();
    let (mut config, mut data, mut args) = (null_mut(), null_mut(), null_mut());
    unsafe {
        assert_eq!(
            barter_system_config_from_json_file(config_path.as_ptr(), &mut config, null_mut()),
            BarterStatus::Ok
        );
        assert_eq!(
            barter_market_data_from_json_file(data_path.as_ptr(), false, &mut data, null_mut()),
            BarterStatus::Ok
        );
        let status =
            barter_backtest_args_constant_new(config, data, daily.as_ptr(), null(), &mut args, null_mut());
        assert_eq!(status, BarterStatus::Ok);
    }
    let rfr = CString::new("0.05").unwrap();
    let dynamics: Vec<*mut BarterBacktestArgsDynamic> = (0..3)
        .map(|i| {
            let (id, mut out) = (CString::new(format!("p{i}")).unwrap(), null_mut());
            let status = unsafe {
                barter_backtest_args_dynamic_new(
                    id.as_ptr(),
                    rfr.as_ptr(),
                    null(),
                    BarterFill::Next,
                    true,
                    &mut out,
                    null_mut(),
                )
            };
            assert_eq!(status, BarterStatus::Ok);
            out
        })
        .collect();
    let handles: Vec<*const BarterBacktestArgsDynamic> = dynamics.iter().map(|d| *d as *const _).collect();
    for (round, progress_arg) in [(1, progress as *const _), (2, progress as *const _), (2, null())] {
        let mut out = null_mut();
        let status = unsafe {
            barter_backtest_run_many(args, handles.as_ptr(), 3, 2, null(), progress_arg, &mut out, null_mut())
        };
        assert_eq!(status, BarterStatus::Ok);
        unsafe { barter_summaries_free(out) };
        // Advanced by one per backtest; a NULL counter is accepted and nothing counts.
        assert_eq!(unsafe { barter_progress_done(progress) }, 3 * round);
    }
    unsafe {
        for dynamic in dynamics {
            barter_backtest_args_dynamic_free(dynamic);
        }
        barter_backtest_args_constant_free(args);
        barter_market_data_free(data);
        barter_system_config_free(config);
        barter_progress_free(progress);
        barter_progress_free(null_mut());
    }
    assert_eq!(unsafe { barter_progress_new(null_mut(), &mut err) }, BarterStatus::NullPointer);
    assert_eq!(error_text(err), "out is NULL");
    drain();
}

/// JSON Lines of `count` trades on instrument 0 (binance_spot), distinct ids and prices.
fn trades_jsonl(count: usize) -> String {
    let mut text = String::with_capacity(count * 240);
    for i in 0..count {
        let (s, ns) = (i / 1000, (i % 1000) * 1_000_000);
        text.push_str(&format!(
            "{{\"Item\":{{\"time_exchange\":\"2024-12-20T19:{:02}:{:02}.{ns:09}Z\",\"time_received\":\"2024-12-20T19:{:02}:{:02}.{ns:09}Z\",\
             \"exchange\":\"binance_spot\",\"instrument\":0,\"kind\":{{\"Trade\":{{\"id\":\"{i}\",\"price\":{}.5,\"amount\":0.25,\"side\":\"Buy\"}}}}}}}}\n",
            (s / 60) % 60, s % 60, (s / 60) % 60, s % 60, 100 + i % 977
        ));
    }
    text
}

fn same(a: &MarketData, b: &MarketData) {
    assert_eq!(a.records().len(), b.records().len());
    assert_eq!(serde_json::to_string(&*a.records()).unwrap(), serde_json::to_string(&*b.records()).unwrap());
}

/// Runs `load` with a token tripped `delay` after the start, returning the result and
/// how long after the trip it returned.
fn cancel_after<T: Send>(delay: Duration, load: impl FnOnce(&Cancel) -> T + Send) -> (T, Duration) {
    let cancel = Cancel::default();
    std::thread::scope(|scope| {
        let tripper = cancel.clone();
        let handle = scope.spawn(move || {
            std::thread::sleep(delay);
            tripper.trip();
            Instant::now()
        });
        let result = load(&cancel);
        let returned = Instant::now();
        let tripped = handle.join().unwrap();
        (result, returned.saturating_duration_since(tripped))
    })
}

#[test]
fn a_tripped_token_stops_every_loader_with_cancelled() {
    let dir = std::env::temp_dir().join(format!("barter_ffi_control_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = trades_jsonl(40_000); // ~10 MB
    let path = dir.join("trades.jsonl");
    std::fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap();
    let options = |threads| LoadOptions { skip_errors: false, threads };

    // The uncancelled loads, timed: the mid-load cancels below must come well before
    // these would have finished, or they would not test anything.
    let started = Instant::now();
    let reference = load_file_cancellable(path, options(1), &Cancel::never()).unwrap();
    let full = started.elapsed();
    assert_eq!(reference.item_count, 40_000);
    let delay = full / 10;
    assert!(delay >= Duration::from_millis(5), "the load took only {full:?}: make the file bigger");

    let tripped = Cancel::default();
    tripped.trip();
    for threads in [1, 3] {
        let error = load_file_cancellable(path, options(threads), &tripped).unwrap_err();
        assert_eq!((error.status, error.message.as_str()), (BarterStatus::Cancelled, "cancelled"));
        let error = parse_cancellable(text.as_bytes(), "x", options(threads), &tripped).unwrap_err();
        assert_eq!(error.status, BarterStatus::Cancelled);
        let (result, after) = cancel_after(delay, |c| load_file_cancellable(path, options(threads), c));
        assert_eq!(result.unwrap_err().status, BarterStatus::Cancelled, "threads {threads}");
        assert!(after < Duration::from_millis(250), "threads {threads}: returned {after:?} after the trip");
        let (result, after) =
            cancel_after(delay, |c| parse_cancellable(text.as_bytes(), "x", options(threads), c));
        assert_eq!(result.unwrap_err().status, BarterStatus::Cancelled, "threads {threads}");
        assert!(after < Duration::from_millis(250), "threads {threads}: returned {after:?} after the trip");
    }

    // A JSON array of trades (the fast path) and compressed JSON Lines.
    let array = format!(
        "[{}]",
        text.lines()
            .map(|l| l.replacen("{\"Item\":", "{\"Item\":{\"Ok\":", 1) + "}")
            .collect::<Vec<_>>()
            .join(",")
    );
    let from_array = parse_cancellable(array.as_bytes(), "a", options(1), &Cancel::never()).unwrap();
    same(&from_array, &reference);
    assert_eq!(
        parse_cancellable(array.as_bytes(), "a", options(1), &tripped).unwrap_err().status,
        BarterStatus::Cancelled
    );
    let (result, _) = cancel_after(delay, |c| parse_cancellable(array.as_bytes(), "a", options(1), c));
    assert_eq!(result.unwrap_err().status, BarterStatus::Cancelled);
    let zst = dir.join("trades.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 1).unwrap()).unwrap();
    let zst = zst.to_str().unwrap();
    let (result, after) = cancel_after(delay, |c| load_file_cancellable(zst, options(2), c));
    assert_eq!(result.unwrap_err().status, BarterStatus::Cancelled);
    assert!(after < Duration::from_millis(250), "zstd: returned {after:?} after the trip");

    // The binary form.
    let bytes = binary::encode(&reference).unwrap();
    let bin = dir.join("trades.bin");
    binary::save(&reference, bin.to_str().unwrap()).unwrap();
    let bin = bin.to_str().unwrap();
    for threads in [1, 2] {
        assert_eq!(
            binary::decode_cancellable(&bytes, "b", threads, &tripped).unwrap_err().status,
            BarterStatus::Cancelled
        );
        assert_eq!(
            binary::load_cancellable(bin, threads, &tripped).unwrap_err().status,
            BarterStatus::Cancelled
        );
        same(&binary::decode_cancellable(&bytes, "b", threads, &Cancel::never()).unwrap(), &reference);
        same(&binary::load_cancellable(bin, threads, &Cancel::never()).unwrap(), &reference);
    }

    // Nothing is left in a bad state: the same loads still work.
    same(&load_file_cancellable(path, options(2), &Cancel::default()).unwrap(), &reference);
    same(&load_file_cancellable(zst, options(2), &Cancel::default()).unwrap(), &reference);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tracing_events_reach_the_queue_filtered_by_level() {
    let _guard = serial();
    let emit = |level: u32, text: &str| {
        let message = CString::new(text).unwrap();
        let mut err = null_mut();
        let status = unsafe { barter_testing_log(level, message.as_ptr(), &mut err) };
        (status, if err.is_null() { String::new() } else { error_text(err) })
    };
    barter_log_set_level(2);
    drain();
    assert_eq!(barter_log_level(), 2);
    for level in 1..=5 {
        assert_eq!(emit(level, &format!("at {level}")).0, BarterStatus::Ok);
    }
    let at_warn = drain();
    let want = |levels: &[u64]| -> Vec<(u64, String, String)> {
        levels
            .iter()
            .map(|&l| (l, "barter_ffi::testing".to_owned(), format!("at {l} source=barter_testing_log")))
            .collect()
    };
    assert_eq!(records(&at_warn), want(&[1, 2]));
    assert_eq!(at_warn["dropped"], 0);
    barter_log_set_level(5);
    for level in 1..=5 {
        emit(level, &format!("at {level}"));
    }
    assert_eq!(records(&drain()), want(&[1, 2, 3, 4, 5]));
    barter_log_set_level(0);
    emit(1, "at 1");
    assert_eq!(records(&drain()), want(&[]));
    barter_log_set_level(99);
    assert_eq!(barter_log_level(), 5);
    assert_eq!(
        emit(0, "x"),
        (BarterStatus::InvalidInput, "level: must be 1 (error) to 5 (trace), got 0".to_owned())
    );
    assert_eq!(emit(6, "x").0, BarterStatus::InvalidInput);

    // Bounded: the oldest are dropped and counted, once.
    barter_log_set_level(2);
    let cap = barter_ffi::log::BARTER_LOG_CAPACITY;
    for i in 0..cap + 7 {
        emit(2, &format!("n{i}"));
    }
    let full = drain();
    let got = records(&full);
    assert_eq!((full["dropped"].as_u64().unwrap(), got.len()), (7, cap));
    assert_eq!(got[0].2, "n7 source=barter_testing_log");
    assert_eq!(got[cap - 1].2, format!("n{} source=barter_testing_log", cap + 6));
    assert_eq!(drain()["dropped"], 0);
}

#[test]
fn barter_warnings_during_a_backtest_are_recorded() {
    let _guard = serial();
    barter_log_set_level(2);
    drain();
    let args = example_args();
    let dynamic = build_args_dynamic("w", "0.05", None, Fill::Next, true).unwrap();
    run_many_observed(&args, &[dynamic], 1, &Cancel::never(), &Progress::default()).unwrap();
    // The example data has 3 `Reconnecting` markers; barter's engine state warns on each.
    let warned: Vec<_> = records(&drain())
        .into_iter()
        .filter(|(level, target, _)| *level == 2 && target.starts_with("barter::"))
        .collect();
    assert_eq!(warned.len(), 3, "{warned:?}");
    for (_, target, message) in &warned {
        assert_eq!(target, "barter::engine::state::connectivity");
        assert_eq!(message, "EngineState received MarketStream disconnect event exchange=BinanceSpot");
    }
}

#[test]
fn a_caught_panic_is_logged_with_its_location_not_printed() {
    let _guard = serial();
    barter_log_set_level(2);
    drain();
    let text = CString::new("deliberate: ünïcode").unwrap();
    let mut err = null_mut();
    assert_eq!(unsafe { barter_testing_panic(text.as_ptr(), &mut err) }, BarterStatus::Panic);
    // The message, then the backtrace when RUST_BACKTRACE enables one.
    let reported = error_text(err);
    assert_eq!(reported.split("\nbacktrace:\n").next(), Some("deliberate: ünïcode"));
    let logged = records(&drain());
    assert_eq!(logged.len(), 1, "{logged:?}");
    let (level, target, message) = &logged[0];
    assert_eq!((*level, target.as_str()), (1, "barter_ffi::panic"));
    assert!(message.starts_with("panic at src/ffi/mod.rs:"), "{message}");
    assert!(message.ends_with(": deliberate: ünïcode"), "{message}");
    // Level off: nothing recorded, still reported.
    barter_log_set_level(0);
    assert_eq!(unsafe { barter_testing_panic(text.as_ptr(), null_mut()) }, BarterStatus::Panic);
    assert_eq!(records(&drain()), vec![]);
    barter_log_set_level(2);
}
