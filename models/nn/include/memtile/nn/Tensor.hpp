// N-dimensional float64 tensor used by the nn layer (graph constants, activations, datasets).
// Row-major (C order) like ONNX and NumPy. Integer tensors (shapes, indices) are held as exact
// doubles too: every value the supported operators use as an integer is far below 2^53.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace memtile::nn {

using Shape = std::vector<std::int64_t>;

// Number of elements of a shape (1 for a scalar, i.e. an empty shape). core::SizeError for a
// negative dimension, 64-bit overflow or a tensor beyond core::max_memory_bytes() (checked in
// core/CheckedSize.hpp: every tensor allocation goes through here).
std::int64_t shape_numel(const Shape& shape);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);

struct Tensor {
  Shape shape;
  std::vector<double> data;  // shape_numel(shape) values, row-major

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(static_cast<std::size_t>(shape_numel(shape)), 0.0) {}
  Tensor(Shape s, std::vector<double> d) : shape(std::move(s)), data(std::move(d)) {}

  std::int64_t numel() const { return static_cast<std::int64_t>(data.size()); }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape.size()); }
  std::int64_t dim(std::int64_t i) const { return shape.at(static_cast<std::size_t>(i)); }
  // Re-shapes in place, keeping the allocation when it is large enough: the executor reuses its
  // activation buffers batch after batch, so memory stays flat over a long run.
  void resize(const Shape& s) {
    shape = s;
    data.resize(static_cast<std::size_t>(shape_numel(shape)));
  }
};

}  // namespace memtile::nn
