#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: a normal build and an
# ASan/UBSan build, every meson test in both, and one closing line
# "N passed, N failed" counted from meson's test logs.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
status=0

setup() {  # dir, extra meson args...
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
    elif [ $# -gt 0 ]; then
        meson configure "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
    fi
    ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

run_suite() {  # dir, meson test args...
    local dir=$1
    shift
    echo "== meson test in $dir"
    meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" || status=1
}

# Our own builds treat warnings as errors; meson.build's default leaves
# werror off so a packager's build on a newer compiler does not fail.
mkdir -p build build-sanitize build-release
setup build -Dwerror=true || exit 1
run_suite build

# Sanitizers: every test again, with leaks and undefined behaviour fatal.
setup build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || exit 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite build-sanitize

# A packager's build: release, meson.build's defaults (werror off; GCC 12
# warns falsely at -O3, see README). It must build; its unit tests run.
setup build-release -Dbuildtype=release || exit 1
run_suite build-release --suite unit

# Fuzz the config and command-line parsers (libFuzzer needs clang) for a
# short while; FUZZ_SECONDS=600 tests/run-all.sh for a longer run.
logs="build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json build-release/meson-logs/testlog.json"
if command -v clang++ >/dev/null; then
    mkdir -p build-fuzz
    CXX=clang++ setup build-fuzz -Dfuzz=true -Dtests=false -Dman=disabled \
        -Db_sanitize=address,undefined -Db_lundef=false || exit 1
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} run_suite build-fuzz --suite fuzz
    logs="$logs build-fuzz/meson-logs/testlog.json"
else
    echo "== fuzzing skipped: clang++ is not installed"
fi

python3 - $logs <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
if skipped:
    print(f"({skipped} skipped: see the logs above for why)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
