// The matrix-product backend: where the weighted layers of a network (Gemm, MatMul with a
// constant weight, Conv lowered with im2col) compute. IdealBackend is exact float64; the
// simulated crossbar engine plugs in by implementing MatMulBackend.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "memtile/core/InputRows.hpp"

namespace memtile::nn {

// One programmed matrix. A grouped convolution has one WeightedLayer per group (each group is
// an independent K x N product); all of them share node_name and node_layer.
struct WeightedLayer {
  int id = 0;                       // 0..n-1 over all programmed matrices, in graph order
  std::string node_name;            // ONNX node name
  std::string op;                   // "Gemm", "MatMul" or "Conv"
  Eigen::Index in_features = 0;     // K: rows of W (for Conv: in_channels/groups * prod(kernel))
  Eigen::Index out_features = 0;    // N: columns of W (for Conv: out_channels/groups)
  int node_layer = 0;               // index of the weighted node (groups of one Conv share it)
  int group = 0;                    // which group of the node this matrix is
  int groups = 1;                   // number of groups of the node
  bool has_bias = false;            // a bias is added digitally after the product
  std::string folded_batchnorm;     // BatchNormalization node folded into W and bias, if any
  // Conv geometry (empty vectors for Gemm/MatMul); one entry per spatial dimension (1 to 3).
  std::int64_t in_channels = 0, out_channels = 0;  // of the whole node, all groups together
  std::vector<std::int64_t> kernel, strides, dilations, pads_begin, pads_end;
};

class MatMulBackend {
 public:
  virtual ~MatMulBackend() = default;
  // Called once per weighted layer (and group) before any inference: W is K x N (inputs x outputs).
  virtual void program(const WeightedLayer& layer, const Eigen::MatrixXd& W) = 0;
  // X is B x K (one row per vector, e.g. per image or per im2col patch); returns B x N, no bias
  // (or, for a fused layer, after its bias and activation).
  virtual Eigen::MatrixXd multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) = 0;
  // The same product with X supplied in blocks of rows (core::InputRows, all B x K of it
  // finite): a backend that takes it returns true from takes_rows(), and the executor then
  // never forms a Conv's im2col matrix. The default takes only formed matrices.
  virtual bool takes_rows(const WeightedLayer& /*layer*/) const { return false; }
  virtual Eigen::MatrixXd multiply_rows(const WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows);

  // Fully analog backends (IMAC-style neurons) compute a layer's bias and the activation that
  // follows it in the analog domain. The executor offers a Gemm/MatMul layer whose output feeds
  // only one elementwise activation node ("Sigmoid", "Relu", "Tanh") and whose bias is one row;
  // a backend that accepts gets the bias (length N, zeros when none) through program_bias(),
  // and the executor then adds no bias and passes the activation node's input through.
  virtual bool fuse_activation(const WeightedLayer& /*layer*/, const std::string& /*activation_op*/) { return false; }
  virtual void program_bias(const WeightedLayer& /*layer*/, const Eigen::VectorXd& /*bias*/) {}
};

// Exact float64 X * W: the reference the simulated engines are compared against.
class IdealBackend : public MatMulBackend {
 public:
  void program(const WeightedLayer& layer, const Eigen::MatrixXd& W) override;
  Eigen::MatrixXd multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) override;
  // A Conv's patches a block of rows at a time, each block's product taken while it is in cache.
  bool takes_rows(const WeightedLayer& /*layer*/) const override { return true; }
  Eigen::MatrixXd multiply_rows(const WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows) override;

 private:
  const Eigen::MatrixXd& weights(const WeightedLayer& layer) const;  // or an error naming the layer
  std::vector<Eigen::MatrixXd> weights_;  // indexed by WeightedLayer::id
};

}  // namespace memtile::nn
