// Float64 reference executor of a Graph. Weighted layers go through a MatMulBackend; bias adds
// and every other operator run digitally in float64. Activation buffers are kept and reused
// between runs, so memory stays flat over any number of batches.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "memtile/nn/Backend.hpp"
#include "memtile/nn/Graph.hpp"
#include "memtile/nn/Tensor.hpp"

namespace memtile::nn {

// One backend product, reported to the observer right after it returns.
struct LayerCall {
  const WeightedLayer* layer = nullptr;
  Eigen::Index vectors = 0;   // rows of X (images, or images x output positions for Conv)
  Eigen::Index samples = 0;   // batch entries covered by this call
  double seconds = 0.0;       // wall time of MatMulBackend::multiply
};

// Cumulative per-layer counters since construction or reset_stats().
struct LayerStats {
  int layer_id = 0;
  std::string node_name, op;
  Eigen::Index in_features = 0, out_features = 0;  // K, N
  std::uint64_t calls = 0;     // multiply() calls
  std::uint64_t vectors = 0;   // sum of rows of X over all calls
  std::uint64_t samples = 0;   // batch entries processed
  double seconds = 0.0;
};

// Cumulative per-node counters (every node, digital or weighted).
struct NodeStats {
  std::string node_name, op;
  bool weighted = false;
  std::uint64_t calls = 0;
  std::uint64_t output_elements = 0;
  double seconds = 0.0;        // whole node, backend included
};

class Executor {
 public:
  // Programs every weighted layer into `backend` (MatMulBackend::program, once each). `graph`
  // and `backend` must outlive the executor.
  Executor(const Graph& graph, MatMulBackend& backend);
  Executor(Graph&&, MatMulBackend&) = delete;  // the executor keeps a reference: no temporaries

  // Runs a graph with one runtime input; returns its first output (a reference to an internal
  // buffer, valid until the next run). Dim 0 of the input is the batch: it may differ from the
  // declared one; the other declared dims must match.
  const Tensor& run(const Tensor& input);
  // The checks run() makes of its input before any layer (one runtime input; its size and
  // the declared dims): throws the same InputError, runs nothing. Lets a caller refuse a
  // dataset before it starts a simulation.
  void check_input(const Tensor& input) const;
  // General form: one tensor per runtime input (Graph::inputs order); copies of all outputs.
  std::vector<Tensor> run_all(const std::vector<Tensor>& inputs);

  void set_layer_observer(std::function<void(const LayerCall&)> observer) { observer_ = std::move(observer); }
  const std::vector<LayerStats>& layer_stats() const { return layer_stats_; }
  const std::vector<NodeStats>& node_stats() const { return node_stats_; }
  void reset_stats();

  // Largest number of elements of one im2col matrix (rows x K); a Conv on a bigger batch is cut
  // into several backend calls by whole images. Default 4 Mi elements (32 MiB).
  void set_im2col_limit(std::int64_t elements) { im2col_limit_ = elements < 1 ? 1 : elements; }

  const Graph& graph() const { return graph_; }

 private:
  void execute(const std::vector<const Tensor*>& inputs);
  void check_one_input(int value, const Tensor& t) const;
  void require_one_input() const;
  void offer_fusion();
  void run_node(std::size_t index);
  void run_weighted(const Node& node, const WeightedNode& wn, std::size_t node_index);
  // The callers check their inputs finite first (require_finite_inputs; a Conv on its input
  // tensor, not its patches).
  Eigen::MatrixXd call_backend(const WeightedLayer& layer, const Eigen::MatrixXd& X, Eigen::Index samples);
  Eigen::MatrixXd call_backend_rows(const WeightedLayer& layer, Eigen::Index vectors, const core::InputRows& rows,
                                    Eigen::Index samples);
  void require_finite_inputs(const WeightedLayer& layer, bool finite) const;
  // Runs multiply() (B = vectors), checks the shape and books the layer's stats (Executor.cpp only).
  template <typename Multiply>
  Eigen::MatrixXd timed(const WeightedLayer& layer, Eigen::Index vectors, Eigen::Index samples, Multiply&& multiply);

  const Graph& graph_;
  MatMulBackend& backend_;
  std::vector<Tensor> slots_;           // activations, by slot (reused)
  std::vector<int> slot_of_;            // per value id: its slot (its own, or its input's when computed in place)
  Tensor& slot(int value) { return slots_[static_cast<std::size_t>(slot_of_[static_cast<std::size_t>(value)])]; }
  void share_slots();
  std::vector<const Tensor*> view_;     // where each value currently lives
  std::vector<LayerStats> layer_stats_;
  std::vector<NodeStats> node_stats_;
  std::function<void(const LayerCall&)> observer_;
  std::int64_t im2col_limit_ = std::int64_t(4) << 20;
  Eigen::MatrixXd cols_;                // im2col / input buffer, reused
  std::vector<bool> fused_;             // per node: a weighted node whose bias + activation the backend computes
  std::vector<bool> passthrough_;       // per node: an activation fused into the weighted node before it
};

// A tensor with rank >= 1 as a (dim 0) x (product of the other dims) matrix, e.g. logits.
Eigen::MatrixXd to_matrix(const Tensor& t);

}  // namespace memtile::nn
