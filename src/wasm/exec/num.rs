//! Numeric semantics that are not a single Rust operator: checked division, float-to-int
//! conversion, and float operations with canonical NaN results (for determinism).

use crate::wasm::error::TrapCode;

/// Conversion between a Rust value and an untyped 64-bit slot, and the accumulator that
/// carries the value between two adjacent handlers: the float one (a float register) for
/// `f64`, the integer one for everything else.
pub(super) trait Slot: Copy {
    fn from_slot(s: u64) -> Self;
    fn into_slot(self) -> u64;
    #[inline(always)]
    fn from_acc(acc: u64, _facc: f64) -> Self {
        Self::from_slot(acc)
    }
    #[inline(always)]
    fn into_acc(self, acc: &mut u64, _facc: &mut f64) {
        *acc = self.into_slot();
    }
}

macro_rules! int_slot {
    ($($t:ty => $u:ty),*) => {$(
        impl Slot for $t {
            #[inline(always)]
            fn from_slot(s: u64) -> Self {
                s as $u as $t
            }
            #[inline(always)]
            fn into_slot(self) -> u64 {
                self as $u as u64
            }
        }
    )*};
}

int_slot!(i32 => u32, u32 => u32, i64 => u64, u64 => u64);

impl Slot for f32 {
    #[inline(always)]
    fn from_slot(s: u64) -> Self {
        f32::from_bits(s as u32)
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Slot for f64 {
    #[inline(always)]
    fn from_slot(s: u64) -> Self {
        f64::from_bits(s)
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_acc(_acc: u64, facc: f64) -> Self {
        facc
    }
    #[inline(always)]
    fn into_acc(self, _acc: &mut u64, facc: &mut f64) {
        *facc = self;
    }
}

impl Slot for bool {
    #[inline(always)]
    fn from_slot(s: u64) -> Self {
        s != 0
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        self as u64
    }
}

/// Float behaviour shared by `f32` and `f64`.
pub(super) trait Float: Slot + PartialOrd + std::ops::Neg<Output = Self> {
    /// The canonical (positive, quiet, zero-payload) NaN.
    const CANONICAL_NAN: Self;
    /// Any NaN becomes [`Self::CANONICAL_NAN`]; the test is done on the bits so that the
    /// compiler cannot treat it as a no-op (it may assume any NaN payload for float results).
    fn canonical(self) -> Self;
    fn is_nan(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn as_f64(self) -> f64;
}

impl Float for f32 {
    const CANONICAL_NAN: Self = f32::from_bits(0x7fc0_0000);
    #[inline(always)]
    fn canonical(self) -> Self {
        if self.to_bits() & 0x7fff_ffff > 0x7f80_0000 {
            canonical_nan()
        } else {
            self
        }
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const CANONICAL_NAN: Self = f64::from_bits(0x7ff8_0000_0000_0000);
    #[inline(always)]
    fn canonical(self) -> Self {
        if self.to_bits() & 0x7fff_ffff_ffff_ffff > 0x7ff0_0000_0000_0000 {
            canonical_nan()
        } else {
            self
        }
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    fn as_f64(self) -> f64 {
        self
    }
}

/// The canonical NaN, out of line: a call cannot be turned into a conditional move, so the NaN
/// test of [`Float::canonical`] stays a (predictable) branch off the result's dependency chain.
#[cold]
#[inline(never)]
fn canonical_nan<F: Float>() -> F {
    F::CANONICAL_NAN
}

/// Replaces any NaN by the canonical NaN, so that results never depend on the host's NaN
/// propagation rules.
#[inline(always)]
pub(super) fn canon<F: Float>(x: F) -> F {
    x.canonical()
}

/// Wasm `min`: NaN if either is NaN, and -0 is less than +0.
#[inline(always)]
pub(super) fn fmin<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::CANONICAL_NAN
    } else if a == b {
        if a.is_sign_negative() {
            a
        } else {
            b
        }
    } else if a < b {
        a
    } else {
        b
    }
}

/// Wasm `max`: NaN if either is NaN, and +0 is greater than -0.
#[inline(always)]
pub(super) fn fmax<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::CANONICAL_NAN
    } else if a == b {
        if a.is_sign_negative() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// Truncates a float towards zero for a trapping conversion whose target range is
/// `(lower, upper)` exclusive; NaN and out-of-range values trap.
#[inline(always)]
pub(super) fn trunc_checked<F: Float>(x: F, lower: f64, upper: f64) -> Result<f64, TrapCode> {
    if x.is_nan() {
        return Err(TrapCode::InvalidConversionToInteger);
    }
    let t = x.as_f64().trunc();
    if t <= lower || t >= upper {
        return Err(TrapCode::IntegerOverflow);
    }
    Ok(t)
}

/// Bounds of the trapping float-to-int conversions (exclusive).
pub(super) const I32_S: (f64, f64) = (-2147483649.0, 2147483648.0);
pub(super) const I32_U: (f64, f64) = (-1.0, 4294967296.0);
pub(super) const I64_S: (f64, f64) = (-9223372036854777856.0, 9223372036854775808.0);
pub(super) const I64_U: (f64, f64) = (-1.0, 18446744073709551616.0);

/// Signed division with the Wasm traps.
macro_rules! div_s {
    ($t:ty) => {
        |a: $t, b: $t| -> Result<$t, TrapCode> {
            if b == 0 {
                Err(TrapCode::IntegerDivideByZero)
            } else if a == <$t>::MIN && b == -1 {
                Err(TrapCode::IntegerOverflow)
            } else {
                Ok(a.wrapping_div(b))
            }
        }
    };
}
pub(super) use div_s;

/// Signed or unsigned remainder, or unsigned division, with the divide-by-zero trap.
macro_rules! checked {
    ($t:ty, $f:ident) => {
        |a: $t, b: $t| -> Result<$t, TrapCode> {
            if b == 0 {
                Err(TrapCode::IntegerDivideByZero)
            } else {
                Ok(a.$f(b))
            }
        }
    };
}
pub(super) use checked;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_signed_zero() {
        assert!(fmin(0.0f32, -0.0).is_sign_negative());
        assert!(fmin(-0.0f32, 0.0).is_sign_negative());
        assert!(!fmax(-0.0f64, 0.0).is_sign_negative());
        assert_eq!(fmin(f32::NAN, 1.0).to_bits(), 0x7fc0_0000);
    }

    #[test]
    fn trunc_bounds() {
        assert_eq!(
            trunc_checked(-2147483648.0f32, I32_S.0, I32_S.1),
            Ok(-2147483648.0)
        );
        assert_eq!(
            trunc_checked(2147483648.0f32, I32_S.0, I32_S.1),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(trunc_checked(-0.9f64, I32_U.0, I32_U.1), Ok(-0.0));
        assert_eq!(
            trunc_checked(f64::NAN, I64_S.0, I64_S.1),
            Err(TrapCode::InvalidConversionToInteger)
        );
        assert_eq!(
            trunc_checked(-9223372036854775808.0f64, I64_S.0, I64_S.1),
            Ok(-9223372036854775808.0)
        );
    }
}
