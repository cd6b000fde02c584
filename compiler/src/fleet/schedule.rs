//! Which target starts when. `Scheduler` is the pure part: a queue in the targets' order, at most
//! `parallel` targets running in all and `per_server` on any one server, and a stop that lets the
//! running ones finish but starts no more. `drive` runs the caller's per-target future under it,
//! canary wave first. Each running target holds one connection, so the budget on running targets
//! is the budget on open connections. Each target runs on a blocking-pool thread with a runtime of
//! its own: its future need not be `Send` (sqlx futures that borrow a connection often cannot be
//! proven so), and planning, which is CPU work, uses every core.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;

use tokio::task::JoinSet;

use super::targets::Target;

/// How many targets may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// In all (at least 1).
    pub parallel: usize,
    /// On one server (at least 1).
    pub per_server: usize,
}

/// How a rollout proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollout {
    pub limits: Limits,
    /// The first `canary` targets run first; if any of them fails, no other target starts.
    pub canary: usize,
    /// Keep starting targets after one failed (otherwise: let the running ones finish, start no more).
    pub keep_going: bool,
}

/// The queue of targets and what is running where.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pending: VecDeque<usize>,
    /// The server of each target, by target index.
    servers: Vec<String>,
    running: usize,
    running_on: BTreeMap<String, usize>,
    limits: Limits,
    stopped: bool,
}

impl Scheduler {
    /// Targets `order` (indexes into `servers`) start in that order, within `limits`.
    pub fn new(
        servers: Vec<String>,
        order: impl IntoIterator<Item = usize>,
        limits: Limits,
    ) -> Self {
        Scheduler {
            pending: order.into_iter().collect(),
            servers,
            running: 0,
            running_on: BTreeMap::new(),
            limits: Limits {
                parallel: limits.parallel.max(1),
                per_server: limits.per_server.max(1),
            },
            stopped: false,
        }
    }

    /// The next target to start, if the budget allows one: the first pending target whose server
    /// has room (a busy server does not hold up targets on the others).
    pub fn start_next(&mut self) -> Option<usize> {
        if self.stopped || self.running >= self.limits.parallel {
            return None;
        }
        let position = self.pending.iter().position(|&index| {
            let server = self.servers.get(index).map_or("", String::as_str);
            self.running_on.get(server).copied().unwrap_or(0) < self.limits.per_server
        })?;
        let index = self.pending.remove(position)?;
        let server = self.servers.get(index).cloned().unwrap_or_default();
        *self.running_on.entry(server).or_default() += 1;
        self.running += 1;
        Some(index)
    }

    /// Target `index`, started by `start_next`, is done.
    pub fn finished(&mut self, index: usize) {
        let server = self.servers.get(index).cloned().unwrap_or_default();
        if let Some(count) = self.running_on.get_mut(&server) {
            *count = count.saturating_sub(1);
        }
        self.running = self.running.saturating_sub(1);
    }

    /// Start no more targets.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Targets running now.
    pub fn running(&self) -> usize {
        self.running
    }

    /// The targets that will never start (after a stop), in order.
    pub fn not_started(&self) -> Vec<usize> {
        if self.stopped {
            self.pending.iter().copied().collect()
        } else {
            Vec::new()
        }
    }
}

/// Runs the future `start(index)()` makes for every target under `rollout`: the canary wave, then
/// the rest. A task that cannot run or ends in a panic is turned into a result by `lost`. `on_done`
/// sees each result as it comes. Returns each target's result, `None` for a target never started.
pub async fn drive<T, Start, Make, Fut>(
    targets: &[Target],
    rollout: &Rollout,
    mut start: Start,
    is_failure: impl Fn(&T) -> bool,
    lost: impl Fn(String) -> T,
    mut on_done: impl FnMut(usize, &T),
) -> Vec<Option<T>>
where
    Start: FnMut(usize) -> Make,
    Make: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let servers: Vec<String> = targets.iter().map(|t| t.server.clone()).collect();
    let mut results: Vec<Option<T>> = targets.iter().map(|_| None).collect();
    let canary = rollout.canary.min(targets.len());
    let waves: Vec<(Vec<usize>, bool)> = if canary > 0 {
        vec![
            ((0..canary).collect(), false),
            ((canary..targets.len()).collect(), rollout.keep_going),
        ]
    } else {
        vec![((0..targets.len()).collect(), rollout.keep_going)]
    };
    for (wave, keep_going) in waves {
        let mut scheduler = Scheduler::new(servers.clone(), wave, rollout.limits);
        let mut tasks: JoinSet<(usize, Result<T, String>)> = JoinSet::new();
        let mut task_targets: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut failed = false;
        loop {
            while let Some(index) = scheduler.start_next() {
                let make = start(index);
                let handle = tasks.spawn_blocking(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| format!("cannot start a runtime for this target: {e}"));
                    (index, runtime.map(|runtime| runtime.block_on(make())))
                });
                task_targets.insert(handle.id(), index);
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (index, result) = match joined {
                Ok((index, Ok(result))) => (index, result),
                Ok((index, Err(message))) => (index, lost(message)),
                Err(error) => match task_targets.get(&error.id()) {
                    Some(&index) => (
                        index,
                        lost(format!(
                            "the task for this target ended abnormally: {error}"
                        )),
                    ),
                    None => continue,
                },
            };
            scheduler.finished(index);
            if is_failure(&result) {
                failed = true;
                if !keep_going {
                    scheduler.stop();
                }
            }
            on_done(index, &result);
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }
        // A failed canary stops the rollout: the other targets are not touched.
        if failed && !keep_going {
            break;
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<String> {
        vec!["a".into(), "a".into(), "a".into(), "b".into(), "b".into()]
    }

    #[test]
    fn the_budget_holds_in_all_and_per_server() {
        let limits = Limits {
            parallel: 3,
            per_server: 2,
        };
        let mut scheduler = Scheduler::new(servers(), 0..5, limits);
        // Two on `a`, then the third on `a` waits while `b` gets the last slot.
        assert_eq!(scheduler.start_next(), Some(0));
        assert_eq!(scheduler.start_next(), Some(1));
        assert_eq!(scheduler.start_next(), Some(3));
        assert_eq!(scheduler.start_next(), None);
        scheduler.finished(3);
        assert_eq!(scheduler.start_next(), Some(4));
        scheduler.finished(0);
        assert_eq!(scheduler.start_next(), Some(2));
        assert_eq!(scheduler.running(), 3);
    }

    #[test]
    fn a_stop_starts_nothing_more() {
        let limits = Limits {
            parallel: 1,
            per_server: 1,
        };
        let mut scheduler = Scheduler::new(servers(), 0..5, limits);
        assert_eq!(scheduler.start_next(), Some(0));
        scheduler.stop();
        scheduler.finished(0);
        assert_eq!(scheduler.start_next(), None);
        assert_eq!(scheduler.not_started(), vec![1, 2, 3, 4]);
    }

    fn fleet(n: usize) -> Vec<Target> {
        (0..n)
            .map(|i| Target {
                name: format!("t{i}"),
                url: String::new(),
                server: format!("s{}", i % 2),
                database: format!("d{i}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn a_failed_canary_stops_the_rollout() {
        let rollout = Rollout {
            limits: Limits {
                parallel: 4,
                per_server: 4,
            },
            canary: 2,
            keep_going: true,
        };
        let results = drive(
            &fleet(6),
            &rollout,
            |index| move || async move { index != 1 },
            |ok| !ok,
            |_| false,
            |_, _| {},
        )
        .await;
        assert_eq!(results[0], Some(true));
        assert_eq!(results[1], Some(false));
        assert!(results[2..].iter().all(Option::is_none));
    }

    #[tokio::test]
    async fn keep_going_runs_every_target_and_stop_leaves_the_rest() {
        let one_at_a_time = Limits {
            parallel: 1,
            per_server: 1,
        };
        let keep_going = Rollout {
            limits: one_at_a_time,
            canary: 0,
            keep_going: true,
        };
        let results = drive(
            &fleet(5),
            &keep_going,
            |i| move || async move { i != 2 },
            |ok| !ok,
            |_| false,
            |_, _| {},
        )
        .await;
        assert!(results.iter().all(Option::is_some));
        let stop = Rollout {
            keep_going: false,
            ..keep_going
        };
        let results = drive(
            &fleet(5),
            &stop,
            |i| move || async move { i != 2 },
            |ok| !ok,
            |_| false,
            |_, _| {},
        )
        .await;
        assert_eq!(
            results,
            vec![Some(true), Some(true), Some(false), None, None]
        );
    }
}
