//! Cancellation: a flag a long call checks every few milliseconds of work. Tripped from
//! another thread (Python's Ctrl-C handling, or a C caller), the call stops and fails
//! with `BarterStatus::Cancelled`.

use crate::error::{BarterStatus, FfiError, FfiResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shareable cancel flag; clones trip and see the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag nobody trips.
    pub fn never() -> Self {
        Self::default()
    }

    pub fn trip(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_tripped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once tripped.
    pub fn check(&self) -> FfiResult<()> {
        if self.is_tripped() {
            Err(FfiError::new(BarterStatus::Cancelled, "cancelled"))
        } else {
            Ok(())
        }
    }
}
