//! Runtime values as seen by the embedder, and their untyped in-engine form.

use super::func::Func;
use super::types::ValType;

/// An opaque host reference carried by `externref` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef(pub u32);

/// A typed WebAssembly value.
///
/// Floats are kept as raw bits so that NaN payloads survive round trips unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// 32-bit integer.
    I32(i32),
    /// 64-bit integer.
    I64(i64),
    /// 32-bit float, as its IEEE 754 bit pattern.
    F32(u32),
    /// 64-bit float, as its IEEE 754 bit pattern.
    F64(u64),
    /// Nullable function reference.
    FuncRef(Option<Func>),
    /// Nullable host reference.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The default (zero or null) value of a type.
    pub fn default_for(ty: ValType) -> Val {
        Val::from_slot(ty, 0)
    }

    /// Encodes the value into an untyped 64-bit engine slot.
    ///
    /// References are stored as index + 1, so that 0 is null.
    pub(crate) fn to_slot(self) -> u64 {
        match self {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(v) => v as u64,
            Val::F64(v) => v,
            Val::FuncRef(f) => f.map_or(0, |f| f.0 as u64 + 1),
            Val::ExternRef(r) => r.map_or(0, |r| r.0 as u64 + 1),
        }
    }

    /// Decodes an untyped engine slot of a known type.
    pub(crate) fn from_slot(ty: ValType, slot: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(slot as u32 as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::FuncRef => Val::FuncRef(slot.checked_sub(1).map(|i| Func(i as u32))),
            ValType::ExternRef => Val::ExternRef(slot.checked_sub(1).map(|i| ExternRef(i as u32))),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Self {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Self {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::F64(v.to_bits())
    }
}
