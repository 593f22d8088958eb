#pragma once
// SHA-256 in lower-case hex (OpenSSL): the mapping file's digest persisted with a write plan,
// so that a resume refuses a mapping changed since (dataverse.md §10).

#include <filesystem>
#include <string>
#include <string_view>

namespace opencloser {

std::string sha256_hex(std::string_view bytes);
/// Throws std::runtime_error naming the file when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace opencloser
