#!/usr/bin/env bash
# The cargo-fuzz targets in fuzz/ (fuzz/README.md), on nightly.
#
#   scripts/fuzz.sh                 every target for 1,000,000 executions (make fuzz)
#   scripts/fuzz.sh --smoke         every target for a few seconds (make test-fuzz)
#   scripts/fuzz.sh jose jwks       only these targets
#   FUZZ_RUNS=10000000 scripts/fuzz.sh   more executions
#
# Each run reads the committed seeds (fuzz/corpus/<target>/, never written) and keeps
# what it finds in fuzz/target/corpus/<target>/. A crash stops that target, leaves its
# input in fuzz/artifacts/<target>/ and makes the script fail; the full run goes on with
# the other targets and prints a table of executions and time per target (also written
# to fuzz/target/summary.md).
#
# Built with `-s none` (the core has no unsafe code, so AddressSanitizer adds nothing but
# time) and `-a` (debug assertions: integer overflow panics, as in debug builds).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

mode=full
targets=()
for arg in "$@"; do
  case "$arg" in
    --smoke) mode=smoke ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done

if ! command -v cargo-fuzz >/dev/null || ! rustup toolchain list | grep -q '^nightly'; then
  scripts/setup.sh
fi
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

FLAGS=(-s none -a)
# One build for every target, up front (the runs below then only run).
cargo +nightly fuzz build "${FLAGS[@]}"

runs="${FUZZ_RUNS:-1000000}"
case "$mode" in
  smoke) limit=(-max_total_time="${FUZZ_SECONDS:-3}") ;;
  full) limit=(-runs="$runs") ;;
esac

summary="${FUZZ_SUMMARY:-fuzz/target/summary.md}"
mkdir -p fuzz/target
{
  echo "| target | executions | seconds | exec/s | crashes |"
  echo "|---|---:|---:|---:|---:|"
} > "$summary"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/target/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/target/$t.log"
  start=$(date +%s)
  status=0
  cargo +nightly fuzz run "${FLAGS[@]}" "$t" "fuzz/target/corpus/$t" "fuzz/corpus/$t" -- \
    "${limit[@]}" -max_len=8192 -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  seconds=$(( $(date +%s) - start ))
  execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed+=("$t")
    grep -E 'panicked|SUMMARY|Test unit written' "$log" >&2 || tail -20 "$log" >&2
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$t" "${execs:-?}" "$seconds" "${rate:-?}" "$crashes" | tee -a "$summary"
  if [ "$mode" = smoke ] && [ "$status" -ne 0 ]; then
    break
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in ${failed[*]} (inputs in fuzz/artifacts/; logs in fuzz/target/*.log)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, no crash ($mode run; table in $summary)"
