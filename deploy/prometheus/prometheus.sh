#!/usr/bin/env bash
# A local Prometheus (Debian's package, no Docker) scraping the services of scripts/run.sh, with
# the project's alert rules.
#
#   deploy/prometheus/prometheus.sh start    install if missing, write the local config, start, wait until ready
#   deploy/prometheus/prometheus.sh stop
#   deploy/prometheus/prometheus.sh status
#   deploy/prometheus/prometheus.sh check    promtool: the config, the rules and the rules' unit tests
#
# The config is deploy/prometheus/prometheus.yml with each `<service>:<port>` target turned into
# 127.0.0.1:<port>. Settings: W4L_PROMETHEUS_PORT (default 9090), W4L_PROMETHEUS_TARGETS (e.g.
# "intake=127.0.0.1:41001,training=127.0.0.1:41002" for services on other ports),
# W4L_PROMETHEUS_INTERVAL (scrape and rule interval, default 15s), W4L_STATE_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$REPO/scripts/apt.sh"
PORT="${W4L_PROMETHEUS_PORT:-9090}"
STATE_ROOT="${W4L_STATE_DIR:-$REPO/.state}"
DIR="$STATE_ROOT/prometheus-$PORT"
INTERVAL="${W4L_PROMETHEUS_INTERVAL:-15s}"

log() { echo "[prometheus:$PORT] $*" >&2; }

install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  log "installing Prometheus from Debian's packages"
  apt_install prometheus
}

running() { [[ -f "$DIR/pid" ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; }

write_config() {
  mkdir -p "$DIR/data"
  cp "$HERE/alerts.yml" "$DIR/alerts.yml"
  local sed_args=(-e "s/^\(  *\)scrape_interval: .*/\1scrape_interval: $INTERVAL/"
                  -e "s/^\(  *\)evaluation_interval: .*/\1evaluation_interval: $INTERVAL/"
                  -e 's/"\([a-z]*\):\([0-9]*\)"/"127.0.0.1:\2"/')
  local pair
  local targets="${W4L_PROMETHEUS_TARGETS:-}"
  for pair in ${targets//,/ }; do
    sed_args+=(-e "/job_name: ${pair%%=*}\$/,/targets:/ s/targets: .*/targets: [\"${pair#*=}\"]/")
  done
  sed "${sed_args[@]}" "$HERE/prometheus.yml" >"$DIR/prometheus.yml"
  promtool check config "$DIR/prometheus.yml" >/dev/null
}

start() {
  install
  if running; then log "already running"; return 0; fi
  write_config
  prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
    --web.listen-address="127.0.0.1:$PORT" --web.enable-lifecycle >"$DIR/prometheus.log" 2>&1 &
  echo $! >"$DIR/pid"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; then
      log "ready on http://127.0.0.1:$PORT (config $DIR/prometheus.yml)"; return 0
    fi
    running || { log "exited at start-up:"; tail -20 "$DIR/prometheus.log" >&2; return 1; }
    sleep 0.2
  done
  log "not ready after 20 s"; return 1
}

stop() {
  if ! running; then log "not running"; rm -f "$DIR/pid"; return 0; fi
  local pid; pid="$(cat "$DIR/pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$DIR/pid"
  log "stopped"
}

check() {
  install
  promtool check config "$HERE/prometheus.yml"
  (cd "$HERE" && promtool test rules alerts.test.yml)
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then log "running (pid $(cat "$DIR/pid"))"; else log "not running"; exit 1; fi ;;
  check) check ;;
  *) echo "usage: $0 start|stop|status|check" >&2; exit 2 ;;
esac
