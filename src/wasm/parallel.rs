//! Mapping many independent items (function bodies) on all cores, keeping their order.

use rayon::prelude::*;

/// Items from which mapping runs on all cores (below, the thread hand-off costs more).
const PARALLEL_ITEMS: usize = 64;

/// Maps `items` with `f`, in parallel when there are many; each thread reuses one state `S`
/// across its items. The results are in the items' order, so the first error in order is the
/// one a sequential walk would meet.
pub(crate) fn map_in_order<T, S, R>(
    items: Vec<T>,
    f: impl Fn(&mut S, (usize, T)) -> R + Sync + Send,
) -> Vec<R>
where
    T: Send,
    S: Default,
    R: Send,
{
    if items.len() < PARALLEL_ITEMS {
        let mut state = S::default();
        return items
            .into_iter()
            .enumerate()
            .map(|item| f(&mut state, item))
            .collect();
    }
    items
        .into_par_iter()
        .enumerate()
        .map_init(S::default, f)
        .collect()
}
