#pragma once
// Every actor interface of opencloser, in one place (after Tenzir's actors.hpp). Actors are
// thin shells: they receive a message, call the pure logic beside them, and send a message.
// Only this header and `*_actor.*` files include CAF.
//
// How one session flows through them: docs/architecture.md.

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "messages/call.hpp"
#include "messages/claim.hpp"
#include "messages/ctl.hpp"
#include "messages/dataverse.hpp"
#include "messages/drain.hpp"
#include "messages/emit.hpp"
#include "messages/inspect.hpp"
#include "messages/plan.hpp"
#include "messages/queue_load.hpp"
#include "messages/session_run.hpp"

namespace opencloser {

/// Asks the redactor for the `transcript.txt` of a rendered transcript.
using redact_atom = caf::atom_constant<caf::atom("redact")>;

/// (internal) A bearer token for a pending gateway call arrived, or could not be had.
using token_atom = caf::atom_constant<caf::atom("token")>;
/// (internal) The HTTP answer of a pending gateway call arrived.
using http_done_atom = caf::atom_constant<caf::atom("http_done")>;
/// (internal) A pending gateway call's retry wait is over.
using resend_atom = caf::atom_constant<caf::atom("resend")>;
/// A 429 was answered: the Retry-After in seconds (5 when absent), for the drain's pause.
using throttled_atom = caf::atom_constant<caf::atom("throttled")>;
/// An `x-ms-dop-hint` value was seen (the first, or a change).
using dop_hint_atom = caf::atom_constant<caf::atom("dop_hint")>;
/// Register the actor that hears throttled_atom and dop_hint_atom.
using observe_atom = caf::atom_constant<caf::atom("observe")>;
/// (internal) Time to renew the leases of the sessions in flight.
using renew_atom = caf::atom_constant<caf::atom("renew")>;

/// Drain control (cli.md §6): a snapshot, pause, resume, set-concurrency, enqueue, cancel.
using status_atom = caf::atom_constant<caf::atom("status")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using unpause_atom = caf::atom_constant<caf::atom("unpause")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using concurrency_atom = caf::atom_constant<caf::atom("setconc")>;
using enqueue_atom = caf::atom_constant<caf::atom("enqueue")>;
/// (internal) The drain coordinator's periodic wake-up (throttle pause over, signals).
using tick_atom = caf::atom_constant<caf::atom("tick")>;

using header_pairs = std::vector<std::pair<std::string, std::string>>;

/// The Dataverse gateway actor interface: the one actor that drives the HTTP adapter and the
/// token provider, so that no other actor knows HTTP. It adds the token and the standard
/// headers (dataverse.md §1), applies the retry policy (§5: transient resends with backoff,
/// 429 waits, one token refresh after a 401) on timers, and answers with a secret-free reply.
using dataverse_gateway_actor = caf::typed_actor<
    /// Sends one Web API call and answers when it is settled.
    caf::replies_to<dataverse_call>::with<dataverse_reply>,
    /// (internal, from the token provider's thread) call id, token ("" on failure), outcome
    /// class of a failure, its Retry-After seconds (< 0: none), its message.
    caf::reacts_to<token_atom, std::uint64_t, std::string, std::int32_t, double, std::string>,
    /// (internal, from the HTTP client's thread) call id, status (0: none), headers, body,
    /// transport failure.
    caf::reacts_to<http_done_atom, std::uint64_t, std::int32_t, header_pairs, std::string,
                   std::int32_t>,
    /// (internal, a delayed message to itself) call id: send it again.
    caf::reacts_to<resend_atom, std::uint64_t>,
    /// From now on, tell `observer` about every 429 (`throttled_atom, double seconds`) and every
    /// new `x-ms-dop-hint` (`dop_hint_atom, std::int64_t`); and after a 429, start no request
    /// before its Retry-After has passed (the global pause of cli.md §5.2).
    caf::reacts_to<observe_atom, caf::actor>,
    /// Request latency percentiles and the most requests in flight at once, so far.
    caf::replies_to<status_atom>::with<gateway_stats>>;

/// The queue loader actor interface: one queue row from Dataverse to an eligibility decision.
using queue_loader_actor = caf::typed_actor<
    /// Loads the explicit row or the next ready row of the campaign (dataverse.md §4), names
    /// its facility, converts it to a queue item and evaluates rules a–f (domain.md §5).
    caf::replies_to<load_order>::with<load_result>,
    /// One page of the campaign's ready rows (drain): `Prefer: odata.maxpagesize`, then
    /// `@odata.nextLink` verbatim; an empty first page runs the campaign check.
    caf::replies_to<page_order>::with<page_result>>;

/// The call simulator actor interface: the mock call of one session.
using call_simulator_actor = caf::typed_actor<
    /// Processes the transport events (duplicates, late events, audits; domain.md §6–§7),
    /// runs the persona on the conversation (§8) and decides the disposition.
    caf::replies_to<call_order>::with<call_outcome>>;

/// The redactor actor interface: transcripts are redacted before anything is written.
using redactor_actor = caf::typed_actor<
    /// The `transcript.txt` bytes of a rendered transcript under the run's policy and retention.
    caf::replies_to<redact_atom, std::string>::with<redaction_result>>;

/// The write-back planner actor interface: what a session writes back, decided once.
using writeback_planner_actor = caf::typed_actor<
    /// The normalized result, the write-back plan (emission table, DNC side effect, task guard;
    /// domain.md §9), the local keys, the attempts after the session and the planned requests
    /// of `http-plan.json` (dataverse.md §9).
    caf::replies_to<plan_order>::with<plan_result>>;

/// The write gate interface: whoever drives the emitter (the supervisor) journals the
/// operations done so far before the emitter sends its next write, and may stop it.
using write_gate_actor = caf::typed_actor<
    /// Journal what is done (ledger flags, correlations, lease owner check) and decide whether
    /// the next write may go out.
    caf::replies_to<write_checkpoint>::with<checkpoint_verdict>>;

/// The Dataverse emitter actor interface: every write the product sends, through the gateway.
using dataverse_emitter_actor = caf::typed_actor<
    /// The §6 claim: `If-Match` PATCH to in_progress with this session and attempt + 1, the
    /// 412 re-read and single re-claim, 404 as `__row_deleted__`, and the verification read
    /// after transient exhaustion.
    caf::replies_to<claim_order>::with<claim_outcome>,
    /// The §7.1–§7.4 sequential write-back of the undone operations: pre-write read against
    /// the active baseline, Phone Call create loop (key pre-query before every POST, duplicate
    /// key read-back, close), queue status PATCH (412 re-read: applied or conflict), Task
    /// create loop; or, in batch mode with nothing done, one `$batch` change set (§7.5). Stops
    /// at the first conflict, permanent error, transient exhaustion or refused checkpoint.
    caf::replies_to<emit_order>::with<emit_outcome>>;

/// The supervisor actor interface: owns the policies — the session pipeline and its order,
/// conflict-block, resume and release, the ledger and its lease (the single writer of the
/// state journal and the artifact tree) — and, as the emitter's write gate, journals every
/// operation before the next write.
using supervisor_actor = write_gate_actor::extend<
    /// Runs one queue row through load → begin → claim → call → redact → plan → emit and
    /// answers with the run report (dataverse.md §4–§9, §12).
    caf::replies_to<session_order>::with<session_report>,
    /// Takes a `resume_needed` (or expired) session over and replays its undone operations
    /// against the persisted active baseline, or releases its claim (§10).
    caf::replies_to<resume_order>::with<session_report>,
    /// (internal, a delayed message to itself) renew the lease of every session in flight
    /// (dataverse.md §12: at least every lease_seconds/3).
    caf::reacts_to<renew_atom>,
    /// Journals a drain item that never became a session (`not_started`).
    caf::reacts_to<drain_note>>;

/// The drain coordinator actor interface: a whole campaign, N sessions at a time (cli.md §5).
/// It pages the campaign through its own queue loader, holds at most one unconsumed page,
/// assigns each row its scenario, hands rows to the supervisor as credits allow (adaptive
/// concurrency: 429s halve the target, clean runs step it up, the dop hint caps it) and
/// aggregates the outcomes.
using drain_coordinator_actor = caf::typed_actor<
    /// Runs the drain to its end.
    caf::replies_to<drain_order>::with<drain_summary>,
    /// A snapshot (progress lines, `ctl status`).
    caf::replies_to<status_atom>::with<drain_snapshot>,
    /// Start no new session / start them again / stop for good (in-flight sessions finish).
    caf::replies_to<pause_atom>::with<bool>, caf::replies_to<unpause_atom>::with<bool>,
    caf::replies_to<cancel_atom>::with<bool>,
    /// target = ceiling = n.
    caf::replies_to<concurrency_atom, std::int64_t>::with<bool>,
    /// Explicit rows ahead of the paged ones; answers the ids ignored (already seen).
    caf::replies_to<enqueue_atom, std::vector<std::string>>::with<std::vector<std::string>>,
    /// From the gateway: a 429 with its Retry-After seconds; an `x-ms-dop-hint`.
    caf::reacts_to<throttled_atom, double>, caf::reacts_to<dop_hint_atom, std::int64_t>,
    /// (internal) periodic wake-up.
    caf::reacts_to<tick_atom>>;

/// The drain front actor interface: the one actor a drain publishes at `--listen`
/// (cli.md §6.1). It checks version and token, refuses what the drain's state does not allow,
/// and turns each `ctl` command into a message to the coordinator.
using drain_front_actor = caf::typed_actor<
    /// One ctl command → its reply (`code` 0 done, 1 refused; `body` is what ctl prints).
    caf::replies_to<ctl_request>::with<ctl_reply>>;

}  // namespace opencloser
