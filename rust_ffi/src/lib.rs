//! `barter_ffi`: a C ABI over the backtester of barter (barter-rs), for the `barter_cy`
//! Cython package and any other C caller.
//!
//! Layout: `market_data`, `config`, `backtest`, `summary`, `engine` (the deterministic
//! driver around barter's `Engine`) and `strategy` (built-in strategies) are plain Rust
//! (what the tests and benches call directly); every `extern "C"` function lives in
//! `ffi` (one file per area), which holds no domain logic.
//!
//! Conventions: every fallible function returns a [`error::BarterStatus`] and writes its
//! results through out-parameters, the last one an optional `BarterError**`; panics are
//! caught at the boundary; handles are opaque, immutable, thread-safe and freed once by
//! their own `*_free`, which accepts NULL. Decimals cross as strings, times as i64
//! nanoseconds since the Unix epoch (UTC). Nothing here links or calls Python.

pub mod backtest;
pub mod cancel;
pub mod config;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod log;
pub mod market_data;
pub mod progress;
pub mod strategy;
pub mod summary;
