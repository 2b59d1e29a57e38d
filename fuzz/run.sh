#!/usr/bin/env bash
# Builds both fuzz targets, then runs them side by side (one core each) for
# SECONDS_EACH seconds (default 900) with the committed seeds; logs go to
# fuzz/logs/. cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the
# stable toolchain provide them.
set -euo pipefail
cd "$(dirname "$0")"
each=${SECONDS_EACH:-900}
mkdir -p logs corpus/stamp_bytes corpus/stamp_structured
RUSTC_BOOTSTRAP=1 cargo fuzz build -O
bin=target/x86_64-unknown-linux-gnu/release
pids=()
for t in stamp_bytes stamp_structured; do
  mkdir -p "artifacts/$t"
  "$bin/$t" "corpus/$t" "seeds/$t" -max_total_time="$each" -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in 0 1; do wait "${pids[$i]}" || status=1; done
for t in stamp_bytes stamp_structured; do
  echo "== $t"; grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|cov:' "logs/$t.log" | tail -n 4
  ls "artifacts/$t" 2>/dev/null | sed 's/^/crash: /'
done
exit $status
