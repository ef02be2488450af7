//! The hot core of the executor: **threaded code**. Every instruction carries a pointer to its
//! handler, a small function that executes it and then jumps straight to the next
//! instruction's handler, with the interpreter state (`ip`, `sp`, the memory view and the
//! context) passed in registers.
//!
//! In optimised builds on targets where LLVM turns those calls in tail position into jumps
//! (the `ewvm_tail_dispatch` cfg, set by `build.rs`), each handler ends in its own indirect jump,
//! which the branch predictor learns per instruction pair; otherwise (debug builds) each handler
//! returns to a dispatch loop, so the host stack never grows with the number of instructions.
//!
//! The core runs the instructions that need no store access: arithmetic, memory loads and
//! stores, branches, calls and returns within an instance (`call_indirect` through table 0 too),
//! globals and gas. Everything else (host and cross-instance calls, table and bulk-memory
//! operations, `memory.grow`) leaves the core with [`Exit::Slow`], and the driver in the parent
//! module runs it against the store and re-enters.

use super::num::{
    canon, checked, div_s, fmax, fmin, trunc_checked, Slot, I32_S, I32_U, I64_S, I64_U,
};
use super::view::{GlobalsView, MemView, TableView};
use crate::wasm::error::TrapCode;
use crate::wasm::gas::GasCharge;
use crate::wasm::ir::{imm_value, Op, IMM, OPD_ACC, OPD_IMM, OPD_SLOT, RETURN_TARGET};
use crate::wasm::store::FuncHead;
use crate::wasm::translate::{Start, TranslatedFunc};
use std::mem::MaybeUninit;

/// An instruction of threaded code: its handler and the instruction itself.
#[derive(Clone, Copy)]
pub(crate) struct Inst {
    handler: Handler,
    op: Op,
}

impl Inst {
    /// The instruction (branch targets relative to it).
    pub(crate) fn op(&self) -> Op {
        self.op
    }
}

impl std::fmt::Debug for Inst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

/// Executes the instruction at `ip` and, through its successors, everything up to an exit;
/// `acc` and `facc` are the integer and the float accumulator (see [`crate::wasm::ir::ACC`]):
/// f64 values pass in `facc`, a float register, everything else in `acc`.
type Handler = unsafe fn(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit;

/// Why the core stopped. The state to resume from is in [`Cx::ip`] and [`Cx::sp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exit {
    /// The entry frame returned.
    Done,
    /// Execution trapped.
    Trap(TrapCode),
    /// The instruction at `ip` needs the store: the driver runs it.
    Slow,
    /// A return switched to another instance (now [`Cx::instance`]): reload the context.
    Context,
    /// The dispatch loop's step (never leaves [`enter`]).
    #[cfg_attr(ewvm_tail_dispatch, allow(dead_code))]
    Next,
}

/// Where to resume the caller after a return.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub(super) ret_ip: *const Inst,
    pub(super) sp: *mut u64,
    pub(super) instance: u32,
}

/// The executor's state besides the registers: the current instance's code, functions,
/// constants and globals, the frame stack, limits and the gas counter.
pub(super) struct Cx {
    /// Next instruction (when outside the core).
    pub(super) ip: *const Inst,
    /// Current frame (when outside the core).
    pub(super) sp: *mut u64,
    /// The current instance's memory (when outside the core).
    pub(super) mem: MemView,
    /// The current instance (store index) and its module's functions and constants.
    pub(super) instance: u32,
    pub(super) funcs: *const TranslatedFunc,
    pub(super) code: *const Inst,
    pub(super) consts: *const u64,
    pub(super) globals: GlobalsView,
    /// The value of the current instance's stack-height global, which its `StackEnter` and
    /// `StackLeave` name (null if its module has none).
    pub(super) height: *mut u64,
    /// The current instance's table 0 and the store's function heads, for `call_indirect`.
    pub(super) table: TableView,
    pub(super) heads: *const FuncHead,
    pub(super) frames: Vec<Frame>,
    pub(super) max_depth: usize,
    /// One past the last slot of the value stack, as an address.
    pub(super) stack_end: usize,
    /// Gas left (the store's counter while the core runs).
    pub(super) gas: u64,
    /// The accumulators between two steps of the dispatch loop (unused with tail dispatch).
    #[cfg_attr(ewvm_tail_dispatch, allow(dead_code))]
    pub(super) acc: u64,
    #[cfg_attr(ewvm_tail_dispatch, allow(dead_code))]
    pub(super) facc: f64,
}

impl Cx {
    /// Enters defined function `f` (of the current module when `code`/`consts` are its) with
    /// its frame at `new_sp`, returning to `ret_ip`; the callee's first instruction.
    ///
    /// # Safety
    /// `new_sp` lies within or just past the value stack; `code` and `consts` belong to `f`'s module.
    #[inline(always)]
    pub(super) unsafe fn enter(
        &mut self,
        f: &TranslatedFunc,
        code: *const Inst,
        consts: *const u64,
        ret_ip: *const Inst,
        sp: *mut u64,
        new_sp: *mut u64,
    ) -> Result<*const Inst, TrapCode> {
        let room = self.stack_end.saturating_sub(new_sp as usize) / 8;
        if self.frames.len() + 1 >= self.max_depth || f.frame_size as usize > room {
            return Err(TrapCode::CallStackExhausted);
        }
        self.frames.push(Frame {
            ret_ip,
            sp,
            instance: self.instance,
        });
        init_frame(new_sp, f, consts);
        Ok(code.add(f.entry as usize))
    }
}

/// Prepares a frame at `sp` for `f`: zeroes the declared locals that may be read before they
/// are written and copies in its constants.
///
/// # Safety
/// `sp..sp + f.frame_size` must lie within the value stack, and `f`'s initialiser within `pool`.
#[inline(always)]
pub(super) unsafe fn init_frame(sp: *mut u64, f: &TranslatedFunc, pool: *const u64) {
    let zeros = sp.add(f.zero_at as usize);
    if f.zeroed > 0 {
        std::ptr::write_bytes(zeros, 0, f.zeroed as usize);
    }
    let dst = zeros.add(f.zeroed as usize);
    let src = pool.add(f.init_start as usize);
    // The few slots of most initialisers two at a time, in straight-line code (a loop costs
    // more than the copy): a pool ends with a spare slot, and a frame has a slot past its
    // initialiser (its first temporary), so rounding an odd length up stays within both.
    let pair = |i: usize| {
        *dst.add(i) = *src.add(i);
        *dst.add(i + 1) = *src.add(i + 1);
    };
    match f.init_len {
        0 => {}
        1 | 2 => pair(0),
        3 | 4 => {
            pair(0);
            pair(2);
        }
        n => std::ptr::copy_nonoverlapping(src, dst, n as usize),
    }
}

/// Runs from `cx.ip`/`cx.sp` until an exit.
///
/// # Safety
/// `cx` describes a live stack, code and memory (see the SAFETY note of the parent module).
pub(super) unsafe fn enter(cx: &mut Cx) -> Exit {
    #[cfg(ewvm_tail_dispatch)]
    {
        let (ip, sp, mem) = (cx.ip, cx.sp, cx.mem);
        ((*ip).handler)(ip, sp, mem, cx, 0, 0.0)
    }
    #[cfg(not(ewvm_tail_dispatch))]
    loop {
        let (ip, sp, mem, acc, facc) = (cx.ip, cx.sp, cx.mem, cx.acc, cx.facc);
        match ((*ip).handler)(ip, sp, mem, cx, acc, facc) {
            Exit::Next => {}
            exit => return exit,
        }
    }
}

/// Goes on with the instruction at `$ip`.
#[cfg(ewvm_tail_dispatch)]
macro_rules! dispatch {
    ($ip:expr, $sp:expr, $mem:expr, $cx:expr, $acc:expr, $facc:expr) => {{
        let ip: *const Inst = $ip;
        return ((*ip).handler)(ip, $sp, $mem, $cx, $acc, $facc);
    }};
}
#[cfg(not(ewvm_tail_dispatch))]
macro_rules! dispatch {
    ($ip:expr, $sp:expr, $mem:expr, $cx:expr, $acc:expr, $facc:expr) => {{
        let (cx, _): (&mut Cx, MemView) = ($cx, $mem);
        cx.ip = $ip;
        cx.sp = $sp;
        cx.acc = $acc;
        cx.facc = $facc;
        return Exit::Next;
    }};
}

/// Leaves the core to run the instruction at `ip` in the driver.
unsafe fn slow(
    ip: *const Inst,
    sp: *mut u64,
    _mem: MemView,
    cx: &mut Cx,
    _acc: u64,
    _facc: f64,
) -> Exit {
    cx.ip = ip;
    cx.sp = sp;
    Exit::Slow
}

// Slot access. SAFETY (of all users): see the parent module's note on frame slots.
macro_rules! get {
    ($sp:ident, $i:expr) => {
        *$sp.add($i as usize)
    };
}
macro_rules! set {
    ($sp:ident, $i:expr, $v:expr) => {{
        let v = $v;
        *$sp.add($i as usize) = v
    }};
}
// Operands and results of type `$t` that may be in an accumulator (the float one for f64, see
// `Slot::from_acc`): in handlers generic over the flags `D` (result), `A` (first operand) and
// `B` (second operand) of `Op::acc_flags`.
macro_rules! read {
    ($flag:expr, $t:ty, $sp:ident, $acc:ident, $facc:ident, $i:expr) => {
        if $flag {
            <$t>::from_acc($acc, $facc)
        } else {
            <$t>::from_slot(get!($sp, $i))
        }
    };
}
/// The second operand, given as the kind `B` says (see [`Op::acc_flags`]).
macro_rules! read_b {
    ($t:ty, $sp:ident, $acc:ident, $facc:ident, $i:expr) => {
        match B {
            OPD_ACC => <$t>::from_acc($acc, $facc),
            OPD_IMM => <$t>::from_slot(imm_value($i)),
            _ => <$t>::from_slot(get!($sp, $i)),
        }
    };
}
macro_rules! write {
    ($sp:ident, $acc:ident, $facc:ident, $i:expr, $v:expr) => {{
        let v = $v;
        if D {
            v.into_acc(&mut $acc, &mut $facc)
        } else {
            set!($sp, $i, v.into_slot())
        }
    }};
}
macro_rules! un {
    ($sp:ident, $acc:ident, $facc:ident, $r:expr, $t:ty, |$a:ident| $e:expr) => {{
        let r = $r;
        let $a = read!(A, $t, $sp, $acc, $facc, r.src);
        write!($sp, $acc, $facc, r.dst, $e);
    }};
}
macro_rules! un_trap {
    ($sp:ident, $acc:ident, $facc:ident, $r:expr, $t:ty, |$a:ident| $e:expr) => {{
        let r = $r;
        let $a = read!(A, $t, $sp, $acc, $facc, r.src);
        match $e {
            Ok(v) => write!($sp, $acc, $facc, r.dst, v),
            Err(code) => return Exit::Trap(code),
        }
    }};
}
macro_rules! bin {
    ($sp:ident, $acc:ident, $facc:ident, $r:expr, $t:ty, |$a:ident, $b:ident| $e:expr) => {{
        let r = $r;
        let $a = read!(A, $t, $sp, $acc, $facc, r.a);
        let $b = read_b!($t, $sp, $acc, $facc, r.b);
        write!($sp, $acc, $facc, r.dst, $e);
    }};
}
macro_rules! bin_trap {
    ($sp:ident, $acc:ident, $facc:ident, $r:expr, $t:ty, $f:expr) => {{
        let r = $r;
        let a = read!(A, $t, $sp, $acc, $facc, r.a);
        let b = read_b!($t, $sp, $acc, $facc, r.b);
        match $f(a, b) {
            Ok(v) => write!($sp, $acc, $facc, r.dst, v),
            Err(code) => return Exit::Trap(code),
        }
    }};
}
macro_rules! load {
    ($sp:ident, $acc:ident, $facc:ident, $mem:ident, $m:expr, $n:literal, |$b:ident| $e:expr) => {{
        let m = $m;
        let addr = read!(A, u32, $sp, $acc, $facc, m.addr) as u64;
        match $mem.read::<$n>(addr, m.offset) {
            Ok($b) => write!($sp, $acc, $facc, m.val, $e),
            Err(code) => return Exit::Trap(code),
        }
    }};
}
macro_rules! store {
    ($sp:ident, $acc:ident, $facc:ident, $mem:ident, $m:expr, $n:literal, $t:ty, |$v:ident| $e:expr) => {{
        let m = $m;
        let $v = read_b!($t, $sp, $acc, $facc, m.val);
        let addr = read!(A, u32, $sp, $acc, $facc, m.addr) as u64;
        if let Err(code) = $mem.write::<$n>(addr, m.offset, $e) {
            return Exit::Trap(code);
        }
    }};
}
/// The address `a + b` (wrapping, as `i32.add`) of a load or store at a sum.
macro_rules! sum_addr {
    ($sp:ident, $acc:ident, $facc:ident, $m:expr) => {
        read!(A, u32, $sp, $acc, $facc, $m.a).wrapping_add(read_b!(u32, $sp, $acc, $facc, $m.b))
            as u64
    };
}
macro_rules! load_sum {
    ($sp:ident, $acc:ident, $facc:ident, $mem:ident, $m:expr, $n:literal, |$b:ident| $e:expr) => {{
        let m = $m;
        match $mem.read::<$n>(sum_addr!($sp, $acc, $facc, m), 0) {
            Ok($b) => write!($sp, $acc, $facc, m.val, $e),
            Err(code) => return Exit::Trap(code),
        }
    }};
}
macro_rules! store_sum {
    ($sp:ident, $acc:ident, $facc:ident, $mem:ident, $m:expr, $n:literal, $t:ty, |$v:ident| $e:expr) => {{
        let m = $m;
        let $v = <$t>::from_slot(get!($sp, m.val));
        if let Err(code) = $mem.write::<$n>(sum_addr!($sp, $acc, $facc, m), 0, $e) {
            return Exit::Trap(code);
        }
    }};
}
macro_rules! charge {
    ($cx:ident, $amount:expr) => {
        match $cx.gas.checked_sub($amount) {
            Some(left) => $cx.gas = left,
            None => return Exit::Trap(TrapCode::OutOfGas),
        }
    };
}
/// The constant charge `$amount` of the `ConsumeGas` at `$ip`; if it does not fit, the driver
/// runs that instruction, which may stand for several literal charges of which the first ones
/// still fit (see `FuncTranslator::charge_parts`).
macro_rules! charge_at {
    ($ip:expr, $sp:ident, $mem:ident, $cx:ident, $acc:ident, $facc:ident, $amount:expr) => {
        match $cx.gas.checked_sub($amount) {
            Some(left) => $cx.gas = left,
            None => return slow($ip, $sp, $mem, $cx, $acc, $facc),
        }
    };
}

/// The metering instruction a handler generic over the prefix `P` runs before its own (see
/// [`thread`]): none, or the `ConsumeGas` of a region, or the stack limiter's `StackLeave`.
const NO_PREFIX: u8 = 0;
const CHARGE: u8 = 1;
const LEAVE: u8 = 2;

/// In a handler generic over `P`: with a prefix, the handler sits on the prefix instruction, so
/// it runs it and moves on to the instruction after it, which it then runs; the result is the
/// instruction to run.
macro_rules! prefix {
    ($ip:ident, $sp:ident, $mem:ident, $cx:ident, $acc:ident, $facc:ident) => {
        match P {
            CHARGE => {
                let Op::ConsumeGas(amount) = (*$ip).op else {
                    std::hint::unreachable_unchecked()
                };
                charge_at!($ip, $sp, $mem, $cx, $acc, $facc, amount);
                $ip.add(1)
            }
            LEAVE => {
                let Op::StackLeave(g, cost) = (*$ip).op else {
                    std::hint::unreachable_unchecked()
                };
                stack_leave($cx, g, cost);
                $ip.add(1)
            }
            _ => $ip,
        }
    };
}

/// The stack limiter's epilogue: lowers the height global `g` by `cost` (wrapping, as `i32.sub`).
#[inline(always)]
fn stack_leave(cx: &mut Cx, g: u32, cost: u32) {
    debug_assert_eq!(cx.height, cx.globals.cell(g));
    // SAFETY: a module's `StackLeave` names its height global, whose cell `height` is.
    unsafe { *cx.height = (*cx.height as u32).wrapping_sub(cost) as u64 };
}

/// The instantiation of the accumulator-generic handler `$f` for the flags of `$op`, with the
/// prefix `$p`, among the forms of its category: `r3` (arithmetic: any result, first and second
/// operand), `r2` (unary ops and loads: no second operand) or `store` (no result).
macro_rules! with_flags {
    (r3, $op:expr, $f:ident, $p:ident) => {
        match $op.acc_flags() {
            (false, false, OPD_SLOT) => $f::<$p, false, false, OPD_SLOT> as Handler,
            (false, true, OPD_SLOT) => $f::<$p, false, true, OPD_SLOT>,
            (false, false, OPD_ACC) => $f::<$p, false, false, OPD_ACC>,
            (false, false, OPD_IMM) => $f::<$p, false, false, OPD_IMM>,
            (false, true, OPD_IMM) => $f::<$p, false, true, OPD_IMM>,
            (true, false, OPD_SLOT) => $f::<$p, true, false, OPD_SLOT>,
            (true, true, OPD_SLOT) => $f::<$p, true, true, OPD_SLOT>,
            (true, false, OPD_ACC) => $f::<$p, true, false, OPD_ACC>,
            (true, false, OPD_IMM) => $f::<$p, true, false, OPD_IMM>,
            (true, true, OPD_IMM) => $f::<$p, true, true, OPD_IMM>,
            flags => unreachable!("no form {flags:?}"),
        }
    };
    (r2, $op:expr, $f:ident, $p:ident) => {
        match $op.acc_flags() {
            (false, false, _) => $f::<$p, false, false, OPD_SLOT> as Handler,
            (false, true, _) => $f::<$p, false, true, OPD_SLOT>,
            (true, false, _) => $f::<$p, true, false, OPD_SLOT>,
            (true, true, _) => $f::<$p, true, true, OPD_SLOT>,
        }
    };
    (store, $op:expr, $f:ident, $p:ident) => {
        match $op.acc_flags() {
            (_, false, OPD_SLOT) => $f::<$p, false, false, OPD_SLOT> as Handler,
            (_, true, OPD_SLOT) => $f::<$p, false, true, OPD_SLOT>,
            (_, false, OPD_ACC) => $f::<$p, false, false, OPD_ACC>,
            flags => unreachable!("no store form {flags:?}"),
        }
    };
    (store_sum, $op:expr, $f:ident, $p:ident) => {
        match $op.acc_flags() {
            (_, false, OPD_SLOT) => $f::<$p, false, false, OPD_SLOT> as Handler,
            (_, true, OPD_SLOT) => $f::<$p, false, true, OPD_SLOT>,
            (_, false, OPD_ACC) => $f::<$p, false, false, OPD_ACC>,
            (_, false, OPD_IMM) => $f::<$p, false, false, OPD_IMM>,
            (_, true, OPD_IMM) => $f::<$p, false, true, OPD_IMM>,
            flags => unreachable!("no store form {flags:?}"),
        }
    };
}

/// Defines the handlers of instructions that fall through to the next one, and the table from
/// instruction to handler (`handler_for`). `plain` handlers never touch the accumulator; `acc`
/// handlers are generic over the flags of [`Op::acc_flags`], each instantiated for the forms of
/// its category (see [`with_flags!`]); both are generic over the prefix
/// `P` (see [`prefix!`]). `$control` lists the hand-written handlers and `branch_handler_for`
/// supplies the branches.
macro_rules! handlers {
    // Each load and store kind, listed once, also has its form at a sum (see `SumArg`).
    (
        ($ip:ident, $sp:ident, $mem:ident, $cx:ident, $acc:ident, $facc:ident);
        control: [$($control:tt)*];
        plain: { $($plain:tt)* }
        loads: { $($load:ident / $load_sum:ident: $n:literal, |$b:ident| $e:expr;)* }
        stores: { $($store:ident / $store_sum:ident: $sn:literal, $t:ty, |$v:ident| $se:expr;)* }
        acc: { $($rest:tt)* }
    ) => {
        handlers! {
            ($ip, $sp, $mem, $cx, $acc, $facc);
            control: [$($control)*];
            plain: { $($plain)* }
            acc: {
                $(
                    r2 $load(m) => load!($sp, $acc, $facc, $mem, m, $n, |$b| $e);
                    r3 $load_sum(m) => load_sum!($sp, $acc, $facc, $mem, m, $n, |$b| $e);
                )*
                $(
                    store $store(m) => store!($sp, $acc, $facc, $mem, m, $sn, $t, |$v| $se);
                    store_sum $store_sum(m) => store_sum!($sp, $acc, $facc, $mem, m, $sn, $t, |$v| $se);
                )*
                $($rest)*
            }
        }
    };
    (
        ($ip:ident, $sp:ident, $mem:ident, $cx:ident, $acc:ident, $facc:ident);
        control: [$($control:ident),* $(,)?];
        plain: { $($name:ident($($p:pat),*) => $body:expr;)* }
        acc: { $($cat:ident $aname:ident($($ap:pat),*) => $abody:expr;)* }
    ) => {
        $(
            #[allow(non_snake_case, unused_variables)]
            unsafe fn $name<const P: u8>(
                $ip: *const Inst, $sp: *mut u64, $mem: MemView, $cx: &mut Cx, $acc: u64,
                $facc: f64,
            ) -> Exit {
                let $ip = prefix!($ip, $sp, $mem, $cx, $acc, $facc);
                let Op::$name($($p),*) = (*$ip).op else {
                    std::hint::unreachable_unchecked()
                };
                $body;
                dispatch!($ip.add(1), $sp, $mem, $cx, $acc, $facc)
            }
        )*
        $(
            #[allow(non_snake_case, unused_variables, unused_mut)]
            unsafe fn $aname<const P: u8, const D: bool, const A: bool, const B: u8>(
                $ip: *const Inst, $sp: *mut u64, $mem: MemView, $cx: &mut Cx, mut $acc: u64,
                mut $facc: f64,
            ) -> Exit {
                let $ip = prefix!($ip, $sp, $mem, $cx, $acc, $facc);
                let Op::$aname($($ap),*) = (*$ip).op else {
                    std::hint::unreachable_unchecked()
                };
                $abody;
                dispatch!($ip.add(1), $sp, $mem, $cx, $acc, $facc)
            }
        )*

        /// The handler of `op` with the prefix `P` (none with a prefix for control operations
        /// other than returns, and for store operations).
        fn handler_for<const P: u8>(op: &Op) -> Option<Handler> {
            Some(match op {
                $(Op::$name(..) => $name::<P>,)*
                $(Op::$aname(..) => with_flags!($cat, op, $aname, P),)*
                Op::Return(..) => Return::<P>,
                Op::Return1(..) => Return1::<P>,
                $(Op::$control(..) if P == NO_PREFIX => $control,)*
                _ => return branch_handler_for::<P>(op),
            })
        }
    };
}

handlers! {
    (ip, sp, mem, cx, acc, facc);
    control: [Jump, BrTable, CallInternal, CallIndirect, StackEnter];
    plain: {
        Copy(r) => set!(sp, r.dst, get!(sp, r.src));
        Select(r) => if get!(sp, r.b) as u32 == 0 { set!(sp, r.dst, get!(sp, r.a)) };
        GlobalGet(dst, i) => set!(sp, dst, cx.globals.get(i));
        GlobalSet(src, i) => cx.globals.set(i, get!(sp, src));
        MemorySize(dst) => set!(sp, dst, (mem.len / crate::wasm::PAGE_SIZE) as u64);
        ConsumeGas(amount) => charge_at!(ip, sp, mem, cx, acc, facc, amount);
        ChargePerUnit(n, k) => charge!(cx, GasCharge::PerUnit(k).amount(get!(sp, n) as u32));
        ChargePerWord32(n, k) => charge!(cx, GasCharge::PerWord32(k).amount(get!(sp, n) as u32));
        StackLeave(g, cost) => stack_leave(cx, g, cost);
    }
    loads: {
        I32Load / I32LoadSum: 4, |b| u32::from_le_bytes(b);
        I64Load / I64LoadSum: 8, |b| u64::from_le_bytes(b);
        I32Load8S / I32Load8SSum: 1, |b| b[0] as i8 as i32;
        I32Load8U / I32Load8USum: 1, |b| b[0] as u32;
        I32Load16S / I32Load16SSum: 2, |b| i16::from_le_bytes(b) as i32;
        I32Load16U / I32Load16USum: 2, |b| u16::from_le_bytes(b) as u32;
        I64Load8S / I64Load8SSum: 1, |b| b[0] as i8 as i64;
        I64Load8U / I64Load8USum: 1, |b| b[0] as u64;
        I64Load16S / I64Load16SSum: 2, |b| i16::from_le_bytes(b) as i64;
        I64Load16U / I64Load16USum: 2, |b| u16::from_le_bytes(b) as u64;
        I64Load32S / I64Load32SSum: 4, |b| i32::from_le_bytes(b) as i64;
        I64Load32U / I64Load32USum: 4, |b| u32::from_le_bytes(b) as u64;
        F64Load / F64LoadSum: 8, |b| f64::from_le_bytes(b);
    }
    stores: {
        I32Store / I32StoreSum: 4, u64, |v| (v as u32).to_le_bytes();
        I64Store / I64StoreSum: 8, u64, |v| v.to_le_bytes();
        I32Store8 / I32Store8Sum: 1, u64, |v| [v as u8];
        I32Store16 / I32Store16Sum: 2, u64, |v| (v as u16).to_le_bytes();
        I64Store32 / I64Store32Sum: 4, u64, |v| (v as u32).to_le_bytes();
        F64Store / F64StoreSum: 8, f64, |v| v.to_le_bytes();
    }
    acc: {
        r2 I32Eqz(r) => un!(sp, acc, facc, r, u32, |a| a == 0);
        r3 I32Eq(r) => bin!(sp, acc, facc, r, u32, |a, b| a == b);
        r3 I32Ne(r) => bin!(sp, acc, facc, r, u32, |a, b| a != b);
        r3 I32LtS(r) => bin!(sp, acc, facc, r, i32, |a, b| a < b);
        r3 I32LtU(r) => bin!(sp, acc, facc, r, u32, |a, b| a < b);
        r3 I32GtS(r) => bin!(sp, acc, facc, r, i32, |a, b| a > b);
        r3 I32GtU(r) => bin!(sp, acc, facc, r, u32, |a, b| a > b);
        r3 I32LeS(r) => bin!(sp, acc, facc, r, i32, |a, b| a <= b);
        r3 I32LeU(r) => bin!(sp, acc, facc, r, u32, |a, b| a <= b);
        r3 I32GeS(r) => bin!(sp, acc, facc, r, i32, |a, b| a >= b);
        r3 I32GeU(r) => bin!(sp, acc, facc, r, u32, |a, b| a >= b);
        r2 I32Clz(r) => un!(sp, acc, facc, r, u32, |a| a.leading_zeros());
        r2 I32Ctz(r) => un!(sp, acc, facc, r, u32, |a| a.trailing_zeros());
        r2 I32Popcnt(r) => un!(sp, acc, facc, r, u32, |a| a.count_ones());
        r3 I32Add(r) => bin!(sp, acc, facc, r, u32, |a, b| a.wrapping_add(b));
        r3 I32Sub(r) => bin!(sp, acc, facc, r, u32, |a, b| a.wrapping_sub(b));
        r3 I32Mul(r) => bin!(sp, acc, facc, r, u32, |a, b| a.wrapping_mul(b));
        r3 I32DivS(r) => bin_trap!(sp, acc, facc, r, i32, div_s!(i32));
        r3 I32DivU(r) => bin_trap!(sp, acc, facc, r, u32, checked!(u32, wrapping_div));
        r3 I32RemS(r) => bin_trap!(sp, acc, facc, r, i32, checked!(i32, wrapping_rem));
        r3 I32RemU(r) => bin_trap!(sp, acc, facc, r, u32, checked!(u32, wrapping_rem));
        r3 I32And(r) => bin!(sp, acc, facc, r, u32, |a, b| a & b);
        r3 I32Or(r) => bin!(sp, acc, facc, r, u32, |a, b| a | b);
        r3 I32Xor(r) => bin!(sp, acc, facc, r, u32, |a, b| a ^ b);
        r3 I32Shl(r) => bin!(sp, acc, facc, r, u32, |a, b| a.wrapping_shl(b));
        r3 I32ShrS(r) => bin!(sp, acc, facc, r, i32, |a, b| a.wrapping_shr(b as u32));
        r3 I32ShrU(r) => bin!(sp, acc, facc, r, u32, |a, b| a.wrapping_shr(b));
        r3 I32Rotl(r) => bin!(sp, acc, facc, r, u32, |a, b| a.rotate_left(b));
        r3 I32Rotr(r) => bin!(sp, acc, facc, r, u32, |a, b| a.rotate_right(b));
        r2 I64Eqz(r) => un!(sp, acc, facc, r, u64, |a| a == 0);
        r3 I64Eq(r) => bin!(sp, acc, facc, r, u64, |a, b| a == b);
        r3 I64Ne(r) => bin!(sp, acc, facc, r, u64, |a, b| a != b);
        r3 I64LtS(r) => bin!(sp, acc, facc, r, i64, |a, b| a < b);
        r3 I64LtU(r) => bin!(sp, acc, facc, r, u64, |a, b| a < b);
        r3 I64GtS(r) => bin!(sp, acc, facc, r, i64, |a, b| a > b);
        r3 I64GtU(r) => bin!(sp, acc, facc, r, u64, |a, b| a > b);
        r3 I64LeS(r) => bin!(sp, acc, facc, r, i64, |a, b| a <= b);
        r3 I64LeU(r) => bin!(sp, acc, facc, r, u64, |a, b| a <= b);
        r3 I64GeS(r) => bin!(sp, acc, facc, r, i64, |a, b| a >= b);
        r3 I64GeU(r) => bin!(sp, acc, facc, r, u64, |a, b| a >= b);
        r2 I64Clz(r) => un!(sp, acc, facc, r, u64, |a| a.leading_zeros() as u64);
        r2 I64Ctz(r) => un!(sp, acc, facc, r, u64, |a| a.trailing_zeros() as u64);
        r2 I64Popcnt(r) => un!(sp, acc, facc, r, u64, |a| a.count_ones() as u64);
        r3 I64Add(r) => bin!(sp, acc, facc, r, u64, |a, b| a.wrapping_add(b));
        r3 I64Sub(r) => bin!(sp, acc, facc, r, u64, |a, b| a.wrapping_sub(b));
        r3 I64Mul(r) => bin!(sp, acc, facc, r, u64, |a, b| a.wrapping_mul(b));
        r3 I64DivS(r) => bin_trap!(sp, acc, facc, r, i64, div_s!(i64));
        r3 I64DivU(r) => bin_trap!(sp, acc, facc, r, u64, checked!(u64, wrapping_div));
        r3 I64RemS(r) => bin_trap!(sp, acc, facc, r, i64, checked!(i64, wrapping_rem));
        r3 I64RemU(r) => bin_trap!(sp, acc, facc, r, u64, checked!(u64, wrapping_rem));
        r3 I64And(r) => bin!(sp, acc, facc, r, u64, |a, b| a & b);
        r3 I64Or(r) => bin!(sp, acc, facc, r, u64, |a, b| a | b);
        r3 I64Xor(r) => bin!(sp, acc, facc, r, u64, |a, b| a ^ b);
        r3 I64Shl(r) => bin!(sp, acc, facc, r, u64, |a, b| a.wrapping_shl(b as u32));
        r3 I64ShrS(r) => bin!(sp, acc, facc, r, i64, |a, b| a.wrapping_shr(b as u32));
        r3 I64ShrU(r) => bin!(sp, acc, facc, r, u64, |a, b| a.wrapping_shr(b as u32));
        r3 I64Rotl(r) => bin!(sp, acc, facc, r, u64, |a, b| a.rotate_left((b % 64) as u32));
        r3 I64Rotr(r) => bin!(sp, acc, facc, r, u64, |a, b| a.rotate_right((b % 64) as u32));
        r3 F32Eq(r) => bin!(sp, acc, facc, r, f32, |a, b| a == b);
        r3 F32Ne(r) => bin!(sp, acc, facc, r, f32, |a, b| a != b);
        r3 F32Lt(r) => bin!(sp, acc, facc, r, f32, |a, b| a < b);
        r3 F32Gt(r) => bin!(sp, acc, facc, r, f32, |a, b| a > b);
        r3 F32Le(r) => bin!(sp, acc, facc, r, f32, |a, b| a <= b);
        r3 F32Ge(r) => bin!(sp, acc, facc, r, f32, |a, b| a >= b);
        r2 F32Abs(r) => un!(sp, acc, facc, r, u32, |a| a & 0x7fff_ffff);
        r2 F32Neg(r) => un!(sp, acc, facc, r, u32, |a| a ^ 0x8000_0000);
        r2 F32Ceil(r) => un!(sp, acc, facc, r, f32, |a| canon(a.ceil()));
        r2 F32Floor(r) => un!(sp, acc, facc, r, f32, |a| canon(a.floor()));
        r2 F32Trunc(r) => un!(sp, acc, facc, r, f32, |a| canon(a.trunc()));
        r2 F32Nearest(r) => un!(sp, acc, facc, r, f32, |a| canon(a.round_ties_even()));
        r2 F32Sqrt(r) => un!(sp, acc, facc, r, f32, |a| canon(a.sqrt()));
        r3 F32Add(r) => bin!(sp, acc, facc, r, f32, |a, b| canon(a + b));
        r3 F32Sub(r) => bin!(sp, acc, facc, r, f32, |a, b| canon(a - b));
        r3 F32Mul(r) => bin!(sp, acc, facc, r, f32, |a, b| canon(a * b));
        r3 F32Div(r) => bin!(sp, acc, facc, r, f32, |a, b| canon(a / b));
        r3 F32Min(r) => bin!(sp, acc, facc, r, f32, |a, b| fmin(a, b));
        r3 F32Max(r) => bin!(sp, acc, facc, r, f32, |a, b| fmax(a, b));
        r3 F32Copysign(r) => bin!(sp, acc, facc, r, u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000));
        r3 F64Eq(r) => bin!(sp, acc, facc, r, f64, |a, b| a == b);
        r3 F64Ne(r) => bin!(sp, acc, facc, r, f64, |a, b| a != b);
        r3 F64Lt(r) => bin!(sp, acc, facc, r, f64, |a, b| a < b);
        r3 F64Gt(r) => bin!(sp, acc, facc, r, f64, |a, b| a > b);
        r3 F64Le(r) => bin!(sp, acc, facc, r, f64, |a, b| a <= b);
        r3 F64Ge(r) => bin!(sp, acc, facc, r, f64, |a, b| a >= b);
        r2 F64Abs(r) => un!(sp, acc, facc, r, f64, |a| a.abs());
        r2 F64Neg(r) => un!(sp, acc, facc, r, f64, |a| -a);
        r2 F64Ceil(r) => un!(sp, acc, facc, r, f64, |a| canon(a.ceil()));
        r2 F64Floor(r) => un!(sp, acc, facc, r, f64, |a| canon(a.floor()));
        r2 F64Trunc(r) => un!(sp, acc, facc, r, f64, |a| canon(a.trunc()));
        r2 F64Nearest(r) => un!(sp, acc, facc, r, f64, |a| canon(a.round_ties_even()));
        r2 F64Sqrt(r) => un!(sp, acc, facc, r, f64, |a| canon(a.sqrt()));
        r3 F64Add(r) => bin!(sp, acc, facc, r, f64, |a, b| canon(a + b));
        r3 F64Sub(r) => bin!(sp, acc, facc, r, f64, |a, b| canon(a - b));
        r3 F64Mul(r) => bin!(sp, acc, facc, r, f64, |a, b| canon(a * b));
        r3 F64Div(r) => bin!(sp, acc, facc, r, f64, |a, b| canon(a / b));
        r3 F64Min(r) => bin!(sp, acc, facc, r, f64, |a, b| fmin(a, b));
        r3 F64Max(r) => bin!(sp, acc, facc, r, f64, |a, b| fmax(a, b));
        r3 F64Copysign(r) => bin!(sp, acc, facc, r, f64, |a, b| a.copysign(b));
        r2 I32WrapI64(r) => un!(sp, acc, facc, r, u64, |a| a as u32);
        r2 I32TruncF32S(r) => un_trap!(sp, acc, facc, r, f32, |a| trunc_checked(a, I32_S.0, I32_S.1) .map(|t| t as i32));
        r2 I32TruncF32U(r) => un_trap!(sp, acc, facc, r, f32, |a| trunc_checked(a, I32_U.0, I32_U.1) .map(|t| t as u32));
        r2 I32TruncF64S(r) => un_trap!(sp, acc, facc, r, f64, |a| trunc_checked(a, I32_S.0, I32_S.1) .map(|t| t as i32));
        r2 I32TruncF64U(r) => un_trap!(sp, acc, facc, r, f64, |a| trunc_checked(a, I32_U.0, I32_U.1) .map(|t| t as u32));
        r2 I64ExtendI32S(r) => un!(sp, acc, facc, r, i32, |a| a as i64);
        r2 I64ExtendI32U(r) => un!(sp, acc, facc, r, u32, |a| a as u64);
        r2 I64TruncF32S(r) => un_trap!(sp, acc, facc, r, f32, |a| trunc_checked(a, I64_S.0, I64_S.1) .map(|t| t as i64));
        r2 I64TruncF32U(r) => un_trap!(sp, acc, facc, r, f32, |a| trunc_checked(a, I64_U.0, I64_U.1) .map(|t| t as u64));
        r2 I64TruncF64S(r) => un_trap!(sp, acc, facc, r, f64, |a| trunc_checked(a, I64_S.0, I64_S.1) .map(|t| t as i64));
        r2 I64TruncF64U(r) => un_trap!(sp, acc, facc, r, f64, |a| trunc_checked(a, I64_U.0, I64_U.1) .map(|t| t as u64));
        r2 F32ConvertI32S(r) => un!(sp, acc, facc, r, i32, |a| a as f32);
        r2 F32ConvertI32U(r) => un!(sp, acc, facc, r, u32, |a| a as f32);
        r2 F32ConvertI64S(r) => un!(sp, acc, facc, r, i64, |a| a as f32);
        r2 F32ConvertI64U(r) => un!(sp, acc, facc, r, u64, |a| a as f32);
        r2 F32DemoteF64(r) => un!(sp, acc, facc, r, f64, |a| canon(a as f32));
        r2 F64ConvertI32S(r) => un!(sp, acc, facc, r, i32, |a| a as f64);
        r2 F64ConvertI32U(r) => un!(sp, acc, facc, r, u32, |a| a as f64);
        r2 F64ConvertI64S(r) => un!(sp, acc, facc, r, i64, |a| a as f64);
        r2 F64ConvertI64U(r) => un!(sp, acc, facc, r, u64, |a| a as f64);
        r2 F64PromoteF32(r) => un!(sp, acc, facc, r, f32, |a| canon(a as f64));
        r2 I32Extend8S(r) => un!(sp, acc, facc, r, u32, |a| a as i8 as i32);
        r2 I32Extend16S(r) => un!(sp, acc, facc, r, u32, |a| a as i16 as i32);
        r2 I64Extend8S(r) => un!(sp, acc, facc, r, u64, |a| a as i8 as i64);
        r2 I64Extend16S(r) => un!(sp, acc, facc, r, u64, |a| a as i16 as i64);
        r2 I64Extend32S(r) => un!(sp, acc, facc, r, u64, |a| a as i32 as i64);
        r2 I32TruncSatF32S(r) => un!(sp, acc, facc, r, f32, |a| a as i32);
        r2 I32TruncSatF32U(r) => un!(sp, acc, facc, r, f32, |a| a as u32);
        r2 I32TruncSatF64S(r) => un!(sp, acc, facc, r, f64, |a| a as i32);
        r2 I32TruncSatF64U(r) => un!(sp, acc, facc, r, f64, |a| a as u32);
        r2 I64TruncSatF32S(r) => un!(sp, acc, facc, r, f32, |a| a as i64);
        r2 I64TruncSatF32U(r) => un!(sp, acc, facc, r, f32, |a| a as u64);
        r2 I64TruncSatF64S(r) => un!(sp, acc, facc, r, f64, |a| a as i64);
        r2 I64TruncSatF64U(r) => un!(sp, acc, facc, r, f64, |a| a as u64);
    }
}

/// Jumps by the relative target `rel` from the branch at `ip` (see [`thread`]).
#[inline(always)]
unsafe fn jump(ip: *const Inst, rel: u32) -> *const Inst {
    ip.offset(rel as i32 as isize)
}

#[allow(non_snake_case)]
unsafe fn Jump(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::Jump(rel) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    dispatch!(jump(ip, rel), sp, mem, cx, acc, facc)
}

/// Defines compare-and-branch and test-and-branch handlers, generic over the flags `A` and `B`
/// of their operands (see [`Op::acc_flags`]), and `branch_handler_for`.
macro_rules! branches {
    (
        cmp: [$($cmp:ident / $add:ident: $t:ty, $w:ty, |$x:ident, $y:ident| $e:expr;)*]
        test: [$($test:ident: $tt:ty, $taken_if_zero:expr;)*]
    ) => {
        $(
            #[allow(non_snake_case)]
            unsafe fn $cmp<const P: u8, const A: bool, const B: u8>(
                ip: *const Inst, sp: *mut u64, mem: MemView, cx: &mut Cx, acc: u64, facc: f64,
            ) -> Exit {
                let ip = prefix!(ip, sp, mem, cx, acc, facc);
                let Op::$cmp(b) = (*ip).op else {
                    std::hint::unreachable_unchecked()
                };
                let $x = read!(A, $t, sp, acc, facc, b.a);
                let $y = read_b!($t, sp, acc, facc, b.b);
                let next = if $e { jump(ip, b.target) } else { ip.add(1) };
                dispatch!(next, sp, mem, cx, acc, facc)
            }

            /// `x += step` (wrapping, at the comparison's width) and the branch, whose target
            /// is in the `BrTarget` that follows; `S` and `B` say how `step` and `bound` are given.
            #[allow(non_snake_case)]
            unsafe fn $add<const P: u8, const S: u8, const B: u8>(
                ip: *const Inst, sp: *mut u64, mem: MemView, cx: &mut Cx, acc: u64, facc: f64,
            ) -> Exit {
                let ip = prefix!(ip, sp, mem, cx, acc, facc);
                let Op::$add(f) = (*ip).op else {
                    std::hint::unreachable_unchecked()
                };
                let step = if S == OPD_IMM { imm_value(f.step) } else { get!(sp, f.step) };
                let sum = (get!(sp, f.x) as $w).wrapping_add(step as $w) as u64;
                set!(sp, f.x, sum);
                let $x = <$t>::from_slot(sum);
                let $y = <$t>::from_slot(read_b!(u64, sp, acc, facc, f.bound));
                let next = if $e {
                    let Op::BrTarget(rel) = (*ip.add(1)).op else {
                        std::hint::unreachable_unchecked()
                    };
                    jump(ip.add(1), rel)
                } else {
                    ip.add(2)
                };
                dispatch!(next, sp, mem, cx, acc, facc)
            }
        )*
        $(
            #[allow(non_snake_case)]
            unsafe fn $test<const P: u8, const A: bool>(
                ip: *const Inst, sp: *mut u64, mem: MemView, cx: &mut Cx, acc: u64, facc: f64,
            ) -> Exit {
                let ip = prefix!(ip, sp, mem, cx, acc, facc);
                let Op::$test(b) = (*ip).op else {
                    std::hint::unreachable_unchecked()
                };
                let taken = (read!(A, $tt, sp, acc, facc, b.cond) == 0) == $taken_if_zero;
                let next = if taken { jump(ip, b.target) } else { ip.add(1) };
                dispatch!(next, sp, mem, cx, acc, facc)
            }
        )*

        /// The handler of a branch instruction (see `handler_for`).
        fn branch_handler_for<const P: u8>(op: &Op) -> Option<Handler> {
            let (_, a, b) = op.acc_flags();
            Some(match op {
                $(Op::$cmp(..) => match (a, b) {
                    (false, OPD_SLOT) => $cmp::<P, false, OPD_SLOT> as Handler,
                    (true, OPD_SLOT) => $cmp::<P, true, OPD_SLOT>,
                    (false, OPD_ACC) => $cmp::<P, false, OPD_ACC>,
                    (false, OPD_IMM) => $cmp::<P, false, OPD_IMM>,
                    (true, OPD_IMM) => $cmp::<P, true, OPD_IMM>,
                    flags => unreachable!("no branch form {flags:?}"),
                },)*
                $(Op::$add(f) => match (f.step & IMM != 0, f.bound & IMM != 0) {
                    (false, false) => $add::<P, OPD_SLOT, OPD_SLOT> as Handler,
                    (false, true) => $add::<P, OPD_SLOT, OPD_IMM>,
                    (true, false) => $add::<P, OPD_IMM, OPD_SLOT>,
                    (true, true) => $add::<P, OPD_IMM, OPD_IMM>,
                },)*
                $(Op::$test(..) => match a {
                    false => $test::<P, false> as Handler,
                    true => $test::<P, true>,
                },)*
                _ => return None,
            })
        }
    };
}

branches! {
    cmp: [
        BrI32Eq / AddBrI32Eq: u32, u32, |x, y| x == y;
        BrI32Ne / AddBrI32Ne: u32, u32, |x, y| x != y;
        BrI32LtS / AddBrI32LtS: i32, u32, |x, y| x < y;
        BrI32LtU / AddBrI32LtU: u32, u32, |x, y| x < y;
        BrI32GtS / AddBrI32GtS: i32, u32, |x, y| x > y;
        BrI32GtU / AddBrI32GtU: u32, u32, |x, y| x > y;
        BrI32LeS / AddBrI32LeS: i32, u32, |x, y| x <= y;
        BrI32LeU / AddBrI32LeU: u32, u32, |x, y| x <= y;
        BrI32GeS / AddBrI32GeS: i32, u32, |x, y| x >= y;
        BrI32GeU / AddBrI32GeU: u32, u32, |x, y| x >= y;
        BrI64Eq / AddBrI64Eq: u64, u64, |x, y| x == y;
        BrI64Ne / AddBrI64Ne: u64, u64, |x, y| x != y;
        BrI64LtS / AddBrI64LtS: i64, u64, |x, y| x < y;
        BrI64LtU / AddBrI64LtU: u64, u64, |x, y| x < y;
        BrI64GtS / AddBrI64GtS: i64, u64, |x, y| x > y;
        BrI64GtU / AddBrI64GtU: u64, u64, |x, y| x > y;
        BrI64LeS / AddBrI64LeS: i64, u64, |x, y| x <= y;
        BrI64LeU / AddBrI64LeU: u64, u64, |x, y| x <= y;
        BrI64GeS / AddBrI64GeS: i64, u64, |x, y| x >= y;
        BrI64GeU / AddBrI64GeU: u64, u64, |x, y| x >= y;
    ]
    test: [
        BrIfEqz: u32, true;
        BrIfNez: u32, false;
        BrIfI64Eqz: u64, true;
        BrIfI64Nez: u64, false;
    ]
}

/// Pops the current frame and goes on in the caller (or leaves the core).
macro_rules! ret {
    ($cx:ident, $mem:ident, $facc:ident) => {{
        match $cx.frames.pop() {
            None => return Exit::Done,
            Some(frame) => {
                if frame.instance != $cx.instance {
                    $cx.instance = frame.instance;
                    $cx.ip = frame.ret_ip;
                    $cx.sp = frame.sp;
                    return Exit::Context;
                }
                dispatch!(frame.ret_ip, frame.sp, $mem, $cx, 0, $facc)
            }
        }
    }};
}

#[allow(non_snake_case)]
unsafe fn BrTable(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::BrTable(index, len, src) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    let at = ip.add(1 + (get!(sp, index) as u32).min(len) as usize);
    let Op::BrEntry(entry) = (*at).op else {
        std::hint::unreachable_unchecked()
    };
    let from = sp.add(src as usize);
    if entry.target == RETURN_TARGET {
        std::ptr::copy(from, sp, entry.count as usize);
        ret!(cx, mem, facc)
    }
    std::ptr::copy(from, sp.add(entry.dst as usize), entry.count as usize);
    dispatch!(jump(at, entry.target), sp, mem, cx, acc, facc)
}

#[allow(non_snake_case)]
unsafe fn Return<const P: u8>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let ip = prefix!(ip, sp, mem, cx, acc, facc);
    let Op::Return(base, count) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    std::ptr::copy(sp.add(base as usize), sp, count as usize);
    ret!(cx, mem, facc)
}

#[allow(non_snake_case)]
unsafe fn Return1<const P: u8>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let ip = prefix!(ip, sp, mem, cx, acc, facc);
    let Op::Return1(src) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    set!(sp, 0, get!(sp, src));
    ret!(cx, mem, facc)
}

#[allow(non_snake_case)]
unsafe fn CallInternal(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    call_internal::<false>(ip, sp, mem, cx, acc, facc)
}

/// `CallInternal` of a function whose body starts with `ConsumeGas` (see [`thread`]).
#[allow(non_snake_case)]
unsafe fn CallInternalCharged(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    call_internal::<true>(ip, sp, mem, cx, acc, facc)
}

/// Enters the callee of the `CallInternal` at `ip`; with `CHARGED`, also runs its first
/// instruction, a `ConsumeGas`, in the same dispatch (the same checks in the same order).
#[inline(always)]
unsafe fn call_internal<const CHARGED: bool>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::CallInternal(func, base) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    let f = &*cx.funcs.add(func as usize);
    let new_sp = sp.wrapping_add(base as usize);
    match cx.enter(f, cx.code, cx.consts, ip.add(1), sp, new_sp) {
        Ok(entry) if CHARGED => {
            let Op::ConsumeGas(amount) = (*entry).op else {
                std::hint::unreachable_unchecked()
            };
            charge_at!(entry, new_sp, mem, cx, acc, facc, amount);
            dispatch!(entry.add(1), new_sp, mem, cx, acc, facc)
        }
        Ok(entry) => dispatch!(entry, new_sp, mem, cx, acc, facc),
        Err(code) => Exit::Trap(code),
    }
}

/// `call_indirect` through table 0 of a function of the current instance; anything else (another
/// table, a host function, another instance's function) leaves the core. The checks and traps
/// are the driver's, in the same order: undefined element, uninitialised element, type
/// mismatch, then the callee's frame.
#[allow(non_snake_case)]
unsafe fn CallIndirect(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::CallIndirect(type_id, table, index) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    let Op::CallArgs(base) = (*ip.add(1)).op else {
        std::hint::unreachable_unchecked()
    };
    if table != 0 {
        return slow(ip, sp, mem, cx, acc, facc);
    }
    let func = match cx.table.get(get!(sp, index) as u32) {
        None => return Exit::Trap(TrapCode::UndefinedElement),
        Some(0) => return Exit::Trap(TrapCode::UninitializedElement),
        Some(slot) => (slot - 1) as usize,
    };
    // SAFETY: a table holds only references to store functions, all of which have heads.
    let head = *cx.heads.add(func);
    if head.type_id != type_id {
        return Exit::Trap(TrapCode::IndirectCallTypeMismatch);
    }
    if head.instance != cx.instance {
        return slow(ip, sp, mem, cx, acc, facc);
    }
    // SAFETY: a function of the current instance is one of its module's.
    let f = &*cx.funcs.add(head.index as usize);
    let new_sp = sp.wrapping_add(base as usize);
    match cx.enter(f, cx.code, cx.consts, ip.add(2), sp, new_sp) {
        // A thunk's body runs here rather than in a dispatch of its own (see [`thread`]).
        Ok(entry) => match f.start {
            Start::Plain => dispatch!(entry, new_sp, mem, cx, acc, facc),
            Start::Thunk => thunk::<false>(entry, new_sp, mem, cx, acc, facc),
            Start::ThunkCharged => thunk::<true>(entry, new_sp, mem, cx, acc, facc),
        },
        Err(code) => Exit::Trap(code),
    }
}

#[allow(non_snake_case)]
unsafe fn StackEnter(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    stack_enter::<false, false>(ip, sp, mem, cx, acc, facc)
}

/// `StackEnter` whose guarded instruction (after the trap path) is a `CallInternal`: runs the
/// call in the same dispatch, charging the callee's entry gas if `CHARGED` (see [`thread`]).
unsafe fn stack_enter_call<const CHARGED: bool>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    stack_enter::<true, CHARGED>(ip, sp, mem, cx, acc, facc)
}

/// Raises the height global; within the limit, skips the trap path (the next two
/// instructions), and with `CALL` also runs the `CallInternal` that follows it.
#[inline(always)]
unsafe fn stack_enter<const CALL: bool, const CHARGED: bool>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::StackEnter(check) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    debug_assert_eq!(cx.height, cx.globals.cell(check.global));
    // SAFETY: a module's `StackEnter` names its height global, whose cell `height` is.
    let height = (*cx.height as u32).wrapping_add(check.cost);
    *cx.height = height as u64;
    if height > check.limit {
        dispatch!(ip.add(1), sp, mem, cx, acc, facc)
    }
    if CALL {
        return call_internal::<CHARGED>(ip.add(3), sp, mem, cx, acc, facc);
    }
    dispatch!(ip.add(3), sp, mem, cx, acc, facc)
}

/// A region's charge, then copies, then a `StackEnter` whose guarded instruction is a
/// `CallInternal` (see [`thread`]): runs them all in one dispatch, in order, as the handlers of
/// each would. This is the body of a stack-limiter thunk (`local.get` of each parameter, the
/// checked call), entered on every `call_indirect` of a metered function (inlined there).
#[inline(always)]
unsafe fn thunk<const CHARGED: bool>(
    ip: *const Inst,
    sp: *mut u64,
    mem: MemView,
    cx: &mut Cx,
    acc: u64,
    facc: f64,
) -> Exit {
    let Op::ConsumeGas(amount) = (*ip).op else {
        std::hint::unreachable_unchecked()
    };
    charge_at!(ip, sp, mem, cx, acc, facc, amount);
    let mut ip = ip.add(1);
    while let Op::Copy(r) = (*ip).op {
        set!(sp, r.dst, get!(sp, r.src));
        ip = ip.add(1);
    }
    stack_enter::<true, CHARGED>(ip, sp, mem, cx, acc, facc)
}

/// Whether `body[at..]` is copies, then a `StackEnter` guarding a `CallInternal`: the callee.
fn copies_then_checked_call(body: &[Op], at: usize) -> Option<u32> {
    let rest = body.get(at..)?;
    let copies = rest
        .iter()
        .take_while(|op| matches!(op, Op::Copy(_)))
        .count();
    match rest.get(copies..copies + 4)? {
        [Op::StackEnter(_), _, _, Op::CallInternal(func, _)] => Some(*func),
        _ => None,
    }
}

/// Threads the translated `body` of one function into `out` (as long as `body`): pairs every
/// instruction with its handler and makes branch targets relative to the branch (so that a taken
/// branch is one pointer addition); `body`'s targets are relative to its start. `charged(func)`
/// tells whether defined function `func`'s body starts with a gas charge (every metered
/// function does): a call of it gets the handler that also charges it. A region's charge, and
/// the stack limiter's epilogue, get the handler of the instruction after them that runs them
/// first (that instruction keeps its own handler for branches that land on it); a charge
/// followed by copies and a checked call (a limiter thunk's body) gets the handler that runs all
/// of them. Returns how the executor runs the body's first instruction (see
/// [`TranslatedFunc::start`]). Bodies are independent: they may be threaded in parallel.
pub(crate) fn thread(
    body: &[Op],
    charged: impl Fn(u32) -> bool,
    out: &mut [MaybeUninit<Inst>],
) -> Start {
    assert_eq!(body.len(), out.len(), "threaded code has the body's length");
    let mut start = Start::Plain;
    for ((at, &op), slot) in body.iter().enumerate().zip(out) {
        let mut op = op;
        if let Some(target) = op.target_mut().filter(|t| **t != RETURN_TARGET) {
            *target = target.wrapping_sub(at as u32);
        }
        // The callee of a charge followed by copies and a checked call (a limiter thunk).
        let thunk_call = match op {
            Op::ConsumeGas(_) => copies_then_checked_call(body, at + 1),
            _ => None,
        };
        if at == 0 {
            start = match thunk_call.map(&charged) {
                None => Start::Plain,
                Some(false) => Start::Thunk,
                Some(true) => Start::ThunkCharged,
            };
        }
        let handler: Handler = match (op, body.get(at + 3)) {
            (Op::CallInternal(func, _), _) if charged(func) => CallInternalCharged,
            (Op::StackEnter(_), Some(&Op::CallInternal(func, _))) => match charged(func) {
                true => stack_enter_call::<true>,
                false => stack_enter_call::<false>,
            },
            _ if thunk_call.is_some() => match thunk_call.is_some_and(&charged) {
                true => thunk::<true>,
                false => thunk::<false>,
            },
            (Op::ConsumeGas(_), _) => body
                .get(at + 1)
                .and_then(handler_for::<CHARGE>)
                .unwrap_or(ConsumeGas::<NO_PREFIX>),
            (Op::StackLeave(..), _) => body
                .get(at + 1)
                .and_then(handler_for::<LEAVE>)
                .unwrap_or(StackLeave::<NO_PREFIX>),
            _ => handler_for::<NO_PREFIX>(&op).unwrap_or(slow),
        };
        slot.write(Inst { handler, op });
    }
    start
}
