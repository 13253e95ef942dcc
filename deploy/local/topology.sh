#!/usr/bin/env bash
# Three "hosts" on one machine, as Linux network namespaces on a bridge that lives in its own
# namespace (docs/deployment.md, "Multi-host"):
#   host A  (ccs-a, .1)  key broker: holds the model key and the CA; releases both only to
#                        servers whose (simulated) attestation matches its policy
#   host B  (ccs-b, .2)  N ccserve replicas (bound to 127.0.0.1 inside B) + nginx in TLS
#                        passthrough on B's address, ports 8500 (gRPC) and 8501 (REST)
#   host C  (ccs-c, .3)  the client; it reaches B only through nginx and verifies the server
#                        certificate against the broker's CA
# then checks that every replica served requests, kills one replica while the client runs and
# checks that no request was lost. Needs root (namespaces), nginx with the stream module, java.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

NS="${CCSERVE_TOPO_NS:-ccs}"                # namespace names: $NS-sw, $NS-a, $NS-b, $NS-c
NET="${CCSERVE_TOPO_NET:-10.213.77}"        # the /24 of the test network (inside namespaces only)
WORK="${CCSERVE_TOPO_DIR:-/tmp/ccserve-topology}"
SERVICE=grpc.tf-serving.service.com
A_IP="$NET.1" B_IP="$NET.2" C_IP="$NET.3"
BROKER_PORT=4433
# veth names are v-$NS-a..c and must fit Linux's 15 characters.
[[ "$NS" =~ ^[a-z][a-z0-9]{0,10}$ ]] || { echo "topology.sh: CCSERVE_TOPO_NS must be 1-11 lower-case letters/digits, found '$NS'" >&2; exit 1; }
[[ "$NET" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "topology.sh: CCSERVE_TOPO_NET must be the first three octets of a /24, found '$NET'" >&2; exit 1; }

usage() {
  cat <<'USAGE'
Usage: deploy/local/topology.sh run [--replicas N] [--arch tiny|resnet50] [--mode confidential|tls]
                                    [--loop N] [--fault kill|none] [--fault_seconds S]
                                    [--client_retries N] [--keep]
       deploy/local/topology.sh down

run    builds hosts A (key broker), B (N replicas + nginx passthrough) and C (client) as network
       namespaces, runs the confidential flow across them, checks that each replica served
       requests, kills one replica while the client runs (--fault kill) and checks that no
       request was lost, then tears everything down (also on failure or Ctrl-C).
down   stops what a --keep run (or a crashed run) left: processes by PID, then the namespaces.

  --replicas N      server replicas on host B (default 2; >= 2 for the fault test)
  --arch A          model to generate: tiny (default, seconds) or resnet50 (~100 MB, minutes)
  --mode M          confidential (default): servers attest to the broker on A and receive the
                    model key and their TLS certificate from it. tls: no broker; servers get a
                    pre-made certificate (ccserve tls oneway) and a plaintext model (for
                    comparison only: nothing is attested)
  --loop N          requests per client connection in the balance check (default 50; 2 connections)
  --fault F         kill (default): SIGKILL the last replica while the client runs; none: skip
  --fault_seconds S length of the client run of the fault test (default 30); the kill comes as soon as the
                    victim has served 3 requests of that run
  --client_retries N  the fault test client's --retries (default 3; 0 shows what is lost without)
  --keep            leave everything running at the end (stop it with 'topology.sh down')

Environment: CCSERVE_TOPO_DIR (work dir, default /tmp/ccserve-topology), CCSERVE_TOPO_NS
(namespace prefix, default ccs), CCSERVE_TOPO_NET (first three octets of the /24, default
10.213.77), CCSERVE_SKIP_BUILD=1 (use the existing build), JAVA (java binary).
Results: $CCSERVE_TOPO_DIR/result.env (key=value lines), logs in $CCSERVE_TOPO_DIR/*/logs.
USAGE
}

log() { printf '[topology %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf 'topology.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Teardown (by PID, then namespaces). Safe to run any number of times.

pids_file() { echo "$WORK/pids"; }

down() {
  local f pid name ns
  f="$(pids_file)"
  if [[ -f "$f" ]]; then
    # stop in reverse start order: client, nginx, servers, broker
    while read -r pid name; do
      [[ -n "$pid" ]] || continue
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    done < <(tac "$f")
    for _ in $(seq 1 50); do
      local alive=0
      while read -r pid name; do
        [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && alive=1
      done < "$f"
      ((alive)) || break
      sleep 0.2
    done
    while read -r pid name; do
      if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        echo "topology.sh: $name (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done < "$f"
    rm -f "$f"
  fi
  # Anything still inside OUR namespaces was started by this script (e.g. nginx workers).
  for ns in "$NS-a" "$NS-b" "$NS-c" "$NS-sw" "$NS-probe"; do
    if ip netns list 2>/dev/null | grep -qw -- "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK/dist"   # the private copy of the distribution (~200 MB); run makes a new one
}

# ---------------------------------------------------------------------------------------------
# Preconditions

check_prereqs() {
  [[ "$(id -u)" == 0 ]] || die "must run as root: it creates network namespaces (ip netns). Try: sudo $0 run"
  command -v ip >/dev/null || die "'ip' not found; install it: apt-get install -y iproute2"
  if ! ip netns add "$NS-probe" 2>/dev/null; then
    die "cannot create a network namespace here (ip netns add failed: no CAP_SYS_ADMIN or no netns support)"
  fi
  ip netns del "$NS-probe"
  if ! command -v nginx >/dev/null || [[ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]]; then
    die "nginx with the stream module is not installed; install it: apt-get install -y nginx libnginx-mod-stream"
  fi
  command -v curl >/dev/null || die "curl not found; install it: apt-get install -y curl"
  command -v envsubst >/dev/null || die "envsubst not found; install it: apt-get install -y gettext-base"
  command -v "${JAVA:-java}" >/dev/null || die "java not found (set JAVA=/path/to/java)"
}

# A private copy of the distribution, so that a rebuild in the source tree during the run
# cannot change the jars under the running servers (the measurement covers the jars).
prepare_dist() {
  local dist="$root/cli/target"
  if [[ "${CCSERVE_SKIP_BUILD:-0}" != 1 ]]; then
    "$root/ccserve" --version >/dev/null || die "building the distribution failed"
  fi
  [[ -f "$dist/ccserve-cli-0.1.0-SNAPSHOT.jar" && -d "$dist/lib" ]] \
    || die "no distribution in $dist; run ./ccserve --version once (it builds)"
  rm -rf "$WORK/dist"
  mkdir -p "$WORK/dist/lib"
  cp "$dist/ccserve-cli-0.1.0-SNAPSHOT.jar" "$WORK/dist/"
  cp "$dist"/lib/*.jar "$WORK/dist/lib/"
}

# The CLI from the private copy, as a command array (usable with ip netns exec).
CCS=()
set_ccs() {
  # shellcheck disable=SC2206 # CCSERVE_JAVA_OPTS is a list of JVM options
  CCS=(env "TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}" "${JAVA:-java}" ${CCSERVE_JAVA_OPTS:-}
    -Dorg.slf4j.simpleLogger.showDateTime=true
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSX"
    -Dorg.slf4j.simpleLogger.showThreadName=false
    "-Dccserve.home=$root"
    -cp "$WORK/dist/ccserve-cli-0.1.0-SNAPSHOT.jar:$WORK/dist/lib/*" dev.ccserve.cli.Main)
}

# ccserve [args...]: run the CLI here (root namespace: only for steps without network).
ccserve() { "${CCS[@]}" "$@"; }

# on HOST cmd...: run a command on host A, B or C (inside its namespace).
on() {
  local h="$1"; shift
  ip netns exec "$NS-$h" "$@"
}

# start HOST NAME LOG cmd...: start a long-running process on HOST in the background and
# record its PID (ip netns exec execs the command, so $! is the process itself).
start() {
  local h="$1" name="$2" logf="$3"; shift 3
  # A simple command, not the 'on' function: a function would run in a forked subshell and $!
  # would be that subshell, not the server.
  ip netns exec "$NS-$h" "$@" >"$logf" 2>&1 &
  echo "$! $name" >> "$(pids_file)"
  disown "$!"   # stopped by PID in down(); no job notices when it dies
  log "started $name on host $h (pid $!, log $logf)"
}

pid_of() { awk -v n="$1" '$2 == n { print $1 }' "$(pids_file)"; }

# ---------------------------------------------------------------------------------------------
# The network (platform-notes §7): a bridge in its own namespace; nothing in the root namespace.

make_network() {
  ip netns add "$NS-sw"
  ip -n "$NS-sw" link add br0 type bridge
  ip -n "$NS-sw" link set br0 up
  local i=1 h
  for h in a b c; do
    ip netns add "$NS-$h"
    ip link add "v-$NS-$h" type veth peer name eth0 netns "$NS-$h"
    ip link set "v-$NS-$h" netns "$NS-sw"
    ip -n "$NS-sw" link set "v-$NS-$h" master br0
    ip -n "$NS-sw" link set "v-$NS-$h" up
    ip -n "$NS-$h" link set lo up
    ip -n "$NS-$h" addr add "$NET.$i/24" dev eth0
    ip -n "$NS-$h" link set eth0 up
    i=$((i + 1))
  done
  log "network: A=$A_IP (key broker), B=$B_IP (replicas + nginx), C=$C_IP (client) on $NS-sw/br0"
}

# ---------------------------------------------------------------------------------------------
# Helpers for host B

grpc_port() { echo $((9000 + 10 * ($1 - 1))); }
rest_port() { echo $((9001 + 10 * ($1 - 1))); }

# rest_get REPLICA PATH: HTTPS GET on a replica's REST port, inside host B, verifying the
# server certificate against the CA that host B was given.
rest_get() {
  local port
  port="$(rest_port "$1")"
  on b curl -fsS --max-time 5 --cacert "$WORK/hostB/ca.pem" \
    --resolve "$SERVICE:$port:127.0.0.1" "https://$SERVICE:$port$2"
}

# predict_count REPLICA: Predict requests the replica counted (ccserve_requests_total, all statuses).
predict_count() {
  local text
  text="$(rest_get "$1" /monitoring/prometheus/metrics)" \
    || die "cannot read replica $1's metrics (https://$SERVICE:$(rest_port "$1")/monitoring/prometheus/metrics inside host B)"
  awk '/^ccserve_requests_total\{/ && /api="predict"/ { s += $NF } END { printf "%d\n", s }' <<< "$text"
}

wait_available() {
  local r="$1" deadline=$((SECONDS + ${CCSERVE_TOPO_READY_SECONDS:-300})) pid
  pid="$(pid_of "server-$r")"
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || die "replica $r (pid $pid) exited; see $WORK/hostB/logs/server-$r.log"
    if rest_get "$r" "/v1/models/$MODEL" 2>/dev/null | grep -q '"AVAILABLE"'; then
      log "replica $r: model $MODEL is AVAILABLE (TLS verified against host B's CA copy)"
      return 0
    fi
    sleep 1
  done
  die "replica $r did not become AVAILABLE; see $WORK/hostB/logs/server-$r.log"
}

# json_num FILE KEY: first numeric "KEY" : N in a pretty-printed JSON report.
json_num() { sed -n "s/^ *\"$2\" : \\([0-9.]*\\).*/\\1/p" "$1" | head -n 1; }

result() { echo "$1=$2" >> "$WORK/result.env"; }

# ---------------------------------------------------------------------------------------------

run() {
  local replicas=2 arch=tiny mode=confidential loop=50 fault=kill fault_seconds=30 retries=3 keep=0
  while (($#)); do
    case "$1" in
      --replicas) replicas="${2:?}"; shift 2 ;;
      --arch) arch="${2:?}"; shift 2 ;;
      --mode) mode="${2:?}"; shift 2 ;;
      --loop) loop="${2:?}"; shift 2 ;;
      --fault) fault="${2:?}"; shift 2 ;;
      --fault_seconds) fault_seconds="${2:?}"; shift 2 ;;
      --client_retries) retries="${2:?}"; shift 2 ;;
      --keep) keep=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option '$1' (see --help)" ;;
    esac
  done
  [[ "$replicas" =~ ^[1-9][0-9]?$ ]] || die "--replicas must be 1..99, found '$replicas'"
  case "$arch" in tiny) MODEL=tiny ;; resnet50) MODEL=resnet50-v15-fp32 ;;
    *) die "--arch must be tiny or resnet50, found '$arch'" ;; esac
  case "$mode" in confidential|tls) ;; *) die "--mode must be confidential or tls, found '$mode'" ;; esac
  case "$fault" in kill|none) ;; *) die "--fault must be kill or none, found '$fault'" ;; esac
  [[ "$loop" =~ ^[1-9][0-9]*$ ]] || die "--loop must be a positive integer, found '$loop'"
  [[ "$retries" =~ ^[0-9]+$ ]] || die "--client_retries must be a non-negative integer, found '$retries'"
  [[ "$fault_seconds" =~ ^[1-9][0-9]*$ ]] || die "--fault_seconds must be a positive integer, found '$fault_seconds'"
  if [[ "$fault" == kill && "$replicas" -lt 2 ]]; then
    die "--fault kill needs --replicas >= 2 (a survivor); use --fault none with one replica"
  fi
  check_prereqs

  down  # leftovers of an earlier --keep or crashed run
  rm -rf "$WORK/hostA" "$WORK/hostB" "$WORK/hostC" "$WORK/result.env"
  mkdir -p "$WORK"/hostA/logs "$WORK"/hostB/logs "$WORK"/hostC/logs
  : > "$(pids_file)"
  # shellcheck disable=SC2154 # rc is assigned inside the trap strings
  if ((keep)); then
    trap 'rc=$?; if ((rc)); then log "FAILED (exit $rc): tearing down"; down; fi' EXIT
  else
    trap 'rc=$?; log "tearing down"; down; ((rc)) && log "FAILED (exit $rc); logs in $WORK/host*/logs"' EXIT
  fi
  trap 'exit 130' INT TERM
  result mode "$mode"
  result replicas "$replicas"

  log "distribution: private copy in $WORK/dist"
  prepare_dist
  set_ccs
  make_network

  local A="$WORK/hostA" B="$WORK/hostB" C="$WORK/hostC"
  # -- the model owner's work, on the trusted host A ------------------------------------------
  if [[ ! -d "$WORK/cache/plain-$arch/1" ]]; then
    log "A: ccserve model generate $arch"
    ccserve model generate "$arch" --export_dir "$WORK/cache/plain-$arch" --model_version 1 \
      > "$A/logs/generate.log" 2>&1 || die "model generate failed; see $A/logs/generate.log"
  fi
  if [[ "$mode" == confidential ]]; then
    mkdir -p "$A/broker/secrets" "$A/out"
    log "A: ccserve model keygen + model encrypt (Gramine protected files) + keybroker init"
    {
      ccserve model keygen --out "$A/broker/secrets/$MODEL"
      ccserve model encrypt -w "$A/broker/secrets/$MODEL" -i "$WORK/cache/plain-$arch/1" \
        -o "$A/out/models/$MODEL/1" --quiet
      ccserve keybroker init --ca "$A/broker/ca" --names "$A_IP"
    } > "$A/logs/owner.log" 2>&1 || die "model owner steps failed; see $A/logs/owner.log"

    # -- host B: its (simulated) TEE platform, created once before the replicas start --------
    log "B: create the simulated TEE platform (INSECURE: proves nothing about hardware)"
    ccserve attest quote --attestation simulated --simulated_dir "$B/simulated-tee" \
      --report_data 00 --out "$B/logs/first-quote.bin" > "$B/logs/simulated-tee.log" 2>&1 \
      || die "creating the simulated TEE failed; see $B/logs/simulated-tee.log"
    # The broker trusts that platform's simulated root (standing in for Intel's) and serves its
    # collateral (standing in for Intel's PCS), for which it needs the simulated keys: a copy.
    cp -r "$B/simulated-tee" "$A/simulated-tee"

    local measurement
    measurement="$(ccserve measure 2>/dev/null | grep -Eio '[0-9a-f]{64}' | head -n 1 | tr 'A-F' 'a-f')"
    [[ ${#measurement} == 64 ]] || die "ccserve measure printed no measurement"
    log "A: policy releases '$MODEL' and a certificate for $SERVICE to MRENCLAVE ${measurement:0:16}…"
    cat > "$A/broker/policy.yaml" <<EOF
# Written by deploy/local/topology.sh. Trusts the SIMULATED TEE root of host B: test only.
entries:
  - name: topology-servers
    reference:
      sgx:
        mr_enclave: [$measurement]
      accepted_tcb_statuses: [UpToDate]
      trust_simulated_insecure: true
    secrets: [$MODEL]
    service_names: [$SERVICE]
    allow_no_nonce: false
EOF
    result measurement "$measurement"

    # -- copies between hosts: B gets the encrypted model and the CA certificate; C the CA ---
    mkdir -p "$B/models"
    cp -r "$A/out/models/$MODEL" "$B/models/"
    cp "$A/broker/ca/ca_cert.pem" "$B/ca.pem"
    cp "$A/broker/ca/ca_cert.pem" "$C/ca.pem"

    start a broker "$A/logs/keybroker.log" "${CCS[@]}" keybroker --port "$BROKER_PORT" \
      --bind_address "$A_IP" --policy "$A/broker/policy.yaml" --secrets "$A/broker/secrets" \
      --ca "$A/broker/ca" --audit_log "$A/broker/audit.jsonl" \
      --trust_simulated_tee_insecure "$A/simulated-tee"
  else
    # tls mode: no broker, no attestation; a pre-made certificate and a plaintext model on B.
    log "B: ccserve tls oneway $SERVICE (pre-made certificate; NOTHING is attested in --mode tls)"
    ccserve tls oneway --out "$B/tls" "$SERVICE" > "$B/logs/tls.log" 2>&1 \
      || die "ccserve tls oneway failed; see $B/logs/tls.log"
    mkdir -p "$B/models/$MODEL"
    cp -r "$WORK/cache/plain-$arch/1" "$B/models/$MODEL/"
    cp "$B/tls/ca_cert.pem" "$B/ca.pem"
    cp "$B/tls/ca_cert.pem" "$C/ca.pem"
  fi

  # -- host B: the replicas (loopback of B only) and nginx in passthrough on B's address ------
  local r backends=""
  for ((r = 1; r <= replicas; r++)); do
    local how=()
    if [[ "$mode" == confidential ]]; then
      how=(--attestation simulated --simulated_tee_dir "$B/simulated-tee"
        --keybroker "$A_IP:$BROKER_PORT" --keybroker_ca "$B/ca.pem" --service_name "$SERVICE")
    else
      how=(--ssl_config_file "$B/tls/ssl.cfg")
    fi
    start b "server-$r" "$B/logs/server-$r.log" "${CCS[@]}" serve "${how[@]}" \
      --model_name "$MODEL" --model_base_path "$B/models/$MODEL" --bind_address 127.0.0.1 \
      --port "$(grpc_port "$r")" --rest_api_port "$(rest_port "$r")" \
      --file_system_poll_wait_seconds 0
    backends+="${backends:+,}127.0.0.1:$(grpc_port "$r"):$(rest_port "$r")"
  done
  # One worker: nginx's round robin state is per worker, so one worker spreads connections
  # evenly over the replicas (with several, two connections can both land on replica 1).
  "$root/deploy/nginx/render.sh" --prefix "$B/nginx" --mode passthrough --backends "$backends" \
    --listen-grpc "$B_IP:8500" --listen-rest "$B_IP:8501" --workers 1 \
    > "$B/logs/render.log" 2>&1 || die "render.sh failed; see $B/logs/render.log"
  start b nginx "$B/logs/nginx.log" nginx -c "$B/nginx/nginx.conf" -p "$B/nginx/" \
    -e "$B/nginx/logs/error.log" -g 'daemon off;'
  for ((r = 1; r <= replicas; r++)); do wait_available "$r"; done
  if [[ "$mode" == confidential ]]; then
    # The broker's audit log: one key release and one certificate per replica, to host B.
    local keys certs
    keys="$(grep -c "\"peer\":\"/$B_IP:[0-9]*\".*\"method\":\"GetSecrets\".*\"decision\":\"released\"" "$A/broker/audit.jsonl" || true)"
    certs="$(grep -c "\"peer\":\"/$B_IP:[0-9]*\".*\"method\":\"SignServingCertificate\".*\"decision\":\"issued\"" "$A/broker/audit.jsonl" || true)"
    result broker_key_releases "$keys"
    result broker_certificates "$certs"
    log "A's audit log: $keys key release(s) and $certs serving certificate(s) to host B ($B_IP)"
    ((keys >= replicas && certs >= replicas)) \
      || die "expected >= $replicas key releases and certificates to $B_IP in $A/broker/audit.jsonl, found $keys and $certs"
  fi

  # -- host C: the client, through nginx, verifying the server against the CA --------------
  local client=("${CCS[@]}" client -url "$B_IP:8500" --server_name "$SERVICE" -crt "$C/ca.pem"
    --model "$MODEL" -batch 1)
  local before=() after=()
  for ((r = 1; r <= replicas; r++)); do before[r]="$(predict_count "$r")"; done
  log "C: ccserve client -url $B_IP:8500 --server_name $SERVICE -crt ca.pem -cnum $replicas -loop $loop"
  on c "${client[@]}" -cnum "$replicas" -loop "$loop" --quiet --json "$C/balance.json" \
    > "$C/logs/client-balance.log" 2>&1 \
    || die "the client failed; see $C/logs/client-balance.log"
  local ok=1 n
  for ((r = 1; r <= replicas; r++)); do
    after[r]="$(predict_count "$r")"
    n=$((after[r] - before[r]))
    echo "replica $r: $n requests"
    result "replica_${r}_requests" "$n"
    ((n > 0)) || ok=0
  done
  result balance_succeeded "$(json_num "$C/balance.json" succeeded)"
  ((ok)) || die "a replica served no request (nginx balances per TCP connection; see $B/nginx/logs/stream-access.log)"
  log "every replica served requests"

  # -- fault: kill the last replica while the client runs; no request may be lost ----------
  if [[ "$fault" == kill ]]; then
    local victim="$replicas" vpid cpid
    vpid="$(pid_of "server-$victim")"
    for ((r = 1; r <= replicas; r++)); do before[r]="$(predict_count "$r")"; done
    log "C: client for ${fault_seconds}s with --retries $retries; SIGKILL replica $victim (pid $vpid) once it served requests"
    on c "${client[@]}" -cnum "$replicas" -loop 0 --duration "${fault_seconds}s" --retries "$retries" \
      --json "$C/fault.json" > "$C/logs/client-fault.log" 2>&1 &
    cpid=$!
    # Kill only once the victim demonstrably serves this client (else the kill proves nothing).
    local victim_served=0 waited=0
    while ((victim_served < 3)); do
      kill -0 "$cpid" 2>/dev/null || die "fault test: the client ended before replica $victim served 3 requests; see $C/logs/client-fault.log"
      ((waited < 600)) || die "fault test: replica $victim served no request within 60 s"
      sleep 0.1
      waited=$((waited + 1))
      victim_served=$(( $(predict_count "$victim") - before[victim] ))
    done
    for ((r = 1; r < replicas; r++)); do before[r]="$(predict_count "$r")"; done
    kill -KILL "$vpid"
    kill -0 "$cpid" 2>/dev/null || die "fault test: the client had already finished when replica $victim was killed; raise --fault_seconds"
    log "killed replica $victim (SIGKILL) after it served $victim_served requests of this run; the client is still running"
    local crc=0
    wait "$cpid" || crc=$?
    local requests succeeded errors retries survivors=0
    requests="$(json_num "$C/fault.json" requests)"
    succeeded="$(json_num "$C/fault.json" succeeded)"
    errors="$(json_num "$C/fault.json" errors)"
    retries="$(json_num "$C/fault.json" retries)"
    for ((r = 1; r < replicas; r++)); do
      survivors=$((survivors + $(predict_count "$r") - before[r]))
    done
    result fault_victim_served_before_kill "$victim_served"
    result fault_survivors_served_after_kill "$survivors"
    result fault_requests "$requests"
    result fault_succeeded "$succeeded"
    result fault_errors "$errors"
    result fault_retries "$retries"
    result fault_client_exit "$crc"
    log "fault: client sent $requests requests, $succeeded succeeded, $errors lost, $retries re-sent on a new connection; after the kill the survivors served $survivors"
    [[ -n "$requests" && "$requests" -gt 0 ]] || die "fault test: the client sent no request; see $C/logs/client-fault.log"
    [[ "$errors" == 0 && "$requests" == "$succeeded" && "$crc" == 0 ]] \
      || die "fault test: $errors of $requests requests were lost; see $C/logs/client-fault.log"
    ((survivors > 0)) || die "fault test: no surviving replica served requests after the kill"
    log "no request lost while replica $victim died"
  fi
  result result PASS
  if ((keep)); then
    log "--keep: everything stays up. Try:"
    echo "  ip netns exec $NS-c $(printf '%q ' "${CCS[@]}")client -url $B_IP:8500 --server_name $SERVICE -crt $C/ca.pem --model $MODEL -cnum 2 -loop 10"
    echo "  $0 down"
  fi
  log "PASS"
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    run) run "$@" ;;
    down) check_root_for_down; down; log "down: namespaces $NS-{a,b,c,sw} removed" ;;
    -h|--help|help|"") usage ;;
    *) die "unknown command '$cmd' (run, down; see --help)" ;;
  esac
}

check_root_for_down() { [[ "$(id -u)" == 0 ]] || die "must run as root (it deletes network namespaces)"; }

main "$@"
