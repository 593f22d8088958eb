// `queue_item_imports` (fixtures.md §5): predecessor queue-item files turned into rows of the
// queue table through a mapping artifact, each with its facility's account. Fields the
// mapping does not name are skipped: an import fills what the mapping knows.

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "adapters/fixtures/fixture_loader.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "emulator/seed_internal.hpp"
#include "messages/enums.hpp"

namespace opencloser::emulator::seed_detail {

namespace {

std::string entry_where(std::size_t index) {
  return "queue_item_imports[" + std::to_string(index) + "]";
}

/// The facility's account, created by the first import naming it and reused after.
void add_facility_account(row_placer& placer, const import_decl& imp, const std::string& account_id,
                          const queue_item& item) {
  const auto where = entry_where(imp.index) + " account " + in_quotes(item.facility_name);
  auto& accounts = placer.placed(imp.file, "account", where);
  if (accounts.ids.contains(account_id)) return;
  row r;
  r.emplace("accountid", account_id);
  r.emplace("name", item.facility_name);
  placer.store(accounts, std::move(r), placer.add_source(imp.file, where), 0);
}

void import_item(row_placer& placer, const import_decl& imp, const std::string& where,
                 const queue_item& item, const mapping_artifact& mapping) {
  const auto* entity = mapping.entity("queue_item");
  if (!entity) fail(imp.file, where + ": the mapping has no 'queue_item' entity");
  const auto* t = placer.tables().by_logical_name(entity->logical_name);
  if (!t)
    fail(imp.file, where + ": the mapping's queue_item table " + in_quotes(entity->logical_name) +
                       " is not declared by any seed");
  if (entity->entity_set_name && *entity->entity_set_name != t->entity_set_name)
    fail(imp.file, where + ": the mapping's queue_item entity set " +
                       in_quotes(*entity->entity_set_name) + " differs from the table's " +
                       in_quotes(t->entity_set_name));
  if (entity->primary_id && *entity->primary_id != t->primary_id)
    fail(imp.file, where + ": the mapping's queue_item primary id " +
                       in_quotes(*entity->primary_id) + " differs from the table's " +
                       in_quotes(t->primary_id));

  json::object values;
  values.emplace_back(t->primary_id, is_guid(item.queue_item_id)
                                         ? canonical_guid(item.queue_item_id)
                                         : uuid_v5(opencloser_uuid_namespace,
                                                   "opencloser:queue_item:" + item.queue_item_id));
  const auto set = [&](std::string_view field_key, json::value v) -> bool {
    const auto* field = mapping.field(field_key);
    if (!field) return false;
    const auto* column = t->attribute(field->logical_name);
    if (!column)
      fail(imp.file, where + ": mapping field " + in_quotes(field_key) + " names column " +
                         in_quotes(field->logical_name) + ", which table " +
                         in_quotes(t->logical_name) + " does not have");
    values.emplace_back(column->property_name(), std::move(v));
    return true;
  };
  const auto text = [](const nullable<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
  };
  set("queue.phone", text(item.phone_number));
  set("queue.timezone", text(item.timezone));
  set("queue.attempt_count", item.attempt_count);
  set("queue.dnc", item.dnc_flag);
  if (mapping.field("queue.status")) {
    const auto key = "queue_status." + std::string(to_string(item.status));
    const auto* option = mapping.option(key);
    if (!option) fail(imp.file, where + ": the mapping has no option_sets entry " + in_quotes(key));
    set("queue.status", option->value);
  }
  if (imp.campaign) set("queue.campaign", *imp.campaign);
  if (imp.next_attempt_at) set("queue.next_attempt_at", *imp.next_attempt_at);
  const auto account_id =
      uuid_v5(opencloser_uuid_namespace, "opencloser:account:" + item.facility_name);
  if (set("queue.facility_account", account_id))
    add_facility_account(placer, imp, account_id, item);

  auto& p = placer.placed(imp.file, t->logical_name, where);
  placer.store(p, checked_row(*t, values, imp.file, where), placer.add_source(imp.file, where), 0);
}

}  // namespace

void add_imports(std::vector<import_decl>& into, const seed_document& document,
                 const json::value& entries) {
  const auto& file = document.name;
  const auto path = [&](const json::value& entry, const char* key, const std::string& where) {
    return (document.base_dir / expect_string(*entry.find(key), file, where + "." + key))
        .lexically_normal();
  };
  for_each_entry(
      entries, file, "queue_item_imports", {"file", "mapping", "campaign", "next_attempt_at"},
      {"file", "mapping"}, [&](std::size_t i, const std::string& where, const json::value& e) {
        import_decl decl{file, i, path(e, "file", where), path(e, "mapping", where), {}, {}};
        if (const auto* campaign = e.find("campaign")) {
          if (!campaign->is_null() && !campaign->is_string())
            fail_not(file, where + ".campaign", "a string or null", campaign->kind_name());
          decl.campaign = *campaign;
        }
        if (const auto* next = e.find("next_attempt_at")) {
          if (!next->is_null() && !(next->is_string() && parse_utc_ms(next->as_string())))
            fail(file, where + ".next_attempt_at must be a UtcMs string or null");
          decl.next_attempt_at = *next;
        }
        into.push_back(std::move(decl));
      });
}

void place_imports(row_placer& placer, const std::vector<import_decl>& imports) {
  for (const auto& imp : imports) {
    const auto where = entry_where(imp.index) + " (" + imp.queue_file.string() + ")";
    queue_item item;
    mapping_artifact mapping;
    try {
      item = load_queue_item_file(imp.queue_file);
    } catch (const std::exception& e) {
      fail(imp.file, where + ": " + e.what());
    }
    try {
      mapping = load_mapping_artifact(imp.mapping_file);
    } catch (const std::exception& e) {
      fail(imp.file, where + ": mapping " + in_quotes(imp.mapping_file.string()) + ": " + e.what());
    }
    import_item(placer, imp, where, item, mapping);
  }
}

}  // namespace opencloser::emulator::seed_detail
