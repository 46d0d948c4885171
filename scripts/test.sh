#!/usr/bin/env bash
# Sets everything up and runs every test: the contracts check, then unit, integration (real Kafka,
# SQLite and PostgreSQL) and end-to-end tests. Extra arguments go to pytest (e.g. -k outbox, -x).
# Starts Kafka and PostgreSQL if they are not running, and stops those it started.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
source "$REPO/scripts/setup.sh"
export W4L_STATE_DIR="${W4L_STATE_DIR:-$REPO/.state}"
# The dashboard's and the web application's tests drive a real headless browser (Debian's Chromium).
command -v chromium >/dev/null || apt_install chromium
export W4L_TEST_ARTEFACTS="${W4L_TEST_ARTEFACTS:-$W4L_STATE_DIR/artefacts}"   # the browser tests' screenshots land here

# The AsyncAPI project's CLI (pinned in scripts/asyncapi-cli/) validates every AsyncAPI document.
# Kept in the cache under its lockfile's hash, so a run reuses it where the machine allows and a
# fresh machine installs it (npm ci, about 2 minutes).
cli_lock="$REPO/scripts/asyncapi-cli/package-lock.json"
cli_dir="${W4L_CACHE_DIR:-$HOME/.cache/work4life}/asyncapi-cli-$(sha256sum "$cli_lock" | cut -c1-16)"
if [[ ! -x "$cli_dir/node_modules/.bin/asyncapi" ]]; then
  echo "[test] installing the AsyncAPI CLI (npm ci) into $cli_dir"
  rm -rf "$cli_dir.tmp" && mkdir -p "$cli_dir.tmp"
  cp "$REPO/scripts/asyncapi-cli/package.json" "$cli_lock" "$cli_dir.tmp/"
  (cd "$cli_dir.tmp" && npm ci --no-audit --no-fund --silent)
  rm -rf "$cli_dir" && mv "$cli_dir.tmp" "$cli_dir"
fi
export W4L_ASYNCAPI_CLI="$cli_dir/node_modules/.bin/asyncapi"

started_kafka=0; started_postgres=0; started_keycloak=0
cleanup() {
  [[ $started_keycloak == 1 ]] && "$REPO/deploy/keycloak/keycloak.sh" stop || true
  [[ $started_kafka == 1 ]] && "$REPO/deploy/kafka/kafka.sh" stop || true
  [[ $started_postgres == 1 ]] && "$REPO/deploy/postgres/postgres.sh" stop || true
}
trap cleanup EXIT

"$REPO/deploy/kafka/kafka.sh" status >/dev/null 2>&1 || started_kafka=1
# A broker this script starts starts empty, as on a clean clone: the tests' namespaced topics of
# earlier runs would otherwise pile up in .state (16,000 partitions ran the broker out of heap).
[[ $started_kafka == 1 ]] && "$REPO/deploy/kafka/kafka.sh" reset
"$REPO/deploy/kafka/kafka.sh" start
"$REPO/deploy/postgres/postgres.sh" status >/dev/null 2>&1 || started_postgres=1
"$REPO/deploy/postgres/postgres.sh" start
# The staff web application's browser tests sign in through a real Keycloak (Maven Central).
"$REPO/deploy/keycloak/keycloak.sh" status >/dev/null 2>&1 || started_keycloak=1
"$REPO/deploy/keycloak/keycloak.sh" start

export W4L_TEST_KAFKA_BOOTSTRAP="127.0.0.1:${W4L_KAFKA_PORT:-9092}"
export W4L_TEST_POSTGRES_URL="$("$REPO/deploy/postgres/postgres.sh" url)"
export W4L_TEST_KEYCLOAK_URL="$("$REPO/deploy/keycloak/keycloak.sh" url)"
export W4L_TEST_REQUIRE_REAL=1   # a missing broker or database fails the run instead of skipping

echo "[test] lint and format (ruff)"
uv run --frozen ruff check .
uv run --frozen ruff format --check .

echo "[test] types (mypy; strict on the runtime and the contracts)"
uv run --frozen mypy

echo "[test] contracts compatibility check"
uv run --frozen w4l-contracts check

echo "[test] pytest"
set +e
uv run --frozen pytest --durations=15 "$@"
status=$?
set -e
if [[ $status == 5 ]]; then echo "[test] pytest collected no tests: that is a failure here" >&2; exit 1; fi
exit $status
