//! Market data: barter's JSON market data parsed by serde into the events barter's
//! `MarketDataInMemory<DataKind>` replays, behind an immutable, shareable handle.

use crate::error::{BarterStatus, FfiError, FfiResult};
use barter::backtest::market_data::MarketDataInMemory;
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::{
    books::{Level, OrderBook},
    event::{DataKind, MarketEvent},
    streams::consumer::MarketStreamEvent,
    subscription::{
        book::{OrderBookEvent, OrderBookL1},
        candle::Candle,
        liquidation::Liquidation,
        trade::PublicTrade,
    },
};
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex};
use serde::Deserialize;
use std::sync::Arc;

/// One market data record as the engine sees it: an item or a reconnect marker.
pub type Record = MarketStreamEvent<InstrumentIndex, DataKind>;

/// Parsed market data. Immutable after creation; clones share the records.
#[derive(Debug, Clone)]
pub struct MarketData {
    pub records: Arc<Vec<Record>>,
    pub time_first_event_ns: i64,
    pub item_count: usize,
    pub reconnect_count: usize,
    pub skipped_error_count: usize,
    /// Highest `instrument` index among the items.
    pub max_instrument: usize,
}

/// barter's `DataKind` as read from JSON. Identical to barter's own `Deserialize` except
/// for order books: barter serialises `OrderBookSide` without its `side` tag but requires
/// the tag when deserialising, so barter cannot read back the order books it writes.
/// Here the sides are plain `{"levels": [...]}`, as barter writes them.
#[derive(Deserialize)]
#[serde(rename = "DataKind")]
enum DataKindIn {
    Trade(PublicTrade),
    OrderBookL1(OrderBookL1),
    OrderBook(OrderBookEventIn),
    Candle(Candle),
    Liquidation(Liquidation),
}

#[derive(Deserialize)]
#[serde(rename = "OrderBookEvent")]
enum OrderBookEventIn {
    Snapshot(OrderBookIn),
    Update(OrderBookIn),
}

#[derive(Deserialize)]
struct OrderBookIn {
    sequence: u64,
    time_engine: Option<chrono::DateTime<chrono::Utc>>,
    bids: OrderBookSideIn,
    asks: OrderBookSideIn,
}

#[derive(Deserialize)]
struct OrderBookSideIn {
    levels: Vec<Level>,
}

impl OrderBookIn {
    fn into_barter(self) -> OrderBook {
        OrderBook::new(self.sequence, self.time_engine, self.bids.levels, self.asks.levels)
    }
}

impl From<DataKindIn> for DataKind {
    fn from(kind: DataKindIn) -> Self {
        match kind {
            DataKindIn::Trade(trade) => DataKind::Trade(trade),
            DataKindIn::OrderBookL1(l1) => DataKind::OrderBookL1(l1),
            DataKindIn::OrderBook(OrderBookEventIn::Snapshot(book)) => {
                DataKind::OrderBook(OrderBookEvent::Snapshot(book.into_barter()))
            }
            DataKindIn::OrderBook(OrderBookEventIn::Update(book)) => {
                DataKind::OrderBook(OrderBookEvent::Update(book.into_barter()))
            }
            DataKindIn::Candle(candle) => DataKind::Candle(candle),
            DataKindIn::Liquidation(liquidation) => DataKind::Liquidation(liquidation),
        }
    }
}

type EventIn = MarketEvent<InstrumentIndex, DataKindIn>;

/// Array shape: barter's recorded stream results.
#[derive(Deserialize)]
enum ResultRecord {
    Item(Result<EventIn, serde_json::Value>),
    Reconnecting(ExchangeId),
}

/// JSON Lines shape: one `MarketStreamEvent` per line.
type LineRecord = ReconnectEvent<ExchangeId, EventIn>;

/// Nanoseconds since the epoch; barter's times all fit in i64 nanoseconds.
pub fn to_ns(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(if time.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

/// Shortens serde's "unknown variant" messages, which list every exchange barter knows,
/// and says which kind of name was not recognised.
fn describe_serde_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if let Some(start) = text.find("unknown variant `") {
        let rest = &text[start + "unknown variant `".len()..];
        if let Some(end) = rest.find('`') {
            let name = &rest[..end];
            let what = if text.contains("`Trade`") {
                "unknown DataKind"
            } else if text.contains("`binance_spot`") {
                "unknown exchange"
            } else if text.contains("`Snapshot`") {
                "unknown order book event"
            } else if text.contains("`Buy`") {
                "unknown side"
            } else if text.contains("`Item`") {
                "unknown record type"
            } else {
                "unknown variant"
            };
            return format!("{what} `{name}`");
        }
    }
    // serde_json appends " at line L column C"; the callers add their own location.
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

struct Builder {
    records: Vec<Record>,
    first_ns: Option<i64>,
    items: usize,
    reconnects: usize,
    skipped: usize,
    max_instrument: usize,
}

impl Builder {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            records: Vec::with_capacity(capacity),
            first_ns: None,
            items: 0,
            reconnects: 0,
            skipped: 0,
            max_instrument: 0,
        }
    }

    fn item(&mut self, event: EventIn) {
        let event = event.map_kind(DataKind::from);
        if self.first_ns.is_none() {
            self.first_ns = Some(to_ns(event.time_exchange));
        }
        self.max_instrument = self.max_instrument.max(event.instrument.index());
        self.items += 1;
        self.records.push(ReconnectEvent::Item(event));
    }

    fn reconnect(&mut self, exchange: ExchangeId) {
        self.reconnects += 1;
        self.records.push(ReconnectEvent::Reconnecting(exchange));
    }

    fn finish(self, source: &str) -> FfiResult<MarketData> {
        if self.records.is_empty() && self.skipped > 0 {
            return Err(FfiError::invalid(format!(
                "{source}: no market events: all {} records were error items (skipped)",
                self.skipped
            )));
        }
        if self.records.is_empty() {
            return Err(FfiError::invalid(format!("{source}: no market data records (input is empty)")));
        }
        let Some(first) = self.first_ns else {
            return Err(FfiError::invalid(format!(
                "{source}: no market events: {} records, none of them an item",
                self.records.len()
            )));
        };
        let mut records = self.records;
        records.shrink_to_fit();
        Ok(MarketData {
            records: Arc::new(records),
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
/// `source` names the input in error messages.
pub fn parse(bytes: &[u8], source: &str, skip_errors: bool) -> FfiResult<MarketData> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(FfiError::invalid(format!("{source}: no market data records (input is empty)"))),
        Some(b'[') => parse_array(bytes, source, skip_errors),
        Some(_) => parse_lines(bytes, source),
    }
}

fn parse_array(bytes: &[u8], source: &str, skip_errors: bool) -> FfiResult<MarketData> {
    let parsed: Vec<ResultRecord> = serde_json::from_slice(bytes).map_err(|e| {
        FfiError::invalid(format!(
            "{source}: line {} column {}: {}",
            e.line(),
            e.column(),
            describe_serde_error(&e)
        ))
    })?;
    let mut builder = Builder::with_capacity(parsed.len());
    for (index, record) in parsed.into_iter().enumerate() {
        match record {
            ResultRecord::Item(Ok(event)) => builder.item(event),
            ResultRecord::Item(Err(_)) if skip_errors => builder.skipped += 1,
            ResultRecord::Item(Err(error)) => {
                return Err(FfiError::invalid(format!(
                    "{source}: record {index} is an error item: {error} (pass skip_errors=True to drop such records)"
                )))
            }
            ResultRecord::Reconnecting(exchange) => builder.reconnect(exchange),
        }
    }
    builder.finish(source)
}

fn parse_lines(bytes: &[u8], source: &str) -> FfiResult<MarketData> {
    let estimate = bytes.len() / 200 + 1;
    let mut builder = Builder::with_capacity(estimate);
    for (line_index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let record: LineRecord = serde_json::from_slice(line).map_err(|e| {
            FfiError::invalid(format!(
                "{source}: line {} column {}: {}",
                line_index + 1,
                e.column(),
                describe_serde_error(&e)
            ))
        })?;
        match record {
            ReconnectEvent::Item(event) => builder.item(event),
            ReconnectEvent::Reconnecting(exchange) => builder.reconnect(exchange),
        }
    }
    builder.finish(source)
}

/// Reads and parses a market data file.
pub fn load_file(path: &str, skip_errors: bool) -> FfiResult<MarketData> {
    let bytes = std::fs::read(path).map_err(|e| FfiError::io(path, &e))?;
    parse(&bytes, path, skip_errors)
}

impl MarketData {
    /// barter's in-memory market data over the same records (no copy).
    pub fn to_barter(&self) -> MarketDataInMemory<DataKind> {
        MarketDataInMemory::new(Arc::clone(&self.records))
    }

    /// The items among records `start..stop` (clamped) as a JSON array of rows
    /// `[time_exchange_ns, time_received_ns, exchange, instrument, kind]`, `kind` in
    /// barter's serde form. Reconnect markers are skipped.
    pub fn items_json(&self, start: usize, stop: usize) -> FfiResult<Vec<u8>> {
        let stop = stop.min(self.records.len());
        let start = start.min(stop);
        let rows = self.records[start..stop].iter().filter_map(|record| match record {
            ReconnectEvent::Item(e) => Some((
                to_ns(e.time_exchange),
                to_ns(e.time_received),
                e.exchange,
                e.instrument.index(),
                &e.kind,
            )),
            ReconnectEvent::Reconnecting(_) => None,
        });
        let mut out = Vec::with_capacity((stop - start) * 160 + 2);
        let mut serializer = serde_json::Serializer::new(&mut out);
        serde::Serializer::collect_seq(&mut serializer, rows)
            .map_err(|e| FfiError::new(BarterStatus::Engine, format!("serialising events: {e}")))?;
        Ok(out)
    }
}
