//! Progress of a long call: a counter the call advances as units of work finish (one
//! backtest of a batch) and another thread reads while it runs, without locking or
//! waiting. Shared by clones, like [`crate::cancel::Cancel`], and passed next to it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A shareable "units done" counter; clones advance and read the same count.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicUsize>);

impl Progress {
    /// A counter nobody reads.
    pub fn unobserved() -> Self {
        Self::default()
    }

    /// One more unit finished.
    pub fn advance(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Units finished so far.
    pub fn done(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}
