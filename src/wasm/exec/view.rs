//! Raw views of the current instance's memory and globals, cached by the executor so that the
//! hot ops skip the store's lookups and bounds checks.

use crate::wasm::error::TrapCode;
use crate::wasm::store::{GlobalEntity, Store};

/// The current instance's linear memory as a raw view. It is refreshed whenever the buffer may
/// have moved: after `memory.grow`, after every host call and on every change of instance.
#[derive(Clone, Copy)]
pub(super) struct MemView {
    ptr: *mut u8,
    /// Size in bytes.
    pub(super) len: usize,
}

impl MemView {
    /// A view of `memory`, or an empty one.
    pub(super) fn of(memory: Option<&mut Vec<u8>>) -> Self {
        match memory {
            Some(data) => MemView {
                ptr: data.as_mut_ptr(),
                len: data.len(),
            },
            None => MemView {
                ptr: std::ptr::null_mut(),
                len: 0,
            },
        }
    }

    /// Reads `N` bytes at `addr + offset`, or traps out of bounds.
    #[inline(always)]
    pub(super) fn read<const N: usize>(self, addr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
        let start = addr as usize + offset as usize;
        if start + N > self.len {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: `start + N <= len`, and `ptr`/`len` describe the live buffer (see the type docs).
        Ok(unsafe { std::ptr::read_unaligned(self.ptr.add(start) as *const [u8; N]) })
    }

    /// Writes `N` bytes at `addr + offset`, or traps out of bounds.
    #[inline(always)]
    pub(super) fn write<const N: usize>(
        self,
        addr: u64,
        offset: u32,
        bytes: [u8; N],
    ) -> Result<(), TrapCode> {
        let start = addr as usize + offset as usize;
        if start + N > self.len {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: as in `read`.
        unsafe { std::ptr::write_unaligned(self.ptr.add(start) as *mut [u8; N], bytes) };
        Ok(())
    }

    /// `memory.copy` of `[dst, src, len]`.
    pub(super) fn copy(self, [dst, src, n]: [u64; 3]) -> Result<(), TrapCode> {
        let s = range(src, n, self.len, TrapCode::MemoryOutOfBounds)?;
        let d = range(dst, n, self.len, TrapCode::MemoryOutOfBounds)?;
        // SAFETY: both ranges lie within the buffer; `copy` allows overlap.
        unsafe { std::ptr::copy(self.ptr.add(s.start), self.ptr.add(d.start), s.len()) };
        Ok(())
    }

    /// `memory.fill` of `[dst, value, len]`.
    pub(super) fn fill(self, [dst, value, n]: [u64; 3]) -> Result<(), TrapCode> {
        let d = range(dst, n, self.len, TrapCode::MemoryOutOfBounds)?;
        // SAFETY: the range lies within the buffer.
        unsafe { std::ptr::write_bytes(self.ptr.add(d.start), value as u8, d.len()) };
        Ok(())
    }

    /// `memory.init` of `[dst, src, len]` from data segment `seg`.
    pub(super) fn init(self, seg: &[u8], [dst, src, n]: [u64; 3]) -> Result<(), TrapCode> {
        let s = range(src, n, seg.len(), TrapCode::MemoryOutOfBounds)?;
        let d = range(dst, n, self.len, TrapCode::MemoryOutOfBounds)?;
        // SAFETY: the destination lies within the buffer; a data segment never aliases memory.
        unsafe { std::ptr::copy_nonoverlapping(seg[s].as_ptr(), self.ptr.add(d.start), d.len()) };
        Ok(())
    }
}

/// Checks that `[start, start + len)`, two i32 slot values, lies within `size`, or traps with
/// `trap`.
pub(super) fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> Result<std::ops::Range<usize>, TrapCode> {
    let (start, len) = (start as u32 as u64, len as u32 as u64);
    let end = start + len;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

/// The current instance's globals: its global index space and the store's global entities. It
/// is refreshed after every host call and on every change of instance (the store's vector may
/// have grown).
#[derive(Clone, Copy)]
pub(super) struct GlobalsView {
    index: *const u32,
    entities: *mut GlobalEntity,
}

impl GlobalsView {
    /// The globals of `instance` in `store`.
    pub(super) fn of<T>(store: &mut Store<T>, instance: u32) -> Self {
        GlobalsView {
            index: store.instances[instance as usize].globals.as_ptr(),
            entities: store.globals.as_mut_ptr(),
        }
    }

    /// The value of global `i`.
    #[inline(always)]
    pub(super) fn get(self, i: u32) -> u64 {
        // SAFETY: validation bounds `i` by the instance's globals, whose store indices are live.
        unsafe { (*self.entities.add(*self.index.add(i as usize) as usize)).value }
    }

    /// The value cell of global `i`, valid as long as the view.
    #[inline(always)]
    pub(super) fn cell(self, i: u32) -> *mut u64 {
        // SAFETY: as in `get`.
        unsafe { &raw mut (*self.entities.add(*self.index.add(i as usize) as usize)).value }
    }

    /// Sets global `i`.
    #[inline(always)]
    pub(super) fn set(self, i: u32, value: u64) {
        // SAFETY: as in `get`.
        unsafe { (*self.entities.add(*self.index.add(i as usize) as usize)).value = value }
    }
}

/// The current instance's table 0 (reference slots: 0 = null, otherwise store function + 1) as
/// a raw view, for `call_indirect` in the core. It is refreshed with the other views, and after
/// `table.grow` (which may move the buffer; other table operations write in place).
#[derive(Clone, Copy)]
pub(super) struct TableView {
    ptr: *const u64,
    len: usize,
}

impl TableView {
    /// A view of table 0 of `instance` in `store`, or an empty one.
    pub(super) fn of<T>(store: &Store<T>, instance: u32) -> Self {
        let table = store.instances[instance as usize]
            .tables
            .first()
            .map(|&t| &store.tables[t as usize].elements);
        match table {
            Some(elements) => TableView {
                ptr: elements.as_ptr(),
                len: elements.len(),
            },
            None => TableView {
                ptr: std::ptr::null(),
                len: 0,
            },
        }
    }

    /// Element `i`, or `None` out of bounds.
    #[inline(always)]
    pub(super) fn get(self, i: u32) -> Option<u64> {
        if i as usize >= self.len {
            return None;
        }
        // SAFETY: `i < len`, and `ptr`/`len` describe the live buffer (see the type docs).
        Some(unsafe { *self.ptr.add(i as usize) })
    }
}
