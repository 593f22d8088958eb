#pragma once
// The end-to-end harness: the real `opencloser` executable, run as a child process against an
// emulator this test process serves on a loopback port. The test can inject faults, edit rows
// and read the emulator's state and request log while the CLI runs, then read what the run
// left behind: exit code, stdout, stderr, artifact files and the SQLite journal.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/dataverse_emulator.hpp"
#include "emulator/emulator_options.hpp"

namespace opencloser::e2e {

/// Rows of config/emulator-seed.json (the shipped demo seed) the tests address directly.
inline const std::string ready_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
inline const std::string dnc_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a12";
inline const std::string campaign = "c0000000-0000-4000-8000-00000000ca01";
inline const std::string callback_owner = "3f0c0000-0000-4000-8000-0000000000b1";
inline const std::string review_owner = "3f0c0000-0000-4000-8000-0000000000b2";
inline const std::string queue_set = "acme_callqueues";
inline const std::string frozen_clock = "2026-05-22T19:00:00.000Z";

struct cli_result {
  int exit_code = -1;  ///< the process's exit status (137 after the crash hook)
  std::string out;
  std::string err;
  /// The value of a labelled stdout line (`label:` padded to column 24), or nullopt.
  std::optional<std::string> line(const std::string& label) const;
};

/// Paths of the repository (the shipped config) and of the test fixtures.
std::filesystem::path source_dir();
std::filesystem::path fixture(const std::string& relative);  ///< under tests/fixtures

class cli_env {
 public:
  /// Starts an emulator with `options` (seeds default to config/emulator-seed.json) and makes
  /// a fresh temporary directory for artifacts, state database, reports and config copies.
  explicit cli_env(emulator::emulator_options options = {});
  ~cli_env();
  cli_env(const cli_env&) = delete;
  cli_env& operator=(const cli_env&) = delete;

  emulator::dataverse_emulator emu;
  std::filesystem::path dir;
  /// The environment of every run: the four secrets (the emulator's tenant, client, secret,
  /// origin), the authority host, OPENCLOSER_CLOCK_NOW. Edit or erase entries per test.
  std::map<std::string, std::string> env;
  /// Flags added to every `run-crm`/`discover-crm`: --config, --slice2-config, --mapping,
  /// --artifacts-dir, --state-db (the shipped config; artifacts and state under `dir`).
  std::vector<std::string> common_flags;

  /// Runs `opencloser <args…> <common_flags…>` (common flags only when `with_common`).
  cli_result run(const std::vector<std::string>& args, bool with_common = true) const;
  /// `run-crm` of one row with a transport fixture (and a conversation when non-empty).
  cli_result run_crm(const std::string& row, const std::string& transport,
                     const std::string& conversation = {},
                     const std::vector<std::string>& extra = {}) const;

  std::filesystem::path artifacts() const { return dir / "artifacts"; }
  std::filesystem::path state_db() const { return dir / "state.db"; }
  std::filesystem::path session_dir(const std::string& session_id) const {
    return artifacts() / session_id;
  }
  json::value artifact(const std::string& session_id, const std::string& name) const;
  bool has_artifact(const std::string& session_id, const std::string& name) const;

  /// Rows of an emulator table (state dump), and the request log entries since `since`.
  std::vector<json::value> rows(const std::string& table) const;
  json::value row(const std::string& table, const std::string& id) const;
  std::vector<json::value> requests(std::uint64_t since = 0) const;
  /// Web API writes (POST/PATCH/DELETE, `$batch` included) in the request log.
  std::size_t write_count() const;

  /// One SQLite query's rows, each column as text ("" for NULL), read-only.
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
};

/// A path of the shipped config (config/…).
std::string shipped(const std::string& name);

}  // namespace opencloser::e2e
