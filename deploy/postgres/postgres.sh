#!/usr/bin/env bash
# A local PostgreSQL server for development and tests, from Debian's packages, without Docker.
#
#   deploy/postgres/postgres.sh install   apt-get install postgresql if it is missing
#   deploy/postgres/postgres.sh start     install, initialise a cluster on first start, start, wait until ready
#   deploy/postgres/postgres.sh stop      stop (fast shutdown)
#   deploy/postgres/postgres.sh status
#   deploy/postgres/postgres.sh url       print the SQLAlchemy URL of the server
#
# The cluster lives in $W4L_STATE_DIR/postgres-<port> and belongs to the `postgres` system user;
# it listens on 127.0.0.1 only, with password authentication for the `work4life` user.
# Settings: W4L_POSTGRES_PORT (default 55432), W4L_STATE_DIR (default <repo>/.state).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$REPO/scripts/apt.sh"
PORT="${W4L_POSTGRES_PORT:-55432}"
STATE_ROOT="${W4L_STATE_DIR:-$REPO/.state}"
DATA="$STATE_ROOT/postgres-$PORT"
USER_NAME="work4life"
PASSWORD="${W4L_POSTGRES_PASSWORD:-work4life-dev}"

log() { echo "[postgres:$PORT] $*" >&2; }

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [[ -n "$dir" ]] && echo "$dir"
}

as_postgres() { runuser -u postgres -- "$@"; }

install() {
  if [[ -n "$(bindir)" ]]; then return 0; fi
  log "installing PostgreSQL from Debian's packages"
  apt_install postgresql
  # Debian starts its own cluster on 5432; this project runs its own, so leave that one alone.
}

running() { [[ -n "$(bindir)" ]] && [[ -f "$DATA/postmaster.pid" ]] && as_postgres "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  install
  local bin; bin="$(bindir)"
  if running; then log "already running"; return 0; fi
  mkdir -p "$STATE_ROOT"
  # The postgres user must be able to reach the data directory.
  chmod o+x "$STATE_ROOT" "$(dirname "$STATE_ROOT")" 2>/dev/null || true
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initialising a cluster in $DATA"
    mkdir -p "$DATA"; chown postgres:postgres "$DATA"; chmod 700 "$DATA"
    local pwfile; pwfile="$(mktemp)"; echo "$PASSWORD" >"$pwfile"; chown postgres "$pwfile"
    as_postgres "$bin/initdb" -D "$DATA" -U "$USER_NAME" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 200
shared_buffers = 256MB
CONF
  fi
  as_postgres "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null
  log "ready on 127.0.0.1:$PORT ($(url))"
}

stop() {
  if ! running; then log "not running"; return 0; fi
  as_postgres "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  log "stopped"
}

url() { echo "postgresql+psycopg://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/postgres"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running; then log "running"; else log "not running"; exit 3; fi ;;
  url) url ;;
  *) echo "usage: $0 {install|start|stop|status|url}" >&2; exit 2 ;;
esac
