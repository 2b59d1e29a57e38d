#!/usr/bin/env bash
# Runs both fuzz targets one after the other, SECONDS_EACH seconds each
# (default 900), with the committed seeds; logs go to fuzz/logs/.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable
# toolchain provide them.
set -euo pipefail
cd "$(dirname "$0")"
each=${SECONDS_EACH:-900}
mkdir -p logs corpus/stamp_bytes corpus/stamp_structured
for t in stamp_bytes stamp_structured; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$each" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
    > "logs/$t.log" 2>&1 || { echo "$t: crash, see fuzz/logs/$t.log and fuzz/artifacts/$t/"; exit 1; }
  tail -n 3 "logs/$t.log"
done
