// libFuzzer target: the IDX readers (plain and gzip) on arbitrary bytes, as images and as labels.
#include "FuzzInput.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/nn/Dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = memtile::fuzz::scratch_path("idx");
  memtile::fuzz::write_file(path, data, size);
  try {
    const memtile::nn::IdxImages im = memtile::nn::read_idx_images(path);
    if (static_cast<std::int64_t>(im.pixels.size()) != im.count * im.rows * im.cols) std::abort();
  } catch (const memtile::core::InputError&) {
  }
  try {
    (void)memtile::nn::read_idx_labels(path);
  } catch (const memtile::core::InputError&) {
  }
  return 0;
}
