//! The two JSON shapes of market data and how they are parsed.
//!
//! - A JSON array of `{"Item":{"Ok":..}}` / `{"Item":{"Err":..}}` / `{"Reconnecting":..}`
//!   results: parsed in one piece by serde on one thread (the array is rarely large;
//!   splitting it would need a second scanner of JSON syntax).
//! - JSON Lines of `{"Item":{..}}` / `{"Reconnecting":..}`: cut into line-aligned blocks
//!   that worker threads parse (fast path first, serde for whatever it does not
//!   recognise), merged back in file order. A block stops at its first bad line, and the
//!   merge stops at the first block with an error, so the error reported is the first one
//!   in file order, with the line and column in the file.

use super::fast::{self, ExchangeCache};
use super::source::{read_full, Input};
use super::{out_of_range_time, Builder, LoadOptions, MarketData};
use crate::cancel::Cancel;
use crate::error::{panic_message, FfiError, FfiResult};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::{
    books::{Level, OrderBook},
    event::{DataKind, MarketEvent},
    subscription::{
        book::{OrderBookEvent, OrderBookL1},
        candle::Candle,
        liquidation::Liquidation,
        trade::PublicTrade,
    },
};
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

/// Bytes of JSON Lines per block handed to a worker.
const BLOCK_BYTES: usize = 1 << 20;

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

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the input starts with, after an optional UTF-8 BOM.
enum Shape {
    Empty,
    Array,
    Lines,
}

fn shape_of(bytes: &[u8]) -> Shape {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Shape::Empty,
        Some(b'[') => Shape::Array,
        Some(_) => Shape::Lines,
    }
}

fn empty_input(source: &str) -> FfiError {
    FfiError::invalid(format!("{source}: no market data records (input is empty)"))
}

/// Parses a whole buffer (either shape).
pub fn parse_slice(
    bytes: &[u8],
    source: &str,
    options: LoadOptions,
    cancel: &Cancel,
) -> FfiResult<MarketData> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    match shape_of(bytes) {
        Shape::Empty => Err(empty_input(source)),
        Shape::Array => parse_array(bytes, source, options.skip_errors, cancel),
        Shape::Lines => {
            let blocks = SliceBlocks { rest: bytes, total: bytes.len() as u64 };
            parse_lines(blocks, source, options.thread_count(), cancel)
        }
    }
}

/// Parses an opened input (either shape), streaming JSON Lines block by block so the
/// whole text is never held at once.
pub fn parse_reader(
    mut input: Input,
    source: &str,
    options: LoadOptions,
    cancel: &Cancel,
) -> FfiResult<MarketData> {
    // Read until the first non-whitespace byte decides the shape.
    let mut head = Vec::with_capacity(BLOCK_BYTES);
    let mut eof = false;
    let shape = loop {
        cancel.check()?;
        let start = head.len();
        head.resize(start + (1 << 16), 0);
        let got = read_full(&mut input.reader, &mut head[start..]).map_err(|e| input.read_error(&e))?;
        head.truncate(start + got);
        eof = eof || got == 0 || got < (1 << 16);
        let body = if head.len() >= BOM.len() || eof { head.strip_prefix(BOM).unwrap_or(&head) } else { &[] };
        match shape_of(body) {
            Shape::Empty if eof => break Shape::Empty,
            Shape::Empty => continue,
            shape => break shape,
        }
    };
    if head.starts_with(BOM) {
        head.drain(..BOM.len());
    }
    match shape {
        Shape::Empty => Err(empty_input(source)),
        Shape::Array => {
            // The whole array is parsed at once: check it can fit before reading it all.
            if input.compression == super::source::Compression::None {
                if let Some(memory) = super::source::physical_memory() {
                    if input.file_size > memory {
                        return Err(FfiError::invalid(format!(
                            "{source}: a {} byte JSON array does not fit in this machine's {} bytes of memory; \
                             write it as JSON Lines, which are parsed as they are read",
                            input.file_size, memory
                        )));
                    }
                }
                head.reserve(usize::try_from(input.file_size).unwrap_or(0).saturating_sub(head.len()));
            }
            if !eof {
                // In slices, so a cancel is seen while a big array is read.
                loop {
                    cancel.check()?;
                    let start = head.len();
                    head.resize(start + BLOCK_BYTES * 8, 0);
                    let got =
                        read_full(&mut input.reader, &mut head[start..]).map_err(|e| input.read_error(&e))?;
                    head.truncate(start + got);
                    if got == 0 {
                        break;
                    }
                }
            }
            parse_array(&head, source, options.skip_errors, cancel)
        }
        Shape::Lines => {
            let produced = head.len() as u64;
            let blocks = ReaderBlocks { input, carry: head, eof, produced };
            parse_lines(blocks, source, options.thread_count(), cancel)
        }
    }
}

fn parse_array(bytes: &[u8], source: &str, skip_errors: bool, cancel: &Cancel) -> FfiResult<MarketData> {
    // Arrays of plain trades and reconnects take the fast path; anything else is serde's
    // (one call, not cancellable once it started).
    if let Some(builder) = fast::parse_array(bytes, &mut ExchangeCache::default(), cancel) {
        return builder.finish(source);
    }
    cancel.check()?; // the fast path gives up when cancelled
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
            ResultRecord::Item(Ok(event)) => {
                let event = event.map_kind(DataKind::from);
                if let Some(problem) = out_of_range_time(&event) {
                    return Err(FfiError::invalid(format!("{source}: record {index}: {problem}")));
                }
                builder.item(event)
            }
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

// ---------------------------------------------------------------------------------------
// JSON Lines: blocks, workers, ordered merge.

/// A block of whole lines (the last one may lack its newline at the end of the input).
enum Block<'a> {
    Borrowed(&'a [u8]),
    /// A recycled buffer and how many of its bytes belong to the block.
    Owned(Vec<u8>, usize),
}

impl Block<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Block::Borrowed(bytes) => bytes,
            Block::Owned(buf, len) => &buf[..*len],
        }
    }
}

/// Produces line-aligned blocks in input order. `spare` is a recycled buffer.
trait Blocks<'a>: Send {
    fn next_block(&mut self, spare: Option<Vec<u8>>) -> FfiResult<Option<Block<'a>>>;
    /// Estimated bytes of JSON in the whole input (decompressed), from what was read, and
    /// whether it is exact (an uncompressed input).
    fn total_hint(&self) -> (u64, bool);
}

struct SliceBlocks<'a> {
    rest: &'a [u8],
    total: u64,
}

impl<'a> Blocks<'a> for SliceBlocks<'a> {
    fn next_block(&mut self, _spare: Option<Vec<u8>>) -> FfiResult<Option<Block<'a>>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let cut = if self.rest.len() <= BLOCK_BYTES {
            self.rest.len()
        } else {
            match memchr::memchr(b'\n', &self.rest[BLOCK_BYTES..]) {
                Some(at) => BLOCK_BYTES + at + 1,
                None => self.rest.len(),
            }
        };
        let (block, rest) = self.rest.split_at(cut);
        self.rest = rest;
        self.total = self.total.max(block.len() as u64 + rest.len() as u64);
        Ok(Some(Block::Borrowed(block)))
    }

    fn total_hint(&self) -> (u64, bool) {
        (self.total, true)
    }
}

struct ReaderBlocks {
    input: Input,
    /// Bytes read but not handed out yet (the start of an unfinished line).
    carry: Vec<u8>,
    eof: bool,
    /// Decompressed bytes read so far.
    produced: u64,
}

impl<'a> Blocks<'a> for ReaderBlocks {
    fn next_block(&mut self, spare: Option<Vec<u8>>) -> FfiResult<Option<Block<'a>>> {
        // Buffers are recycled at full length: only growth is zeroed, never a reuse.
        let mut buf = spare.unwrap_or_default();
        if buf.len() < self.carry.len() {
            buf.resize(self.carry.len(), 0);
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        loop {
            if filled >= BLOCK_BYTES || self.eof {
                if let Some(at) = memchr::memrchr(b'\n', &buf[..filled]) {
                    self.carry.extend_from_slice(&buf[at + 1..filled]);
                    return Ok(Some(Block::Owned(buf, at + 1)));
                }
                if self.eof {
                    return Ok((filled > 0).then_some(Block::Owned(buf, filled)));
                }
            }
            let want = BLOCK_BYTES.max(filled / 2);
            if buf.len() < filled + want {
                buf.resize(filled + want, 0);
            }
            let got = read_full(&mut self.input.reader, &mut buf[filled..filled + want])
                .map_err(|e| self.input.read_error(&e))?;
            filled += got;
            self.produced += got as u64;
            self.eof = got < want;
        }
    }

    fn total_hint(&self) -> (u64, bool) {
        if self.input.compression == super::source::Compression::None {
            return (self.input.file_size, true);
        }
        // The file's size times the compression ratio seen so far.
        let consumed = self.input.file_bytes_read.load(Ordering::Relaxed).max(1);
        ((self.input.file_size as f64 * self.produced as f64 / consumed as f64) as u64, false)
    }
}

/// A bad line inside a block, located relative to the block.
struct BlockError {
    /// 0-based line within the block.
    line: usize,
    /// 0-based record within the block (blank lines are not records).
    record: usize,
    /// serde's column for syntax and type errors; `None` for errors about a value.
    column: Option<usize>,
    message: String,
}

struct BlockOutput {
    builder: Builder,
    /// Newlines in the block (lines the next block starts after).
    newlines: usize,
    error: Option<BlockError>,
}

/// Parses the lines of `bytes` into `builder`: returns the newlines seen and the first
/// error (its record counted from the records `builder` had on entry).
fn parse_block_into(
    bytes: &[u8],
    cache: &mut ExchangeCache,
    builder: &mut Builder,
) -> (usize, Option<BlockError>) {
    let first_record = builder.len();
    let mut newlines = 0;
    let mut start = 0;
    while start < bytes.len() {
        // The fast path finds the end of its line itself.
        if let Some((record, used)) = fast::parse_line(&bytes[start..], cache) {
            match record {
                fast::FastRecord::Trade(trade) => builder.trade(&trade),
                fast::FastRecord::Reconnecting(exchange) => builder.reconnect(exchange),
            }
            start += used;
            newlines += usize::from(bytes[start - 1] == b'\n');
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |at| start + at);
        let line = &bytes[start..end];
        let line_index = newlines;
        if end < bytes.len() {
            newlines += 1;
        }
        start = end + 1;
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let record = builder.len() - first_record;
        match serde_json::from_slice::<LineRecord>(line) {
            Ok(ReconnectEvent::Item(event)) => {
                let event = event.map_kind(DataKind::from);
                if let Some(problem) = out_of_range_time(&event) {
                    let error = BlockError { line: line_index, record, column: None, message: problem };
                    return (newlines, Some(error));
                }
                builder.item(event)
            }
            Ok(ReconnectEvent::Reconnecting(exchange)) => builder.reconnect(exchange),
            Err(e) => {
                let message = describe_serde_error(&e);
                let error = BlockError { line: line_index, record, column: Some(e.column()), message };
                return (newlines, Some(error));
            }
        }
    }
    (newlines, None)
}

fn parse_block(bytes: &[u8], cache: &mut ExchangeCache) -> BlockOutput {
    let mut builder = Builder::with_capacity(bytes.len() / 180 + 1);
    let (newlines, error) = parse_block_into(bytes, cache, &mut builder);
    BlockOutput { builder, newlines, error }
}

/// Merges block outputs in order and turns the first error into the crate's error.
struct Merger<'s> {
    source: &'s str,
    builder: Builder,
    /// Lines before the next block.
    lines: usize,
    /// Whether the merged records were sized from an estimate, and what it was based on.
    presized: bool,
    merged_bytes: u64,
    merged_records: u64,
}

impl Merger<'_> {
    /// The error of a block that starts after `self.lines` lines and `records_before`
    /// records.
    fn error(&self, error: BlockError, records_before: usize) -> FfiError {
        let line = self.lines + error.line + 1;
        let record = records_before + error.record;
        let source = self.source;
        FfiError::invalid(match error.column {
            Some(column) => format!("{source}: line {line} column {column}: {}", error.message),
            None => format!("{source}: line {line}: record {record}: {}", error.message),
        })
    }

    /// Sizes the merged records once, from the records per byte seen so far and the
    /// input's estimated size (5 % spare, 15 % for a compressed input): a record array
    /// that grows by reallocation may be copied, briefly holding it twice. An exact size
    /// (a plain input) is used at the first block; a compressed input's ratio is trusted
    /// after 64 MiB of JSON. Spare capacity is never touched, so it takes no memory.
    fn presize(&mut self, block_bytes: usize, block_records: usize, (total, exact): (u64, bool)) {
        self.merged_bytes += block_bytes as u64;
        self.merged_records += block_records as u64;
        if self.presized || self.merged_bytes == 0 || (!exact && self.merged_bytes < 64 << 20) {
            return;
        }
        self.presized = true;
        let per_byte = self.merged_records as f64 / self.merged_bytes as f64;
        let spare = if exact { 1.05 } else { 1.15 };
        let estimate = (total.max(self.merged_bytes) as f64 * per_byte * spare) as usize + 1024;
        // Never more than the input could hold (a record takes at least 20 bytes of JSON).
        let estimate = estimate.min(usize::try_from(total / 20).unwrap_or(usize::MAX) + 1024);
        let len = self.builder.len();
        if estimate > len {
            self.builder.reserve(estimate - len);
        }
    }

    fn merge(
        &mut self,
        mut output: BlockOutput,
        block_bytes: usize,
        total_hint: (u64, bool),
    ) -> FfiResult<()> {
        if let Some(error) = output.error {
            return Err(self.error(error, self.builder.len()));
        }
        self.presize(block_bytes, output.builder.len(), total_hint);
        self.builder.append(&mut output.builder);
        self.lines += output.newlines;
        Ok(())
    }

    /// Parses a block straight into the merged records (one thread: nothing to reorder).
    fn parse_in_place(
        &mut self,
        bytes: &[u8],
        cache: &mut ExchangeCache,
        total_hint: (u64, bool),
    ) -> FfiResult<()> {
        let before = self.builder.len();
        let (newlines, error) = parse_block_into(bytes, cache, &mut self.builder);
        if let Some(error) = error {
            return Err(self.error(error, before));
        }
        let parsed = self.builder.len() - before;
        self.presize(bytes.len(), parsed, total_hint);
        self.lines += newlines;
        Ok(())
    }
}

fn parse_lines<'a, B: Blocks<'a>>(
    mut blocks: B,
    source: &str,
    threads: usize,
    cancel: &Cancel,
) -> FfiResult<MarketData> {
    let mut merger = Merger {
        source,
        builder: Builder::default(),
        lines: 0,
        presized: false,
        merged_bytes: 0,
        merged_records: 0,
    };
    if threads <= 1 {
        let mut cache = ExchangeCache::default();
        let mut spare = None;
        while let Some(block) = {
            cancel.check()?; // every block: 1 MiB of JSON
            blocks.next_block(spare.take())?
        } {
            let hint = blocks.total_hint();
            merger.parse_in_place(block.bytes(), &mut cache, hint)?;
            if let Block::Owned(buf, _) = block {
                spare = Some(buf);
            }
        }
        return merger.builder.finish(source);
    }

    type Job<'b> = (usize, Block<'b>);
    type Done<'b> = (usize, Result<BlockOutput, String>, Block<'b>);
    let stop = AtomicBool::new(false);
    let (job_tx, job_rx) = mpsc::channel::<Job<'a>>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done<'a>>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (job_rx, stop) = (&job_rx, &stop);
            scope.spawn(move || {
                let mut cache = ExchangeCache::default();
                loop {
                    let job = job_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((seq, block)) = job else { break };
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let output = crate::log::catch_quietly(|| parse_block(block.bytes(), &mut cache))
                        .map_err(|payload| panic_message(payload.as_ref()));
                    if done_tx.send((seq, output, block)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let result = (|| {
            let max_in_flight = threads * 3;
            let (mut sent, mut merged, mut eof) = (0usize, 0usize, false);
            let mut pending: BTreeMap<usize, (BlockOutput, usize)> = BTreeMap::new();
            let mut spares: Vec<Vec<u8>> = Vec::new();
            loop {
                while !eof && sent - merged < max_in_flight {
                    cancel.check()?; // every block: 1 MiB of JSON
                    match blocks.next_block(spares.pop())? {
                        Some(block) => {
                            job_tx
                                .send((sent, block))
                                .map_err(|_| FfiError::engine("parser threads stopped"))?;
                            sent += 1;
                        }
                        None => eof = true,
                    }
                }
                if merged == sent {
                    return Ok(());
                }
                cancel.check()?;
                let (seq, output, block) =
                    done_rx.recv().map_err(|_| FfiError::engine("parser threads stopped"))?;
                let block_bytes = block.bytes().len();
                if let Block::Owned(buf, _) = block {
                    spares.push(buf);
                }
                let output = output.map_err(|message| {
                    FfiError::new(
                        crate::error::BarterStatus::Panic,
                        format!("parser thread panicked: {message}"),
                    )
                })?;
                pending.insert(seq, (output, block_bytes));
                while let Some((output, block_bytes)) = pending.remove(&merged) {
                    merger.merge(output, block_bytes, blocks.total_hint())?;
                    merged += 1;
                }
            }
        })();
        stop.store(true, Ordering::Relaxed);
        drop(job_tx);
        result
    })?;
    merger.builder.finish(source)
}
