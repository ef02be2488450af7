/* Keccak-256 (the Ethereum hash, original Keccak padding 0x01) over linear memory. */
#include "kernel.h"

static const u64 round_constants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

static const u8 rotations[25] = {
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static inline u64 rotl(u64 x, u32 n) { return n ? (x << n) | (x >> (64 - n)) : x; }

/* The Keccak-f[1600] permutation; the state is indexed a[x + 5 * y]. */
static void keccak_f(u64 a[25]) {
    for (int round = 0; round < 24; round++) {
        u64 c[5], b[25];
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            u64 d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[x + y] ^= d;
        }
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], rotations[x + 5 * y]);
        for (int y = 0; y < 25; y += 5)
            for (int x = 0; x < 5; x++)
                a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        a[0] ^= round_constants[round];
    }
}

/* Hashes `len` bytes of `in` into the 32-byte `out`. */
static void keccak256(const u8 *in, u32 len, u8 out[32]) {
    enum { RATE = 136 };
    u64 a[25] = {0};
    u8 block[RATE];
    for (;;) {
        u32 take = len < RATE ? len : RATE;
        for (u32 i = 0; i < take; i++)
            block[i] = in[i];
        if (take < RATE) {
            for (u32 i = take; i < RATE; i++)
                block[i] = 0;
            block[take] |= 0x01;
            block[RATE - 1] |= 0x80;
        }
        for (int i = 0; i < RATE / 8; i++) {
            u64 lane = 0;
            for (int j = 7; j >= 0; j--)
                lane = (lane << 8) | block[8 * i + j];
            a[i] ^= lane;
        }
        keccak_f(a);
        if (take < RATE)
            break;
        in += RATE;
        len -= RATE;
    }
    for (int i = 0; i < 32; i++)
        out[i] = (u8)(a[i / 8] >> (8 * (i % 8)));
}

/* Word `i` (0..3, big-endian) of Keccak-256 of the n-byte pattern "abcd...". */
i64 EXPORT(keccak256_word)(u32 n, u32 i) {
    heap_reset();
    u8 *buf = heap_alloc(n);
    u8 digest[32];
    fill_pattern(buf, n);
    keccak256(buf, n, digest);
    return (i64)load_be64(digest + 8 * (i & 3));
}

/* Hashes the n-byte pattern k times, each digest overwriting the buffer's first (up to) 32 bytes;
   returns the XOR of the last digest's four big-endian words (0 if k is 0). Benchmark: n=1024, k=5000. */
i64 EXPORT(keccak256_chain)(u32 n, u32 k) {
    heap_reset();
    u8 *buf = heap_alloc(n);
    u8 digest[32] = {0};
    fill_pattern(buf, n);
    for (u32 round = 0; round < k; round++) {
        keccak256(buf, n, digest);
        for (u32 i = 0; i < 32 && i < n; i++)
            buf[i] = digest[i];
    }
    return (i64)(load_be64(digest) ^ load_be64(digest + 8) ^ load_be64(digest + 16) ^ load_be64(digest + 24));
}
