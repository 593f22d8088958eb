#!/usr/bin/env bash
# make demo: what opencloser can do today, run for real on the shipped files.
# Part 1 starts the embedded Dataverse emulator and runs discover-crm against it. run-crm (the
# session pipeline against Dataverse) is not built yet; until it is, part 2 runs the domain core
# through `opencloser simulate`, which writes the session artifacts locally.
set -uo pipefail
build=${1:-build}
bin="$build/cli/opencloser"
fx=tests/fixtures
out=${DEMO_ARTIFACTS:-$build/demo-artifacts}
rm -rf "$out"
export OPENCLOSER_CLOCK_NOW=${OPENCLOSER_CLOCK_NOW:-2026-05-22T19:00:00.000Z}

mkdir -p "$out"
cat <<INTRO
opencloser demo

Part 1 — Dataverse: the embedded Web API emulator and discover-crm
  opencloser starts its Dataverse emulator in-process on a loopback port (seed:
  config/emulator-seed.json), authenticates like a real client (OAuth client credentials),
  and checks every table, column, option set and the regarding relationship that
  config/dataverse_mapping.json names against the live metadata. The result is a discovered,
  unapproved mapping a reviewer would approve; discovery only reads.

INTRO
"$bin" discover-crm --emulator config/emulator-seed.json --mapping config/dataverse_mapping.json \
  --out "$out/discovered-mapping.json" --emulator-dump "$out/emulator-state.json"
echo "   (exit code $?)"
echo "   emulator state after the run: $out/emulator-state.json" \
  "($(grep -c '"acme_callqueueid"' "$out/emulator-state.json") queue rows," \
  "$(grep -o '"writes": [0-9]*' "$out/emulator-state.json") — discovery wrote nothing)"
echo

cat <<INTRO
Part 2 — sessions through the domain core (run-crm against Dataverse comes next)
  Each scenario loads a queue item, checks eligibility at $OPENCLOSER_CLOCK_NOW (12:00 in
  Los Angeles), places a mock call from a transport fixture, runs the ALF persona on a
  conversation fixture, redacts the transcript and plans the write-back. Nothing is sent
  anywhere: the artifacts land in $out.

INTRO

scenario() {
  local title=$1 item=$2 transport=$3 conversation=${4:-}
  echo "== $title"
  local args=(simulate --queue-item "$fx/queue_items/$item.json"
    --transport-fixture "$fx/transport_events/$transport" --artifacts-dir "$out")
  [ -n "$conversation" ] && args+=(--conversation-fixture "$fx/conversations/$conversation")
  "$bin" "${args[@]}"
  echo "   (exit code $?)"
  echo
}

scenario "Owner asks for a callback on a weekday afternoon" ready standard callback_weekday_pm
scenario "Director gives an email, hears it read back, confirms" ready standard email_captured_director
scenario "Contact asks not to be called again" ready standard do_not_call
scenario "Unsure who they are talking to: human review" ready standard uncertain_role
scenario "Nobody answers" ready no_answer
scenario "A late 'failed' after 'completed' is audited, not obeyed" ready late_failed callback_weekday_pm
scenario "Row flagged do-not-call: blocked by eligibility (rule d)" dnc standard callback_weekday_pm
OPENCLOSER_CLOCK_NOW=2026-05-22T11:00:00.000Z \
  scenario "Everything wrong with the row, at 04:00 in Los Angeles: rules a, c, d, e, f" \
  everything_wrong standard
scenario "A malformed fixture is refused before anything is written" ready \
  ../malformed/transport_events/voicemail_string

echo "Artifacts of every session: $out"
ls "$out" | grep '^ses_' | head -20
first=$(ls "$out" | grep '^ses_' | head -1)
if [ -n "$first" ]; then
  echo
  echo "For example, $out/$first:"
  ls "$out/$first"
fi
