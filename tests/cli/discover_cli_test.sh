#!/usr/bin/env bash
# `opencloser discover-crm` through the real executable (cli.md §3, dataverse.md §3.3, §8):
# against the embedded emulator and against a stand-alone one through the four environment
# variables; the discovered file is written unapproved; failures exit 2 with one error line,
# write nothing, and never print a secret or the tenant.
set -u
bin=$1
fx=$2
source "$(dirname "$0")/check.sh"
emu_pid=
cleanup_extra='[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null'
unset DATAVERSE_TENANT_ID DATAVERSE_CLIENT_ID DATAVERSE_CLIENT_SECRET DATAVERSE_ENV_URL
run() {  # run <args…>: sets rc; stdout in $tmp/out, stderr in $tmp/err
  "$bin" discover-crm --config config/slice1.toml --slice2-config config/slice2.toml "$@" \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
no_secret() { ! grep -q -e 'emu-secret' -e '7d3c1b7e-0000-4000-8000-00000000a001' "$tmp/out" "$tmp/err"; }

seed="$fx/emulator/demo_seed.json"
mapping="$fx/emulator/acme_mapping.json"

run --emulator "$seed" --mapping "$mapping" --out "$tmp/discovered.json" --emulator-dump "$tmp/dump.json"
check "embedded emulator: exit 0" test "$rc" -eq 0
check "prints discovered:" grep -qx "discovered:  $tmp/discovered.json" "$tmp/out"
check "prints approved: false" grep -qx 'approved:    false (flip to true on PR review)' "$tmp/out"
check "prints discovered_at:" grep -Eq '^discovered_at: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$' "$tmp/out"
check "notice about the embedded emulator" grep -q '^warning:     using the embedded Dataverse emulator' "$tmp/err"
check "the discovered file is unapproved" grep -q '"approved": false' "$tmp/discovered.json"
check "it carries the live regarding property" grep -q '"navigation_property": "regardingobjectid_acme_callqueue_phonecall"' "$tmp/discovered.json"
check "discovery wrote nothing to Dataverse" grep -q '"writes": 0' "$tmp/dump.json"
check "no secret or tenant printed" no_secret

sed 's/"acme_phone"/"acme_no_such_column"/' "$mapping" >"$tmp/broken.json"
run --emulator "$seed" --mapping "$tmp/broken.json" --out "$tmp/not-written.json"
check "an unverifiable mapping exits 2" test "$rc" -eq 2
check "with one error line naming the column" \
  grep -q '^error:       discovery failed: metadata discovery failed - unverifiable mapping: .*acme_no_such_column' "$tmp/err"
check "and nothing written" test ! -e "$tmp/not-written.json"

run --mapping "$mapping" --out "$tmp/not-written.json"
check "missing secrets exit 2" test "$rc" -eq 2
check "naming all four variables in order" grep -qx 'error:       missing required Dataverse secret environment variable(s): DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID, DATAVERSE_CLIENT_SECRET, DATAVERSE_ENV_URL' "$tmp/err"
check "and nothing written" test ! -e "$tmp/not-written.json"

# A stand-alone emulator, reached the way a real org is: through the environment.
"$bin" emulator --seed "$seed" --port 0 >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
for _ in $(seq 50); do grep -q DATAVERSE_CLIENT_ID "$tmp/emu.out" && break; sleep 0.1; done
export $(grep -E '^(DATAVERSE_ENV_URL|DATAVERSE_TENANT_ID|DATAVERSE_CLIENT_ID|OPENCLOSER_DATAVERSE_AUTHORITY_HOST)=' "$tmp/emu.out")
export DATAVERSE_CLIENT_SECRET=emu-secret
run --mapping "$mapping" --out "$tmp/from-env.json"
check "environment credentials: exit 0" test "$rc" -eq 0
check "the file is written" test -s "$tmp/from-env.json"
check "no secret or tenant printed" no_secret

export DATAVERSE_CLIENT_SECRET=wrong-secret
run --mapping "$mapping" --out "$tmp/not-written.json"
check "a wrong secret exits 2" test "$rc" -eq 2
check "with the token error and a redacted tenant" \
  grep -q '^error:       discovery failed: metadata discovery failed - Dataverse token request failed: HTTP 401 (.*/<redacted-tenant>/oauth2/v2.0/token)' "$tmp/err"
check "and nothing written" test ! -e "$tmp/not-written.json"
check "no secret or tenant printed" no_secret

finish
