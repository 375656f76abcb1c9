//! Summaries across the C ABI: a handle holding the summaries of a run (one) or of a
//! batch (many, in input order). Each summary is read in place as a view: its head as
//! JSON (every field but the columns) and its closed positions and equity curve as
//! columns borrowed from the handle, valid until `barter_summaries_free`. No JSON is
//! made for the columns, so reading them costs copies of flat arrays, not parsing.

use super::columns::{BarterF64Column, BarterI64Column, BarterI8Column};
use super::{ffi_call, free_handle, handle_ref, write_bytes, write_out, BarterError, BarterStatus, FfiError};
use crate::summary::{DecimalColumn, MultiBacktestSummaryWire};

/// Opaque handle to the summaries of a run or a batch.
pub struct BarterSummaries {
    pub(crate) inner: MultiBacktestSummaryWire,
    /// `head_json()` of each summary, made once.
    pub(crate) heads: Vec<Vec<u8>>,
}

impl BarterSummaries {
    pub(crate) fn new(inner: MultiBacktestSummaryWire) -> Result<Self, FfiError> {
        let heads = inner.summaries.iter().map(|s| s.head_json()).collect::<Result<_, _>>()?;
        Ok(Self { inner, heads })
    }
}

/// Bytes borrowed from a handle (`ptr` may be NULL when `len` is 0).
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterText {
    pub ptr: *const u8,
    pub len: usize,
}

impl From<&[u8]> for BarterText {
    fn from(bytes: &[u8]) -> Self {
        Self { ptr: bytes.as_ptr(), len: bytes.len() }
    }
}

impl From<&DecimalColumn> for BarterText {
    fn from(column: &DecimalColumn) -> Self {
        Self::from(column.0.as_bytes())
    }
}

/// The count and the batch's wall time.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq, Eq)]
pub struct BarterSummariesInfo {
    pub count: usize,
    pub duration_ns: i64,
}

/// One summary, borrowed from its handle. `head_json` is the summary's JSON without
/// its columns: `"positions"` holds only `"instruments"`, the names the `instrument`
/// column indexes, and there is no `"equity"`. Every position column has `positions`
/// rows: `side` 1 (buy, long) or -1 (sell, short); `quantity`, `price_entry`,
/// `price_exit`, `fees` and `pnl` are exact decimals (rust_decimal's `Display` form)
/// separated by single spaces, `positions` of them (empty text for none). The equity
/// columns have one row per point.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct BarterSummaryView {
    pub head_json: BarterText,
    pub positions: usize,
    pub instrument: BarterI64Column,
    pub side: BarterI8Column,
    pub quantity: BarterText,
    pub price_entry: BarterText,
    pub price_exit: BarterText,
    pub fees: BarterText,
    pub pnl: BarterText,
    pub time_enter_ns: BarterI64Column,
    pub time_exit_ns: BarterI64Column,
    pub equity_time_ns: BarterI64Column,
    pub equity_value: BarterF64Column,
}

fn i64_column(values: &[i64]) -> BarterI64Column {
    BarterI64Column { ptr: values.as_ptr(), len: values.len() }
}

/// The number of summaries and the batch's wall time.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_summaries_info(
    handle: *const BarterSummaries,
    out: *mut BarterSummariesInfo,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let inner = &handle_ref(handle, "summaries handle")?.inner;
        write_out(
            out,
            BarterSummariesInfo { count: inner.summaries.len(), duration_ns: inner.duration_ns },
            "out",
        )
    })
}

/// Summary `index` (input order) as a view borrowing from the handle: valid until
/// `barter_summaries_free`. An index past the end is `InvalidInput`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_summaries_get(
    handle: *const BarterSummaries,
    index: usize,
    out: *mut BarterSummaryView,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let handle = handle_ref(handle, "summaries handle")?;
        if out.is_null() {
            return Err(FfiError::new(BarterStatus::NullPointer, "out is NULL"));
        }
        let count = handle.inner.summaries.len();
        let (Some(summary), Some(head)) = (handle.inner.summaries.get(index), handle.heads.get(index)) else {
            return Err(FfiError::invalid(format!("summary index {index} out of range (count {count})")));
        };
        let p = &summary.positions;
        let view = BarterSummaryView {
            head_json: BarterText::from(head.as_slice()),
            positions: p.len(),
            instrument: i64_column(&p.instrument),
            side: BarterI8Column { ptr: p.side.as_ptr(), len: p.side.len() },
            quantity: BarterText::from(&p.quantity),
            price_entry: BarterText::from(&p.price_entry),
            price_exit: BarterText::from(&p.price_exit),
            fees: BarterText::from(&p.fees),
            pnl: BarterText::from(&p.pnl),
            time_enter_ns: i64_column(&p.time_enter_ns),
            time_exit_ns: i64_column(&p.time_exit_ns),
            equity_time_ns: i64_column(&summary.equity.time_ns),
            equity_value: BarterF64Column {
                ptr: summary.equity.value.as_ptr(),
                len: summary.equity.value.len(),
            },
        };
        write_out(out, view, "out")
    })
}

/// The whole `MultiBacktestSummary` as JSON (`{"num_backtests", "duration_ns",
/// "summaries"}`, columns included: the format Python's `to_json` writes). For callers
/// that want text; reading the views is faster. Free it with `barter_bytes_free`.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_summaries_to_json(
    handle: *const BarterSummaries,
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    err: *mut *mut BarterError,
) -> BarterStatus {
    ffi_call(err, || {
        let inner = &handle_ref(handle, "summaries handle")?.inner;
        write_bytes(inner.to_json()?, out_ptr, out_len)
    })
}

/// Frees a summaries handle (and every view of it); NULL is ignored.
/// # Safety
/// Every pointer argument must be NULL or valid as the C ABI contract in `ffi` states:
/// handles live and made by this library, strings NUL-terminated, buffers readable for
/// their length, out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn barter_summaries_free(handle: *mut BarterSummaries) {
    free_handle(handle)
}
