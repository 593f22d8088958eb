#!/usr/bin/env bash
# `opencloser init-state` through the real executable (cli.md §9): creates the state database,
# verifies it on a second run, and refuses what is not its database with exit 2, one error
# line and the file left exactly as it was.
set -u
bin=$1
source "$(dirname "$0")/check.sh"
run() {  # run <args…>: sets rc; stdout in $tmp/out, stderr in $tmp/err
  "$bin" init-state --config config/slice1.toml --slice2-config config/slice2.toml "$@" \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

run --state-db "$tmp/state/a.db"
check "a new database exits 0" test "$rc" -eq 0
check "prints state_db in the predecessor's layout" grep -qx "state_db:    $tmp/state/a.db" "$tmp/out"
check "prints the schema line" grep -qx 'schema:      opencloser-state-v1 applied' "$tmp/out"
check "the file exists" test -s "$tmp/state/a.db"
run --state-db "$tmp/state/a.db"
check "verifying it again exits 0" test "$rc" -eq 0

printf 'not a database at all' >"$tmp/garbage.db"
before=$(sha256sum <"$tmp/garbage.db")
run --state-db "$tmp/garbage.db"
check "a file that is not SQLite exits 2" test "$rc" -eq 2
check "with one error line naming it" test "$(grep -c "^error:       .*garbage.db" "$tmp/err")" -eq 1
check "and nothing else on stderr" test "$(wc -l <"$tmp/err")" -eq 1
check "the file is untouched" test "$(sha256sum <"$tmp/garbage.db")" = "$before"
check "no WAL file beside it" test ! -e "$tmp/garbage.db-wal"

run --state-db "$tmp/garbage.db/inside.db"
check "an uncreatable path exits 2" test "$rc" -eq 2

run --state-db "$tmp/b.db" --emulator seed.json
check "--emulator is a usage error on init-state" test "$rc" -eq 2
check "and creates nothing" test ! -e "$tmp/b.db"

printf '[state]\ndb = 7\n' >"$tmp/bad.toml"
"$bin" init-state --config config/slice1.toml --slice2-config "$tmp/bad.toml" >"$tmp/out" 2>"$tmp/err"
check "a bad config exits 2" test "$?" -eq 2
check "naming the config file" grep -q "config load failed: $tmp/bad.toml" "$tmp/err"

finish
