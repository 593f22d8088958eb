# Shared by the CLI contract tests (sourced): a temp dir removed at exit, `check` that counts
# failures, and `finish` that reports them as the exit status.
tmp=$(mktemp -d)
cleanup_extra=:
trap 'eval "$cleanup_extra"; rm -rf "$tmp"' EXIT
failures=0
check() {  # check <description> <condition…>
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
finish() {
  echo "$failures failure(s)"
  test "$failures" -eq 0
}
