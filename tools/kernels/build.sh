#!/bin/sh
# Rebuilds every tools/kernels/*.wasm from its .c source with clang-14 (deterministic: no debug
# info, custom sections stripped, fixed flags). Usage: [OUT=DIR] tools/kernels/build.sh [CLANG]
# OUT (default: this directory) is where the .wasm files go; tests/kernels.rs uses it to check that
# the committed modules match their sources.
set -eu
cd "$(dirname "$0")"
CC=${1:-${CLANG:-clang-14}}
OUT=${OUT:-.}
COMMON="--target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -fuse-ld=lld -Wall -Wextra -Werror
        -Wl,--no-entry -Wl,--strip-all"
for src in *.c; do
    name=${src%.c}
    extra=
    # Only the bulk-memory kernel uses post-MVP instructions.
    [ "$name" = bulk ] && extra=-mbulk-memory
    # shellcheck disable=SC2086
    "$CC" $COMMON $extra -o "$OUT/$name.wasm" "$src"
    echo "built $OUT/$name.wasm ($(wc -c <"$OUT/$name.wasm") bytes)"
done
