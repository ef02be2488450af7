//! The store: owner of all runtime entities (functions, memories, tables, globals, instances)
//! and of the embedder's host state `T`.

use std::sync::Arc;

use super::config::Engine;
use super::error::TrapCode;
use super::func::HostFn;
use super::module::Module;
use super::types::{FuncType, GlobalType, Limits, TableType};

/// Bytes in one WebAssembly page.
pub const PAGE_SIZE: usize = 65536;

/// A function: Wasm code of an instance, or a host closure.
pub(crate) enum FuncEntity<T> {
    /// Defined function `index` of instance `instance`.
    Wasm {
        instance: u32,
        index: u32,
        type_id: u32,
    },
    /// A host function, with its signature at hand for calls from Wasm (no registry lookup).
    Host {
        type_id: u32,
        ty: Arc<FuncType>,
        func: HostFn<T>,
    },
}

impl<T> FuncEntity<T> {
    pub fn type_id(&self) -> u32 {
        match self {
            FuncEntity::Wasm { type_id, .. } | FuncEntity::Host { type_id, .. } => *type_id,
        }
    }

    /// The entity's [`FuncHead`].
    fn head(&self) -> FuncHead {
        match *self {
            FuncEntity::Wasm {
                instance,
                index,
                type_id,
            } => FuncHead {
                type_id,
                instance,
                index,
            },
            FuncEntity::Host { type_id, .. } => FuncHead {
                type_id,
                instance: FuncHead::HOST,
                index: 0,
            },
        }
    }
}

/// What the executor's core needs of a store function to run a `call_indirect` of it without
/// the store: its type and, for Wasm code, where it is defined.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FuncHead {
    /// The interned type.
    pub type_id: u32,
    /// The defining instance, or [`FuncHead::HOST`].
    pub instance: u32,
    /// The defined function's index in its module (0 for host functions).
    pub index: u32,
}

impl FuncHead {
    /// The `instance` of a host function (never an instance index: the store could not hold
    /// that many).
    pub const HOST: u32 = u32::MAX;
}

/// A linear memory.
#[derive(Debug, Clone)]
pub(crate) struct MemoryEntity {
    pub data: Vec<u8>,
    pub limits: Limits,
}

impl MemoryEntity {
    /// Size in pages.
    pub fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }

    /// Grows by `delta` pages within the declared maximum and the engine limit; returns the old
    /// size, or `None` when the memory cannot grow.
    pub fn grow(&mut self, delta: u32, engine_max: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let max = self.limits.max.unwrap_or(65536).min(engine_max);
        if new > max {
            return None;
        }
        self.data.resize(new as usize * PAGE_SIZE, 0);
        Some(old)
    }
}

/// A table of references (slots: 0 = null, otherwise index + 1).
#[derive(Debug, Clone)]
pub(crate) struct TableEntity {
    pub elements: Vec<u64>,
    pub ty: TableType,
}

impl TableEntity {
    /// Grows by `delta` elements set to `init`; returns the old size, or `None` when it cannot grow.
    pub fn grow(&mut self, delta: u32, init: u64, engine_max: u32) -> Option<u32> {
        let old = self.elements.len() as u32;
        let new = old.checked_add(delta)?;
        let max = self.ty.limits.max.unwrap_or(u32::MAX).min(engine_max);
        if new > max {
            return None;
        }
        self.elements.resize(new as usize, init);
        Some(old)
    }

    /// Checks that `[start, start + len)` lies within the table.
    pub fn check(&self, start: u32, len: u32) -> Result<(), TrapCode> {
        match (start as u64) + (len as u64) <= self.elements.len() as u64 {
            true => Ok(()),
            false => Err(TrapCode::TableOutOfBounds),
        }
    }
}

/// A global variable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobalEntity {
    pub value: u64,
    pub ty: GlobalType,
}

/// An instance: its module and where its imported and defined entities live in the store.
#[derive(Debug)]
pub(crate) struct InstanceEntity {
    pub module: Module,
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    /// Element segments as resolved reference slots (emptied by `elem.drop`).
    pub elems: Vec<Arc<[u64]>>,
    /// Data segments (emptied by `data.drop`).
    pub datas: Vec<Arc<[u8]>>,
}

/// A store's value stack (empty until its first call), given back to its engine's pool when
/// the store is dropped.
pub(crate) struct ValueStack {
    pub(crate) slots: Vec<u64>,
    engine: Engine,
}

impl Drop for ValueStack {
    fn drop(&mut self) {
        self.engine.recycle_stack(std::mem::take(&mut self.slots));
    }
}

/// Holds all runtime entities and the host state `T`; every handle indexes into one store.
pub struct Store<T> {
    pub(crate) engine: Engine,
    pub(crate) data: T,
    pub(crate) funcs: Vec<FuncEntity<T>>,
    /// The [`FuncHead`] of each function, by the same index (see [`Store::push_func`]).
    pub(crate) heads: Vec<FuncHead>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    /// Value stack reused across calls (taken while a call runs), from the engine's pool.
    pub(crate) stack: ValueStack,
    /// Gas left for metered code and for host functions that charge gas.
    pub(crate) gas: u64,
}

impl<T> Store<T> {
    /// Creates an empty store holding host state `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Self {
            engine: engine.clone(),
            data,
            funcs: Vec::new(),
            heads: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            stack: ValueStack {
                slots: Vec::new(),
                engine: engine.clone(),
            },
            gas: u64::MAX,
        }
    }

    /// Gas left (`u64::MAX` until [`Store::set_gas`] is called).
    pub fn gas(&self) -> u64 {
        self.gas
    }

    /// Sets the gas left.
    pub fn set_gas(&mut self, gas: u64) {
        self.gas = gas;
    }

    /// Charges `amount` gas; when less is left, traps with [`TrapCode::OutOfGas`] and leaves the
    /// counter unchanged.
    pub fn consume_gas(&mut self, amount: u64) -> Result<(), TrapCode> {
        match self.gas.checked_sub(amount) {
            Some(left) => {
                self.gas = left;
                Ok(())
            }
            None => Err(TrapCode::OutOfGas),
        }
    }

    /// The engine of this store.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The host state.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Consumes the store and returns the host state.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Adds a function to the store; its index.
    pub(crate) fn push_func(&mut self, func: FuncEntity<T>) -> u32 {
        self.heads.push(func.head());
        self.funcs.push(func);
        self.funcs.len() as u32 - 1
    }

    /// The signature of a function entity.
    pub(crate) fn func_type(&self, func: u32) -> Arc<FuncType> {
        self.engine.func_type(self.funcs[func as usize].type_id())
    }
}
