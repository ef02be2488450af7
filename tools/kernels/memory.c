/* Memory-heavy kernels over linear memory: a byte sieve of Eratosthenes and an integer matrix
   product, both on heap buffers that grow memory as needed. */
#include "kernel.h"

/* Counts the primes <= n with a byte sieve, rebuilt `reps` times (returns 0 if reps is 0).
   Benchmark: n=1000000, reps=10. */
u32 EXPORT(sieve)(u32 n, u32 reps) {
    heap_reset();
    u8 *composite = heap_alloc((usize)n + 1);
    u32 count = 0;
    for (u32 rep = 0; rep < reps; rep++) {
        for (u32 i = 0; i <= n; i++)
            composite[i] = 0;
        count = 0;
        for (u32 i = 2; i <= n; i++) {
            if (composite[i])
                continue;
            count++;
            for (u64 j = (u64)i * i; j <= n; j += i)
                composite[j] = 1;
        }
    }
    return count;
}

/* C = A * B over n x n u32 matrices (wrapping), each entry then mixed as c ^ (c >> 15) (so that
   powers of two do not pile up and zero the matrix), then A = C, `reps` times; A[i][j] starts at
   (i * n + j) * 2654435761 + 1 and B[i][j] at (i + 2 * j) ^ 0x5bd1e995. Returns a fold of the final
   A (fold = rotl(fold, 5) ^ word). Benchmark: n=128, reps=12. */
i64 EXPORT(matmul)(u32 n, u32 reps) {
    heap_reset();
    usize cells = (usize)n * n;
    u32 *a = heap_alloc(cells * 4), *b = heap_alloc(cells * 4), *c = heap_alloc(cells * 4);
    for (u32 i = 0; i < n; i++)
        for (u32 j = 0; j < n; j++) {
            a[i * n + j] = (i * n + j) * 2654435761u + 1;
            b[i * n + j] = (i + 2 * j) ^ 0x5bd1e995u;
        }
    for (u32 rep = 0; rep < reps; rep++) {
        for (u32 i = 0; i < n; i++)
            for (u32 j = 0; j < n; j++) {
                u32 sum = 0;
                for (u32 k = 0; k < n; k++)
                    sum += a[i * n + k] * b[k * n + j];
                c[i * n + j] = sum ^ (sum >> 15);
            }
        u32 *t = a;
        a = c;
        c = t;
    }
    u64 fold = 0;
    for (usize i = 0; i < cells; i++)
        fold = ((fold << 5) | (fold >> 59)) ^ a[i];
    return (i64)fold;
}
