//! Instances: instantiation (segment initialisation, start function) and export lookup.

use std::sync::Arc;

use super::error::{InstantiationError, Trap, TrapCode};
use super::externals::{Extern, Global, Memory, Table};
use super::func::Func;
use super::module::{ConstExpr, ExportIndex, Module, SegmentMode};
use super::store::{FuncEntity, InstanceEntity, Store};
use super::value::Val;

/// Handle to an instantiated module in a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) u32);

impl Instance {
    /// Creates an instance of `module` in `store` from already resolved `imports`
    /// (one per module import, in order, type-checked by the caller).
    pub(crate) fn new<T>(
        store: &mut Store<T>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, InstantiationError> {
        let m = &module.inner;
        let index = store.instances.len() as u32;
        let mut entity = InstanceEntity {
            module: module.clone(),
            funcs: Vec::with_capacity(m.func_types.len()),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            elems: Vec::new(),
            datas: Vec::new(),
        };
        for import in imports {
            match *import {
                Extern::Func(f) => entity.funcs.push(f.0),
                Extern::Table(t) => entity.tables.push(t.0),
                Extern::Memory(mem) => entity.memories.push(mem.0),
                Extern::Global(g) => entity.globals.push(g.0),
            }
        }
        for (i, &type_id) in m.func_types[m.num_imported_funcs as usize..]
            .iter()
            .enumerate()
        {
            let func = store.push_func(FuncEntity::Wasm {
                instance: index,
                index: i as u32,
                type_id,
            });
            entity.funcs.push(func);
        }
        // Globals first: table initialisers may read them.
        let imported_globals = entity.globals.len();
        for (ty, init) in m.globals[imported_globals..].iter().zip(&m.global_inits) {
            let value = Val::from_slot(ty.content, eval(store, &entity, *init));
            entity.globals.push(Global::new(store, *ty, value).0);
        }
        for ty in &m.memories[entity.memories.len()..] {
            entity.memories.push(Memory::new(store, *ty)?.0);
        }
        let imported_tables = entity.tables.len();
        for (ty, init) in m.tables[imported_tables..].iter().zip(&m.table_inits) {
            let value = Val::from_slot(ty.element, eval(store, &entity, *init));
            entity.tables.push(Table::new(store, *ty, value)?.0);
        }
        entity.elems = m
            .elems
            .iter()
            .map(|seg| seg.items.iter().map(|e| eval(store, &entity, *e)).collect())
            .collect();
        entity.datas = m.datas.iter().map(|d| d.bytes.clone()).collect();
        store.instances.push(entity);
        let instance = Instance(index);
        instance.initialize(store)?;
        if let Some(start) = m.start {
            let func = store.instances[index as usize].funcs[start as usize];
            super::exec::call(store, func, &[], &mut [])?;
        }
        Ok(instance)
    }

    /// Runs the active element and data segments in order, then drops active and declared ones.
    fn initialize<T>(&self, store: &mut Store<T>) -> Result<(), Trap> {
        let module = store.instances[self.0 as usize].module.clone();
        for (i, seg) in module.inner.elems.iter().enumerate() {
            if let SegmentMode::Active { index, offset } = seg.mode {
                let inst = &store.instances[self.0 as usize];
                let table = inst.tables[index as usize] as usize;
                let offset = eval(store, inst, offset) as u32;
                let items = inst.elems[i].clone();
                let table = &mut store.tables[table];
                table.check(offset, items.len() as u32)?;
                table.elements[offset as usize..][..items.len()].copy_from_slice(&items);
            }
            if !matches!(seg.mode, SegmentMode::Passive) {
                store.instances[self.0 as usize].elems[i] = Arc::new([]);
            }
        }
        for (i, seg) in module.inner.datas.iter().enumerate() {
            if let SegmentMode::Active { index, offset } = seg.mode {
                let inst = &store.instances[self.0 as usize];
                let memory = inst.memories[index as usize] as usize;
                let offset = eval(store, inst, offset) as u32 as usize;
                let mem = &mut store.memories[memory].data;
                let end = offset
                    .checked_add(seg.bytes.len())
                    .filter(|&end| end <= mem.len())
                    .ok_or(TrapCode::MemoryOutOfBounds)?;
                mem[offset..end].copy_from_slice(&seg.bytes);
                store.instances[self.0 as usize].datas[i] = Arc::new([]);
            }
        }
        Ok(())
    }

    /// The export called `name`.
    pub fn get_export<T>(&self, store: &Store<T>, name: &str) -> Option<Extern> {
        let inst = &store.instances[self.0 as usize];
        Some(match *inst.module.inner.exports.get(name)? {
            ExportIndex::Func(i) => Extern::Func(Func(inst.funcs[i as usize])),
            ExportIndex::Table(i) => Extern::Table(Table(inst.tables[i as usize])),
            ExportIndex::Memory(i) => Extern::Memory(Memory(inst.memories[i as usize])),
            ExportIndex::Global(i) => Extern::Global(Global(inst.globals[i as usize])),
        })
    }

    /// All exports, in declaration order.
    pub fn exports<T>(&self, store: &Store<T>) -> Vec<(String, Extern)> {
        let module = &store.instances[self.0 as usize].module;
        module
            .export_names()
            .filter_map(|name| Some((name.to_string(), self.get_export(store, name)?)))
            .collect()
    }

    /// The exported function called `name`.
    pub fn get_func<T>(&self, store: &Store<T>, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported memory called `name`.
    pub fn get_memory<T>(&self, store: &Store<T>, name: &str) -> Option<Memory> {
        match self.get_export(store, name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The exported global called `name`.
    pub fn get_global<T>(&self, store: &Store<T>, name: &str) -> Option<Global> {
        match self.get_export(store, name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The module this instance was created from.
    pub fn module<'s, T>(&self, store: &'s Store<T>) -> &'s Module {
        &store.instances[self.0 as usize].module
    }
}

/// Evaluates a constant expression in the context of a (possibly partial) instance.
fn eval<T>(store: &Store<T>, inst: &InstanceEntity, expr: ConstExpr) -> u64 {
    match expr {
        ConstExpr::Value(v) => v,
        ConstExpr::RefNull => 0,
        ConstExpr::RefFunc(f) => inst.funcs[f as usize] as u64 + 1,
        ConstExpr::GlobalGet(g) => store.globals[inst.globals[g as usize] as usize].value,
    }
}
