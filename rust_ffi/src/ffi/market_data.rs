//! The market data exports: load from a file or bytes, clone, counts, record views,
//! event rows as JSON, the binary form (to/from bytes, save/load), free.

use super::cancel::{cancel_arg, BarterCancel};
use super::{
    bytes_arg, ffi_call, free_handle, handle_ref, opt_str_arg, str_arg, write_bytes, write_handle, write_out,
    BarterError, BarterStatus, FfiError,
};
use crate::market_data::{
    binary, load_file_cancellable, parse_cancellable, to_ns, LoadOptions, MarketData, RecordRef,
};
use barter_data::event::DataKind;
use barter_data::streams::reconnect::Event as ReconnectEvent;
use std::ffi::c_char;
use std::ptr;

/// Opaque handle to market data (`Arc` inside, `Send + Sync`).
pub struct BarterMarketData {
    pub(crate) inner: MarketData,
}

/// Counts and first-event time of a market data handle.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterMarketDataInfo {
    /// All records, reconnect markers included.
    pub records: usize,
    pub items: usize,
    pub reconnects: usize,
    /// `{"Item":{"Err":...}}` records dropped because `skip_errors` was set.
    pub skipped_errors: usize,
    /// `time_exchange` of the first item, nanoseconds since the Unix epoch (UTC).
    pub time_first_event_ns: i64,
    /// Highest instrument index referenced by an item.
    pub max_instrument: usize,
}

impl From<&MarketData> for BarterMarketDataInfo {
    fn from(data: &MarketData) -> Self {
        Self {
            records: data.len(),
            items: data.item_count,
            reconnects: data.reconnect_count,
            skipped_errors: data.skipped_error_count,
            time_first_event_ns: data.time_first_event_ns,
            max_instrument: data.max_instrument,
        }
    }
}

/// Options for `barter_market_data_from_json_file_with`.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterLoadOptions {
    /// Drop `{"Item":{"Err":...}}` records (array shape) and count them instead of failing.
    pub skip_errors: bool,
    /// Parser threads for JSON Lines; 0 means one per available core.
    pub threads: usize,
}

/// What one record is, for `barter_market_data_record_view`.
#[repr(C)]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum BarterRecordKind {
    Reconnecting = 0,
    Trade = 1,
    OrderBookL1 = 2,
    OrderBook = 3,
    Candle = 4,
    Liquidation = 5,
}

/// A borrowed view of one record. String pointers point into the handle's data (or
/// static memory) and stay valid while the handle is alive; they are not NUL-terminated.
/// Trade fields are set for `Trade` records only; the other kinds are read as JSON
/// through `barter_market_data_events_json`.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterRecordView {
    pub kind: BarterRecordKind,
    /// barter's exchange id (`binance_spot`...), for items and reconnect markers.
    pub exchange: *const u8,
    pub exchange_len: usize,
    pub time_exchange_ns: i64,
    pub time_received_ns: i64,
    pub instrument: usize,
    pub trade_id: *const u8,
    pub trade_id_len: usize,
    pub trade_price: f64,
    pub trade_amount: f64,
    /// 0 buy, 1 sell.
    pub trade_side: u8,
}

impl BarterRecordView {
    /// A view of record `index`, or `None` past the end.
    fn of(data: &MarketData, index: usize) -> Option<Self> {
        data.get(index).map(Self::from_ref)
    }

    /// A view of one record (its strings borrowed from the handle's data).
    fn from_ref(record: RecordRef<'_>) -> Self {
        let mut view = BarterRecordView {
            kind: BarterRecordKind::Reconnecting,
            exchange: std::ptr::null(),
            exchange_len: 0,
            time_exchange_ns: 0,
            time_received_ns: 0,
            instrument: 0,
            trade_id: std::ptr::null(),
            trade_id_len: 0,
            trade_price: 0.0,
            trade_amount: 0.0,
            trade_side: 0,
        };
        let side = |side| match side {
            barter_instrument::Side::Buy => 0,
            barter_instrument::Side::Sell => 1,
        };
        match record {
            RecordRef::Record(ReconnectEvent::Reconnecting(_)) | RecordRef::Reconnecting(_) => {}
            RecordRef::Record(ReconnectEvent::Item(event)) => {
                view.time_exchange_ns = to_ns(event.time_exchange);
                view.time_received_ns = to_ns(event.time_received);
                view.instrument = event.instrument.index();
                view.kind = match &event.kind {
                    DataKind::Trade(trade) => {
                        view.trade_id = trade.id.as_ptr();
                        view.trade_id_len = trade.id.len();
                        view.trade_price = trade.price;
                        view.trade_amount = trade.amount;
                        view.trade_side = side(trade.side);
                        BarterRecordKind::Trade
                    }
                    DataKind::OrderBookL1(_) => BarterRecordKind::OrderBookL1,
                    DataKind::OrderBook(_) => BarterRecordKind::OrderBook,
                    DataKind::Candle(_) => BarterRecordKind::Candle,
                    DataKind::Liquidation(_) => BarterRecordKind::Liquidation,
                };
            }
            RecordRef::Trade(trade) => {
                view.kind = BarterRecordKind::Trade;
                view.time_exchange_ns = trade.time_exchange_ns;
                view.time_received_ns = trade.time_received_ns;
                view.instrument = trade.instrument;
                view.trade_id = trade.id.as_ptr();
                view.trade_id_len = trade.id.len();
                view.trade_price = trade.price;
                view.trade_amount = trade.amount;
                view.trade_side = side(trade.side);
            }
        }
        let name = record.exchange().as_str();
        view.exchange = name.as_ptr();
        view.exchange_len = name.len();
        view
    }
}

/// Fills `out` with a borrowed view of record `index` (reconnect markers included).
/// No allocation and no copy: the fast path for turning trades into Python objects.
/// `index` past the end is `InvalidInput`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_record_view(
    handle: *const BarterMarketData,
    index: usize,
    out: *mut BarterRecordView,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        let view = BarterRecordView::of(data, index).ok_or_else(|| {
            FfiError::invalid(format!("record index {index} out of range ({} records)", data.len()))
        })?;
        write_out(out, view, "out")
    })
}

/// Loads market data from a file (either shape). A missing file is `NotFound`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_json_file(
    path: *const c_char,
    skip_errors: bool,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    let options = BarterLoadOptions { skip_errors, ..BarterLoadOptions::default() };
    // SAFETY: the caller's contract is the cancellable loader's; NULL: never cancelled.
    unsafe { barter_market_data_from_json_file_cancellable(path, &options, ptr::null(), out, err) }
}

/// Loads market data from a UTF-8 JSON buffer (either shape); `source` (may be NULL)
/// names it in error messages.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_json_bytes(
    data: *const u8,
    len: usize,
    source: *const c_char,
    skip_errors: bool,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    let options = BarterLoadOptions { skip_errors, ..BarterLoadOptions::default() };
    // SAFETY: the caller's contract is the cancellable loader's; NULL: never cancelled.
    unsafe {
        barter_market_data_from_json_bytes_cancellable(data, len, source, &options, ptr::null(), out, err)
    }
}

/// Loads market data from a file with options (NULL `options`: the defaults). The file
/// may be plain, gzip or zstd (recognised by magic bytes); JSON Lines are parsed on
/// `options.threads` threads. Only regular files are read: a FIFO, device or directory
/// is `Io`, a missing file `NotFound`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_json_file_with(
    path: *const c_char,
    options: *const BarterLoadOptions,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    // SAFETY: the caller's contract is the cancellable loader's; NULL: never cancelled.
    unsafe { barter_market_data_from_json_file_cancellable(path, options, ptr::null(), out, err) }
}

/// The binary form of the market data (see `market_data::binary`: versioned header,
/// checksum, every record exact); free the buffer with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_to_bytes(
    handle: *const BarterMarketData,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let bytes = binary::encode(&handle_ref(handle, "market data handle")?.inner)?;
        write_bytes(bytes, out_ptr, out_len)
    })
}

/// Market data from its binary form (`barter_market_data_to_bytes`), decoded on
/// `threads` threads (0: one per core). A truncated, corrupted or other-version buffer
/// is `InvalidInput`; `source` (may be NULL) names it in error messages.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_bytes(
    data: *const u8,
    len: usize,
    source: *const c_char,
    threads: usize,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    // SAFETY: the caller's contract is the cancellable loader's; NULL: never cancelled.
    unsafe { barter_market_data_from_bytes_cancellable(data, len, source, threads, ptr::null(), out, err) }
}

/// Writes the binary form to `path` (a temporary file renamed into place).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_save(
    handle: *const BarterMarketData,
    path: *const c_char,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        binary::save(data, str_arg(path, "path")?)
    })
}

/// Reads a file written by `barter_market_data_save`, decoded on `threads` threads (0:
/// one per core). A missing file is `NotFound`, a non-regular file `Io`, a truncated,
/// corrupted or other-version file `InvalidInput`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_load(
    path: *const c_char,
    threads: usize,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    // SAFETY: the caller's contract is the cancellable loader's; NULL: never cancelled.
    unsafe { barter_market_data_load_cancellable(path, threads, ptr::null(), out, err) }
}

/// A second handle sharing the same records (no parsing, no copy).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_clone(
    handle: *const BarterMarketData,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let inner = handle_ref(handle, "market data handle")?.inner.clone();
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// Counts and first-event time.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_info(
    handle: *const BarterMarketData,
    out: *mut BarterMarketDataInfo,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let info = BarterMarketDataInfo::from(&handle_ref(handle, "market data handle")?.inner);
        write_out(out, info, "out")
    })
}

/// The items among records `start..stop` as JSON rows (see `MarketData::items_json`);
/// free the buffer with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_events_json(
    handle: *const BarterMarketData,
    start: usize,
    stop: usize,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let json = handle_ref(handle, "market data handle")?.inner.items_json(start, stop)?;
        write_bytes(json, out_ptr, out_len)
    })
}

/// Frees a market data handle; NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_free(handle: *mut BarterMarketData) {
    free_handle(handle)
}

/// Fills `out[0..n]` with borrowed views of the records from `start` on, where
/// `n = min(capacity, records - start)` is written to `written` (0 at or past the end):
/// [`barter_market_data_record_view`] for a run of records in one call.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable; `out` writable for `capacity` views.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_record_views(
    handle: *const BarterMarketData,
    start: usize,
    out: *mut BarterRecordView,
    capacity: usize,
    written: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        let count = capacity.min(data.len().saturating_sub(start));
        if count > 0 && out.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "out is NULL"));
        }
        for (offset, record) in data.iter_from(start).take(count).enumerate() {
            // SAFETY: `out` is writable for `capacity` >= `count` views, by contract.
            unsafe { out.add(offset).write(BarterRecordView::from_ref(record)) };
        }
        write_out(written, count, "written")
    })
}

// ---------------------------------------------------------------------------------------
// Cancellable loaders: the loaders above with a cancel token (`barter_cancel_new`; NULL:
// never cancelled). Tripped from another thread, the load stops within milliseconds
// (checked every block of 1 MiB of JSON Lines, every 8 MiB read, every 16,384 elements
// of a JSON array of trades, every block of the binary form) with
// `BARTER_STATUS_CANCELLED`, and what was loaded so far is freed. A JSON array that is
// not plain trades goes through serde in one piece, checked only before and after.

/// `barter_market_data_from_json_file_with` with a cancel token.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_json_file_cancellable(
    path: *const c_char,
    options: *const BarterLoadOptions,
    cancel: *const BarterCancel,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let path = str_arg(path, "path")?;
        let inner = load_file_cancellable(path, load_options(options), &cancel_arg(cancel))?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// `barter_market_data_from_json_bytes` with options (NULL: the defaults; JSON Lines
/// are parsed on `options.threads` threads) and a cancel token.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_json_bytes_cancellable(
    data: *const u8,
    len: usize,
    source: *const c_char,
    options: *const BarterLoadOptions,
    cancel: *const BarterCancel,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let bytes = bytes_arg(data, len, "data")?;
        let source = opt_str_arg(source, "source")?.unwrap_or("<json>");
        let inner = parse_cancellable(bytes, source, load_options(options), &cancel_arg(cancel))?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// `barter_market_data_from_bytes` with a cancel token.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_bytes_cancellable(
    data: *const u8,
    len: usize,
    source: *const c_char,
    threads: usize,
    cancel: *const BarterCancel,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let bytes = bytes_arg(data, len, "data")?;
        let source = opt_str_arg(source, "source")?.unwrap_or("<bytes>");
        let inner = binary::decode_cancellable(bytes, source, threads, &cancel_arg(cancel))?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// `barter_market_data_load` with a cancel token.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_load_cancellable(
    path: *const c_char,
    threads: usize,
    cancel: *const BarterCancel,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let inner = binary::load_cancellable(str_arg(path, "path")?, threads, &cancel_arg(cancel))?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// The options behind an options argument (the defaults for NULL).
///
/// # Safety
/// `options` is NULL or points to a readable options struct.
unsafe fn load_options(options: *const BarterLoadOptions) -> LoadOptions {
    // SAFETY: NULL or readable, by the caller's contract.
    let options = unsafe { options.as_ref() }.copied().unwrap_or_default();
    LoadOptions { skip_errors: options.skip_errors, threads: options.threads }
}
