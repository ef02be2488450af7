//! The capability-scoped linker.
//!
//! Host functions come in named [`HostModule`]s. An instance sees only the host modules its
//! embedder [`Linker::grant`]s, plus entities defined explicitly (such as the exports of other
//! instances); any other import fails to link with an error naming `module.field` and why.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::{InstantiationError, LinkError, Trap};
use super::externals::Extern;
use super::func::{Caller, Func, HostFn, IntoHostFn};
use super::instance::Instance;
use super::module::Module;
use super::store::{FuncEntity, Store};
use super::types::{ExternType, FuncType};
use super::value::Val;

/// A named group of host functions, granted to instances as a whole.
pub struct HostModule<T> {
    name: String,
    funcs: BTreeMap<String, (FuncType, HostFn<T>)>,
}

impl<T> HostModule<T> {
    /// An empty host module called `name` (the import module name it serves).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            funcs: BTreeMap::new(),
        }
    }

    /// The module name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a typed host function.
    ///
    /// # Errors
    /// [`LinkError::Duplicate`] if the name is taken.
    pub fn func_wrap<P, R>(
        &mut self,
        name: &str,
        func: impl IntoHostFn<T, P, R>,
    ) -> Result<&mut Self, LinkError> {
        let (ty, func) = func.into_host_fn();
        self.insert(name, ty, func)
    }

    /// Adds a host function with an explicit type, taking and returning [`Val`]s.
    ///
    /// # Errors
    /// [`LinkError::Duplicate`] if the name is taken.
    pub fn func_new(
        &mut self,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Result<&mut Self, LinkError> {
        self.insert(name, ty, Arc::new(func))
    }

    fn insert(
        &mut self,
        name: &str,
        ty: FuncType,
        func: HostFn<T>,
    ) -> Result<&mut Self, LinkError> {
        if self.funcs.contains_key(name) {
            return Err(LinkError::Duplicate {
                module: self.name.clone(),
                field: name.to_string(),
            });
        }
        self.funcs.insert(name.to_string(), (ty, func));
        Ok(self)
    }
}

/// Resolves imports from granted host modules and explicitly defined entities.
pub struct Linker<T> {
    granted: BTreeMap<String, HostModule<T>>,
    defined: BTreeMap<(String, String), Extern>,
}

impl<T> Default for Linker<T> {
    fn default() -> Self {
        Self {
            granted: BTreeMap::new(),
            defined: BTreeMap::new(),
        }
    }
}

impl<T> Linker<T> {
    /// A linker that grants nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants a host module to every instance this linker creates.
    ///
    /// # Errors
    /// [`LinkError::Duplicate`] if a module of that name was already granted.
    pub fn grant(&mut self, module: HostModule<T>) -> Result<&mut Self, LinkError> {
        if self.granted.contains_key(module.name()) {
            return Err(LinkError::Duplicate {
                module: module.name.clone(),
                field: "*".to_string(),
            });
        }
        self.granted.insert(module.name.clone(), module);
        Ok(self)
    }

    /// Whether a host module of that name is granted.
    pub fn is_granted(&self, module: &str) -> bool {
        self.granted.contains_key(module)
    }

    /// Defines `module.field` as an existing store entity (replacing an earlier definition).
    pub fn define(&mut self, module: &str, field: &str, item: Extern) -> &mut Self {
        self.defined
            .insert((module.to_string(), field.to_string()), item);
        self
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn define_instance(
        &mut self,
        store: &Store<T>,
        module: &str,
        instance: Instance,
    ) -> &mut Self {
        for (name, item) in instance.exports(store) {
            self.define(module, &name, item);
        }
        self
    }

    /// Resolves one import to a store entity, materialising granted host functions in `store`.
    fn resolve(
        &self,
        store: &mut Store<T>,
        module: &str,
        field: &str,
        wanted: &ExternType,
    ) -> Result<Extern, LinkError> {
        let key = (module.to_string(), field.to_string());
        let found = if let Some(item) = self.defined.get(&key) {
            *item
        } else if let Some(host) = self.granted.get(module) {
            let (ty, func) = host
                .funcs
                .get(field)
                .ok_or_else(|| LinkError::UnknownField {
                    module: module.to_string(),
                    field: field.to_string(),
                })?;
            let type_id = store.engine.intern(ty);
            let ty = store.engine.func_type(type_id);
            Extern::Func(Func(store.push_func(FuncEntity::Host {
                type_id,
                ty,
                func: func.clone(),
            })))
        } else if self.defined.keys().any(|(m, _)| m == module) {
            return Err(LinkError::UnknownField {
                module: module.to_string(),
                field: field.to_string(),
            });
        } else {
            return Err(LinkError::ModuleNotGranted {
                module: module.to_string(),
                field: field.to_string(),
            });
        };
        let have = found.ty(store);
        let compatible = match (&have, wanted) {
            (ExternType::Func(a), ExternType::Func(b)) => a == b,
            (ExternType::Table(a), ExternType::Table(b)) => {
                a.element == b.element && a.limits.matches(&b.limits)
            }
            (ExternType::Memory(a), ExternType::Memory(b)) => a.limits.matches(&b.limits),
            (ExternType::Global(a), ExternType::Global(b)) => a == b,
            _ => false,
        };
        if !compatible {
            return Err(LinkError::IncompatibleType {
                module: module.to_string(),
                field: field.to_string(),
                expected: wanted.to_string(),
                found: have.to_string(),
            });
        }
        Ok(found)
    }

    /// Links `module`'s imports and instantiates it: segments are initialised in order and the
    /// start function runs.
    ///
    /// # Errors
    /// [`InstantiationError::Link`] for an unresolvable import (nothing is created),
    /// [`InstantiationError::Trap`] if a segment is out of bounds or the start function traps
    /// (earlier segment writes to imported memories and tables stay, as the spec requires),
    /// [`InstantiationError::Limit`] past the engine's memory or table limits.
    pub fn instantiate(
        &self,
        store: &mut Store<T>,
        module: &Module,
    ) -> Result<Instance, InstantiationError> {
        if !store.engine.same(module.engine()) {
            return Err(InstantiationError::Limit(
                "module was compiled for a different engine".to_string(),
            ));
        }
        let mut imports = Vec::with_capacity(module.inner.imports.len());
        for import in &module.inner.imports {
            imports.push(self.resolve(store, &import.module, &import.name, &import.ty)?);
        }
        Instance::new(store, module, &imports)
    }
}
