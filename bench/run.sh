#!/usr/bin/env bash
# ccserve benchmark: one command, one run, everything side by side on this machine.
#
# Usage: bench/run.sh [--quick] [--no-build] [--out DIR]
#   --quick     short passes, one repetition each (< 10 min on the 2-core machines)
#   --no-build  reuse cli/target (the distribution) and server/target/test-classes
#   --out DIR   where latest.json / latest.png go (default bench/results)
#
# Measures (ResNet-50 v1.5 fp32 from 'ccserve model generate resnet50', deterministic weights):
#   in-process TensorFlow (pre-built tensor, one session run per batch) and TfSavedModel.predict
#   at batch 1/8/32; served gRPC plaintext (1 client) at batch 1/8/32; gRPC over TLS; REST at
#   batch 1; 16 concurrent batch-1 clients without and with --enable_batching; encrypted vs plain
#   model load time (one JVM); protected-file decrypt MB/s (bench/pf/run.sh); key release p50
#   (bench/keybroker/run.sh when present). Writes latest.json (ratios + full table) and
#   latest.png, and prints every target as pass/miss. One thing runs at a time; client and
#   server share the 2 cores, as they would on one host.
# Scratch files (models, keys, logs, per-pass JSON) live in bench/work/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
BUILD=1
OUTDIR="$ROOT/bench/results"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --out) OUTDIR="$2"; shift 2 ;;
    *) echo "unknown option: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [[ "$QUICK" == 1 ]]; then
  MODE=quick; INPROC_S=8; SETS=1; LOAD_RUNS=3; DUR=12s; DUR_B32=20s; REPS=1; PF="--size-mb 50 --runs 3"
  BATCHES="1,8,32"
else
  MODE=full; INPROC_S=15; SETS=3; LOAD_RUNS=5; DUR=30s; DUR_B32=45s; REPS=3; PF="--size-mb 100 --runs 5"
  BATCHES="1,8,32"
fi
WORK="$ROOT/bench/work"
PARTS="$WORK/parts"
MODEL_NAME=resnet50-v15-fp32
PLAIN="$WORK/models/$MODEL_NAME"
ENC="$WORK/enc/$MODEL_NAME"
mkdir -p "$WORK" "$PARTS" "$OUTDIR"
rm -f "$PARTS"/*.json
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL=2
log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"mode\":\"$MODE\",\"load_start\":\"$(loadavg)\",\"started\":\"$(date -u +%FT%TZ)\"}" \
  > "$PARTS/meta.json"
log "mode=$MODE load average $(loadavg) (2 cores; other users' load skews every figure)"

# --- build: the distribution and the bench mains, in THIS tree, never installed -------------
if [[ "$BUILD" == 1 ]]; then
  log "building server + cli (package, tests skipped)"
  ./mvnw -o -q -pl server,cli package -DskipTests -Dmaven.javadoc.skip=true >&2
fi
CPFILE="$WORK/server-test.classpath"
if [[ "$BUILD" == 1 || ! -s "$CPFILE" ]]; then
  ./mvnw -o -q -pl server org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$CPFILE" -Dmdep.includeScope=test >&2
fi
CP="server/target/test-classes:server/target/classes:$(cat "$CPFILE")"
ccserve() { CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" "$@"; }

# --- inputs: model, encrypted copy, key, TLS material (reused between runs) ------------------
if [[ ! -f "$PLAIN/1/saved_model.pb" ]]; then
  log "generating ResNet-50"
  ccserve model generate resnet50 --export_dir "$PLAIN" >&2
fi
[[ -f "$WORK/model.key" ]] || ccserve model keygen --out "$WORK/model.key" >&2
if [[ ! -f "$ENC/1/saved_model.pb" ]]; then
  mkdir -p "$ENC"
  ccserve model encrypt -w "$WORK/model.key" -i "$PLAIN/1" -o "$ENC/1" --quiet >&2
fi
[[ -f "$WORK/tls/ssl.cfg" ]] || ccserve tls oneway localhost --out "$WORK/tls" --san localhost \
  --san 127.0.0.1 >&2

# --- in-process -----------------------------------------------------------------------------
log "in-process TensorFlow: batches $BATCHES, ${INPROC_S}s x $SETS sets; load times x $LOAD_RUNS"
java -Xmx2g -cp "$CP" dev.ccserve.server.bench.InProcessBench --model "$PLAIN/1" \
  --encrypted "$ENC/1" --key "$WORK/model.key" --batches "$BATCHES" --seconds "$INPROC_S" \
  --sets "$SETS" --load_runs "$LOAD_RUNS" > "$PARTS/inprocess.json"

# --- served ---------------------------------------------------------------------------------
SERVER_PID=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT
start_server() { # name, extra serve flags...
  local name="$1"; shift
  GRPC_PORT="$(free_port)"; REST_PORT="$(free_port)"
  ccserve serve --port "$GRPC_PORT" --rest_api_port "$REST_PORT" --bind_address 127.0.0.1 \
    --model_name "$MODEL_NAME" --model_base_path "$PLAIN" "$@" > "$WORK/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    grep -q "Entering the event loop" "$WORK/server-$name.log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server-$name.log" >&2; exit 1; }
    sleep 0.5
  done
  log "server $name did not become ready"; exit 1
}
load() { # pass-name, client flags... ; REPS repetitions, each a separate client JVM
  local name="$1"; shift
  for r in $(seq 1 "$REPS"); do
    ccserve client --url "127.0.0.1:$GRPC_PORT" --rest_url "127.0.0.1:$REST_PORT" --quiet \
      --loop 0 "$@" --json "$PARTS/served-$name-$r.json" > "$WORK/client-$name-$r.log" 2>&1 \
      || { log "client pass $name failed:"; tail -5 "$WORK/client-$name-$r.log" >&2; }
    log "  $name rep $r: $(jq -c "{tps,p50:.latency_ms.p50,errors}" \
      "$PARTS/served-$name-$r.json" 2>/dev/null || echo missing)"
  done
}

log "served, plaintext gRPC"
start_server plain
load grpc_b1 -batch 1 -cnum 1 --duration "$DUR"
load grpc_b8 -batch 8 -cnum 1 --duration "$DUR"
load grpc_b32 -batch 32 -cnum 1 --duration "$DUR_B32"
load rest_b1 --rest -batch 1 -cnum 1 --duration "$DUR"
load c16_unbatched -batch 1 -cnum 16 --duration "$DUR"
stop_server

log "served, --enable_batching"
cat > "$WORK/batching.txt" <<'EOF'
max_batch_size { value: 16 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 16 }
num_batch_threads { value: 1 }
EOF
start_server batching --enable_batching --batching_parameters_file "$WORK/batching.txt"
load c16_batched -batch 1 -cnum 16 --duration "$DUR"
stop_server

# Confidential mode (--attestation simulated --keybroker ...) was not in this tree when the
# harness was written: the TLS comparison uses --ssl_config_file from 'ccserve tls oneway',
# which is the same TLS stack the confidential server serves with. Recorded in the output.
CONF_MODE="tls-only (--ssl_config_file; confidential mode not used)"
log "served, TLS ($CONF_MODE)"
start_server tls --ssl_config_file "$WORK/tls/ssl.cfg"
load tls_b1 -batch 1 -cnum 1 -ca "$WORK/tls/ca_cert.pem" --server_name localhost --duration "$DUR"
load tls_b32 -batch 32 -cnum 1 -ca "$WORK/tls/ca_cert.pem" --server_name localhost \
  --duration "$DUR_B32"
stop_server

# --- other helpers' benchmarks --------------------------------------------------------------
log "protected-file decrypt (bench/pf/run.sh $PF)"
if ! bench/pf/run.sh $PF 2> "$WORK/pf.log" | grep '^{' | tail -1 > "$PARTS/pf.json"; then
  log "bench/pf/run.sh failed: $(tail -3 "$WORK/pf.log")"
fi
if [[ -x bench/keybroker/run.sh ]]; then
  log "key release (bench/keybroker/run.sh)"
  bench/keybroker/run.sh 2> "$WORK/keybroker.log" | grep '^{' | tail -1 > "$PARTS/keybroker.json" \
    || log "bench/keybroker/run.sh failed: $(tail -3 "$WORK/keybroker.log")"
else
  log "bench/keybroker/run.sh not present: key_release_p50_ms is missing"
fi

echo "{\"load_end\":\"$(loadavg)\",\"confidential_mode\":\"$CONF_MODE\"}" > "$PARTS/meta-end.json"
python3 bench/lib/summarize.py "$PARTS" "$OUTDIR/latest.json"
java -Djava.awt.headless=true -cp "$CP" dev.ccserve.server.bench.BenchChart \
  "$OUTDIR/latest.json" "$OUTDIR/latest.png"
log "wrote $OUTDIR/latest.json and $OUTDIR/latest.png"
