// libFuzzer target: core::read_npy on arbitrary bytes. Bad input must end in InputError; any
// other exception, crash, sanitizer report or over-limit allocation is a finding.
#include "FuzzInput.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = memtile::fuzz::scratch_path("npy");
  memtile::fuzz::write_file(path, data, size);
  try {
    const memtile::core::NpyArray a = memtile::core::read_npy(path);
    if (a.data.size() == 0 || !a.data.allFinite()) std::abort();  // read_npy promises neither
  } catch (const memtile::core::InputError&) {
  }
  return 0;
}
