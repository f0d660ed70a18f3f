#!/bin/sh
# Fails when a C++ file under src/ or tests/ differs from what clang-format
# (with the committed .clang-format) would make of it.
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
cd "$1" || exit 1
find src tests -name '*.cpp' -o -name '*.hpp' | sort | xargs clang-format --dry-run -Werror
