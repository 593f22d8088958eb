#include "emulator/dataverse_emulator.hpp"

#include <stdexcept>

#include "emulator/emulator_core.hpp"
#include "emulator/http_server.hpp"

namespace opencloser::emulator {

dataverse_emulator::dataverse_emulator() = default;

dataverse_emulator::~dataverse_emulator() {
  stop();
}

std::uint16_t dataverse_emulator::start(emulator_options options) {
  if (server_) throw std::logic_error("the emulator is already started");
  core_ = std::make_unique<emulator_core>(std::move(options));
  server_ = std::make_unique<http_server>(*core_, core_->options());
  port_ = server_->start();
  return port_;
}

void dataverse_emulator::stop() {
  if (server_) server_->stop();
  if (core_) core_->flush_log();
}

emulator_core& dataverse_emulator::core() const {
  if (!core_) throw std::logic_error("the emulator is not started");
  return *core_;
}

std::string dataverse_emulator::origin() const {
  return core().origin();
}
const seed_data& dataverse_emulator::seed() const {
  return core().seed();
}
std::vector<std::string> dataverse_emulator::add_fault(const json::value& rules) {
  return core().add_faults(rules);
}
void dataverse_emulator::clear_faults() {
  core().clear_faults();
}
json::value dataverse_emulator::faults() const {
  return core().faults();
}
json::value dataverse_emulator::requests(std::uint64_t since) const {
  return core().requests(since);
}
json::value dataverse_emulator::state() const {
  return core().state();
}
json::value dataverse_emulator::insert_row(std::string_view table, const json::value& values) {
  return core().insert_row(table, values);
}
json::value dataverse_emulator::edit_row(std::string_view table, std::string_view id,
                                         const json::value& changes) {
  return core().edit_row(table, id, changes);
}
bool dataverse_emulator::delete_row(std::string_view table, std::string_view id) {
  return core().delete_row(table, id);
}
void dataverse_emulator::expire_tokens() {
  core().expire_tokens();
}
void dataverse_emulator::configure(const json::value& config) {
  core().configure(config);
}
void dataverse_emulator::reset() {
  core().reset();
}

}  // namespace opencloser::emulator
