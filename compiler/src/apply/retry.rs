//! The one lock-retry policy of `apply`: an operation whose lock was not granted within
//! `lock_timeout` (SQLSTATE 55P03) is tried again after a backoff with jitter, at most
//! `ApplyOptions::lock_attempts` times in all (the last attempt still has the timeout: R1 of
//! ONLINE-SAFETY.md). Steps, whole-plan transactions, backfill batches and the clean-up of
//! leftovers all count their attempts here.

use std::time::{Duration, Instant};

/// Whether the error is a lock that was not granted in time.
pub(super) fn is_lock_timeout(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "55P03")
}

/// Exponential backoff with jitter: 100 ms doubling to at most 5 s, times 0.5–1.5.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(6)).min(5_000);
    Duration::from_millis((base as f64 * (0.5 + fastrand::f64())) as u64)
}

/// The attempts at one operation.
pub(super) struct LockRetry {
    /// The attempt under way, from 1.
    attempt: u32,
    limit: u32,
    started: Instant,
}

impl LockRetry {
    pub(super) fn new(limit: u32) -> LockRetry {
        LockRetry {
            attempt: 1,
            limit,
            started: Instant::now(),
        }
    }

    /// After the attempt under way timed out on its lock: waits before the next one and returns
    /// true, telling `on_wait` (attempt, wait) first; false when no attempt is left.
    pub(super) async fn wait(&mut self, on_wait: impl FnOnce(u32, Duration)) -> bool {
        if self.attempt >= self.limit {
            return false;
        }
        let wait = backoff(self.attempt);
        on_wait(self.attempt, wait);
        tokio::time::sleep(wait).await;
        self.attempt += 1;
        true
    }

    /// After an attempt succeeded, for operations made of many (backfill batches): the next one
    /// has every attempt again.
    pub(super) fn reset(&mut self) {
        self.attempt = 1;
    }

    /// Attempts made so far.
    pub(super) fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Milliseconds since the first attempt.
    pub(super) fn waited_ms(&self) -> u128 {
        self.started.elapsed().as_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_until_the_attempts_are_spent() {
        let mut retry = LockRetry::new(3);
        let mut seen = Vec::new();
        assert!(retry.wait(|attempt, _| seen.push(attempt)).await);
        assert!(retry.wait(|attempt, _| seen.push(attempt)).await);
        assert!(!retry.wait(|attempt, _| seen.push(attempt)).await);
        assert_eq!(seen, vec![1, 2]);
        assert_eq!(retry.attempts(), 3);
        retry.reset();
        assert_eq!(retry.attempts(), 1);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_five_seconds() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(300));
            let last = backoff(20);
            assert!(last >= Duration::from_millis(2_500) && last <= Duration::from_millis(7_500));
        }
    }
}
