#!/usr/bin/env bash
# The main job on one example, end to end: validate, explain, draw, build every target, then run
# the Flow on this machine, send it a request and stop it. Called by `make demo`.
set -euo pipefail
BIN=${BIN:-.venv/bin}
FLOW=${1:-examples/chain/flow.yml}
OUT=${OUT:-out}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "flowc validate $FLOW"
"$BIN/flowc" validate "$FLOW"
step "flowc explain $FLOW"
"$BIN/flowc" explain "$FLOW"
step "flowc graph $FLOW --format mermaid"
"$BIN/flowc" graph "$FLOW" --format mermaid
for target in k8s compose systemd local; do
  step "flowc build $FLOW --target $target -o $OUT/$target"
  "$BIN/flowc" build "$FLOW" --target "$target" -o "$OUT/$target" --image registry.example/chain:0.1.0
  (cd "$OUT/$target" && find . -type f | sort | sed 's/^\.\//  /')
done

step "flowc run $FLOW  (then one request, then Ctrl-C)"
log=$(mktemp)
"$BIN/flowc" run "$FLOW" >"$log" 2>&1 &
run_pid=$!
trap 'kill -TERM $run_pid 2>/dev/null || true; wait $run_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  grep -q "is ready" "$log" && break
  kill -0 $run_pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
cat "$log"
step "flowc post $FLOW --on /default --data '[\"hello\", \"world\"]'"
"$BIN/flowc" post "$FLOW" --on /default --data '["hello", "world"]'
kill -INT $run_pid
wait $run_pid
trap - EXIT
tail -n 3 "$log"
rm -f "$log"
