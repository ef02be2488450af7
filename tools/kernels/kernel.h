/* Shared definitions for the ewvm compute kernels: fixed-width types, exports, a bump heap. */
#ifndef EWVM_KERNEL_H
#define EWVM_KERNEL_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long usize;

/* Exports a function from the module under its C name. */
#define EXPORT(name) __attribute__((export_name(#name))) name

/* The compiler may call these for struct copies and zeroing (-mbulk-memory makes them instructions). */
void *memset(void *dst, int c, usize n) {
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

/* First free byte after the data and the C stack (set by wasm-ld). */
extern u8 __heap_base;

static usize heap_top;

/* Forgets all allocations: each export starts with an empty heap, so repeated calls do not leak. */
static inline void heap_reset(void) { heap_top = (usize)&__heap_base; }

/* Allocates `bytes` (16-byte aligned) from linear memory, growing it as needed; traps if it cannot. */
static inline void *heap_alloc(usize bytes) {
    usize start = (heap_top + 15) & ~(usize)15;
    usize end = start + bytes;
    usize have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end > have) {
        usize pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (usize)-1)
            __builtin_trap();
    }
    heap_top = end;
    return (void *)start;
}

/* The test pattern used as hash input: byte i is 'a' + i % 26, so n = 3 gives "abc". */
static inline void fill_pattern(u8 *buf, u32 n) {
    for (u32 i = 0; i < n; i++)
        buf[i] = (u8)('a' + i % 26);
}

/* SplitMix64: a tiny deterministic generator for kernel inputs. */
static inline u64 splitmix64(u64 *state) {
    u64 z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Reads 8 bytes as a big-endian integer. */
static inline u64 load_be64(const u8 *p) {
    u64 v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

#endif
