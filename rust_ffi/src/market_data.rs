//! Market data: barter's JSON market data parsed into the events barter's
//! `MarketDataInMemory<DataKind>` replays, behind an immutable, shareable handle.
//!
//! - [`json`]: the two JSON shapes (serde types, error messages) and the parallel JSON
//!   Lines pipeline, with [`fast`] as its per-line fast path for trades and reconnects.
//! - [`source`]: opening files (regular files only, size check), gzip / zstd detection
//!   by magic bytes, streaming decompression.
//! - [`binary`]: the versioned, checksummed binary form (`save` / `load`, pickling).

use crate::cancel::Cancel;
use crate::error::{FfiError, FfiResult};
use barter::backtest::market_data::MarketDataInMemory;
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::trade::PublicTrade;
use barter_data::{
    event::{DataKind, MarketEvent},
    streams::consumer::MarketStreamEvent,
};
use barter_instrument::instrument::InstrumentIndex;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub mod binary;
pub mod columns;
#[doc(hidden)]
pub mod fast;
pub mod json;
pub mod source;
pub mod store;

pub use store::{RecordRef, Replay, Store, TradeRef, TradeStore};

/// One market data record as the engine sees it: an item or a reconnect marker.
pub type Record = MarketStreamEvent<InstrumentIndex, DataKind>;

/// Parsed market data. Immutable after creation; clones share the records. Read the
/// records through [`MarketData::get`], [`MarketData::iter`] (both stores) or
/// [`MarketData::store`].
#[derive(Debug, Clone)]
pub struct MarketData {
    store: Arc<Store>,
    pub time_first_event_ns: i64,
    pub item_count: usize,
    pub reconnect_count: usize,
    pub skipped_error_count: usize,
    /// Highest `instrument` index among the items.
    pub max_instrument: usize,
}

/// How to load JSON market data.
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Drop `{"Item":{"Err":...}}` records (array shape) and count them instead of failing.
    pub skip_errors: bool,
    /// Parser threads for JSON Lines; 0 means one per available core.
    pub threads: usize,
}

impl LoadOptions {
    pub fn new(skip_errors: bool) -> Self {
        Self { skip_errors, threads: 0 }
    }

    /// The number of parser threads to use (at least 1).
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n,
        }
    }
}

/// Nanoseconds since the epoch. Market data times are checked to fit when loaded
/// ([`checked_ns`]), so for them this never clamps; engine times derive from them.
pub fn to_ns(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(if time.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

/// Nanoseconds since the epoch, or `None` outside what i64 nanoseconds hold
/// (1677-09-21T00:12:43.145224192Z ..= 2262-04-11T23:47:16.854775807Z).
pub fn checked_ns(time: DateTime<Utc>) -> Option<i64> {
    time.timestamp_nanos_opt()
}

/// The first time of an event (in field order) that i64 nanoseconds cannot hold, named.
pub fn out_of_range_time(event: &MarketEvent<InstrumentIndex, DataKind>) -> Option<String> {
    let mut times: [(&str, Option<DateTime<Utc>>); 3] = [
        ("time_exchange", Some(event.time_exchange)),
        ("time_received", Some(event.time_received)),
        ("", None),
    ];
    times[2] = match &event.kind {
        DataKind::Trade(_) => ("", None),
        DataKind::OrderBookL1(l1) => ("OrderBookL1.last_update_time", Some(l1.last_update_time)),
        DataKind::OrderBook(book) => {
            let book = match book {
                barter_data::subscription::book::OrderBookEvent::Snapshot(b)
                | barter_data::subscription::book::OrderBookEvent::Update(b) => b,
            };
            ("OrderBook.time_engine", book.time_engine())
        }
        DataKind::Candle(candle) => ("Candle.close_time", Some(candle.close_time)),
        DataKind::Liquidation(liquidation) => ("Liquidation.time", Some(liquidation.time)),
    };
    times.iter().find_map(|(name, time)| {
        let time = (*time)?;
        checked_ns(time).is_none().then(|| {
            format!(
                "{name} {} is outside the range of i64 nanoseconds since the epoch \
                 (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)",
                time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            )
        })
    })
}

/// Builds `DateTime<Utc>`s from nanoseconds, reusing the calendar date of the previous
/// call when the day is the same (market data comes in time order, so nearly always).
/// Gives exactly what `DateTime::from_timestamp_nanos` gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayCache {
    day: i64,
    date: chrono::NaiveDate,
}

impl Default for DayCache {
    fn default() -> Self {
        Self { day: 0, date: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch") }
    }
}

impl DayCache {
    #[inline]
    pub fn time(&mut self, ns: i64) -> DateTime<Utc> {
        let seconds = ns.div_euclid(1_000_000_000);
        let nanos = ns.rem_euclid(1_000_000_000) as u32;
        let day = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400) as u32;
        if day != self.day {
            // Days since 0001-01-01 (CE) of the day `day` after 1970-01-01.
            match i32::try_from(day + 719_163).ok().and_then(chrono::NaiveDate::from_num_days_from_ce_opt) {
                Some(date) => {
                    self.date = date;
                    self.day = day;
                }
                None => return DateTime::from_timestamp_nanos(ns),
            }
        }
        match chrono::NaiveTime::from_num_seconds_from_midnight_opt(second_of_day, nanos) {
            Some(time) => chrono::NaiveDateTime::new(self.date, time).and_utc(),
            None => DateTime::from_timestamp_nanos(ns),
        }
    }
}

/// Hints the kernel to back `len` bytes at `ptr` (a large allocation about to be
/// filled) with transparent huge pages: far fewer page faults for the records of a big
/// load. Only a hint; the memory's contents and ownership are unchanged.
pub(crate) fn advise_huge_pages<T>(data: *const T, count: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let len = count.saturating_mul(std::mem::size_of::<T>());
        if len < 4 * HUGE {
            return;
        }
        let start = (data as usize).div_ceil(HUGE) * HUGE;
        let end = (data as usize + len) / HUGE * HUGE;
        if end > start {
            // SAFETY: madvise only advises on pages of this allocation (rounded inwards);
            // MADV_HUGEPAGE does not change their contents. Failure is ignored.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (data, count);
}

/// Accumulates records in file order, with their counts: trades (and reconnect markers)
/// as columns until the first record of another kind, barter's records from then on.
#[derive(Debug)]
pub(crate) struct Builder {
    parts: Parts,
    pub first_ns: Option<i64>,
    pub items: usize,
    pub reconnects: usize,
    pub skipped: usize,
    pub max_instrument: usize,
}

// One per builder: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Parts {
    Trades(TradeStore),
    Records(Vec<Record>),
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            parts: Parts::Trades(TradeStore::default()),
            first_ns: None,
            items: 0,
            reconnects: 0,
            skipped: 0,
            max_instrument: 0,
        }
    }
}

impl Builder {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut builder = Self::default();
        builder.reserve(capacity);
        builder
    }

    /// Records so far (reconnect markers included).
    pub fn len(&self) -> usize {
        match &self.parts {
            Parts::Trades(trades) => trades.len(),
            Parts::Records(records) => records.len(),
        }
    }

    /// Room for `additional` more records (huge pages for big arrays of records).
    pub fn reserve(&mut self, additional: usize) {
        match &mut self.parts {
            Parts::Trades(trades) => trades.reserve(additional),
            Parts::Records(records) => {
                if records.try_reserve_exact(additional).is_ok() {
                    advise_huge_pages(records.as_ptr(), records.capacity());
                }
            }
        }
    }

    /// Switches to barter's records (a record that is not a trade arrived).
    fn records(&mut self) -> &mut Vec<Record> {
        if let Parts::Trades(trades) = &self.parts {
            let mut records =
                Vec::with_capacity(trades.time_exchange_ns.capacity() + trades.reconnects.len());
            advise_huge_pages(records.as_ptr(), records.capacity());
            records.extend(trades.iter_from(0).map(|record| record.to_record()));
            self.parts = Parts::Records(records);
        }
        match &mut self.parts {
            Parts::Records(records) => records,
            Parts::Trades(_) => unreachable!("switched to records"),
        }
    }

    /// Adds an item whose times were checked to fit i64 nanoseconds.
    #[inline]
    pub fn item(&mut self, event: MarketEvent<InstrumentIndex, DataKind>) {
        let time_exchange_ns = to_ns(event.time_exchange);
        if self.first_ns.is_none() {
            self.first_ns = Some(time_exchange_ns);
        }
        self.max_instrument = self.max_instrument.max(event.instrument.index());
        self.items += 1;
        if let (Parts::Trades(trades), DataKind::Trade(trade)) = (&mut self.parts, &event.kind) {
            let pushed = trades.push_trade(&TradeRef {
                time_exchange_ns,
                time_received_ns: to_ns(event.time_received),
                exchange: event.exchange,
                instrument: event.instrument.index(),
                price: trade.price,
                amount: trade.amount,
                side: trade.side,
                id: &trade.id,
            });
            if pushed {
                return;
            }
        }
        self.records().push(ReconnectEvent::Item(event));
    }

    /// Adds a trade of the columns' form (times checked to fit i64 nanoseconds).
    #[inline]
    pub fn trade(&mut self, trade: &TradeRef<'_>) {
        if let Parts::Trades(trades) = &mut self.parts {
            if trades.push_trade(trade) {
                if self.first_ns.is_none() {
                    self.first_ns = Some(trade.time_exchange_ns);
                }
                self.max_instrument = self.max_instrument.max(trade.instrument);
                self.items += 1;
                return;
            }
        }
        self.item(trade.to_event());
    }

    #[inline]
    pub fn reconnect(&mut self, exchange: barter_instrument::exchange::ExchangeId) {
        self.reconnects += 1;
        match &mut self.parts {
            Parts::Trades(trades) => trades.push_reconnect(exchange),
            Parts::Records(records) => records.push(ReconnectEvent::Reconnecting(exchange)),
        }
    }

    /// Appends `other` (the records that follow in file order), emptying it.
    pub fn append(&mut self, other: &mut Builder) {
        if self.first_ns.is_none() {
            self.first_ns = other.first_ns;
        }
        self.items += other.items;
        self.reconnects += other.reconnects;
        self.skipped += other.skipped;
        self.max_instrument = self.max_instrument.max(other.max_instrument);
        let appended = match (&mut self.parts, &other.parts) {
            (Parts::Trades(trades), Parts::Trades(more)) => trades.append(more),
            _ => false,
        };
        if !appended {
            let more = std::mem::take(other.records());
            let records = self.records();
            let needed = records.len() + more.len();
            if needed > records.capacity() {
                // Grow by doubling, and back big record arrays with huge pages.
                records.reserve(needed.max(records.capacity() * 2) - records.len());
                advise_huge_pages(records.as_ptr(), records.capacity());
            }
            records.extend(more);
        }
        *other = Builder::default();
    }

    pub fn finish(self, source: &str) -> FfiResult<MarketData> {
        let len = self.len();
        if len == 0 && self.skipped > 0 {
            return Err(FfiError::invalid(format!(
                "{source}: no market events: all {} records were error items (skipped)",
                self.skipped
            )));
        }
        if len == 0 {
            return Err(FfiError::invalid(format!("{source}: no market data records (input is empty)")));
        }
        let Some(first) = self.first_ns else {
            return Err(FfiError::invalid(format!(
                "{source}: no market events: {len} records, none of them an item"
            )));
        };
        // No shrink_to_fit: the spare capacity (sized from an estimate) was never touched,
        // so it takes no memory, while shrinking may copy the whole array.
        let store = match self.parts {
            Parts::Trades(trades) => Store::Trades(trades),
            Parts::Records(records) => Store::Records(records),
        };
        Ok(MarketData {
            store: Arc::new(store),
            time_first_event_ns: first,
            item_count: self.items,
            reconnect_count: self.reconnects,
            skipped_error_count: self.skipped,
            max_instrument: self.max_instrument,
        })
    }
}

/// Parses either shape barter uses: a JSON array of `{"Item":{"Ok":..}}` /
/// `{"Reconnecting":..}` results, or JSON Lines of `{"Item":{..}}` / `{"Reconnecting":..}`.
/// `source` names the input in error messages. JSON Lines are parsed on
/// `options.thread_count()` threads.
pub fn parse_with(bytes: &[u8], source: &str, options: LoadOptions) -> FfiResult<MarketData> {
    parse_cancellable(bytes, source, options, &Cancel::never())
}

/// [`parse_with`], stopping with `Cancelled` once `cancel` is tripped (checked every
/// block of 1 MiB of JSON Lines, every 16,384 elements of a JSON array of trades; an
/// array that needs serde is checked before and after it). What was parsed is freed.
pub fn parse_cancellable(
    bytes: &[u8],
    source: &str,
    options: LoadOptions,
    cancel: &Cancel,
) -> FfiResult<MarketData> {
    json::parse_slice(bytes, source, options, cancel)
}

/// [`parse_with`] with the default thread count.
pub fn parse(bytes: &[u8], source: &str, skip_errors: bool) -> FfiResult<MarketData> {
    parse_with(bytes, source, LoadOptions::new(skip_errors))
}

/// Reads and parses a market data file: plain, gzip or zstd (recognised by their magic
/// bytes), either JSON shape. Only regular files are read.
pub fn load_file_with(path: &str, options: LoadOptions) -> FfiResult<MarketData> {
    load_file_cancellable(path, options, &Cancel::never())
}

/// [`load_file_with`], stopping with `Cancelled` once `cancel` is tripped (checked as
/// in [`parse_cancellable`], and every 8 MiB while a JSON array is read; reading and
/// decompressing happen block by block, so they are covered too). What was read and
/// parsed is freed.
pub fn load_file_cancellable(path: &str, options: LoadOptions, cancel: &Cancel) -> FfiResult<MarketData> {
    cancel.check()?;
    let input = source::open_input(path)?;
    json::parse_reader(input, path, options, cancel)
}

/// [`load_file_with`] with the default thread count.
pub fn load_file(path: &str, skip_errors: bool) -> FfiResult<MarketData> {
    load_file_with(path, LoadOptions::new(skip_errors))
}

impl MarketData {
    /// Market data over `store`, its counts computed; `source` names it in errors (no
    /// records, no items, columns that do not fit together).
    pub fn new(store: Store, skipped_error_count: usize, source: &str) -> FfiResult<MarketData> {
        if let Store::Trades(trades) = &store {
            trades.check().map_err(|e| FfiError::invalid(format!("{source}: {e}")))?;
        }
        let mut builder = Builder { skipped: skipped_error_count, ..Builder::default() };
        for record in store_iter(&store, 0) {
            match record.instrument() {
                Some(instrument) => {
                    if builder.first_ns.is_none() {
                        builder.first_ns = Some(match record {
                            RecordRef::Record(ReconnectEvent::Item(event)) => to_ns(event.time_exchange),
                            RecordRef::Trade(trade) => trade.time_exchange_ns,
                            _ => unreachable!("an item"),
                        });
                    }
                    builder.items += 1;
                    builder.max_instrument = builder.max_instrument.max(instrument);
                }
                None => builder.reconnects += 1,
            }
        }
        builder.parts = match store {
            Store::Trades(trades) => Parts::Trades(trades),
            Store::Records(records) => Parts::Records(records),
        };
        builder.finish(source)
    }

    /// How the records are held.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// All records, reconnect markers included.
    pub fn len(&self) -> usize {
        match &*self.store {
            Store::Records(records) => records.len(),
            Store::Trades(trades) => trades.len(),
        }
    }

    /// Never true for loaded data (loaders refuse empty input).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Record `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        match &*self.store {
            Store::Records(records) => records.get(index).map(RecordRef::Record),
            Store::Trades(trades) => trades.get(index),
        }
    }

    /// The records in order.
    pub fn iter(&self) -> store::Iter<'_> {
        store_iter(&self.store, 0)
    }

    /// The records from `start` on, in order.
    pub fn iter_from(&self, start: usize) -> store::Iter<'_> {
        store_iter(&self.store, start)
    }

    /// The records as barter's type: borrowed when they are held that way, built
    /// otherwise.
    pub fn records(&self) -> std::borrow::Cow<'_, [Record]> {
        match &*self.store {
            Store::Records(records) => std::borrow::Cow::Borrowed(&records[..]),
            Store::Trades(_) => std::borrow::Cow::Owned(self.iter().map(|r| r.to_record()).collect()),
        }
    }

    /// barter's in-memory market data over the same records (shared when they are held
    /// as barter's records, built from the columns otherwise).
    pub fn to_barter(&self) -> MarketDataInMemory<DataKind> {
        MarketDataInMemory::new(Arc::new(self.records().into_owned()))
    }

    /// The items among records `start..stop` (clamped) as a JSON array of rows
    /// `[time_exchange_ns, time_received_ns, exchange, instrument, kind]`, `kind` in
    /// barter's serde form. Reconnect markers are skipped.
    pub fn items_json(&self, start: usize, stop: usize) -> FfiResult<Vec<u8>> {
        let stop = stop.min(self.len());
        let start = start.min(stop);
        let rows = self.iter_from(start).take(stop - start).filter_map(|record| match record {
            RecordRef::Record(ReconnectEvent::Item(e)) => Some((
                to_ns(e.time_exchange),
                to_ns(e.time_received),
                e.exchange,
                e.instrument.index(),
                std::borrow::Cow::Borrowed(&e.kind),
            )),
            RecordRef::Trade(trade) => Some((
                trade.time_exchange_ns,
                trade.time_received_ns,
                trade.exchange,
                trade.instrument,
                std::borrow::Cow::Owned(DataKind::Trade(PublicTrade {
                    id: trade.id.to_owned(),
                    price: trade.price,
                    amount: trade.amount,
                    side: trade.side,
                })),
            )),
            _ => None,
        });
        let mut out = Vec::with_capacity((stop - start) * 160 + 2);
        let mut serializer = serde_json::Serializer::new(&mut out);
        serde::Serializer::collect_seq(&mut serializer, rows)
            .map_err(|e| FfiError::engine(format!("serialising events: {e}")))?;
        Ok(out)
    }
}

fn store_iter(store: &Store, start: usize) -> store::Iter<'_> {
    match store {
        Store::Records(records) => store::Iter::Records(records[start.min(records.len())..].iter()),
        Store::Trades(trades) => store::Iter::Trades(trades.iter_from(start)),
    }
}
