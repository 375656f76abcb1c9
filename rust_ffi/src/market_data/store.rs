//! How loaded market data is held: barter's own records ([`Store::Records`], any kind of
//! event) or, for data that is only trades (and reconnect markers), columns
//! ([`TradeStore`]: about 33 bytes per trade instead of a 128-byte record plus a
//! heap-allocated trade id). Readers go through [`MarketData`](super::MarketData)'s
//! accessors ([`RecordRef`], [`Replay`]), which work the same on both.

use super::{DayCache, Record};
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::reconnect::Event as ReconnectEvent;
use barter_data::subscription::trade::PublicTrade;
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex, Side};

/// The records of loaded market data.
// One per loaded data set (behind an `Arc`): the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Store {
    Records(Vec<Record>),
    Trades(TradeStore),
}

/// A column whose values are often all the same: held as one value until a second
/// value arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Uniform<T> {
    len: usize,
    /// The value of every row while `values` is empty (meaningless when `len` is 0).
    same: T,
    values: Vec<T>,
}

impl<T: Copy + PartialEq + Default> Default for Uniform<T> {
    fn default() -> Self {
        Self { len: 0, same: T::default(), values: Vec::new() }
    }
}

impl<T: Copy + PartialEq + Default> Uniform<T> {
    /// `len` rows of `value`.
    pub fn same(value: T, len: usize) -> Self {
        Self { len, same: value, values: Vec::new() }
    }

    /// One value per row (kept as one value when they are all equal).
    pub fn from_vec(values: Vec<T>) -> Self {
        match values.first() {
            Some(first) if values.iter().all(|v| v == first) => Self::same(*first, values.len()),
            _ => Self { len: values.len(), same: T::default(), values },
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values when they differ; `None` when every row holds [`Self::first`].
    pub fn each(&self) -> Option<&[T]> {
        (!self.values.is_empty()).then_some(&self.values[..])
    }

    /// The value every row holds when they are all equal (`Default` when empty).
    pub fn first(&self) -> T {
        self.values.first().copied().unwrap_or(self.same)
    }

    #[inline]
    pub fn get(&self, row: usize) -> T {
        if self.values.is_empty() {
            self.same
        } else {
            self.values[row]
        }
    }

    #[inline]
    pub fn push(&mut self, value: T) {
        if self.values.is_empty() {
            if self.len == 0 {
                self.same = value;
            } else if value != self.same {
                self.values.reserve(self.len + 1);
                self.values.resize(self.len, self.same);
                self.values.push(value);
            }
        } else {
            self.values.push(value);
        }
        self.len += 1;
    }

    /// Appends `other`'s rows.
    pub fn append(&mut self, other: &Uniform<T>) {
        if other.len == 0 {
            return;
        }
        if self.len == 0 {
            *self = other.clone();
            return;
        }
        if self.values.is_empty() && other.values.is_empty() && self.same == other.same {
            self.len += other.len;
            return;
        }
        if self.values.is_empty() {
            self.values.resize(self.len, self.same);
        }
        match other.each() {
            Some(values) => self.values.extend_from_slice(values),
            None => self.values.resize(self.len + other.len, other.same),
        }
        self.len += other.len;
    }

    fn reserve_exact(&mut self, additional: usize) {
        if !self.values.is_empty() {
            self.values.reserve_exact(additional);
        }
    }

    fn bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T>()
    }
}

/// Trades (and reconnect markers) as columns, in record order. Trade `t` is record
/// `t + (reconnect markers before it)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradeStore {
    pub time_exchange_ns: Vec<i64>,
    /// Empty while every trade's `time_received` equals its `time_exchange`.
    pub time_received_ns: Vec<i64>,
    pub price: Vec<f64>,
    pub amount: Vec<f64>,
    /// 1 buy, -1 sell (numpy's convention, so `to_numpy` can lend it as it is).
    pub side: Vec<i8>,
    /// Indices >= 0, as int64 so that `to_numpy` lends the column without widening it.
    pub instrument: Uniform<i64>,
    /// Index into `exchanges` per trade.
    pub exchange: Uniform<u8>,
    /// The exchanges of the trades and markers, in order of first appearance.
    pub exchanges: Vec<ExchangeId>,
    /// Trade `t`'s id is `ids[id_ends[t - 1]..id_ends[t]]` (from 0 for the first);
    /// `id_ends` is empty while every id is empty. (At most 4 GiB of ids: more data
    /// stays barter's records.)
    pub ids: String,
    pub id_ends: Vec<u32>,
    /// Reconnect markers: (record index, exchange), record indices ascending.
    pub reconnects: Vec<(usize, ExchangeId)>,
}

/// A borrowed trade of a [`TradeStore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeRef<'a> {
    pub time_exchange_ns: i64,
    pub time_received_ns: i64,
    pub exchange: ExchangeId,
    pub instrument: usize,
    pub price: f64,
    pub amount: f64,
    pub side: Side,
    pub id: &'a str,
}

impl TradeRef<'_> {
    /// The item barter's engine sees.
    pub fn to_event(&self) -> MarketEvent<InstrumentIndex, DataKind> {
        MarketEvent {
            time_exchange: chrono::DateTime::from_timestamp_nanos(self.time_exchange_ns),
            time_received: chrono::DateTime::from_timestamp_nanos(self.time_received_ns),
            exchange: self.exchange,
            instrument: InstrumentIndex(self.instrument),
            kind: DataKind::Trade(PublicTrade {
                id: self.id.to_owned(),
                price: self.price,
                amount: self.amount,
                side: self.side,
            }),
        }
    }
}

/// One record of either store: a stored record, or a trade or marker of a
/// [`TradeStore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordRef<'a> {
    Record(&'a Record),
    Trade(TradeRef<'a>),
    Reconnecting(ExchangeId),
}

impl RecordRef<'_> {
    /// The record as barter's type (allocates the trade id of a column trade).
    pub fn to_record(&self) -> Record {
        match self {
            RecordRef::Record(record) => (*record).clone(),
            RecordRef::Trade(trade) => ReconnectEvent::Item(trade.to_event()),
            RecordRef::Reconnecting(exchange) => ReconnectEvent::Reconnecting(*exchange),
        }
    }

    /// The exchange of the item or of the reconnect marker.
    pub fn exchange(&self) -> ExchangeId {
        match self {
            RecordRef::Record(ReconnectEvent::Item(event)) => event.exchange,
            RecordRef::Record(ReconnectEvent::Reconnecting(exchange)) | RecordRef::Reconnecting(exchange) => {
                *exchange
            }
            RecordRef::Trade(trade) => trade.exchange,
        }
    }

    /// The instrument of an item; `None` for a reconnect marker.
    pub fn instrument(&self) -> Option<usize> {
        match self {
            RecordRef::Record(ReconnectEvent::Item(event)) => Some(event.instrument.index()),
            RecordRef::Trade(trade) => Some(trade.instrument),
            _ => None,
        }
    }
}

impl TradeStore {
    /// Trades plus reconnect markers.
    pub fn len(&self) -> usize {
        self.time_exchange_ns.len() + self.reconnects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn trade_count(&self) -> usize {
        self.time_exchange_ns.len()
    }

    /// Bytes held by the columns (capacity).
    pub fn heap_bytes(&self) -> usize {
        self.time_exchange_ns.capacity() * 8
            + self.time_received_ns.capacity() * 8
            + self.price.capacity() * 8
            + self.amount.capacity() * 8
            + self.side.capacity()
            + self.instrument.bytes()
            + self.exchange.bytes()
            + self.ids.capacity()
            + self.id_ends.capacity() * 4
            + self.reconnects.capacity() * std::mem::size_of::<(usize, ExchangeId)>()
    }

    /// Checks that the columns fit together (what the accessors rely on): one length,
    /// exchange indices inside the table, sides 1 or -1, instruments >= 0, id offsets ascending on
    /// character boundaries up to the ids' end, marker positions ascending inside the
    /// records.
    pub fn check(&self) -> Result<(), String> {
        let n = self.trade_count();
        let lengths = [
            ("time_received_ns", self.time_received_ns.len(), self.time_received_ns.is_empty()),
            ("price", self.price.len(), false),
            ("amount", self.amount.len(), false),
            ("side", self.side.len(), false),
            ("instrument", self.instrument.len(), false),
            ("exchange", self.exchange.len(), false),
            ("id_ends", self.id_ends.len(), self.id_ends.is_empty()),
        ];
        if let Some((name, len, _)) = lengths.iter().find(|(_, len, optional)| *len != n && !optional) {
            return Err(format!("{name} has {len} values for {n} trades"));
        }
        let max_exchange =
            self.exchange.each().map_or(self.exchange.first(), |e| e.iter().copied().max().unwrap_or(0));
        if n > 0 && usize::from(max_exchange) >= self.exchanges.len() {
            return Err("a trade's exchange is not in the exchange table".to_owned());
        }
        // Branch-free folds (vectorised) first; the row is looked for only on failure.
        if !self.side.iter().fold(true, |ok, s| ok & ((*s == 1) | (*s == -1))) {
            let row = self.side.iter().position(|s| *s != 1 && *s != -1).unwrap_or(0);
            return Err(format!("trade {row}: side {}", self.side[row]));
        }
        // The sign bit of the OR of every index: set when one of them is negative.
        let signs = match self.instrument.each() {
            Some(instrument) => instrument.iter().fold(0, |signs, i| signs | *i),
            None if n > 0 => self.instrument.first(),
            None => 0,
        };
        if signs < 0 {
            let row = self.instrument.each().and_then(|i| i.iter().position(|i| *i < 0)).unwrap_or(0);
            return Err(format!("trade {row}: instrument {}", self.instrument.get(row)));
        }
        let mut previous = 0u32;
        for end in &self.id_ends {
            if *end < previous || !self.ids.is_char_boundary(*end as usize) {
                return Err("trade id offsets out of order".to_owned());
            }
            previous = *end;
        }
        if !self.id_ends.is_empty() && previous as usize != self.ids.len() {
            return Err("trade ids past the last offset".to_owned());
        }
        let records = self.len();
        let mut next = 0;
        for (at, _) in &self.reconnects {
            if *at < next || *at >= records {
                return Err("reconnect marker positions out of order".to_owned());
            }
            next = at + 1;
        }
        Ok(())
    }

    /// Room for `additional` more trades.
    pub fn reserve(&mut self, additional: usize) {
        self.time_exchange_ns.reserve_exact(additional);
        if !self.time_received_ns.is_empty() {
            self.time_received_ns.reserve_exact(additional);
        }
        self.price.reserve_exact(additional);
        self.amount.reserve_exact(additional);
        self.side.reserve_exact(additional);
        self.instrument.reserve_exact(additional);
        self.exchange.reserve_exact(additional);
        if !self.id_ends.is_empty() {
            self.id_ends.reserve_exact(additional);
        }
    }

    fn exchange_index(&mut self, exchange: ExchangeId) -> Option<u8> {
        if let Some(index) = self.exchanges.iter().position(|e| *e == exchange) {
            return Some(index as u8);
        }
        if self.exchanges.len() == usize::from(u8::MAX) {
            return None; // 255 at most: the binary form's table counts them in a byte
        }
        self.exchanges.push(exchange);
        Some((self.exchanges.len() - 1) as u8)
    }

    /// Appends a trade; `false` (nothing appended) when it does not fit the columns
    /// (instrument over `i64::MAX`, a 256th exchange, over 4 GiB of trade ids).
    #[inline]
    pub fn push_trade(&mut self, trade: &TradeRef<'_>) -> bool {
        let Ok(instrument) = i64::try_from(trade.instrument) else { return false };
        let Ok(id_end) = u32::try_from(self.ids.len() + trade.id.len()) else { return false };
        let Some(exchange) = self.exchange_index(trade.exchange) else { return false };
        let row = self.time_exchange_ns.len();
        self.time_exchange_ns.push(trade.time_exchange_ns);
        if !self.time_received_ns.is_empty() {
            self.time_received_ns.push(trade.time_received_ns);
        } else if trade.time_received_ns != trade.time_exchange_ns {
            self.time_received_ns.reserve(self.time_exchange_ns.capacity());
            self.time_received_ns.extend_from_slice(&self.time_exchange_ns[..row]);
            self.time_received_ns.push(trade.time_received_ns);
        }
        self.price.push(trade.price);
        self.amount.push(trade.amount);
        self.side.push(if trade.side == Side::Buy { 1 } else { -1 });
        self.instrument.push(instrument);
        self.exchange.push(exchange);
        if !self.id_ends.is_empty() || !trade.id.is_empty() {
            if self.id_ends.is_empty() {
                self.id_ends.reserve(self.time_exchange_ns.capacity());
                self.id_ends.resize(row, 0);
            }
            self.ids.push_str(trade.id);
            self.id_ends.push(id_end);
        }
        true
    }

    /// Appends a reconnect marker as the next record.
    pub fn push_reconnect(&mut self, exchange: ExchangeId) {
        let record = self.len();
        self.reconnects.push((record, exchange));
    }

    /// Appends `other`'s records; `false` (nothing appended) when the exchanges do not
    /// fit one table or the ids 4 GiB.
    pub fn append(&mut self, other: &TradeStore) -> bool {
        if u32::try_from(self.ids.len() + other.ids.len()).is_err() {
            return false;
        }
        let mut map = Vec::with_capacity(other.exchanges.len());
        let mut exchanges = self.exchanges.clone();
        for exchange in &other.exchanges {
            match exchanges.iter().position(|e| e == exchange) {
                Some(index) => map.push(index as u8),
                None if exchanges.len() < usize::from(u8::MAX) => {
                    exchanges.push(*exchange);
                    map.push((exchanges.len() - 1) as u8);
                }
                None => return false,
            }
        }
        self.exchanges = exchanges;
        let (rows, records) = (self.trade_count(), self.len());
        match (self.time_received_ns.is_empty(), other.time_received_ns.is_empty()) {
            (true, true) => {}
            (false, false) => self.time_received_ns.extend_from_slice(&other.time_received_ns),
            (false, true) => self.time_received_ns.extend_from_slice(&other.time_exchange_ns),
            (true, false) => {
                self.time_received_ns.reserve(rows + other.trade_count());
                self.time_received_ns.extend_from_slice(&self.time_exchange_ns);
                self.time_received_ns.extend_from_slice(&other.time_received_ns);
            }
        }
        self.time_exchange_ns.extend_from_slice(&other.time_exchange_ns);
        self.price.extend_from_slice(&other.price);
        self.amount.extend_from_slice(&other.amount);
        self.side.extend_from_slice(&other.side);
        self.instrument.append(&other.instrument);
        let identity = map.iter().enumerate().all(|(i, m)| usize::from(*m) == i);
        if identity {
            self.exchange.append(&other.exchange);
        } else {
            let mut mapped = Uniform::default();
            for row in 0..other.trade_count() {
                mapped.push(map[usize::from(other.exchange.get(row))]);
            }
            self.exchange.append(&mapped);
        }
        if !other.id_ends.is_empty() || !self.id_ends.is_empty() {
            if self.id_ends.is_empty() {
                self.id_ends.resize(rows, 0);
            }
            let base = self.ids.len() as u32;
            self.ids.push_str(&other.ids);
            if other.id_ends.is_empty() {
                self.id_ends.resize(rows + other.trade_count(), base);
            } else {
                self.id_ends.extend(other.id_ends.iter().map(|end| end + base));
            }
        }
        self.reconnects.extend(other.reconnects.iter().map(|(at, exchange)| (at + records, *exchange)));
        true
    }

    /// Trade `t`.
    #[inline]
    pub fn trade(&self, t: usize) -> TradeRef<'_> {
        let time_exchange_ns = self.time_exchange_ns[t];
        // Lookups that cannot panic (the store's invariants make them exact), so that a
        // reader that ignores the id or the receive time does not pay for them.
        let id = match self.id_ends.get(t) {
            Some(end) => {
                let start = t.checked_sub(1).and_then(|p| self.id_ends.get(p)).map_or(0, |s| *s as usize);
                self.ids.get(start..*end as usize).unwrap_or("")
            }
            None => "",
        };
        TradeRef {
            time_exchange_ns,
            time_received_ns: self.time_received_ns.get(t).copied().unwrap_or(time_exchange_ns),
            exchange: self.exchanges[usize::from(self.exchange.get(t))],
            instrument: self.instrument.get(t) as usize,
            price: self.price[t],
            amount: self.amount[t],
            side: if self.side[t] > 0 { Side::Buy } else { Side::Sell },
            id,
        }
    }

    /// Record `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        if index >= self.len() {
            return None;
        }
        // Markers before `index` (or at it).
        let before = self.reconnects.partition_point(|(at, _)| *at < index);
        match self.reconnects.get(before) {
            Some((at, exchange)) if *at == index => Some(RecordRef::Reconnecting(*exchange)),
            _ => Some(RecordRef::Trade(self.trade(index - before))),
        }
    }

    /// The records from `start` on, in order.
    pub fn iter_from(&self, start: usize) -> TradeIter<'_> {
        let start = start.min(self.len());
        let marker = self.reconnects.partition_point(|(at, _)| *at < start);
        TradeIter { store: self, record: start, trade: start - marker, marker }
    }
}

/// The records of a [`TradeStore`] in order.
pub struct TradeIter<'a> {
    store: &'a TradeStore,
    record: usize,
    trade: usize,
    marker: usize,
}

impl<'a> Iterator for TradeIter<'a> {
    type Item = RecordRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<RecordRef<'a>> {
        if let Some((at, exchange)) = self.store.reconnects.get(self.marker) {
            if *at == self.record {
                self.marker += 1;
                self.record += 1;
                return Some(RecordRef::Reconnecting(*exchange));
            }
        }
        if self.trade >= self.store.trade_count() {
            return None;
        }
        let trade = self.store.trade(self.trade);
        self.trade += 1;
        self.record += 1;
        Some(RecordRef::Trade(trade))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.store.len() - self.record;
        (left, Some(left))
    }
}

/// The records of either store in order.
pub enum Iter<'a> {
    Records(std::slice::Iter<'a, Record>),
    Trades(TradeIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = RecordRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<RecordRef<'a>> {
        match self {
            Iter::Records(records) => records.next().map(RecordRef::Record),
            Iter::Trades(trades) => trades.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Records(records) => records.size_hint(),
            Iter::Trades(trades) => trades.size_hint(),
        }
    }
}

/// Turns [`RecordRef`]s into `&Record`s for the deterministic driver's engine: stored
/// records as they are; a column trade written into one reused record, so replaying
/// columns builds no per-event records. Only what that engine reads is written: time
/// and exchange, instrument, price, amount and side (barter 0.14's
/// `EngineState::update_from_market`, the driver's clock, `GlobalData` and
/// `InstrumentData` read nothing else); the trade id stays empty and `time_received`
/// equals `time_exchange`. [`RecordRef::to_record`] gives the whole record.
pub struct Replay {
    item: Record,
    reconnect: Record,
    days: DayCache,
}

impl Default for Replay {
    fn default() -> Self {
        let epoch = chrono::DateTime::from_timestamp_nanos(0);
        Self {
            item: ReconnectEvent::Item(MarketEvent {
                time_exchange: epoch,
                time_received: epoch,
                exchange: ExchangeId::Simulated,
                instrument: InstrumentIndex(0),
                kind: DataKind::Trade(PublicTrade {
                    id: String::new(),
                    price: 0.0,
                    amount: 0.0,
                    side: Side::Buy,
                }),
            }),
            reconnect: ReconnectEvent::Reconnecting(ExchangeId::Simulated),
            days: DayCache::default(),
        }
    }
}

impl Replay {
    /// The record `record` stands for, as far as the engine reads it (see above).
    #[inline]
    pub fn record<'s>(&'s mut self, record: RecordRef<'s>) -> &'s Record {
        match record {
            RecordRef::Record(record) => record,
            RecordRef::Reconnecting(exchange) => {
                self.reconnect = ReconnectEvent::Reconnecting(exchange);
                &self.reconnect
            }
            RecordRef::Trade(trade) => {
                let ReconnectEvent::Item(event) = &mut self.item else { unreachable!("an item") };
                event.time_exchange = self.days.time(trade.time_exchange_ns);
                event.time_received = event.time_exchange;
                event.exchange = trade.exchange;
                event.instrument = InstrumentIndex(trade.instrument);
                let DataKind::Trade(public) = &mut event.kind else { unreachable!("a trade") };
                public.price = trade.price;
                public.amount = trade.amount;
                public.side = trade.side;
                &self.item
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(t: i64, id: &'static str, instrument: usize, exchange: ExchangeId) -> TradeRef<'static> {
        TradeRef {
            time_exchange_ns: t,
            time_received_ns: t + (t % 2),
            exchange,
            instrument,
            price: 1.5 + t as f64,
            amount: 0.25,
            side: if t % 3 == 0 { Side::Sell } else { Side::Buy },
            id,
        }
    }

    #[test]
    fn uniform_columns_hold_one_value_until_a_second_arrives() {
        let mut column = Uniform::default();
        (0..3).for_each(|_| column.push(7u32));
        assert_eq!((column.len(), column.each(), column.first()), (3, None, 7));
        column.push(8);
        assert_eq!(column.each(), Some(&[7, 7, 7, 8][..]));
        let mut other = Uniform::same(9u32, 2);
        other.append(&column);
        assert_eq!(other.each(), Some(&[9, 9, 7, 7, 7, 8][..]));
        let mut same = Uniform::same(9u32, 2);
        same.append(&Uniform::same(9, 3));
        assert_eq!((same.len(), same.each()), (5, None));
        assert_eq!(Uniform::from_vec(vec![4u8, 4]).each(), None);
        assert_eq!(Uniform::from_vec(vec![4u8, 5]).get(1), 5);
    }

    #[test]
    fn check_names_columns_that_do_not_fit_together() {
        let mut store = TradeStore::default();
        for t in 0..4 {
            assert!(store.push_trade(&trade(10 + t, if t == 1 { "ab" } else { "" }, 1, ExchangeId::Okx)));
        }
        store.push_reconnect(ExchangeId::Kraken);
        assert_eq!(store.check(), Ok(()));
        let broken = |edit: &dyn Fn(&mut TradeStore)| {
            let mut copy = store.clone();
            edit(&mut copy);
            copy.check().unwrap_err()
        };
        assert_eq!(broken(&|s| s.price.truncate(3)), "price has 3 values for 4 trades");
        assert_eq!(broken(&|s| s.side[2] = 0), "trade 2: side 0");
        assert_eq!(broken(&|s| s.instrument = Uniform::same(-1, 4)), "trade 0: instrument -1");
        assert_eq!(
            broken(&|s| s.instrument = Uniform::from_vec(vec![1, 1, -2, 1])),
            "trade 2: instrument -2"
        );
        assert_eq!(
            broken(&|s| s.exchange = Uniform::same(1, 4)),
            "a trade's exchange is not in the exchange table"
        );
        assert_eq!(broken(&|s| s.id_ends[2] = 1), "trade id offsets out of order");
        assert_eq!(broken(&|s| s.ids.push('x')), "trade ids past the last offset");
        assert_eq!(broken(&|s| s.reconnects[0].0 = 5), "reconnect marker positions out of order");
        let error = super::super::MarketData::new(
            Store::Trades(TradeStore { side: vec![0], ..store.clone() }),
            0,
            "test",
        )
        .unwrap_err();
        assert_eq!(error.message, "test: side has 1 values for 4 trades");
    }

    #[test]
    fn pushes_appends_and_lookups_agree() {
        let trades = [
            trade(10, "", 0, ExchangeId::Simulated),
            trade(11, "a", 2, ExchangeId::Simulated),
            trade(12, "", 2, ExchangeId::BinanceSpot),
            trade(13, "ü7", 1, ExchangeId::Simulated),
        ];
        // Records: R T T R T R T (markers at 0, 3, 5).
        let layout = [None, Some(0), Some(1), None, Some(2), None, Some(3)];
        let whole = {
            let mut store = TradeStore::default();
            for slot in layout {
                match slot {
                    Some(t) => assert!(store.push_trade(&trades[t])),
                    None => store.push_reconnect(ExchangeId::Coinbase),
                }
            }
            store
        };
        for split in 0..=layout.len() {
            let (mut a, mut b) = (TradeStore::default(), TradeStore::default());
            for (index, slot) in layout.iter().enumerate() {
                let part = if index < split { &mut a } else { &mut b };
                match slot {
                    Some(t) => assert!(part.push_trade(&trades[*t])),
                    None => part.push_reconnect(ExchangeId::Coinbase),
                }
            }
            assert!(a.append(&b));
            let got: Vec<_> = a.iter_from(0).map(|r| r.to_record()).collect();
            let want: Vec<_> = whole.iter_from(0).map(|r| r.to_record()).collect();
            assert_eq!(got, want, "split at {split}");
        }
        assert_eq!(whole.len(), 7);
        for (index, slot) in layout.iter().enumerate() {
            let got = whole.get(index).unwrap();
            match slot {
                Some(t) => assert_eq!(got, RecordRef::Trade(trades[*t])),
                None => assert_eq!(got, RecordRef::Reconnecting(ExchangeId::Coinbase)),
            }
            assert_eq!(whole.iter_from(index).next(), Some(got));
        }
        assert_eq!(whole.get(7), None);
        assert_eq!(whole.iter_from(9).next(), None);
        let mut replay = Replay::default();
        for record in whole.iter_from(0) {
            let mut want = record.to_record();
            if let ReconnectEvent::Item(event) = &mut want {
                // What the engine does not read is not replayed.
                event.time_received = event.time_exchange;
                if let DataKind::Trade(trade) = &mut event.kind {
                    trade.id.clear();
                }
            }
            assert_eq!(replay.record(record), &want);
        }
    }
}
