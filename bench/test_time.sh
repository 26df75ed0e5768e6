#!/usr/bin/env bash
# How long a contributor waits for an answer: from a fresh clone (the package caches as they
# are), the seconds `make test` takes (setting up .venv, both SDK releases, the browser check,
# every test, coverage), then the seconds `make check` takes in that clone, set up by then.
# Each run prints its figures and the pytest summary lines; a failing target stops the script,
# showing the end of its log.
#     bench/test_time.sh [REPOSITORY] [RUNS]      (defaults: this checkout's HEAD, 1)
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/.." && pwd)}
runs=${2:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timed() {  # timed LOG TARGET: runs make TARGET in the clone, prints its seconds
    local log=$1 target=$2 start
    start=$(date +%s.%N)
    if ! make --no-print-directory "$target" > "$log" 2>&1; then
        tail -n 60 "$log"
        # The clone goes with the script's exit; its log is kept for what 60 lines do not show.
        kept=$(mktemp --tmpdir "test_time-$target-XXXXXX.log")
        cp "$log" "$kept"
        echo "make $target failed (log above, whole in $kept)" >&2
        exit 1
    fi
    printf 'make %s: %.0f s' "$target" "$(echo "$(date +%s.%N) - $start" | bc)"
    # pytest's summary, with the coverage total when there is one.
    echo " ($(grep -E '^=+ .*(passed|failed).* =+$' "$log" | tr -d '=' | xargs | paste -sd';')$(
        grep -E '^TOTAL ' "$log" | awk '{print "; coverage " $NF}'))"
}

for run in $(seq "$runs"); do
    git clone -q "$repo" "$work/$run" && cd "$work/$run"
    echo "run $run of $runs, $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    timed "$work/test-$run.log" test
    timed "$work/check-$run.log" check
    cd "$work" && rm -rf "${work:?}/$run"
done
