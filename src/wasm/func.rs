//! Functions: handles, host functions with typed parameters, and the caller handle.

use std::sync::Arc;

use super::error::{Error, Trap};
use super::exec;
use super::externals::Extern;
use super::store::{FuncEntity, Store};
use super::types::{FuncType, ValType};
use super::value::Val;

/// A host function as stored: parameters in, results out, or a trap.
pub(crate) type HostFn<T> =
    Arc<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync>;

/// Handle to a function in a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) u32);

impl Func {
    /// Defines a host function with an explicit type, taking and returning [`Val`]s.
    pub fn new<T>(
        store: &mut Store<T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let type_id = store.engine.intern(&ty);
        Func(store.push_func(FuncEntity::Host {
            type_id,
            ty: Arc::new(ty),
            func: Arc::new(func),
        }))
    }

    /// Defines a typed host function (see [`IntoHostFn`]).
    pub fn wrap<T, P, R>(store: &mut Store<T>, func: impl IntoHostFn<T, P, R>) -> Func {
        let (ty, func) = func.into_host_fn();
        let type_id = store.engine.intern(&ty);
        Func(store.push_func(FuncEntity::Host {
            type_id,
            ty: Arc::new(ty),
            func,
        }))
    }

    /// The function's signature.
    pub fn ty<T>(&self, store: &Store<T>) -> FuncType {
        (*store.func_type(self.0)).clone()
    }

    /// Calls the function with `args`, writing its results into `results`.
    ///
    /// # Errors
    /// [`Error::Type`] if the arguments or the results slice do not fit the signature,
    /// [`Error::Trap`] if execution traps or a host function raises an error.
    pub fn call<T>(
        &self,
        store: &mut Store<T>,
        args: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let ty = store.func_type(self.0);
        let arg_types: Vec<ValType> = args.iter().map(Val::ty).collect();
        if arg_types != ty.params() || results.len() != ty.results().len() {
            return Err(Error::Type(format!(
                "function of type {ty} called with {} argument(s) of types {:?} and {} result slot(s)",
                args.len(),
                arg_types,
                results.len()
            )));
        }
        exec::call(store, self.0, args, results).map_err(Error::Trap)
    }
}

/// What a host function sees of its caller: the host state and the calling instance's exports.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<u32>,
}

impl<'a, T> Caller<'a, T> {
    /// The host state.
    pub fn data(&self) -> &T {
        &self.store.data
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// Gas left in the store.
    pub fn gas(&self) -> u64 {
        self.store.gas
    }

    /// Sets the gas left in the store.
    pub fn set_gas(&mut self, gas: u64) {
        self.store.gas = gas;
    }

    /// Charges `amount` gas, trapping with `OutOfGas` (counter unchanged) when less is left.
    pub fn consume_gas(&mut self, amount: u64) -> Result<(), Trap> {
        self.store.consume_gas(amount).map_err(Trap::from)
    }

    /// The whole store, e.g. to call back into WebAssembly.
    pub fn store_mut(&mut self) -> &mut Store<T> {
        self.store
    }

    fn memory_index(&self) -> Option<usize> {
        let instance = &self.store.instances[self.instance? as usize];
        instance.memories.first().map(|&m| m as usize)
    }

    /// The calling instance's linear memory (memory 0), if it has one.
    pub fn memory(&self) -> Option<&[u8]> {
        let idx = self.memory_index()?;
        Some(&self.store.memories[idx].data)
    }

    /// The calling instance's linear memory, mutably.
    pub fn memory_mut(&mut self) -> Option<&mut [u8]> {
        let idx = self.memory_index()?;
        Some(&mut self.store.memories[idx].data)
    }

    /// The host state and the calling instance's memory at the same time.
    pub fn data_and_memory_mut(&mut self) -> (&mut T, Option<&mut [u8]>) {
        let idx = self.memory_index();
        let store = &mut *self.store;
        (
            &mut store.data,
            idx.map(|i| &mut store.memories[i].data[..]),
        )
    }

    /// An export of the calling instance.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let instance = self.instance?;
        super::instance::Instance(instance).get_export(self.store, name)
    }
}

/// A Rust value type usable as a typed host-function parameter or result.
pub trait WasmTy: Sized + 'static {
    /// Its WebAssembly type.
    const TY: ValType;
    /// Converts from a value already checked to be of type [`Self::TY`].
    fn from_val(v: Val) -> Self;
    /// Converts into a value.
    fn into_val(self) -> Val;
}

macro_rules! wasm_ty {
    ($($t:ty => $ty:ident, $from:expr, $into:expr;)*) => {$(
        impl WasmTy for $t {
            const TY: ValType = ValType::$ty;
            fn from_val(v: Val) -> Self {
                match v {
                    Val::$ty(x) => $from(x),
                    _ => Default::default(),
                }
            }
            fn into_val(self) -> Val {
                Val::$ty($into(self))
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, |x| x, |x| x;
    u32 => I32, |x: i32| x as u32, |x: u32| x as i32;
    i64 => I64, |x| x, |x| x;
    u64 => I64, |x: i64| x as u64, |x: u64| x as i64;
    f32 => F32, f32::from_bits, f32::to_bits;
    f64 => F64, f64::from_bits, f64::to_bits;
}

/// The results of a typed host function: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmResults: 'static {
    /// Their WebAssembly types.
    fn types() -> Vec<ValType>;
    /// Writes them to `out` (exactly `types().len()` slots).
    fn store(self, out: &mut [Val]);
}

impl WasmResults for () {
    fn types() -> Vec<ValType> {
        Vec::new()
    }
    fn store(self, _: &mut [Val]) {}
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::TY]
    }
    fn store(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! tuple_results {
    ($(($($n:tt $t:ident),*))*) => {$(
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TY),*]
            }
            fn store(self, out: &mut [Val]) {
                $(out[$n] = self.$n.into_val();)*
            }
        }
    )*};
}

tuple_results! {
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
}

/// A Rust closure usable as a host function: `Fn(Caller<T>, A, B, ..) -> Result<R, Trap>`
/// with up to eight [`WasmTy`] parameters and [`WasmResults`] `R`.
pub trait IntoHostFn<T, Params, Results> {
    /// The signature and the untyped adapter.
    fn into_host_fn(self) -> (FuncType, HostFn<T>);
}

macro_rules! into_host_fn {
    ($(($($p:ident),*))*) => {$(
        impl<T, F, R, $($p: WasmTy),*> IntoHostFn<T, ($($p,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($p),*) -> Result<R, Trap> + Send + Sync + 'static,
            R: WasmResults,
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn into_host_fn(self) -> (FuncType, HostFn<T>) {
                let ty = FuncType::new([$($p::TY),*], R::types());
                let func: HostFn<T> = Arc::new(move |caller, args, results| {
                    let mut args = args.iter().copied();
                    $(let $p = $p::from_val(args.next().unwrap_or(Val::I32(0)));)*
                    self(caller, $($p),*)?.store(results);
                    Ok(())
                });
                (ty, func)
            }
        }
    )*};
}

into_host_fn! {
    ()
    (A1)
    (A1, A2)
    (A1, A2, A3)
    (A1, A2, A3, A4)
    (A1, A2, A3, A4, A5)
    (A1, A2, A3, A4, A5, A6)
    (A1, A2, A3, A4, A5, A6, A7)
    (A1, A2, A3, A4, A5, A6, A7, A8)
}
