// docs/config.md, the whole file: the sections of the core and SystemC tables
// (sc::config_reference_markdown()) followed by the analog backend's (sc::analog_params()) and
// the top level of a run configuration (backends::run_config_groups()).
// test_sc_config_doc fails when the file and this text differ.
#pragma once
#include <string>

namespace memtile::backends {

std::string config_reference_markdown();

}  // namespace memtile::backends
