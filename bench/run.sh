#!/usr/bin/env bash
# ccserve benchmark: one command, one run, everything side by side on this machine.
#
# Usage: bench/run.sh [--quick] [--no-build] [--out DIR]
#   --quick     short passes, one repetition each (< 10 min on the 2-core machines)
#   --no-build  reuse cli/target (the distribution) and server/target/test-classes
#   --out DIR   where latest.json / latest.png go (default bench/results)
#
# Measures (ResNet-50 v1.5 fp32 from 'ccserve model generate resnet50', deterministic weights), in
# ROUNDS (1 with --quick, 3 otherwise) so that each ratio pairs passes run minutes apart:
#   in-process TensorFlow (pre-built tensor, one session run per batch) and TfSavedModel.predict
#   at batch 1/8/32; served gRPC plaintext (1 client) at batch 1/(8)/32; the confidential server
#   (--attestation simulated + key broker + encrypted model; TLS-only --ssl_config_file if it
#   cannot start) at batch 1/32; REST at batch 1; 16 concurrent batch-1 clients without and with
#   --enable_batching; then encrypted vs plain model load time (one JVM), protected-file decrypt
#   MB/s (bench/pf/run.sh), key release p50 (bench/keybroker/run.sh when present) and server
#   time to ready, confidential vs plain (bench/keybroker/ready.sh, real processes).
#   Every served pass also records the serving process's CPU time. Writes latest.json (headline
#   keys, targets with pass/miss, the full table per round) and latest.png. One thing runs at a
#   time; client and server share the cores, as they would on one host. See docs/benchmarks.md.
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
  MODE=quick; INPROC_S=6; LOAD_RUNS=7; DUR=10s; DUR_B32=15s; REPS=1; PF=(--size-mb 50 --runs 3)
  BATCHES="1,8,32"
else
  MODE=full; INPROC_S=10; LOAD_RUNS=15; DUR=20s; DUR_B32=30s; REPS=3; PF=(--size-mb 100 --runs 5)
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

# --- measurements, interleaved --------------------------------------------------------------
# The cores are shared with other users whose load drifts by 2x within minutes, so every ratio is
# formed within one ROUND (in-process, then each served pass back to back) and the reported ratio
# is the median over rounds. All three servers stay up for the whole run (idle ones use no CPU).
# Besides wall-clock throughput, each pass records the CPU time the serving process used
# (/proc/PID/stat), which other users' load disturbs much less.
SERVER_PIDS=()
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_servers() {
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}
trap stop_servers EXIT
declare -A GRPC REST PID
start_server() { # name, extra serve flags...
  local name="$1"; shift
  GRPC[$name]="$(free_port)"; REST[$name]="$(free_port)"
  # Same thread settings for every server; 32 gRPC threads so 16 clients all reach the batcher.
  CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" serve --port "${GRPC[$name]}" \
    --rest_api_port "${REST[$name]}" --bind_address 127.0.0.1 --grpc_max_threads 32 \
    --rest_api_num_threads 32 --model_name "$MODEL_NAME" --model_base_path "${BASE:-$PLAIN}" "$@" \
    > "$WORK/server-$name.log" 2>&1 &
  PID[$name]=$!
  SERVER_PIDS+=("$!")
  for _ in $(seq 1 600); do
    grep -q "Entering the event loop" "$WORK/server-$name.log" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -20 "$WORK/server-$name.log" >&2; return 1; }
    sleep 0.5
  done
  log "server $name did not become ready"; return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { # round, server, pass-name, client flags...
  local r="$1" srv="$2" name="$3"; shift 3
  local c0 c1
  c0="$(cpu_ticks "${PID[$srv]}")"
  CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" client --url "127.0.0.1:${GRPC[$srv]}" \
    --rest_url "127.0.0.1:${REST[$srv]}" --quiet --no_warmup --loop 0 "$@" \
    --json "$PARTS/served-$name-$r.json" > "$WORK/client-$name-$r.log" 2>&1 \
    || { log "client pass $name failed:"; tail -5 "$WORK/client-$name-$r.log" >&2; }
  c1="$(cpu_ticks "${PID[$srv]}")"
  echo "{\"server_cpu_s\":$(awk -v a="$c0" -v b="$c1" -v t="$(getconf CLK_TCK)" \
    'BEGIN{print (b-a)/t}')}" > "$PARTS/cpu-$name-$r.json"
  log "  round $r $name: $(jq -c "{tps,p50:.latency_ms.p50,errors}" \
    "$PARTS/served-$name-$r.json" 2>/dev/null || echo missing) $(cat "$PARTS/cpu-$name-$r.json")"
}

cat > "$WORK/batching.txt" <<'EOF'
max_batch_size { value: 16 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 16 }
num_batch_threads { value: 1 }
EOF
log "starting servers: plain, batching (--enable_batching)"
start_server plain || exit 1
start_server batching --enable_batching --batching_parameters_file "$WORK/batching.txt" || exit 1

# The "confidential" server: --attestation simulated (INSECURE simulated TEE, no hardware here)
# with a key broker that releases the model key and signs the serving certificate, the model
# encrypted (Gramine protected files, decrypted in memory), TLS with the broker-issued
# certificate: the flow of 'ccserve demo'. If it cannot start, the TLS-only server
# (--ssl_config_file from 'ccserve tls oneway') is measured instead and the output says so.
SERVICE=grpc.tf-serving.service.com
CONF="$WORK/conf"
start_confidential() {
  if [[ ! -f "$CONF/ready" ]]; then
    rm -rf "$CONF"; mkdir -p "$CONF/broker/secrets"
    ccserve model keygen --out "$CONF/broker/secrets/$MODEL_NAME" >&2 || return 1
    ccserve model encrypt -w "$CONF/broker/secrets/$MODEL_NAME" -i "$PLAIN/1" \
      -o "$CONF/models/$MODEL_NAME/1" --quiet >&2 || return 1
    ccserve keybroker init --ca "$CONF/broker/ca" --names localhost,127.0.0.1 >&2 || return 1
    ccserve attest quote --attestation simulated --simulated_dir "$CONF/tee" --report_data 00 \
      --out "$CONF/first-quote.bin" >&2 || return 1
    touch "$CONF/ready"
  fi
  # The measurement changes with every build of the jars: the policy is rewritten each run.
  local meas
  meas="$(ccserve measure 2>/dev/null | grep -oiE '[0-9a-f]{64}' | head -1)"
  [[ -n "$meas" ]] || return 1
  cat > "$CONF/policy.yaml" <<EOF
# Written by bench/run.sh. DANGEROUS outside a benchmark: it trusts the SIMULATED TEE.
entries:
  - name: bench-server
    reference:
      sgx:
        mr_enclave: [$meas]
      accepted_tcb_statuses: [UpToDate]
      trust_simulated_insecure: true
    secrets: [$MODEL_NAME]
    service_names: [$SERVICE]
    allow_no_nonce: false
EOF
  local bp
  bp="$(free_port)"
  CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" keybroker --port "$bp" --secret_prov_port "$(free_port)" \
    --bind_address 127.0.0.1 --trust_simulated_tee_insecure "$CONF/tee" \
    --policy "$CONF/policy.yaml" --secrets "$CONF/broker/secrets" --ca "$CONF/broker/ca" \
    --audit_log "$CONF/audit.jsonl" > "$WORK/keybroker-server.log" 2>&1 &
  SERVER_PIDS+=("$!")
  BASE="$CONF/models/$MODEL_NAME" start_server tls --attestation simulated \
    --simulated_tee_dir "$CONF/tee" --keybroker "127.0.0.1:$bp" \
    --keybroker_ca "$CONF/broker/ca/ca_cert.pem" --service_name "$SERVICE" \
    --file_system_poll_wait_seconds 0
}
if start_confidential; then
  CONF_MODE="confidential (--attestation simulated, key broker, encrypted model, broker-issued TLS certificate)"
  TLSC=(-crt "$CONF/broker/ca/ca_cert.pem" --server_name "$SERVICE")
else
  cp "$WORK/server-tls.log" "$WORK/server-confidential-failed.log" 2>/dev/null || true
  log "confidential server did not start (see $WORK/server-confidential-failed.log and" \
    "$WORK/keybroker-server.log); measuring TLS only"
  CONF_MODE="tls-only (--ssl_config_file from ccserve tls oneway; confidential mode failed to start)"
  start_server tls --ssl_config_file "$WORK/tls/ssl.cfg" || exit 1
  TLSC=(-ca "$WORK/tls/ca_cert.pem" --server_name localhost)
fi
log "secure server: $CONF_MODE"
log "warming up servers (JIT, connection paths)"
for srv in plain batching; do
  CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" client --url "127.0.0.1:${GRPC[$srv]}" --quiet \
    --no_warmup -batch 4 -cnum 2 -loop 2 > /dev/null 2>&1 || true
done
CCSERVE_SKIP_BUILD=1 "$ROOT/ccserve" client --url "127.0.0.1:${GRPC[tls]}" "${TLSC[@]}" \
  --quiet --no_warmup -batch 4 -cnum 2 -loop 2 > /dev/null 2>&1 || true

for r in $(seq 1 "$REPS"); do
  log "round $r/$REPS: in-process TensorFlow, batches $BATCHES, ${INPROC_S}s each"
  java -Xmx2g -cp "$CP" dev.ccserve.server.bench.InProcessBench --model "$PLAIN/1" \
    --batches "$BATCHES" --seconds "$INPROC_S" --sets 1 > "$PARTS/inprocess-$r.json"
  load "$r" plain grpc_b1 -batch 1 -cnum 1 --duration "$DUR"
  load "$r" tls tls_b1 -batch 1 -cnum 1 "${TLSC[@]}" --duration "$DUR"
  load "$r" plain rest_b1 --rest -batch 1 -cnum 1 --duration "$DUR"
  [[ "$QUICK" == 1 ]] || load "$r" plain grpc_b8 -batch 8 -cnum 1 --duration "$DUR"
  load "$r" plain grpc_b32 -batch 32 -cnum 1 --duration "$DUR_B32"
  load "$r" tls tls_b32 -batch 32 -cnum 1 "${TLSC[@]}" --duration "$DUR_B32"
  load "$r" plain c16_unbatched -batch 1 -cnum 16 --duration "$DUR"
  load "$r" batching c16_batched -batch 1 -cnum 16 --duration "$DUR"
done
curl -s "http://127.0.0.1:${REST[batching]}/monitoring/prometheus/metrics" \
  | grep '^ccserve_batch' > "$WORK/batching-metrics.txt" || true
awk '/^ccserve_batch_size_sum/{s=$2} /^ccserve_batch_size_count/{c=$2}
  END{if (c>0) printf "{\"batches\":%d,\"mean_batch_size\":%.2f}\n", c, s/c}' \
  "$WORK/batching-metrics.txt" > "$PARTS/batching-metrics.json"
log "batcher: $(cat "$PARTS/batching-metrics.json")"
stop_servers

log "model load times, plain vs encrypted, one JVM, median of $LOAD_RUNS"
java -Xmx2g -cp "$CP" dev.ccserve.server.bench.InProcessBench --model "$PLAIN/1" \
  --encrypted "$ENC/1" --key "$WORK/model.key" --batches none --load_runs "$LOAD_RUNS" \
  > "$PARTS/load.json"

# --- other helpers' benchmarks --------------------------------------------------------------
log "protected-file decrypt (bench/pf/run.sh ${PF[*]})"
if ! bench/pf/run.sh "${PF[@]}" 2> "$WORK/pf.log" | grep '^{' | tail -1 > "$PARTS/pf.json"; then
  log "bench/pf/run.sh failed: $(tail -3 "$WORK/pf.log")"
fi
if [[ -x bench/keybroker/run.sh ]]; then
  log "key release (bench/keybroker/run.sh)"
  bench/keybroker/run.sh --out "$WORK/keybroker-out.json" 2> "$WORK/keybroker.log" \
    | grep '^{' | tail -1 > "$PARTS/keybroker.json" \
    || log "bench/keybroker/run.sh failed: $(tail -3 "$WORK/keybroker.log")"
else
  log "bench/keybroker/run.sh not present: key_release_p50_ms is missing"
fi

log "server time to ready (bench/keybroker/ready.sh)"
bench/keybroker/ready.sh --out "$WORK/ttr-out.json" 2> "$WORK/ttr.log" \
  | grep '^{' | tail -1 > "$PARTS/ttr.json" \
  || log "bench/keybroker/ready.sh failed: $(tail -3 "$WORK/ttr.log")"

echo "{\"load_end\":\"$(loadavg)\",\"confidential_mode\":\"$CONF_MODE\"}" > "$PARTS/meta-end.json"
python3 bench/lib/summarize.py "$PARTS" "$OUTDIR/latest.json"
java -Djava.awt.headless=true -cp "$CP" dev.ccserve.server.bench.BenchChart \
  "$OUTDIR/latest.json" "$OUTDIR/latest.png"
log "wrote $OUTDIR/latest.json and $OUTDIR/latest.png"
