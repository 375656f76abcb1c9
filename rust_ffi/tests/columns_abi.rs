//! The columnar market data exports called the way C calls them: column structs of
//! pointers and lengths, an options struct, handle and error out-parameters, and output
//! columns the caller allocated.

use barter_ffi::ffi::columns::{
    BarterCandleColumns, BarterCandleColumnsOut, BarterColumnOptions, BarterF64Column, BarterI64Column,
    BarterI8Column, BarterTradeColumns, BarterTradeColumnsOut, BarterU64Column,
};
use barter_ffi::ffi::market_data::BarterMarketDataInfo;
use barter_ffi::ffi::BarterStatus;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

#[repr(C)]
pub struct Error {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct MarketData {
    _opaque: [u8; 0],
}

extern "C" {
    fn barter_market_data_from_trade_columns(
        columns: *const BarterTradeColumns,
        options: *const BarterColumnOptions,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_from_candle_columns(
        columns: *const BarterCandleColumns,
        options: *const BarterColumnOptions,
        out: *mut *mut MarketData,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_trade_columns(
        handle: *const MarketData,
        out: *const BarterTradeColumnsOut,
        written: *mut usize,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_candle_columns(
        handle: *const MarketData,
        out: *const BarterCandleColumnsOut,
        written: *mut usize,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_info(
        handle: *const MarketData,
        out: *mut BarterMarketDataInfo,
        err: *mut *mut Error,
    ) -> BarterStatus;
    fn barter_market_data_free(handle: *mut MarketData);
    fn barter_error_message(error: *const Error) -> *const c_char;
    fn barter_error_free(error: *mut Error);
}

/// The message of an error object, which is then freed.
fn take_message(err: *mut Error) -> String {
    assert!(!err.is_null());
    // SAFETY: a live error from the library; freed once here.
    unsafe {
        let text = CStr::from_ptr(barter_error_message(err)).to_str().unwrap().to_owned();
        barter_error_free(err);
        text
    }
}

fn i64s(values: &[i64]) -> BarterI64Column {
    BarterI64Column { ptr: values.as_ptr(), len: values.len() }
}
fn f64s(values: &[f64]) -> BarterF64Column {
    BarterF64Column { ptr: values.as_ptr(), len: values.len() }
}
const ABSENT: BarterI64Column = BarterI64Column { ptr: null(), len: 0 };

const T0: i64 = 1_734_721_518_175_000_000;

#[test]
fn trades_through_the_abi_and_back() {
    let time = [T0, T0 + 3_000_000, T0 + 86_400_000_000_000];
    let received = [T0 + 1, T0 + 3_000_001, T0 + 86_400_000_000_002];
    let price = [96962.51, 3401.5, 190.86];
    let amount = [0.00006, 1.25, 0.0];
    let side: [i8; 3] = [1, -1, -1];
    let instrument = [0i64, 1, 2];
    let columns = BarterTradeColumns {
        time_exchange_ns: i64s(&time),
        time_received_ns: i64s(&received),
        price: f64s(&price),
        amount: f64s(&amount),
        side: BarterI8Column { ptr: side.as_ptr(), len: 3 },
        instrument: i64s(&instrument),
    };
    let exchange = CString::new("binance_spot").unwrap();
    let options = BarterColumnOptions { exchange: exchange.as_ptr(), instrument: 0 };
    let mut handle = null_mut();
    let mut err = null_mut();
    // SAFETY: every pointer is valid for the call, as the header requires.
    unsafe {
        assert_eq!(
            barter_market_data_from_trade_columns(&columns, &options, &mut handle, &mut err),
            BarterStatus::Ok
        );
        let mut info = BarterMarketDataInfo::default();
        assert_eq!(barter_market_data_info(handle, &mut info, &mut err), BarterStatus::Ok);
        assert_eq!((info.records, info.items, info.reconnects, info.max_instrument), (3, 3, 0, 2));
        assert_eq!(info.time_first_event_ns, T0);

        let (mut t, mut r, mut i, mut p, mut a, mut s) =
            ([0i64; 4], [0i64; 4], [0i64; 4], [0.0; 4], [0.0; 4], [0i8; 4]);
        let out = BarterTradeColumnsOut {
            len: 4,
            time_exchange_ns: t.as_mut_ptr(),
            time_received_ns: r.as_mut_ptr(),
            instrument: i.as_mut_ptr(),
            price: p.as_mut_ptr(),
            amount: a.as_mut_ptr(),
            side: s.as_mut_ptr(),
        };
        let mut written = 0;
        assert_eq!(barter_market_data_trade_columns(handle, &out, &mut written, &mut err), BarterStatus::Ok);
        assert_eq!(written, 3);
        assert_eq!(
            (&t[..3], &r[..3], &i[..3], &p[..3], &a[..3], &s[..3]),
            (&time[..], &received[..], &instrument[..], &price[..], &amount[..], &side[..])
        );

        // Too little room: an error, not a write past the end.
        let small = BarterTradeColumnsOut { len: 2, ..out };
        assert_eq!(
            barter_market_data_trade_columns(handle, &small, &mut written, &mut err),
            BarterStatus::InvalidInput
        );
        assert_eq!(take_message(err), "output columns have room for 2 rows but the data holds more trades");
        // No candles in it.
        let (mut ct, mut ci, mut cf, mut cn) = ([0i64; 1], [0i64; 1], [0.0; 1], [0u64; 1]);
        let candles = BarterCandleColumnsOut {
            len: 1,
            time_ns: ct.as_mut_ptr(),
            instrument: ci.as_mut_ptr(),
            open: cf.as_mut_ptr(),
            high: cf.as_mut_ptr(),
            low: cf.as_mut_ptr(),
            close: cf.as_mut_ptr(),
            volume: cf.as_mut_ptr(),
            trade_count: cn.as_mut_ptr(),
        };
        assert_eq!(
            barter_market_data_candle_columns(handle, &candles, &mut written, &mut err),
            BarterStatus::Ok
        );
        assert_eq!(written, 0);
        barter_market_data_free(handle);
    }
}

#[test]
fn candles_through_the_abi_with_a_scalar_instrument() {
    let time = [T0, T0 + 60_000_000_000];
    let (open, high, low, close, volume) =
        ([10.0, 11.0], [12.0, 12.5], [9.5, 10.5], [11.0, 12.0], [5.0, 0.0]);
    let trade_count = [7u64, 0];
    let columns = BarterCandleColumns {
        time_ns: i64s(&time),
        open: f64s(&open),
        high: f64s(&high),
        low: f64s(&low),
        close: f64s(&close),
        volume: f64s(&volume),
        trade_count: BarterU64Column { ptr: trade_count.as_ptr(), len: 2 },
        instrument: ABSENT,
    };
    let exchange = CString::new("simulated").unwrap();
    let options = BarterColumnOptions { exchange: exchange.as_ptr(), instrument: 4 };
    let mut handle = null_mut();
    let mut err = null_mut();
    // SAFETY: every pointer is valid for the call.
    unsafe {
        assert_eq!(
            barter_market_data_from_candle_columns(&columns, &options, &mut handle, &mut err),
            BarterStatus::Ok
        );
        let (mut t, mut i, mut o, mut h, mut l, mut c, mut v, mut n) =
            ([0i64; 2], [0i64; 2], [0.0; 2], [0.0; 2], [0.0; 2], [0.0; 2], [0.0; 2], [0u64; 2]);
        let out = BarterCandleColumnsOut {
            len: 2,
            time_ns: t.as_mut_ptr(),
            instrument: i.as_mut_ptr(),
            open: o.as_mut_ptr(),
            high: h.as_mut_ptr(),
            low: l.as_mut_ptr(),
            close: c.as_mut_ptr(),
            volume: v.as_mut_ptr(),
            trade_count: n.as_mut_ptr(),
        };
        let mut written = 0;
        assert_eq!(barter_market_data_candle_columns(handle, &out, &mut written, &mut err), BarterStatus::Ok);
        assert_eq!(
            (written, t, i, o, h, l, c, v, n),
            (2, time, [4, 4], open, high, low, close, volume, trade_count)
        );
        barter_market_data_free(handle);
    }
}

#[test]
fn bad_arguments_are_statuses_with_messages() {
    let time = [T0, T0 + 1];
    let ones = [1.0, 1.0];
    let side: [i8; 2] = [1, 1];
    let columns = BarterTradeColumns {
        time_exchange_ns: i64s(&time),
        time_received_ns: ABSENT,
        price: f64s(&ones),
        amount: f64s(&ones[..1]),
        side: BarterI8Column { ptr: side.as_ptr(), len: 2 },
        instrument: ABSENT,
    };
    let good = CString::new("simulated").unwrap();
    let bad = CString::new("lse").unwrap();
    let mut handle = null_mut();
    let mut err = null_mut();
    // SAFETY: every pointer is NULL or valid for the call.
    unsafe {
        let options = BarterColumnOptions { exchange: good.as_ptr(), instrument: 0 };
        assert_eq!(
            barter_market_data_from_trade_columns(&columns, &options, &mut handle, &mut err),
            BarterStatus::InvalidInput
        );
        assert_eq!(
            take_message(err),
            "amount: column has 1 rows but time has 2 (columns must have one length)"
        );
        assert!(handle.is_null());

        let columns = BarterTradeColumns { amount: f64s(&ones), ..columns };
        let unknown = BarterColumnOptions { exchange: bad.as_ptr(), instrument: 0 };
        assert_eq!(
            barter_market_data_from_trade_columns(&columns, &unknown, &mut handle, &mut err),
            BarterStatus::InvalidInput
        );
        assert!(take_message(err).starts_with("exchange: unknown exchange id \"lse\""));

        let null_price = BarterTradeColumns { price: BarterF64Column { ptr: null(), len: 2 }, ..columns };
        assert_eq!(
            barter_market_data_from_trade_columns(&null_price, &options, &mut handle, &mut err),
            BarterStatus::NullPointer
        );
        assert_eq!(take_message(err), "column price is NULL");
        assert_eq!(
            barter_market_data_from_trade_columns(null(), &options, &mut handle, &mut err),
            BarterStatus::NullPointer
        );
        assert_eq!(take_message(err), "columns is NULL");
        assert_eq!(
            barter_market_data_from_trade_columns(&columns, null(), &mut handle, &mut err),
            BarterStatus::NullPointer
        );
        assert_eq!(take_message(err), "options is NULL");
        assert_eq!(
            barter_market_data_from_trade_columns(&columns, &options, null_mut(), &mut err),
            BarterStatus::NullPointer
        );
        assert_eq!(take_message(err), "out is NULL");
        assert!(handle.is_null());
    }
}
