//! Checked access to contract memory in the EEI encodings (eei.md §1).
//!
//! Offsets and lengths are unsigned 32-bit (Hera reads `i32` arguments as `uint32_t`); ranges
//! are computed in 64 bits, so no sum overflows, and a range past the end is
//! [`Failure::InvalidMemoryAccess`]. A zero-length range is fine at any offset up to the size.
//! Addresses and 32-byte words are raw bytes; 128- and 256-bit numbers are little-endian.

use std::ops::Range;

use primitive_types::{H160, H256, U256};

use super::outcome::Failure;

/// The range `[offset, offset + len)` if it lies within `size` bytes.
pub(crate) fn range(size: usize, offset: u32, len: u32) -> Result<Range<usize>, Failure> {
    let end = u64::from(offset) + u64::from(len);
    if end <= size as u64 {
        Ok(offset as usize..end as usize)
    } else {
        Err(Failure::InvalidMemoryAccess)
    }
}

/// `len` bytes of `mem` at `offset`.
pub(crate) fn read(mem: &[u8], offset: u32, len: u32) -> Result<&[u8], Failure> {
    Ok(&mem[range(mem.len(), offset, len)?])
}

/// Writes `bytes` to `mem` at `offset`.
pub(crate) fn write(mem: &mut [u8], offset: u32, bytes: &[u8]) -> Result<(), Failure> {
    let len = u32::try_from(bytes.len()).map_err(|_| Failure::InvalidMemoryAccess)?;
    let r = range(mem.len(), offset, len)?;
    mem[r].copy_from_slice(bytes);
    Ok(())
}

/// A 20-byte address at `offset`.
pub(crate) fn read_address(mem: &[u8], offset: u32) -> Result<H160, Failure> {
    Ok(H160::from_slice(read(mem, offset, 20)?))
}

/// A 32-byte word at `offset`.
pub(crate) fn read_bytes32(mem: &[u8], offset: u32) -> Result<H256, Failure> {
    Ok(H256::from_slice(read(mem, offset, 32)?))
}

/// A little-endian 128-bit number at `offset`.
pub(crate) fn read_u128(mem: &[u8], offset: u32) -> Result<U256, Failure> {
    Ok(U256::from_little_endian(read(mem, offset, 16)?))
}

/// `value` as 16 little-endian bytes, or [`Failure::ArgumentOutOfRange`] if it is 2^128 or more.
pub(crate) fn u128_le(value: U256) -> Result<[u8; 16], Failure> {
    if value.bits() > 128 {
        return Err(Failure::ArgumentOutOfRange);
    }
    let mut out = [0; 16];
    out.copy_from_slice(&value.to_little_endian()[..16]);
    Ok(out)
}

/// `value` as 32 little-endian bytes.
pub(crate) fn u256_le(value: U256) -> [u8; 32] {
    value.to_little_endian()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_without_overflow() {
        assert_eq!(range(10, 10, 0), Ok(10..10));
        assert_eq!(range(10, 11, 0), Err(Failure::InvalidMemoryAccess));
        assert_eq!(
            range(10, u32::MAX, u32::MAX),
            Err(Failure::InvalidMemoryAccess)
        );
        assert_eq!(range(10, 2, 8), Ok(2..10));
    }

    #[test]
    fn u128_is_little_endian_and_bounded() {
        assert_eq!(u128_le(U256::from(0x0102)).unwrap()[..2], [2, 1]);
        assert!(u128_le(U256::from(u128::MAX)).is_ok());
        assert_eq!(
            u128_le(U256::from(u128::MAX) + 1),
            Err(Failure::ArgumentOutOfRange)
        );
        assert_eq!(
            read_u128(&[1; 16], 0).unwrap(),
            U256::from(u128::from_le_bytes([1; 16]))
        );
    }
}
