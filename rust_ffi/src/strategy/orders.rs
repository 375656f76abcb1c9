//! [`EngineStrategy`]: the type barter's `Engine` runs as its strategy. It implements
//! barter's strategy traits over our engine state: after every event it turns the
//! [`Strategy`]'s [`Decision`] for the event's instrument into at most one Market order
//! (spot, long only), never while an order of that instrument is in flight; it closes
//! positions with Market orders at the last price; it does nothing on disconnects.

use super::{Decision, Strategy};
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
use rust_decimal::Decimal;
use smol_str::format_smolstr;

#[derive(Debug, Clone)]
pub struct EngineStrategy {
    pub id: StrategyId,
    pub strategy: Strategy,
}

impl EngineStrategy {
    pub fn new(strategy: Strategy) -> Self {
        Self { id: StrategyId::new(strategy.name()), strategy }
    }

    /// Whether `generate_algo_orders` would send an order now. The built-in strategies are
    /// pure functions of the state, so the driver may skip barter's order generation
    /// (which would produce an empty output) when this is false; a strategy with side
    /// effects (a C callback) must answer true and be asked exactly once per event.
    pub fn may_order(&self, state: &State) -> bool {
        self.order(state).is_some()
    }

    /// The one order (if any) the decision for the last market item calls for.
    fn order(&self, state: &State) -> Option<OrderRequestOpen<ExchangeIndex, InstrumentIndex>> {
        let last = state.global.last?;
        let instrument = state.instruments.0.get_index(last.instrument.index())?.1;
        if !instrument.orders.0.is_empty() {
            return None; // an order is in flight: wait for its fill
        }
        let position = signed_position(instrument);
        let decision = self.strategy.decide(last.item, instrument.data.signal);
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
