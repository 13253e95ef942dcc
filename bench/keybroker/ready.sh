#!/usr/bin/env bash
# Server time-to-ready: the confidential ResNet-50 (simulated TEE + key broker + encrypted model)
# next to the plain one, with real processes started through the ./ccserve launcher.
#
# Usage: bench/keybroker/ready.sh [--n N] [--out FILE] [--build] [--keep]
#   --n N      repetitions (default 3). Each starts a plain server; then a fresh key broker and a
#              confidential server; then a second confidential server against that (now warm)
#              broker, the case of a long-running broker.
#   --out FILE where the JSON line goes (default bench/results/time_to_ready.json)
#   --build    let the launcher rebuild the distribution when the sources are newer (default:
#              use cli/target as it is; the launcher still builds it when it is missing)
#   --keep     keep the scratch directory bench/work/ttr/run (logs) after the run
#
# Prepared once in bench/work/ttr/ (git-ignored) and reused: ResNet-50 v1.5 fp32 from 'ccserve
# model generate resnet50' (or a copy of bench/work/models/ if bench/run.sh made it), a wrap key,
# the model encrypted with 'ccserve model encrypt', the broker CA, the simulated TEE keys. Redone
# every run: the policy (its MRENCLAVE is the measurement of the current distribution).
#
# time_to_ready = from just before the server process is started to the first REST model-status
# answer that says AVAILABLE (polled every 50 ms with curl; over TLS, verified against the broker
# CA, for the confidential server). The broker is listening before the clock starts.
# Breakdown, from the server log's millisecond timestamps:
#   jvm                 start -> "attesting with provider" (plain: -> "gRPC API listening")
#   attest_release      "attesting" -> "key broker released" (KeyBrokerClient.provision())
#   server_setup        "released" -> "gRPC API listening" (TLS contexts, servers, ports)
#   before_load         "listening" -> start of the version load (AVAILABLE time - load_ms)
#   decrypt_load_warmup the server's own load_ms (decrypt + TensorFlow load + warm-up run)
#   to_ready            AVAILABLE logged -> seen AVAILABLE by the poller (readiness flip + poll)
# Prints a human line and one JSON line {"bench":"time_to_ready",...}. Kills what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=3
OUT="$ROOT/bench/results/time_to_ready.json"
BUILD=0
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --n) N="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --build) BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "--n: expected a positive integer, found $N" >&2; exit 2; }
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "ready.sh needs $tool" >&2; exit 1; }
done

MODEL=resnet50
SERVICE=grpc.tf-serving.service.com
TTR="$ROOT/bench/work/ttr"
RUN="$TTR/run"
PLAIN="$TTR/plain/$MODEL"
ENC="$TTR/enc/$MODEL"
BROKER="$TTR/broker"
TEE="$TTR/simulated-tee"
export TF_CPP_MIN_LOG_LEVEL=2
cd "$ROOT"
log() { echo "[ready $(date -u +%H:%M:%S)] $*" >&2; }
if [[ "$BUILD" != 1 && -f "$ROOT/cli/target/ccserve-cli-0.1.0-SNAPSHOT.jar" ]]; then
  export CCSERVE_SKIP_BUILD=1
fi
# The launcher execs java, so $! of a background "$CCSERVE ..." is the JVM itself.
CCSERVE="$ROOT/ccserve"
ccserve() { "$CCSERVE" "$@"; }
now_ms() { date +%s%3N; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- processes: every one we start is killed on exit ------------------------------------------
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  stop_all
  if [[ "$KEEP" != 1 ]]; then
    rm -rf "$RUN"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prepare once ------------------------------------------------------------------------------
mkdir -p "$TTR" "$RUN"
if [[ ! -f "$PLAIN/1/saved_model.pb" ]]; then
  shared="$ROOT/bench/work/models/resnet50-v15-fp32"
  if [[ -f "$shared/1/saved_model.pb" ]]; then
    log "copying the ResNet-50 made by bench/run.sh"
    mkdir -p "$PLAIN"
    cp -r "$shared/1" "$PLAIN/1"
  else
    log "generating ResNet-50 (once)"
    ccserve model generate resnet50 --export_dir "$PLAIN" --model_version 1 >&2
  fi
fi
if [[ ! -f "$BROKER/secrets/$MODEL" ]]; then
  mkdir -p "$BROKER/secrets"
  ccserve model keygen --out "$BROKER/secrets/$MODEL" >&2
  rm -rf "$ENC"
fi
if [[ ! -f "$ENC/1/saved_model.pb" ]]; then
  log "encrypting the model (once)"
  ccserve model encrypt -w "$BROKER/secrets/$MODEL" -i "$PLAIN/1" -o "$ENC/1" --quiet >&2
fi
if [[ ! -f "$BROKER/ca/ca_cert.pem" ]]; then
  ccserve keybroker init --ca "$BROKER/ca" --names localhost,127.0.0.1 >&2
fi
if [[ ! -f "$TEE/root.pem" ]]; then
  ccserve attest quote --attestation simulated --simulated_dir "$TEE" --report_data 00 \
    --out "$TTR/first-quote.bin" >&2
fi
MEASUREMENT="$(ccserve measure | grep -oiE '[0-9a-f]{64}' | head -1)"
[[ -n "$MEASUREMENT" ]] || { echo "ccserve measure printed no measurement" >&2; exit 1; }
cat > "$BROKER/policy.yaml" <<EOF
# Written by bench/keybroker/ready.sh. DANGEROUS outside a benchmark: trusts the SIMULATED TEE.
entries:
  - name: ready-bench
    reference:
      sgx:
        mr_enclave: [$MEASUREMENT]
      accepted_tcb_statuses: [UpToDate]
      trust_simulated_insecure: true
    secrets: [$MODEL]
    service_names: [$SERVICE]
EOF

# --- one server start, timed ---------------------------------------------------------------------
# wait_for LOGFILE PID PATTERN TIMEOUT_S: until PATTERN is in LOGFILE; fails if PID exits.
wait_for() {
  local file="$1" pid="$2" pattern="$3" deadline=$(( $(now_ms) + $4 * 1000 ))
  while (( $(now_ms) < deadline )); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { log "process $pid exited; last lines of $file:"; tail -20 "$file" >&2; return 1; }
    sleep 0.05
  done
  log "timed out waiting for \"$pattern\" in $file"; return 1
}
# log_ms FILE PATTERN: epoch milliseconds of the first log line containing PATTERN, or empty.
log_ms() {
  local ts
  ts="$(grep -m1 -- "$2" "$1" | grep -oE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)' || true)"
  if [[ -n "$ts" ]]; then
    date -u -d "$ts" +%s%3N
  fi
}
# time_server NAME URL CURL_ARGS... -- SERVE_ARGS...: sets READY_MS and T0; leaves it running.
READY_MS=""
T0=""
SERVER_PID=""
time_server() {
  local name="$1" url="$2"; shift 2
  local curl_args=()
  while [[ "$1" != "--" ]]; do curl_args+=("$1"); shift; done
  shift
  local logf="$RUN/$name.log" t0 pid body
  t0="$(now_ms)"
  "$CCSERVE" serve "$@" > "$logf" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  SERVER_PID="$pid"
  while (( $(now_ms) - t0 < 600000 )); do
    body="$(curl -s --max-time 2 ${curl_args[@]+"${curl_args[@]}"} "$url" 2>/dev/null || true)"
    if [[ "$body" == *'"AVAILABLE"'* ]]; then
      READY_MS=$(( $(now_ms) - t0 ))
      T0="$t0"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { log "server $name exited; last lines:"; tail -20 "$logf" >&2; return 1; }
    sleep 0.05
  done
  log "server $name not ready after 600 s"; return 1
}

RESULTS="$RUN/results.tsv"
: > "$RESULTS"
# record KIND RUN LOGFILE: appends "kind run total jvm release setup preload load to_ready" (ms;
# "-" where the log lacks the line) for the server just timed (READY_MS, T0).
record() {
  local kind="$1" run="$2" f="$3" t_att t_rel t_listen t_avail load jvm="-" rel="-" setup="-"
  local preload="-" to_ready="-" load_start
  t_att="$(log_ms "$f" "attesting with provider")"
  t_rel="$(log_ms "$f" "key broker released")"
  t_listen="$(log_ms "$f" "gRPC API listening")"
  t_avail="$(log_ms "$f" "state=AVAILABLE")"
  load="$(grep -m1 -oE 'state=AVAILABLE load_ms=[0-9]+' "$f" | grep -oE '[0-9]+$' || true)"
  if [[ -n "$t_att" ]]; then
    jvm=$(( t_att - T0 ))
    if [[ -n "$t_rel" ]]; then rel=$(( t_rel - t_att )); fi
    if [[ -n "$t_rel" && -n "$t_listen" ]]; then setup=$(( t_listen - t_rel )); fi
  elif [[ -n "$t_listen" ]]; then
    jvm=$(( t_listen - T0 ))
  fi
  if [[ -n "$t_avail" && -n "$load" && -n "$t_listen" ]]; then
    load_start=$(( t_avail - load ))
    preload=$(( load_start - t_listen ))
    to_ready=$(( T0 + READY_MS - t_avail ))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$run" "$READY_MS" "$jvm" "$rel" \
    "$setup" "$preload" "${load:--}" "$to_ready" >> "$RESULTS"
  log "run $run $kind: ready in $READY_MS ms (jvm $jvm, attest+release $rel, setup $setup," \
    "before load $preload, decrypt/load/warm-up ${load:--}, to ready $to_ready)"
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
confidential() { # NAME BROKER_PORT
  local port rport
  port="$(free_port)"; rport="$(free_port)"
  time_server "$1" "https://$SERVICE:$rport/v1/models/$MODEL" --cacert "$BROKER/ca/ca_cert.pem" \
    --resolve "$SERVICE:$rport:127.0.0.1" -- \
    --attestation simulated --simulated_tee_dir "$TEE" --keybroker "127.0.0.1:$2" \
    --keybroker_ca "$BROKER/ca/ca_cert.pem" --service_name "$SERVICE" --model_name "$MODEL" \
    --model_base_path "$ENC" --bind_address 127.0.0.1 --port "$port" --rest_api_port "$rport" \
    --file_system_poll_wait_seconds 0
}

log "load average $(cut -d' ' -f1-3 /proc/loadavg); $N repetitions"
for i in $(seq 1 "$N"); do
  # plain: no TLS, no broker, the unencrypted copy of the same model
  port="$(free_port)"; rport="$(free_port)"
  time_server "plain-$i" "http://127.0.0.1:$rport/v1/models/$MODEL" -- \
    --model_name "$MODEL" --model_base_path "$PLAIN" --bind_address 127.0.0.1 --port "$port" \
    --rest_api_port "$rport" --file_system_poll_wait_seconds 0
  record plain "$i" "$RUN/plain-$i.log"
  stop_all

  # confidential: a fresh broker, listening before the clock starts, then the server ...
  bport="$(free_port)"
  "$CCSERVE" keybroker --port "$bport" --bind_address 127.0.0.1 --trust_simulated_tee_insecure "$TEE" \
    --policy "$BROKER/policy.yaml" --secrets "$BROKER/secrets" --ca "$BROKER/ca" \
    --audit_log "$RUN/audit-$i.jsonl" > "$RUN/broker-$i.log" 2>&1 &
  PIDS+=("$!")
  wait_for "$RUN/broker-$i.log" "$!" "key broker listening" 120
  confidential "confidential-$i" "$bport"
  record confidential "$i" "$RUN/confidential-$i.log"
  stop_server
  # ... and a second server against the same, now warm, broker (a long-running broker's case)
  confidential "confidential-warm-$i" "$bport"
  record confidential_warm_broker "$i" "$RUN/confidential-warm-$i.log"
  stop_all
done

RESULT="$(python3 - "$RESULTS" "$N" <<'PY'
import json, os, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
FIELDS = ["jvm", "attest_release", "server_setup", "before_load", "decrypt_load_warmup", "to_ready"]

def med(xs):
    return round(statistics.median(xs)) if xs else None

def kind(k):
    rs = [r for r in rows if r[0] == k]
    total = [int(r[2]) for r in rs]
    parts = {}
    for j, name in enumerate(FIELDS):
        vals = [int(r[3 + j]) for r in rs if r[3 + j] != "-"]
        if vals:
            parts[name] = med(vals)
    return total, parts

conf, conf_parts = kind("confidential")
warm, warm_parts = kind("confidential_warm_broker")
plain, plain_parts = kind("plain")
out = {
    "bench": "time_to_ready", "n": int(sys.argv[2]), "model": "resnet50-v1.5-fp32",
    "tee": "simulated", "transport": "loopback", "poll_ms": 50,
    "time_to_ready_p50_ms": med(conf),
    "time_to_ready_warm_broker_p50_ms": med(warm),
    "time_to_ready_plain_p50_ms": med(plain),
    "ratio_confidential_to_plain": round(med(conf) / med(plain), 2) if conf and plain else None,
    "runs_ms": {"confidential": conf, "confidential_warm_broker": warm, "plain": plain},
    "breakdown_p50_ms": {"confidential": conf_parts, "confidential_warm_broker": warm_parts,
                         "plain": plain_parts},
    "cpus": os.cpu_count(), "load_avg_1m_at_end": float(open("/proc/loadavg").read().split()[0]),
}
print(json.dumps(out, separators=(",", ":")))
PY
)"
python3 - "$RESULT" <<'PY' >&2
import json, sys
r = json.loads(sys.argv[1])
b = r["breakdown_p50_ms"]["confidential"]
print(f"time to ready (p50 of {r['n']}): confidential {r['time_to_ready_p50_ms']} ms "
      f"(warm broker {r['time_to_ready_warm_broker_p50_ms']} ms) vs plain "
      f"{r['time_to_ready_plain_p50_ms']} ms (x{r['ratio_confidential_to_plain']}); confidential = "
      + ", ".join(f"{k} {v}" for k, v in b.items()) + " ms")
PY
echo "$RESULT"
mkdir -p "$(dirname "$OUT")"
echo "$RESULT" > "$OUT"
