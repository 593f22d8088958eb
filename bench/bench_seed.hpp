#pragma once
// The seed of one bench cell: the shipped config/emulator-seed.json (tables, owners, account)
// with its hand-written queue rows dropped and its `generate` template rescaled to the cell's
// row count, so the campaign holds exactly that many ready rows (cli.md §10).

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace opencloser::bench {

/// The campaign every generated row belongs to.
inline constexpr std::string_view bench_campaign = "c0000000-0000-4000-8000-00000000ca01";
/// The client secret of the shipped seed's client (emulator-only; never printed).
inline constexpr std::string_view bench_client_secret = "emu-secret";

/// Reads `shipped_seed`, writes the cell's seed to `out`. Throws when the shipped seed lacks
/// the acme_callqueue `generate` entry it rescales.
void write_bench_seed(const std::filesystem::path& shipped_seed, std::int64_t rows,
                      const std::filesystem::path& out);

}  // namespace opencloser::bench
