//! The executor: threaded code (see [`core`]) for the hot instructions, and a driver here that
//! runs the instructions needing the store. There is an explicit frame stack, so Wasm calls
//! never recurse on the host stack.
//!
//! SAFETY of the unchecked slot accesses in both: the translator names only slots below the
//! function's `frame_size`, and a frame is entered only after checking that it fits in the value
//! stack (see [`core::Cx::enter`]); branch targets and `br_table` entries were resolved by the
//! translator inside the same function, and every function body ends in a return or a trap.
//!
//! A frame reads only slots written in it first: its parameters by the caller, its declared
//! locals by their zeroing on entry or by their first write (see the translator), its constants
//! by its initialiser, and each temporary by the instruction that pushes it (validation orders
//! every pop after its push). So what a value stack held before never shows, and stacks are
//! reused from store to store without clearing (see [`super::Engine`]).

mod cold;
mod core;
mod num;
mod view;

use std::sync::Arc;

use self::core::{init_frame, Cx, Exit};
use cold::{call_host, table_copy, table_fill, table_grow, table_init};
use view::{GlobalsView, MemView, TableView};

use super::error::{Trap, TrapCode};
use super::func::Caller;
use super::ir::Op;
use super::store::{FuncEntity, Store};
use super::value::Val;

pub(crate) use self::core::{thread, Inst};

/// Calls store function `func` with `args`, writing its results to `results`.
/// The caller has checked the argument and result types.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Trap> {
    let (instance, index) = match &store.funcs[func as usize] {
        FuncEntity::Host { func, .. } => {
            let func = func.clone();
            return func(
                Caller {
                    store,
                    instance: None,
                },
                args,
                results,
            );
        }
        FuncEntity::Wasm {
            instance, index, ..
        } => (*instance, *index),
    };
    // A call from a host function into Wasm while this store's stack is in use takes another.
    let mut stack = std::mem::take(&mut store.stack.slots);
    if stack.is_empty() {
        stack = store.engine.take_stack();
    }
    let outcome = if args.len() > stack.len() {
        Err(TrapCode::CallStackExhausted.into())
    } else {
        for (slot, arg) in stack.iter_mut().zip(args) {
            *slot = arg.to_slot();
        }
        run(store, &mut stack, instance, index, args.len())
    };
    if outcome.is_ok() {
        let ty = store.func_type(func);
        for ((out, ty), slot) in results.iter_mut().zip(ty.results()).zip(&stack) {
            *out = Val::from_slot(*ty, *slot);
        }
    }
    let nested = std::mem::replace(&mut store.stack.slots, stack);
    store.engine.recycle_stack(nested);
    outcome
}

/// Runs defined function `index` of instance `instance`, whose `nargs` arguments are at the
/// bottom of `s`; leaves its results there.
fn run<T>(
    store: &mut Store<T>,
    s: &mut [u64],
    instance: u32,
    index: u32,
    nargs: usize,
) -> Result<(), Trap> {
    let config = store.engine.config();
    let max_depth = config.max_call_depth as usize;
    let mut cx = Cx {
        ip: std::ptr::null(),
        sp: s.as_mut_ptr(),
        mem: MemView::of(None),
        instance,
        funcs: std::ptr::null(),
        code: std::ptr::null(),
        consts: std::ptr::null(),
        globals: GlobalsView::of(store, instance),
        height: std::ptr::null_mut(),
        table: TableView::of(store, instance),
        heads: store.heads.as_ptr(),
        frames: Vec::with_capacity(max_depth.min(256)),
        max_depth,
        stack_end: s.as_mut_ptr_range().end as usize,
        gas: store.gas,
        acc: 0,
        facc: 0.0,
    };
    {
        let module = &store.instances[instance as usize].module.inner;
        let f = &module.funcs[index as usize];
        if f.frame_size as usize > s.len() || nargs != f.params as usize {
            return Err(TrapCode::CallStackExhausted.into());
        }
        // SAFETY: the frame fits in `s` (checked above) and `entry` is inside the code.
        unsafe {
            init_frame(cx.sp, f, module.consts.as_ptr());
            cx.ip = module.threaded.as_ptr().add(f.entry as usize);
        }
    }
    let outcome = drive(store, &mut cx);
    store.gas = cx.gas;
    outcome
}

impl Cx {
    /// Re-reads the views of the current instance's memory (store index `mem_idx`), globals and
    /// table, and of the store's function heads, whose buffers may have moved.
    fn refresh_views<T>(&mut self, store: &mut Store<T>, mem_idx: usize) {
        self.mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
        self.globals = GlobalsView::of(store, self.instance);
        let stack_height = store.instances[self.instance as usize]
            .module
            .inner
            .stack_height;
        self.height = stack_height.map_or(std::ptr::null_mut(), |g| self.globals.cell(g));
        self.table = TableView::of(store, self.instance);
        self.heads = store.heads.as_ptr();
    }
}

/// Runs the core from `cx`, executing the instructions that leave it.
fn drive<T>(store: &mut Store<T>, cx: &mut Cx) -> Result<(), Trap> {
    let max_pages = store.engine.config().max_memory_pages;
    let max_elements = store.engine.config().max_table_elements;
    macro_rules! get {
        ($i:expr) => {
            unsafe { *cx.sp.add($i as usize) }
        };
    }
    macro_rules! set {
        ($i:expr, $v:expr) => {{
            let v = $v;
            unsafe { *cx.sp.add($i as usize) = v }
        }};
    }
    macro_rules! check {
        ($r:expr) => {
            if let Err(code) = $r {
                return Err(Trap::from(code));
            }
        };
    }
    'context: loop {
        // (Re)load the per-instance context: code, functions, constants, memory and globals.
        let inst = &store.instances[cx.instance as usize];
        let module = inst.module.inner.clone();
        let mem_idx = inst.memories.first().map_or(usize::MAX, |&m| m as usize);
        cx.code = module.threaded.as_ptr();
        cx.funcs = module.funcs.as_ptr();
        cx.consts = module.consts.as_ptr();
        cx.refresh_views(store, mem_idx);

        // Calls store function `$f` with arguments from slot `$base`, returning to `$ret`.
        macro_rules! call_func {
            ($f:expr, $base:expr, $ret:expr) => {{
                let new_sp = cx.sp.wrapping_add($base as usize);
                match store.funcs[$f as usize] {
                    FuncEntity::Wasm {
                        instance: callee_inst,
                        index,
                        ..
                    } => {
                        let same = callee_inst == cx.instance;
                        let other;
                        let callee = match same {
                            true => &module,
                            false => {
                                other = store.instances[callee_inst as usize].module.inner.clone();
                                &other
                            }
                        };
                        let f = &callee.funcs[index as usize];
                        let (code, consts) = (callee.threaded.as_ptr(), callee.consts.as_ptr());
                        // SAFETY: `code` and `consts` are the callee's (see `Cx::enter`).
                        cx.ip = unsafe { cx.enter(f, code, consts, $ret, cx.sp, new_sp) }?;
                        cx.sp = new_sp;
                        if !same {
                            cx.instance = callee_inst;
                            continue 'context;
                        }
                    }
                    FuncEntity::Host { .. } => {
                        let room = cx.stack_end.saturating_sub(new_sp as usize) / 8;
                        // SAFETY: `new_sp..new_sp + room` lies within the value stack.
                        let slots = unsafe { std::slice::from_raw_parts_mut(new_sp, room) };
                        store.gas = cx.gas;
                        let outcome = call_host(store, $f, cx.instance, slots);
                        cx.gas = store.gas;
                        outcome?;
                        cx.refresh_views(store, mem_idx);
                        cx.ip = $ret;
                    }
                }
            }};
        }

        loop {
            // SAFETY: the core keeps `cx` describing live code and stack.
            match unsafe { core::enter(cx) } {
                Exit::Slow => {}
                Exit::Done => return Ok(()),
                Exit::Trap(code) => return Err(code.into()),
                Exit::Context => continue 'context,
                Exit::Next => unreachable!("the dispatch loop consumes its steps"),
            }
            // SAFETY: `ip` points at an instruction, and a `CallArgs` follows a `CallIndirect`.
            let (op, next) = unsafe { ((*cx.ip).op(), cx.ip.add(1)) };
            let inst = cx.instance as usize;
            match op {
                Op::Unreachable => return Err(TrapCode::Unreachable.into()),
                Op::ConsumeGas(total) => {
                    // The core found that the charge does not fit: the literal charges it
                    // stands for run one by one, and one of them runs out of gas.
                    // SAFETY: `ip` points into this module's code.
                    let pc = unsafe { cx.ip.offset_from(cx.code) } as u32;
                    let whole = [(pc, total)];
                    let parts = match module.charge_parts(pc) {
                        [] => &whole[..],
                        parts => parts,
                    };
                    for &(_, amount) in parts {
                        cx.gas = cx.gas.checked_sub(amount).ok_or(TrapCode::OutOfGas)?;
                    }
                }
                Op::CallImport(i, base) => {
                    let func = store.instances[inst].funcs[i as usize];
                    call_func!(func, base, next);
                    continue;
                }
                Op::CallIndirect(type_id, table, index) => {
                    let Op::CallArgs(base) = (unsafe { *next }).op() else {
                        unreachable!("call_indirect is followed by its argument base");
                    };
                    let i = get!(index) as u32;
                    let t = store.instances[inst].tables[table as usize];
                    let func = match store.tables[t as usize].elements.get(i as usize) {
                        Some(&0) => return Err(TrapCode::UninitializedElement.into()),
                        Some(&slot) => (slot - 1) as u32,
                        None => return Err(TrapCode::UndefinedElement.into()),
                    };
                    if store.funcs[func as usize].type_id() != type_id {
                        return Err(TrapCode::IndirectCallTypeMismatch.into());
                    }
                    call_func!(func, base, next.wrapping_add(1));
                    continue;
                }
                Op::TableGet(b) => {
                    let i = get!(b.base) as u32 as usize;
                    let t = store.instances[inst].tables[b.index as usize];
                    match store.tables[t as usize].elements.get(i) {
                        Some(&v) => set!(b.base, v),
                        None => return Err(TrapCode::TableOutOfBounds.into()),
                    }
                }
                Op::TableSet(b) => {
                    let (i, v) = (get!(b.base) as u32 as usize, get!(b.base + 1));
                    let t = store.instances[inst].tables[b.index as usize];
                    match store.tables[t as usize].elements.get_mut(i) {
                        Some(e) => *e = v,
                        None => return Err(TrapCode::TableOutOfBounds.into()),
                    }
                }
                Op::TableSize(dst, t) => {
                    let t = store.instances[inst].tables[t as usize];
                    set!(dst, store.tables[t as usize].elements.len() as u64)
                }
                Op::TableGrow(b) => {
                    let (init, delta) = (get!(b.base), get!(b.base + 1) as u32);
                    let old = table_grow(store, cx.instance, b.index, delta, init, max_elements);
                    set!(b.base, old.unwrap_or(u32::MAX) as u64);
                    // The core's view of table 0, whose buffer may have moved (the other table
                    // operations write elements in place).
                    cx.table = TableView::of(store, cx.instance);
                }
                Op::TableFill(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    check!(table_fill(store, cx.instance, b, args))
                }
                Op::TableCopy(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    check!(table_copy(store, cx.instance, b, args))
                }
                Op::TableInit(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    check!(table_init(store, cx.instance, b, args))
                }
                Op::ElemDrop(e) => store.instances[inst].elems[e as usize] = Arc::new([]),
                Op::RefFunc(dst, f) => {
                    set!(dst, store.instances[inst].funcs[f as usize] as u64 + 1)
                }
                Op::MemoryGrow(r) => {
                    let delta = get!(r.src) as u32;
                    let old = store.memories[mem_idx].grow(delta, max_pages);
                    set!(r.dst, old.unwrap_or(u32::MAX) as u64);
                    cx.refresh_views(store, mem_idx);
                }
                Op::MemoryInit(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    check!(cx
                        .mem
                        .init(&store.instances[inst].datas[b.index as usize], args))
                }
                Op::DataDrop(d) => store.instances[inst].datas[d as usize] = Arc::new([]),
                Op::MemoryCopy(base) => {
                    check!(cx.mem.copy([get!(base), get!(base + 1), get!(base + 2)]))
                }
                Op::MemoryFill(base) => {
                    check!(cx.mem.fill([get!(base), get!(base + 1), get!(base + 2)]))
                }
                op => unreachable!("{op:?} runs in the core"),
            }
            cx.ip = next;
        }
    }
}
