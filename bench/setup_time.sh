#!/usr/bin/env bash
# How long a new user waits: from a fresh clone with empty package caches, the seconds until
# `make run` answers /v1/health, then those `make test` spends setting up before its first test.
#     bench/setup_time.sh [REPOSITORY] [PORT]      (defaults: this checkout, 18650)
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/.." && pwd)}
port=${2:-18650}
work=$(mktemp -d)
trap 'pkill -f "serve --host 127.0.0.1 --port $port" || true; rm -rf "$work"' EXIT
export PIP_CACHE_DIR=$work/pip-cache UV_CACHE_DIR=$work/uv-cache

git clone -q "$repo" "$work/run" && cd "$work/run"
start=$(date +%s.%N)
make run PORT="$port" > "$work/run.log" 2>&1 &
until curl -sf "http://127.0.0.1:$port/v1/health" > /dev/null; do
    kill -0 $! 2> /dev/null || { cat "$work/run.log"; exit 1; }
    sleep 0.2
done
echo "make run: $(echo "$(date +%s.%N) - $start" | bc) s to the first answer," \
    "$(.venv/bin/python -m pip list 2> /dev/null | tail -n +3 | wc -l) packages in .venv"
pkill -f "serve --host 127.0.0.1 --port $port"

rm -rf "$PIP_CACHE_DIR" "$UV_CACHE_DIR"
git clone -q "$repo" "$work/test" && cd "$work/test"
start=$(date +%s.%N)
make .venv/.installed .venv-sdk-latest/.installed > "$work/test.log" 2>&1
echo "make test set-up: $(echo "$(date +%s.%N) - $start" | bc) s"
