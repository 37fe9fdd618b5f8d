#!/usr/bin/env bash
# Counts instructions of one zephir-models (or zephir-models-bench) command with callgrind,
# repeatably on a noisy machine, as docs/performance.md does:
#
#   bench/callgrind.sh OUT.callgrind .build-release/release/zephir-models sync --config C.yml
#   callgrind_annotate --inclusive=yes OUT.callgrind | swift demangle --simplified | less
#
# Valgrind 3.19 (Debian 12) needs two workarounds for Swift 6 binaries, applied here on copies:
# DWARF 5 debug information it cannot read (stripped, symbols kept), and libdispatch's read-only
# sigsuspend mask, which it writes to (an LD_PRELOAD shim passes a copy).
set -euo pipefail
out=$1; binary=$2; shift 2
work=${TMPDIR:-/tmp}/zephir-callgrind
mkdir -p "$work/libs"
if [ ! -f "$work/shim.so" ]; then
  cat > "$work/shim.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
int sigsuspend(const sigset_t *mask) { sigset_t copy = *mask; return syscall(SYS_rt_sigsuspend, &copy, 8); }
C
  cc -O2 -shared -fPIC "$work/shim.c" -o "$work/shim.so"
fi
swiftlib=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux
for lib in "$swiftlib"/*.so; do
  [ -f "$work/libs/$(basename "$lib")" ] || strip --strip-debug -o "$work/libs/$(basename "$lib")" "$lib"
done
strip --strip-debug -o "$work/program" "$binary"
LD_PRELOAD="$work/shim.so" LD_LIBRARY_PATH="$work/libs" \
  valgrind --tool=callgrind --callgrind-out-file="$out" "$work/program" "$@"
