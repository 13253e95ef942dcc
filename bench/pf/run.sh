#!/usr/bin/env bash
# Protected-file (Gramine PF v2) throughput: encrypt and decrypt of a 100 MB file.
#
# Usage: bench/pf/run.sh [--size-mb N] [--runs N] [--out FILE] [--no-build]
#   Prints a human line and one JSON line {"bench":"pf",...,"encrypt_mb_s":..,"decrypt_mb_s":..}
#   to stdout; with --out FILE the JSON line is also appended to FILE.
#   MB = 10^6 plaintext bytes; medians of --runs runs after one warm-up; includes file I/O
#   (page cache). Builds crypto's test classes first unless --no-build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIZE_MB=100
RUNS=5
OUT=""
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mb) SIZE_MB="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option: $1 (see header of $0)" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
# shellcheck source=bench/lib/classpath.sh
source "$ROOT/bench/lib/classpath.sh"
CP="$(module_test_classpath crypto "$BUILD")"
HEAP_MB=$(( SIZE_MB * 4 + 256 ))
RESULT="$(java -Xmx${HEAP_MB}m -cp "$CP" dev.ccserve.crypto.pf.bench.PfBenchmark \
  --size-mb "$SIZE_MB" --runs "$RUNS")"
echo "$RESULT"
if [[ -n "$OUT" ]]; then
  echo "$RESULT" | grep '^{' >> "$OUT"
fi
