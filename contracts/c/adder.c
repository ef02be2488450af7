// adder: an Ewasm contract in C. Adds up the u64 little-endian numbers of its calldata into an
// accumulator kept in storage slot 0 and returns the new accumulator value.
//
// Calldata: n * 8 bytes, n u64 little-endian numbers (at most 32; a trailing partial number,
//           or more than 32 numbers, reverts with no data).
// Storage:  slot 0 (key = 32 zero bytes); the accumulator is a u64 little-endian number in the
//           first 8 bytes of the 32-byte value (wrapping on overflow).
// Output:   the 32-byte slot value after the addition.
// Gas:      getCallDataSize 2 + callDataCopy (3 + 3 per word) + storageLoad 200
//           + storageStore 5000 (+15000 when the slot was zero) (metering off).
//
// Build with build.sh (clang --target=wasm32 -nostdlib): exports only `main` and `memory`,
// imports only from `ethereum`, no floats, no start function.

typedef unsigned int u32;
typedef unsigned long long u64;

#define EEI(name) __attribute__((import_module("ethereum"), import_name(name)))

EEI("getCallDataSize") u32 getCallDataSize(void);
EEI("callDataCopy") void callDataCopy(void *result, u32 offset, u32 length);
EEI("storageLoad") void storageLoad(const void *key, void *result);
EEI("storageStore") void storageStore(const void *key, const void *value);
EEI("finish") void finish(const void *data, u32 length);
EEI("revert") void revert(const void *data, u32 length);

#define MAX_NUMBERS 32

// Static buffers: zero-initialised in the data section, so no memset is needed.
static u64 numbers[MAX_NUMBERS];
static u64 key[4];
static u64 slot[4];

__attribute__((export_name("main"))) void main(void) {
    u32 size = getCallDataSize();
    if (size % 8 != 0 || size > sizeof numbers) {
        revert(0, 0);
    }
    callDataCopy(numbers, 0, size);
    storageLoad(key, slot);
    for (u32 i = 0; i < size / 8; i++) {
        slot[0] += numbers[i];
    }
    storageStore(key, slot);
    finish(slot, sizeof slot);
}
