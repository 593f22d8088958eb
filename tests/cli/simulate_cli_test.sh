#!/usr/bin/env bash
# The `opencloser simulate` contract through the real executable: exit codes, labelled output,
# one-line errors, and bad input that writes nothing (fixtures.md §7, cli.md §1).
set -u
bin=$1
fx=$2
source "$(dirname "$0")/check.sh"
export OPENCLOSER_CLOCK_NOW=2026-05-22T19:00:00.000Z
run() {  # run <artifacts dir> <args…>: sets rc, out, err
  local dir=$1; shift
  "$bin" simulate --artifacts-dir "$dir" --config config/slice1.toml \
    --slice2-config config/slice2.toml "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

run "$tmp/a1" --queue-item "$fx/queue_items/ready.json" \
  --transport-fixture "$fx/transport_events/standard" \
  --conversation-fixture "$fx/conversations/callback_weekday_pm.json"
check "happy path exits 0" test "$rc" -eq 0
check "labelled exit_status line" grep -qx 'exit_status:           completed' "$tmp/out"
check "labelled disposition line" grep -qx 'final_disposition:     interested_callback_requested' "$tmp/out"
sid=$(sed -n 's/^session_id: *//p' "$tmp/out")
check "session id printed" test -n "$sid"
for f in eligibility-decision.json session-result.json planned-writeback.json writeback.json task.json transcript.txt; do
  check "artifact $f written" test -f "$tmp/a1/$sid/$f"
done

run "$tmp/a2" --queue-item "$fx/queue_items/dnc.json" \
  --transport-fixture "$fx/transport_events/standard"
check "DNC row exits 1" test "$rc" -eq 1
check "DNC row prints block_reason" grep -qx 'block_reason:          eligibility' "$tmp/out"

# Malformed fixtures: exit 2, one error line naming the file, no artifact directory at all —
# for an eligible row and for a row that would be blocked.
for item in ready dnc; do
  for bad in voicemail_string ts_no_millis invalid_json missing_timestamp; do
    run "$tmp/bad-$item-$bad" --queue-item "$fx/queue_items/$item.json" \
      --transport-fixture "$fx/malformed/transport_events/$bad"
    check "$item/$bad exits 2" test "$rc" -eq 2
    check "$item/$bad one error line" test "$(wc -l <"$tmp/err")" -eq 1
    check "$item/$bad error names the file" grep -q "^error:       .*$bad.json" "$tmp/err"
    check "$item/$bad wrote nothing" test ! -e "$tmp/bad-$item-$bad"
  done
done
run "$tmp/bad-conv" --queue-item "$fx/queue_items/ready.json" \
  --transport-fixture "$fx/transport_events/standard" \
  --conversation-fixture "$fx/malformed/conversations/root_array.json"
check "malformed conversation exits 2 and writes nothing" test "$rc" -eq 2 -a ! -e "$tmp/bad-conv"
run "$tmp/bad-stem" --queue-item "$fx/queue_items/ready.json" --transport-fixture "$fx/.."
check "'..' stem rejected" grep -q "invalid transport fixture id" "$tmp/err"
run "$tmp/bad-item" --queue-item "$fx/malformed/queue_items/unknown_key.json" \
  --transport-fixture "$fx/transport_events/standard"
check "queue item with an unknown key exits 2" test "$rc" -eq 2 -a ! -e "$tmp/bad-item"

printf '[call_window]\nstart = "09:00"\n' >"$tmp/bad.toml"
"$bin" simulate --config "$tmp/bad.toml" --queue-item "$fx/queue_items/ready.json" \
  --transport-fixture "$fx/transport_events/standard" --artifacts-dir "$tmp/cfg" 2>"$tmp/err" >/dev/null
rc=$?
check "bad config exits 2" test "$rc" -eq 2
check "bad config message" grep -q "^error:       config load failed: $tmp/bad.toml" "$tmp/err"

"$bin" simulate --queue-item 2>/dev/null; rc=$?
check "usage error exits 2" test "$rc" -eq 2
"$bin" --version >"$tmp/out"; rc=$?
check "--version exits 0 and names the product" test "$rc" -eq 0 -a "$(cat "$tmp/out")" = "opencloser 0.1.0"

finish
