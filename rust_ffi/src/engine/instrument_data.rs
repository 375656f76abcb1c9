//! [`InstrumentData`]: our `InstrumentDataState` for barter's engine. Unlike barter's
//! `DefaultInstrumentMarketData` it takes candles (their close) as well as trades and L1
//! mids, and every event counts, also several at one timestamp: the last price is the
//! last priced event's, in file order. It also holds the strategy's indicator state for
//! the instrument and the signal of the event just processed.

use super::price::{EventPrices, Mark};
use crate::strategy::{Indicator, Signal};
use barter::engine::state::instrument::data::InstrumentDataState;
use barter::engine::state::order::in_flight_recorder::InFlightRequestRecorder;
use barter::engine::Processor;
use barter_data::event::{DataKind, MarketEvent};
use barter_execution::order::request::{OrderRequestCancel, OrderRequestOpen};
use barter_execution::AccountEvent;
use barter_instrument::{exchange::ExchangeIndex, instrument::InstrumentIndex};
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct InstrumentData {
    /// The last price: a trade's price, a candle's close, an L1 mid.
    pub mark: Option<Mark>,
    pub indicator: Indicator,
    /// The indicator's signal for the last market event of this instrument (`None` for
    /// events without an indicator price).
    pub signal: Signal,
    /// The first price the indicator could not use exactly (the run fails with it).
    pub error: Option<f64>,
}

impl InstrumentData {
    pub fn new(indicator: Indicator) -> Self {
        Self { mark: None, indicator, signal: Signal::None, error: None }
    }
}

impl InstrumentDataState for InstrumentData {
    type MarketEventKind = DataKind;

    fn price(&self) -> Option<Decimal> {
        self.mark.and_then(Mark::decimal)
    }
}

impl Processor<&MarketEvent<InstrumentIndex, DataKind>> for InstrumentData {
    type Audit = ();

    fn process(&mut self, event: &MarketEvent<InstrumentIndex, DataKind>) -> Self::Audit {
        self.signal = Signal::None;
        let Some(prices) = EventPrices::of(&event.kind) else {
            return;
        };
        self.mark = Some(prices.close);
        if let Some(price) = prices.indicator {
            if self.error.is_some() {
                return;
            }
            match self.indicator.on_price(price) {
                Ok(signal) => self.signal = signal,
                Err(_) => self.error = Some(price),
            }
        }
    }
}

impl Processor<&AccountEvent> for InstrumentData {
    type Audit = ();

    fn process(&mut self, _: &AccountEvent) -> Self::Audit {}
}

impl InFlightRequestRecorder<ExchangeIndex, InstrumentIndex> for InstrumentData {
    fn record_in_flight_cancel(&mut self, _: &OrderRequestCancel<ExchangeIndex, InstrumentIndex>) {}

    fn record_in_flight_open(&mut self, _: &OrderRequestOpen<ExchangeIndex, InstrumentIndex>) {}
}
