//! Columnar market data: trades and candles built from 1-D columns (validated and turned
//! into the same [`Record`]s the JSON loaders make, in one pass), and the trades and
//! candles of loaded data written back into caller-provided columns.
//!
//! A trade built from columns has an empty `id` (barter's `PublicTrade.id`: the columns
//! carry none); everything else is what the same event read from JSON holds. A candle's
//! time is its `close_time`, which is also the event's `time_exchange` and
//! `time_received`.

use super::store::Uniform;
use super::{advise_huge_pages, to_ns, Builder, DayCache, MarketData, Record, RecordRef, Store, TradeStore};
use crate::error::{FfiError, FfiResult};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::candle::Candle;
use barter_data::subscription::trade::PublicTrade;
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
use std::mem::MaybeUninit;

/// Where the instrument index of each row comes from.
#[derive(Debug, Copy, Clone)]
pub enum Instruments<'a> {
    /// The same index for every row.
    Scalar(usize),
    /// One index per row (negative values are rejected).
    Column(&'a [i64]),
}

/// Trades as columns. `time_received_ns` `None` means "same as `time_exchange_ns`".
#[derive(Debug, Copy, Clone)]
pub struct TradeColumns<'a> {
    pub time_exchange_ns: &'a [i64],
    pub time_received_ns: Option<&'a [i64]>,
    pub price: &'a [f64],
    pub amount: &'a [f64],
    /// 1 buy, -1 sell.
    pub side: &'a [i8],
    pub instrument: Instruments<'a>,
}

/// Candles as columns (`time_ns` is each candle's close time). `trade_count` `None`
/// means 0 for every row.
#[derive(Debug, Copy, Clone)]
pub struct CandleColumns<'a> {
    pub time_ns: &'a [i64],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
    pub trade_count: Option<&'a [u64]>,
    pub instrument: Instruments<'a>,
}

/// barter's `ExchangeId` from its serde name (`"simulated"`, `"binance_spot"`...).
pub fn exchange_from_name(name: &str) -> FfiResult<ExchangeId> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        FfiError::invalid(format!(
            "exchange: unknown exchange id {name:?} (barter's ExchangeId names, e.g. \"simulated\", \"binance_spot\")"
        ))
    })
}

fn check_len(name: &str, len: usize, reference: &str, expected: usize) -> FfiResult<()> {
    if len != expected {
        return Err(FfiError::invalid(format!(
            "{name}: column has {len} rows but {reference} has {expected} (columns must have one length)"
        )));
    }
    Ok(())
}

fn check_instruments(instrument: Instruments<'_>, expected: usize, reference: &str) -> FfiResult<()> {
    match instrument {
        Instruments::Column(column) => check_len("instrument", column.len(), reference, expected),
        Instruments::Scalar(_) => Ok(()),
    }
}

/// Checks one time; `previous` is the previous row's time (rows must not go back).
#[inline]
fn check_time(name: &str, row: usize, ns: i64, previous: Option<i64>) -> FfiResult<()> {
    if ns == i64::MIN {
        return Err(FfiError::invalid(format!("{name}: row {row} is NaT (no time)")));
    }
    if let Some(previous) = previous {
        if ns < previous {
            return Err(FfiError::invalid(format!(
                "{name}: row {row} ({ns} ns) is earlier than row {} ({previous} ns): times must be sorted \
                 (pass sort=True to sort them)",
                row - 1
            )));
        }
    }
    Ok(())
}

/// A price: finite and > 0.
#[inline]
fn check_price(name: &str, row: usize, value: f64) -> FfiResult<()> {
    if !value.is_finite() || value <= 0.0 {
        return Err(FfiError::invalid(format!(
            "{name}: row {row} is {value}; prices must be finite and > 0"
        )));
    }
    Ok(())
}

/// An amount or volume: finite and >= 0.
#[inline]
fn check_amount(name: &str, row: usize, value: f64) -> FfiResult<()> {
    if !value.is_finite() || value < 0.0 {
        return Err(FfiError::invalid(format!(
            "{name}: row {row} is {value}; amounts must be finite and >= 0"
        )));
    }
    Ok(())
}

#[inline]
fn instrument_at(instrument: Instruments<'_>, row: usize) -> FfiResult<InstrumentIndex> {
    match instrument {
        Instruments::Scalar(index) => Ok(InstrumentIndex(index)),
        Instruments::Column(column) => {
            let value = column[row];
            usize::try_from(value).map(InstrumentIndex).map_err(|_| {
                FfiError::invalid(format!(
                    "instrument: row {row} is {value}; instrument indices must be >= 0"
                ))
            })
        }
    }
}

/// Rows per thread below which building stays on one thread.
const MIN_ROWS_PER_THREAD: usize = 1 << 16;

/// Per-thread state of [`build_rows`]: calendar-date caches for the two times.
#[derive(Default)]
struct Days {
    exchange: DayCache,
    received: DayCache,
}

/// What one thread of [`build_rows`] did: rows written (a prefix of its slots), the
/// highest instrument index among them, and the first error, if any.
struct Chunk {
    written: usize,
    max_instrument: usize,
    error: Option<FfiError>,
}

fn fill_chunk<F>(start: usize, slots: &mut [MaybeUninit<Record>], row: &F) -> Chunk
where
    F: Fn(usize, &mut Days) -> FfiResult<MarketEvent<InstrumentIndex, DataKind>>,
{
    let mut days = Days::default();
    let mut max_instrument = 0;
    for (offset, slot) in slots.iter_mut().enumerate() {
        match row(start + offset, &mut days) {
            Ok(event) => {
                max_instrument = max_instrument.max(event.instrument.index());
                slot.write(ReconnectEvent::Item(event));
            }
            Err(error) => return Chunk { written: offset, max_instrument, error: Some(error) },
        }
    }
    Chunk { written: slots.len(), max_instrument, error: None }
}

/// Builds `rows` records, record `i` from `row(i, ..)` (which validates row `i`), in one
/// pass over the rows split into contiguous parts on up to one thread per core. The
/// records are written straight into the final array. An error is the one of the lowest
/// row that failed (each part stops at its first; parts cover rows in order).
fn build_rows<F>(rows: usize, row: F) -> FfiResult<MarketData>
where
    F: Fn(usize, &mut Days) -> FfiResult<MarketEvent<InstrumentIndex, DataKind>> + Sync,
{
    if rows == 0 {
        return Builder::default().finish("columns");
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = cores.min(rows.div_ceil(MIN_ROWS_PER_THREAD)).max(1);
    let per_thread = rows.div_ceil(threads);
    let mut records: Vec<Record> = Vec::with_capacity(rows);
    advise_huge_pages(records.as_ptr(), rows);
    let slots = &mut records.spare_capacity_mut()[..rows];
    let chunks: Vec<Chunk> = std::thread::scope(|scope| {
        let row = &row;
        let mut parts = slots.chunks_mut(per_thread).enumerate();
        let (_, first) = parts.next().expect("rows > 0");
        let others: Vec<_> = parts
            .map(|(index, part)| scope.spawn(move || fill_chunk(index * per_thread, part, row)))
            .collect();
        let mut chunks = vec![fill_chunk(0, first, row)];
        for handle in others {
            chunks.push(handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload)));
        }
        chunks
    });
    if let Some(position) = chunks.iter().position(|chunk| chunk.error.is_some()) {
        for (index, chunk) in chunks.iter().enumerate() {
            let start = index * per_thread;
            // SAFETY: `fill_chunk` initialised exactly the first `written` slots of its
            // part; they are dropped once here and the vector's length stays 0.
            unsafe {
                let part = records.as_mut_ptr().add(start);
                std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(part, chunk.written));
            }
        }
        return Err(chunks.into_iter().nth(position).and_then(|chunk| chunk.error).expect("an error"));
    }
    // SAFETY: every part was filled completely (no error), so all `rows` slots are
    // initialised.
    unsafe { records.set_len(rows) };
    let first = match &records[0] {
        ReconnectEvent::Item(event) => to_ns(event.time_exchange),
        ReconnectEvent::Reconnecting(_) => unreachable!("columns build items only"),
    };
    Ok(MarketData {
        store: std::sync::Arc::new(Store::Records(records)),
        time_first_event_ns: first,
        item_count: rows,
        reconnect_count: 0,
        skipped_error_count: 0,
        max_instrument: chunks.iter().map(|chunk| chunk.max_instrument).max().unwrap_or(0),
    })
}

/// The previous row's value, for the order check.
#[inline]
fn previous(column: &[i64], row: usize) -> Option<i64> {
    row.checked_sub(1).map(|p| column[p])
}

/// Checks and converts row `row` of trade columns: (time_exchange, time_received, price,
/// amount, side, instrument). Errors name the column and the row.
#[inline]
fn trade_row(columns: &TradeColumns<'_>, row: usize) -> FfiResult<(i64, i64, f64, f64, Side, usize)> {
    let time = columns.time_exchange_ns[row];
    check_time("time", row, time, previous(columns.time_exchange_ns, row))?;
    let received = match columns.time_received_ns {
        Some(received) => {
            let ns = received[row];
            check_time("time_received", row, ns, None)?;
            ns
        }
        None => time,
    };
    let price = columns.price[row];
    check_price("price", row, price)?;
    let amount = columns.amount[row];
    check_amount("amount", row, amount)?;
    let side = match columns.side[row] {
        1 => Side::Buy,
        -1 => Side::Sell,
        other => {
            return Err(FfiError::invalid(format!(
                "side: row {row} is {other}; sides are 1 (buy) or -1 (sell)"
            )))
        }
    };
    let instrument = instrument_at(columns.instrument, row)?.index();
    Ok((time, received, price, amount, side, instrument))
}

/// What one thread of [`trades`] found in its rows.
struct TradeChunk {
    max_instrument: usize,
    /// A row whose time_received differs from its time_exchange.
    received_differs: bool,
    error: Option<FfiError>,
}

/// The output columns of one thread of [`trades`].
struct TradeParts<'o> {
    time: &'o mut [i64],
    /// Given when the columns have receive times.
    received: Option<&'o mut [i64]>,
    price: &'o mut [f64],
    amount: &'o mut [f64],
    side: &'o mut [i8],
    instrument: Option<&'o mut [i64]>,
}

/// Rows per block of [`fill_trades`]: checked with branch-free reductions, then copied.
const BLOCK_ROWS: usize = 4096;

/// Checks and copies rows `start..start + out.time.len()` block by block: each block is
/// checked as a whole (loops the compiler vectorises), then copied; a block with a bad
/// row goes through [`trade_row`] row by row, which names the first bad row and column.
fn fill_trades(columns: &TradeColumns<'_>, start: usize, out: TradeParts<'_>) -> TradeChunk {
    let mut chunk = TradeChunk { max_instrument: 0, received_differs: false, error: None };
    let TradeParts { time, mut received, price, amount, side, mut instrument } = out;
    let rows = time.len();
    let mut at = 0;
    while at < rows {
        let len = BLOCK_ROWS.min(rows - at);
        let (row, range) = (start + at, start + at..start + at + len);
        let t = &columns.time_exchange_ns[range.clone()];
        let p = &columns.price[range.clone()];
        let a = &columns.amount[range.clone()];
        let s = &columns.side[range.clone()];
        let mut ok =
            t[0] != i64::MIN && previous(columns.time_exchange_ns, row).is_none_or(|before| t[0] >= before);
        ok &= t.windows(2).fold(true, |ok, w| ok & (w[1] >= w[0]));
        if let Some(received) = columns.time_received_ns {
            let r = &received[range.clone()];
            ok &= r.iter().fold(true, |ok, v| ok & (*v != i64::MIN));
            chunk.received_differs |= r.iter().zip(t).fold(false, |d, (r, t)| d | (r != t));
        }
        ok &= p.iter().fold(true, |ok, v| ok & (*v > 0.0) & (*v < f64::INFINITY));
        ok &= a.iter().fold(true, |ok, v| ok & (*v >= 0.0) & (*v < f64::INFINITY));
        ok &= s.iter().fold(true, |ok, v| ok & ((*v == 1) | (*v == -1)));
        let mut block_max = 0i64;
        if let Instruments::Column(column) = columns.instrument {
            let i = &column[range.clone()];
            ok &= i.iter().fold(true, |ok, v| ok & (*v >= 0));
            block_max = i.iter().copied().fold(0, i64::max);
        }
        if !ok {
            // The first bad row, named exactly as the row-by-row check names it.
            for row in range {
                if let Err(error) = trade_row(columns, row) {
                    chunk.error = Some(error);
                    return chunk;
                }
            }
            unreachable!("a block that fails its check has a bad row");
        }
        let out = at..at + len;
        time[out.clone()].copy_from_slice(t);
        if let (Some(from), Some(to)) = (columns.time_received_ns, received.as_deref_mut()) {
            to[out.clone()].copy_from_slice(&from[range.clone()]);
        }
        price[out.clone()].copy_from_slice(p);
        amount[out.clone()].copy_from_slice(a);
        side[out.clone()].copy_from_slice(s);
        match columns.instrument {
            Instruments::Column(column) => {
                chunk.max_instrument = chunk.max_instrument.max(block_max as usize);
                if let Some(instrument) = instrument.as_deref_mut() {
                    instrument[out].copy_from_slice(&column[start + at..start + at + len]);
                }
            }
            Instruments::Scalar(index) => chunk.max_instrument = chunk.max_instrument.max(index),
        }
        at += len;
    }
    chunk
}

/// Validates trade columns in one pass and builds a column store of them (see the
/// module docs): the values are copied, not turned into barter's records. Errors name
/// the column and the first bad row.
pub fn trades(columns: &TradeColumns<'_>, exchange: ExchangeId) -> FfiResult<MarketData> {
    let rows = columns.time_exchange_ns.len();
    check_len("price", columns.price.len(), "time", rows)?;
    check_len("amount", columns.amount.len(), "time", rows)?;
    check_len("side", columns.side.len(), "time", rows)?;
    if let Some(received) = columns.time_received_ns {
        check_len("time_received", received.len(), "time", rows)?;
    }
    check_instruments(columns.instrument, rows, "time")?;
    if rows == 0 {
        return Builder::default().finish("columns");
    }
    let scalar = match columns.instrument {
        Instruments::Scalar(index) => match i64::try_from(index) {
            Ok(index) => Some(index),
            Err(_) => return trades_as_records(columns, exchange),
        },
        Instruments::Column(_) => None,
    };
    // Zeroed allocations: fresh pages, faulted in once as the rows are written (as huge
    // pages where the kernel allows: a fifth fewer cycles for 10 M rows here).
    let mut time = vec![0i64; rows];
    let mut received = if columns.time_received_ns.is_some() { vec![0i64; rows] } else { Vec::new() };
    let mut price = vec![0f64; rows];
    let mut amount = vec![0f64; rows];
    let mut side = vec![0i8; rows];
    let mut instrument = if scalar.is_some() { Vec::new() } else { vec![0i64; rows] };
    advise_huge_pages(time.as_ptr(), time.len());
    advise_huge_pages(received.as_ptr(), received.len());
    advise_huge_pages(price.as_ptr(), price.len());
    advise_huge_pages(amount.as_ptr(), amount.len());
    advise_huge_pages(side.as_ptr(), side.len());
    advise_huge_pages(instrument.as_ptr(), instrument.len());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = cores.min(rows.div_ceil(MIN_ROWS_PER_THREAD)).max(1);
    let per_thread = rows.div_ceil(threads);
    let mut chunks: Vec<TradeChunk> = {
        // A column that is not written (empty) gives each thread `None`.
        fn optional(column: &mut [i64], threads: usize, per_thread: usize) -> Vec<Option<&mut [i64]>> {
            match column.is_empty() {
                true => (0..threads).map(|_| None).collect(),
                false => column.chunks_mut(per_thread).map(Some).collect(),
            }
        }
        let parts: Vec<TradeParts<'_>> = time
            .chunks_mut(per_thread)
            .zip(optional(&mut received, threads, per_thread))
            .zip(price.chunks_mut(per_thread))
            .zip(amount.chunks_mut(per_thread))
            .zip(side.chunks_mut(per_thread))
            .zip(optional(&mut instrument, threads, per_thread))
            .map(|(((((time, received), price), amount), side), instrument)| TradeParts {
                time,
                received,
                price,
                amount,
                side,
                instrument,
            })
            .collect();
        std::thread::scope(|scope| {
            let mut parts = parts.into_iter().enumerate();
            let (_, first) = parts.next().expect("rows > 0");
            let others: Vec<_> = parts
                .map(|(index, part)| scope.spawn(move || fill_trades(columns, index * per_thread, part)))
                .collect();
            let mut chunks = vec![fill_trades(columns, 0, first)];
            for handle in others {
                chunks.push(handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload)));
            }
            chunks
        })
    };
    if let Some(error) = chunks.iter_mut().find_map(|chunk| chunk.error.take()) {
        return Err(error);
    }
    // Kept only when some receive time differs from its exchange time.
    let time_received_ns =
        if chunks.iter().any(|chunk| chunk.received_differs) { received } else { Vec::new() };
    let instrument = match scalar {
        Some(index) => Uniform::same(index, rows),
        None => Uniform::from_vec(instrument),
    };
    let store = TradeStore {
        time_exchange_ns: time,
        time_received_ns,
        price,
        amount,
        side,
        instrument,
        exchange: Uniform::same(0, rows),
        exchanges: vec![exchange],
        ids: String::new(),
        id_ends: Vec::new(),
        reconnects: Vec::new(),
    };
    Ok(MarketData {
        time_first_event_ns: store.time_exchange_ns[0],
        store: std::sync::Arc::new(Store::Trades(store)),
        item_count: rows,
        reconnect_count: 0,
        skipped_error_count: 0,
        max_instrument: chunks.iter().map(|chunk| chunk.max_instrument).max().unwrap_or(0),
    })
}

/// [`trades`] as barter's records (instrument indices the columns cannot hold).
fn trades_as_records(columns: &TradeColumns<'_>, exchange: ExchangeId) -> FfiResult<MarketData> {
    build_rows(columns.time_exchange_ns.len(), |row, days| {
        let (time, received, price, amount, side, instrument) = trade_row(columns, row)?;
        let time_exchange = days.exchange.time(time);
        let time_received = if received == time { time_exchange } else { days.received.time(received) };
        Ok(MarketEvent {
            time_exchange,
            time_received,
            exchange,
            instrument: InstrumentIndex(instrument),
            kind: DataKind::Trade(PublicTrade { id: String::new(), price, amount, side }),
        })
    })
}

/// Validates candle columns in one pass and builds their records (see the module docs).
/// Errors name the column and the first bad row.
pub fn candles(columns: &CandleColumns<'_>, exchange: ExchangeId) -> FfiResult<MarketData> {
    let rows = columns.time_ns.len();
    for (name, column) in [
        ("open", columns.open),
        ("high", columns.high),
        ("low", columns.low),
        ("close", columns.close),
        ("volume", columns.volume),
    ] {
        check_len(name, column.len(), "time", rows)?;
    }
    if let Some(counts) = columns.trade_count {
        check_len("trade_count", counts.len(), "time", rows)?;
    }
    check_instruments(columns.instrument, rows, "time")?;
    build_rows(rows, |row, days| {
        let time = columns.time_ns[row];
        check_time("time", row, time, previous(columns.time_ns, row))?;
        let (open, high, low, close) =
            (columns.open[row], columns.high[row], columns.low[row], columns.close[row]);
        check_price("open", row, open)?;
        check_price("high", row, high)?;
        check_price("low", row, low)?;
        check_price("close", row, close)?;
        let volume = columns.volume[row];
        check_amount("volume", row, volume)?;
        let instrument = instrument_at(columns.instrument, row)?;
        let close_time = days.exchange.time(time);
        Ok(MarketEvent {
            time_exchange: close_time,
            time_received: close_time,
            exchange,
            instrument,
            kind: DataKind::Candle(Candle {
                close_time,
                open,
                high,
                low,
                close,
                volume,
                trade_count: columns.trade_count.map_or(0, |counts| counts[row]),
            }),
        })
    })
}

/// Mutable trade columns to fill, all of one length (room for that many trades).
pub struct TradeColumnsMut<'a> {
    pub time_exchange_ns: &'a mut [i64],
    pub time_received_ns: &'a mut [i64],
    pub instrument: &'a mut [i64],
    pub price: &'a mut [f64],
    pub amount: &'a mut [f64],
    pub side: &'a mut [i8],
}

/// Mutable candle columns to fill, all of one length (room for that many candles).
pub struct CandleColumnsMut<'a> {
    pub time_ns: &'a mut [i64],
    pub instrument: &'a mut [i64],
    pub open: &'a mut [f64],
    pub high: &'a mut [f64],
    pub low: &'a mut [f64],
    pub close: &'a mut [f64],
    pub volume: &'a mut [f64],
    pub trade_count: &'a mut [u64],
}

fn too_many(kind: &str, room: usize) -> FfiError {
    FfiError::invalid(format!("output columns have room for {room} rows but the data holds more {kind}"))
}

/// The items of `data` in record order (column trades as their [`TradeRef`]s).
fn items(data: &MarketData) -> impl Iterator<Item = RecordRef<'_>> {
    data.iter().filter(|record| record.instrument().is_some())
}

/// Writes every trade (in record order) into `out` in one pass and returns how many
/// there were; the columns must have room for all of them (`item_count` rows always
/// do). Side: 1 buy, -1 sell.
pub fn write_trades(data: &MarketData, out: TradeColumnsMut<'_>) -> FfiResult<usize> {
    let room = out.time_exchange_ns.len();
    for (name, len) in [
        ("time_received_ns", out.time_received_ns.len()),
        ("instrument", out.instrument.len()),
        ("price", out.price.len()),
        ("amount", out.amount.len()),
        ("side", out.side.len()),
    ] {
        check_len(name, len, "time_exchange_ns", room)?;
    }
    if let Store::Trades(trades) = data.store() {
        // Column to column.
        let rows = trades.trade_count();
        if rows > room {
            return Err(too_many("trades", room));
        }
        out.time_exchange_ns[..rows].copy_from_slice(&trades.time_exchange_ns);
        if trades.time_received_ns.is_empty() {
            out.time_received_ns[..rows].copy_from_slice(&trades.time_exchange_ns);
        } else {
            out.time_received_ns[..rows].copy_from_slice(&trades.time_received_ns);
        }
        match trades.instrument.each() {
            Some(each) => out.instrument[..rows].copy_from_slice(each),
            None => out.instrument[..rows].fill(trades.instrument.first()),
        }
        out.price[..rows].copy_from_slice(&trades.price);
        out.amount[..rows].copy_from_slice(&trades.amount);
        out.side[..rows].copy_from_slice(&trades.side);
        return Ok(rows);
    }
    let mut row = 0;
    for record in items(data) {
        let RecordRef::Record(ReconnectEvent::Item(event)) = record else { continue };
        let DataKind::Trade(trade) = &event.kind else { continue };
        if row == room {
            return Err(too_many("trades", room));
        }
        out.time_exchange_ns[row] = to_ns(event.time_exchange);
        out.time_received_ns[row] = to_ns(event.time_received);
        out.instrument[row] = event.instrument.index() as i64;
        out.price[row] = trade.price;
        out.amount[row] = trade.amount;
        out.side[row] = match trade.side {
            Side::Buy => 1,
            Side::Sell => -1,
        };
        row += 1;
    }
    Ok(row)
}

/// Writes every candle (in record order) into `out` in one pass and returns how many
/// there were; the columns must have room for all of them (`item_count` rows always do).
pub fn write_candles(data: &MarketData, out: CandleColumnsMut<'_>) -> FfiResult<usize> {
    let room = out.time_ns.len();
    for (name, len) in [
        ("instrument", out.instrument.len()),
        ("open", out.open.len()),
        ("high", out.high.len()),
        ("low", out.low.len()),
        ("close", out.close.len()),
        ("volume", out.volume.len()),
        ("trade_count", out.trade_count.len()),
    ] {
        check_len(name, len, "time_ns", room)?;
    }
    let mut row = 0;
    for record in items(data) {
        let RecordRef::Record(ReconnectEvent::Item(event)) = record else { continue };
        let DataKind::Candle(candle) = &event.kind else { continue };
        if row == room {
            return Err(too_many("candles", room));
        }
        out.time_ns[row] = to_ns(candle.close_time);
        out.instrument[row] = event.instrument.index() as i64;
        out.open[row] = candle.open;
        out.high[row] = candle.high;
        out.low[row] = candle.low;
        out.close[row] = candle.close;
        out.volume[row] = candle.volume;
        out.trade_count[row] = candle.trade_count;
        row += 1;
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade_columns<'a>(
        time: &'a [i64],
        price: &'a [f64],
        amount: &'a [f64],
        side: &'a [i8],
    ) -> TradeColumns<'a> {
        TradeColumns {
            time_exchange_ns: time,
            time_received_ns: None,
            price,
            amount,
            side,
            instrument: Instruments::Scalar(0),
        }
    }

    #[test]
    fn trades_round_trip_through_columns() {
        let time = [1_700_000_000_000_000_000, 1_700_000_000_000_000_001, 1_700_086_400_000_000_000];
        let price = [100.5, 101.0, 99.25];
        let amount = [0.1, 0.0, 2.0];
        let side = [1, -1, 1];
        let data = trades(&trade_columns(&time, &price, &amount, &side), ExchangeId::BinanceSpot).unwrap();
        assert_eq!(data.item_count, 3);
        assert_eq!(data.time_first_event_ns, time[0]);
        let (mut t, mut r, mut i, mut p, mut a, mut s) = ([0; 3], [0; 3], [9; 3], [0.0; 3], [0.0; 3], [0; 3]);
        let written = write_trades(
            &data,
            TradeColumnsMut {
                time_exchange_ns: &mut t,
                time_received_ns: &mut r,
                instrument: &mut i,
                price: &mut p,
                amount: &mut a,
                side: &mut s,
            },
        )
        .unwrap();
        assert_eq!(written, 3);
        assert_eq!((t, r, i, p, a, s), (time, time, [0; 3], price, amount, side));
    }

    #[test]
    fn first_bad_row_is_named() {
        let time = [1, 2, 3];
        let amount = [1.0; 3];
        let side = [1; 3];
        let err =
            trades(&trade_columns(&time, &[1.0, f64::NAN, -1.0], &amount, &side), ExchangeId::Simulated)
                .unwrap_err();
        assert_eq!(err.message, "price: row 1 is NaN; prices must be finite and > 0");
        let err =
            trades(&trade_columns(&[1, 3, 2], &[1.0; 3], &amount, &side), ExchangeId::Simulated).unwrap_err();
        assert!(
            err.message.starts_with("time: row 2 (2 ns) is earlier than row 1 (3 ns)"),
            "{}",
            err.message
        );
        let err =
            trades(&trade_columns(&time, &[1.0; 2], &amount, &side), ExchangeId::Simulated).unwrap_err();
        assert_eq!(err.message, "price: column has 2 rows but time has 3 (columns must have one length)");
        assert!(exchange_from_name("nasdaq").unwrap_err().message.contains("\"nasdaq\""));
        assert_eq!(exchange_from_name("binance_spot").unwrap(), ExchangeId::BinanceSpot);
    }

    #[test]
    fn parts_on_threads_report_the_lowest_bad_row_and_keep_order() {
        let rows = 4 * MIN_ROWS_PER_THREAD + 7;
        let time: Vec<i64> = (0..rows as i64).map(|i| 1_700_000_000_000_000_000 + i * 1_000_000).collect();
        let mut price: Vec<f64> = (0..rows).map(|i| 1.0 + i as f64).collect();
        let amount = vec![1.0; rows];
        let side: Vec<i8> = (0..rows).map(|i| if i % 3 == 0 { -1 } else { 1 }).collect();
        let instrument: Vec<i64> = (0..rows as i64).map(|i| i % 5).collect();
        let columns = |price: &[f64]| -> FfiResult<MarketData> {
            trades(
                &TradeColumns {
                    time_exchange_ns: &time,
                    time_received_ns: None,
                    price,
                    amount: &amount,
                    side: &side,
                    instrument: Instruments::Column(&instrument),
                },
                ExchangeId::Simulated,
            )
        };
        let data = columns(&price).unwrap();
        assert_eq!((data.item_count, data.max_instrument, data.time_first_event_ns), (rows, 4, time[0]));
        let (mut t, mut r, mut i, mut p, mut a, mut s) =
            (vec![0; rows], vec![0; rows], vec![0; rows], vec![0.0; rows], vec![0.0; rows], vec![0; rows]);
        let out = TradeColumnsMut {
            time_exchange_ns: &mut t,
            time_received_ns: &mut r,
            instrument: &mut i,
            price: &mut p,
            amount: &mut a,
            side: &mut s,
        };
        assert_eq!(write_trades(&data, out).unwrap(), rows);
        assert_eq!((&t, &r, &i, &p, &s), (&time, &time, &instrument, &price, &side));
        // A bad row in the last part (one per core: on two cores, the spawned thread's),
        // then lower ones too: the lowest is reported.
        price[rows - 2] = f64::NAN;
        assert_eq!(
            columns(&price).unwrap_err().message,
            format!("price: row {} is NaN; prices must be finite and > 0", rows - 2)
        );
        price[MIN_ROWS_PER_THREAD + 3] = -2.0;
        let err = columns(&price).unwrap_err();
        assert_eq!(
            err.message,
            format!("price: row {} is -2; prices must be finite and > 0", MIN_ROWS_PER_THREAD + 3)
        );
        price[1] = 0.0;
        assert_eq!(columns(&price).unwrap_err().message, "price: row 1 is 0; prices must be finite and > 0");
    }
}
