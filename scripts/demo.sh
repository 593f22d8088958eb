#!/usr/bin/env bash
# make demo: opencloser against a Dataverse emulator, on the shipped files only (cli.md §10).
#
# One stand-alone emulator plays the organisation for the whole demo, because the runs must see
# each other's writes (an embedded `--emulator` lives and dies with one opencloser process). The
# script then runs discover-crm, a dry-run and five write runs, stops the emulator so that it
# writes its state dump, and summarises the records from that dump. One last run shows the
# embedded emulator. Every product output is shown verbatim, followed by a plain-English reading.
#
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build; everything lands in BUILD_DIR/demo)
# Exits non-zero as soon as any run ends differently from what the demo expects.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_arg=${1:-build}
[ -d "$build_arg" ] || { echo "error: build directory '$build_arg' not found (run make build)" >&2; exit 2; }
build=$(cd "$build_arg" && pwd)
cd "$repo"
# Inside the repository, relative paths keep every printed line (the product's too) short.
build=${build#"$repo/"}

bin=$build/cli/opencloser
[ -x "$bin" ] || { echo "error: $bin not found (run make build)" >&2; exit 2; }

seed=config/emulator-seed.json
mapping=config/dataverse_mapping.json
fixtures=tests/fixtures
campaign=c0000000-0000-4000-8000-00000000ca01
callback_row=0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11
dnc_row=0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a12

demo=$build/demo
artifacts=$demo/artifacts
state_db=$demo/state/opencloser.db
dump=$demo/emulator-dump.json
request_log=$demo/requests.jsonl
logs=$demo/logs
# A fresh directory every time, so that two demos in a row show the same thing.
rm -rf "$demo"
mkdir -p "$artifacts" "$logs"

# Frozen product clock: 12:00 in Los Angeles and 14:00 in Chicago, inside the 09:00-20:00 window.
export OPENCLOSER_CLOCK_NOW=2026-05-22T19:00:00.000Z

# Paths are shown relative to the repository when they are inside it, to keep lines short.
show() { local text=$*; printf '%s\n' "${text//"$repo/"/}"; }
die() { echo; show "demo FAILED: $*" >&2; exit 1; }
# say LINE… — the demo's plain-English reading of what just happened.
say() {
  local prefix="  -> "
  for line in "$@"; do
    show "$prefix$line"
    prefix="     "
  done
}

emulator_pid=""
stop_emulator() {
  [ -n "$emulator_pid" ] || return 0
  # SIGINT is what Ctrl-C sends; the emulator writes --state-dump and exits 0.
  kill -INT "$emulator_pid" 2>/dev/null || true
  local rc=0
  wait "$emulator_pid" || rc=$?
  emulator_pid=""
  return "$rc"
}
trap 'stop_emulator || true' EXIT
trap 'exit 130' INT TERM

# Writes the emulator itself has committed so far: its own counter, from GET /_emulator/state on
# its admin API (bash's /dev/tcp, so no HTTP client is needed). The request log file is no use
# here: it is buffered and lags behind until the emulator stops.
emulator_writes() {
  local hostport=${DATAVERSE_ENV_URL#http://} answer writes
  answer=$(exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" &&
    printf 'GET /_emulator/state HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hostport" >&3 &&
    timeout 10 cat <&3) || die "the emulator's admin API did not answer"
  writes=$(printf '%s' "$answer" | grep -o '"writes":[0-9]*' | sed -n '1s/.*://p' || true)
  [ -n "$writes" ] || die "the emulator's state carries no write counter"
  echo "$writes"
}

# The value of one labelled output line (`label:` padded to column 24) of a captured run.
field() { sed -n "/^$2:/{s/^$2: *//p;q}" "$1"; }

step_count=0
heading() {
  step_count=$((step_count + 1))
  echo
  echo "== $step_count. $*"
}

# run_opencloser EXPECTED_EXIT LOG ARGS… — runs the product, shows its output verbatim (stdout and
# stderr, indented with '|') and dies unless it exits with EXPECTED_EXIT.
run_opencloser() {
  local expected=$1 log=$2
  shift 2
  show "  \$ opencloser $*"
  local rc=0
  "$bin" "$@" >"$log" 2>&1 || rc=$?
  sed 's/^/  | /' "$log"
  [ "$rc" -eq "$expected" ] || die "opencloser $1 exited $rc, expected $expected (output: $log)"
  if [ "$rc" -eq 0 ]; then echo "  (exit code 0)"; else echo "  (exit code $rc, as expected)"; fi
}

# expect LOG LABEL VALUE… — dies unless every labelled line has the expected value.
expect() {
  local log=$1
  shift
  while [ $# -ge 2 ]; do
    local got
    got=$(field "$log" "$1")
    [ "$got" = "$2" ] || die "$1 is '$got', expected '$2' (output: $log)"
    shift 2
  done
}

# What the write-back of each disposition does in the CRM (domain.md §9).
writeback_meaning() {
  case $1 in
    interested_callback_requested) echo "a Phone Call is logged, the row stays 'ready' and a callback Task goes to the callback owner" ;;
    interested_email_captured) echo "a Phone Call is logged, the row becomes 'completed' and a callback Task carries the verified email" ;;
    needs_human_review) echo "a Phone Call is logged, the row becomes 'blocked' and a review Task asks a person to look at it" ;;
    no_answer) echo "a Phone Call is logged, the row stays 'ready' for another attempt, no Task" ;;
    do_not_call) echo "a Phone Call is logged, the row becomes 'dnc' with its do-not-call flag set, no Task" ;;
    *) echo "see writeback.json in the session directory" ;;
  esac
}

# A top-level string value of one of the product's pretty-printed JSON artifacts.
json_string() { sed -n "/^  \"$2\": \"/{s/^  \"$2\": \"\(.*\)\",\{0,1\}\$/\1/p;q}" "$1"; }

# run_session TITLE EXPECTED_EXIT EXPECTED_STATUS EXPECTED_DISPOSITION LOG ARGS… — one run-crm
# against the shared emulator, checked against the expectations and against the emulator's own
# write counter, then read back in plain English.
last_log=""
run_session() {
  local title=$1 expected_rc=$2 expected_status=$3 expected_disposition=$4 log=$5
  shift 5
  heading "$title"
  local writes_before writes_after
  writes_before=$(emulator_writes)
  run_opencloser "$expected_rc" "$log" run-crm "$@" \
    --artifacts-dir "$artifacts" --state-db "$state_db"
  expect "$log" exit_status "$expected_status" final_disposition "$expected_disposition"
  writes_after=$(emulator_writes)
  last_log=$log
  local row session dir writes reported
  row=$(field "$log" queue_item_id)
  session=$(field "$log" session_id)
  dir=$(field "$log" artifact_dir)
  writes=$((writes_after - writes_before))
  reported=$(grep -o '"writes": [0-9]*' "$dir/run-report.json" | sed 's/.*: //')
  [ "$writes" = "$reported" ] ||
    die "the emulator committed $writes write(s) during $session, its run report counts $reported"
  if [ "$expected_status" = blocked ]; then
    local message
    message=$(field "$log" message)
    say "Eligibility refused row $row (${message##*: })." \
      "No call was placed; opencloser only recorded the block on the row ($writes write committed)."
  elif [[ " $* " != *" --write "* ]]; then
    say "Row $row: the call ended as '$expected_disposition'." \
      "A write run would now claim the row; then $(writeback_meaning "$expected_disposition")." \
      "This is a dry-run: the emulator committed $writes writes, and the run report counts $reported."
  else
    say "Row $row: the call ended as '$expected_disposition'." \
      "So $(writeback_meaning "$expected_disposition")." \
      "The emulator committed $writes writes (the claim, then the write-back); the run report agrees."
  fi
  if [ -f "$dir/task.json" ] && [[ " $* " == *" --write "* ]]; then
    say "Task: '$(json_string "$dir/task.json" subject)', assigned to $(json_string "$dir/task.json" assigned_to)."
  fi
}

cat <<INTRO
opencloser demo
===============
opencloser works through an outbound-calling queue kept in Microsoft Dataverse. For each row it
checks eligibility (calling window, do-not-call flag, attempts, status), claims the row, places a
mock call driven by a fixture, lets the assisted-living (ALF) appointment persona talk through a
scripted conversation, redacts the transcript and writes the outcome back to the CRM: a Phone
Call, the queue row's new status, and a follow-up Task when someone must act.

No real Dataverse is contacted: opencloser's own Dataverse Web API emulator plays the
organisation, seeded from $seed: a call-queue table (rows of campaign
$campaign), a facility account, a callback owner and a review team.
$mapping maps the product onto that table and is already approved.
The clock is frozen at $OPENCLOSER_CLOCK_NOW (OPENCLOSER_CLOCK_NOW), 14:00 in Chicago,
inside the 09:00-20:00 call window. Everything the demo produces goes to $(show "$demo").
INTRO

heading "Start the Dataverse emulator (one organisation shared by every run below)"
show "  \$ opencloser emulator --seed $seed --port 0 --state-dump $dump --request-log $request_log &"
"$bin" emulator --seed "$seed" --port 0 --state-dump "$dump" --request-log "$request_log" \
  >"$logs/emulator.out" 2>"$logs/emulator.err" &
emulator_pid=$!
for _ in $(seq 100); do
  grep -q '^DATAVERSE_CLIENT_ID=' "$logs/emulator.out" && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    emulator_pid=""
    cat "$logs/emulator.err" >&2
    die "the emulator did not start"
  fi
  sleep 0.1
done
grep -q '^DATAVERSE_CLIENT_ID=' "$logs/emulator.out" || die "the emulator printed no connection lines within 10 s"
sed 's/^/  | /' "$logs/emulator.out"
# The emulator prints where it listens and which tenant and client to use; exactly these names
# are taken over, so a stray line can never set anything else.
while IFS='=' read -r name value; do
  case $name in
    DATAVERSE_ENV_URL | OPENCLOSER_DATAVERSE_AUTHORITY_HOST | DATAVERSE_TENANT_ID | DATAVERSE_CLIENT_ID)
      export "$name=$value" ;;
  esac
done <"$logs/emulator.out"
# It never prints a secret, so the client secret comes from the seed, as a real one would come
# from a vault; it is not shown.
DATAVERSE_CLIENT_SECRET=$(sed -n '/"client_secret"/{s/.*"client_secret": *"\([^"]*\)".*/\1/p;q}' "$seed")
[ -n "$DATAVERSE_CLIENT_SECRET" ] || die "no client_secret in $seed"
export DATAVERSE_CLIENT_SECRET
say "The four printed variables are exported, plus DATAVERSE_CLIENT_SECRET (read from the seed," \
  "never printed). From here on opencloser talks to $DATAVERSE_ENV_URL exactly as it" \
  "would to a real organisation: an OAuth client-credentials token, then the OData Web API."

heading "discover-crm: check the mapping against the live metadata (read-only)"
discovered=$demo/discovered-mapping.json
run_opencloser 0 "$logs/discover-crm.log" discover-crm --mapping "$mapping" --out "$discovered"
grep -q '"approved": false' "$discovered" || die "$discovered is not marked approved: false"
writes=$(emulator_writes)
[ "$writes" -eq 0 ] || die "discover-crm wrote to Dataverse ($writes writes)"
say "Every table, column, option set and regarding relationship the mapping names exists in the" \
  "organisation; nothing was written. The discovered copy is marked approved: false until a" \
  "reviewer approves it; the runs below use the shipped, already approved $mapping."

echo
echo "Each run-crm below also prints two warnings worth knowing once:"
echo "  mapping_env_url_mismatch  the shipped mapping names https://acme.crm.dynamics.com, while the"
echo "                            emulator listens on a loopback port; the environment's URL wins."
echo "  clock_overridden          OPENCLOSER_CLOCK_NOW froze the product clock (see above)."

run_session "Dry-run of a ready row (the default: nothing is written)" 0 completed \
  interested_callback_requested "$logs/1-dry-run.log" \
  --queue-item-id "$callback_row" --transport-fixture "$fixtures/transport_events/standard.json" \
  --conversation-fixture "$fixtures/conversations/callback_weekday_pm.json"
dry_dir=$(field "$last_log" artifact_dir)
[ -f "$dry_dir/http-plan.json" ] || die "the dry-run wrote no http-plan.json"
plan_steps=$(grep -o '"step": "[a-z_]*"' "$dry_dir/http-plan.json" | sed 's/.*: "\(.*\)"/\1/' | paste -sd' ' -)
say "The requests it would have sent are listed, in order, in its http-plan.json:" "$plan_steps"

run_session "Write run: the owner asks for a callback on a weekday afternoon" 0 completed \
  interested_callback_requested "$logs/2-callback.log" \
  --write --queue-item-id "$callback_row" --transport-fixture "$fixtures/transport_events/standard.json" \
  --conversation-fixture "$fixtures/conversations/callback_weekday_pm.json"
callback_dir=$(field "$last_log" artifact_dir)

run_session "Write run: a row flagged do-not-call is blocked (exit code 1 is the expected answer)" 1 blocked \
  blocked "$logs/3-blocked.log" \
  --write --queue-item-id "$dnc_row" --transport-fixture "$fixtures/transport_events/standard.json" \
  --conversation-fixture "$fixtures/conversations/callback_weekday_pm.json"
expect "$last_log" block_reason eligibility
say "Rule d is the do-not-call flag, rule f the row's status ('dnc' instead of 'ready')."

run_session "Write run: the next ready row of the campaign; the contact is unsure of their role" 0 completed \
  needs_human_review "$logs/4-review.log" \
  --write --next-ready --campaign "$campaign" --transport-fixture "$fixtures/transport_events/standard.json" \
  --conversation-fixture "$fixtures/conversations/uncertain_role.json"
review_dir=$(field "$last_log" artifact_dir)
if grep -q '"default_tz_applied": true' "$review_dir/eligibility-decision.json"; then
  say "This row has no time zone, so eligibility used [eligibility].default_timezone."
fi
if [[ $(json_string "$review_dir/task.json" subject) == *" for " ]]; then
  say "It has no facility account either, so the Task's subject names no facility."
fi
review_owner=$(sed -n 's/^review *= *"\(.*\)"/\1/p' config/slice2.toml)
if [ "$(json_string "$review_dir/task.json" assigned_to)" != "$review_owner" ]; then
  say "Its owner-override column sent the Task to that owner instead of [task_owners].review ($review_owner)."
fi

run_session "Write run: the next ready row; nobody answers" 0 completed no_answer "$logs/5-no-answer.log" \
  --write --next-ready --campaign "$campaign" --transport-fixture "$fixtures/transport_events/no_answer.json"
no_answer_row=$(field "$last_log" queue_item_id)

run_session "Write run: the next ready row; the contact asks never to be called again" 0 completed \
  do_not_call "$logs/6-do-not-call.log" \
  --write --next-ready --campaign "$campaign" --transport-fixture "$fixtures/transport_events/standard.json" \
  --conversation-fixture "$fixtures/conversations/do_not_call.json"
if [ "$(field "$last_log" queue_item_id)" = "$no_answer_row" ]; then
  say "It is the row that did not answer: it stayed 'ready', so it came up again."
fi

heading "Stop the emulator: it writes its state dump"
stop_emulator || die "the emulator did not stop cleanly"
[ -s "$dump" ] || die "the emulator wrote no state dump"
say "SIGINT sent; the emulator wrote $dump and exited."

# summarize_dump DUMP — the records of an emulator state dump, read with awk (no JSON tool is
# needed on a fresh machine). The dump is the product's pretty JSON: a table opens at 4 spaces,
# a row at 6 and a column at 8. Status values are named from the mapping's queue_status options.
summarize_dump() {
  awk '
    FNR == NR {   # the mapping: "queue_status.<name>": { "field": …, "value": <int> }
      if (match($0, /"queue_status\.[a-z_]+"/)) option = substr($0, RSTART + 14, RLENGTH - 15)
      else if (option != "" && $1 == "\"value\":") { sub(/,$/, "", $2); status_name[$2] = option; option = "" }
      next
    }
    /^    "(requests|writes)": / { v = $2; sub(/,$/, "", v); counter[substr($1, 2, length($1) - 3)] = v }
    /^    "[a-z_]+": \[$/ { table = substr($1, 2, length($1) - 3) }
    /^      \{$/ { delete row }
    /^        "/ {
      key = substr($1, 2, length($1) - 3)
      value = $0; sub(/^        "[^"]*": /, "", value); sub(/,$/, "", value)
      if (value ~ /^".*"$/) value = substr(value, 2, length(value) - 2)
      row[key] = value
    }
    /^      \}/ {
      if (table == "acme_callqueue" && row["acme_lastsession"] != "" && row["acme_lastsession"] != "null") {
        s = row["acme_status"]; if (s in status_name) s = status_name[s]
        row_at[++touched] = row["modifiedon"]
        rows[touched] = sprintf("    %s  %-9s  %-8s  %-5s  %s", row["acme_callqueueid"], s,
          row["acme_attempts"], row["acme_dnc"], row["acme_lastdisposition"])
      } else if (table == "phonecall") {
        call_at[++phone_calls] = row["createdon"]
        calls[phone_calls] = sprintf("    row %s: %s", row["_regardingobjectid_value"], row["subject"])
      } else if (table == "task") {
        task_at[++tasks] = row["createdon"]
        task_owner[tasks] = row["_ownerid_value"]
        task_line[tasks] = sprintf("    row %s: %s", row["_regardingobjectid_value"], row["subject"])
      } else if (table == "systemuser") owner_name[row["systemuserid"]] = row["fullname"] " (user)"
      else if (table == "team") owner_name[row["teamid"]] = row["name"] " (team)"
    }
    # order[1..n] = 1..n sorted by at[] (insertion sort: a handful of records).
    function chronological(at, order, n,    i, j) {
      for (i = 1; i <= n; i++) {
        for (j = i; j > 1 && at[order[j - 1]] > at[i]; j--) order[j] = order[j - 1]
        order[j] = i
      }
    }
    END {
      chronological(row_at, row_order, touched)
      chronological(call_at, call_order, phone_calls)
      chronological(task_at, task_order, tasks)
      printf "  The emulator served %d requests; %d of them changed data.\n", counter["requests"], counter["writes"]
      printf "  Queue rows opencloser wrote to: %d (in the order written)\n", touched
      printf "    %-36s  %-9s  %-8s  %-5s  %s\n", "row", "status", "attempts", "dnc", "last disposition"
      for (i = 1; i <= touched; i++) print rows[row_order[i]]
      printf "  Phone Calls: %d\n", phone_calls
      for (i = 1; i <= phone_calls; i++) print calls[call_order[i]]
      printf "  Tasks: %d\n", tasks
      for (i = 1; i <= tasks; i++) {
        owner = task_owner[task_order[i]]; if (owner in owner_name) owner = owner_name[owner]
        print task_line[task_order[i]] "  (assigned to " owner ")"
      }
    }
  ' "$mapping" "$1"
}

# expect_records SUMMARY PHONE_CALLS TASKS — dies unless a summary counts exactly these records.
expect_records() {
  if ! grep -qx "  Phone Calls: $2" <<<"$1" || ! grep -qx "  Tasks: $3" <<<"$1"; then
    die "the dump does not hold $2 Phone Call(s) and $3 Task(s)"
  fi
}

echo
show "Records in Dataverse after the runs, read from $dump:"
summary=$(summarize_dump "$dump")
printf '%s\n' "$summary"
# One Phone Call per completed write run (4); a Task for the callback and for the review.
expect_records "$summary" 4 2

heading "The embedded emulator: one process, nothing to set up (--emulator SEED)"
echo "  --emulator starts a private emulator inside the opencloser process, fresh from the seed;"
echo "  no DATAVERSE_* variable is needed, and its state ends with the process unless --emulator-dump"
echo "  saves it. Here: the callback row again, and this time the director gives an email address."
embedded_dump=$demo/embedded-emulator-dump.json
log=$logs/7-embedded.log
(
  unset DATAVERSE_ENV_URL OPENCLOSER_DATAVERSE_AUTHORITY_HOST DATAVERSE_TENANT_ID DATAVERSE_CLIENT_ID DATAVERSE_CLIENT_SECRET
  run_opencloser 0 "$log" run-crm --write --emulator "$seed" --emulator-dump "$embedded_dump" \
    --queue-item-id "$callback_row" --transport-fixture "$fixtures/transport_events/standard.json" \
    --conversation-fixture "$fixtures/conversations/email_captured_director.json" \
    --artifacts-dir "$artifacts" --state-db "$state_db"
)
expect "$log" exit_status completed final_disposition interested_email_captured
[ -s "$embedded_dump" ] || die "--emulator-dump wrote nothing"
say "Row $callback_row: $(writeback_meaning interested_email_captured)."
echo
show "  Records in the embedded emulator, read from $embedded_dump:"
summary=$(summarize_dump "$embedded_dump")
printf '%s\n' "$summary" | sed 's/^/  /'
expect_records "$summary" 1 1

sessions=$(find "$artifacts" -mindepth 1 -maxdepth 1 -type d -name 'ses_*' | wc -l)
echo
echo "Where everything is"
show "  the CRM records (emulator state dump)   $dump"
show "  every request the emulator served       $request_log"
show "  the embedded run's emulator dump        $embedded_dump"
show "  session artifacts, one dir per session  $artifacts/ ($sessions sessions)"
show "  state database (SQLite session ledger)  $state_db"
show "  discovered mapping (approved: false)    $discovered"
show "  each command's full output              $logs/"
echo
show "The callback session's directory, $callback_dir, holds:"
(cd "$callback_dir" && printf '%s\n' * | paste -sd' ' - | fold -s -w 92 | sed 's/ *$//; s/^/  /')
echo "run-report.json sums the run up, http-plan.json lists every request in order, and"
echo "transcript.txt is already redacted."
echo
echo "Demo finished: every run ended as expected."
