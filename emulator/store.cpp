#include "emulator/store.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/ids.hpp"

namespace opencloser::emulator {

namespace {

void stamp(row& r, std::int64_t version, std::string_view now) {
  r["versionnumber"] = json::value(version);
  r["modifiedon"] = json::value(std::string(now));
}

}  // namespace

store::store(const seed_data& seed) : schema_(seed.tables) {
  for (const auto& [name, table] : schema_.tables) data_[name];
  for (const auto& [name, seeded] : seed.rows) {
    const auto* table = schema_.by_logical_name(name);
    if (!table) continue;  // the seed loader rejects rows of unknown tables
    auto& target = data_[name];
    for (const auto& r : seeded) {
      row copy = r;
      const auto created = copy.find("createdon");
      const std::string createdon =
          created != copy.end() && created->second.is_string() ? created->second.as_string() : "";
      stamp(copy, next_version(), createdon);
      const auto id = copy.at(table->primary_id).as_string();
      target.insert_or_assign(id, std::move(copy));
    }
  }
}

store::table_rows& store::rows(const table_def& table) {
  return data_[table.logical_name];
}

const row* store::find(const table_def& table, std::string_view id) const {
  const auto t = data_.find(table.logical_name);
  if (t == data_.end()) return nullptr;
  const std::string key = is_guid(id) ? canonical_guid(id) : std::string(id);
  const auto it = t->second.find(key);
  return it == t->second.end() ? nullptr : &it->second;
}

std::vector<const row*> store::rows_of(const table_def& table) const {
  std::vector<const row*> out;
  const auto t = data_.find(table.logical_name);
  if (t == data_.end()) return out;
  out.reserve(t->second.size());
  for (const auto& [id, r] : t->second) out.push_back(&r);
  return out;
}

std::size_t store::row_count(const table_def& table) const {
  const auto t = data_.find(table.logical_name);
  return t == data_.end() ? 0 : t->second.size();
}

void store::remember(const table_def& table, const std::string& id) {
  ++writes_;
  if (!in_transaction_) return;
  const auto* existing = find(table, id);
  undo_.push_back(
      {table.logical_name, id, existing ? std::optional<row>(*existing) : std::nullopt});
}

const row& store::insert(const table_def& table, row values, std::string_view now) {
  const std::string id = canonical_guid(values.at(table.primary_id).as_string());
  values[table.primary_id] = json::value(id);
  remember(table, id);
  if (!values.contains("createdon")) values["createdon"] = json::value(std::string(now));
  stamp(values, next_version(), now);
  auto& slot = rows(table)[id];
  slot = std::move(values);
  return slot;
}

const row& store::update(const table_def& table, std::string_view id, const row& changes,
                         std::string_view now) {
  const std::string key = canonical_guid(id);
  remember(table, key);
  auto& r = rows(table).at(key);
  for (const auto& [property, value] : changes) r[property] = value;
  stamp(r, next_version(), now);
  return r;
}

const row& store::bump_version(const table_def& table, std::string_view id, std::string_view now) {
  return update(table, id, {}, now);
}

bool store::erase(const table_def& table, std::string_view id) {
  const std::string key = canonical_guid(id);
  if (!find(table, key)) return false;
  remember(table, key);
  rows(table).erase(key);
  return true;
}

void store::begin_transaction() {
  in_transaction_ = true;
  undo_.clear();
}

void store::commit_transaction() {
  in_transaction_ = false;
  undo_.clear();
}

void store::rollback_transaction() {
  // Newest first, so a row touched twice ends at its state before the first touch.
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    auto& table = data_[it->table];
    if (it->before)
      table.insert_or_assign(it->id, *it->before);
    else
      table.erase(it->id);
  }
  commit_transaction();
}

json::value store::dump_tables() const {
  json::object tables;
  for (const auto& [name, table_rows] : data_) {
    json::array rows;
    rows.reserve(table_rows.size());
    for (const auto& [id, r] : table_rows) {
      json::object o;
      o.emplace_back("@odata.etag", etag_of(r));
      for (const auto& [property, value] : r) o.emplace_back(property, value);
      rows.emplace_back(std::move(o));
    }
    tables.emplace_back(name, std::move(rows));
  }
  return tables;
}

}  // namespace opencloser::emulator
