// The drain's pure policies (cli.md §5.2–§5.3, conformance.md §11): adaptive concurrency,
// request pacing, totals and the drain exit, the latency histogram and the progress text.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "actors/drain/concurrency_control.hpp"
#include "actors/drain/drain_totals.hpp"
#include "actors/drain/latency_histogram.hpp"
#include "actors/drain/progress_line.hpp"
#include "actors/drain/seen_rows.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser;

namespace {

concurrency_limits limits(std::int64_t initial, std::int64_t max, std::int64_t increase_after = 20,
                          bool respect_dop_hint = true) {
  concurrency_limits l;
  l.initial = initial;
  l.max_concurrency = max;
  l.increase_after = increase_after;
  l.respect_dop_hint = respect_dop_hint;
  return l;
}

void finish_clean(concurrency_controller& c, int sessions) {
  for (int i = 0; i < sessions; ++i) c.on_session_finished(false);
}

double relative_error(double measured, double exact) {
  return std::abs(measured - exact) / exact;
}

}  // namespace

// ---- concurrency_controller ------------------------------------------------------------

TEST_CASE("target starts at min(initial, ceiling)", "[drain_logic]") {
  concurrency_controller a(limits(4, 16));
  CHECK(a.target() == 4);
  CHECK(a.ceiling() == 16);
  concurrency_controller b(limits(32, 16));
  CHECK(b.target() == 16);
  const auto r = b.report();
  CHECK(r.initial == 16);
  CHECK(r.min == 16);
  CHECK(r.max == 16);
  CHECK(r.final == 16);
  CHECK_FALSE(r.dop_hint.has_value());
}

TEST_CASE("a dop hint known at start lowers ceiling and target", "[drain_logic]") {
  // conformance.md §11: hint 2 with --concurrency 8 → dop_hint 2, max <= 2.
  concurrency_controller c(limits(8, 16), 2);
  CHECK(c.ceiling() == 2);
  CHECK(c.target() == 2);
  const auto r = c.report();
  CHECK(r.dop_hint == std::optional<std::int64_t>(2));
  CHECK(r.max == 2);
  CHECK(r.initial == 2);
}

TEST_CASE("a dop hint is recorded but ignored without respect_dop_hint", "[drain_logic]") {
  concurrency_controller c(limits(8, 16, 20, false), 2);
  CHECK(c.ceiling() == 16);
  CHECK(c.target() == 8);
  c.on_dop_hint(3);
  CHECK(c.ceiling() == 16);
  CHECK(c.target() == 8);
  CHECK(c.report().dop_hint == std::optional<std::int64_t>(3));
}

TEST_CASE("a later dop hint lowers ceiling and target but never raises them", "[drain_logic]") {
  concurrency_controller c(limits(8, 16));
  c.on_dop_hint(32);  // above the configured maximum: ours stays
  CHECK(c.ceiling() == 16);
  CHECK(c.target() == 8);
  c.on_dop_hint(12);  // lowers the ceiling, the target is already below it
  CHECK(c.ceiling() == 12);
  CHECK(c.target() == 8);
  c.on_dop_hint(3);
  CHECK(c.ceiling() == 3);
  CHECK(c.target() == 3);
  c.on_dop_hint(6);
  CHECK(c.ceiling() == 3);
  c.on_dop_hint(0);  // malformed
  CHECK(c.ceiling() == 3);
  const auto r = c.report();
  CHECK(r.dop_hint == std::optional<std::int64_t>(6));
  CHECK(r.min == 3);
  CHECK(r.max == 8);
  CHECK(r.final == 3);
  CHECK(r.decreases == 0);  // a hint is not a 429 adaptation
}

TEST_CASE("a 429 halves the target at most once per pause window", "[drain_logic]") {
  concurrency_controller c(limits(8, 16));
  c.on_throttled(1000, 1000);
  CHECK(c.target() == 4);
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(2000));
  // Requests that were in flight come back 429 inside the window: no further halving.
  c.on_throttled(1500, 1000);
  c.on_throttled(2500, 1000);  // inside the extended window (until 2500)
  CHECK(c.target() == 4);
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(3500));
  // After the window: a new burst halves again.
  c.on_throttled(3501, 1000);
  CHECK(c.target() == 2);
  const auto r = c.report();
  CHECK(r.decreases == 2);
  CHECK(r.min == 2);
  CHECK(c.throttled_count() == 4);
  CHECK(c.last_throttled_ms() == std::optional<std::int64_t>(3501));
}

TEST_CASE("a late 429 observation stamped before the pause end does not halve again",
          "[drain_logic]") {
  concurrency_controller c(limits(8, 16));
  c.on_throttled(1000, 1000);
  c.on_throttled(900, 100);  // e.g. a worker's observation that arrived late
  CHECK(c.target() == 4);
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(2000));
  CHECK(c.report().decreases == 1);
}

TEST_CASE("the pause is extended to the latest Retry-After, never shortened", "[drain_logic]") {
  concurrency_controller c(limits(4, 16));
  c.on_throttled(0, 3000);
  c.on_throttled(100, 500);  // would end at 600: the pause keeps 3000
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(3000));
  c.on_throttled(200, 4000);
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(4200));
  CHECK(c.throttle_paused(4199));
  CHECK_FALSE(c.throttle_paused(4200));
}

TEST_CASE("a 429 without Retry-After pauses 5 s", "[drain_logic]") {
  concurrency_controller c(limits(4, 16));
  CHECK_FALSE(c.paused_until_ms().has_value());
  CHECK(c.may_start(0, 0, false));
  c.on_throttled(10'000, std::nullopt);
  CHECK(c.paused_until_ms() == std::optional<std::int64_t>(15'000));
  CHECK_FALSE(c.may_start(0, 14'999, false));
  CHECK(c.may_start(0, 15'000, false));
}

TEST_CASE("halving never goes below one", "[drain_logic]") {
  concurrency_controller c(limits(3, 16));
  c.on_throttled(0, 0);
  CHECK(c.target() == 1);
  c.on_throttled(10, 0);
  CHECK(c.target() == 1);
  CHECK(c.report().decreases == 1);  // 1 → 1 is no decrease
}

TEST_CASE("increase after increase_after clean sessions, never above the ceiling",
          "[drain_logic]") {
  concurrency_controller c(limits(2, 4, 3));
  finish_clean(c, 2);
  CHECK(c.target() == 2);
  finish_clean(c, 1);
  CHECK(c.target() == 3);
  // A session that saw a 429 restarts the count.
  finish_clean(c, 2);
  c.on_session_finished(true);
  finish_clean(c, 2);
  CHECK(c.target() == 3);
  finish_clean(c, 1);
  CHECK(c.target() == 4);
  finish_clean(c, 30);
  CHECK(c.target() == 4);
  const auto r = c.report();
  CHECK(r.increases == 2);
  CHECK(r.max == 4);
  CHECK(r.final == 4);
}

TEST_CASE("a 429 restarts the clean-session count", "[drain_logic]") {
  concurrency_controller c(limits(4, 8, 3));
  finish_clean(c, 2);
  c.on_throttled(0, 1000);
  CHECK(c.target() == 2);
  finish_clean(c, 2);
  CHECK(c.target() == 2);
  finish_clean(c, 1);
  CHECK(c.target() == 3);
}

TEST_CASE("may_start needs a free credit, no user pause and no throttle pause", "[drain_logic]") {
  concurrency_controller c(limits(2, 16));
  CHECK(c.may_start(0, 0, false));
  CHECK(c.may_start(1, 0, false));
  CHECK_FALSE(c.may_start(2, 0, false));
  CHECK_FALSE(c.may_start(0, 0, true));
  c.on_throttled(0, 1000);  // target 1, paused until 1000
  CHECK_FALSE(c.may_start(0, 999, false));
  CHECK(c.may_start(0, 1000, false));
  CHECK_FALSE(c.may_start(1, 1000, false));
}

TEST_CASE("set_concurrency sets target and ceiling", "[drain_logic]") {
  concurrency_controller c(limits(4, 16, 2));
  c.set_concurrency(1);
  CHECK(c.target() == 1);
  CHECK(c.ceiling() == 1);
  finish_clean(c, 10);
  CHECK(c.target() == 1);  // the new ceiling holds
  c.set_concurrency(24);   // above the configured maximum: the operator's word
  CHECK(c.ceiling() == 24);
  CHECK(c.target() == 24);
  const auto r = c.report();
  CHECK(r.min == 1);
  CHECK(r.max == 24);
  CHECK(r.increases == 0);
  CHECK(r.decreases == 0);
}

TEST_CASE("conformance 11 adaptation: one 429 burst then recovery", "[drain_logic]") {
  // --concurrency 4, --max-concurrency 8, dop hint 8, increase_after 5, one PATCH 429.
  concurrency_controller c(limits(4, 8, 5), 8);
  finish_clean(c, 10);
  CHECK(c.target() == 6);
  c.on_throttled(50'000, 1000);
  CHECK(c.target() == 3);
  finish_clean(c, 28);
  const auto r = c.report();
  CHECK(r.dop_hint == std::optional<std::int64_t>(8));
  CHECK(r.initial == 4);
  CHECK(r.decreases == 1);
  CHECK(r.increases == 7);  // 2 before, 5 after (3 → 8)
  CHECK(r.max == 8);
  CHECK(r.min == 3);
  CHECK(r.final == 8);
}

// ---- request_pacer ---------------------------------------------------------------------

TEST_CASE("pacer off at 0 requests per second", "[drain_logic]") {
  request_pacer p(0);
  CHECK_FALSE(p.enabled());
  for (int i = 0; i < 100; ++i) CHECK(p.delay_for_next(0) == 0);
}

TEST_CASE("pacer: a full bucket of one second then one slot per 1/rate", "[drain_logic]") {
  request_pacer p(10, 0);
  for (int i = 0; i < 10; ++i) CHECK(p.delay_for_next(0) == 0);
  // Reservations: the 11th waits 100 ms, the 12th 200 ms.
  CHECK(p.delay_for_next(0) == 100);
  CHECK(p.delay_for_next(0) == 200);
  // At 200 ms both promised slots are covered and nothing is left over.
  CHECK(p.delay_for_next(200) == 100);
  // After a long idle time the bucket is full again, but never over one second's worth.
  for (int i = 0; i < 10; ++i) CHECK(p.delay_for_next(60'000) == 0);
  CHECK(p.delay_for_next(60'000) == 100);
}

TEST_CASE("pacer refills continuously", "[drain_logic]") {
  request_pacer p(10, 0);
  for (int i = 0; i < 10; ++i) REQUIRE(p.delay_for_next(0) == 0);
  CHECK(p.delay_for_next(50) == 50);  // half a token back after 50 ms: wait for the other half
  // 200 ms later two tokens came back: one pays the reserved half, one and a half are left.
  CHECK(p.delay_for_next(250) == 0);
  CHECK(p.delay_for_next(250) == 50);
}

TEST_CASE("pacer below one per second keeps one token", "[drain_logic]") {
  request_pacer p(0.5, 0);
  CHECK(p.delay_for_next(0) == 0);
  CHECK(p.delay_for_next(0) == 2000);
  CHECK(p.delay_for_next(4000) == 0);
}

TEST_CASE("pacer ignores time going backwards", "[drain_logic]") {
  request_pacer p(1, 1000);
  CHECK(p.delay_for_next(1000) == 0);
  CHECK(p.delay_for_next(500) == 1000);
}

// ---- totals and the drain exit ---------------------------------------------------------

TEST_CASE("item status of every session exit", "[drain_logic]") {
  CHECK(item_status_of(exit_status::completed) == drain_item_status::completed);
  CHECK(item_status_of(exit_status::no_resume_needed) == drain_item_status::completed);
  CHECK(item_status_of(exit_status::no_callable_item) == drain_item_status::no_callable_item);
  CHECK(item_status_of(exit_status::blocked) == drain_item_status::blocked);
  CHECK(item_status_of(exit_status::resume_needed) == drain_item_status::resume_needed);
  CHECK(item_status_of(exit_status::cancelled) == drain_item_status::resume_needed);
  CHECK(item_status_of(exit_status::failed) == drain_item_status::failed);
  CHECK(item_status_of(exit_status::deferred) == drain_item_status::deferred);
  CHECK(to_string(drain_item_status::no_callable_item) == "no-callable-item");
  CHECK(to_string(drain_item_status::not_started) == "not_started");
}

TEST_CASE("totals from item outcomes", "[drain_logic]") {
  drain_tally tally;
  const nullable<std::string> none;
  const nullable<disposition> no_disposition;
  tally.on_rows_seen(10);
  tally.on_item(drain_item_status::completed, none, disposition::not_interested);
  tally.on_item(drain_item_status::completed, none, disposition::interested_callback_requested);
  tally.on_item(drain_item_status::blocked, std::string("eligibility"), disposition::blocked);
  tally.on_item(drain_item_status::blocked, std::string("conflict_detected"),
                disposition::not_interested);
  tally.on_item(drain_item_status::blocked, std::string("permanent_other"), no_disposition);
  tally.on_item(drain_item_status::blocked, none, no_disposition);
  tally.on_item(drain_item_status::resume_needed, none, disposition::voicemail);
  tally.on_item(drain_item_status::failed, none, no_disposition);
  tally.on_item(drain_item_status::deferred, none, no_disposition);
  tally.on_item(drain_item_status::not_started, none, no_disposition);
  tally.on_rows_seen(1);
  tally.on_item(drain_item_status::no_callable_item, none, no_disposition);

  drain_totals expected;
  expected.seen = 11;
  expected.processed = 9;
  expected.deferred = 1;
  expected.not_started = 1;
  expected.completed = 2;
  expected.blocked_eligibility = 1;
  expected.blocked_conflict = 1;
  expected.blocked_other = 2;
  expected.resume_needed = 1;
  expected.failed = 1;
  expected.no_callable_item = 1;
  CHECK(tally.totals() == expected);
  CHECK(totals_invariant_violation(tally.totals()).empty());

  CHECK(tally.dispositions().size() == 11);
  CHECK(tally.disposition_count(disposition::not_interested) == 2);
  CHECK(tally.disposition_count(disposition::interested_callback_requested) == 1);
  CHECK(tally.disposition_count(disposition::blocked) == 1);
  CHECK(tally.disposition_count(disposition::voicemail) == 1);
  CHECK(tally.disposition_count(disposition::do_not_call) == 0);
  std::int64_t sum = 0;
  for (auto n : tally.dispositions()) sum += n;
  CHECK(sum == 5);
}

TEST_CASE("totals invariants name the broken equality", "[drain_logic]") {
  drain_totals t;
  t.seen = 3;
  t.processed = 2;
  t.completed = 2;
  t.deferred = 1;
  CHECK(totals_invariant_violation(t).empty());
  t.seen = 4;  // one seen row without an outcome
  CHECK(totals_invariant_violation(t).find("seen 4") == 0);
  t.seen = 3;
  t.failed = 1;  // processed no longer its sum
  CHECK(totals_invariant_violation(t).find("processed 2") == 0);
}

TEST_CASE("drain exit rules, first match wins", "[drain_logic]") {
  // Every figure set, so each rule is shown to win over all the later ones.
  drain_totals t;
  t.processed = 6;
  t.completed = 1;
  t.failed = 1;
  t.resume_needed = 1;
  t.blocked_conflict = 1;
  t.blocked_other = 1;
  t.blocked_eligibility = 1;

  SECTION("cancelled") {
    CHECK(decide_drain_exit(t, true) == drain_exit{exit_status::cancelled, {}, 2});
  }
  SECTION("any failed") {
    CHECK(decide_drain_exit(t, false) == drain_exit{exit_status::failed, {}, 2});
  }
  SECTION("any resume_needed") {
    t.failed = 0;
    CHECK(decide_drain_exit(t, false) == drain_exit{exit_status::resume_needed, {}, 2});
  }
  SECTION("any conflict: blocked conflict_detected") {
    t.failed = t.resume_needed = 0;
    CHECK(decide_drain_exit(t, false) ==
          drain_exit{exit_status::blocked, std::string("conflict_detected"), 1});
  }
  SECTION("other blocks only: blocked permanent_other") {
    t.failed = t.resume_needed = t.blocked_conflict = 0;
    CHECK(decide_drain_exit(t, false) ==
          drain_exit{exit_status::blocked, std::string("permanent_other"), 1});
  }
  SECTION("eligibility blocks leave the drain completed") {
    t.failed = t.resume_needed = t.blocked_conflict = t.blocked_other = 0;
    CHECK(decide_drain_exit(t, false) == drain_exit{exit_status::completed, {}, 0});
    t.completed = 0;
    CHECK(decide_drain_exit(t, false) == drain_exit{exit_status::completed, {}, 0});
  }
  SECTION("nothing processed: no-callable-item") {
    drain_totals deferred_only;
    deferred_only.seen = deferred_only.deferred = 5;
    CHECK(decide_drain_exit(deferred_only, false) ==
          drain_exit{exit_status::no_callable_item, {}, 0});
    CHECK(decide_drain_exit(drain_totals{}, false) ==
          drain_exit{exit_status::no_callable_item, {}, 0});
  }
}

// ---- latency_histogram -----------------------------------------------------------------

TEST_CASE("histogram percentiles of 1..100000 within 1 %", "[drain_logic]") {
  latency_histogram h;
  for (std::int64_t v = 1; v <= 100'000; ++v) h.record(v);
  CHECK(h.count() == 100'000);
  CHECK(relative_error(h.percentile(50), 50'000) <= 0.01);
  CHECK(relative_error(h.percentile(99), 99'000) <= 0.01);
  CHECK(relative_error(h.percentile(90), 90'000) <= 0.01);
  CHECK(h.percentile(100) == 100'000);  // clamped to the exact maximum
  CHECK(h.percentile(0) == 1);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100'000);
}

TEST_CASE("histogram within 1 % on a long-tailed distribution", "[drain_logic]") {
  // Deterministic log-uniform values from 10 µs to ~10 s, compared with exact nearest ranks.
  std::vector<std::int64_t> values;
  std::uint64_t state = 42;
  latency_histogram h;
  for (int i = 0; i < 50'000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double unit = static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
    const auto v = static_cast<std::int64_t>(10.0 * std::pow(1e6, unit));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * 50'000 / 100.0));
    const auto exact = static_cast<double>(values[rank - 1]);
    INFO("p" << p << " exact " << exact << " measured " << h.percentile(p));
    CHECK(relative_error(h.percentile(p), exact) <= 0.01);
  }
}

TEST_CASE("histogram is exact for small values", "[drain_logic]") {
  latency_histogram h;
  for (int i = 0; i < 3; ++i) h.record(7);
  h.record(100);
  CHECK(h.percentile(50) == 7);
  CHECK(h.percentile(75) == 7);
  CHECK(h.percentile(99) == 100);
}

TEST_CASE("histogram edge values", "[drain_logic]") {
  latency_histogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.min() == 0);
  h.record(-5);  // a clock stepping back counts as 0
  CHECK(h.min() == 0);
  const auto huge = std::numeric_limits<std::int64_t>::max();
  h.record(huge);
  CHECK(h.count() == 2);
  CHECK(h.max() == huge);
  CHECK(relative_error(h.percentile(100), static_cast<double>(huge)) <= 0.01);
}

TEST_CASE("histogram merge equals recording everything in one", "[drain_logic]") {
  latency_histogram all, odd, even, empty;
  for (std::int64_t v = 1; v <= 20'000; ++v) {
    all.record(v * 37);
    (v % 2 ? odd : even).record(v * 37);
  }
  odd.merge(even);
  odd.merge(empty);
  CHECK(odd.count() == all.count());
  CHECK(odd.min() == all.min());
  CHECK(odd.max() == all.max());
  for (double p : {1.0, 50.0, 99.0}) CHECK(odd.percentile(p) == all.percentile(p));
  empty.merge(all);
  CHECK(empty.min() == 37);
  CHECK(empty.percentile(50) == all.percentile(50));
}

// ---- progress line ---------------------------------------------------------------------

namespace {

progress_snapshot sample_snapshot() {
  progress_snapshot s;
  s.totals.seen = 500;
  s.totals.processed = 412;
  s.totals.completed = 380;
  s.totals.blocked_eligibility = 15;
  s.totals.blocked_other = 5;
  s.totals.blocked_conflict = 2;
  s.totals.failed = 10;
  s.pages_remain = true;
  s.in_flight = 8;
  s.target = 16;
  s.throttled = 3;
  s.elapsed_ms = 100'000;
  return s;
}

}  // namespace

TEST_CASE("progress figures while pages remain", "[drain_logic]") {
  const auto s = sample_snapshot();
  CHECK(sessions_per_second(s) == Approx(4.12));
  CHECK(eta_seconds(s) == -1);
  CHECK(progress_figures(s) ==
        "412/500+ ok 380 blocked 20 conflict 2 resume 0 failed 10 | 4.1 sessions/s | "
        "in-flight 8/16 | 429 3");
}

TEST_CASE("progress figures with an ETA once the total is known", "[drain_logic]") {
  auto s = sample_snapshot();
  s.pages_remain = false;
  // 88 rows left at 412 rows per 100 s: 21.4 s, rounded up.
  CHECK(eta_seconds(s) == 22);
  CHECK(progress_figures(s) ==
        "412/500 ok 380 blocked 20 conflict 2 resume 0 failed 10 | 4.1 sessions/s | "
        "in-flight 8/16 | 429 3 | eta 22s");
  s.totals.seen = 100'000;
  CHECK(progress_figures(s).ends_with("| eta 6h42m"));
}

TEST_CASE("progress bar fills the width", "[drain_logic]") {
  auto s = sample_snapshot();
  s.totals.seen = 824;  // done is exactly half
  const auto figures = progress_figures(s);
  const auto line = progress_bar_line(s, figures.size() + 23);  // 20 cells
  CHECK(line == "[##########----------] " + figures);
  CHECK(line.size() == figures.size() + 23);
}

TEST_CASE("progress bar drops the bar, then cuts, when narrow", "[drain_logic]") {
  const auto s = sample_snapshot();
  const auto figures = progress_figures(s);
  // 10 cells is the smallest bar: 412/500 of them filled, rounded down.
  CHECK(progress_bar_line(s, figures.size() + 13) == "[########--] " + figures);
  CHECK(progress_bar_line(s, figures.size() + 12) == figures);
  CHECK(progress_bar_line(s, 20) == figures.substr(0, 20));
}

TEST_CASE("progress bar with nothing seen yet", "[drain_logic]") {
  progress_snapshot s;
  s.pages_remain = true;
  s.target = 4;
  const auto line = progress_bar_line(s, 120);
  CHECK(line.size() == 120);
  CHECK(line.starts_with("[---"));
  CHECK(
      line.ends_with("] 0/0+ ok 0 blocked 0 conflict 0 resume 0 failed 0 | 0.0 sessions/s | "
                     "in-flight 0/4 | 429 0"));
}

TEST_CASE("plain progress line", "[drain_logic]") {
  const auto s = sample_snapshot();
  CHECK(progress_plain_line(s) == "progress: " + progress_figures(s) + " | elapsed 1m40s");
  CHECK(progress_interval_ms(true) == 100);
  CHECK(progress_interval_ms(false) == 10'000);
}

TEST_CASE("durations in the progress line", "[drain_logic]") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(59) == "59s");
  CHECK(format_duration(60) == "1m00s");
  CHECK(format_duration(3599) == "59m59s");
  CHECK(format_duration(3600) == "1h00m");
  CHECK(format_duration(3 * 3600 + 7 * 60 + 9) == "3h07m");
  CHECK(format_duration(-4) == "0s");
}

// ---- seen rows -------------------------------------------------------------------------------

namespace {
std::string guid_of(std::uint32_t n) {
  char text[37];
  std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012x", n * 2654435761u, n);
  return text;
}
}  // namespace

TEST_CASE("guid keys ignore case and punctuation but not digits", "[drain_logic]") {
  CHECK(key_of("6F1A0A3E-0000-4000-8000-00000000CA01") ==
        key_of("{6f1a0a3e-0000-4000-8000-00000000ca01}"));
  CHECK(key_of("6f1a0a3e-0000-4000-8000-00000000ca01") !=
        key_of("6f1a0a3e-0000-4000-8000-00000000ca02"));
  CHECK(key_of("00000001-0000-0000-0000-000000000000") !=
        key_of("00000000-0000-0000-0000-000000000001"));
}

TEST_CASE("seen rows: each id is new once, across merges and chunks", "[drain_logic]") {
  // Chunks of 1,000 ids: the 512-id merges split across chunk boundaries.
  seen_rows seen(1000);
  const std::uint32_t n = 5000;
  for (std::uint32_t i = 0; i < n; ++i) REQUIRE(seen.insert(guid_of(i)));
  CHECK(seen.size() == n);
  // Every id again, in another order and case: none is new.
  for (std::uint32_t i = n; i-- > 0;) {
    auto id = guid_of(i);
    for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    REQUIRE_FALSE(seen.insert(id));
  }
  CHECK(seen.size() == n);
  CHECK(seen.contains(guid_of(4321)));
  CHECK_FALSE(seen.contains(guid_of(n)));
  CHECK(seen.insert(guid_of(n)));
  CHECK(seen.contains(guid_of(n)));
  CHECK(seen.size() == n + 1);
}
