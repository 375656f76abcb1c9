//! [`EngineStrategy`]: the type barter's `Engine` runs as its strategy. It implements
//! barter's strategy traits over our engine state: after every event it turns the
//! [`Strategy`]'s [`Decision`] for the event's instrument into at most one Market order
//! (spot, long only), never while an order of that instrument is in flight; it closes
//! positions with Market orders at the last price; it does nothing on disconnects.

use super::callback::{CallbackRun, EventFacts};
use super::{Decision, Strategy, StrategyKind};
use crate::engine::State;
use barter::engine::state::instrument::{
    data::InstrumentDataState, filter::InstrumentFilter, InstrumentState,
};
use barter::engine::Engine;
use barter::strategy::{
    algo::AlgoStrategy,
    close_positions::{close_open_positions_with_market_orders, ClosePositionsStrategy},
    on_disconnect::OnDisconnectStrategy,
    on_trading_disabled::OnTradingDisabled,
};
use barter_execution::order::{
    id::{ClientOrderId, StrategyId},
    request::{OrderRequestCancel, OrderRequestOpen, RequestOpen},
    OrderKey, OrderKind, TimeInForce,
};
use barter_instrument::{
    asset::AssetIndex, exchange::ExchangeId, exchange::ExchangeIndex, instrument::InstrumentIndex, Side,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use smol_str::format_smolstr;
use std::cell::Cell;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub struct EngineStrategy {
    pub id: StrategyId,
    pub strategy: Strategy,
    /// The run of a callback strategy (per backtest; `None` for the built-ins).
    pub callback: Option<Rc<CallbackRun>>,
    /// The callback's answer for the current item, asked once in `may_order`.
    decided: Cell<Option<Decimal>>,
}

impl EngineStrategy {
    pub fn new(strategy: Strategy) -> Self {
        let callback = match strategy.kind() {
            StrategyKind::Callback(callback) => Some(Rc::new(CallbackRun::new(callback.clone()))),
            _ => None,
        };
        Self { id: StrategyId::new(strategy.name()), strategy, callback, decided: Cell::new(None) }
    }

    /// Whether `generate_algo_orders` would send an order now; the driver skips barter's
    /// order generation (which would produce an empty output) when this is false. The
    /// built-in strategies are pure functions of the state; a callback strategy is asked
    /// here, exactly once per market item, and its answer kept for `order`.
    pub fn may_order(&self, state: &State) -> bool {
        if let Some(run) = &self.callback {
            let Some(facts) = self.facts(state) else {
                return false;
            };
            self.decided.set(run.event(facts));
        }
        self.order(state).is_some()
    }

    /// What a callback strategy sees about the last market item.
    pub fn facts(&self, state: &State) -> Option<EventFacts> {
        let last = state.global.last?;
        let instrument = state.instruments.0.get_index(last.instrument.index())?.1;
        let free = |asset: AssetIndex| {
            let balance = state.assets.asset_index(&asset).balance.as_ref();
            balance.and_then(|timed| timed.value.free.to_f64()).unwrap_or(0.0)
        };
        Some(EventFacts {
            record: last.record,
            item: last.item,
            instrument: last.instrument.index(),
            time_ns: state.global.time_ns,
            price: instrument.data.price().and_then(|p| p.to_f64()),
            position: signed_position(instrument).to_f64().unwrap_or(0.0),
            quote_free: free(instrument.instrument.underlying.quote),
            base_free: free(instrument.instrument.underlying.base),
            order_in_flight: !instrument.orders.0.is_empty(),
        })
    }

    /// The one order (if any) the decision for the last market item calls for.
    fn order(&self, state: &State) -> Option<OrderRequestOpen<ExchangeIndex, InstrumentIndex>> {
        let last = state.global.last?;
        let instrument = state.instruments.0.get_index(last.instrument.index())?.1;
        let decision = match &self.callback {
            // Asked once per item, an order in flight or not (it sees `order_in_flight`).
            Some(_) => self.decided.get().map_or(Decision::Hold, Decision::Target),
            None if !instrument.orders.0.is_empty() => return None,
            None => self.strategy.decide(last.item, instrument.data.signal),
        };
        if !instrument.orders.0.is_empty() {
            return None; // an order is in flight: wait for its fill
        }
        let position = signed_position(instrument);
        let (side, quantity) = match decision {
            Decision::Hold => return None,
            Decision::Enter(quantity) if position.is_zero() => (Side::Buy, quantity),
            Decision::Exit if position > Decimal::ZERO => (Side::Sell, position),
            Decision::Target(target) => {
                let difference = target.checked_sub(position)?;
                if difference > Decimal::ZERO {
                    (Side::Buy, difference)
                } else if difference < Decimal::ZERO && position > Decimal::ZERO {
                    (Side::Sell, difference.abs().min(position))
                } else {
                    return None;
                }
            }
            Decision::Enter(_) | Decision::Exit => return None,
        };
        let price = instrument.data.price()?;
        Some(OrderRequestOpen {
            key: OrderKey {
                exchange: instrument.instrument.exchange,
                instrument: last.instrument,
                strategy: self.id.clone(),
                cid: ClientOrderId::new(format_smolstr!("{}", last.item)),
            },
            state: RequestOpen {
                side,
                price,
                quantity,
                kind: OrderKind::Market,
                time_in_force: TimeInForce::ImmediateOrCancel,
            },
        })
    }
}

/// The position of an instrument in base units: positive long, negative short, 0 flat.
pub fn signed_position<Data>(instrument: &InstrumentState<Data>) -> Decimal {
    match &instrument.position.current {
        None => Decimal::ZERO,
        Some(position) => match position.side {
            Side::Buy => position.quantity_abs,
            Side::Sell => -position.quantity_abs,
        },
    }
}

impl AlgoStrategy for EngineStrategy {
    type State = State;

    fn generate_algo_orders(
        &self,
        state: &Self::State,
    ) -> (
        impl IntoIterator<Item = OrderRequestCancel<ExchangeIndex, InstrumentIndex>>,
        impl IntoIterator<Item = OrderRequestOpen<ExchangeIndex, InstrumentIndex>>,
    ) {
        (std::iter::empty(), self.order(state))
    }
}

impl ClosePositionsStrategy for EngineStrategy {
    type State = State;

    fn close_positions_requests<'a>(
        &'a self,
        state: &'a Self::State,
        filter: &'a InstrumentFilter,
    ) -> (
        impl IntoIterator<Item = OrderRequestCancel<ExchangeIndex, InstrumentIndex>> + 'a,
        impl IntoIterator<Item = OrderRequestOpen<ExchangeIndex, InstrumentIndex>> + 'a,
    )
    where
        ExchangeIndex: 'a,
        AssetIndex: 'a,
        InstrumentIndex: 'a,
    {
        // Deterministic client order ids (barter's DefaultStrategy uses random ones).
        close_open_positions_with_market_orders(&self.id, state, filter, |instrument| {
            ClientOrderId::new(format_smolstr!("close-{}", instrument.key.index()))
        })
    }
}

impl<Clock, ExecutionTxs, Risk> OnDisconnectStrategy<Clock, State, ExecutionTxs, Risk> for EngineStrategy {
    type OnDisconnect = ();

    fn on_disconnect(
        _: &mut Engine<Clock, State, ExecutionTxs, Self, Risk>,
        _: ExchangeId,
    ) -> Self::OnDisconnect {
    }
}

impl<Clock, ExecutionTxs, Risk> OnTradingDisabled<Clock, State, ExecutionTxs, Risk> for EngineStrategy {
    type OnTradingDisabled = ();

    fn on_trading_disabled(
        _: &mut Engine<Clock, State, ExecutionTxs, Self, Risk>,
    ) -> Self::OnTradingDisabled {
    }
}
