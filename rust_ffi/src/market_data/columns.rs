//! Columnar market data: trades and candles built from 1-D columns (validated and turned
//! into the same [`Record`]s the JSON loaders make, in one pass), and the trades and
//! candles of loaded data written back into caller-provided columns.
//!
//! A trade built from columns has an empty `id` (barter's `PublicTrade.id`: the columns
//! carry none); everything else is what the same event read from JSON holds. A candle's
//! time is its `close_time`, which is also the event's `time_exchange` and
//! `time_received`.

use super::{advise_huge_pages, Builder, DayCache, MarketData, Record};
use crate::error::{FfiError, FfiResult};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::candle::Candle;
use barter_data::subscription::trade::PublicTrade;
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};

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

fn builder(rows: usize) -> Builder {
    let builder = Builder::with_capacity(rows);
    advise_huge_pages(builder.records.as_ptr(), builder.records.capacity());
    builder
}

/// Validates trade columns in one pass and builds their records (see the module docs).
/// Errors name the column and the first bad row.
pub fn trades(columns: &TradeColumns<'_>, exchange: ExchangeId) -> FfiResult<MarketData> {
    let rows = columns.time_exchange_ns.len();
    check_len("price", columns.price.len(), "time", rows)?;
    check_len("amount", columns.amount.len(), "time", rows)?;
    check_len("side", columns.side.len(), "time", rows)?;
    if let Some(received) = columns.time_received_ns {
        check_len("time_received", received.len(), "time", rows)?;
    }
    check_instruments(columns.instrument, rows, "time")?;
    let mut out = builder(rows);
    let mut days_exchange = DayCache::default();
    let mut days_received = DayCache::default();
    let mut previous = None;
    for row in 0..rows {
        let time = columns.time_exchange_ns[row];
        check_time("time", row, time, previous)?;
        previous = Some(time);
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
        let instrument = instrument_at(columns.instrument, row)?;
        let time_exchange = days_exchange.time(time);
        let time_received = if received == time { time_exchange } else { days_received.time(received) };
        out.item(MarketEvent {
            time_exchange,
            time_received,
            exchange,
            instrument,
            kind: DataKind::Trade(PublicTrade { id: String::new(), price, amount, side }),
        });
    }
    out.finish("columns")
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
    let mut out = builder(rows);
    let mut days = DayCache::default();
    let mut previous = None;
    for row in 0..rows {
        let time = columns.time_ns[row];
        check_time("time", row, time, previous)?;
        previous = Some(time);
        let (open, high, low, close) =
            (columns.open[row], columns.high[row], columns.low[row], columns.close[row]);
        check_price("open", row, open)?;
        check_price("high", row, high)?;
        check_price("low", row, low)?;
        check_price("close", row, close)?;
        let volume = columns.volume[row];
        check_amount("volume", row, volume)?;
        let instrument = instrument_at(columns.instrument, row)?;
        let close_time = days.time(time);
        out.item(MarketEvent {
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
        });
    }
    out.finish("columns")
}

/// How many trades and candles the data holds.
pub fn kind_counts(data: &MarketData) -> (usize, usize) {
    let (mut trades, mut candles) = (0, 0);
    for record in data.records.iter() {
        if let ReconnectEvent::Item(event) = record {
            match event.kind {
                DataKind::Trade(_) => trades += 1,
                DataKind::Candle(_) => candles += 1,
                _ => {}
            }
        }
    }
    (trades, candles)
}

/// Mutable trade columns to fill, each as long as the data's trade count.
pub struct TradeColumnsMut<'a> {
    pub time_exchange_ns: &'a mut [i64],
    pub time_received_ns: &'a mut [i64],
    pub instrument: &'a mut [i64],
    pub price: &'a mut [f64],
    pub amount: &'a mut [f64],
    pub side: &'a mut [i8],
}

/// Mutable candle columns to fill, each as long as the data's candle count.
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

fn check_out_len(kind: &str, given: usize, count: usize) -> FfiResult<()> {
    if given != count {
        return Err(FfiError::invalid(format!(
            "output columns have {given} rows but the data holds {count} {kind}"
        )));
    }
    Ok(())
}

fn items(data: &MarketData) -> impl Iterator<Item = &MarketEvent<InstrumentIndex, DataKind>> {
    data.records.iter().filter_map(|record: &Record| match record {
        ReconnectEvent::Item(event) => Some(event),
        ReconnectEvent::Reconnecting(_) => None,
    })
}

/// Writes every trade (in record order) into `out`, whose columns must be exactly as
/// long as the trade count. Side: 1 buy, -1 sell.
pub fn write_trades(data: &MarketData, out: TradeColumnsMut<'_>) -> FfiResult<()> {
    let rows = out.time_exchange_ns.len();
    let (count, _) = kind_counts(data);
    check_out_len("trades", rows, count)?;
    for (name, len) in [
        ("time_received_ns", out.time_received_ns.len()),
        ("instrument", out.instrument.len()),
        ("price", out.price.len()),
        ("amount", out.amount.len()),
        ("side", out.side.len()),
    ] {
        check_len(name, len, "time_exchange_ns", rows)?;
    }
    let trades = items(data).filter_map(|event| match &event.kind {
        DataKind::Trade(trade) => Some((event, trade)),
        _ => None,
    });
    for (row, (event, trade)) in trades.enumerate() {
        out.time_exchange_ns[row] = super::to_ns(event.time_exchange);
        out.time_received_ns[row] = super::to_ns(event.time_received);
        out.instrument[row] = event.instrument.index() as i64;
        out.price[row] = trade.price;
        out.amount[row] = trade.amount;
        out.side[row] = match trade.side {
            Side::Buy => 1,
            Side::Sell => -1,
        };
    }
    Ok(())
}

/// Writes every candle (in record order) into `out`, whose columns must be exactly as
/// long as the candle count.
pub fn write_candles(data: &MarketData, out: CandleColumnsMut<'_>) -> FfiResult<()> {
    let rows = out.time_ns.len();
    let (_, count) = kind_counts(data);
    check_out_len("candles", rows, count)?;
    for (name, len) in [
        ("instrument", out.instrument.len()),
        ("open", out.open.len()),
        ("high", out.high.len()),
        ("low", out.low.len()),
        ("close", out.close.len()),
        ("volume", out.volume.len()),
        ("trade_count", out.trade_count.len()),
    ] {
        check_len(name, len, "time_ns", rows)?;
    }
    let candles = items(data).filter_map(|event| match &event.kind {
        DataKind::Candle(candle) => Some((event, candle)),
        _ => None,
    });
    for (row, (event, candle)) in candles.enumerate() {
        out.time_ns[row] = super::to_ns(candle.close_time);
        out.instrument[row] = event.instrument.index() as i64;
        out.open[row] = candle.open;
        out.high[row] = candle.high;
        out.low[row] = candle.low;
        out.close[row] = candle.close;
        out.volume[row] = candle.volume;
        out.trade_count[row] = candle.trade_count;
    }
    Ok(())
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
        write_trades(
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
}
