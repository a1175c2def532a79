#include "memtile/backends/ConfigDoc.hpp"

#include "memtile/backends/AnalogBackend.hpp"
#include "memtile/backends/RunConfig.hpp"
#include "memtile/sc/soc/ConfigDoc.hpp"

namespace memtile::backends {

std::string config_reference_markdown() {
  std::string s = sc::config_reference_markdown();
  s +=
      "\n## analog\n\n"
      "The fully analog IMAC-style network (`backends::AnalogConfig`, `backends::analog_params()` in "
      "models/backends/src/AnalogBackend.cpp; docs/analog.md): the `analog` group of a `memtile run` "
      "configuration, whose presence selects `--platform analog` (configs/presets/imac_mlp.json). "
      "The `neuron` rows are the neuron's own table (`core::neuron_params()` in "
      "models/core/src/config/NeuronModel.cpp) with the analog group's default kind, imac_sigmoid; "
      "the rows marked imac_sigmoid apply to that kind only, but every value is range-checked. "
      "Checks between fields: r_high_ohm > r_low_ohm; neuron.vdd_v > neuron.vss_v; neuron.kind "
      "is an activation (not none or identity).\n\n";
  s += analog_config_markdown();
  s +=
      "\n## run\n\n"
      "The top level of a `memtile run` configuration file (`backends::RunConfig`, "
      "`backends::run_config_groups()` in models/backends/src/RunConfig.cpp), and of the base and "
      "points of a `memtile sweep` of the run workload (docs/sweep.md): one JSON object of these "
      "keys, each optional. Any other key is refused naming it and listing these "
      "(`run.json: bogus: unknown key (known: engine, tile, ...)`). Each group is read and "
      "validated by its own loader (its section above); then the checks between groups run "
      "(tile against engine).\n\n";
  s += run_config_markdown();
  return s;
}

}  // namespace memtile::backends
