//! The two ways market data is held — barter's records and a column store of trades —
//! give the same records, views, event rows, columns, binary round trips and backtests;
//! the column store's binary form (version 2) is checked like version 1 (truncation,
//! flipped bits, corrupt payloads behind valid checksums, files).

mod common;

use barter_ffi::backtest::{build_args_constant, build_args_dynamic, run_one, SummaryInterval};
use barter_ffi::engine::Fill;
use barter_ffi::error::BarterStatus;
use barter_ffi::ffi::market_data::{
    barter_market_data_from_bytes, barter_market_data_record_view, barter_market_data_record_views,
    BarterMarketData, BarterRecordView,
};
use barter_ffi::market_data::columns::{self, Instruments, TradeColumns, TradeColumnsMut};
use barter_ffi::market_data::{binary, parse_with, LoadOptions, MarketData, RecordRef, Store};
use barter_ffi::strategy::Strategy;
use barter_instrument::exchange::ExchangeId;
use common::{market_data_path, system_config_path};
use std::ptr;
use xxhash_rust::xxh3::xxh3_64;

/// JSON Lines trades on the example config's three instruments: some ids empty, some
/// `time_received` equal to `time_exchange`, reconnect markers (one first, two in a
/// row), prices of a seeded walk.
fn trades_jsonl(n: usize) -> String {
    let mut out = String::from("{\"Reconnecting\":\"binance_spot\"}\n");
    let mut price = 100.0f64;
    let mut state = 7u64;
    for i in 0..n {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        price = ((price * (1.0 + ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 0.01)) * 100.0).round()
            / 100.0;
        let t = 1_734_652_800_000_000_000i64 + i as i64 * 1_000_003;
        let r = if i % 4 == 0 { t } else { t + 17_000 + i as i64 };
        let time = |ns: i64| {
            chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
        };
        let id = if i % 5 == 3 { String::new() } else { format!("{}", 4_000_000_000u64 + i as u64) };
        let side = if state >> 63 == 0 { "Buy" } else { "Sell" };
        out.push_str(&format!(
            "{{\"Item\":{{\"time_exchange\":\"{}\",\"time_received\":\"{}\",\"exchange\":\"binance_spot\",\
             \"instrument\":{},\"kind\":{{\"Trade\":{{\"id\":\"{id}\",\"price\":{price:?},\"amount\":{},\
             \"side\":\"{side}\"}}}}}}}}\n",
            time(t),
            time(r),
            (i / 3) % 3,
            0.5 + (i % 7) as f64,
        ));
        if i % 997 == 500 {
            out.push_str("{\"Reconnecting\":\"binance_spot\"}\n{\"Reconnecting\":\"binance_spot\"}\n");
        }
    }
    out
}

/// `data` held as barter's records.
fn as_records(data: &MarketData) -> MarketData {
    MarketData::new(Store::Records(data.records().into_owned()), data.skipped_error_count, "records").unwrap()
}

fn counts(data: &MarketData) -> (usize, usize, usize, usize, i64, usize) {
    (
        data.len(),
        data.item_count,
        data.reconnect_count,
        data.skipped_error_count,
        data.time_first_event_ns,
        data.max_instrument,
    )
}

/// A record view with its strings copied out and its floats as bits.
type View = (i32, Vec<u8>, i64, i64, usize, Vec<u8>, u64, u64, u8);
/// Trade columns: times, received times, instruments, price and amount bits, sides.
type Columns = (Vec<i64>, Vec<i64>, Vec<i64>, Vec<u64>, Vec<u64>, Vec<i8>);

/// The views of every record.
fn views(data: &MarketData) -> Vec<View> {
    // A handle of the same store: through the binary form (version 1 decodes to
    // records, version 2 to columns).
    let bytes = binary::encode(data).unwrap();
    let mut handle: *mut BarterMarketData = ptr::null_mut();
    let status = unsafe {
        barter_market_data_from_bytes(
            bytes.as_ptr(),
            bytes.len(),
            ptr::null(),
            1,
            &mut handle,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, BarterStatus::Ok);
    let mut out = Vec::new();
    let mut batch: Vec<BarterRecordView> = Vec::with_capacity(1000);
    let mut start = 0;
    loop {
        let mut written = 0;
        let status = unsafe {
            barter_market_data_record_views(
                handle,
                start,
                batch.as_mut_ptr(),
                1000,
                &mut written,
                ptr::null_mut(),
            )
        };
        assert_eq!(status, BarterStatus::Ok);
        if written == 0 {
            break;
        }
        unsafe { batch.set_len(written) };
        for (offset, v) in batch.iter().enumerate() {
            // The single-record call gives the same view.
            let mut one = std::mem::MaybeUninit::<BarterRecordView>::uninit();
            let status = unsafe {
                barter_market_data_record_view(handle, start + offset, one.as_mut_ptr(), ptr::null_mut())
            };
            assert_eq!(status, BarterStatus::Ok);
            let one = unsafe { one.assume_init() };
            let bytes = |p: *const u8, len: usize| {
                if p.is_null() {
                    Vec::new()
                } else {
                    unsafe { std::slice::from_raw_parts(p, len) }.to_vec()
                }
            };
            let row = (
                v.kind as i32,
                bytes(v.exchange, v.exchange_len),
                v.time_exchange_ns,
                v.time_received_ns,
                v.instrument,
                bytes(v.trade_id, v.trade_id_len),
                v.trade_price.to_bits(),
                v.trade_amount.to_bits(),
                v.trade_side,
            );
            let again = (
                one.kind as i32,
                bytes(one.exchange, one.exchange_len),
                one.time_exchange_ns,
                one.time_received_ns,
                one.instrument,
                bytes(one.trade_id, one.trade_id_len),
                one.trade_price.to_bits(),
                one.trade_amount.to_bits(),
                one.trade_side,
            );
            assert_eq!(row, again);
            out.push(row);
        }
        start += written;
        batch.clear();
    }
    unsafe { barter_ffi::ffi::market_data::barter_market_data_free(handle) };
    out
}

/// The trades through the columns export.
fn trade_columns(data: &MarketData) -> Columns {
    let n = data.item_count;
    let (mut t, mut r, mut i, mut p, mut a, mut s) =
        (vec![0; n], vec![0; n], vec![0; n], vec![0.0; n], vec![0.0; n], vec![0; n]);
    let out = TradeColumnsMut {
        time_exchange_ns: &mut t,
        time_received_ns: &mut r,
        instrument: &mut i,
        price: &mut p,
        amount: &mut a,
        side: &mut s,
    };
    assert_eq!(columns::write_trades(data, out).unwrap(), n);
    (t, r, i, p.iter().map(|v| v.to_bits()).collect(), a.iter().map(|v| v.to_bits()).collect(), s)
}

/// Everything a reader can see is the same for `a` and `b`.
fn same_everywhere(a: &MarketData, b: &MarketData) {
    assert_eq!(counts(a), counts(b));
    assert_eq!(a.records(), b.records());
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x.to_record(), y.to_record());
        assert_eq!((x.exchange(), x.instrument()), (y.exchange(), y.instrument()));
    }
    for index in [0, 1, 2, a.len() / 2, a.len() - 1, a.len()] {
        assert_eq!(
            a.get(index).map(|r| r.to_record()),
            b.get(index).map(|r| r.to_record()),
            "record {index}"
        );
        assert_eq!(
            a.iter_from(index).map(|r| r.to_record()).collect::<Vec<_>>(),
            b.iter_from(index).map(|r| r.to_record()).collect::<Vec<_>>()
        );
    }
    assert_eq!(views(a), views(b));
    assert_eq!(a.items_json(0, usize::MAX).unwrap(), b.items_json(0, usize::MAX).unwrap());
    assert_eq!(a.items_json(3, 1500).unwrap(), b.items_json(3, 1500).unwrap());
    assert_eq!(trade_columns(a), trade_columns(b));
}

#[test]
fn json_trades_load_as_columns_that_read_like_records() {
    let text = trades_jsonl(5_000);
    let columns = parse_with(text.as_bytes(), "x", LoadOptions { skip_errors: false, threads: 2 }).unwrap();
    let Store::Trades(trades) = columns.store() else { panic!("trades should load as columns") };
    assert!(!trades.time_received_ns.is_empty() && !trades.id_ends.is_empty());
    assert!(trades.instrument.each().is_some() && trades.exchange.each().is_none());
    assert_eq!((columns.item_count, columns.reconnect_count, columns.max_instrument), (5_000, 11, 2));
    let records = as_records(&columns);
    assert!(matches!(records.store(), Store::Records(_)));
    same_everywhere(&columns, &records);
    // One thread, or serde for every line (spaced keys): the same records.
    let one = parse_with(text.as_bytes(), "x", LoadOptions { skip_errors: false, threads: 1 }).unwrap();
    same_everywhere(&one, &columns);
    let spaced = text.replace("\"price\":", "\"price\" :");
    same_everywhere(&parse_with(spaced.as_bytes(), "x", LoadOptions::default()).unwrap(), &columns);
    // A candle among the trades: the loader switches to records, the trades unchanged.
    let candle = "{\"Item\":{\"time_exchange\":\"2024-12-20T00:00:00.5Z\",\"time_received\":\"2024-12-20T00:00:00.5Z\",\
                  \"exchange\":\"binance_spot\",\"instrument\":1,\"kind\":{\"Candle\":{\"close_time\":\
                  \"2024-12-20T00:00:00.5Z\",\"open\":1.0,\"high\":2.0,\"low\":0.5,\"close\":1.5,\"volume\":3.0,\
                  \"trade_count\":4}}}}\n";
    let (head, tail) = text.split_at(text.len() / 2);
    let cut = head.rfind('\n').unwrap() + 1;
    let mixed = format!("{}{candle}{}{}", &text[..cut], &head[cut..], tail);
    let mixed = parse_with(mixed.as_bytes(), "x", LoadOptions::default()).unwrap();
    assert!(matches!(mixed.store(), Store::Records(_)));
    assert_eq!(mixed.item_count, 5_001);
    let without: Vec<_> = mixed
        .iter()
        .filter(|r| !matches!(r, RecordRef::Record(barter_data::streams::reconnect::Event::Item(e)) if matches!(e.kind, barter_data::event::DataKind::Candle(_))))
        .map(|r| r.to_record())
        .collect();
    assert_eq!(without, columns.records().into_owned());
}

#[test]
fn from_trades_columns_equal_records_and_round_trip() {
    let time: Vec<i64> = (0..3000).map(|i| 1_700_000_000_000_000_000 + i * 333).collect();
    let received: Vec<i64> =
        time.iter().enumerate().map(|(i, t)| if i % 2 == 0 { *t } else { t + 5 }).collect();
    let price: Vec<f64> = (0..3000).map(|i| 100.0 + (i % 17) as f64 * 0.25).collect();
    let amount: Vec<f64> = (0..3000).map(|i| (i % 5) as f64 * 0.1).collect();
    let side: Vec<i8> = (0..3000).map(|i| if i % 3 == 0 { -1 } else { 1 }).collect();
    let instrument: Vec<i64> = (0..3000).map(|i| i % 3).collect();
    for (received, instrument) in [
        (None, Instruments::Scalar(2)),
        (Some(&time[..]), Instruments::Column(&instrument)),
        (Some(&received[..]), Instruments::Column(&instrument)),
    ] {
        let cols = TradeColumns {
            time_exchange_ns: &time,
            time_received_ns: received,
            price: &price,
            amount: &amount,
            side: &side,
            instrument,
        };
        let data = columns::trades(&cols, ExchangeId::BinanceSpot).unwrap();
        let Store::Trades(trades) = data.store() else { panic!("from_trades should build columns") };
        // time_received is stored only when it differs; a constant instrument once.
        assert_eq!(trades.time_received_ns.is_empty(), received.is_none_or(|r| r == time));
        assert_eq!(trades.instrument.each().is_none(), matches!(instrument, Instruments::Scalar(_)));
        assert!(trades.heap_bytes() <= 3000 * 33 + 3000 * 8);
        same_everywhere(&data, &as_records(&data));
        let bytes = binary::encode(&data).unwrap();
        assert_eq!(bytes[8], 2, "version 2 for columns");
        let back = binary::decode(&bytes, "b", 1).unwrap();
        assert_eq!(back.store(), data.store());
        same_everywhere(&back, &data);
        assert_eq!(binary::encode(&back).unwrap(), bytes);
    }
    // An instrument index over u32 is a column too; the binary form (u32 indices)
    // carries it as records, which decode to the same events.
    let wide = [u32::MAX as i64 + 1];
    let one = TradeColumns {
        time_exchange_ns: &time[..1],
        time_received_ns: None,
        price: &price[..1],
        amount: &amount[..1],
        side: &side[..1],
        instrument: Instruments::Column(&wide),
    };
    let data = columns::trades(&one, ExchangeId::Simulated).unwrap();
    assert!(matches!(data.store(), Store::Trades(_)));
    assert_eq!(data.max_instrument, u32::MAX as usize + 1);
    let bytes = binary::encode(&data).unwrap();
    assert_eq!(bytes[8], 1, "version 1 for instrument indices over u32");
    let back = binary::decode(&bytes, "b", 1).unwrap();
    assert!(matches!(back.store(), Store::Records(_)));
    same_everywhere(&back, &data);
}

#[test]
fn binary_versions_load_into_the_store_they_describe() {
    let text = trades_jsonl(3_000);
    let columns = parse_with(text.as_bytes(), "x", LoadOptions::default()).unwrap();
    let records = as_records(&columns);
    let (v2, v1) = (binary::encode(&columns).unwrap(), binary::encode(&records).unwrap());
    assert_eq!((v2[8], v1[8]), (2, 1));
    let from_v1 = binary::decode(&v1, "v1", 2).unwrap();
    assert!(matches!(from_v1.store(), Store::Records(_)));
    same_everywhere(&from_v1, &columns);
    let dir = std::env::temp_dir().join(format!("barter_store_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.bin");
    let path = path.to_str().unwrap();
    binary::save(&columns, path).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), v2);
    let loaded = binary::load(path, 0).unwrap();
    assert_eq!(loaded.store(), columns.store());
    same_everywhere(&loaded, &columns);
    // A file cut short or with a flipped payload byte is named, never half-loaded.
    std::fs::write(path, &v2[..v2.len() - 3]).unwrap();
    let error = binary::load(path, 0).unwrap_err();
    assert_eq!(error.status, BarterStatus::InvalidInput);
    assert!(error.message.contains("the file has"), "{}", error.message);
    let mut flipped = v2.clone();
    flipped[v2.len() / 2] ^= 4;
    std::fs::write(path, &flipped).unwrap();
    let error = binary::load(path, 0).unwrap_err();
    assert_eq!(error.message, format!("{path}: not a valid barter_cy market data cache: payload checksum mismatch (the data is corrupted)"));
    // Cancelled before it starts.
    let cancel = barter_ffi::cancel::Cancel::never();
    cancel.trip();
    binary::save(&columns, path).unwrap();
    let error = binary::load_cancellable(path, 0, &cancel).unwrap_err();
    assert_eq!(error.status, BarterStatus::Cancelled);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn markers_of_exchanges_without_trades_round_trip() {
    let text =
        trades_jsonl(50).replacen("{\"Reconnecting\":\"binance_spot\"}", "{\"Reconnecting\":\"okx\"}", 1)
            + "{\"Reconnecting\":\"coinbase\"}\n";
    let data = parse_with(text.as_bytes(), "x", LoadOptions::default()).unwrap();
    assert!(matches!(data.store(), Store::Trades(_)));
    let exchanges: Vec<_> = data.iter().filter(|r| r.instrument().is_none()).map(|r| r.exchange()).collect();
    assert_eq!(exchanges, [ExchangeId::Okx, ExchangeId::Coinbase]);
    let bytes = binary::encode(&data).unwrap();
    let back = binary::decode(&bytes, "b", 1).unwrap();
    same_everywhere(&back, &data);
    assert_eq!(binary::encode(&back).unwrap(), bytes);
}

#[test]
fn binary_v2_truncated_flipped_or_corrupt_is_invalid_input() {
    let text = trades_jsonl(40);
    let data = parse_with(text.as_bytes(), "x", LoadOptions::default()).unwrap();
    let bytes = binary::encode(&data).unwrap();
    assert_eq!(bytes[8], 2);
    for cut in 0..bytes.len() {
        let error = binary::decode(&bytes[..cut], "b", 1).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput, "cut {cut}: {}", error.message);
    }
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let error = binary::decode(&flipped, "b", 1).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput, "bit {bit}: {}", error.message);
    }
    // Corrupt payloads behind valid checksums: an error or valid data, never a panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut decoded = 0;
    for round in 0..5_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut corrupt = bytes.clone();
        let at = 64 + (state as usize) % (corrupt.len() - 64);
        corrupt[at] = (state >> 32) as u8;
        if round % 2 == 0 {
            let second = 64 + ((state >> 16) as usize) % (corrupt.len() - 64);
            corrupt[second] ^= 0x80;
        }
        let payload = xxh3_64(&corrupt[64..]);
        corrupt[40..48].copy_from_slice(&payload.to_le_bytes());
        let header = xxh3_64(&corrupt[..56]);
        corrupt[56..64].copy_from_slice(&header.to_le_bytes());
        match binary::decode(&corrupt, "b", 1) {
            Ok(data) => {
                decoded += 1;
                // Whatever decoded reads back consistently.
                assert_eq!(data.iter().count(), data.len());
                let _ = views(&data);
            }
            Err(error) => assert_eq!(error.status, BarterStatus::InvalidInput, "{}", error.message),
        }
    }
    assert!(decoded > 0 && decoded < 5_000, "{decoded}");
}

#[test]
fn binary_v2_side_bytes_other_than_0_or_1_are_named() {
    // 3 trades on 2 instruments, so that the side and instrument columns are written.
    let time = [1_700_000_000_000_000_000i64, 1_700_000_000_000_000_001, 1_700_000_000_000_000_002];
    let cols = TradeColumns {
        time_exchange_ns: &time,
        time_received_ns: None,
        price: &[1.0, 2.0, 3.0],
        amount: &[1.0, 1.0, 1.0],
        side: &[1, -1, 1],
        instrument: Instruments::Column(&[0, 1, 0]),
    };
    let data = columns::trades(&cols, ExchangeId::Simulated).unwrap();
    let bytes = binary::encode(&data).unwrap();
    // Payload: the exchange table (one name), 22 fixed bytes, then time, price and amount
    // (8 bytes a trade each), then a side byte per trade (0 buy, 1 sell).
    let table = 64 + 1 + 1 + usize::from(bytes[65]);
    let side = table + 22 + 3 * 8 * 3;
    assert_eq!(&bytes[side..side + 3], &[0, 1, 0]);
    let mut corrupt = bytes.clone();
    corrupt[side + 1] = 7;
    let payload = xxh3_64(&corrupt[64..]);
    corrupt[40..48].copy_from_slice(&payload.to_le_bytes());
    let header = xxh3_64(&corrupt[..56]);
    corrupt[56..64].copy_from_slice(&header.to_le_bytes());
    let error = binary::decode(&corrupt, "b", 1).unwrap_err();
    assert_eq!(error.status, BarterStatus::InvalidInput);
    assert!(error.message.contains("trade 1: side byte 7"), "{}", error.message);
    let back = binary::decode(&bytes, "b", 1).unwrap();
    let Store::Trades(trades) = back.store() else { panic!("version 2 decodes to columns") };
    assert_eq!((&trades.side[..], trades.instrument.each()), (&[1i8, -1, 1][..], Some(&[0i64, 1, 0][..])));
    assert_eq!((back.max_instrument, data.max_instrument), (1, 1));
}

#[test]
fn backtests_are_identical_on_both_stores() {
    let config_text = std::fs::read(system_config_path()).unwrap();
    let config = barter_ffi::config::parse(&config_text, "config").unwrap();
    let example = barter_ffi::market_data::load_file(&market_data_path(), false).unwrap();
    let generated = parse_with(trades_jsonl(4_000).as_bytes(), "x", LoadOptions::default()).unwrap();
    for data in [example, generated] {
        assert!(matches!(data.store(), Store::Trades(_)));
        let records = as_records(&data);
        for (name, params) in [
            ("buy_and_hold", r#"{"quantity": "0.001"}"#),
            ("sma_cross", r#"{"fast": 2, "slow": 5, "quantity": "0.001"}"#),
            ("sma_cross", r#"{"fast": 10, "slow": 40, "quantity": "0.01"}"#),
        ] {
            for fill in [Fill::Signal, Fill::Next] {
                let summaries: Vec<Vec<u8>> = [&data, &records]
                    .iter()
                    .map(|md| {
                        let args = build_args_constant(&config, md, SummaryInterval::Daily, &[]).unwrap();
                        let strategy = Strategy::from_name(name, Some(params)).unwrap();
                        let dynamic = build_args_dynamic("t", "0.05", Some(strategy), fill, true).unwrap();
                        run_one(&args, &dynamic).unwrap().to_json().unwrap()
                    })
                    .collect();
                assert_eq!(summaries[0], summaries[1], "{name} {params} {fill:?}");
            }
        }
    }
}
