#!/usr/bin/env bash
# Renders an nginx config for N ccserve replicas from one of the templates beside this script.
# The result runs fully under PREFIX (pid, logs, temp paths):
#   nginx -c PREFIX/nginx.conf -p PREFIX/ -e PREFIX/logs/error.log
# See docs/deployment-kubernetes.md ("nginx in front of N replicas").
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: render.sh --prefix DIR [--mode passthrough|terminating-INSECURE]
                 [--replicas N] [--backend-host HOST] [--backend-grpc-port P] [--backend-rest-port P]
                 [--port-step S] | [--backends HOST:GRPC_PORT:REST_PORT[,HOST:GRPC_PORT:REST_PORT...]]
                 [--listen-grpc [ADDR:]PORT] [--listen-rest [ADDR:]PORT]
                 [--max-fails N] [--fail-timeout DURATION] [--next-upstream-tries N]
                 [--workers N|auto] [--stream-module PATH]
   terminating-INSECURE only:
                 --tls-cert PEM --tls-key PEM --backend-ca PEM [--backend-tls-name NAME]

Replica i (0-based) of --replicas N listens on BACKEND_GRPC_PORT + i*STEP and
BACKEND_REST_PORT + i*STEP on --backend-host (defaults 127.0.0.1, 9000, 9001, step 10);
--backends lists replicas explicitly instead (e.g. one per host: 10.77.0.2:8500:8501,...).
Defaults: mode passthrough, listen 8500/8501, max_fails 1, fail_timeout 10s, tries 2,
workers auto, stream module /usr/lib/nginx/modules/ngx_stream_module.so.
Writes PREFIX/nginx.conf and creates PREFIX/logs and PREFIX/tmp.
USAGE
}

die() { echo "render.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=passthrough prefix="" replicas=2 backends=""
backend_host=127.0.0.1 backend_grpc_port=9000 backend_rest_port=9001 port_step=10
listen_grpc=8500 listen_rest=8501 max_fails=1 fail_timeout=10s tries=2 workers=auto
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
tls_cert="" tls_key="" backend_ca="" backend_tls_name=grpc.tf-serving.service.com

while [ $# -gt 0 ]; do
  case "$1" in -h|--help) usage; exit 0 ;; esac
  [ $# -ge 2 ] || die "option $1 needs a value"
  case "$1" in
    --mode) mode="$2" ;;
    --prefix) prefix="$2" ;;
    --replicas) replicas="$2" ;;
    --backends) backends="$2" ;;
    --backend-host) backend_host="$2" ;;
    --backend-grpc-port) backend_grpc_port="$2" ;;
    --backend-rest-port) backend_rest_port="$2" ;;
    --port-step) port_step="$2" ;;
    --listen-grpc) listen_grpc="$2" ;;
    --listen-rest) listen_rest="$2" ;;
    --max-fails) max_fails="$2" ;;
    --fail-timeout) fail_timeout="$2" ;;
    --next-upstream-tries) tries="$2" ;;
    --workers) workers="$2" ;;
    --stream-module) stream_module="$2" ;;
    --tls-cert) tls_cert="$2" ;;
    --tls-key) tls_key="$2" ;;
    --backend-ca) backend_ca="$2" ;;
    --backend-tls-name) backend_tls_name="$2" ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift 2
done

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
[ -n "$prefix" ] || die "--prefix DIR is required"
case "$mode" in
  passthrough) template="$here/passthrough.conf.template" ;;
  terminating-INSECURE) template="$here/terminating-INSECURE.conf.template" ;;
  *) die "--mode must be passthrough or terminating-INSECURE, found '$mode'" ;;
esac
for v in max_fails tries port_step backend_grpc_port backend_rest_port; do
  is_uint "${!v}" || die "--${v//_/-} must be a non-negative integer, found '${!v}'"
done
[[ "$fail_timeout" =~ ^[0-9]+(ms|s|m)?$ ]] || die "--fail-timeout must be an nginx time like 10s, found '$fail_timeout'"
[[ "$workers" =~ ^([1-9][0-9]*|auto)$ ]] || die "--workers must be a positive integer or auto, found '$workers'"
listen_re='^([^[:space:];{}]+:)?[0-9]+$'
[[ "$listen_grpc" =~ $listen_re ]] || die "--listen-grpc must be [ADDR:]PORT, found '$listen_grpc'"
[[ "$listen_rest" =~ $listen_re ]] || die "--listen-rest must be [ADDR:]PORT, found '$listen_rest'"

# Backend list: "host grpc_port rest_port" per line.
list=""
host_re='^[^[:space:]:;{}]+$'
backend_re='^([^[:space:]:;{}]+):([0-9]+):([0-9]+)$'
if [ -n "$backends" ]; then
  IFS=',' read -r -a items <<< "$backends"
  for item in "${items[@]}"; do
    [[ "$item" =~ $backend_re ]] \
      || die "--backends entries must be HOST:GRPC_PORT:REST_PORT, found '$item'"
    list+="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"$'\n'
  done
else
  if ! is_uint "$replicas" || [ "$replicas" -lt 1 ]; then
    die "--replicas must be an integer >= 1, found '$replicas'"
  fi
  [[ "$backend_host" =~ $host_re ]] || die "--backend-host must be a host name or IPv4 address, found '$backend_host'"
  for ((i = 0; i < replicas; i++)); do
    list+="$backend_host $((backend_grpc_port + i * port_step)) $((backend_rest_port + i * port_step))"$'\n'
  done
fi

grpc_servers="" rest_servers=""
while read -r host gport rport; do
  [ -n "$host" ] || continue
  grpc_servers+="        server ${host}:${gport} max_fails=${max_fails} fail_timeout=${fail_timeout};"$'\n'
  rest_servers+="        server ${host}:${rport} max_fails=${max_fails} fail_timeout=${fail_timeout};"$'\n'
done <<< "$list"

if [ "$mode" = terminating-INSECURE ]; then
  for f in tls_cert tls_key backend_ca; do
    [ -n "${!f}" ] || die "--mode terminating-INSECURE needs --${f//_/-} FILE"
    [ -r "${!f}" ] || die "--${f//_/-} '${!f}' is not a readable file"
  done
  tls_cert="$(cd "$(dirname "$tls_cert")" && pwd)/$(basename "$tls_cert")"
  tls_key="$(cd "$(dirname "$tls_key")" && pwd)/$(basename "$tls_key")"
  backend_ca="$(cd "$(dirname "$backend_ca")" && pwd)/$(basename "$backend_ca")"
  echo "render.sh: WARNING: terminating-INSECURE: nginx (on the untrusted host) sees plaintext" >&2
fi

mkdir -p "$prefix/logs" "$prefix/tmp"
prefix="$(cd "$prefix" && pwd)"

export NGINX_PREFIX="$prefix" NGINX_STREAM_MODULE="$stream_module" NGINX_WORKER_PROCESSES="$workers"
export GRPC_UPSTREAM_SERVERS="${grpc_servers%$'\n'}" REST_UPSTREAM_SERVERS="${rest_servers%$'\n'}"
export LISTEN_GRPC="$listen_grpc" LISTEN_REST="$listen_rest" NEXT_UPSTREAM_TRIES="$tries"
export TLS_CERT="$tls_cert" TLS_KEY="$tls_key" BACKEND_CA="$backend_ca" BACKEND_TLS_NAME="$backend_tls_name"
# shellcheck disable=SC2016 # the literal list of variables envsubst may replace
vars='${NGINX_PREFIX} ${NGINX_STREAM_MODULE} ${NGINX_WORKER_PROCESSES} ${GRPC_UPSTREAM_SERVERS} ${REST_UPSTREAM_SERVERS} ${LISTEN_GRPC} ${LISTEN_REST} ${NEXT_UPSTREAM_TRIES} ${TLS_CERT} ${TLS_KEY} ${BACKEND_CA} ${BACKEND_TLS_NAME}'
envsubst "$vars" < "$template" > "$prefix/nginx.conf"

echo "$prefix/nginx.conf"
echo "run: nginx -c $prefix/nginx.conf -p $prefix/ -e $prefix/logs/error.log" >&2
