#include "memtile/nn/Executor.hpp"

#include <chrono>

#include "Ops.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Finite.hpp"

namespace memtile::nn {

using detail::Where;

void IdealBackend::program(const WeightedLayer& layer, const Eigen::MatrixXd& W) {
  if (layer.id < 0) throw core::InputError("IdealBackend: negative layer id");
  if (weights_.size() <= static_cast<std::size_t>(layer.id)) weights_.resize(static_cast<std::size_t>(layer.id) + 1);
  weights_[static_cast<std::size_t>(layer.id)] = W;
}

Eigen::MatrixXd MatMulBackend::multiply_rows(const WeightedLayer& layer, Eigen::Index, const core::InputRows&) {
  throw std::logic_error("memtile::nn: backend of layer '" + layer.node_name + "' takes formed matrices only");
}

const Eigen::MatrixXd& IdealBackend::weights(const WeightedLayer& layer) const {
  const std::size_t id = static_cast<std::size_t>(layer.id);
  if (layer.id < 0 || id >= weights_.size() || weights_[id].size() == 0)
    throw core::InputError("IdealBackend: layer " + std::to_string(layer.id) + " ('" + layer.node_name +
                           "') was never programmed");
  return weights_[id];
}

Eigen::MatrixXd IdealBackend::multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) {
  const Eigen::MatrixXd& W = weights(layer);
  if (X.cols() != W.rows())
    throw core::InputError("IdealBackend: layer '" + layer.node_name + "' expects " + std::to_string(W.rows()) +
                           " inputs per vector, got " + std::to_string(X.cols()));
  Eigen::MatrixXd Y(X.rows(), W.cols());
  Y.noalias() = X * W;
  return Y;
}

Eigen::MatrixXd IdealBackend::multiply_rows(const WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows) {
  const Eigen::MatrixXd& W = weights(layer);
  // Blocks of rows small enough to stay in cache between their copy and their product.
  constexpr Eigen::Index kBlockRows = 256;
  Eigen::MatrixXd Y(B, W.cols());
  thread_local Eigen::MatrixXd X;
  for (Eigen::Index b0 = 0; b0 < B; b0 += kBlockRows) {
    const Eigen::Index len = std::min(kBlockRows, B - b0);
    X.resize(len, W.rows());
    rows(b0, len, X);
    Y.middleRows(b0, len).noalias() = X * W;
  }
  return Y;
}

Eigen::MatrixXd to_matrix(const Tensor& t) {
  if (t.rank() == 0) return Eigen::MatrixXd::Constant(1, 1, t.data.empty() ? 0.0 : t.data[0]);
  const Eigen::Index rows = t.dim(0), cols = rows == 0 ? 0 : t.numel() / rows;
  return Eigen::Map<const detail::RowMat>(t.data.data(), rows, cols);
}

Executor::Executor(const Graph& graph, MatMulBackend& backend) : graph_(graph), backend_(backend) {
  slots_.resize(graph_.values.size());
  view_.assign(graph_.values.size(), nullptr);
  for (const WeightedNode& wn : graph_.weighted)
    for (std::size_t g = 0; g < wn.layers.size(); ++g) backend_.program(graph_.layers[wn.layers[g]], wn.weights[g]);
  offer_fusion();
  share_slots();
  for (const WeightedLayer& l : graph_.layers) {
    LayerStats s;
    s.layer_id = l.id;
    s.node_name = l.node_name;
    s.op = l.op;
    s.in_features = l.in_features;
    s.out_features = l.out_features;
    layer_stats_.push_back(s);
  }
  for (const Node& n : graph_.nodes) {
    NodeStats s;
    s.node_name = n.name;
    s.op = n.op;
    s.weighted = n.weighted >= 0;
    node_stats_.push_back(s);
  }
}

void Executor::offer_fusion() {
  fused_.assign(graph_.nodes.size(), false);
  passthrough_.assign(graph_.nodes.size(), false);
  std::vector<int> consumers(graph_.values.size(), 0), consumer(graph_.values.size(), -1);
  for (std::size_t j = 0; j < graph_.nodes.size(); ++j)
    for (int v : graph_.nodes[j].inputs)
      if (v >= 0) ++consumers[static_cast<std::size_t>(v)], consumer[static_cast<std::size_t>(v)] = static_cast<int>(j);
  for (int o : graph_.outputs) ++consumers[static_cast<std::size_t>(o)];  // a graph output is read by the caller
  for (const WeightedNode& wn : graph_.weighted) {
    const Node& n = graph_.nodes[static_cast<std::size_t>(wn.node)];
    const bool gemm = n.kind == OpKind::Gemm, bare_matmul = n.kind == OpKind::MatMul && wn.bias.size() == 0;
    if (!(gemm || bare_matmul) || wn.layers.size() != 1 || wn.bias.rows() > 1) continue;
    const auto out = static_cast<std::size_t>(n.outputs[0]);
    if (consumers[out] != 1 || consumer[out] < 0) continue;
    const Node& act = graph_.nodes[static_cast<std::size_t>(consumer[out])];
    if (act.op != "Sigmoid" && act.op != "Relu" && act.op != "Tanh") continue;
    const WeightedLayer& layer = graph_.layers[static_cast<std::size_t>(wn.layers[0])];
    if (!backend_.fuse_activation(layer, act.op)) continue;
    Eigen::VectorXd bias = Eigen::VectorXd::Zero(layer.out_features);
    if (wn.bias.size() == 1) bias.setConstant(wn.bias(0, 0));
    else if (wn.bias.size() > 0) bias = wn.bias.row(0).transpose();
    backend_.program_bias(layer, bias);
    fused_[static_cast<std::size_t>(wn.node)] = true;
    passthrough_[static_cast<std::size_t>(consumer[out])] = true;
  }
}

void Executor::share_slots() {
  // An elementwise activation (Relu, Sigmoid, Tanh) whose input is an activation read by it
  // alone computes in place: its output value shares the input's slot. (LeNet-5: the conv
  // outputs' ReLUs; one buffer and one memory pass fewer each, per batch and per executor.)
  slot_of_.resize(graph_.values.size());
  for (std::size_t v = 0; v < slot_of_.size(); ++v) slot_of_[v] = static_cast<int>(v);
  std::vector<int> readers(graph_.values.size(), 0);
  for (const Node& n : graph_.nodes)
    for (int v : n.inputs)
      if (v >= 0) ++readers[static_cast<std::size_t>(v)];
  for (int o : graph_.outputs) ++readers[static_cast<std::size_t>(o)];  // read by the caller
  for (int i : graph_.inputs) ++readers[static_cast<std::size_t>(i)];   // the caller's tensor
  for (std::size_t j = 0; j < graph_.nodes.size(); ++j) {
    const Node& n = graph_.nodes[j];
    const bool elementwise = n.kind == OpKind::Relu || n.kind == OpKind::Sigmoid || n.kind == OpKind::Tanh;
    if (!elementwise || passthrough_[j] || n.inputs.size() != 1 || n.outputs.size() != 1 || n.inputs[0] < 0 ||
        n.outputs[0] < 0)
      continue;
    const auto in = static_cast<std::size_t>(n.inputs[0]);
    if (readers[in] != 1 || graph_.values[in].constant) continue;
    slot_of_[static_cast<std::size_t>(n.outputs[0])] = slot_of_[in];
  }
}

void Executor::reset_stats() {
  for (auto& s : layer_stats_) s.calls = s.vectors = s.samples = 0, s.seconds = 0.0;
  for (auto& s : node_stats_) s.calls = s.output_elements = 0, s.seconds = 0.0;
}

void Executor::require_one_input() const {
  if (graph_.inputs.size() != 1)
    throw core::InputError(graph_.source + ": the model has " + std::to_string(graph_.inputs.size()) +
                           " runtime inputs; use run_all");
}

const Tensor& Executor::run(const Tensor& input) {
  require_one_input();
  execute({&input});
  return *view_[graph_.outputs[0]];
}

std::vector<Tensor> Executor::run_all(const std::vector<Tensor>& inputs) {
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  execute(ptrs);
  std::vector<Tensor> out;
  for (int o : graph_.outputs) out.push_back(*view_[o]);
  return out;
}

void Executor::execute(const std::vector<const Tensor*>& inputs) {
  if (inputs.size() != graph_.inputs.size())
    throw core::InputError(graph_.source + ": expected " + std::to_string(graph_.inputs.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  for (std::size_t v = 0; v < graph_.values.size(); ++v)
    view_[v] = graph_.values[v].constant ? &graph_.values[v].data : &slot(static_cast<int>(v));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_one_input(graph_.inputs[i], *inputs[i]);
    view_[graph_.inputs[i]] = inputs[i];
  }
  for (std::size_t i = 0; i < graph_.nodes.size(); ++i) run_node(i);
}

void Executor::check_one_input(int value, const Tensor& t) const {
  const Value& v = graph_.values[static_cast<std::size_t>(value)];
  if (static_cast<std::int64_t>(t.data.size()) != shape_numel(t.shape))
    throw core::InputError(graph_.source + ": input '" + v.name + "' has " + std::to_string(t.data.size()) +
                           " values for shape " + shape_str(t.shape));
  if (v.has_declared_shape) {
    // Dim 0 is the batch and may differ; every other declared dim must match.
    bool ok = t.shape.size() == v.declared_shape.size();
    for (std::size_t d = 1; ok && d < t.shape.size(); ++d)
      ok = v.declared_shape[d] < 0 || v.declared_shape[d] == t.shape[d];
    if (!ok)
      throw core::InputError(graph_.source + ": input '" + v.name + "' has shape " + shape_str(t.shape) +
                             ", the model declares " + shape_str(v.declared_shape) + " (-1: any)");
  }
}

void Executor::check_input(const Tensor& input) const {
  require_one_input();
  check_one_input(graph_.inputs[0], input);
}

void Executor::run_node(std::size_t index) {
  const Node& n = graph_.nodes[index];
  const auto t0 = std::chrono::steady_clock::now();
  if (n.weighted >= 0) {
    detail::with_node(Where{graph_.source, n}, [&] { run_weighted(n, graph_.weighted[n.weighted], index); });
  } else if (passthrough_[index]) {
    slot(n.outputs[0]) = *view_[n.inputs[0]];  // computed by the backend with the layer before
  } else {
    std::vector<const Tensor*> in;
    for (int v : n.inputs) in.push_back(v >= 0 ? view_[v] : nullptr);
    std::vector<Tensor*> out;
    for (int v : n.outputs) out.push_back(v >= 0 ? &slot(v) : nullptr);
    detail::run_digital(Where{graph_.source, n}, graph_.opset, in, out, cols_);
  }
  NodeStats& s = node_stats_[index];
  ++s.calls;
  s.output_elements += static_cast<std::uint64_t>(view_[n.outputs[0]]->numel());
  s.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Executor::require_finite_inputs(const WeightedLayer& layer, bool finite) const {
  // Finite weights and inputs can still overflow on the way (activations of 1e308): the
  // backends are not asked to multiply NaN/Inf, whatever they would make of it.
  if (!finite)
    throw core::InputError(graph_.source + ": layer '" + layer.node_name +
                           "': its inputs became NaN or Inf (activations overflowed: weights or inputs out of range)");
}

template <typename Multiply>
Eigen::MatrixXd Executor::timed(const WeightedLayer& layer, Eigen::Index vectors, Eigen::Index samples, Multiply&& multiply) {
  const auto t0 = std::chrono::steady_clock::now();
  Eigen::MatrixXd Y = multiply();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (Y.rows() != vectors || Y.cols() != layer.out_features)
    throw core::InputError("backend returned a " + std::to_string(Y.rows()) + "x" + std::to_string(Y.cols()) +
                           " matrix for layer '" + layer.node_name + "', expected " + std::to_string(vectors) + "x" +
                           std::to_string(layer.out_features));
  LayerStats& s = layer_stats_[static_cast<std::size_t>(layer.id)];
  ++s.calls;
  s.vectors += static_cast<std::uint64_t>(vectors);
  s.samples += static_cast<std::uint64_t>(samples);
  s.seconds += sec;
  if (observer_) observer_(LayerCall{&layer, vectors, samples, sec});
  return Y;
}

Eigen::MatrixXd Executor::call_backend(const WeightedLayer& layer, const Eigen::MatrixXd& X, Eigen::Index samples) {
  return timed(layer, X.rows(), samples, [&] { return backend_.multiply(layer, X); });
}

Eigen::MatrixXd Executor::call_backend_rows(const WeightedLayer& layer, Eigen::Index vectors, const core::InputRows& rows,
                                            Eigen::Index samples) {
  return timed(layer, vectors, samples, [&] { return backend_.multiply_rows(layer, vectors, rows); });
}

void Executor::run_weighted(const Node& n, const WeightedNode& wn, std::size_t index) {
  Where w{graph_.source, n};
  const Tensor& x = *view_[n.inputs[0]];
  Tensor& y = slot(n.outputs[0]);
  const WeightedLayer& l0 = graph_.layers[wn.layers[0]];
  Eigen::MatrixXd& cols = cols_;
  switch (n.kind) {
    case OpKind::Gemm: {
      w.check(x.rank() == 2, "A must be 2-D, got " + shape_str(x.shape));
      Eigen::Map<const detail::RowMat> a(x.data.data(), x.dim(0), x.dim(1));
      if (n.attrs.trans_a) cols = a.transpose();
      else cols = a;
      w.check(cols.cols() == l0.in_features, "A " + shape_str(x.shape) + (n.attrs.trans_a ? " (transposed)" : "") +
                                                  " does not match the weight's " + std::to_string(l0.in_features) + " inputs");
      const Eigen::Index M = cols.rows(), N = l0.out_features;
      require_finite_inputs(l0, core::all_finite(cols));
      Eigen::MatrixXd r = call_backend(l0, cols, M);
      if (wn.bias.size() > 0 && !fused_[index]) {
        const Eigen::MatrixXd& b = wn.bias;
        w.check(b.rows() == 1 || b.rows() == M, "C has " + std::to_string(b.rows()) + " rows, batch has " + std::to_string(M));
        if (b.rows() == 1 && b.cols() == 1) r.array() += b(0, 0);
        else if (b.rows() == 1) r.rowwise() += b.row(0);
        else if (b.cols() == 1) r.colwise() += b.col(0);
        else r += b;
      }
      y.resize({M, N});
      Eigen::Map<detail::RowMat>(y.data.data(), M, N) = r;
      break;
    }
    case OpKind::MatMul: {
      w.check(x.rank() >= 1 && x.shape.back() == l0.in_features,
              "input " + shape_str(x.shape) + " does not end in the weight's " + std::to_string(l0.in_features) + " inputs");
      const Eigen::Index K = l0.in_features, N = l0.out_features, rows = K == 0 ? 0 : x.numel() / K;
      cols = Eigen::Map<const detail::RowMat>(x.data.data(), rows, K);
      require_finite_inputs(l0, core::all_finite(cols));
      const Eigen::MatrixXd r = call_backend(l0, cols, x.rank() >= 2 ? x.dim(0) : 1);
      Shape os(x.shape.begin(), x.shape.end() - 1);
      os.push_back(N);
      y.resize(os);
      Eigen::Map<detail::RowMat>(y.data.data(), rows, N) = r;
      break;
    }
    case OpKind::Conv: {
      const Tensor& W = graph_.values[n.inputs[1]].data;
      w.check(x.rank() == W.rank(), "input " + shape_str(x.shape) + " does not match weight rank " + std::to_string(W.rank()));
      w.check(x.dim(1) == l0.in_channels, "input has " + std::to_string(x.dim(1)) + " channels, weight expects " +
                                              std::to_string(l0.in_channels));
      const detail::Window win = detail::resolve_window(w, n.attrs, x.shape, l0.kernel, false);
      const auto group_layer = [&](int g) -> const WeightedLayer& { return graph_.layers[wn.layers[static_cast<std::size_t>(g)]]; };
      bool rows = true;  // every group's backend takes its patches on demand: no im2col matrix
      for (std::size_t g = 0; g < wn.layers.size(); ++g) rows = rows && backend_.takes_rows(group_layer(static_cast<int>(g)));
      // The patches hold the input's values and padding zeros: finite exactly when the input is
      // (one pass over the input, not over the patch matrix, k_size times its size).
      require_finite_inputs(l0, core::all_finite(Eigen::Map<const Eigen::VectorXd>(x.data.data(), x.numel())));
      detail::conv_im2col(
          win, x, static_cast<std::int64_t>(wn.layers.size()), l0.out_channels,
          [&](int g, const Eigen::MatrixXd& cols, std::int64_t images) { return call_backend(group_layer(g), cols, images); },
          wn.bias.size() > 0 ? wn.bias.data() : nullptr, y, im2col_limit_, cols,
          rows ? detail::GroupRowsMul([&](int g, Eigen::Index vectors, const core::InputRows& patch_rows, std::int64_t images) {
            return call_backend_rows(group_layer(g), vectors, patch_rows, images);
          })
               : detail::GroupRowsMul());
      break;
    }
    default: w.fail("internal: not a weighted operator");
  }
}

}  // namespace memtile::nn
