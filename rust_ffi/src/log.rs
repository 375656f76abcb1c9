//! Diagnostics without stderr: barter's `tracing` events and our own panics become log
//! records in a bounded in-memory queue, which the caller drains (Python emits them
//! through `logging`, logger `"barter"`). Nothing here calls back into the caller, from
//! any thread: records wait in the queue until the next drain.
//!
//! - The subscriber is a process-wide `tracing` default, installed once by [`install`]
//!   (the first exported call does it). It records events at or above the level set
//!   with [`set_level`] (WARN by default); below it, barter's `debug!`/`trace!` call sites
//!   stay disabled through tracing's interest cache and cost one comparison.
//! - The queue keeps at most [`BARTER_LOG_CAPACITY`] records; beyond that the oldest is
//!   dropped and counted, and the count is handed out with the next drain.
//! - The panic hook replaces the default one (which prints to stderr): a panic inside
//!   [`catch_quietly`] (every exported call, every backtest and parser thread) is
//!   recorded as an ERROR record (target `barter_ffi::panic`, message and location) and
//!   prints nothing; the panic is then reported through the call's status and error
//!   message. A panic outside it (a Rust program's own, a failing Rust test) is recorded
//!   and also handed to the previous hook, which prints it as usual. When backtraces are
//!   enabled (`RUST_BACKTRACE` / `RUST_LIB_BACKTRACE`, as std decides), a caught panic's
//!   backtrace is kept for its error message ([`caught_panic_message`]: the message, then
//!   `"\nbacktrace:\n"` and the backtrace); the log record stays one line.

use crate::error::panic_message;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, Once};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// Log records kept before the oldest are dropped.
pub const BARTER_LOG_CAPACITY: usize = 10_000;

/// Levels as numbers (what crosses the C ABI): 0 off, 1 error ... 5 trace.
const LEVEL_OFF: u8 = 0;
const LEVEL_ERROR: u8 = 1;
const LEVEL_WARN: u8 = 2;
const LEVEL_INFO: u8 = 3;
const LEVEL_DEBUG: u8 = 4;
const LEVEL_TRACE: u8 = 5;

/// One log record: level (1 error ... 5 trace), the `tracing` target (module path), and
/// the message followed by the event's other fields as ` key=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    pub level: u8,
    pub target: String,
    pub message: String,
}

/// What a drain hands out: the records in order, and how many were dropped (queue
/// full) since the previous drain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drained {
    pub dropped: u64,
    pub records: Vec<LogRecord>,
}

struct Queue {
    records: VecDeque<LogRecord>,
    dropped: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue { records: VecDeque::new(), dropped: 0 });
static LEVEL: AtomicU8 = AtomicU8::new(LEVEL_WARN);
static INSTALL: Once = Once::new();

thread_local! {
    /// How many [`catch_quietly`] calls are running on this thread.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// The backtrace of the last panic caught on this thread, when backtraces are enabled.
    static BACKTRACE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How many [`catch_decimal_overflow`] calls are running on this thread.
    static ARITHMETIC: Cell<u32> = const { Cell::new(0) };
    /// Set by the panic hook when the panic being caught is a ratio overflow (see
    /// [`is_ratio_overflow`]), read by [`catch_decimal_overflow`].
    static RATIO_OVERFLOW: Cell<bool> = const { Cell::new(false) };
}

/// barter's Sharpe, Sortino and Calmar ratios divide with `checked_div(..).unwrap()`:
/// a quotient beyond rust_decimal's range panics there with unwrap's message. (Those
/// `unwrap`s are the only ones in barter's `statistic::metric` outside its tests.)
const RATIO_FILES: [&str; 3] =
    ["statistic/metric/sharpe.rs", "statistic/metric/sortino.rs", "statistic/metric/calmar.rs"];

/// Whether a panic is one of barter's ratio divisions overflowing (message and place).
fn is_ratio_overflow(message: &str, file: &str) -> bool {
    message == "called `Option::unwrap()` on a `None` value"
        && RATIO_FILES.iter().any(|end| file.replace('\\', "/").ends_with(end))
}

/// rust_decimal's panic messages for an operation whose result it cannot hold.
const DECIMAL_OVERFLOW: [&str; 6] = [
    "Addition overflowed",
    "Subtraction overflowed",
    "Multiplication overflowed",
    "Division overflowed",
    "Division by zero",
    "Remainder overflowed",
];

/// Whether a panic message is one of rust_decimal's overflow panics.
pub fn is_decimal_overflow(message: &str) -> bool {
    DECIMAL_OVERFLOW.contains(&message)
}

/// Runs `body`, turning one of rust_decimal's overflow panics inside it (barter's
/// statistics use its panicking operators) into `Err(message)`; such a panic is expected
/// and is neither logged nor printed. Any other panic continues unwinding.
pub fn catch_decimal_overflow<R>(body: impl FnOnce() -> R) -> Result<R, String> {
    ARITHMETIC.with(|depth| depth.set(depth.get() + 1));
    let result = catch_quietly(body);
    ARITHMETIC.with(|depth| depth.set(depth.get() - 1));
    match result {
        Ok(value) => Ok(value),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            if RATIO_OVERFLOW.with(|flag| flag.replace(false)) {
                Err("a risk-adjusted ratio (Sharpe, Sortino or Calmar) is beyond rust_decimal's range"
                    .to_owned())
            } else if is_decimal_overflow(&message) {
                Err(message)
            } else {
                std::panic::resume_unwind(payload)
            }
        }
    }
}

/// The message of a panic caught by [`catch_quietly`] on this thread: its payload's text,
/// followed by its backtrace when backtraces are enabled.
pub fn caught_panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let message = panic_message(payload);
    match BACKTRACE.with(|slot| slot.borrow_mut().take()) {
        Some(backtrace) => format!("{message}\nbacktrace:\n{backtrace}"),
        None => message,
    }
}

/// `catch_unwind` for panics that are reported to the caller: the panic hook records
/// them in the log queue and prints nothing.
pub fn catch_quietly<R>(body: impl FnOnce() -> R) -> std::thread::Result<R> {
    CATCHING.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(body));
    CATCHING.with(|depth| depth.set(depth.get() - 1));
    result
}

fn level_number(level: &Level) -> u8 {
    match *level {
        Level::ERROR => LEVEL_ERROR,
        Level::WARN => LEVEL_WARN,
        Level::INFO => LEVEL_INFO,
        Level::DEBUG => LEVEL_DEBUG,
        Level::TRACE => LEVEL_TRACE,
    }
}

fn filter_of(level: u8) -> LevelFilter {
    match level {
        LEVEL_OFF => LevelFilter::OFF,
        LEVEL_ERROR => LevelFilter::ERROR,
        LEVEL_WARN => LevelFilter::WARN,
        LEVEL_INFO => LevelFilter::INFO,
        LEVEL_DEBUG => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Appends a record, dropping (and counting) the oldest beyond the capacity. Never
/// blocks on a poisoned or contended lock from a panic hook: `try_lock` there.
fn push(record: LogRecord, blocking: bool) {
    let guard =
        if blocking { Some(QUEUE.lock().unwrap_or_else(|p| p.into_inner())) } else { QUEUE.try_lock().ok() };
    let Some(mut queue) = guard else { return };
    if queue.records.len() >= BARTER_LOG_CAPACITY {
        queue.records.pop_front();
        queue.dropped += 1;
    }
    queue.records.push_back(record);
}

/// Takes every queued record and the count of dropped ones.
pub fn drain() -> Drained {
    let mut queue = QUEUE.lock().unwrap_or_else(|p| p.into_inner());
    let records = queue.records.drain(..).collect();
    let dropped = std::mem::take(&mut queue.dropped);
    Drained { dropped, records }
}

/// The current level (0 off ... 5 trace).
pub fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// Records events at `level` and above (0 off ... 5 trace; larger values mean trace).
pub fn set_level(level: u8) {
    let level = level.min(LEVEL_TRACE);
    if LEVEL.swap(level, Ordering::Relaxed) != level {
        // Call sites cached their interest under the old level: ask them again.
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Installs the subscriber (process-wide default) and the panic hook, once. Cheap after
/// the first call. If another `tracing` default is already set in this process (a Rust
/// program linking the library), that one is kept.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Bridge);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = panic_message(info.payload());
            if ARITHMETIC.with(|depth| depth.get()) > 0 {
                if is_decimal_overflow(&message) {
                    return; // reported as an error by catch_decimal_overflow
                }
                if info.location().is_some_and(|at| is_ratio_overflow(&message, at.file())) {
                    RATIO_OVERFLOW.with(|flag| flag.set(true));
                    return; // likewise
                }
            }
            let text = match info.location() {
                Some(at) => format!("panic at {}:{}:{}: {message}", at.file(), at.line(), at.column()),
                None => format!("panic: {message}"),
            };
            if CATCHING.with(|depth| depth.get()) > 0 {
                let backtrace = std::backtrace::Backtrace::capture();
                if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                    BACKTRACE.with(|slot| *slot.borrow_mut() = Some(backtrace.to_string()));
                }
            }
            if LEVEL.load(Ordering::Relaxed) >= LEVEL_ERROR {
                let record =
                    LogRecord { level: LEVEL_ERROR, target: "barter_ffi::panic".to_owned(), message: text };
                push(record, false);
            }
            if CATCHING.with(|depth| depth.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// The `tracing` subscriber: events to the queue, spans ignored (ids are dummies).
struct Bridge;

impl Subscriber for Bridge {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= filter_of(LEVEL.load(Ordering::Relaxed))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(filter_of(LEVEL.load(Ordering::Relaxed)))
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut text = Text::default();
        event.record(&mut text);
        let mut message = text.message;
        if !text.fields.is_empty() {
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(&text.fields);
        }
        let record = LogRecord {
            level: level_number(metadata.level()),
            target: metadata.target().to_owned(),
            message,
        };
        push(record, true);
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

/// An event's `message` field and its other fields as `key=value` pairs.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.pair(field, format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.pair(field, format_args!("{value:?}"));
        }
    }
}

impl Text {
    fn pair(&mut self, field: &Field, value: std::fmt::Arguments<'_>) {
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={}", field.name(), value);
    }
}
