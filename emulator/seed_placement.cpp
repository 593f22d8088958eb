// Where seeded rows land: the table each goes to, the defaults a row gets when the seed leaves
// them out (a deterministic primary id, `createdon`), and the refusal of a duplicate primary
// id, naming both rows whichever part of which seed they came from.

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "emulator/seed_internal.hpp"

namespace opencloser::emulator::seed_detail {

namespace {

/// Defaulted `createdon`s count up by a millisecond per row from here, keeping seed order.
constexpr std::string_view first_createdon = "2026-01-01T00:00:00.000Z";

}  // namespace

placed_table& row_placer::placed(const std::string& file, const std::string& table,
                                 const std::string& where) {
  auto it = placed_.find(table);
  if (it != placed_.end()) return it->second;
  const auto* def = seed_.tables.by_logical_name(table);
  if (!def)
    fail(file, where + ": unknown table " + in_quotes(table) +
                   " (declare it under 'tables' in this or another seed)");
  placed_table p;
  p.def = def;
  p.rows = &seed_.rows[table];
  return placed_.emplace(table, std::move(p)).first->second;
}

std::size_t row_placer::add_source(std::string file, std::string label) {
  sources_.push_back({std::move(file), std::move(label)});
  return sources_.size() - 1;
}

std::string row_placer::origin_text(const row_origin& o) const {
  const auto& s = sources_[o.source];
  return s.label + " row " + std::to_string(o.index) + " in '" + s.file + "'";
}

void row_placer::store(placed_table& p, row r, std::size_t source, std::size_t index) {
  static const unix_ms first_createdon_ms = *parse_utc_ms(first_createdon);
  const auto& t = *p.def;
  const std::size_t position = p.rows->size();
  auto id = r.find(t.primary_id);
  if (id == r.end() || id->second.is_null())
    r.insert_or_assign(
        t.primary_id, uuid_v5(opencloser_uuid_namespace,
                              "opencloser:" + t.logical_name + ":row:" + std::to_string(position)));
  auto created = r.find("createdon");
  if (created == r.end() || created->second.is_null())
    r.insert_or_assign("createdon",
                       format_utc_ms(first_createdon_ms + static_cast<unix_ms>(position)));
  const auto& key = r.find(t.primary_id)->second.as_string();
  const auto [it, fresh] = p.ids.try_emplace(key, row_origin{source, index});
  if (!fresh) {
    const row_origin here{source, index};
    fail(sources_[source].file, origin_text(here) + ": duplicate primary id " + in_quotes(key) +
                                    " (already used by " + origin_text(it->second) + ")");
  }
  p.rows->push_back(std::move(r));
}

}  // namespace opencloser::emulator::seed_detail
