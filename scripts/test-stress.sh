#!/usr/bin/env bash
# pnpm test:stress [runs]: the flakiness check. Builds once, then runs the whole test suite `runs`
# times in a row (default 10, or STRESS_RUNS) while a second copy of the suite runs beside it in a
# loop, so every run happens on a loaded machine. Prints one line per run and the tally; exits 1 if
# any run failed, keeping the failed runs' logs.
#
# STRESS_TEST_COMMAND replaces the suite (e.g. one package:
#   STRESS_TEST_COMMAND="pnpm --filter @langchain-observability/core test" pnpm test:stress 5).
# Heavy: two full suites at once for several minutes. Run it before merging a change to tests,
# timers, the queue, the HTTP client or an emulator, not in a loop on a shared machine.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-${STRESS_RUNS:-10}}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "test:stress: the number of runs must be a positive integer, got \"$runs\"" >&2
  exit 2
fi
# Tests only (their builds come first, once), never from turbo's cache.
command="${STRESS_TEST_COMMAND:-pnpm -s test --only --cache=local:,remote: --output-logs=errors-only}"
logs="$(mktemp -d "${TMPDIR:-/tmp}/test-stress.XXXXXX")"

if [ -z "${STRESS_TEST_COMMAND:-}" ]; then
  echo "test:stress: building once"
  if ! pnpm -s build --output-logs=errors-only >"$logs/build.log" 2>&1; then
    echo "test:stress: the build failed; see $logs/build.log" >&2
    exit 1
  fi
fi

# The load beside the measured runs: the same suite, again and again, in its own process group so
# that it (and everything it started) can be stopped by its id at the end.
setsid bash -c "while :; do $command >>\"$logs/load.log\" 2>&1; echo \"load run exited \$?\" >>\"$logs/load.log\"; done" &
load_pid=$!
stop_load() {
  kill -TERM -- "-$load_pid" 2>/dev/null
  wait "$load_pid" 2>/dev/null
}
trap 'stop_load; exit 130' INT TERM

passed=0
failed=0
failed_runs=()
for run in $(seq 1 "$runs"); do
  started=$(date +%s)
  if bash -c "$command" >"$logs/run-$run.log" 2>&1; then
    passed=$((passed + 1))
    echo "test:stress: run $run/$runs passed ($(($(date +%s) - started)) s)"
    rm -f "$logs/run-$run.log"
  else
    failed=$((failed + 1))
    failed_runs+=("$run")
    echo "test:stress: run $run/$runs FAILED ($(($(date +%s) - started)) s): $logs/run-$run.log"
  fi
done

stop_load
trap - INT TERM
load_runs=$(grep -c "^load run exited" "$logs/load.log" 2>/dev/null || true)
echo "test:stress: $passed of $runs runs passed, $failed failed (with ${load_runs:-0} suite run(s) beside them)"
if [ "$failed" -gt 0 ]; then
  echo "test:stress: failed runs: ${failed_runs[*]}; logs in $logs" >&2
  exit 1
fi
rm -rf "$logs"
