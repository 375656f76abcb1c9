//! The process-wide tokio runtime: made on first use, reused by every call, and made
//! anew in a forked child (whose copy of the parent's runtime has no worker threads).

use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The runtime for this process, created if this process has none yet.
pub fn runtime() -> std::io::Result<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = slot.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(runtime));
        }
    }
    if let Some((_, inherited)) = slot.take() {
        // Inherited across fork: its threads do not exist here, so dropping it could
        // block on them. Leak it instead.
        std::mem::forget(inherited);
    }
    let runtime =
        Arc::new(tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("barter-ffi").build()?);
    *slot = Some((pid, Arc::clone(&runtime)));
    Ok(runtime)
}
