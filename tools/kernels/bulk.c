/* A bulk-memory loop: memset and (overlapping) memmove that compile to memory.fill and memory.copy
   (built with -mbulk-memory). */
#include "kernel.h"

/* On a 2n-byte buffer (n >= 1) filled with 0x5a, runs k rounds of: memmove n/2 bytes from offset
   (i * 31) % n to offset (i * 7919) % n, memset (i % 61) bytes at offset (i * 13) % n to i & 0xff,
   and bump byte i % 2n. Returns an FNV-1a-64 hash of the buffer. Benchmark: n=65536, k=1000000. */
i64 EXPORT(bulk)(u32 n, u32 k) {
    heap_reset();
    u32 size = 2 * n;
    u8 *buf = heap_alloc(size);
    __builtin_memset(buf, 0x5a, size);
    for (u32 i = 0; i < k; i++) {
        __builtin_memmove(buf + (i * 7919u) % n, buf + (i * 31u) % n, n / 2);
        __builtin_memset(buf + (i * 13u) % n, (int)(i & 0xff), i % 61 < n ? i % 61 : n);
        buf[i % size] += 1;
    }
    u64 hash = 0xcbf29ce484222325ull;
    for (u32 i = 0; i < size; i++)
        hash = (hash ^ buf[i]) * 0x100000001b3ull;
    return (i64)hash;
}
