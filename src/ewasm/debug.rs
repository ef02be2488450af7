//! The `debug` host module (eei.md §8), granted only when [`Settings::debug`] is not `Off`.
//!
//! No gas is charged. Lines go where [`DebugOutput`] says. A memory range outside the
//! contract's memory fails the frame with an invalid memory access (Hera: internal error).
//! Hera's `evmTrace` (for evm2wasm code) is not provided.
//!
//! [`Settings::debug`]: super::Settings::debug
//! [`DebugOutput`]: super::DebugOutput

use super::eei::{mem, Ctx, Frame};
use super::memory::{read, read_bytes32};
use crate::wasm::{HostModule, LinkError, Trap};

/// The `debug` host module.
///
/// # Errors
/// Never in practice: [`LinkError::Duplicate`] would mean a name is registered twice.
pub(crate) fn host_module<'a>() -> Result<HostModule<Frame<'a>>, LinkError> {
    let mut m = HostModule::new("debug");
    m.func_wrap("print32", print32)?
        .func_wrap("print64", print64)?
        .func_wrap("printMem", print_mem)?
        .func_wrap("printMemHex", print_mem_hex)?
        .func_wrap("printStorage", print_storage)?
        .func_wrap("printStorageHex", print_storage_hex)?;
    Ok(m)
}

/// Bytes as characters (invalid UTF-8 shown as U+FFFD).
fn chars(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Bytes as `0x`-prefixed lowercase hex.
fn hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `print32(value)`: decimal and hex.
fn print32(c: Ctx<'_, '_>, value: u32) -> Result<(), Trap> {
    c.data()
        .vm
        .debug_print(format!("print32: {value} {value:#x}"));
    Ok(())
}

/// `print64(value)`: decimal and hex.
fn print64(c: Ctx<'_, '_>, value: u64) -> Result<(), Trap> {
    c.data()
        .vm
        .debug_print(format!("print64: {value} {value:#x}"));
    Ok(())
}

/// Prints `len` bytes of memory at `offset` in a format.
fn print_memory(
    c: Ctx<'_, '_>,
    name: &str,
    offset: u32,
    len: u32,
    format: fn(&[u8]) -> String,
) -> Result<(), Trap> {
    let text = format(read(mem(&c), offset, len)?);
    c.data().vm.debug_print(format!("{name}: {text}"));
    Ok(())
}

/// `printMem(offset, length)`: memory as characters.
fn print_mem(c: Ctx<'_, '_>, offset: u32, len: u32) -> Result<(), Trap> {
    print_memory(c, "printMem", offset, len, chars)
}

/// `printMemHex(offset, length)`: memory as hex.
fn print_mem_hex(c: Ctx<'_, '_>, offset: u32, len: u32) -> Result<(), Trap> {
    print_memory(c, "printMemHex", offset, len, hex)
}

/// Prints the storage value under the key at `key` in a format.
fn print_stored(
    c: Ctx<'_, '_>,
    name: &str,
    key: u32,
    format: fn(&[u8]) -> String,
) -> Result<(), Trap> {
    let key = read_bytes32(mem(&c), key)?;
    let frame = c.data();
    let value = frame.host.get_storage(&frame.msg.recipient, &key);
    frame
        .vm
        .debug_print(format!("{name}: {}", format(value.as_bytes())));
    Ok(())
}

/// `printStorage(keyOffset)`: the stored value as characters.
fn print_storage(c: Ctx<'_, '_>, key: u32) -> Result<(), Trap> {
    print_stored(c, "printStorage", key, chars)
}

/// `printStorageHex(keyOffset)`: the stored value as hex.
fn print_storage_hex(c: Ctx<'_, '_>, key: u32) -> Result<(), Trap> {
    print_stored(c, "printStorageHex", key, hex)
}
