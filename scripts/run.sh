#!/usr/bin/env bash
# Sets everything up and runs Work4Life: a local Kafka broker, the services, the staff web
# application (http://127.0.0.1:8000) and Prometheus scraping them with the alert rules, until Ctrl-C.
#
#   scripts/run.sh              SQLite databases in .state/ (the embedded default)
#   scripts/run.sh --postgres   a local PostgreSQL server (Debian package) with one database per service
#   scripts/run.sh --keycloak   also a local Keycloak (deploy/keycloak/keycloak.sh), so that people sign
#                               in as in production (users: caseworker-rabat, programme-manager-oujda, ...;
#                               password = user name); the development sign-in stays offered
#
# Logs go to the console and to .state/logs/<service>.log. Ctrl-C stops the services (they finish
# in-flight work), then the broker and database that this script started.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
USE_POSTGRES=0; USE_KEYCLOAK=0
for arg in "$@"; do
  case "$arg" in
    --postgres) USE_POSTGRES=1 ;;
    --keycloak) USE_KEYCLOAK=1 ;;
    *) echo "unknown option $arg (use --postgres, --keycloak)" >&2; exit 2 ;;
  esac
done
WEB_PORT="${W4L_WEB_PORT:-8000}"

source "$REPO/scripts/setup.sh"

STATE="${W4L_STATE_DIR:-$REPO/.state}"
mkdir -p "$STATE/logs"
export W4L_STATE_DIR="$STATE"

# A development signing key for bearer tokens, shared by the services; `uv run w4l-token` mints
# tokens with it. A real deployment points the services at its identity provider instead.
if [[ ! -s "$STATE/dev-jwt-secret" ]]; then
  (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"$STATE/dev-jwt-secret")
fi
DEV_SECRET="$(cat "$STATE/dev-jwt-secret")"

# name:port of every service this script runs (more come as the services land).
SERVICES=(intake:8001 training:8002 enterprise:8003 employment:8004 reporting:8005)

started_kafka=0; started_postgres=0; started_prometheus=0; started_keycloak=0; pids=(); logfiles=(); tail_pid=

cleanup() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "$tail_pid" ]] && kill "$tail_pid" 2>/dev/null || true
  [[ $started_prometheus == 1 ]] && "$REPO/deploy/prometheus/prometheus.sh" stop || true
  [[ $started_keycloak == 1 ]] && "$REPO/deploy/keycloak/keycloak.sh" stop || true
  [[ $started_kafka == 1 ]] && "$REPO/deploy/kafka/kafka.sh" stop || true
  [[ $started_postgres == 1 ]] && "$REPO/deploy/postgres/postgres.sh" stop || true
  echo "[run] stopped"
}
trap cleanup INT TERM EXIT

for entry in "${SERVICES[@]}" "web:$WEB_PORT"; do
  port="${entry##*:}"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "[run] port $port (${entry%%:*}) is already in use: is Work4Life already running? Stop it first." >&2
    trap - INT TERM EXIT; exit 1
  fi
done

"$REPO/deploy/kafka/kafka.sh" status >/dev/null 2>&1 || started_kafka=1
"$REPO/deploy/kafka/kafka.sh" start
# Topics left by an older version kept Kafka's 7-day default; the services refuse to run on an event
# topic that would lose history (ADR 13), so the development broker's topics get the retention here.
"$REPO/.venv/bin/python" -m work4life.runtime.topics retain --bootstrap-servers "127.0.0.1:${W4L_KAFKA_PORT:-9092}" \
  | grep -m1 "^retention set on [1-9]" || true

if [[ $USE_POSTGRES == 1 ]]; then
  "$REPO/deploy/postgres/postgres.sh" status >/dev/null 2>&1 || started_postgres=1
  "$REPO/deploy/postgres/postgres.sh" start
  server_url="$("$REPO/deploy/postgres/postgres.sh" url)"
fi

ISSUER=""
if [[ $USE_KEYCLOAK == 1 ]]; then
  "$REPO/deploy/keycloak/keycloak.sh" status >/dev/null 2>&1 || started_keycloak=1
  "$REPO/deploy/keycloak/keycloak.sh" start
  ISSUER="$("$REPO/deploy/keycloak/keycloak.sh" url)"
fi

for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"; port="${entry##*:}"; prefix="W4L_${name^^}_"
  if [[ -n "$ISSUER" ]]; then
    export "${prefix}AUTH_ISSUER=$ISSUER" "${prefix}AUTH_JWKS_URL=$ISSUER/protocol/openid-connect/certs" \
      "${prefix}DOCS_OAUTH_CLIENT_ID=work4life-docs"  # /docs signs in through Keycloak too
  fi
  if [[ $USE_POSTGRES == 1 ]]; then
    uv run python - "$server_url" "w4l_$name" <<'PY'
import sys, psycopg
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1]).set(drivername="postgresql").render_as_string(hide_password=False)
with psycopg.connect(url, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[2],)).fetchone():
        conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PY
    export "${prefix}DATABASE_URL=${server_url%/*}/w4l_$name"
  fi
  export "${prefix}HTTP_PORT=$port" "${prefix}LOG_JSON=${W4L_LOG_JSON:-false}" "${prefix}AUTH_JWT_SECRET=$DEV_SECRET"
  "$REPO/.venv/bin/python" -m "work4life.$name" >>"$STATE/logs/$name.log" 2>&1 &
  pids+=($!)
  logfiles+=("$STATE/logs/$name.log")
done

# The staff web application, over every service's API (the services' development secret gives it
# the development sign-in; with --keycloak it also signs people in through Keycloak).
export W4L_WEB_HTTP_PORT="$WEB_PORT" W4L_WEB_LOG_JSON="${W4L_LOG_JSON:-false}" W4L_WEB_DEV_JWT_SECRET="$DEV_SECRET"
for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"; export "W4L_WEB_${name^^}_URL=http://127.0.0.1:${entry##*:}"
done
if [[ -n "$ISSUER" ]]; then
  export W4L_WEB_OIDC_ISSUER="$ISSUER" W4L_WEB_OIDC_CLIENT_SECRET=work4life-web-dev-secret
fi
"$REPO/.venv/bin/python" -m work4life.web >>"$STATE/logs/web.log" 2>&1 &
pids+=($!)
logfiles+=("$STATE/logs/web.log")
SERVICES+=("web:$WEB_PORT")

# Show every service's log on the console, each line prefixed with the file it came from.
tail -n 0 -F "${logfiles[@]}" 2>/dev/null &
tail_pid=$!

for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"; port="${entry##*:}"
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.25; done
done

# Prometheus scrapes the services and evaluates the alert rules (W4L_PROMETHEUS=0 to skip it).
prometheus_line="Prometheus: not started (W4L_PROMETHEUS=0)"
if [[ "${W4L_PROMETHEUS:-1}" == 1 ]]; then
  if "$REPO/deploy/prometheus/prometheus.sh" status >/dev/null 2>&1; then
    prometheus_line="Prometheus: already running on http://127.0.0.1:${W4L_PROMETHEUS_PORT:-9090}"
  elif "$REPO/deploy/prometheus/prometheus.sh" start; then
    started_prometheus=1
    prometheus_line="Prometheus: http://127.0.0.1:${W4L_PROMETHEUS_PORT:-9090} (alerts: /alerts)"
  else
    prometheus_line="Prometheus: could not start (see above); the services run without it"
  fi
fi

cat <<INFO

  Open http://127.0.0.1:$WEB_PORT and sign in$([[ -n "$ISSUER" ]] && echo " (Keycloak: caseworker-rabat / caseworker-rabat, or the development sign-in)" || echo " (development sign-in: pick a name, a role and an organisation)").

  Work4Life is running ($([[ $USE_POSTGRES == 1 ]] && echo PostgreSQL || echo "SQLite in $STATE")); Kafka on 127.0.0.1:${W4L_KAFKA_PORT:-9092}.

$(for entry in "${SERVICES[@]}"; do name="${entry%%:*}"; port="${entry##*:}"; [[ $name == web ]] && continue; printf '  %-10s http://127.0.0.1:%s/docs   (metrics: /metrics, health: /ready, AsyncAPI: /asyncapi.json)\n' "$name" "$port"; done)

  Try it (a caseworker's token, then a registration, then the count as an M&E viewer):
    TOKEN=\$(uv run w4l-token --role caseworker --org work4life --sub aicha)
    curl -s -X POST http://127.0.0.1:8001/v1/beneficiaries -H "Authorization: Bearer \$TOKEN" \\
      -H 'content-type: application/json' \\
      -d '{"given_name":"Aminata","family_name":"Traore","sex":"female","date_of_birth":"1996-04-02",
           "nationality":"CIV","legal_status":"asylum_seeker","region":"rabat_sale_kenitra","city":"Rabat",
           "consents":[{"purpose":"service_delivery"},{"purpose":"statistics"},
                       {"purpose":"referral","organisation":"training"}]}'
    curl -s http://127.0.0.1:8005/v1/registrations/summary \\
      -H "Authorization: Bearer \$(uv run w4l-token --role me_viewer --org work4life)"

  Refer that person to training (POST http://127.0.0.1:8001/v1/beneficiaries/<id>/referrals with
  {"service":"training","reason":"vocational_training"}), then see the training partner's candidates:
    curl -s http://127.0.0.1:8002/v1/candidates -H "Authorization: Bearer \$TOKEN"

  $prometheus_line.   One screen on the whole system: uv run w4l-status
  Logs: $STATE/logs/.   Ctrl-C stops everything.

INFO

# Run until Ctrl-C; stop everything as soon as one service exits on its own.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "[run] ${SERVICES[$i]%%:*} exited; last lines of its log:"; tail -20 "${logfiles[$i]}"; exit 1
    fi
  done
  sleep 1
done
