// `generate` (fixtures.md §5): a template of column values with `{{n}}`, `{{n:W}}` and
// `{{guid}}` placeholders, expanded into `count` rows. A template is compiled once (constants
// checked once, placeholders parsed once) because seeds generate 100,000 rows and more.

#include <algorithm>
#include <charconv>

#include "actors/common/ids.hpp"
#include "emulator/seed_internal.hpp"

namespace opencloser::emulator::seed_detail {

namespace {

/// A bound on `generate.count` so a typo (an extra zero or three) fails clearly instead of
/// exhausting memory.
constexpr std::int64_t max_generate_count = 10'000'000;

struct template_piece {
  enum class kind { literal, index, guid } what = kind::literal;
  std::string text;  ///< literal text
  int width = 0;     ///< `{{n:W}}` padding
};

struct template_slot {
  std::string property;
  const attribute_def* column = nullptr;
  std::optional<json::value> constant;  ///< no placeholders: checked once
  std::vector<template_piece> pieces;
  bool whole_index = false;  ///< exactly `{{n}}`/`{{n:W}}` in a numeric column → integer
};

bool is_numeric_kind(attribute_kind kind) {
  switch (kind) {
    case attribute_kind::integer:
    case attribute_kind::bigint:
    case attribute_kind::decimal:
    case attribute_kind::picklist:
    case attribute_kind::status:
    case attribute_kind::state:
      return true;
    default:
      return false;
  }
}

std::vector<template_piece> parse_placeholders(std::string_view text, std::string_view file,
                                               const std::string& where) {
  std::vector<template_piece> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      pieces.push_back({template_piece::kind::literal, std::string(text.substr(pos)), 0});
      break;
    }
    if (open > pos)
      pieces.push_back(
          {template_piece::kind::literal, std::string(text.substr(pos, open - pos)), 0});
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      fail(file, where + ": unterminated placeholder in " + in_quotes(text));
    const auto inner = text.substr(open + 2, close - open - 2);
    if (inner == "n") {
      pieces.push_back({template_piece::kind::index, {}, 0});
    } else if (inner == "guid") {
      pieces.push_back({template_piece::kind::guid, {}, 0});
    } else if (inner.starts_with("n:")) {
      int width = 0;
      const auto digits = inner.substr(2);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), width);
      if (ec != std::errc() || end != digits.data() + digits.size() || width < 1 || width > 32)
        fail(file, where + ": placeholder {{" + std::string(inner) +
                       "}} needs a width from 1 to 32, as in {{n:4}}");
      pieces.push_back({template_piece::kind::index, {}, width});
    } else {
      fail(file, where + ": unknown placeholder {{" + std::string(inner) +
                     "}} (known: {{n}}, {{n:W}}, {{guid}})");
    }
    pos = close + 2;
  }
  return pieces;
}

void append_index(std::string& out, std::int64_t n, int width) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  const auto length = static_cast<int>(end - digits);
  if (width > length) out.append(static_cast<std::size_t>(width - length), '0');
  out.append(digits, end);
}

/// One slot per template property, in property order so rows are built by appending.
std::vector<template_slot> compile_template(const table_def& t, const json::object& templ,
                                            const std::string& file, const std::string& where) {
  std::map<std::string, template_slot> by_property;  // last of duplicate keys wins
  for (const auto& [property, value] : templ) {
    const auto* column = t.property(property);
    if (!column)
      fail(file, where + ": unknown column " + in_quotes(property) + " for table " +
                     in_quotes(t.logical_name));
    template_slot slot;
    slot.property = property;
    slot.column = column;
    std::vector<template_piece> pieces;
    if (value.is_string())
      pieces =
          parse_placeholders(value.as_string(), file, where + ": column " + in_quotes(property));
    const bool has_placeholder = std::any_of(
        pieces.begin(), pieces.end(),
        [](const template_piece& piece) { return piece.what != template_piece::kind::literal; });
    if (!has_placeholder) {
      json::value v = value;
      if (const auto problem = check_value(*column, v))
        fail_column(file, where, property, *problem);
      slot.constant = std::move(v);
    } else {
      slot.whole_index = pieces.size() == 1 && pieces[0].what == template_piece::kind::index &&
                         is_numeric_kind(column->kind);
      slot.pieces = std::move(pieces);
    }
    by_property.insert_or_assign(property, std::move(slot));
  }
  std::vector<template_slot> slots;
  for (auto& [property, slot] : by_property) slots.push_back(std::move(slot));
  return slots;
}

void place_one(row_placer& placer, const generate_decl& g) {
  const auto label = "generate[" + std::to_string(g.index) + "] (table " + in_quotes(g.table) + ")";
  auto& p = placer.placed(g.file, g.table, label);
  const auto& t = *p.def;
  const auto slots = compile_template(t, *g.templ, g.file, label + " template");
  const auto source = placer.add_source(g.file, label);
  const auto guid_prefix = "opencloser:" + g.table + ":";
  p.rows->reserve(p.rows->size() + static_cast<std::size_t>(g.count));
  p.ids.reserve(p.ids.size() + static_cast<std::size_t>(g.count));
  // Reused across rows: the loop runs 100,000 times and more.
  std::string text, guid, guid_name;
  for (std::int64_t n = 0; n < g.count; ++n) {
    guid.clear();
    row r;
    for (const auto& slot : slots) {
      if (slot.constant) {
        r.emplace_hint(r.end(), slot.property, *slot.constant);
        continue;
      }
      json::value v;
      if (slot.whole_index) {
        v = n;
      } else {
        text.clear();
        for (const auto& piece : slot.pieces) {
          switch (piece.what) {
            case template_piece::kind::literal:
              text += piece.text;
              break;
            case template_piece::kind::index:
              append_index(text, n, piece.width);
              break;
            case template_piece::kind::guid:
              if (guid.empty()) {
                guid_name = guid_prefix;
                append_index(guid_name, n, 0);
                guid = uuid_v5(opencloser_uuid_namespace, guid_name);
              }
              text += guid;
              break;
          }
        }
        v = text;
      }
      if (const auto problem = check_value(*slot.column, v))
        fail_column(g.file, label + " row " + std::to_string(n), slot.property, *problem);
      r.emplace_hint(r.end(), slot.property, std::move(v));
    }
    placer.store(p, std::move(r), source, static_cast<std::size_t>(n));
  }
}

}  // namespace

void add_generate(std::vector<generate_decl>& into, const std::string& file,
                  const json::value& entries) {
  for_each_entry(
      entries, file, "generate", {"table", "count", "template"}, {"table", "count", "template"},
      [&](std::size_t i, const std::string& where, const json::value& entry) {
        const auto count = expect_int(*entry.find("count"), 0, file, where + ".count");
        if (count > max_generate_count)
          fail(file, where + ".count " + std::to_string(count) + " is above the limit of " +
                         std::to_string(max_generate_count));
        into.push_back({file, i, expect_string(*entry.find("table"), file, where + ".table"), count,
                        &expect_object(*entry.find("template"), file, where + ".template")});
      });
}

void place_generated(row_placer& placer, const std::vector<generate_decl>& generate) {
  for (const auto& g : generate) place_one(placer, g);
}

}  // namespace opencloser::emulator::seed_detail
