#pragma once
// `opencloser run-crm` (cli.md §4): one queue row, or the resume of one session.

#include <string>

#include "cli/run_setup.hpp"

namespace opencloser::cli {

struct run_crm_options {
  bool write = false;
  std::string queue_item_id;
  bool next_ready = false;
  std::string campaign;
  std::string transport_fixture;
  std::string conversation_fixture;
  std::string resume;
  std::string report;
  bool json = false;
  common_options common;
};

int run_run_crm(const run_crm_options& options);

}  // namespace opencloser::cli
