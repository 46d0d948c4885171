#!/usr/bin/env bash
# A real Keycloak for development and tests, without Docker: the identity provider that the staff
# web application (web/) signs people in with. Runs `kc.sh start-dev` (embedded database, plain
# HTTP on 127.0.0.1) with the committed realm work4life-realm.json imported: the four roles, an
# `org` claim, one user per role and organisation (password = user name). Never for production.
#
#   deploy/keycloak/keycloak.sh fetch     resolve the pinned distribution from Maven Central into the cache
#   deploy/keycloak/keycloak.sh start     fetch, unpack, import the realm, start, wait until the realm answers
#   deploy/keycloak/keycloak.sh stop      stop (SIGTERM, then SIGKILL after a grace period)
#   deploy/keycloak/keycloak.sh status    say whether it runs
#   deploy/keycloak/keycloak.sh url       print the realm's issuer URL
#
# Settings (environment):
#   W4L_KEYCLOAK_PORT   HTTP port (default 8180); the management port is port+1
#   W4L_STATE_DIR       where the server, its data, logs and the pid live (default <repo>/.state)
#   W4L_CACHE_DIR       where the zip is cached (default ~/.cache/work4life)
#   W4L_KEYCLOAK_HEAP   JVM heap (default 512m)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VERSION="26.7.3"
PORT="${W4L_KEYCLOAK_PORT:-8180}"
CACHE_DIR="${W4L_CACHE_DIR:-$HOME/.cache/work4life}"
ZIP="$CACHE_DIR/keycloak-quarkus-dist-$VERSION.zip"
STATE="${W4L_STATE_DIR:-$REPO/.state}/keycloak-$PORT"
HOME_DIR="$STATE/keycloak-$VERSION"
PIDFILE="$STATE/keycloak.pid"
LOGFILE="$STATE/keycloak.log"
REALM_URL="http://127.0.0.1:$PORT/realms/work4life"

log() { echo "[keycloak:$PORT] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

fetch() {
  [[ -s "$ZIP" ]] && return 0
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch Keycloak: apt-get install maven"; exit 1; }
  log "fetching Keycloak $VERSION (about 180 MB) from Maven Central into $CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  local tmp="$CACHE_DIR/keycloak.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -B -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:zip" \
        -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
    log "Maven could not resolve keycloak-quarkus-dist $VERSION (see above)"; exit 1
  fi
  mv "$tmp/keycloak-quarkus-dist-$VERSION.zip" "$ZIP"
  rm -rf "$tmp" "$tmp.log"
}

unpack() {
  [[ -x "$HOME_DIR/bin/kc.sh" ]] && return 0
  command -v unzip >/dev/null || python3 -c 'import zipfile' || { log "unzip is needed"; exit 1; }
  log "unpacking into $STATE"
  mkdir -p "$STATE"
  python3 - "$ZIP" "$STATE" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = info.external_attr >> 16
        if mode:
            os.chmod(path, mode & 0o777)
PY
}

start() {
  if running; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  if port_open "$PORT"; then log "port $PORT is taken by another process; set W4L_KEYCLOAK_PORT"; exit 1; fi
  command -v java >/dev/null || { log "Java 17+ is needed to run Keycloak: apt-get install openjdk-17-jre-headless"; exit 1; }
  fetch
  unpack
  mkdir -p "$HOME_DIR/data/import"
  cp "$HERE/work4life-realm.json" "$HOME_DIR/data/import/work4life-realm.json"
  log "starting (logs: $LOGFILE)"
  # The realm is imported on every start (IGNORE_EXISTING keeps what the embedded database holds).
  JAVA_OPTS_KC_HEAP="-Xms128m -Xmx${W4L_KEYCLOAK_HEAP:-512m}" \
  KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
    setsid "$HOME_DIR/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$PORT" \
      --http-management-port="$((PORT + 1))" --hostname-strict=false --import-realm \
      >>"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 240); do
    if curl -sf "$REALM_URL/.well-known/openid-configuration" >/dev/null 2>&1; then
      log "ready: $REALM_URL (pid $(cat "$PIDFILE"))"; return 0
    fi
    if ! running; then tail -40 "$LOGFILE" >&2; log "exited during start-up (see above)"; exit 1; fi
    sleep 0.5
  done
  tail -40 "$LOGFILE" >&2; log "the realm did not answer after 120 s"; exit 1
}

stop() {
  if ! running; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  # kc.sh execs java; its process group holds the JVM.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null; then rm -f "$PIDFILE"; log "stopped"; return 0; fi
    sleep 0.5
  done
  log "still running after 30 s: killing"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

status() {
  if running && curl -sf "$REALM_URL/.well-known/openid-configuration" >/dev/null 2>&1; then
    log "running (pid $(cat "$PIDFILE"))"
  else
    log "not running"; return 3
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "$REALM_URL" ;;
  *) echo "usage: $0 {fetch|start|stop|status|url}" >&2; exit 2 ;;
esac
