/* 256-bit modular multiplication: EVM MULMOD (schoolbook product, shift-subtract reduction) and
   Montgomery multiplication in the bn128 (alt_bn128) base field. Limbs are 64-bit, little-endian. */
#include "kernel.h"

/* The bn128 base field modulus p. */
static const u64 P[4] = {0x3c208c16d87cfd47ull, 0x97816a916871ca8dull, 0xb85045b68181585dull,
                         0x30644e72e131a029ull};

/* Returns t + a * b + c as (hi, lo); wasm has no 64x64->128 multiply, so this uses 32-bit halves. */
static inline u64 mac(u64 t, u64 a, u64 b, u64 c, u64 *hi) {
    u64 a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    u64 mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    u64 lo = (mid << 32) | (p00 & 0xffffffffu);
    u64 h = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    lo += t;
    h += lo < t;
    lo += c;
    h += lo < c;
    *hi = h;
    return lo;
}

/* r = a * b, the full 512-bit product. */
static void mul_256x256(const u64 a[4], const u64 b[4], u64 r[8]) {
    for (int i = 0; i < 8; i++)
        r[i] = 0;
    for (int i = 0; i < 4; i++) {
        u64 carry = 0;
        for (int j = 0; j < 4; j++)
            r[i + j] = mac(r[i + j], a[i], b[j], carry, &carry);
        r[i + 4] = carry;
    }
}

/* Returns whether the 5-limb x is >= the 4-limb m. */
static int geq5(const u64 x[5], const u64 m[4]) {
    if (x[4])
        return 1;
    for (int i = 3; i >= 0; i--)
        if (x[i] != m[i])
            return x[i] > m[i];
    return 1;
}

/* x -= m over 5 limbs (m has 4 limbs). */
static void sub5(u64 x[5], const u64 m[4]) {
    u64 borrow = 0;
    for (int i = 0; i < 5; i++) {
        u64 mi = i < 4 ? m[i] : 0;
        u64 d = x[i] - mi - borrow;
        borrow = (x[i] < mi) | ((x[i] == mi) & borrow);
        x[i] = d;
    }
}

/* r = a * b mod m as EVM MULMOD (r = 0 when m = 0). */
static void mulmod(const u64 a[4], const u64 b[4], const u64 m[4], u64 r[4]) {
    u64 prod[8], rem[5] = {0};
    if ((m[0] | m[1] | m[2] | m[3]) == 0) {
        r[0] = r[1] = r[2] = r[3] = 0;
        return;
    }
    mul_256x256(a, b, prod);
    for (int bit = 511; bit >= 0; bit--) {
        for (int i = 4; i > 0; i--)
            rem[i] = (rem[i] << 1) | (rem[i - 1] >> 63);
        rem[0] = (rem[0] << 1) | ((prod[bit / 64] >> (bit % 64)) & 1);
        if (geq5(rem, m))
            sub5(rem, m);
    }
    for (int i = 0; i < 4; i++)
        r[i] = rem[i];
}

/* Limb i (0..3, little-endian) of (a * b) mod m, EVM MULMOD semantics. */
i64 EXPORT(mulmod256_limb)(u64 a0, u64 a1, u64 a2, u64 a3, u64 b0, u64 b1, u64 b2, u64 b3, u64 m0,
                           u64 m1, u64 m2, u64 m3, u32 i) {
    u64 a[4] = {a0, a1, a2, a3}, b[4] = {b0, b1, b2, b3}, m[4] = {m0, m1, m2, m3}, r[4];
    mulmod(a, b, m, r);
    return (i64)r[i & 3];
}

/* Draws a, b, m (4 limbs each) from SplitMix64(seed), then a = a * b mod m, k times; returns the XOR
   of a's limbs. Benchmark: k=10000. */
i64 EXPORT(mulmod256_chain)(u32 k, u64 seed) {
    u64 a[4], b[4], m[4];
    for (int i = 0; i < 4; i++)
        a[i] = splitmix64(&seed);
    for (int i = 0; i < 4; i++)
        b[i] = splitmix64(&seed);
    for (int i = 0; i < 4; i++)
        m[i] = splitmix64(&seed);
    for (u32 round = 0; round < k; round++)
        mulmod(a, b, m, a);
    return (i64)(a[0] ^ a[1] ^ a[2] ^ a[3]);
}

/* Montgomery product r = a * b / 2^256 mod P (CIOS), for a, b < P; pinv = -P^-1 mod 2^64. */
static void mont_mul(const u64 a[4], const u64 b[4], u64 pinv, u64 r[4]) {
    u64 t[6] = {0};
    for (int i = 0; i < 4; i++) {
        u64 c = 0;
        for (int j = 0; j < 4; j++)
            t[j] = mac(t[j], a[j], b[i], c, &c);
        t[4] += c;
        t[5] = t[4] < c;
        u64 q = t[0] * pinv;
        mac(t[0], q, P[0], 0, &c);
        for (int j = 1; j < 4; j++)
            t[j - 1] = mac(t[j], q, P[j], c, &c);
        t[3] = t[4] + c;
        t[4] = t[5] + (t[3] < c);
    }
    if (geq5(t, P))
        sub5(t, P);
    for (int i = 0; i < 4; i++)
        r[i] = t[i];
}

/* Draws x, y < 2^253 from SplitMix64(seed) and computes x * y^k mod P with k Montgomery products;
   returns the XOR of the result's limbs (in normal form). Benchmark: k=200000. */
i64 EXPORT(bn128_mont_chain)(u32 k, u64 seed) {
    u64 x[4], y[4], r2[5] = {1, 0, 0, 0, 0}, one[4] = {1, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        x[i] = splitmix64(&seed);
    for (int i = 0; i < 4; i++)
        y[i] = splitmix64(&seed);
    x[3] &= (1ull << 61) - 1;
    y[3] &= (1ull << 61) - 1;
    u64 inv = 1;
    for (int i = 0; i < 6; i++)
        inv *= 2 - P[0] * inv;
    u64 pinv = -inv;
    for (int i = 0; i < 512; i++) {
        for (int j = 4; j > 0; j--)
            r2[j] = (r2[j] << 1) | (r2[j - 1] >> 63);
        r2[0] <<= 1;
        if (geq5(r2, P))
            sub5(r2, P);
    }
    mont_mul(x, r2, pinv, x);
    mont_mul(y, r2, pinv, y);
    for (u32 round = 0; round < k; round++)
        mont_mul(x, y, pinv, x);
    mont_mul(x, one, pinv, x);
    return (i64)(x[0] ^ x[1] ^ x[2] ^ x[3]);
}
