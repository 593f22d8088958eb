#include "messages/type_registry.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/inspect.hpp"

namespace opencloser {

void register_message_types(caf::actor_system_config& cfg) {
  // add_message_type<T> also registers std::vector<T>.
  cfg.add_message_type<queue_item>("opencloser::queue_item")
      .add_message_type<eligibility_decision>("opencloser::eligibility_decision")
      .add_message_type<data_quality_warning>("opencloser::data_quality_warning")
      .add_message_type<conversation_turn>("opencloser::conversation_turn")
      .add_message_type<conversation>("opencloser::conversation")
      .add_message_type<payload_entry>("opencloser::payload_entry")
      .add_message_type<transport_event>("opencloser::transport_event")
      .add_message_type<transport_fixture>("opencloser::transport_fixture")
      .add_message_type<mock_call_event>("opencloser::mock_call_event")
      .add_message_type<conflicting_event_audit>("opencloser::conflicting_event_audit")
      .add_message_type<extraction>("opencloser::extraction")
      .add_message_type<persona_output>("opencloser::persona_output")
      .add_message_type<call_outcome>("opencloser::call_outcome")
      .add_message_type<session_record>("opencloser::session_record")
      .add_message_type<normalized_result>("opencloser::normalized_result")
      .add_message_type<local_idempotency_key>("opencloser::local_idempotency_key")
      .add_message_type<phone_call_payload>("opencloser::phone_call_payload")
      .add_message_type<queue_status_update>("opencloser::queue_status_update")
      .add_message_type<task_payload>("opencloser::task_payload")
      .add_message_type<writeback_plan>("opencloser::writeback_plan")
      .add_message_type<emit_result>("opencloser::emit_result")
      .add_message_type<session_outcome>("opencloser::session_outcome")
      .add_message_type<http_counters>("opencloser::http_counters")
      .add_message_type<run_report>("opencloser::run_report")
      .add_message_type<dataverse_call>("opencloser::dataverse_call")
      .add_message_type<dataverse_reply>("opencloser::dataverse_reply")
      .add_message_type<load_order>("opencloser::load_order")
      .add_message_type<load_result>("opencloser::load_result")
      .add_message_type<page_order>("opencloser::page_order")
      .add_message_type<page_result>("opencloser::page_result")
      .add_message_type<call_order>("opencloser::call_order")
      .add_message_type<redaction_result>("opencloser::redaction_result")
      .add_message_type<claim_order>("opencloser::claim_order")
      .add_message_type<claim_outcome>("opencloser::claim_outcome")
      .add_message_type<emit_order>("opencloser::emit_order")
      .add_message_type<emit_outcome>("opencloser::emit_outcome")
      .add_message_type<write_checkpoint>("opencloser::write_checkpoint")
      .add_message_type<checkpoint_verdict>("opencloser::checkpoint_verdict")
      .add_message_type<plan_order>("opencloser::plan_order")
      .add_message_type<plan_result>("opencloser::plan_result")
      .add_message_type<session_order>("opencloser::session_order")
      .add_message_type<resume_order>("opencloser::resume_order")
      .add_message_type<session_report>("opencloser::session_report")
      .add_message_type<drain_order>("opencloser::drain_order")
      .add_message_type<drain_counts>("opencloser::drain_counts")
      .add_message_type<drain_snapshot>("opencloser::drain_snapshot")
      .add_message_type<drain_summary>("opencloser::drain_summary")
      .add_message_type<drain_note>("opencloser::drain_note")
      .add_message_type<gateway_stats>("opencloser::gateway_stats")
      // cli.md §6.1 names these two on the wire.
      .add_message_type<ctl_request>("ctl_request")
      .add_message_type<ctl_reply>("ctl_reply");
}

}  // namespace opencloser
