#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine; safe to re-run (it skips what is there).
#   Java 17 and Maven (for the local Kafka broker), Prometheus (monitoring, promtool), uv (Python packages), the workspace's packages,
#   and the Kafka jars (cached in ~/.cache/work4life, fetched from Maven Central on first use).
# Sourced by run.sh and test.sh; can also be run on its own.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.8"
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python 3.11
export UV_LINK_MODE=copy

say() { echo "[setup] $*" >&2; }

# apt_install: waits for the package manager's lock when another program holds it.
source "$REPO/scripts/apt.sh"

command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven
command -v python3.11 >/dev/null || command -v python3 >/dev/null || apt_install python3
# Prometheus (server and promtool): the alert rules are checked with it, and run.sh starts it.
command -v promtool >/dev/null || apt_install prometheus

if ! command -v uv >/dev/null || [[ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]]; then
  say "installing uv $UV_VERSION"
  python3 -m pip install --quiet --root-user-action=ignore "uv==$UV_VERSION" 2>/dev/null \
    || python3 -m pip install --quiet --user "uv==$UV_VERSION"
  export PATH="$HOME/.local/bin:$PATH"
fi

say "installing the workspace's Python packages (uv sync)"
(cd "$REPO" && uv sync --all-packages --frozen --quiet)

# The web application's front-end packages, pinned by web/package-lock.json (axe-core, for the
# browser tests' accessibility checks); nothing is fetched when the app runs.
command -v npm >/dev/null || apt_install nodejs npm
if [[ ! -f "$REPO/web/node_modules/.package-lock.json" || "$REPO/web/package-lock.json" -nt "$REPO/web/node_modules/.package-lock.json" ]]; then
  say "installing the web application's front-end packages (npm ci)"
  (cd "$REPO/web" && npm ci --no-audit --no-fund --silent)
fi

"$REPO/deploy/kafka/kafka.sh" fetch
