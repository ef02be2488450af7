/* Call-heavy kernels: naive recursive Fibonacci (direct calls) and a recursion through a function
   pointer (call_indirect) that no compiler can turn into a loop. */
#include "kernel.h"

static i64 fib_rec(u32 n) { return n < 2 ? (i64)n : fib_rec(n - 1) + fib_rec(n - 2); }

/* The n-th Fibonacci number by naive recursion (fib(0) = 0). Benchmark: n=35. */
i64 EXPORT(fib)(u32 n) { return fib_rec(n); }

static u32 chain_step(u32 n);

/* Called through a volatile pointer, so each level is a real call_indirect. */
static u32 (*volatile chain_next)(u32) = chain_step;

static u32 chain_step(u32 n) { return n == 0 ? 1 : (chain_next(n - 1) * 31 + n) ^ (n >> 3); }

/* Recursion n levels deep through call_indirect, mixing the depth into the result; a large n
   exhausts the call stack (a trap). Not a benchmark: its depth is bounded by the engine. */
u32 EXPORT(recurse)(u32 n) { return chain_step(n); }

/* Calls recurse(depth) k times: an indirect-call benchmark that stays within the call-depth limit.
   Benchmark: depth=1000, k=10000. */
u32 EXPORT(recurse_loop)(u32 depth, u32 k) {
    u32 acc = 0;
    for (u32 i = 0; i < k; i++)
        acc = acc * 7 + chain_step(depth + (i & 7));
    return acc;
}
