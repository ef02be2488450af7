//! The executor: one loop over the internal code (see [`super::ir`]) with an explicit frame
//! stack, so Wasm calls never recurse on the host stack.

mod num;

use std::sync::Arc;

use num::{canon, checked, div_s, fmax, fmin, trunc_checked, Slot, I32_S, I32_U, I64_S, I64_U};

use super::error::{Trap, TrapCode};
use super::func::Caller;
use super::ir::Op;
use super::store::{FuncEntity, Store};
use super::value::Val;

/// Where to resume the caller after a return.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ret_pc: u32,
    fp: u32,
    instance: u32,
}

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
    let mut stack = std::mem::take(&mut store.stack);
    if stack.is_empty() {
        stack = vec![0; store.engine.config().max_value_stack as usize];
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
    store.stack = stack;
    outcome
}

/// Checked access to `N` bytes of memory at `addr + offset`.
#[inline(always)]
fn mem_read<const N: usize>(mem: &[u8], addr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
    let start = addr as usize + offset as usize;
    match mem.get(start..start + N) {
        Some(bytes) => Ok(bytes.try_into().unwrap_or([0; N])),
        None => Err(TrapCode::MemoryOutOfBounds),
    }
}

/// Checked write of `N` bytes of memory at `addr + offset`.
#[inline(always)]
fn mem_write<const N: usize>(
    mem: &mut [u8],
    addr: u64,
    offset: u32,
    bytes: [u8; N],
) -> Result<(), TrapCode> {
    let start = addr as usize + offset as usize;
    match mem.get_mut(start..start + N) {
        Some(dst) => {
            dst.copy_from_slice(&bytes);
            Ok(())
        }
        None => Err(TrapCode::MemoryOutOfBounds),
    }
}

/// Checks that `[start, start + len)` lies within `size`, as `usize` bounds.
#[inline(always)]
fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> Result<std::ops::Range<usize>, TrapCode> {
    let end = start + len;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

/// Runs defined function `index` of instance `instance`, whose `nargs` arguments are at the
/// bottom of `s`; leaves its results there.
fn run<T>(
    store: &mut Store<T>,
    s: &mut [u64],
    mut instance: u32,
    index: u32,
    nargs: usize,
) -> Result<(), Trap> {
    let max_depth = store.engine.config().max_call_depth as usize;
    let max_pages = store.engine.config().max_memory_pages;
    let max_elements = store.engine.config().max_table_elements;
    let mut frames: Vec<Frame> = Vec::new();
    let mut fp: usize = 0;
    let mut sp: usize = nargs;
    let mut pc: usize;
    {
        let f = store.instances[instance as usize].module.inner.funcs[index as usize];
        if f.frame_size as usize > s.len() {
            return Err(TrapCode::CallStackExhausted.into());
        }
        s[sp..sp + f.locals as usize].fill(0);
        sp += f.locals as usize;
        pc = f.entry as usize;
    }

    macro_rules! trap {
        ($code:expr) => {
            return Err(Trap::from($code))
        };
    }
    macro_rules! pop {
        () => {{
            sp -= 1;
            s[sp]
        }};
    }
    macro_rules! push {
        ($v:expr) => {{
            s[sp] = $v;
            sp += 1;
        }};
    }
    macro_rules! unop {
        ($t:ty, |$a:ident| $e:expr) => {{
            let $a = <$t>::from_slot(s[sp - 1]);
            s[sp - 1] = ($e).into_slot();
        }};
    }
    macro_rules! unop_trap {
        ($t:ty, |$a:ident| $e:expr) => {{
            let $a = <$t>::from_slot(s[sp - 1]);
            match $e {
                Ok(v) => s[sp - 1] = v.into_slot(),
                Err(code) => trap!(code),
            }
        }};
    }
    macro_rules! binop {
        ($t:ty, |$a:ident, $b:ident| $e:expr) => {{
            let $b = <$t>::from_slot(s[sp - 1]);
            sp -= 1;
            let $a = <$t>::from_slot(s[sp - 1]);
            s[sp - 1] = ($e).into_slot();
        }};
    }
    macro_rules! binop_trap {
        ($t:ty, $f:expr) => {{
            let b = <$t>::from_slot(s[sp - 1]);
            sp -= 1;
            let a = <$t>::from_slot(s[sp - 1]);
            match $f(a, b) {
                Ok(v) => s[sp - 1] = v.into_slot(),
                Err(code) => trap!(code),
            }
        }};
    }

    'context: loop {
        // (Re)load the per-instance context: code and memory.
        let inst = &store.instances[instance as usize];
        let module = inst.module.inner.clone();
        let code: &[Op] = &module.code;
        let mem_idx = inst.memories.first().map_or(usize::MAX, |&m| m as usize);

        macro_rules! load {
            ($n:literal, $off:expr, |$b:ident| $e:expr) => {{
                let addr = s[sp - 1] as u32 as u64;
                match mem_read::<$n>(&store.memories[mem_idx].data, addr, $off) {
                    Ok($b) => s[sp - 1] = ($e).into_slot(),
                    Err(code) => trap!(code),
                }
            }};
        }
        macro_rules! store {
            ($n:literal, $off:expr, |$v:ident| $e:expr) => {{
                let $v = pop!();
                let addr = pop!() as u32 as u64;
                if let Err(code) =
                    mem_write::<$n>(&mut store.memories[mem_idx].data, addr, $off, $e)
                {
                    trap!(code)
                }
            }};
        }
        macro_rules! global {
            ($i:expr) => {
                store.globals[store.instances[instance as usize].globals[$i as usize] as usize]
            };
        }
        macro_rules! table {
            ($i:expr) => {
                store.tables[store.instances[instance as usize].tables[$i as usize] as usize]
            };
        }
        // Enters store function `$f`, whose arguments are on top of the stack.
        macro_rules! call_func {
            ($f:expr) => {{
                let callee = $f as usize;
                match store.funcs[callee] {
                    FuncEntity::Wasm {
                        instance: callee_inst,
                        index,
                        ..
                    } => {
                        let f = store.instances[callee_inst as usize].module.inner.funcs
                            [index as usize];
                        let new_fp = sp - f.params as usize;
                        if frames.len() + 1 >= max_depth || new_fp + f.frame_size as usize > s.len()
                        {
                            trap!(TrapCode::CallStackExhausted);
                        }
                        frames.push(Frame {
                            ret_pc: pc as u32,
                            fp: fp as u32,
                            instance,
                        });
                        s[sp..sp + f.locals as usize].fill(0);
                        sp += f.locals as usize;
                        fp = new_fp;
                        pc = f.entry as usize;
                        if callee_inst != instance {
                            instance = callee_inst;
                            continue 'context;
                        }
                    }
                    FuncEntity::Host { type_id, ref func } => {
                        let func = func.clone();
                        let ty = store.engine.func_type(type_id);
                        let nparams = ty.params().len();
                        let args: Vec<Val> = ty
                            .params()
                            .iter()
                            .zip(&s[sp - nparams..sp])
                            .map(|(t, v)| Val::from_slot(*t, *v))
                            .collect();
                        let mut results: Vec<Val> =
                            ty.results().iter().map(|t| Val::default_for(*t)).collect();
                        func(
                            Caller {
                                store: &mut *store,
                                instance: Some(instance),
                            },
                            &args,
                            &mut results,
                        )?;
                        sp -= nparams;
                        for (r, t) in results.iter().zip(ty.results()) {
                            if r.ty() != *t {
                                return Err(Trap::host(HostResultTypeError));
                            }
                            push!(r.to_slot());
                        }
                    }
                }
            }};
        }

        loop {
            let op = code[pc];
            pc += 1;
            match op {
                Op::Unreachable => trap!(TrapCode::Unreachable),
                Op::Br(b) => {
                    if b.drop > 0 {
                        let keep = b.keep as usize;
                        let dst = sp - keep - b.drop as usize;
                        s.copy_within(sp - keep..sp, dst);
                        sp = dst + keep;
                    }
                    pc = b.target as usize;
                }
                Op::BrIfNez(b) => {
                    if pop!() as u32 != 0 {
                        if b.drop > 0 {
                            let keep = b.keep as usize;
                            let dst = sp - keep - b.drop as usize;
                            s.copy_within(sp - keep..sp, dst);
                            sp = dst + keep;
                        }
                        pc = b.target as usize;
                    }
                }
                Op::BrIfEqz(target) => {
                    if pop!() as u32 == 0 {
                        pc = target as usize;
                    }
                }
                Op::BrTable { len } => {
                    let i = pop!() as u32;
                    pc += i.min(len) as usize;
                }
                Op::Return { keep } => {
                    let keep = keep as usize;
                    s.copy_within(sp - keep..sp, fp);
                    sp = fp + keep;
                    match frames.pop() {
                        None => return Ok(()),
                        Some(frame) => {
                            pc = frame.ret_pc as usize;
                            fp = frame.fp as usize;
                            if frame.instance != instance {
                                instance = frame.instance;
                                continue 'context;
                            }
                        }
                    }
                }
                Op::CallInternal(i) => {
                    let f = module.funcs[i as usize];
                    let new_fp = sp - f.params as usize;
                    if frames.len() + 1 >= max_depth || new_fp + f.frame_size as usize > s.len() {
                        trap!(TrapCode::CallStackExhausted);
                    }
                    frames.push(Frame {
                        ret_pc: pc as u32,
                        fp: fp as u32,
                        instance,
                    });
                    s[sp..sp + f.locals as usize].fill(0);
                    sp += f.locals as usize;
                    fp = new_fp;
                    pc = f.entry as usize;
                }
                Op::CallImport(i) => {
                    let func = store.instances[instance as usize].funcs[i as usize];
                    call_func!(func);
                }
                Op::CallIndirect { type_id, table } => {
                    let i = pop!() as u32;
                    let slot = match table!(table).elements.get(i as usize) {
                        Some(&slot) => slot,
                        None => trap!(TrapCode::UndefinedElement),
                    };
                    if slot == 0 {
                        trap!(TrapCode::UninitializedElement);
                    }
                    let func = slot - 1;
                    if store.funcs[func as usize].type_id() != type_id {
                        trap!(TrapCode::IndirectCallTypeMismatch);
                    }
                    call_func!(func);
                }
                Op::Drop => sp -= 1,
                Op::Select => {
                    let c = pop!() as u32;
                    let b = pop!();
                    if c == 0 {
                        s[sp - 1] = b;
                    }
                }
                Op::LocalGet(i) => push!(s[fp + i as usize]),
                Op::LocalSet(i) => s[fp + i as usize] = pop!(),
                Op::LocalTee(i) => s[fp + i as usize] = s[sp - 1],
                Op::GlobalGet(i) => push!(global!(i).value),
                Op::GlobalSet(i) => global!(i).value = pop!(),
                Op::TableGet(t) => {
                    let i = s[sp - 1] as u32 as usize;
                    match table!(t).elements.get(i) {
                        Some(&v) => s[sp - 1] = v,
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSet(t) => {
                    let v = pop!();
                    let i = pop!() as u32 as usize;
                    match table!(t).elements.get_mut(i) {
                        Some(slot) => *slot = v,
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSize(t) => push!(table!(t).elements.len() as u64),
                Op::TableGrow(t) => {
                    let delta = pop!() as u32;
                    let init = s[sp - 1];
                    let old = table!(t).grow(delta, init, max_elements);
                    s[sp - 1] = old.unwrap_or(u32::MAX) as u64;
                }
                Op::TableFill(t) => {
                    let n = pop!() as u32 as u64;
                    let v = pop!();
                    let d = pop!() as u32 as u64;
                    let table = &mut table!(t);
                    let r = range(d, n, table.elements.len(), TrapCode::TableOutOfBounds)?;
                    table.elements[r].fill(v);
                }
                Op::TableCopy { dst, src } => {
                    let n = pop!() as u32 as u64;
                    let src_at = pop!() as u32 as u64;
                    let dst_at = pop!() as u32 as u64;
                    let inst = &store.instances[instance as usize];
                    let (dst, src) = (
                        inst.tables[dst as usize] as usize,
                        inst.tables[src as usize] as usize,
                    );
                    let sr = range(
                        src_at,
                        n,
                        store.tables[src].elements.len(),
                        TrapCode::TableOutOfBounds,
                    )?;
                    let dr = range(
                        dst_at,
                        n,
                        store.tables[dst].elements.len(),
                        TrapCode::TableOutOfBounds,
                    )?;
                    if dst == src {
                        store.tables[dst].elements.copy_within(sr, dr.start);
                    } else {
                        let (lo, hi) = store.tables.split_at_mut(dst.max(src));
                        let (d, s2) = if dst < src {
                            (&mut lo[dst], &hi[0])
                        } else {
                            (&mut hi[0], &lo[src])
                        };
                        d.elements[dr].copy_from_slice(&s2.elements[sr]);
                    }
                }
                Op::TableInit { table, elem } => {
                    let n = pop!() as u32 as u64;
                    let src_at = pop!() as u32 as u64;
                    let dst_at = pop!() as u32 as u64;
                    let inst = &store.instances[instance as usize];
                    let seg = &inst.elems[elem as usize];
                    let table = &mut store.tables[inst.tables[table as usize] as usize];
                    let sr = range(src_at, n, seg.len(), TrapCode::TableOutOfBounds)?;
                    let dr = range(dst_at, n, table.elements.len(), TrapCode::TableOutOfBounds)?;
                    table.elements[dr].copy_from_slice(&seg[sr]);
                }
                Op::ElemDrop(e) => {
                    store.instances[instance as usize].elems[e as usize] = Arc::new([])
                }
                Op::RefNull => push!(0),
                Op::RefIsNull => s[sp - 1] = (s[sp - 1] == 0) as u64,
                Op::RefFunc(f) => {
                    push!(store.instances[instance as usize].funcs[f as usize] as u64 + 1)
                }

                Op::I32Load(o) => load!(4, o, |b| u32::from_le_bytes(b)),
                Op::I64Load(o) => load!(8, o, |b| u64::from_le_bytes(b)),
                Op::F32Load(o) => load!(4, o, |b| u32::from_le_bytes(b)),
                Op::F64Load(o) => load!(8, o, |b| u64::from_le_bytes(b)),
                Op::I32Load8S(o) => load!(1, o, |b| b[0] as i8 as i32),
                Op::I32Load8U(o) => load!(1, o, |b| b[0] as u32),
                Op::I32Load16S(o) => load!(2, o, |b| i16::from_le_bytes(b) as i32),
                Op::I32Load16U(o) => load!(2, o, |b| u16::from_le_bytes(b) as u32),
                Op::I64Load8S(o) => load!(1, o, |b| b[0] as i8 as i64),
                Op::I64Load8U(o) => load!(1, o, |b| b[0] as u64),
                Op::I64Load16S(o) => load!(2, o, |b| i16::from_le_bytes(b) as i64),
                Op::I64Load16U(o) => load!(2, o, |b| u16::from_le_bytes(b) as u64),
                Op::I64Load32S(o) => load!(4, o, |b| i32::from_le_bytes(b) as i64),
                Op::I64Load32U(o) => load!(4, o, |b| u32::from_le_bytes(b) as u64),
                Op::I32Store(o) | Op::F32Store(o) => store!(4, o, |v| (v as u32).to_le_bytes()),
                Op::I64Store(o) | Op::F64Store(o) => store!(8, o, |v| v.to_le_bytes()),
                Op::I32Store8(o) | Op::I64Store8(o) => store!(1, o, |v| [v as u8]),
                Op::I32Store16(o) | Op::I64Store16(o) => store!(2, o, |v| (v as u16).to_le_bytes()),
                Op::I64Store32(o) => store!(4, o, |v| (v as u32).to_le_bytes()),
                Op::MemorySize => push!(store.memories[mem_idx].pages() as u64),
                Op::MemoryGrow => {
                    let delta = s[sp - 1] as u32;
                    let old = store.memories[mem_idx].grow(delta, max_pages);
                    s[sp - 1] = old.unwrap_or(u32::MAX) as u64;
                }
                Op::MemoryInit(d) => {
                    let n = pop!() as u32 as u64;
                    let src_at = pop!() as u32 as u64;
                    let dst_at = pop!() as u32 as u64;
                    let seg = &store.instances[instance as usize].datas[d as usize];
                    let mem = &mut store.memories[mem_idx].data;
                    let sr = range(src_at, n, seg.len(), TrapCode::MemoryOutOfBounds)?;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem[dr].copy_from_slice(&seg[sr]);
                }
                Op::DataDrop(d) => {
                    store.instances[instance as usize].datas[d as usize] = Arc::new([])
                }
                Op::MemoryCopy => {
                    let n = pop!() as u32 as u64;
                    let src_at = pop!() as u32 as u64;
                    let dst_at = pop!() as u32 as u64;
                    let mem = &mut store.memories[mem_idx].data;
                    let sr = range(src_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem.copy_within(sr, dr.start);
                }
                Op::MemoryFill => {
                    let n = pop!() as u32 as u64;
                    let v = pop!() as u8;
                    let dst_at = pop!() as u32 as u64;
                    let mem = &mut store.memories[mem_idx].data;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem[dr].fill(v);
                }

                Op::I32Const(v) => push!(v as u32 as u64),
                Op::I64Const(v) => push!(v as u64),
                Op::F32Const(v) => push!(v as u64),
                Op::F64Const(v) => push!(v),

                Op::I32Eqz => unop!(u32, |a| a == 0),
                Op::I32Eq => binop!(u32, |a, b| a == b),
                Op::I32Ne => binop!(u32, |a, b| a != b),
                Op::I32LtS => binop!(i32, |a, b| a < b),
                Op::I32LtU => binop!(u32, |a, b| a < b),
                Op::I32GtS => binop!(i32, |a, b| a > b),
                Op::I32GtU => binop!(u32, |a, b| a > b),
                Op::I32LeS => binop!(i32, |a, b| a <= b),
                Op::I32LeU => binop!(u32, |a, b| a <= b),
                Op::I32GeS => binop!(i32, |a, b| a >= b),
                Op::I32GeU => binop!(u32, |a, b| a >= b),
                Op::I32Clz => unop!(u32, |a| a.leading_zeros()),
                Op::I32Ctz => unop!(u32, |a| a.trailing_zeros()),
                Op::I32Popcnt => unop!(u32, |a| a.count_ones()),
                Op::I32Add => binop!(u32, |a, b| a.wrapping_add(b)),
                Op::I32Sub => binop!(u32, |a, b| a.wrapping_sub(b)),
                Op::I32Mul => binop!(u32, |a, b| a.wrapping_mul(b)),
                Op::I32DivS => binop_trap!(i32, div_s!(i32)),
                Op::I32DivU => binop_trap!(u32, checked!(u32, wrapping_div)),
                Op::I32RemS => binop_trap!(i32, checked!(i32, wrapping_rem)),
                Op::I32RemU => binop_trap!(u32, checked!(u32, wrapping_rem)),
                Op::I32And => binop!(u32, |a, b| a & b),
                Op::I32Or => binop!(u32, |a, b| a | b),
                Op::I32Xor => binop!(u32, |a, b| a ^ b),
                Op::I32Shl => binop!(u32, |a, b| a.wrapping_shl(b)),
                Op::I32ShrS => binop!(i32, |a, b| a.wrapping_shr(b as u32)),
                Op::I32ShrU => binop!(u32, |a, b| a.wrapping_shr(b)),
                Op::I32Rotl => binop!(u32, |a, b| a.rotate_left(b)),
                Op::I32Rotr => binop!(u32, |a, b| a.rotate_right(b)),

                Op::I64Eqz => unop!(u64, |a| a == 0),
                Op::I64Eq => binop!(u64, |a, b| a == b),
                Op::I64Ne => binop!(u64, |a, b| a != b),
                Op::I64LtS => binop!(i64, |a, b| a < b),
                Op::I64LtU => binop!(u64, |a, b| a < b),
                Op::I64GtS => binop!(i64, |a, b| a > b),
                Op::I64GtU => binop!(u64, |a, b| a > b),
                Op::I64LeS => binop!(i64, |a, b| a <= b),
                Op::I64LeU => binop!(u64, |a, b| a <= b),
                Op::I64GeS => binop!(i64, |a, b| a >= b),
                Op::I64GeU => binop!(u64, |a, b| a >= b),
                Op::I64Clz => unop!(u64, |a| a.leading_zeros() as u64),
                Op::I64Ctz => unop!(u64, |a| a.trailing_zeros() as u64),
                Op::I64Popcnt => unop!(u64, |a| a.count_ones() as u64),
                Op::I64Add => binop!(u64, |a, b| a.wrapping_add(b)),
                Op::I64Sub => binop!(u64, |a, b| a.wrapping_sub(b)),
                Op::I64Mul => binop!(u64, |a, b| a.wrapping_mul(b)),
                Op::I64DivS => binop_trap!(i64, div_s!(i64)),
                Op::I64DivU => binop_trap!(u64, checked!(u64, wrapping_div)),
                Op::I64RemS => binop_trap!(i64, checked!(i64, wrapping_rem)),
                Op::I64RemU => binop_trap!(u64, checked!(u64, wrapping_rem)),
                Op::I64And => binop!(u64, |a, b| a & b),
                Op::I64Or => binop!(u64, |a, b| a | b),
                Op::I64Xor => binop!(u64, |a, b| a ^ b),
                Op::I64Shl => binop!(u64, |a, b| a.wrapping_shl(b as u32)),
                Op::I64ShrS => binop!(i64, |a, b| a.wrapping_shr(b as u32)),
                Op::I64ShrU => binop!(u64, |a, b| a.wrapping_shr(b as u32)),
                Op::I64Rotl => binop!(u64, |a, b| a.rotate_left((b % 64) as u32)),
                Op::I64Rotr => binop!(u64, |a, b| a.rotate_right((b % 64) as u32)),

                Op::F32Eq => binop!(f32, |a, b| a == b),
                Op::F32Ne => binop!(f32, |a, b| a != b),
                Op::F32Lt => binop!(f32, |a, b| a < b),
                Op::F32Gt => binop!(f32, |a, b| a > b),
                Op::F32Le => binop!(f32, |a, b| a <= b),
                Op::F32Ge => binop!(f32, |a, b| a >= b),
                Op::F32Abs => unop!(u32, |a| a & 0x7fff_ffff),
                Op::F32Neg => unop!(u32, |a| a ^ 0x8000_0000),
                Op::F32Ceil => unop!(f32, |a| canon(a.ceil())),
                Op::F32Floor => unop!(f32, |a| canon(a.floor())),
                Op::F32Trunc => unop!(f32, |a| canon(a.trunc())),
                Op::F32Nearest => unop!(f32, |a| canon(a.round_ties_even())),
                Op::F32Sqrt => unop!(f32, |a| canon(a.sqrt())),
                Op::F32Add => binop!(f32, |a, b| canon(a + b)),
                Op::F32Sub => binop!(f32, |a, b| canon(a - b)),
                Op::F32Mul => binop!(f32, |a, b| canon(a * b)),
                Op::F32Div => binop!(f32, |a, b| canon(a / b)),
                Op::F32Min => binop!(f32, |a, b| fmin(a, b)),
                Op::F32Max => binop!(f32, |a, b| fmax(a, b)),
                Op::F32Copysign => binop!(u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000)),

                Op::F64Eq => binop!(f64, |a, b| a == b),
                Op::F64Ne => binop!(f64, |a, b| a != b),
                Op::F64Lt => binop!(f64, |a, b| a < b),
                Op::F64Gt => binop!(f64, |a, b| a > b),
                Op::F64Le => binop!(f64, |a, b| a <= b),
                Op::F64Ge => binop!(f64, |a, b| a >= b),
                Op::F64Abs => unop!(u64, |a| a & 0x7fff_ffff_ffff_ffff),
                Op::F64Neg => unop!(u64, |a| a ^ 0x8000_0000_0000_0000),
                Op::F64Ceil => unop!(f64, |a| canon(a.ceil())),
                Op::F64Floor => unop!(f64, |a| canon(a.floor())),
                Op::F64Trunc => unop!(f64, |a| canon(a.trunc())),
                Op::F64Nearest => unop!(f64, |a| canon(a.round_ties_even())),
                Op::F64Sqrt => unop!(f64, |a| canon(a.sqrt())),
                Op::F64Add => binop!(f64, |a, b| canon(a + b)),
                Op::F64Sub => binop!(f64, |a, b| canon(a - b)),
                Op::F64Mul => binop!(f64, |a, b| canon(a * b)),
                Op::F64Div => binop!(f64, |a, b| canon(a / b)),
                Op::F64Min => binop!(f64, |a, b| fmin(a, b)),
                Op::F64Max => binop!(f64, |a, b| fmax(a, b)),
                Op::F64Copysign => binop!(u64, |a, b| (a & 0x7fff_ffff_ffff_ffff)
                    | (b & 0x8000_0000_0000_0000)),

                Op::I32WrapI64 => unop!(u64, |a| a as u32),
                Op::I32TruncF32S => unop_trap!(f32, |a| trunc_checked(a, I32_S.0, I32_S.1)
                    .map(|t| t as i32)),
                Op::I32TruncF32U => unop_trap!(f32, |a| trunc_checked(a, I32_U.0, I32_U.1)
                    .map(|t| t as u32)),
                Op::I32TruncF64S => unop_trap!(f64, |a| trunc_checked(a, I32_S.0, I32_S.1)
                    .map(|t| t as i32)),
                Op::I32TruncF64U => unop_trap!(f64, |a| trunc_checked(a, I32_U.0, I32_U.1)
                    .map(|t| t as u32)),
                Op::I64ExtendI32S => unop!(i32, |a| a as i64),
                Op::I64ExtendI32U => unop!(u32, |a| a as u64),
                Op::I64TruncF32S => unop_trap!(f32, |a| trunc_checked(a, I64_S.0, I64_S.1)
                    .map(|t| t as i64)),
                Op::I64TruncF32U => unop_trap!(f32, |a| trunc_checked(a, I64_U.0, I64_U.1)
                    .map(|t| t as u64)),
                Op::I64TruncF64S => unop_trap!(f64, |a| trunc_checked(a, I64_S.0, I64_S.1)
                    .map(|t| t as i64)),
                Op::I64TruncF64U => unop_trap!(f64, |a| trunc_checked(a, I64_U.0, I64_U.1)
                    .map(|t| t as u64)),
                Op::F32ConvertI32S => unop!(i32, |a| a as f32),
                Op::F32ConvertI32U => unop!(u32, |a| a as f32),
                Op::F32ConvertI64S => unop!(i64, |a| a as f32),
                Op::F32ConvertI64U => unop!(u64, |a| a as f32),
                Op::F32DemoteF64 => unop!(f64, |a| canon(a as f32)),
                Op::F64ConvertI32S => unop!(i32, |a| a as f64),
                Op::F64ConvertI32U => unop!(u32, |a| a as f64),
                Op::F64ConvertI64S => unop!(i64, |a| a as f64),
                Op::F64ConvertI64U => unop!(u64, |a| a as f64),
                Op::F64PromoteF32 => unop!(f32, |a| canon(a as f64)),
                Op::I32Extend8S => unop!(u32, |a| a as i8 as i32),
                Op::I32Extend16S => unop!(u32, |a| a as i16 as i32),
                Op::I64Extend8S => unop!(u64, |a| a as i8 as i64),
                Op::I64Extend16S => unop!(u64, |a| a as i16 as i64),
                Op::I64Extend32S => unop!(u64, |a| a as i32 as i64),
                Op::I32TruncSatF32S => unop!(f32, |a| a as i32),
                Op::I32TruncSatF32U => unop!(f32, |a| a as u32),
                Op::I32TruncSatF64S => unop!(f64, |a| a as i32),
                Op::I32TruncSatF64U => unop!(f64, |a| a as u32),
                Op::I64TruncSatF32S => unop!(f32, |a| a as i64),
                Op::I64TruncSatF32U => unop!(f32, |a| a as u64),
                Op::I64TruncSatF64S => unop!(f64, |a| a as i64),
                Op::I64TruncSatF64U => unop!(f64, |a| a as u64),
            }
        }
    }
}

/// A host function returned a value of the wrong type.
#[derive(Debug, thiserror::Error)]
#[error("host function returned a result of the wrong type")]
struct HostResultTypeError;
