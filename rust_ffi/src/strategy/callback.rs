//! A strategy implemented outside Rust: a C function pointer and a `void *` context,
//! called once before the first record (`Start`), after the engine processed each market
//! item (`Event`), after the last record (`Finish`) and always once at the end (`End`,
//! also when the run failed or was stopped, so the caller can free what it made).
//!
//! This is the one domain file that holds foreign pointers: [`Callback`] keeps the
//! function and the context, [`CallbackRun`] the per-run context the callback returns at
//! `Start`; both call the function through [`Callback::call`] only. The caller promises
//! (see `barter_strategy_callback`) that the function may be called from any thread and
//! that the context lives as long as the strategy handle and every run using it.

use rust_decimal::Decimal;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;

/// When a strategy callback is called.
#[repr(C)]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum BarterStrategyPhase {
    /// Before the first record; the callback may set `run` to a per-run context.
    Start = 0,
    /// After the engine processed market item `item` (record `record`).
    Event = 1,
    /// After the last record, before open positions are closed.
    Finish = 2,
    /// Always last, once `Start` was called, whatever happened: release `run`.
    End = 3,
}

/// What a strategy callback sees, valid during the call only. The callback writes an
/// order by setting `has_target` and `target` (the position it wants in the event's
/// instrument, base units, >= 0; long only); orders are taken in the `Event` phase only.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterStrategyEvent {
    pub phase: BarterStrategyPhase,
    /// The per-run context: set it in `Start`; passed back in every later phase.
    pub run: *mut c_void,
    /// Index of the record (reconnect markers included) and of the item (excluded).
    pub record: usize,
    pub item: usize,
    /// Instrument index of the event (the config's indexed order).
    pub instrument: usize,
    /// Event time, nanoseconds since the epoch (UTC).
    pub time_ns: i64,
    /// The instrument's last price (NaN when it has none yet).
    pub price: f64,
    /// The instrument's position in base units (positive long, 0 flat).
    pub position: f64,
    /// Free quote balance of the instrument's quote asset on its exchange.
    pub quote_free: f64,
    /// Free balance of the instrument's base asset.
    pub base_free: f64,
    /// Whether an order of this instrument is still waiting for its fill (`fill="next"`):
    /// an order written now is then ignored.
    pub order_in_flight: bool,
    /// Out: set to true to order towards `target`.
    pub has_target: bool,
    /// Out: the wanted position (base units, finite, >= 0).
    pub target: f64,
}

/// The strategy callback: returns 0 to go on, anything else to stop the backtest, which
/// then fails with `BARTER_STATUS_CALLBACK`. NULL is refused.
pub type BarterStrategyCallback =
    Option<unsafe extern "C" fn(user: *mut c_void, event: *mut BarterStrategyEvent) -> i32>;

/// The non-NULL callback as stored.
type CallbackFn = unsafe extern "C" fn(user: *mut c_void, event: *mut BarterStrategyEvent) -> i32;

/// A foreign strategy: the function, its context, and how the summary names it.
#[derive(Debug, Clone)]
pub struct Callback {
    function: CallbackFn,
    user: *mut c_void,
    pub name: String,
    /// A JSON object, reported as the strategy's params.
    pub params: Value,
}

// SAFETY: the caller of `barter_strategy_callback` promises the function may be called
// from any thread with this context and that the context outlives every run.
unsafe impl Send for Callback {}
unsafe impl Sync for Callback {}

impl PartialEq for Callback {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.function, other.function)
            && self.user == other.user
            && self.name == other.name
            && self.params == other.params
    }
}

impl Eq for Callback {}

impl Callback {
    /// # Safety
    /// `function` may be called from any thread with `user` until the last run using
    /// this strategy has ended.
    pub unsafe fn new(function: CallbackFn, user: *mut c_void, name: String, params: Value) -> Self {
        Self { function, user, name, params }
    }

    fn call(&self, event: &mut BarterStrategyEvent) -> i32 {
        // SAFETY: promised by the creator (see `Callback::new`); `event` is a valid,
        // exclusive pointer for the duration of the call.
        unsafe { (self.function)(self.user, event) }
    }
}

/// What the engine knows about an event when it asks the callback.
#[derive(Debug, Copy, Clone, Default)]
pub struct EventFacts {
    pub record: usize,
    pub item: usize,
    pub instrument: usize,
    pub time_ns: i64,
    pub price: Option<f64>,
    pub position: f64,
    pub quote_free: f64,
    pub base_free: f64,
    pub order_in_flight: bool,
}

/// One run of a callback strategy: the per-run context, whether the callback asked to
/// stop, and `End` called exactly once when it is dropped.
#[derive(Debug)]
pub struct CallbackRun {
    callback: Callback,
    run: Cell<*mut c_void>,
    started: Cell<bool>,
    stopped: Cell<bool>,
    failure: RefCell<Option<String>>,
}

impl CallbackRun {
    pub fn new(callback: Callback) -> Self {
        Self {
            callback,
            run: Cell::new(std::ptr::null_mut()),
            started: Cell::new(false),
            stopped: Cell::new(false),
            failure: RefCell::new(None),
        }
    }

    pub fn stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Why the run stopped: the callback's own request, or a target it wrote that
    /// cannot be traded.
    pub fn failure(&self) -> String {
        self.failure.borrow().clone().unwrap_or_else(|| {
            format!("strategy {:?}: the callback stopped the backtest", self.callback.name)
        })
    }

    fn call(&self, phase: BarterStrategyPhase, facts: EventFacts) -> Option<f64> {
        if self.stopped.get() {
            return None;
        }
        let mut event = BarterStrategyEvent {
            phase,
            run: self.run.get(),
            record: facts.record,
            item: facts.item,
            instrument: facts.instrument,
            time_ns: facts.time_ns,
            price: facts.price.unwrap_or(f64::NAN),
            position: facts.position,
            quote_free: facts.quote_free,
            base_free: facts.base_free,
            order_in_flight: facts.order_in_flight,
            has_target: false,
            target: 0.0,
        };
        let status = self.callback.call(&mut event);
        if phase == BarterStrategyPhase::Start {
            self.run.set(event.run);
        }
        if status != 0 {
            self.stopped.set(true);
            return None;
        }
        event.has_target.then_some(event.target)
    }

    pub fn start(&self, time_ns: i64) {
        self.started.set(true);
        self.call(BarterStrategyPhase::Start, EventFacts { time_ns, ..EventFacts::default() });
    }

    /// The target the callback asks for after an event, if any. A target that is not a
    /// finite, non-negative decimal stops the run with a message naming the item.
    pub fn event(&self, facts: EventFacts) -> Option<Decimal> {
        let target = self.call(BarterStrategyPhase::Event, facts)?;
        let decimal = target_decimal(target);
        if decimal.is_none() {
            self.stopped.set(true);
            *self.failure.borrow_mut() = Some(format!(
                "strategy {:?}: item {}: target {target} is not a position (finite, >= 0, long only)",
                self.callback.name, facts.item
            ));
        }
        decimal
    }

    pub fn finish(&self, facts: EventFacts) {
        self.call(BarterStrategyPhase::Finish, facts);
    }
}

impl Drop for CallbackRun {
    fn drop(&mut self) {
        if self.started.get() {
            let mut event = BarterStrategyEvent {
                phase: BarterStrategyPhase::End,
                run: self.run.get(),
                record: 0,
                item: 0,
                instrument: 0,
                time_ns: 0,
                price: f64::NAN,
                position: 0.0,
                quote_free: 0.0,
                base_free: 0.0,
                order_in_flight: false,
                has_target: false,
                target: 0.0,
            };
            let _ = self.callback.call(&mut event);
        }
    }
}

/// A callback's target as a decimal (`None`: not finite, negative, or not representable).
pub fn target_decimal(target: f64) -> Option<Decimal> {
    if !target.is_finite() || target < 0.0 {
        return None;
    }
    crate::engine::price::decimal_from_f64(target).map(|d| d.abs())
}
