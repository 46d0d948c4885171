#!/usr/bin/env bash
# Sets everything up and runs the performance benchmarks (docs/PERFORMANCE.md explains them).
# Extra arguments go to `python -m benchmarks` (e.g. --size small, --only projection,
# --databases sqlite, --output figures.md). Starts Kafka and PostgreSQL if they are not running,
# and stops those it started. The full size takes about 40 minutes on 2 cores.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
source "$REPO/scripts/setup.sh"
export W4L_STATE_DIR="${W4L_STATE_DIR:-$REPO/.state}"

started_kafka=0; started_postgres=0
cleanup() {
  [[ $started_kafka == 1 ]] && "$REPO/deploy/kafka/kafka.sh" stop || true
  [[ $started_postgres == 1 ]] && "$REPO/deploy/postgres/postgres.sh" stop || true
}
trap cleanup EXIT

"$REPO/deploy/kafka/kafka.sh" status >/dev/null 2>&1 || started_kafka=1
"$REPO/deploy/kafka/kafka.sh" start
"$REPO/deploy/postgres/postgres.sh" status >/dev/null 2>&1 || started_postgres=1
"$REPO/deploy/postgres/postgres.sh" start

export W4L_BENCH_KAFKA_BOOTSTRAP="127.0.0.1:${W4L_KAFKA_PORT:-9092}"
export W4L_BENCH_POSTGRES_URL="$("$REPO/deploy/postgres/postgres.sh" url)"
uv run --frozen python -m benchmarks "$@"
