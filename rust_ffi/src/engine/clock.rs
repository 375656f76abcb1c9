//! [`EventClock`]: engine time taken only from event time, so a run never reads the wall
//! clock (barter's `HistoricalClock` adds elapsed real time, which makes summaries differ
//! from run to run).

use barter::engine::clock::{EngineClock, TimeExchange};
use barter::engine::Processor;
use barter::EngineEvent;
use chrono::{DateTime, Utc};
use std::fmt::Debug;

/// The latest `time_exchange` seen so far (starting at the first event's time).
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub struct EventClock {
    time: DateTime<Utc>,
}

impl EventClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self { time: start }
    }

    /// Moves the clock to `time` if that is later.
    pub fn advance(&mut self, time: DateTime<Utc>) {
        if time > self.time {
            self.time = time;
        }
    }
}

impl EngineClock for EventClock {
    fn time(&self) -> DateTime<Utc> {
        self.time
    }
}

impl<Kind: Debug> Processor<&EngineEvent<Kind>> for EventClock {
    type Audit = ();

    fn process(&mut self, event: &EngineEvent<Kind>) -> Self::Audit {
        if let Some(time) = event.time_exchange() {
            self.advance(time);
        }
    }
}
