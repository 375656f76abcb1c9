//! [`GlobalData`]: which market item the engine processed last, so the strategy acts
//! once per item, on that item's instrument, and not again after the account events of a
//! fill or after a reconnect marker.

use barter::engine::Processor;
use barter_data::event::MarketEvent;
use barter_execution::AccountEvent;
use barter_instrument::instrument::InstrumentIndex;

/// The last market item, if the last event was one.
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub struct LastItem {
    pub instrument: InstrumentIndex,
    /// 0-based index among the market data items (reconnect markers excluded).
    pub item: usize,
    /// 0-based index among the records (reconnect markers included).
    pub record: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalData {
    pub last: Option<LastItem>,
    /// Market items processed so far.
    pub items: usize,
    /// Index of the record being processed (set by the driver).
    pub record: usize,
    /// Time of the last market item, ns since the epoch.
    pub time_ns: i64,
}

impl<Kind> Processor<&MarketEvent<InstrumentIndex, Kind>> for GlobalData {
    type Audit = ();

    fn process(&mut self, event: &MarketEvent<InstrumentIndex, Kind>) -> Self::Audit {
        self.last = Some(LastItem { instrument: event.instrument, item: self.items, record: self.record });
        self.time_ns = crate::market_data::to_ns(event.time_exchange);
        self.items += 1;
    }
}

impl Processor<&AccountEvent> for GlobalData {
    type Audit = ();

    fn process(&mut self, _: &AccountEvent) -> Self::Audit {
        self.last = None;
    }
}
