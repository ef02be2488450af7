//! The executor's rarer operations, kept out of the main loop: host calls and table operations.

use super::view::range;
use crate::wasm::error::{Trap, TrapCode};
use crate::wasm::func::Caller;
use crate::wasm::ir::Base;
use crate::wasm::store::{FuncEntity, Store};
use crate::wasm::value::Val;

/// Calls host function `func` of the store from `instance`; its arguments are at the start of
/// `slots`, where its results go too.
#[inline(never)]
pub(super) fn call_host<T>(
    store: &mut Store<T>,
    func: u32,
    instance: u32,
    slots: &mut [u64],
) -> Result<(), Trap> {
    let FuncEntity::Host { ty, func, .. } = &store.funcs[func as usize] else {
        unreachable!("call_host is called for host functions");
    };
    let (ty, func) = (ty.clone(), func.clone());
    let args: Vec<Val> = ty
        .params()
        .iter()
        .zip(&*slots)
        .map(|(t, v)| Val::from_slot(*t, *v))
        .collect();
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    func(
        Caller {
            store,
            instance: Some(instance),
        },
        &args,
        &mut results,
    )?;
    if results.len() > slots.len() {
        return Err(TrapCode::CallStackExhausted.into());
    }
    for ((slot, r), t) in slots.iter_mut().zip(&results).zip(ty.results()) {
        if r.ty() != *t {
            return Err(Trap::host(HostResultTypeError));
        }
        *slot = r.to_slot();
    }
    Ok(())
}

/// A host function returned a value of the wrong type.
#[derive(Debug, thiserror::Error)]
#[error("host function returned a result of the wrong type")]
struct HostResultTypeError;

/// Store index of table `t` of `instance`.
fn table_of<T>(store: &Store<T>, instance: u32, t: u32) -> usize {
    store.instances[instance as usize].tables[t as usize] as usize
}

/// [`range`] in a table.
fn table_range(start: u64, len: u64, size: usize) -> Result<std::ops::Range<usize>, TrapCode> {
    range(start, len, size, TrapCode::TableOutOfBounds)
}

/// `table.grow` of table `t` by `delta` elements set to `init`; the old size, if it grew.
#[inline(never)]
pub(super) fn table_grow<T>(
    store: &mut Store<T>,
    instance: u32,
    t: u32,
    delta: u32,
    init: u64,
    max_elements: u32,
) -> Option<u32> {
    let t = table_of(store, instance, t);
    store.tables[t].grow(delta, init, max_elements)
}

/// `table.fill` of `[index, value, len]`.
#[inline(never)]
pub(super) fn table_fill<T>(
    store: &mut Store<T>,
    instance: u32,
    b: Base,
    [d, v, n]: [u64; 3],
) -> Result<(), TrapCode> {
    let t = table_of(store, instance, b.index);
    let table = &mut store.tables[t];
    let r = table_range(d, n, table.elements.len())?;
    table.elements[r].fill(v);
    Ok(())
}

/// `table.copy` of `[dst, src, len]` into table `b.index` from table `b.other`.
#[inline(never)]
pub(super) fn table_copy<T>(
    store: &mut Store<T>,
    instance: u32,
    b: Base,
    [dst_at, src_at, n]: [u64; 3],
) -> Result<(), TrapCode> {
    let dst = table_of(store, instance, b.index);
    let src = table_of(store, instance, b.other);
    let sr = table_range(src_at, n, store.tables[src].elements.len())?;
    let dr = table_range(dst_at, n, store.tables[dst].elements.len())?;
    if dst == src {
        store.tables[dst].elements.copy_within(sr, dr.start);
    } else {
        let (lo, hi) = store.tables.split_at_mut(dst.max(src));
        let (d, s) = if dst < src {
            (&mut lo[dst], &hi[0])
        } else {
            (&mut hi[0], &lo[src])
        };
        d.elements[dr].copy_from_slice(&s.elements[sr]);
    }
    Ok(())
}

/// `table.init` of `[dst, src, len]` into table `b.index` from element segment `b.other`.
#[inline(never)]
pub(super) fn table_init<T>(
    store: &mut Store<T>,
    instance: u32,
    b: Base,
    [dst_at, src_at, n]: [u64; 3],
) -> Result<(), TrapCode> {
    let inst = &store.instances[instance as usize];
    let seg = &inst.elems[b.other as usize];
    let table = &mut store.tables[inst.tables[b.index as usize] as usize];
    let sr = table_range(src_at, n, seg.len())?;
    let dr = table_range(dst_at, n, table.elements.len())?;
    table.elements[dr].copy_from_slice(&seg[sr]);
    Ok(())
}
