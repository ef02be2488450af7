//! Engine configuration: hard resource limits, and the engine that carries them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::types::FuncType;

/// Hard limits of an engine. Going past one is a trap or an instantiation error, never a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Maximum size of any linear memory, in 64 KiB pages.
    pub max_memory_pages: u32,
    /// Maximum number of elements of any table.
    pub max_table_elements: u32,
    /// Maximum number of nested active calls (the entry call included).
    pub max_call_depth: u32,
    /// Maximum number of 64-bit slots on the value stack (locals and operands of all frames).
    pub max_value_stack: u32,
}

impl Default for Config {
    /// 1 GiB of memory, 1 Mi table elements, 16 Ki nested calls and 1 Mi value slots (8 MiB).
    fn default() -> Self {
        Self {
            max_memory_pages: 16 * 1024,
            max_table_elements: 1 << 20,
            max_call_depth: 16 * 1024,
            max_value_stack: 1 << 20,
        }
    }
}

impl Config {
    /// Sets the maximum memory size in pages.
    pub fn max_memory_pages(mut self, pages: u32) -> Self {
        self.max_memory_pages = pages.min(65536);
        self
    }

    /// Sets the maximum table size in elements.
    pub fn max_table_elements(mut self, elements: u32) -> Self {
        self.max_table_elements = elements;
        self
    }

    /// Sets the maximum call depth.
    pub fn max_call_depth(mut self, depth: u32) -> Self {
        self.max_call_depth = depth;
        self
    }

    /// Sets the maximum number of value-stack slots.
    pub fn max_value_stack(mut self, slots: u32) -> Self {
        self.max_value_stack = slots;
        self
    }
}

/// Interned function types, so that signature checks are an integer comparison.
#[derive(Debug, Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<Arc<FuncType>>,
}

/// Value stacks an engine keeps for its next stores (8 MiB each by default): as many as run at
/// once on a machine with a few cores; more are freed.
const POOLED_STACKS: usize = 8;

/// A shared compilation and execution environment: the configuration, the type registry and
/// the value stacks of dropped stores.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug, Default)]
struct EngineInner {
    config: Config,
    types: Mutex<TypeRegistry>,
    /// Value stacks of `config.max_value_stack` slots that no store holds.
    stacks: Mutex<Vec<Vec<u64>>>,
}

impl Engine {
    /// Creates an engine with the given limits.
    pub fn new(config: Config) -> Self {
        Self {
            inner: Arc::new(EngineInner {
                config,
                types: Mutex::default(),
                stacks: Mutex::default(),
            }),
        }
    }

    /// The engine's limits.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The engine-wide id of a function type; equal types get equal ids.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = reg.ids.get(ty) {
            return id;
        }
        let id = reg.types.len() as u32;
        reg.types.push(Arc::new(ty.clone()));
        reg.ids.insert(ty.clone(), id);
        id
    }

    /// The function type with the given id.
    pub(crate) fn func_type(&self, id: u32) -> Arc<FuncType> {
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.types[id as usize].clone()
    }

    /// A value stack of `max_value_stack` slots: one a dropped store left, or a new one of
    /// zeros. Its contents are never read: every slot a frame reads was first written in that
    /// frame (see [`crate::wasm::exec`]).
    pub(crate) fn take_stack(&self) -> Vec<u64> {
        let pooled = self
            .inner
            .stacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        pooled.unwrap_or_else(|| vec![0; self.inner.config.max_value_stack as usize])
    }

    /// Keeps `stack`, which [`Engine::take_stack`] gave, for a next store (or frees it); a
    /// store that never ran gives back an empty one, which is dropped.
    pub(crate) fn recycle_stack(&self, stack: Vec<u64>) {
        if stack.len() != self.inner.config.max_value_stack as usize {
            return;
        }
        let mut stacks = self.inner.stacks.lock().unwrap_or_else(|e| e.into_inner());
        if stacks.len() < POOLED_STACKS {
            stacks.push(stack);
        }
    }

    /// Whether two handles refer to the same engine.
    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
