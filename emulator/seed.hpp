#pragma once
// Emulator seeds (fixtures.md §5): parsing, merging several files in command-line order,
// validation against the table definitions, `generate` templates and predecessor queue-item
// imports. The result is what the store is loaded from; nothing here does HTTP.

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/schema.hpp"

namespace opencloser::emulator {

/// A seed that cannot be used; what() names the file it came from:
/// `emulator seed '<file>': <detail>`.
struct seed_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct seed_client {
  std::string client_id;
  std::string client_secret;
};

/// Service-protection limits (emulator.md §5). A limit of 0 switches that check off.
struct throttling_limits {
  std::int64_t requests = 6000;
  std::int64_t window_s = 300;
  std::int64_t concurrency = 52;
  std::int64_t exec_ms = 1'200'000;
};

/// Defaults used when no seed names them (the emulator's own synthetic identity).
inline constexpr std::string_view default_tenant_id = "7d3c1b7e-0000-4000-8000-00000000a001";
inline constexpr std::string_view default_client_id = "c0ffee00-0000-4000-8000-000000000001";
inline constexpr std::string_view default_client_secret = "emu-secret";

struct seed_data {
  std::string tenant_id{default_tenant_id};
  std::int64_t token_lifetime_s = 3599;
  bool auth_required = true;
  std::vector<seed_client> clients;  ///< never empty after loading (default client added)
  std::int64_t dop_hint = 4;
  throttling_limits throttling;
  schema tables;  ///< built-in tables plus the seeds' tables, system columns included
  /// Rows by table logical name in seed order (generated and imported rows appended). Each
  /// has its primary id (canonical lower-case GUID) and `createdon`; the store assigns
  /// `versionnumber` and `modifiedon`.
  std::map<std::string, std::vector<row>, std::less<>> rows;
};

/// One seed document with the name used in messages and the directory its relative
/// `queue_item_imports` paths resolve against.
struct seed_document {
  std::string name;
  std::filesystem::path base_dir;
  json::value doc;
};

/// Reads, merges and validates seed files in order.
seed_data load_seeds(const std::vector<std::filesystem::path>& files);
/// The same from parsed documents (tests).
seed_data seeds_from_documents(const std::vector<seed_document>& documents);

/// The tables every emulator has (account, systemuser, team, phonecall, task).
schema builtin_schema();

}  // namespace opencloser::emulator
