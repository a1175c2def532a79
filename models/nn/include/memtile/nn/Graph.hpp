// Graph IR of an imported ONNX model and the ONNX loader.
//
// load_onnx() parses the file with the ONNX protobuf library, validates every node against the
// supported operator set (see docs/nn.md), sorts the nodes topologically, folds everything
// computable from constants (Constant nodes, Shape/Gather/Unsqueeze/Concat chains on
// constants, ...), extracts the weighted layers and folds a BatchNormalization that directly
// follows a Conv or weighted Gemm into its weights and bias. Anything it cannot honour exactly
// is an InputError naming the file and the node.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "memtile/nn/Backend.hpp"
#include "memtile/nn/Tensor.hpp"

namespace memtile::nn {

enum class OpKind {
  Gemm, MatMul, Conv, Relu, Sigmoid, Tanh, MaxPool, AveragePool, GlobalAveragePool, Flatten,
  Reshape, Add, BatchNormalization, Softmax, Identity, Dropout, Shape, Gather, Unsqueeze, Squeeze,
  Concat, Transpose
};

// Attributes of a node, parsed and checked at load time (only the fields of its operator matter).
struct NodeAttrs {
  std::int64_t axis = 1;                 // Flatten, Softmax, Gather, Concat
  double alpha = 1.0, beta = 1.0;        // Gemm
  bool trans_a = false, trans_b = false; // Gemm
  double epsilon = 1e-5;                 // BatchNormalization
  // Conv / pooling, one entry per spatial dimension once resolved (auto_pad still applies at run
  // time because SAME_* pads depend on the input size).
  std::vector<std::int64_t> kernel_shape, strides, dilations, pads;  // pads: begins then ends
  std::string auto_pad = "NOTSET";
  std::int64_t group = 1;
  bool ceil_mode = false, count_include_pad = false;
  bool allowzero = false;                // Reshape
  std::vector<std::int64_t> axes;        // Unsqueeze/Squeeze (attribute form, opset < 13)
  std::vector<std::int64_t> perm;        // Transpose (empty: reverse the dims)
  std::int64_t start = 0, end = INT64_MAX;  // Shape
  bool legacy_broadcast = false;         // Add, opset < 7: broadcast=1 with axis
  std::int64_t legacy_axis = -1;
};

struct Node {
  std::string name;          // ONNX node name; "<op>_<index>" when the file leaves it empty
  std::string op;            // ONNX op_type
  OpKind kind = OpKind::Identity;
  std::vector<int> inputs;   // value ids; -1 for an optional input left empty
  std::vector<int> outputs;  // value ids
  NodeAttrs attrs;
  int weighted = -1;         // index into Graph::weighted when the node runs on the backend
};

struct Value {
  std::string name;
  Shape declared_shape;      // graph inputs/outputs: declared dims, -1 where unknown/symbolic
  bool has_declared_shape = false;
  bool constant = false;     // initializer, bound input, Constant output or folded result
  Tensor data;               // the constant's value
};

// A node that runs on the backend: its matrices (one per group, K x N) and its digital bias.
struct WeightedNode {
  int node = -1;                        // index into Graph::nodes
  std::vector<int> layers;              // WeightedLayer ids, one per group
  std::vector<Eigen::MatrixXd> weights; // K x N per group, alpha and any folded BN included
  // Bias added after the product (already scaled by beta / folded BN). Conv and MatMul: 1 x N
  // over all output channels (0 x 0 when none). Gemm: C broadcast per ONNX rules, so 1 x N,
  // M x 1, M x N or 1 x 1.
  Eigen::MatrixXd bias;
};

struct Graph {
  std::string source;                   // file the graph came from (used in error messages)
  std::int64_t opset = 0;               // default-domain opset version
  std::vector<Value> values;
  std::vector<Node> nodes;              // topological order; folded nodes removed
  std::vector<int> inputs;              // runtime inputs (value ids), initializers excluded
  std::vector<int> outputs;             // value ids
  std::vector<WeightedLayer> layers;    // one per programmed matrix, indexed by id
  std::vector<WeightedNode> weighted;
  std::vector<std::string> folded_nodes;  // names of nodes removed by constant/BN folding

  int find_value(const std::string& name) const;  // -1 when absent
  // One line a node: "conv1  Conv  [x] -> [y]  (layer 0, K=25, N=6)".
  std::string summary() const;
};

struct LoadOptions {
  // Graph inputs to replace by constants before import (e.g. the conformance tests bind a Conv's
  // weight input so the layer runs on the backend). Unknown names are an error.
  std::map<std::string, Tensor> bind;
  // Fold a BatchNormalization directly following a Conv/Gemm into it (numerically equal up to
  // rounding). Off: it runs digitally after the layer.
  bool fold_batchnorm = true;
};

// Throws core::InputError naming `path` (and the node) for unreadable, corrupt or truncated
// files, unsupported operators/attributes/data types, NaN/Inf constants and malformed graphs.
Graph load_onnx(const std::string& path, const LoadOptions& options = {});

// Reads a serialized onnx::TensorProto (the test_data_set_N/*.pb files of the ONNX test suite).
Tensor read_tensor_pb(const std::string& path);

}  // namespace memtile::nn
