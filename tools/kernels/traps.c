/* Exports that trap on bad arguments, to check that traps surface the same way as in wasm-interp. */
#include "kernel.h"

/* a / b (signed): traps on b = 0 and on INT_MIN / -1. */
i32 EXPORT(div_s)(i32 a, i32 b) { return a / b; }

/* a % b (unsigned): traps on b = 0. */
u32 EXPORT(rem_u)(u32 a, u32 b) { return a % b; }

/* The i32 at byte address addr: traps past the end of memory. */
u32 EXPORT(load32)(u32 addr) { return *(volatile u32 *)(usize)addr; }

/* Returns x when x is non-zero, otherwise executes `unreachable`. */
u32 EXPORT(check_nonzero)(u32 x) {
    if (x == 0)
        __builtin_trap();
    return x;
}

/* x * 1e9 truncated to i32 with the trapping conversion (i32.trunc_f64_s): traps past 2^31 (integer
   overflow) and on x = 0, which converts a NaN (invalid conversion to integer). */
i32 EXPORT(scale_trunc)(i32 x) {
    return __builtin_wasm_trunc_s_i32_f64(x ? (double)x * 1e9 : __builtin_nan(""));
}
