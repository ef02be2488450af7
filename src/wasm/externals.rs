//! Handles to memories, tables and globals, and the [`Extern`] union of all importable entities.

use super::error::{InstantiationError, TrapCode};
use super::func::Func;
use super::store::{GlobalEntity, MemoryEntity, Store, TableEntity, PAGE_SIZE};
use super::types::{ExternType, GlobalType, MemoryType, TableType};
use super::value::Val;

/// Handle to a linear memory in a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) u32);

/// Handle to a table in a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) u32);

/// Handle to a global variable in a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) u32);

/// Any entity that can be imported or exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A linear memory.
    Memory(Memory),
    /// A global variable.
    Global(Global),
}

impl Extern {
    /// The entity's type.
    pub fn ty<T>(&self, store: &Store<T>) -> ExternType {
        match *self {
            Extern::Func(f) => ExternType::Func(f.ty(store)),
            Extern::Table(t) => {
                let table = &store.tables[t.0 as usize];
                let mut ty = table.ty;
                ty.limits.min = table.elements.len() as u32;
                ExternType::Table(ty)
            }
            Extern::Memory(m) => {
                let mem = &store.memories[m.0 as usize];
                let mut ty = MemoryType { limits: mem.limits };
                ty.limits.min = mem.pages();
                ExternType::Memory(ty)
            }
            Extern::Global(g) => ExternType::Global(store.globals[g.0 as usize].ty),
        }
    }
}

impl Memory {
    /// Creates a zeroed memory of `ty.limits.min` pages.
    ///
    /// # Errors
    /// [`InstantiationError::Limit`] when the size exceeds the engine's `max_memory_pages`.
    pub fn new<T>(store: &mut Store<T>, ty: MemoryType) -> Result<Memory, InstantiationError> {
        let max = store.engine.config().max_memory_pages;
        if ty.limits.min > max {
            return Err(InstantiationError::Limit(format!(
                "memory of {} pages exceeds the limit of {max} pages",
                ty.limits.min
            )));
        }
        store.memories.push(MemoryEntity {
            data: vec![0; ty.limits.min as usize * PAGE_SIZE],
            limits: ty.limits,
        });
        Ok(Memory(store.memories.len() as u32 - 1))
    }

    /// The memory's bytes.
    pub fn data<'s, T>(&self, store: &'s Store<T>) -> &'s [u8] {
        &store.memories[self.0 as usize].data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'s, T>(&self, store: &'s mut Store<T>) -> &'s mut [u8] {
        &mut store.memories[self.0 as usize].data
    }

    /// Current size in pages.
    pub fn size<T>(&self, store: &Store<T>) -> u32 {
        store.memories[self.0 as usize].pages()
    }

    /// Grows by `delta` pages; returns the previous size, or `None` past the maximum.
    pub fn grow<T>(&self, store: &mut Store<T>, delta: u32) -> Option<u32> {
        let max = store.engine.config().max_memory_pages;
        store.memories[self.0 as usize].grow(delta, max)
    }
}

impl Table {
    /// Creates a table of `ty.limits.min` elements, each set to `init`.
    ///
    /// # Errors
    /// [`InstantiationError::Limit`] when the size exceeds the engine's `max_table_elements`.
    pub fn new<T>(
        store: &mut Store<T>,
        ty: TableType,
        init: Val,
    ) -> Result<Table, InstantiationError> {
        let max = store.engine.config().max_table_elements;
        if ty.limits.min > max {
            return Err(InstantiationError::Limit(format!(
                "table of {} elements exceeds the limit of {max} elements",
                ty.limits.min
            )));
        }
        store.tables.push(TableEntity {
            elements: vec![init.to_slot(); ty.limits.min as usize],
            ty,
        });
        Ok(Table(store.tables.len() as u32 - 1))
    }

    /// Current number of elements.
    pub fn size<T>(&self, store: &Store<T>) -> u32 {
        store.tables[self.0 as usize].elements.len() as u32
    }

    /// The element at `index`.
    ///
    /// # Errors
    /// [`TrapCode::TableOutOfBounds`] past the end.
    pub fn get<T>(&self, store: &Store<T>, index: u32) -> Result<Val, TrapCode> {
        let table = &store.tables[self.0 as usize];
        let slot = table
            .elements
            .get(index as usize)
            .ok_or(TrapCode::TableOutOfBounds)?;
        Ok(Val::from_slot(table.ty.element, *slot))
    }
}

impl Global {
    /// Creates a global of type `ty` holding `value`.
    pub fn new<T>(store: &mut Store<T>, ty: GlobalType, value: Val) -> Global {
        store.globals.push(GlobalEntity {
            value: value.to_slot(),
            ty,
        });
        Global(store.globals.len() as u32 - 1)
    }

    /// The current value.
    pub fn get<T>(&self, store: &Store<T>) -> Val {
        let g = &store.globals[self.0 as usize];
        Val::from_slot(g.ty.content, g.value)
    }

    /// The global's type.
    pub fn ty<T>(&self, store: &Store<T>) -> GlobalType {
        store.globals[self.0 as usize].ty
    }
}
