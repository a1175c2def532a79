// libFuzzer target: load_onnx on arbitrary bytes and, for a model that loads, the executor on
// an input of the declared shape (symbolic dims = 1) filled from the same bytes, with the exact
// float64 backend: the loader's validation, constant folding and every digital operator.
#include <cmath>

#include "FuzzInput.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memtile::nn;
  static const std::string path = memtile::fuzz::scratch_path("onnx");
  memtile::fuzz::write_file(path, data, size);
  try {
    const Graph g = load_onnx(path);
    std::vector<Tensor> inputs;
    for (int id : g.inputs) {
      const Value& v = g.values[static_cast<std::size_t>(id)];
      if (!v.has_declared_shape) return 0;
      Shape s = v.declared_shape;
      for (auto& d : s) d = d <= 0 ? 1 : d;
      if (shape_numel(s) > (1 << 16)) return 0;  // keep each execution fast
      Tensor t(s);
      for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = size ? (data[i % size] - 128) / 64.0 : 0.0;
      inputs.push_back(std::move(t));
    }
    IdealBackend backend;
    Executor ex(g, backend);
    (void)ex.run_all(inputs);
  } catch (const memtile::core::InputError&) {
  }
  return 0;
}
