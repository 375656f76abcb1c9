//! Loading market data: the parallel JSON Lines pipeline against the one-thread path and
//! serde, first-error-in-file-order across blocks and thread counts, the fast path
//! against serde on the same records, gzip and zstd by magic bytes (streamed, truncated,
//! concatenated), files that are not regular, times outside i64 nanoseconds, and the
//! binary form: exact round trips of every record kind, truncation at every offset, every
//! bit flipped, other versions, and decoding of corrupt payloads whose checksums were
//! recomputed (so the decoder itself, not the checksum, has to refuse them).

mod common;

use barter_data::books::{Level, OrderBook};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::{
    book::{OrderBookEvent, OrderBookL1},
    candle::Candle,
    liquidation::Liquidation,
    trade::PublicTrade,
};
use barter_ffi::error::BarterStatus;
use barter_ffi::market_data::{binary, load_file_with, parse_with, LoadOptions, MarketData, Record, Store};
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};
use chrono::DateTime;
use rust_decimal::Decimal;
use std::io::Write;
use std::str::FromStr;
use xxhash_rust::xxh3::xxh3_64;

fn opts(threads: usize) -> LoadOptions {
    LoadOptions { skip_errors: false, threads }
}

fn tmp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("barter_ffi_loading_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// JSON Lines of `n` trades (plus a reconnect every 1000 lines), each line in one of
/// several spellings: compact (the fast path), with spaces, keys reordered (serde).
fn trades_jsonl(n: usize, spelling: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i % 1000 == 999 {
            out.push_str("{\"Reconnecting\":\"binance_spot\"}\n");
        }
        let ns = 1_734_721_518_175_000_000i64 + i as i64 * 1_234_567;
        let t = DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let r = DateTime::from_timestamp_nanos(ns + 17).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let side = if i % 3 == 0 { "Sell" } else { "Buy" };
        let price = 96962.51 + i as f64 * 0.01;
        let line = match spelling {
            0 => format!(
                r#"{{"Item":{{"time_exchange":"{t}","time_received":"{r}","exchange":"binance_spot","instrument":{},"kind":{{"Trade":{{"id":"{}","price":{price},"amount":6e-05,"side":"{side}"}}}}}}}}"#,
                i % 3,
                4_314_349_047u64 + i as u64
            ),
            1 => format!(
                r#" {{ "Item" : {{ "time_exchange" : "{t}" , "time_received" : "{r}" , "exchange" : "binance_spot" , "instrument" : {} , "kind" : {{ "Trade" : {{ "id" : "{}" , "price" : {price} , "amount" : 6e-05 , "side" : "{side}" }} }} }} }} "#,
                i % 3,
                4_314_349_047u64 + i as u64
            ),
            _ => format!(
                r#"{{"Item":{{"instrument":{},"exchange":"binance_spot","time_received":"{r}","time_exchange":"{t}","kind":{{"Trade":{{"side":"{side}","amount":6e-05,"price":{price},"id":"{}"}}}}}}}}"#,
                i % 3,
                4_314_349_047u64 + i as u64
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn same(a: &MarketData, b: &MarketData) {
    assert_eq!(a.records(), b.records());
    assert_eq!(
        (a.item_count, a.reconnect_count, a.skipped_error_count, a.time_first_event_ns, a.max_instrument),
        (b.item_count, b.reconnect_count, b.skipped_error_count, b.time_first_event_ns, b.max_instrument)
    );
}

#[test]
fn parallel_equals_one_thread_and_every_spelling() {
    // ~9 MB: several 1 MiB blocks.
    let compact = trades_jsonl(40_000, 0);
    let reference = parse_with(compact.as_bytes(), "x", opts(1)).unwrap();
    assert_eq!(reference.item_count, 40_000);
    assert_eq!(reference.reconnect_count, 40);
    for threads in [2, 3, 8] {
        same(&parse_with(compact.as_bytes(), "x", opts(threads)).unwrap(), &reference);
    }
    for spelling in [1, 2] {
        let text = trades_jsonl(40_000, spelling);
        same(&parse_with(text.as_bytes(), "x", opts(2)).unwrap(), &reference);
    }
    // The fast path decodes exactly what serde decodes, record by record.
    for line in compact.lines().take(3000) {
        let via_serde: ReconnectEvent<ExchangeId, MarketEvent<InstrumentIndex, DataKind>> =
            serde_json::from_str(line).unwrap();
        let via_loader = parse_with(line.as_bytes(), "x", opts(1));
        match via_loader {
            Ok(data) => assert_eq!(data.records()[0], via_serde),
            Err(e) => assert!(e.message.contains("no market events"), "{}", e.message),
        }
    }
    // And from a file, plain and compressed.
    let dir = tmp_dir("parallel");
    let plain = dir.join("trades.jsonl");
    std::fs::write(&plain, &compact).unwrap();
    let gz = dir.join("trades.jsonl.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    encoder.write_all(compact.as_bytes()).unwrap();
    encoder.finish().unwrap();
    // zstd content under a misleading name: detected by magic bytes.
    let zst = dir.join("trades.json");
    std::fs::write(&zst, zstd::encode_all(compact.as_bytes(), 3).unwrap()).unwrap();
    for path in [&plain, &gz, &zst] {
        for threads in [1, 2] {
            same(&load_file_with(path.to_str().unwrap(), opts(threads)).unwrap(), &reference);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn first_error_in_file_order_across_blocks_and_threads() {
    let text = trades_jsonl(40_000, 0);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Two bad lines in different blocks; the later one is worse (not JSON at all).
    lines[35_000] = "not json".to_owned();
    lines[20_000] = lines[20_000].replace("binance_spot", "nope_exchange");
    let broken = lines.join("\n");
    for threads in [1, 2, 4] {
        let error = parse_with(broken.as_bytes(), "src", opts(threads)).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput);
        assert!(error.message.starts_with("src: line 20001 column "), "{}", error.message);
        assert!(error.message.contains("unknown exchange `nope_exchange`"), "{}", error.message);
    }
    // Only the late one left.
    lines[20_000] = text.lines().nth(20_000).unwrap().to_owned();
    let broken = lines.join("\n");
    for threads in [1, 2] {
        let error = parse_with(broken.as_bytes(), "src", opts(threads)).unwrap_err();
        assert!(error.message.starts_with("src: line 35001 column 1: expected"), "{}", error.message);
    }
}

#[test]
fn times_outside_i64_nanoseconds_are_rejected_with_the_record() {
    let good = trades_jsonl(3, 0);
    for (bad_time, field) in [
        ("9999-12-31T23:59:59Z", "time_exchange"),
        ("0000-01-01T00:00:00Z", "time_exchange"),
        ("2262-04-11T23:47:16.854775808Z", "time_exchange"),
        ("1677-09-21T00:12:43.145224191Z", "time_exchange"),
    ] {
        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        let start = lines[2].find("\"time_exchange\":\"").unwrap() + "\"time_exchange\":\"".len();
        let end = start + lines[2][start..].find('"').unwrap();
        lines[2].replace_range(start..end, bad_time);
        let text = format!("\n{}", lines.join("\n"));
        for threads in [1, 2] {
            let error = parse_with(text.as_bytes(), "src", opts(threads)).unwrap_err();
            assert_eq!(error.status, BarterStatus::InvalidInput);
            assert!(error.message.starts_with("src: line 4: record 2: "), "{}", error.message);
            assert!(
                error.message.contains(field) && error.message.contains("outside the range"),
                "{}",
                error.message
            );
        }
        // The array shape names the record index.
        let array = format!(
            "[{}]",
            lines
                .iter()
                .map(|l| l.replacen("{\"Item\":", "{\"Item\":{\"Ok\":", 1) + "}")
                .collect::<Vec<_>>()
                .join(",")
        );
        let error = parse_with(array.as_bytes(), "arr", opts(1)).unwrap_err();
        assert!(error.message.starts_with("arr: record 2: time_exchange"), "{}", error.message);
    }
    // Times exactly at the ends of the range are kept to the nanosecond.
    for (text, ns) in
        [("2262-04-11T23:47:16.854775807Z", i64::MAX), ("1677-09-21T00:12:43.145224192Z", i64::MIN)]
    {
        let line = good.lines().next().unwrap().replace("2024-12-20T19:05:18.175000000Z", text);
        let data = parse_with(line.as_bytes(), "x", opts(1)).unwrap();
        assert_eq!(data.time_first_event_ns, ns);
    }
}

#[test]
fn non_regular_files_are_refused_without_blocking() {
    let dir = tmp_dir("fifo");
    let fifo = dir.join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let start = std::time::Instant::now();
    for path in [fifo.to_str().unwrap(), dir.to_str().unwrap(), "/dev/null", "/dev/zero"] {
        let error = load_file_with(path, opts(2)).unwrap_err();
        assert_eq!(error.status, BarterStatus::Io, "{path}: {}", error.message);
        assert!(
            error.message.starts_with(path) && error.message.contains("only regular files"),
            "{}",
            error.message
        );
        let error = binary::load(path, 0).unwrap_err();
        assert_eq!(error.status, BarterStatus::Io);
        let error = barter_ffi::config::load_file(path).unwrap_err();
        assert_eq!(error.status, BarterStatus::Io);
    }
    assert!(start.elapsed().as_secs() < 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_compressed_files_are_invalid_input() {
    let text = trades_jsonl(2000, 0);
    let dir = tmp_dir("corrupt");
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    let mut gz = Vec::new();
    let mut encoder = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
    let path = dir.join("data");
    for (name, bytes) in [("zstd", &zst), ("gzip", &gz)] {
        for cut in [10, bytes.len() / 2, bytes.len() - 3] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let error = load_file_with(path.to_str().unwrap(), opts(2)).unwrap_err();
            assert_eq!(error.status, BarterStatus::InvalidInput, "{name} cut at {cut}: {}", error.message);
            assert!(error.message.contains(name), "{}", error.message);
        }
    }
    // Concatenated gzip members are one stream.
    let mut twice = gz.clone();
    twice.extend_from_slice(&gz);
    std::fs::write(&path, &twice).unwrap();
    let data = load_file_with(path.to_str().unwrap(), opts(2)).unwrap();
    assert_eq!(data.item_count, 4000);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// Binary form

fn t(ns: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_nanos(ns)
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn item(ns: i64, exchange: ExchangeId, instrument: usize, kind: DataKind) -> Record {
    ReconnectEvent::Item(MarketEvent {
        time_exchange: t(ns),
        time_received: t(ns.wrapping_add(123)),
        exchange,
        instrument: InstrumentIndex(instrument),
        kind,
    })
}

fn every_kind() -> MarketData {
    let trade = |id: &str, price: f64, amount: f64, side| {
        DataKind::Trade(PublicTrade { id: id.into(), price, amount, side })
    };
    let book = |sequence, time_engine, bids: Vec<Level>, asks: Vec<Level>| {
        OrderBook::new(sequence, time_engine, bids, asks)
    };
    let records = vec![
        ReconnectEvent::Reconnecting(ExchangeId::Okx),
        item(
            1_734_721_518_175_000_001,
            ExchangeId::BinanceSpot,
            0,
            trade("4314349047", 96962.51, 6e-05, Side::Buy),
        ),
        item(
            1_734_721_518_175_000_000,
            ExchangeId::BinanceSpot,
            1,
            trade("0", 0.1 + 0.2, 5e-324, Side::Sell),
        ),
        item(i64::MIN, ExchangeId::Okx, usize::MAX, trade("", -0.0, f64::MAX, Side::Sell)),
        item(i64::MAX, ExchangeId::Okx, 2, trade("007", 1e300, f64::MIN_POSITIVE, Side::Buy)),
        item(5, ExchangeId::Kraken, 3, trade("18446744073709551616", 1.0, 2.0, Side::Buy)),
        item(6, ExchangeId::Kraken, 3, trade("ünïcødé id ✓", 1.0, 2.0, Side::Sell)),
        item(
            7,
            ExchangeId::BybitSpot,
            4,
            DataKind::OrderBookL1(OrderBookL1 {
                last_update_time: t(i64::MIN),
                best_bid: Some(Level::new(d("96962.123456789012345678"), d("0.000000000000000001"))),
                best_ask: Some(Level::new(d("96962.5200"), d("-0"))),
            }),
        ),
        item(
            8,
            ExchangeId::BybitSpot,
            4,
            DataKind::OrderBookL1(OrderBookL1 { last_update_time: t(8), best_bid: None, best_ask: None }),
        ),
        item(
            9,
            ExchangeId::BybitSpot,
            4,
            DataKind::OrderBookL1(OrderBookL1 {
                last_update_time: t(9),
                best_bid: None,
                best_ask: Some(Level::new(
                    d("79228162514264337593543950335"),
                    d("-7.9228162514264337593543950335"),
                )),
            }),
        ),
        item(
            10,
            ExchangeId::Coinbase,
            5,
            DataKind::OrderBook(OrderBookEvent::Snapshot(book(
                42,
                None,
                vec![
                    Level::new(d("1.10"), d("1")),
                    Level::new(d("1.1"), d("2")),
                    Level::new(d("0.5"), d("3.000")),
                ],
                vec![Level::new(d("2"), d("1")), Level::new(d("2.0"), d("4"))],
            ))),
        ),
        item(
            11,
            ExchangeId::Coinbase,
            5,
            DataKind::OrderBook(OrderBookEvent::Update(book(u64::MAX, Some(t(i64::MAX)), vec![], vec![]))),
        ),
        item(
            12,
            ExchangeId::Coinbase,
            5,
            DataKind::Candle(Candle {
                close_time: t(-1),
                open: 1.5,
                high: f64::MAX,
                low: -f64::MIN_POSITIVE,
                close: 0.1,
                volume: 1e-310,
                trade_count: u64::MAX,
            }),
        ),
        item(
            13,
            ExchangeId::BybitPerpetualsUsd,
            6,
            DataKind::Liquidation(Liquidation {
                side: Side::Sell,
                price: 3500.25,
                quantity: 0.75,
                time: t(14),
            }),
        ),
        item(
            14,
            ExchangeId::BybitPerpetualsUsd,
            6,
            DataKind::Liquidation(Liquidation {
                side: Side::Buy,
                price: 200.5,
                quantity: 1e-9,
                time: t(i64::MIN),
            }),
        ),
        ReconnectEvent::Reconnecting(ExchangeId::Kraken),
    ];
    let items = records.len() - 2;
    let data = MarketData::new(Store::Records(records), 7, "every kind").unwrap();
    assert_eq!(
        (data.time_first_event_ns, data.item_count, data.reconnect_count, data.max_instrument),
        (1_734_721_518_175_000_001, items, 2, usize::MAX)
    );
    data
}

/// Equality that also compares float bits and decimal scales (`PartialEq` treats
/// -0.0 == 0.0 and 1.10 == 1.1).
fn exact(a: &MarketData, b: &MarketData) {
    same(a, b);
    let a_json = serde_json::to_string(&*a.records()).unwrap();
    let b_json = serde_json::to_string(&*b.records()).unwrap();
    assert_eq!(a_json, b_json);
    for (x, y) in a.records().iter().zip(b.records().iter()) {
        if let (ReconnectEvent::Item(x), ReconnectEvent::Item(y)) = (x, y) {
            let bits = |kind: &DataKind| -> Vec<u64> {
                match kind {
                    DataKind::Trade(t) => vec![t.price.to_bits(), t.amount.to_bits()],
                    DataKind::Candle(c) => {
                        [c.open, c.high, c.low, c.close, c.volume].iter().map(|v| v.to_bits()).collect()
                    }
                    DataKind::Liquidation(l) => vec![l.price.to_bits(), l.quantity.to_bits()],
                    _ => vec![],
                }
            };
            assert_eq!(bits(&x.kind), bits(&y.kind));
        }
    }
}

#[test]
fn binary_round_trips_every_kind_exactly() {
    let data = every_kind();
    let bytes = binary::encode(&data).unwrap();
    for threads in [0, 1, 2] {
        exact(&binary::decode(&bytes, "b", threads).unwrap(), &data);
    }
    // Re-encoding is byte-identical.
    assert_eq!(binary::encode(&binary::decode(&bytes, "b", 1).unwrap()).unwrap(), bytes);
    // Order book levels keep their scales and order.
    let json = serde_json::to_string(&*binary::decode(&bytes, "b", 1).unwrap().records()).unwrap();
    assert!(json.contains(r#""price":"1.10""#) && json.contains(r#""amount":"3.000""#), "{json}");
}

#[test]
fn binary_round_trips_many_blocks_and_loaded_json() {
    let text = trades_jsonl(70_000, 0); // two 65,536-record blocks
    let data = parse_with(text.as_bytes(), "x", opts(2)).unwrap();
    let bytes = binary::encode(&data).unwrap();
    // Columns (version 2): 8 bytes per time, price and amount, 1 per side, 4 per
    // instrument, 4 + 10 digits per trade id.
    assert!(matches!(data.store(), Store::Trades(_)));
    assert_eq!(bytes[8], 2);
    assert!(bytes.len() < data.len() * 52, "{} bytes for {} records", bytes.len(), data.len());
    for threads in [1, 2, 5] {
        exact(&binary::decode(&bytes, "b", threads).unwrap(), &data);
    }
    let dir = tmp_dir("save");
    let path = dir.join("cache.bin");
    binary::save(&data, path.to_str().unwrap()).unwrap();
    exact(&binary::load(path.to_str().unwrap(), 2).unwrap(), &data);
    // A truncated file names itself and the sizes.
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let error = binary::load(path.to_str().unwrap(), 2).unwrap_err();
    assert_eq!(error.status, BarterStatus::InvalidInput);
    assert!(error.message.starts_with(path.to_str().unwrap()), "{}", error.message);
    let error = binary::load(dir.join("missing").to_str().unwrap(), 2).unwrap_err();
    assert_eq!(error.status, BarterStatus::NotFound);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_truncated_at_every_offset_or_any_bit_flipped_is_invalid_input() {
    let bytes = binary::encode(&every_kind()).unwrap();
    for cut in 0..bytes.len() {
        let error = binary::decode(&bytes[..cut], "b", 2).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput, "cut {cut}: {}", error.message);
    }
    let mut extended = bytes.clone();
    extended.push(0);
    assert_eq!(binary::decode(&extended, "b", 1).unwrap_err().status, BarterStatus::InvalidInput);
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let error = binary::decode(&flipped, "b", 2).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput, "bit {bit}: {}", error.message);
    }
}

#[test]
fn binary_other_versions_and_foreign_input_are_named() {
    let bytes = binary::encode(&every_kind()).unwrap();
    let mut other = bytes.clone();
    other[8] = 3;
    let error = binary::decode(&other, "b", 1).unwrap_err();
    assert!(
        error.message.contains("version 3") && error.message.contains("versions 1 and 2"),
        "{}",
        error.message
    );
    for foreign in [&b""[..], b"[]", b"{\"Item\":{}}", b"BARTERM"] {
        let error = binary::decode(foreign, "b", 1).unwrap_err();
        assert_eq!(error.status, BarterStatus::InvalidInput);
        assert!(error.message.starts_with("b: not a valid barter_cy market data cache"), "{}", error.message);
    }
}

/// Rewrites both checksums so that corrupt payloads reach the decoder.
fn reseal(bytes: &mut [u8]) {
    let payload = xxh3_64(&bytes[64..]);
    bytes[40..48].copy_from_slice(&payload.to_le_bytes());
    let header = xxh3_64(&bytes[..56]);
    bytes[56..64].copy_from_slice(&header.to_le_bytes());
}

#[test]
fn binary_decoder_refuses_corrupt_payloads_with_valid_checksums() {
    let bytes = binary::encode(&every_kind()).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for round in 0..20_000 {
        let mut corrupt = bytes.clone();
        match round % 4 {
            // Flip a few random bits of the payload.
            0 | 1 => {
                for _ in 0..1 + next() % 3 {
                    let bit = 64 * 8 + (next() as usize) % ((corrupt.len() - 64) * 8);
                    corrupt[bit / 8] ^= 1 << (bit % 8);
                }
            }
            // Overwrite a run with random bytes.
            2 => {
                let at = 64 + (next() as usize) % (corrupt.len() - 64);
                let len = (1 + next() % 16) as usize;
                for b in corrupt.iter_mut().skip(at).take(len) {
                    *b = next() as u8;
                }
            }
            // Truncate the payload and fix the header's length too.
            _ => {
                let keep = 64 + (next() as usize) % (corrupt.len() - 64);
                corrupt.truncate(keep);
                let len = (keep - 64) as u64;
                corrupt[32..40].copy_from_slice(&len.to_le_bytes());
            }
        }
        reseal(&mut corrupt);
        // Never a panic; either an error or (rarely) a different valid value.
        match binary::decode(&corrupt, "b", 1 + round % 2) {
            Ok(_) => decoded += 1,
            Err(error) => assert_eq!(error.status, BarterStatus::InvalidInput, "{}", error.message),
        }
    }
    assert!(decoded < 20_000);
    // A record count in the header far beyond the data is refused before allocating.
    let mut huge = bytes.clone();
    huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    reseal(&mut huge);
    assert_eq!(binary::decode(&huge, "b", 1).unwrap_err().status, BarterStatus::InvalidInput);
}

#[test]
fn binary_through_the_c_abi() {
    use barter_ffi::ffi::market_data::*;
    use barter_ffi::ffi::{barter_bytes_free, barter_error_free, BarterError};
    use std::ptr::{null, null_mut};
    let path = std::ffi::CString::new(common::market_data_path()).unwrap();
    let mut handle: *mut BarterMarketData = null_mut();
    let mut err: *mut BarterError = null_mut();
    let options = BarterLoadOptions { skip_errors: false, threads: 2 };
    // SAFETY: valid arguments throughout, handles and buffers freed once.
    unsafe {
        assert_eq!(
            barter_market_data_from_json_file_with(path.as_ptr(), &options, &mut handle, &mut err),
            BarterStatus::Ok
        );
        let (mut ptr, mut len) = (null_mut(), 0usize);
        assert_eq!(barter_market_data_to_bytes(handle, &mut ptr, &mut len, &mut err), BarterStatus::Ok);
        let mut copy: *mut BarterMarketData = null_mut();
        assert_eq!(barter_market_data_from_bytes(ptr, len, null(), 0, &mut copy, &mut err), BarterStatus::Ok);
        let (mut a, mut b) = (BarterMarketDataInfo::default(), BarterMarketDataInfo::default());
        assert_eq!(barter_market_data_info(handle, &mut a, null_mut()), BarterStatus::Ok);
        assert_eq!(barter_market_data_info(copy, &mut b, null_mut()), BarterStatus::Ok);
        assert_eq!((a.records, a.items, a.reconnects), (24, 21, 3));
        assert_eq!(a, b);
        let (mut again, mut again_len) = (null_mut(), 0usize);
        assert_eq!(
            barter_market_data_to_bytes(copy, &mut again, &mut again_len, null_mut()),
            BarterStatus::Ok
        );
        assert_eq!(std::slice::from_raw_parts(again, again_len), std::slice::from_raw_parts(ptr, len));
        barter_bytes_free(again, again_len);
        barter_market_data_free(copy);
        copy = null_mut();
        assert_eq!(
            barter_market_data_from_bytes(ptr, len - 1, null(), 0, &mut copy, &mut err),
            BarterStatus::InvalidInput
        );
        barter_error_free(err);
        assert_eq!(
            barter_market_data_from_bytes(null(), 5, null(), 0, &mut copy, null_mut()),
            BarterStatus::NullPointer
        );
        assert_eq!(
            barter_market_data_to_bytes(null(), &mut ptr, &mut len, null_mut()),
            BarterStatus::NullPointer
        );
        assert_eq!(barter_market_data_save(handle, null(), null_mut()), BarterStatus::NullPointer);
        assert_eq!(barter_market_data_load(null(), 0, &mut copy, null_mut()), BarterStatus::NullPointer);
        assert_eq!(
            barter_market_data_from_json_file_with(path.as_ptr(), null(), null_mut(), null_mut()),
            BarterStatus::NullPointer
        );
        let mut defaults: *mut BarterMarketData = null_mut();
        assert_eq!(
            barter_market_data_from_json_file_with(path.as_ptr(), null(), &mut defaults, null_mut()),
            BarterStatus::Ok
        );
        barter_market_data_free(defaults);
        barter_bytes_free(ptr, len);
        barter_market_data_free(copy);
        barter_market_data_free(handle);
    }
}

#[test]
fn arrays_take_the_fast_path_and_equal_json_lines() {
    let lines = trades_jsonl(5000, 0);
    let reference = parse_with(lines.as_bytes(), "x", opts(1)).unwrap();
    let as_results = |separator: &str, spaced: bool| {
        let items: Vec<String> = lines
            .lines()
            .map(|line| match line.strip_prefix("{\"Item\":") {
                Some(rest) if spaced => {
                    format!("{{ \"Item\" : {{ \"Ok\" :\n  {}\n}}", &rest[..rest.len() - 1]) + " }"
                }
                Some(rest) => format!("{{\"Item\":{{\"Ok\":{}}}", &rest[..rest.len() - 1]) + "}",
                None => line.to_owned(),
            })
            .collect();
        format!("[{}]", items.join(separator))
    };
    for (separator, spaced) in [(",", false), (",\n", false), (" ,\n  ", true)] {
        let array = as_results(separator, spaced);
        same(&parse_with(array.as_bytes(), "arr", opts(1)).unwrap(), &reference);
    }
    // An error item sends the whole array to serde: skipped and counted, or named.
    let mut with_error = as_results(",", false);
    with_error.insert_str(1, "{\"Item\":{\"Err\":\"socket closed\"}},");
    let data =
        parse_with(with_error.as_bytes(), "arr", LoadOptions { skip_errors: true, threads: 1 }).unwrap();
    assert_eq!((data.skipped_error_count, data.item_count), (1, 5000));
    assert_eq!(data.records(), reference.records());
    let error = parse_with(with_error.as_bytes(), "arr", opts(1)).unwrap_err();
    assert!(error.message.starts_with("arr: record 0 is an error item"), "{}", error.message);
    // Broken syntax late in an array is still located by serde.
    let broken = as_results(",", false).replacen("\"side\":\"Buy\"", "\"side\":Buy", 1);
    let error = parse_with(broken.as_bytes(), "arr", opts(1)).unwrap_err();
    assert!(error.message.starts_with("arr: line 1 column "), "{}", error.message);
}
