#include "emulator/store.hpp"

#include <algorithm>
#include <utility>

#include "actors/common/ids.hpp"
#include "actors/common/text.hpp"

namespace opencloser::emulator {

namespace {

std::optional<std::string> index_key(const row& r, const std::string& column) {
  const auto it = r.find(column);
  if (it == r.end() || !it->second.is_string()) return std::nullopt;
  return text::lower(it->second.as_string());
}

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

store::column_index& store::index_of(const table_def& table, const std::string& column) {
  const auto key = std::make_pair(table.logical_name, column);
  if (const auto it = indexes_.find(key); it != indexes_.end()) return it->second;
  auto& index = indexes_[key];
  for (const auto& [id, r] : rows(table))
    if (auto k = index_key(r, column)) index[*k].insert(id);
  return index;
}

std::vector<const row*> store::rows_with(const table_def& table, const std::string& column,
                                         std::string_view value) {
  std::vector<const row*> out;
  const auto& index = index_of(table, column);
  const auto bucket = index.find(text::lower(value));
  if (bucket == index.end()) return out;
  out.reserve(bucket->second.size());
  for (const auto& id : bucket->second) out.push_back(&rows(table).at(id));
  return out;
}

std::size_t store::count_with(const table_def& table, const std::string& column,
                              std::string_view value) {
  const auto& index = index_of(table, column);
  const auto bucket = index.find(text::lower(value));
  return bucket == index.end() ? 0 : bucket->second.size();
}

store::index_keys store::keys_before(const std::string& table, const std::string& id) {
  index_keys keys;
  const auto& table_rows = data_[table];
  const auto it = table_rows.find(id);
  for (auto i = indexes_.lower_bound(std::make_pair(table, std::string()));
       i != indexes_.end() && i->first.first == table; ++i)
    keys.emplace_back(
        i, it == table_rows.end() ? std::nullopt : index_key(it->second, i->first.second));
  return keys;
}

void store::update_indexes(const std::string& table, const std::string& id,
                           const index_keys& before) {
  if (before.empty()) return;
  const auto& table_rows = data_[table];
  const auto it = table_rows.find(id);
  for (const auto& [index, old_key] : before) {
    const auto new_key =
        it == table_rows.end() ? std::nullopt : index_key(it->second, index->first.second);
    if (old_key == new_key) continue;
    auto& buckets = index->second;
    if (old_key) {
      const auto bucket = buckets.find(*old_key);
      bucket->second.erase(id);
      if (bucket->second.empty()) buckets.erase(bucket);
    }
    if (new_key) buckets[*new_key].insert(id);
  }
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
  const auto before = keys_before(table.logical_name, id);
  auto& slot = rows(table)[id];
  slot = std::move(values);
  update_indexes(table.logical_name, id, before);
  return slot;
}

const row& store::update(const table_def& table, std::string_view id, const row& changes,
                         std::string_view now) {
  const std::string key = canonical_guid(id);
  remember(table, key);
  const auto before = keys_before(table.logical_name, key);
  auto& r = rows(table).at(key);
  for (const auto& [property, value] : changes) r[property] = value;
  stamp(r, next_version(), now);
  update_indexes(table.logical_name, key, before);
  return r;
}

const row& store::bump_version(const table_def& table, std::string_view id, std::string_view now) {
  return update(table, id, {}, now);
}

bool store::erase(const table_def& table, std::string_view id) {
  const std::string key = canonical_guid(id);
  if (!find(table, key)) return false;
  remember(table, key);
  const auto before = keys_before(table.logical_name, key);
  rows(table).erase(key);
  update_indexes(table.logical_name, key, before);
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
    const auto before = keys_before(it->table, it->id);
    if (it->before)
      table.insert_or_assign(it->id, *it->before);
    else
      table.erase(it->id);
    update_indexes(it->table, it->id, before);
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
