#!/usr/bin/env bash
# Key broker latency: N sequential provisionings on loopback with the INSECURE simulated TEE.
#
# Usage: bench/keybroker/run.sh [--n N] [--warmup N] [--out FILE] [--no-build]
#   Prints one JSON line {"bench":"keybroker",...,"key_release_p50_ms":..} and writes it to
#   bench/results/keybroker.json (or --out FILE). key_release = one KeyBrokerClient.provision():
#   Challenge, fresh P-256 key + RA-TLS certificate, mutual TLS, DCAP verification of the simulated
#   quote, policy, GetSecrets, SignServingCertificate. secret_prov = one Gramine-style exchange.
#   Builds keybroker's test classes first unless --no-build. Target: key_release p50 <= 100 ms.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=200
WARMUP=20
OUT="$ROOT/bench/results/keybroker.json"
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --n) N="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option: $1 (see header of $0)" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
# shellcheck source=bench/lib/classpath.sh
source "$ROOT/bench/lib/classpath.sh"
CP="$(module_test_classpath keybroker "$BUILD")"
RESULT="$(java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.ccserve.keybroker.KeyBrokerBenchmark \
  --n "$N" --warmup "$WARMUP" | grep '^{')"
echo "$RESULT"
mkdir -p "$(dirname "$OUT")"
echo "$RESULT" > "$OUT"
