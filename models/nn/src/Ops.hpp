// Digital (float64) operator kernels shared by the loader (constant folding) and the executor.
// Internal to memtile_nn.
#pragma once
#include <Eigen/Dense>
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/InputRows.hpp"
#include "memtile/nn/Graph.hpp"
#include "memtile/nn/Tensor.hpp"

namespace memtile::nn::detail {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Where an operation happens, for error messages: "<file>: node '<name>' (<op>): <message>".
struct Where {
  const std::string& source;
  const Node& node;
  [[noreturn]] void fail(const std::string& message) const;
  void check(bool cond, const std::string& message) const {
    if (!cond) fail(message);
  }
};

// Resolved window geometry of a Conv or pooling node for one input shape, padded to three
// spatial dimensions with leading singleton dims (so 1-D and 2-D share the 3-D loops).
struct Window {
  int nsp = 0;  // real number of spatial dims (1..3)
  std::array<std::int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1},
      pb{0, 0, 0}, pe{0, 0, 0};
  std::int64_t in_size() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_size() const { return out[0] * out[1] * out[2]; }
  std::int64_t k_size() const { return k[0] * k[1] * k[2]; }
};
// kernel: spatial kernel dims (from the attribute or the weight). ceil_mode only for pooling.
Window resolve_window(const Where& w, const NodeAttrs& a, const Shape& x_shape,
                      const std::vector<std::int64_t>& kernel, bool ceil_mode);

// Convolution of x [B, C, spatial...] through im2col. For each group and chunk of whole images,
// `mul(group, cols, images)` receives the (images * out positions) x (C/groups * prod(k)) patch
// matrix and returns the product with that group's K x N weights. bias: M values or null.
// rows_mul, when set, replaces mul: it receives the group's patch rows on demand
// (core::InputRows over all images * out positions) and the matrix is never formed.
using GroupMul = std::function<Eigen::MatrixXd(int group, const Eigen::MatrixXd& cols, std::int64_t images)>;
using GroupRowsMul = std::function<Eigen::MatrixXd(int group, Eigen::Index vectors, const core::InputRows& rows,
                                                   std::int64_t images)>;
void conv_im2col(const Window& win, const Tensor& x, std::int64_t groups, std::int64_t out_channels,
                 const GroupMul& mul, const double* bias, Tensor& out, std::int64_t im2col_limit,
                 Eigen::MatrixXd& cols, const GroupRowsMul& rows_mul = {});
// Rows [first, first + count) of group `group`'s patch matrix (row = image * out positions +
// position; column = (channel of the group, k0, k1, k2), in that order; padding reads 0) into
// out, column-major with leading dimension ld. The one home of the im2col layout.
void copy_patches(const Window& win, const Tensor& x, std::int64_t group, std::int64_t Cg, std::int64_t first,
                  std::int64_t count, double* out, std::int64_t ld);

// Conv weight [M, C/G, k...] -> the K x N matrix of one group.
Eigen::MatrixXd conv_group_matrix(const Tensor& w, std::int64_t groups, std::int64_t group);

// Numpy (multidirectional) broadcast of two shapes; false when incompatible.
bool broadcast_shape(const Shape& a, const Shape& b, Shape& out);

// Runs one non-weighted node (also Gemm/MatMul/Conv whose weights are not constant).
// in: one pointer per node input (null for an absent optional input); out: one per output.
void run_digital(const Where& w, std::int64_t opset, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, Eigen::MatrixXd& scratch);

// Runs f(); a size-limit error from a tensor allocation inside it is rethrown naming the node.
template <class F>
void with_node(const Where& w, F&& f) {
  try {
    f();
  } catch (const core::SizeError& e) {
    w.fail(e.what());
  }
}

// Explicit pads: each must be >= 0 and smaller than the dilated kernel extent of its axis. A pad
// that large only adds output positions that see nothing but padding (ONNX allows it, no
// exporter writes it), and unbounded pads are how a tiny model asks for gigabytes.
void check_pads(const Where& w, const std::vector<std::int64_t>& pads, const std::vector<std::int64_t>& kernel,
                const std::vector<std::int64_t>& dilations);

// Value of a tensor entry as an exact integer; fails unless it is one.
std::int64_t as_int(const Where& w, double v, const std::string& what);

}  // namespace memtile::nn::detail
