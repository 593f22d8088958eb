#include "adapters/dataverse/metadata_verifier.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "adapters/dataverse/dataverse_responses.hpp"

namespace opencloser::dataverse {

namespace {

bool is_lookup_type(const std::string& t) {
  return t == "Lookup" || t == "Owner" || t == "Customer";
}

/// One table under check: its conceptual key (or "" for a facility-name table that is not a
/// mapped entity) and what was learnt about it.
struct table_state {
  std::string key;
  std::string logical_name;
  bool found = false;
  entity_definition live;
  std::map<std::string, std::string> attributes;  ///< column → AttributeType
};

class verifier {
 public:
  verifier(const mapping_artifact& m, bool link_regarding, const metadata_answers& answers)
      : m_(m), link_(link_regarding), answers_(answers) {}

  verification_step run(const std::string& checked_at) {
    collect_tables();
    for (auto& t : tables_) {
      need(entity_definition_request(t.logical_name));
      need(attributes_request(t.logical_name));
    }
    const auto* queue = table("queue_item");
    if (link_ && queue)
      for (const char* activity : {"phonecall", "task"})
        need(regarding_relationship_request(activity, queue->logical_name));
    if (!needed_.empty()) return {std::move(needed_), std::nullopt, std::nullopt};

    for (auto& t : tables_) read_table(t);
    check_entities();
    check_fields();
    check_queue_columns();
    check_activity_columns();
    if (!check_option_sets()) return {std::move(needed_), std::nullopt, std::nullopt};
    check_regarding();

    verification_step out;
    out.report = verification_report{missing_.empty(), missing_, drift_, checked_at};
    if (missing_.empty()) out.resolved = resolve();
    return out;
  }

 private:
  const mapping_artifact& m_;
  bool link_;
  const metadata_answers& answers_;
  std::vector<table_state> tables_;
  std::vector<dataverse_request> needed_;
  std::vector<std::string> missing_, drift_;
  std::map<std::string, std::string> live_regarding_;  ///< activity → navigation property

  const metadata_answer* answer(const dataverse_request& r) const {
    const auto it = answers_.find(r.relative_url);
    if (it == answers_.end()) return nullptr;
    const int s = it->second.status;
    if (s != 404 && (s < 200 || s >= 300))
      throw std::invalid_argument("metadata answer for " + r.plan_url + " has status " +
                                  std::to_string(s) + "; errors other than 404 propagate");
    return &it->second;
  }

  void need(const dataverse_request& r) {
    if (answer(r)) return;
    for (const auto& n : needed_)
      if (n.relative_url == r.relative_url) return;
    needed_.push_back(r);
  }

  table_state* table(std::string_view key) {
    for (auto& t : tables_)
      if (t.key == key) return &t;
    return nullptr;
  }
  table_state* table_by_logical(std::string_view logical) {
    for (auto& t : tables_)
      if (t.logical_name == logical) return &t;
    return nullptr;
  }

  /// Mapped entities in document order, then the facility-name table when it is not one.
  void collect_tables() {
    for (const auto& e : m_.entities) tables_.push_back({e.key, e.logical_name, false, {}, {}});
    if (m_.entity("account")) return;
    const auto* f = m_.field("queue.facility_account");
    if (f && f->lookup_target && f->lookup_target->find(',') == std::string::npos &&
        !table_by_logical(*f->lookup_target))
      tables_.push_back({"", *f->lookup_target, false, {}, {}});
  }

  void read_table(table_state& t) {
    const auto* def = answer(entity_definition_request(t.logical_name));
    const auto* attrs = answer(attributes_request(t.logical_name));
    if (def->status == 404 || attrs->status == 404) {
      missing_.push_back((t.key.empty() ? "queue.facility_account" : "entities." + t.key) +
                         ": table '" + t.logical_name + "' not found");
      return;
    }
    t.found = true;
    t.live = parse_entity_definition(def->body);
    for (auto& [column, type] : parse_attributes(attrs->body)) t.attributes[column] = type;
  }

  void check_entities() {
    for (const auto& e : m_.entities) {
      const auto* t = table(e.key);
      if (!t->found) continue;
      const std::string where = "entities." + e.key;
      if (e.entity_set_name && *e.entity_set_name != t->live.entity_set_name)
        missing_.push_back(where + ": entity_set_name '" + *e.entity_set_name +
                           "' differs from live '" + t->live.entity_set_name + "'");
      if (e.primary_id && *e.primary_id != t->live.primary_id_attribute)
        missing_.push_back(where + ": primary_id '" + *e.primary_id + "' differs from live '" +
                           t->live.primary_id_attribute + "'");
    }
    for (const auto& [key, expected] :
         {std::pair<std::string, std::string>{"phone_call_activity", "phonecall"},
          {"task", "task"}}) {
      const auto* e = m_.entity(key);
      if (e && e->logical_name != expected)
        missing_.push_back("entities." + key + ": table '" + e->logical_name + "' is not '" +
                           expected + "'");
    }
  }

  void check_fields() {
    for (const auto& f : m_.fields) {
      const std::string where = "fields." + f.key;
      auto* t = table(f.entity);
      if (!t) {
        missing_.push_back(where + ": entity '" + f.entity + "' is not mapped");
        continue;
      }
      if (!t->found) continue;
      const auto it = t->attributes.find(f.logical_name);
      const std::string column = "'" + t->logical_name + "." + f.logical_name + "'";
      if (it == t->attributes.end()) {
        missing_.push_back(where + ": column " + column + " not found");
        continue;
      }
      if (f.type == "lookup" && !is_lookup_type(it->second))
        missing_.push_back(where + ": column " + column + " is '" + it->second + "', not a lookup");
      if (f.type != "lookup" && is_lookup_type(it->second))
        missing_.push_back(where + ": column " + column + " is a lookup ('" + it->second +
                           "') but mapped as '" + f.type + "'");
    }
  }

  void check_queue_columns() {
    const auto* q = table("queue_item");
    if (!q || !q->found) return;
    for (const auto& c : m_.preserve_if_present)
      if (!q->attributes.count(c))
        missing_.push_back("preserve_if_present: column '" + q->logical_name + "." + c +
                           "' not found");
    if (m_.task_owner_override_field && !q->attributes.count(*m_.task_owner_override_field))
      missing_.push_back("task_owner_override_field: column '" + q->logical_name + "." +
                         *m_.task_owner_override_field + "' not found");
  }

  void check_activity_columns() {
    std::vector<std::pair<std::string, std::vector<std::string>>> required{
        {"phone_call_activity",
         {"subject", "description", "actualstart", "actualend", "directioncode", "statecode",
          "statuscode"}},
        {"task", {"subject", "description", "ownerid"}}};
    if (link_)
      for (auto& [key, columns] : required) columns.push_back("regardingobjectid");
    for (const auto& [key, columns] : required) {
      const auto* t = table(key);
      if (!t || !t->found) continue;
      for (const auto& c : columns)
        if (!t->attributes.count(c))
          missing_.push_back("entities." + key + ": column '" + t->logical_name + "." + c +
                             "' not found");
    }
  }

  /// False when option-set answers are still needed (they are in needed_).
  bool check_option_sets() {
    // Once per (table, column), in the document order of the first option naming it.
    struct column_options {
      std::string field_key;
      table_state* table = nullptr;
      std::string column;
      std::vector<const mapping_option*> options;
    };
    std::vector<column_options> groups;
    for (const auto& o : m_.option_sets) {
      const auto* f = m_.field(o.field);
      if (!f) {
        missing_.push_back("option_sets." + o.key + ": field '" + o.field + "' is not mapped");
        continue;
      }
      auto* t = table(f->entity);
      if (!t || !t->found || !t->attributes.count(f->logical_name)) continue;  // reported above
      auto g = std::find_if(groups.begin(), groups.end(), [&](const column_options& c) {
        return c.table == t && c.column == f->logical_name;
      });
      if (g == groups.end()) g = groups.insert(groups.end(), {o.field, t, f->logical_name, {}});
      g->options.push_back(&o);
    }
    std::vector<std::pair<const column_options*, dataverse_request>> reads;
    for (const auto& g : groups) {
      const auto& type = g.table->attributes.at(g.column);
      auto request = option_set_request(g.table->logical_name, g.column, type);
      if (!request) {
        missing_.push_back(g.field_key + ": column '" + g.column + "' is not an option set");
        continue;
      }
      need(*request);
      reads.emplace_back(&g, std::move(*request));
    }
    if (!needed_.empty()) return false;

    for (const auto& [g, request] : reads) {
      const auto* a = answer(request);
      const std::string column = "'" + g->table->logical_name + "." + g->column + "'";
      if (a->status == 404) {
        for (const auto* o : g->options)
          missing_.push_back("option_sets." + o->key + ": option set of column " + column +
                             " not found");
        continue;
      }
      auto live = parse_option_values(a->body);
      std::sort(live.begin(), live.end());
      live.erase(std::unique(live.begin(), live.end()), live.end());
      std::string listed;
      for (const auto v : live) listed += (listed.empty() ? "" : ", ") + std::to_string(v);
      std::set<std::int64_t> referenced;
      for (const auto* o : g->options) {
        referenced.insert(o->value);
        if (!std::binary_search(live.begin(), live.end(), o->value))
          missing_.push_back("option_sets." + o->key + ": value " + std::to_string(o->value) +
                             " not in the live options of column " + column + " [" + listed + "]");
      }
      for (const auto v : live)
        if (!referenced.count(v))
          drift_.push_back(g->field_key + ": live option " + std::to_string(v) + " of column " +
                           column + " is not mapped");
    }
    return true;
  }

  void check_regarding() {
    const auto* queue = table("queue_item");
    if (!link_ || !queue) return;
    for (const auto& [activity, field_key] :
         {std::pair<std::string, std::string>{"phonecall", "phone_call.regarding"},
          {"task", "task.regarding"}}) {
      const auto* a = answer(regarding_relationship_request(activity, queue->logical_name));
      const auto nav = a->status == 404 ? std::nullopt : parse_regarding_navigation(a->body);
      if (!nav) {
        missing_.push_back(field_key + ": table '" + queue->logical_name +
                           "' is not enabled for activities (no regarding relationship on '" +
                           activity + "')");
        continue;
      }
      const auto* f = m_.field(field_key);
      if (f && f->navigation_property && *f->navigation_property != *nav)
        missing_.push_back(field_key + ": navigation_property '" + *f->navigation_property +
                           "' differs from live '" + *nav + "'");
      live_regarding_[activity] = *nav;
    }
  }

  resolved_table resolved(const table_state& t) const {
    return {t.logical_name, t.live.entity_set_name, t.live.primary_id_attribute};
  }

  resolved_mapping resolve() {
    resolved_mapping r;
    r.artifact = m_;
    r.queue = resolved(*table("queue_item"));
    r.phone_call = resolved(*table("phone_call_activity"));
    r.task = resolved(*table("task"));
    const table_state* name = table("account");
    if (!name)
      for (const auto& t : tables_)
        if (t.key.empty()) name = &t;
    if (name) {
      r.name_table = resolved(*name);
      r.name_table_primary_name = name->live.primary_name_attribute;
    }
    // Queue columns of a lookup type: mapped fields, preserve and override columns.
    const auto& queue_attrs = table("queue_item")->attributes;
    auto mark = [&](const std::string& column) {
      const auto it = queue_attrs.find(column);
      if (it != queue_attrs.end() && is_lookup_type(it->second))
        r.queue_lookup_columns.insert(column);
    };
    for (const auto& f : m_.fields)
      if (f.entity == "queue_item") mark(f.logical_name);
    for (const auto& c : m_.preserve_if_present) mark(c);
    if (m_.task_owner_override_field) mark(*m_.task_owner_override_field);
    if (link_) {
      r.phone_call_regarding = live_regarding_["phonecall"];
      r.task_regarding = live_regarding_["task"];
    }
    return r;
  }
};

}  // namespace

verification_step verify_metadata(const mapping_artifact& mapping, bool link_regarding,
                                  const metadata_answers& answers, const std::string& checked_at) {
  return verifier(mapping, link_regarding, answers).run(checked_at);
}

json::value to_json(const verification_report& report) {
  json::array missing(report.missing.begin(), report.missing.end());
  json::array drift(report.drift.begin(), report.drift.end());
  return json::object{{"checked_at", report.checked_at},
                      {"drift", std::move(drift)},
                      {"missing", std::move(missing)},
                      {"ok", report.ok}};
}

}  // namespace opencloser::dataverse
