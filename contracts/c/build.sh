#!/bin/sh
# Builds adder.wasm from adder.c with clang's wasm32 target and wasm-ld, no libc:
#   -mcpu=mvp               only MVP instructions (no sign-ext, bulk memory, ...)
#   -nostdlib               no libc, no crt1.o (so no `_start`)
#   --no-entry              no start function
#   --export=main           exports: `main` (from export_name) and `memory` only
#   -z stack-size=65536     a 64 KiB shadow stack
# Requires clang-14 and lld-14 (apt-get install clang-14 lld-14); CLANG overrides the compiler.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
"$CLANG" --target=wasm32 -mcpu=mvp -O2 -nostdlib -ffreestanding \
    -Wl,--no-entry -Wl,-z,stack-size=65536 -Wl,--strip-all \
    -o adder.wasm adder.c
