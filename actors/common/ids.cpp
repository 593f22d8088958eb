#include "actors/common/ids.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <random>
#include <stdexcept>

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace opencloser {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(hex_digits[bytes[i] >> 4]);
    out.push_back(hex_digits[bytes[i] & 0xF]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string with_dashes(const std::string& hex32) {
  return hex32.substr(0, 8) + '-' + hex32.substr(8, 4) + '-' + hex32.substr(12, 4) + '-' +
         hex32.substr(16, 4) + '-' + hex32.substr(20, 12);
}

}  // namespace

std::string mint_id(std::string_view prefix) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("cannot mint an id: the system random source failed");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return std::string(prefix) + '_' + to_hex(bytes.data(), bytes.size());
}

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : hex_value(text[i]) < 0) return false;
  }
  return true;
}

std::string canonical_guid(std::string_view guid) {
  std::string out(guid);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string uuid_v5(std::string_view namespace_guid, std::string_view name) {
  if (!is_guid(namespace_guid)) throw std::invalid_argument("uuid_v5: namespace is not a GUID");
  std::string data;
  for (std::size_t i = 0; i < namespace_guid.size(); ++i) {
    if (namespace_guid[i] == '-') continue;
    const int hi = hex_value(namespace_guid[i]), lo = hex_value(namespace_guid[++i]);
    data.push_back(static_cast<char>(hi * 16 + lo));
  }
  data.append(name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  return with_dashes(to_hex(digest, 16));
}

std::string deterministic_record_id(std::string_view session_id, std::string_view record) {
  return uuid_v5(opencloser_uuid_namespace,
                 "opencloser:" + std::string(session_id) + ":" + std::string(record));
}

}  // namespace opencloser
