//! A small ordered parallel map over scoped threads: results come back in
//! input order, so output never depends on the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The default number of jobs: the machine's available parallelism.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Maps `f` over `items` on up to `jobs` threads; results are in the order
/// of `items`. Threads take the next item as they finish one, so uneven
/// items still balance.
pub fn map<'t, T: Sync, R: Send>(
    items: &'t [T],
    jobs: usize,
    f: impl Fn(&'t T) -> R + Sync,
) -> Vec<R> {
    let jobs = jobs.clamp(1, items.len().max(1));
    if jobs == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        // The calling thread is one of the workers: one thread fewer to
        // start and to wait for.
        let workers: Vec<_> = (1..jobs).map(|_| s.spawn(work)).collect();
        let mut parts = vec![work()];
        parts.extend(
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        parts
    });
    let mut all: Vec<(usize, R)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// [`map`] that takes each item by value, for steps that consume what an
/// earlier step made.
pub fn map_into<T: Send, R: Send>(items: Vec<T>, jobs: usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let cells: Vec<std::sync::Mutex<Option<T>>> = items
        .into_iter()
        .map(|t| std::sync::Mutex::new(Some(t)))
        .collect();
    map(&cells, jobs, |c| {
        // Each cell is taken exactly once (`map` visits every index once),
        // so every item is there and the results keep their order.
        let item = c
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        item.map(&f)
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let v: Vec<u64> = (0..1000).collect();
        for jobs in [1, 2, 7] {
            assert_eq!(
                super::map(&v, jobs, |x| x * 2),
                v.iter().map(|x| x * 2).collect::<Vec<_>>()
            );
        }
        assert!(super::map(&[] as &[u8], 4, |x| *x).is_empty());
        for jobs in [1, 3] {
            let owned: Vec<String> = (0..100).map(|i| i.to_string()).collect();
            let got = super::map_into(owned.clone(), jobs, |s| s + "!");
            assert_eq!(
                got,
                owned.iter().map(|s| format!("{s}!")).collect::<Vec<_>>()
            );
        }
    }
}
