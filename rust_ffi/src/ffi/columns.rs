//! The columnar market data exports: trades or candles from columns (pointers and
//! lengths) into a new market data handle, and the trades or candles of a handle written
//! into caller-allocated columns.

use super::{
    ffi_call, handle_ref, str_arg, write_handle, write_out, BarterError, BarterStatus, FfiError, FfiResult,
};
use crate::ffi::market_data::BarterMarketData;
use crate::market_data::columns::{
    self, exchange_from_name, CandleColumns, CandleColumnsMut, Instruments, TradeColumns, TradeColumnsMut,
};
use crate::market_data::store::Store;
use barter_instrument::exchange::ExchangeId;
use std::ffi::c_char;

/// A read-only column of `len` int64 values; `ptr` NULL means absent (optional columns)
/// or, with `len` 0, empty.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterI64Column {
    pub ptr: *const i64,
    pub len: usize,
}

/// A read-only column of `len` uint64 values (NULL: absent, or empty with `len` 0).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterU64Column {
    pub ptr: *const u64,
    pub len: usize,
}

/// A read-only column of `len` float64 values (NULL: empty with `len` 0).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterF64Column {
    pub ptr: *const f64,
    pub len: usize,
}

/// A read-only column of `len` int8 values (NULL: empty with `len` 0).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterI8Column {
    pub ptr: *const i8,
    pub len: usize,
}

/// Trades as columns, each with its own length (Rust checks they agree).
/// `time_received_ns` NULL: the same as `time_exchange_ns`; `instrument` NULL: every
/// row has the options' `instrument`. `side`: 1 buy, -1 sell.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterTradeColumns {
    pub time_exchange_ns: BarterI64Column,
    pub time_received_ns: BarterI64Column,
    pub price: BarterF64Column,
    pub amount: BarterF64Column,
    pub side: BarterI8Column,
    pub instrument: BarterI64Column,
}

/// Candles as columns, each with its own length; `time_ns` is each candle's close time.
/// `trade_count` NULL: 0 for every row; `instrument` NULL: the options' `instrument`.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterCandleColumns {
    pub time_ns: BarterI64Column,
    pub open: BarterF64Column,
    pub high: BarterF64Column,
    pub low: BarterF64Column,
    pub close: BarterF64Column,
    pub volume: BarterF64Column,
    pub trade_count: BarterU64Column,
    pub instrument: BarterI64Column,
}

/// What the columns do not carry: the exchange (barter's `ExchangeId` serde name, e.g.
/// `"simulated"`, `"binance_spot"`) and the instrument index used when the instrument
/// column is NULL.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterColumnOptions {
    pub exchange: *const c_char,
    pub instrument: usize,
}

/// Trade columns to fill, `len` rows each (room for every trade: the item count will do).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterTradeColumnsOut {
    pub len: usize,
    pub time_exchange_ns: *mut i64,
    pub time_received_ns: *mut i64,
    pub instrument: *mut i64,
    pub price: *mut f64,
    pub amount: *mut f64,
    pub side: *mut i8,
}

/// The trade columns of a handle whose trades are held as columns, borrowed in place:
/// valid while the handle lives, never to be written.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterTradeColumnViews {
    /// Rows of each column: the trades (reconnect markers are not rows).
    pub len: usize,
    pub time_exchange_ns: *const i64,
    /// NULL when every trade's receive time is its exchange time.
    pub time_received_ns: *const i64,
    pub price: *const f64,
    pub amount: *const f64,
    /// 1 buy, -1 sell.
    pub side: *const i8,
    /// NULL when every trade is on the instrument `instrument_all`.
    pub instrument: *const i64,
    pub instrument_all: i64,
}

/// Candle columns to fill, `len` rows each (room for every candle: the item count will do).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterCandleColumnsOut {
    pub len: usize,
    pub time_ns: *mut i64,
    pub instrument: *mut i64,
    pub open: *mut f64,
    pub high: *mut f64,
    pub low: *mut f64,
    pub close: *mut f64,
    pub volume: *mut f64,
    pub trade_count: *mut u64,
}

/// A column of `len` values; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or readable for `len` values for the call.
unsafe fn column<'a, T>(ptr: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("column {name} is NULL")));
    }
    // SAFETY: non-NULL and readable for `len` values by contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An optional column: NULL means absent.
///
/// # Safety
/// As [`column`].
unsafe fn opt_column<'a, T>(ptr: *const T, len: usize) -> Option<&'a [T]> {
    // SAFETY: as `column`.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A column to fill; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or writable for `len` values for the call, and aliases no other column.
unsafe fn column_mut<'a, T>(ptr: *mut T, len: usize, name: &str) -> FfiResult<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(FfiError::new(BarterStatus::NullPointer, format!("output column {name} is NULL")));
    }
    // SAFETY: non-NULL, writable for `len` values and unaliased by contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// # Safety
/// As the exports.
unsafe fn options_arg(options: *const BarterColumnOptions) -> FfiResult<(ExchangeId, usize)> {
    let options = handle_ref(options, "options")?;
    let exchange = exchange_from_name(str_arg(options.exchange, "exchange")?)?;
    Ok((exchange, options.instrument))
}

/// # Safety
/// As the exports.
unsafe fn instruments<'a>(ptr: *const i64, len: usize, scalar: usize) -> Instruments<'a> {
    // SAFETY: as `column`.
    match unsafe { opt_column(ptr, len) } {
        Some(column) => Instruments::Column(column),
        None => Instruments::Scalar(scalar),
    }
}

/// Market data from trade columns, validated in one pass (an error names the column
/// and its first bad row: NaN / inf, prices <= 0, negative amounts, sides other than
/// 1 / -1, negative instruments, NaT or unsorted times) and built as the same records
/// JSON gives (trade ids empty). An unknown exchange is `InvalidInput`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable. Each non-NULL column is readable for its
/// `len` values.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_trade_columns(
    columns: *const BarterTradeColumns,
    options: *const BarterColumnOptions,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let c = handle_ref(columns, "columns")?;
        let (exchange, instrument) = options_arg(options)?;
        let columns = TradeColumns {
            time_exchange_ns: column(c.time_exchange_ns.ptr, c.time_exchange_ns.len, "time")?,
            time_received_ns: opt_column(c.time_received_ns.ptr, c.time_received_ns.len),
            price: column(c.price.ptr, c.price.len, "price")?,
            amount: column(c.amount.ptr, c.amount.len, "amount")?,
            side: column(c.side.ptr, c.side.len, "side")?,
            instrument: instruments(c.instrument.ptr, c.instrument.len, instrument),
        };
        let inner = columns::trades(&columns, exchange)?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// Market data from candle columns, validated in one pass (an error names the column
/// and its first bad row) and built as the same records JSON gives.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable. Each non-NULL column is readable for its
/// `len` values.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_from_candle_columns(
    columns: *const BarterCandleColumns,
    options: *const BarterColumnOptions,
    out: *mut *mut BarterMarketData,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let c = handle_ref(columns, "columns")?;
        let (exchange, instrument) = options_arg(options)?;
        let columns = CandleColumns {
            time_ns: column(c.time_ns.ptr, c.time_ns.len, "time")?,
            open: column(c.open.ptr, c.open.len, "open")?,
            high: column(c.high.ptr, c.high.len, "high")?,
            low: column(c.low.ptr, c.low.len, "low")?,
            close: column(c.close.ptr, c.close.len, "close")?,
            volume: column(c.volume.ptr, c.volume.len, "volume")?,
            trade_count: opt_column(c.trade_count.ptr, c.trade_count.len),
            instrument: instruments(c.instrument.ptr, c.instrument.len, instrument),
        };
        let inner = columns::candles(&columns, exchange)?;
        write_handle(out, BarterMarketData { inner }, "out")
    })
}

/// Writes the handle's trades, in record order, into the caller's columns in one pass
/// and their number to `written`. More trades than `len` is `InvalidInput` (the
/// handle's item count is always enough). Side: 1 buy, -1 sell.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable. Each column is writable for `len` values and
/// overlaps no other.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_trade_columns(
    handle: *const BarterMarketData,
    out: *const BarterTradeColumnsOut,
    written: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        let o = handle_ref(out, "out")?;
        let len = o.len;
        let columns = TradeColumnsMut {
            time_exchange_ns: column_mut(o.time_exchange_ns, len, "time_exchange_ns")?,
            time_received_ns: column_mut(o.time_received_ns, len, "time_received_ns")?,
            instrument: column_mut(o.instrument, len, "instrument")?,
            price: column_mut(o.price, len, "price")?,
            amount: column_mut(o.amount, len, "amount")?,
            side: column_mut(o.side, len, "side")?,
        };
        let count = columns::write_trades(data, columns)?;
        write_out(written, count, "written")
    })
}

/// Borrows the handle's trade columns in place (no copy) when its trades are held as
/// columns, and sets `found`; `found` false (nothing written to `out`) when the handle
/// holds barter's records instead (use `barter_market_data_trade_columns`).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable. The views live as long as `handle`.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_trade_column_views(
    handle: *const BarterMarketData,
    out: *mut BarterTradeColumnViews,
    found: *mut bool,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        let Store::Trades(trades) = data.store() else {
            return write_out(found, false, "found");
        };
        let optional = |column: &[i64]| if column.is_empty() { std::ptr::null() } else { column.as_ptr() };
        let views = BarterTradeColumnViews {
            len: trades.trade_count(),
            time_exchange_ns: trades.time_exchange_ns.as_ptr(),
            time_received_ns: optional(&trades.time_received_ns),
            price: trades.price.as_ptr(),
            amount: trades.amount.as_ptr(),
            side: trades.side.as_ptr(),
            instrument: trades.instrument.each().map_or(std::ptr::null(), <[i64]>::as_ptr),
            instrument_all: trades.instrument.first(),
        };
        write_out(out, views, "out")?;
        write_out(found, true, "found")
    })
}

/// Writes the handle's candles, in record order, into the caller's columns in one pass
/// and their number to `written`. More candles than `len` is `InvalidInput` (the
/// handle's item count is always enough).
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable. Each column is writable for `len` values and
/// overlaps no other.
#[no_mangle]
pub unsafe extern "C" fn barter_market_data_candle_columns(
    handle: *const BarterMarketData,
    out: *const BarterCandleColumnsOut,
    written: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let data = &handle_ref(handle, "market data handle")?.inner;
        let o = handle_ref(out, "out")?;
        let len = o.len;
        let columns = CandleColumnsMut {
            time_ns: column_mut(o.time_ns, len, "time_ns")?,
            instrument: column_mut(o.instrument, len, "instrument")?,
            open: column_mut(o.open, len, "open")?,
            high: column_mut(o.high, len, "high")?,
            low: column_mut(o.low, len, "low")?,
            close: column_mut(o.close, len, "close")?,
            volume: column_mut(o.volume, len, "volume")?,
            trade_count: column_mut(o.trade_count, len, "trade_count")?,
        };
        let count = columns::write_candles(data, columns)?;
        write_out(written, count, "written")
    })
}
