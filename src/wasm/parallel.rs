//! Mapping many independent items (function bodies) on all cores, keeping their order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Items from which mapping runs on all cores (below, the thread hand-off costs more).
const PARALLEL_ITEMS: usize = 64;

/// Maps `items` with `f`, in parallel when there are many; each thread reuses one state `S`
/// across its items. The results are in the items' order, so the first error in order is the
/// one a sequential walk would meet.
///
/// In parallel, the threads take the items one at a time, heaviest first by `weight` (about
/// the work `f` does on it): the bodies of a module differ in size by orders of magnitude and
/// the big ones are often together, so that an even split of the items by number leaves one
/// thread with most of the work.
pub(crate) fn map_in_order<T, S, R>(
    items: Vec<T>,
    weight: impl Fn(&T) -> usize,
    f: impl Fn(&mut S, (usize, T)) -> R + Sync + Send,
) -> Vec<R>
where
    T: Send,
    S: Default,
    R: Send,
{
    let threads = rayon::current_num_threads();
    if items.len() < PARALLEL_ITEMS || threads < 2 {
        let mut state = S::default();
        return items
            .into_iter()
            .enumerate()
            .map(|item| f(&mut state, item))
            .collect();
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&items[i])));
    let items: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let worker = |_| {
        let mut state = S::default();
        let mut done = Vec::new();
        loop {
            let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return done;
            };
            // Each index is taken once, so the lock is never contended nor poisoned.
            let item = items[i].lock().ok().and_then(|mut item| item.take());
            if let Some(item) = item {
                done.push((i, f(&mut state, (i, item))));
            }
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let per_thread: Vec<Vec<(usize, R)>> = {
        use rayon::prelude::*;
        (0..threads).into_par_iter().map(worker).collect()
    };
    for (i, r) in per_thread.into_iter().flatten() {
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}
