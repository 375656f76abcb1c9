//! The binary form of loaded market data: what `save` writes, `load` reads and pickling
//! carries. Versioned and checksummed; decoding never trusts it (every read is bounds
//! checked, every value validated), so a truncated, corrupted or foreign input is an
//! `InvalidInput` error, never a panic or a huge allocation.
//!
//! Layout (little-endian):
//!
//! ```text
//! header (64 bytes)
//!   0  magic              b"BARTERMD"
//!   8  version            u16 = 1
//!  10  reserved           u16 = 0
//!  12  header length      u32 = 64
//!  16  record count       u64 (reconnect markers included)
//!  24  skipped errors     u64 (skipped_error_count of the source)
//!  32  payload length     u64 (the file is exactly 64 + this)
//!  40  payload checksum   u64 (XXH3-64 of the payload)
//!  48  reserved           u64 = 0
//!  56  header checksum    u64 (XXH3-64 of bytes 0..56)
//! payload
//!   exchange table        u8 count, then per exchange: u8 length + barter's serde name
//!   block count           u32
//!   blocks                u32 records, u32 byte length, records (decoded in parallel)
//! record = tag u8, then
//!   0 reconnect           exchange u8
//!   items                 exchange u8, instrument varint, time_exchange as a zigzag
//!                         varint delta from the previous item's in the block (0 at the
//!                         start of a block), time_received as a zigzag delta from it
//!   1/2 trade buy/sell    price f64, amount f64, id: varint length + UTF-8
//!   3/4 trade buy/sell    price f64, amount f64, id: varint (a canonical decimal id)
//!   5 OrderBookL1         last_update_time zigzag delta, u8 presence (1 bid, 2 ask),
//!                         levels
//!   6/7 book snap/update  sequence varint, u8 has time_engine [+ zigzag delta],
//!                         bids: varint count + levels, asks: the same
//!   8 candle              close_time zigzag delta, open/high/low/close/volume f64,
//!                         trade_count varint
//!   9/10 liquidation b/s  price f64, quantity f64, time zigzag delta
//! level = price, amount: rust_decimal's 16-byte serialisation each
//! ```
//!
//! Times are i64 nanoseconds (deltas with wrapping arithmetic, so every i64 round-trips),
//! floats their IEEE bits, decimals their exact bytes (scale included).

use super::store::Uniform;
use super::{advise_huge_pages, Builder, DayCache, MarketData, Record, Store, TradeStore};
use crate::cancel::Cancel;
use crate::error::{panic_message, FfiError, FfiResult};
use barter_data::books::{Level, OrderBook};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::{
    book::{OrderBookEvent, OrderBookL1},
    candle::Candle,
    liquidation::Liquidation,
    trade::PublicTrade,
};
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

pub const MAGIC: &[u8; 8] = b"BARTERMD";
/// The version `encode` writes for barter's records (any kind of event).
pub const VERSION: u16 = 1;
/// The version `encode` writes for a column store of trades.
pub const VERSION_TRADES: u16 = 2;
pub const HEADER_LEN: usize = 64;
/// Records per block: the unit of parallel decoding.
const BLOCK_RECORDS: usize = 1 << 16;

const TAG_RECONNECT: u8 = 0;
const TAG_TRADE_BUY: u8 = 1;
const TAG_TRADE_SELL: u8 = 2;
const TAG_TRADE_BUY_NUM: u8 = 3;
const TAG_TRADE_SELL_NUM: u8 = 4;
const TAG_L1: u8 = 5;
const TAG_SNAPSHOT: u8 = 6;
const TAG_UPDATE: u8 = 7;
const TAG_CANDLE: u8 = 8;
const TAG_LIQUIDATION_BUY: u8 = 9;
const TAG_LIQUIDATION_SELL: u8 = 10;

fn ns(time: DateTime<Utc>) -> i64 {
    super::to_ns(time)
}

// ---------------------------------------------------------------------------------------
// Encoding

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    #[inline]
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    #[inline]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }
    #[inline]
    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    #[inline]
    fn f64(&mut self, v: f64) {
        self.out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    #[inline]
    fn level(&mut self, level: &Level) {
        self.out.extend_from_slice(&level.price.serialize());
        self.out.extend_from_slice(&level.amount.serialize());
    }
    fn levels(&mut self, levels: &[Level]) {
        self.varint(levels.len() as u64);
        levels.iter().for_each(|level| self.level(level));
    }
}

/// A trade id that is a canonical decimal u64 ("0", or digits without a leading zero).
fn numeric_id(id: &str) -> Option<u64> {
    let bytes = id.as_bytes();
    if bytes.is_empty() || bytes.len() > 19 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    id.parse().ok()
}

fn exchange_name(exchange: ExchangeId) -> String {
    match serde_json::to_value(exchange) {
        Ok(serde_json::Value::String(name)) => name,
        _ => exchange.as_str().to_owned(),
    }
}

/// Encodes market data in the binary form (header included).
pub fn encode(data: &MarketData) -> FfiResult<Vec<u8>> {
    if let Store::Trades(trades) = data.store() {
        // Version 2 holds instrument indices as u32: larger ones go as records (below).
        if instruments_fit_u32(trades) {
            return encode_trades(trades, data.skipped_error_count);
        }
    }
    let records = data.records();
    // The exchange table, in order of first appearance.
    let mut exchanges: Vec<ExchangeId> = Vec::new();
    let index_of = |exchange: ExchangeId, exchanges: &mut Vec<ExchangeId>| -> FfiResult<u8> {
        if let Some(i) = exchanges.iter().position(|e| *e == exchange) {
            return Ok(i as u8);
        }
        if exchanges.len() == 255 {
            return Err(FfiError::invalid("more than 255 exchanges cannot be encoded"));
        }
        exchanges.push(exchange);
        Ok((exchanges.len() - 1) as u8)
    };
    let mut body = Writer { out: Vec::with_capacity(records.len() * 48 + 64) };
    let block_count = records.len().div_ceil(BLOCK_RECORDS);
    body.out.extend_from_slice(&(block_count as u32).to_le_bytes());
    for block in records.chunks(BLOCK_RECORDS) {
        let header_at = body.out.len();
        body.out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        body.out.extend_from_slice(&0u32.to_le_bytes());
        let start = body.out.len();
        let mut previous = 0i64;
        for record in block {
            let event = match record {
                ReconnectEvent::Reconnecting(exchange) => {
                    body.u8(TAG_RECONNECT);
                    let index = index_of(*exchange, &mut exchanges)?;
                    body.u8(index);
                    continue;
                }
                ReconnectEvent::Item(event) => event,
            };
            let tag = match &event.kind {
                DataKind::Trade(trade) => match (trade.side, numeric_id(&trade.id).is_some()) {
                    (Side::Buy, false) => TAG_TRADE_BUY,
                    (Side::Sell, false) => TAG_TRADE_SELL,
                    (Side::Buy, true) => TAG_TRADE_BUY_NUM,
                    (Side::Sell, true) => TAG_TRADE_SELL_NUM,
                },
                DataKind::OrderBookL1(_) => TAG_L1,
                DataKind::OrderBook(OrderBookEvent::Snapshot(_)) => TAG_SNAPSHOT,
                DataKind::OrderBook(OrderBookEvent::Update(_)) => TAG_UPDATE,
                DataKind::Candle(_) => TAG_CANDLE,
                DataKind::Liquidation(l) if l.side == Side::Buy => TAG_LIQUIDATION_BUY,
                DataKind::Liquidation(_) => TAG_LIQUIDATION_SELL,
            };
            body.u8(tag);
            let index = index_of(event.exchange, &mut exchanges)?;
            body.u8(index);
            body.varint(event.instrument.index() as u64);
            let t_exchange = ns(event.time_exchange);
            body.zigzag(t_exchange.wrapping_sub(previous));
            previous = t_exchange;
            body.zigzag(ns(event.time_received).wrapping_sub(t_exchange));
            match &event.kind {
                DataKind::Trade(trade) => {
                    body.f64(trade.price);
                    body.f64(trade.amount);
                    match numeric_id(&trade.id) {
                        Some(id) => body.varint(id),
                        None => {
                            body.varint(trade.id.len() as u64);
                            body.out.extend_from_slice(trade.id.as_bytes());
                        }
                    }
                }
                DataKind::OrderBookL1(l1) => {
                    body.zigzag(ns(l1.last_update_time).wrapping_sub(t_exchange));
                    body.u8(u8::from(l1.best_bid.is_some()) | (u8::from(l1.best_ask.is_some()) << 1));
                    l1.best_bid.iter().chain(l1.best_ask.iter()).for_each(|level| body.level(level));
                }
                DataKind::OrderBook(OrderBookEvent::Snapshot(book) | OrderBookEvent::Update(book)) => {
                    body.varint(book.sequence());
                    match book.time_engine() {
                        Some(t) => {
                            body.u8(1);
                            body.zigzag(ns(t).wrapping_sub(t_exchange));
                        }
                        None => body.u8(0),
                    }
                    body.levels(book.bids().levels());
                    body.levels(book.asks().levels());
                }
                DataKind::Candle(candle) => {
                    body.zigzag(ns(candle.close_time).wrapping_sub(t_exchange));
                    for v in [candle.open, candle.high, candle.low, candle.close, candle.volume] {
                        body.f64(v);
                    }
                    body.varint(candle.trade_count);
                }
                DataKind::Liquidation(liquidation) => {
                    body.f64(liquidation.price);
                    body.f64(liquidation.quantity);
                    body.zigzag(ns(liquidation.time).wrapping_sub(t_exchange));
                }
            }
        }
        let length = u32::try_from(body.out.len() - start)
            .map_err(|_| FfiError::invalid("a block of 65,536 records over 4 GiB cannot be encoded"))?;
        body.out[header_at + 4..header_at + 8].copy_from_slice(&length.to_le_bytes());
    }
    // Payload = exchange table + body.
    let mut table = Vec::with_capacity(1 + exchanges.len() * 24);
    exchange_table(&exchanges, &mut table);
    let payload_len = table.len() + body.out.len();
    let mut out = Vec::with_capacity(HEADER_LEN + payload_len);
    out.resize(HEADER_LEN, 0);
    out.extend_from_slice(&table);
    drop(table);
    out.extend_from_slice(&body.out);
    drop(body);
    seal(&mut out, VERSION, records.len(), data.skipped_error_count);
    Ok(out)
}

/// Writes the header before the payload `out[HEADER_LEN..]`.
fn seal(out: &mut [u8], version: u16, records: usize, skipped: usize) {
    let payload_len = (out.len() - HEADER_LEN) as u64;
    let payload_checksum = xxh3_64(&out[HEADER_LEN..]);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&version.to_le_bytes());
    header.extend_from_slice(&0u16.to_le_bytes());
    header.extend_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    header.extend_from_slice(&(records as u64).to_le_bytes());
    header.extend_from_slice(&(skipped as u64).to_le_bytes());
    header.extend_from_slice(&payload_len.to_le_bytes());
    header.extend_from_slice(&payload_checksum.to_le_bytes());
    header.extend_from_slice(&0u64.to_le_bytes());
    let header_checksum = xxh3_64(&header);
    header.extend_from_slice(&header_checksum.to_le_bytes());
    out[..HEADER_LEN].copy_from_slice(&header);
}

fn exchange_table(exchanges: &[ExchangeId], out: &mut Vec<u8>) {
    out.push(exchanges.len() as u8);
    for exchange in exchanges {
        let name = exchange_name(*exchange);
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Decoding

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

type DecodeResult<T> = Result<T, String>;

fn truncated() -> String {
    "truncated record".to_owned()
}

impl<'a> Reader<'a> {
    #[inline]
    fn take(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or_else(truncated)?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    #[inline]
    fn u8(&mut self) -> DecodeResult<u8> {
        let v = *self.bytes.get(self.at).ok_or_else(truncated)?;
        self.at += 1;
        Ok(v)
    }
    #[inline]
    fn u32(&mut self) -> DecodeResult<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    #[inline]
    fn varint(&mut self) -> DecodeResult<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err("varint overflows 64 bits".to_owned());
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".to_owned())
    }
    #[inline]
    fn zigzag(&mut self) -> DecodeResult<i64> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    #[inline]
    fn f64(&mut self) -> DecodeResult<f64> {
        Ok(f64::from_bits(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))))
    }
    #[inline]
    fn decimal(&mut self) -> DecodeResult<Decimal> {
        let bytes: [u8; 16] = self.take(16)?.try_into().expect("16 bytes");
        let value = Decimal::deserialize(bytes);
        if value.serialize() != bytes {
            return Err("invalid decimal".to_owned());
        }
        Ok(value)
    }
    #[inline]
    fn level(&mut self) -> DecodeResult<Level> {
        Ok(Level { price: self.decimal()?, amount: self.decimal()? })
    }
    fn levels(&mut self) -> DecodeResult<Vec<Level>> {
        let count = self.varint()?;
        // Each level takes 32 bytes: a count beyond what is left is corrupt.
        if count > ((self.bytes.len() - self.at) / 32) as u64 {
            return Err("order book level count exceeds the data".to_owned());
        }
        (0..count).map(|_| self.level()).collect()
    }
}

fn u64_to_string(mut v: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(digits.len() - at);
    // SAFETY: ASCII digits are valid UTF-8.
    unsafe { text.as_mut_vec().extend_from_slice(&digits[at..]) };
    text
}

/// Counts of one decoded block.
#[derive(Default, Clone, Copy)]
struct BlockStats {
    items: usize,
    reconnects: usize,
    first_ns: Option<i64>,
    max_instrument: usize,
}

/// Drops the records written so far if decoding stops early (error or panic).
struct Filled<'s> {
    slots: &'s mut [MaybeUninit<Record>],
    len: usize,
}

impl Drop for Filled<'_> {
    fn drop(&mut self) {
        for slot in &mut self.slots[..self.len] {
            // SAFETY: the first `len` slots were written and not yet handed out.
            unsafe { slot.assume_init_drop() };
        }
    }
}

fn decode_record(
    r: &mut Reader<'_>,
    exchanges: &[ExchangeId],
    previous: &mut i64,
    days: &mut DayCache,
) -> DecodeResult<Record> {
    let mut time = |ns: i64| days.time(ns);
    let tag = r.u8()?;
    let exchange = |index: u8| {
        exchanges
            .get(usize::from(index))
            .copied()
            .ok_or_else(|| format!("exchange index {index} out of range"))
    };
    if tag == TAG_RECONNECT {
        return Ok(ReconnectEvent::Reconnecting(exchange(r.u8()?)?));
    }
    if tag > TAG_LIQUIDATION_SELL {
        return Err(format!("unknown record tag {tag}"));
    }
    let exchange = exchange(r.u8()?)?;
    let instrument =
        usize::try_from(r.varint()?).map_err(|_| "instrument index does not fit usize".to_owned())?;
    let t_exchange = previous.wrapping_add(r.zigzag()?);
    *previous = t_exchange;
    let t_received = t_exchange.wrapping_add(r.zigzag()?);
    let kind = match tag {
        TAG_TRADE_BUY | TAG_TRADE_SELL | TAG_TRADE_BUY_NUM | TAG_TRADE_SELL_NUM => {
            let price = r.f64()?;
            let amount = r.f64()?;
            let id = if tag == TAG_TRADE_BUY_NUM || tag == TAG_TRADE_SELL_NUM {
                u64_to_string(r.varint()?)
            } else {
                let len = usize::try_from(r.varint()?).map_err(|_| truncated())?;
                let bytes = r.take(len)?;
                std::str::from_utf8(bytes).map_err(|_| "trade id is not UTF-8".to_owned())?.to_owned()
            };
            let side = if tag == TAG_TRADE_BUY || tag == TAG_TRADE_BUY_NUM { Side::Buy } else { Side::Sell };
            DataKind::Trade(PublicTrade { id, price, amount, side })
        }
        TAG_L1 => {
            let last_update_time = time(t_exchange.wrapping_add(r.zigzag()?));
            let presence = r.u8()?;
            if presence > 3 {
                return Err("invalid OrderBookL1 presence byte".to_owned());
            }
            let best_bid = if presence & 1 != 0 { Some(r.level()?) } else { None };
            let best_ask = if presence & 2 != 0 { Some(r.level()?) } else { None };
            DataKind::OrderBookL1(OrderBookL1 { last_update_time, best_bid, best_ask })
        }
        TAG_SNAPSHOT | TAG_UPDATE => {
            let sequence = r.varint()?;
            let time_engine = match r.u8()? {
                0 => None,
                1 => Some(time(t_exchange.wrapping_add(r.zigzag()?))),
                _ => return Err("invalid order book time flag".to_owned()),
            };
            let bids = r.levels()?;
            let asks = r.levels()?;
            let book = OrderBook::new(sequence, time_engine, bids, asks);
            DataKind::OrderBook(if tag == TAG_SNAPSHOT {
                OrderBookEvent::Snapshot(book)
            } else {
                OrderBookEvent::Update(book)
            })
        }
        TAG_CANDLE => {
            let close_time = time(t_exchange.wrapping_add(r.zigzag()?));
            let (open, high, low, close, volume) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?, r.f64()?);
            let trade_count = r.varint()?;
            DataKind::Candle(Candle { close_time, open, high, low, close, volume, trade_count })
        }
        _ => {
            let price = r.f64()?;
            let quantity = r.f64()?;
            let when = time(t_exchange.wrapping_add(r.zigzag()?));
            let side = if tag == TAG_LIQUIDATION_BUY { Side::Buy } else { Side::Sell };
            DataKind::Liquidation(Liquidation { side, price, quantity, time: when })
        }
    };
    Ok(ReconnectEvent::Item(MarketEvent {
        time_exchange: time(t_exchange),
        time_received: time(t_received),
        exchange,
        instrument: InstrumentIndex(instrument),
        kind,
    }))
}

fn decode_block(
    bytes: &[u8],
    exchanges: &[ExchangeId],
    slots: &mut [MaybeUninit<Record>],
) -> DecodeResult<BlockStats> {
    let mut filled = Filled { slots, len: 0 };
    let mut reader = Reader { bytes, at: 0 };
    let mut stats = BlockStats::default();
    let mut previous = 0i64;
    let mut days = DayCache::default();
    while filled.len < filled.slots.len() {
        let record = decode_record(&mut reader, exchanges, &mut previous, &mut days)?;
        match &record {
            ReconnectEvent::Item(event) => {
                stats.items += 1;
                stats.first_ns.get_or_insert(previous);
                stats.max_instrument = stats.max_instrument.max(event.instrument.index());
            }
            ReconnectEvent::Reconnecting(_) => stats.reconnects += 1,
        }
        filled.slots[filled.len].write(record);
        filled.len += 1;
    }
    if reader.at != bytes.len() {
        return Err("block has bytes past its last record".to_owned());
    }
    // Hand the records over: the caller now owns them.
    filled.len = 0;
    Ok(stats)
}

/// The exchange table; `take(n)` gives the next `n` bytes.
fn read_exchange_table(
    mut take: impl FnMut(usize) -> FfiResult<Vec<u8>>,
    source: &str,
) -> FfiResult<Vec<ExchangeId>> {
    let count = take(1)?[0];
    let mut exchanges = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let len = take(1)?[0];
        let bytes = take(usize::from(len))?;
        let name = std::str::from_utf8(&bytes).map_err(|_| corrupt(source, "exchange name is not UTF-8"))?;
        let deserializer = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name);
        let exchange = ExchangeId::deserialize(deserializer).map_err(|_| {
            FfiError::invalid(format!(
                "{source}: unknown exchange `{name}` (written by another barter version?)"
            ))
        })?;
        exchanges.push(exchange);
    }
    Ok(exchanges)
}

fn corrupt(source: &str, what: impl std::fmt::Display) -> FfiError {
    FfiError::invalid(format!("{source}: not a valid barter_cy market data cache: {what}"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// The fields of a checked header.
struct Header {
    version: u16,
    records: u64,
    skipped: u64,
    payload_len: u64,
    payload_checksum: u64,
}

/// Checks magic, version, header checksum and reserved fields of the first bytes.
fn read_header(bytes: &[u8], source: &str) -> FfiResult<Header> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(corrupt(source, "it does not start with the BARTERMD magic bytes"));
    }
    if bytes.len() < HEADER_LEN {
        return Err(corrupt(source, format!("truncated header ({} of {HEADER_LEN} bytes)", bytes.len())));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != VERSION && version != VERSION_TRADES {
        return Err(FfiError::invalid(format!(
            "{source}: market data cache format version {version}; this build of barter_cy reads versions \
             {VERSION} and {VERSION_TRADES} only (rebuild the cache from the JSON)"
        )));
    }
    if xxh3_64(&bytes[..56]) != u64_at(bytes, 56) {
        return Err(corrupt(source, "header checksum mismatch"));
    }
    if u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize != HEADER_LEN
        || bytes[10..12] != [0, 0]
        || u64_at(bytes, 48) != 0
    {
        return Err(corrupt(source, "unexpected header fields"));
    }
    Ok(Header {
        version,
        records: u64_at(bytes, 16),
        skipped: u64_at(bytes, 24),
        payload_len: u64_at(bytes, 32),
        payload_checksum: u64_at(bytes, 40),
    })
}

fn truncated_payload(source: &str, actual: u64, expected: u64) -> FfiError {
    corrupt(
        source,
        if actual < expected {
            format!("truncated: {actual} of {expected} payload bytes")
        } else {
            format!("{} bytes past the end of the payload", actual - expected)
        },
    )
}

/// Checks the header and the payload's length and checksum; returns the payload.
fn check<'b>(bytes: &'b [u8], source: &str) -> FfiResult<(Header, &'b [u8])> {
    let header = read_header(bytes, source)?;
    let actual = (bytes.len() - HEADER_LEN) as u64;
    if header.payload_len != actual {
        return Err(truncated_payload(source, actual, header.payload_len));
    }
    let payload = &bytes[HEADER_LEN..];
    if xxh3_64(payload) != header.payload_checksum {
        return Err(corrupt(source, "payload checksum mismatch (the data is corrupted)"));
    }
    Ok((header, payload))
}

/// Decodes the binary form on up to `threads` threads (0: one per core).
pub fn decode(bytes: &[u8], source: &str, threads: usize) -> FfiResult<MarketData> {
    decode_cancellable(bytes, source, threads, &Cancel::never())
}

/// [`decode`], stopping with `Cancelled` once `cancel` is tripped (checked before each
/// block of records); the records decoded so far are dropped.
pub fn decode_cancellable(
    bytes: &[u8],
    source: &str,
    threads: usize,
    cancel: &Cancel,
) -> FfiResult<MarketData> {
    cancel.check()?; // the checksum pass below reads every byte once
    let (header, payload) = check(bytes, source)?;
    if header.version == VERSION_TRADES {
        cancel.check()?;
        return decode_trades(&mut SliceInput { bytes: payload, cancel, source }, &header, source);
    }
    cancel.check()?;
    let (record_count, skipped) = (header.records, header.skipped);
    let mut r = Reader { bytes: payload, at: 0 };
    let bad = |e: String| corrupt(source, e);
    let exchanges = read_exchange_table(|n| r.take(n).map(<[u8]>::to_vec).map_err(bad), source)?;
    // Block index.
    let block_count = r.u32().map_err(bad)? as usize;
    let mut blocks = Vec::with_capacity(block_count.min(payload.len() / 8));
    let mut total = 0u64;
    for _ in 0..block_count {
        let records = u64::from(r.u32().map_err(bad)?);
        let length = r.u32().map_err(bad)? as usize;
        let body = r.take(length).map_err(bad)?;
        // Every record takes at least 2 bytes.
        if records > (length / 2) as u64 {
            return Err(corrupt(source, "block record count exceeds its length"));
        }
        blocks.push((total as usize, records as usize, body));
        total += records;
    }
    if r.at != payload.len() {
        return Err(corrupt(source, "bytes past the last block"));
    }
    if total != record_count {
        return Err(corrupt(source, format!("{total} records in the blocks, {record_count} in the header")));
    }
    let total = total as usize;
    let skipped = usize::try_from(skipped).map_err(|_| corrupt(source, "skipped error count"))?;

    let mut records: Vec<Record> = Vec::new();
    records.try_reserve_exact(total).map_err(|_| corrupt(source, "cannot allocate the records"))?;
    advise_huge_pages(records.as_ptr(), records.capacity());
    let threads = match threads {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    }
    .min(blocks.len())
    .max(1);
    let mut outcomes: Vec<Option<Result<BlockStats, String>>> = vec![None; blocks.len()];
    {
        let mut spare = &mut records.spare_capacity_mut()[..total];
        let mut work = Vec::with_capacity(blocks.len());
        for (index, (_, count, body)) in blocks.iter().enumerate() {
            let (slots, rest) = spare.split_at_mut(*count);
            spare = rest;
            work.push((index, *body, slots));
        }
        let run = |(index, body, slots): (usize, &[u8], &mut [MaybeUninit<Record>])| {
            if cancel.is_tripped() {
                return (index, Err("cancelled".to_owned()));
            }
            let outcome = crate::log::catch_quietly(|| decode_block(body, &exchanges, slots)).unwrap_or_else(
                |payload| Err(format!("decoder panicked: {}", panic_message(payload.as_ref()))),
            );
            (index, outcome)
        };
        if threads == 1 {
            for item in work {
                let (index, outcome) = run(item);
                outcomes[index] = Some(outcome);
            }
        } else {
            let queue = Mutex::new(work.into_iter());
            let results = Mutex::new(&mut outcomes);
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| loop {
                        let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                        let Some(item) = next else { break };
                        let (index, outcome) = run(item);
                        if let Ok(mut results) = results.lock() {
                            results[index] = Some(outcome);
                        }
                    });
                }
            });
        }
    }
    let failure = outcomes.iter().enumerate().find_map(|(index, outcome)| match outcome {
        Some(Ok(_)) => None,
        Some(Err(e)) => Some(format!("block {index}: {e}")),
        None => Some(format!("block {index} was not decoded")),
    });
    if let Some(message) = failure {
        // Drop what the successful blocks wrote; the failed ones dropped their own.
        let spare = records.spare_capacity_mut();
        for ((start, count, _), outcome) in blocks.iter().zip(&outcomes) {
            if let Some(Ok(_)) = outcome {
                for slot in &mut spare[*start..start + count] {
                    // SAFETY: a block that decoded successfully wrote all its slots.
                    unsafe { slot.assume_init_drop() };
                }
            }
        }
        if cancel.is_tripped() {
            return Err(cancel.check().unwrap_err());
        }
        return Err(corrupt(source, message));
    }
    // SAFETY: every block decoded successfully, so all `total` slots are written.
    unsafe { records.set_len(total) };
    let mut stats = Builder::default();
    for outcome in outcomes.into_iter().flatten().flatten() {
        if stats.first_ns.is_none() {
            stats.first_ns = outcome.first_ns;
        }
        stats.items += outcome.items;
        stats.reconnects += outcome.reconnects;
        stats.max_instrument = stats.max_instrument.max(outcome.max_instrument);
    }
    let first = stats.first_ns.ok_or_else(|| corrupt(source, "no market events"))?;
    Ok(MarketData {
        store: Arc::new(Store::Records(records)),
        time_first_event_ns: first,
        item_count: stats.items,
        reconnect_count: stats.reconnects,
        skipped_error_count: skipped,
        max_instrument: stats.max_instrument,
    })
}

/// Writes the binary form to `path` (through a temporary file in the same directory,
/// renamed into place, so a reader never sees a half-written cache).
pub fn save(data: &MarketData, path: &str) -> FfiResult<()> {
    let bytes = encode(data)?;
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let written = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(FfiError::io(path, &e));
    }
    Ok(())
}

/// Reads a file written by [`save`] (only regular files; the size is checked against the
/// header before the payload is read).
pub fn load(path: &str, threads: usize) -> FfiResult<MarketData> {
    load_cancellable(path, threads, &Cancel::never())
}

/// [`load`], stopping with `Cancelled` once `cancel` is tripped (checked every 8 MiB
/// read and as in [`decode_cancellable`]); what was read is freed.
pub fn load_cancellable(path: &str, threads: usize, cancel: &Cancel) -> FfiResult<MarketData> {
    use std::io::Read;
    cancel.check()?;
    let (mut file, size) = super::source::open_regular(path)?;
    let mut header = [0u8; HEADER_LEN];
    let got = super::source::read_full(&mut file, &mut header).map_err(|e| FfiError::io(path, &e))?;
    let header = &header[..got];
    let parsed = read_header(header, path)?;
    let payload_len = parsed.payload_len;
    if size != HEADER_LEN as u64 + payload_len {
        let expected = HEADER_LEN as u64 + payload_len;
        return Err(corrupt(path, format!("the file has {size} bytes, its header says {expected}")));
    }
    if parsed.version == VERSION_TRADES {
        // Straight from the file into the columns.
        let mut input = FileInput { file: file.take(payload_len), hasher: Xxh3::new(), cancel, path };
        return decode_trades(&mut input, &parsed, path);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size as usize).map_err(|_| corrupt(path, "cannot allocate the file's bytes"))?;
    bytes.extend_from_slice(header);
    let mut rest = file.take(payload_len);
    loop {
        cancel.check()?;
        let got = (&mut rest).take(8 << 20).read_to_end(&mut bytes).map_err(|e| FfiError::io(path, &e))?;
        if got == 0 {
            break;
        }
    }
    decode_cancellable(&bytes, path, threads, cancel)
}

// ---------------------------------------------------------------------------------------
// Version 2: a column store of trades
//
// ```text
// header (64 bytes)    as version 1, version = 2, record count = trades + markers
// payload
//   exchange table     as version 1
//   trades n           u64
//   markers m          u64
//   flags              u8: 1 time_received column, 2 instrument column,
//                          4 exchange column, 8 trade ids
//   instrument         u32 (every trade's, without the instrument column)
//   exchange           u8 (every trade's table index, without the exchange column)
//   time_exchange      n × i64
//   [time_received]    n × i64
//   price, amount      n × f64 each
//   side               n × u8 (0 buy, 1 sell)
//   [instrument]       n × u32
//   [exchange]         n × u8
//   [id ends]          n × u32, then the ids' UTF-8 bytes (the last end of them)
//   markers            m × (record index u64, exchange u8), record indices ascending
// ```
//
// Columns are the store's own little-endian values, read with one copy each.

const FLAG_RECEIVED: u8 = 1;
const FLAG_INSTRUMENT: u8 = 2;
const FLAG_EXCHANGE: u8 = 4;
const FLAG_IDS: u8 = 8;

/// Appends the raw little-endian bytes of `values`.
fn put<T: Copy>(out: &mut Vec<u8>, values: &[T], to_le: impl Fn(T) -> [u8; 8]) {
    if cfg!(target_endian = "little") {
        // SAFETY: plain-old-data values viewed as their bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
        };
        out.extend_from_slice(bytes);
    } else {
        let size = std::mem::size_of::<T>();
        values.iter().for_each(|v| out.extend_from_slice(&to_le(*v)[..size]));
    }
}

/// Whether every instrument index fits version 2's u32.
fn instruments_fit_u32(trades: &TradeStore) -> bool {
    let fits = |i: i64| u32::try_from(i).is_ok();
    trades.instrument.each().map_or(fits(trades.instrument.first()), |i| i.iter().all(|v| fits(*v)))
}

fn encode_trades(trades: &TradeStore, skipped: usize) -> FfiResult<Vec<u8>> {
    let n = trades.trade_count();
    // The trades' exchanges (their indices unchanged), then those only markers name.
    let mut table = trades.exchanges.clone();
    for (_, exchange) in &trades.reconnects {
        if !table.contains(exchange) {
            table.push(*exchange);
        }
    }
    if table.len() > 255 {
        return Err(FfiError::invalid("more than 255 exchanges cannot be encoded"));
    }
    let mut flags = 0;
    let received = !trades.time_received_ns.is_empty();
    let instrument = trades.instrument.each();
    let exchange = trades.exchange.each();
    let ids = !trades.id_ends.is_empty();
    flags |= if received { FLAG_RECEIVED } else { 0 };
    flags |= if instrument.is_some() { FLAG_INSTRUMENT } else { 0 };
    flags |= if exchange.is_some() { FLAG_EXCHANGE } else { 0 };
    flags |= if ids { FLAG_IDS } else { 0 };
    let row = 25
        + if received { 8 } else { 0 }
        + if instrument.is_some() { 4 } else { 0 }
        + if ids { 4 } else { 0 };
    let mut out =
        Vec::with_capacity(HEADER_LEN + 64 + n * row + trades.ids.len() + trades.reconnects.len() * 9);
    out.resize(HEADER_LEN, 0);
    exchange_table(&table, &mut out);
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&(trades.reconnects.len() as u64).to_le_bytes());
    out.push(flags);
    out.extend_from_slice(&(trades.instrument.first() as u32).to_le_bytes());
    out.push(trades.exchange.first());
    put(&mut out, &trades.time_exchange_ns, |v| v.to_le_bytes());
    if received {
        put(&mut out, &trades.time_received_ns, |v| v.to_le_bytes());
    }
    put(&mut out, &trades.price, |v| v.to_le_bytes());
    put(&mut out, &trades.amount, |v| v.to_le_bytes());
    // On disk a side is a byte, 0 buy and 1 sell; an instrument a u32.
    out.extend(trades.side.iter().map(|s| u8::from(*s < 0)));
    if let Some(instrument) = instrument {
        instrument.iter().for_each(|v| out.extend_from_slice(&(*v as u32).to_le_bytes()));
    }
    if let Some(exchange) = exchange {
        out.extend_from_slice(exchange);
    }
    if ids {
        put(&mut out, &trades.id_ends, |v| u64::from(v).to_le_bytes());
        out.extend_from_slice(trades.ids.as_bytes());
    }
    for (at, exchange) in &trades.reconnects {
        out.extend_from_slice(&(*at as u64).to_le_bytes());
        let index =
            table.iter().position(|e| e == exchange).expect("every marker's exchange is in the table");
        out.push(index as u8);
    }
    seal(&mut out, VERSION_TRADES, trades.len(), skipped);
    Ok(out)
}

/// Where version 2 is read from: bytes in memory or a file, hashed as they are read.
trait Input {
    /// Fills `out` with the next bytes of the payload.
    fn read(&mut self, out: &mut [u8]) -> FfiResult<()>;
    /// Bytes of the payload not read yet.
    fn left(&self) -> u64;
    /// The checksum of what was read, if it is computed while reading.
    fn checksum(&self) -> Option<u64>;
}

/// A payload in memory whose checksum was checked before decoding.
struct SliceInput<'b, 'c> {
    bytes: &'b [u8],
    cancel: &'c Cancel,
    source: &'c str,
}

impl Input for SliceInput<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> FfiResult<()> {
        self.cancel.check()?;
        if out.len() > self.bytes.len() {
            return Err(corrupt(self.source, "truncated payload"));
        }
        let (head, rest) = self.bytes.split_at(out.len());
        out.copy_from_slice(head);
        self.bytes = rest;
        Ok(())
    }
    fn left(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn checksum(&self) -> Option<u64> {
        None
    }
}

struct FileInput<'c, 'p> {
    file: std::io::Take<std::fs::File>,
    hasher: Xxh3,
    cancel: &'c Cancel,
    path: &'p str,
}

impl Input for FileInput<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> FfiResult<()> {
        use std::io::Read;
        // 8 MiB at a time: a cancel is seen within one such read.
        for part in out.chunks_mut(8 << 20) {
            self.cancel.check()?;
            self.file.read_exact(part).map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => corrupt(self.path, "truncated payload"),
                _ => FfiError::io(self.path, &e),
            })?;
            self.hasher.update(part);
        }
        Ok(())
    }
    fn left(&self) -> u64 {
        self.file.limit()
    }
    fn checksum(&self) -> Option<u64> {
        Some(self.hasher.digest())
    }
}

/// `count` values of `T` read as their little-endian bytes (`from_le` converts them on
/// big-endian targets), after checking that the payload holds them.
fn column<T: Copy>(
    input: &mut dyn Input,
    count: usize,
    source: &str,
    from_le: impl Fn(T) -> T,
) -> FfiResult<Vec<T>> {
    let bytes = count.checked_mul(std::mem::size_of::<T>()).filter(|b| *b as u64 <= input.left());
    let Some(bytes) = bytes else { return Err(corrupt(source, "a column runs past the end of the payload")) };
    let mut values: Vec<T> = Vec::new();
    values.try_reserve_exact(count).map_err(|_| corrupt(source, "cannot allocate a column"))?;
    advise_huge_pages(values.as_ptr(), count);
    // SAFETY: `read` writes all `bytes` bytes of the spare capacity of `count` values
    // before `set_len` (T is an integer or a float here: every bit pattern is valid); on
    // error the vector is dropped with length 0.
    unsafe {
        let raw = std::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), bytes);
        input.read(raw)?;
        values.set_len(count);
    }
    if cfg!(target_endian = "big") {
        values.iter_mut().for_each(|v| *v = from_le(*v));
    }
    Ok(values)
}

/// `count` little-endian u32 values as i64 (version 2 keeps instrument indices as u32,
/// the store as i64), widened through a small buffer (no u32 column is made), and the
/// largest of them.
fn column_u32_as_i64(input: &mut dyn Input, count: usize, source: &str) -> FfiResult<(Vec<i64>, u32)> {
    const CHUNK: usize = 16 * 1024;
    if count.checked_mul(4).is_none_or(|bytes| bytes as u64 > input.left()) {
        return Err(corrupt(source, "a column runs past the end of the payload"));
    }
    let mut values: Vec<i64> = Vec::new();
    values.try_reserve_exact(count).map_err(|_| corrupt(source, "cannot allocate a column"))?;
    advise_huge_pages(values.as_ptr(), count);
    let mut buffer = vec![0u8; 4 * CHUNK.min(count)];
    let mut max = 0;
    while values.len() < count {
        let bytes = &mut buffer[..4 * CHUNK.min(count - values.len())];
        input.read(bytes)?;
        let start = values.len();
        values.extend(bytes.chunks_exact(4).map(|b| i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))));
        max = values[start..].iter().fold(max, |max, v| max.max(*v as u32));
    }
    Ok((values, max))
}

fn f64_from_le(v: f64) -> f64 {
    f64::from_bits(u64::from_le(v.to_bits()))
}

/// Decodes a version 2 payload (the header checked, `input` at the payload's start):
/// every column is read first (sizes checked against what is left), then the checksum,
/// then every value.
fn decode_trades(input: &mut dyn Input, header: &Header, source: &str) -> FfiResult<MarketData> {
    let exchanges = read_exchange_table(
        |n| {
            let mut bytes = vec![0; n];
            input.read(&mut bytes)?;
            Ok(bytes)
        },
        source,
    )?;
    let mut fixed = [0u8; 22];
    input.read(&mut fixed)?;
    let (n, m) = (u64_at(&fixed, 0), u64_at(&fixed, 8));
    let flags = fixed[16];
    let instrument_all = u32::from_le_bytes(fixed[17..21].try_into().expect("4 bytes"));
    let exchange_all = fixed[21];
    if flags & !(FLAG_RECEIVED | FLAG_INSTRUMENT | FLAG_EXCHANGE | FLAG_IDS) != 0 {
        return Err(corrupt(source, format!("unknown column flags {flags:#x}")));
    }
    if n.checked_add(m) != Some(header.records) {
        return Err(corrupt(
            source,
            format!("{n} trades and {m} markers, {} records in the header", header.records),
        ));
    }
    let too_many = || corrupt(source, "more records than the payload holds");
    let n = usize::try_from(n).map_err(|_| too_many())?;
    let m = usize::try_from(m).map_err(|_| too_many())?;
    let time_exchange_ns = column(input, n, source, i64::from_le)?;
    let time_received_ns =
        if flags & FLAG_RECEIVED != 0 { column(input, n, source, i64::from_le)? } else { Vec::new() };
    let price = column(input, n, source, f64_from_le)?;
    let amount = column(input, n, source, f64_from_le)?;
    let side = column(input, n, source, |v: u8| v)?;
    let (instrument, max_instrument) = match flags & FLAG_INSTRUMENT != 0 {
        true => {
            let (values, max) = column_u32_as_i64(input, n, source)?;
            (Uniform::from_vec(values), max)
        }
        false => (Uniform::same(i64::from(instrument_all), n), instrument_all),
    };
    let exchange = match flags & FLAG_EXCHANGE != 0 {
        true => Uniform::from_vec(column(input, n, source, |v: u8| v)?),
        false => Uniform::same(exchange_all, n),
    };
    let (id_ends, id_bytes) = match flags & FLAG_IDS != 0 {
        true => {
            let ends = column(input, n, source, u32::from_le)?;
            let total = ends.last().copied().unwrap_or(0);
            let total = usize::try_from(total).map_err(|_| too_many())?;
            (ends, column(input, total, source, |v: u8| v)?)
        }
        false => (Vec::new(), Vec::new()),
    };
    let markers = column(input, m.checked_mul(9).ok_or_else(too_many)?, source, |v: u8| v)?;
    if input.left() != 0 {
        return Err(corrupt(source, format!("{} bytes past the last column", input.left())));
    }
    if input.checksum().is_some_and(|sum| sum != header.payload_checksum) {
        return Err(corrupt(source, "payload checksum mismatch (the data is corrupted)"));
    }
    // Values.
    if n == 0 {
        return Err(corrupt(source, "no market events"));
    }
    let ids = String::from_utf8(id_bytes).map_err(|_| corrupt(source, "trade ids are not UTF-8"))?;
    let mut reconnects = Vec::with_capacity(m);
    for marker in markers.chunks_exact(9) {
        let at = usize::try_from(u64_at(marker, 0)).map_err(|_| too_many())?;
        let exchange = *exchanges
            .get(usize::from(marker[8]))
            .ok_or_else(|| corrupt(source, "a marker's exchange is unknown"))?;
        reconnects.push((at, exchange));
    }
    if side.iter().fold(0, |high, s| high.max(*s)) > 1 {
        let row = side.iter().position(|s| *s > 1).unwrap_or(0);
        return Err(corrupt(source, format!("trade {row}: side byte {}", side[row])));
    }
    // 0 (buy) -> 1, 1 (sell) -> -1, in place.
    let side = side.into_iter().map(|s| 1 - 2 * s as i8).collect();
    let store = TradeStore {
        time_exchange_ns,
        time_received_ns,
        price,
        amount,
        side,
        instrument,
        exchange,
        exchanges,
        ids,
        id_ends,
        reconnects,
    };
    store.check().map_err(|e| corrupt(source, e))?;
    Ok(MarketData {
        time_first_event_ns: store.time_exchange_ns[0],
        store: Arc::new(Store::Trades(store)),
        item_count: n,
        reconnect_count: m,
        skipped_error_count: usize::try_from(header.skipped)
            .map_err(|_| corrupt(source, "skipped error count"))?,
        max_instrument: max_instrument as usize,
    })
}
