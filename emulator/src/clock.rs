//! The emulator's clock: system time plus an offset that `/_emulator/clock` advances.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub struct Clock {
    offset_secs: AtomicU64,
}

impl Clock {
    /// Unix seconds, emulator time.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let now = real.saturating_add(self.offset_secs.load(Ordering::SeqCst));
        i64::try_from(now).unwrap_or(i64::MAX)
    }

    /// Moves the clock forward; returns the new total offset.
    pub fn advance(&self, secs: u64) -> u64 {
        let mut current = self.offset_secs.load(Ordering::SeqCst);
        loop {
            let next = current.saturating_add(secs);
            match self.offset_secs.compare_exchange(
                current,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return next,
                Err(actual) => current = actual,
            }
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.offset_secs.store(0, Ordering::SeqCst);
    }
}
