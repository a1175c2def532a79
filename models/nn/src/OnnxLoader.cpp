// ONNX -> Graph. The ONNX protobuf types stay inside this file: public headers only use Eigen.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "Ops.hpp"
#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/nn/Graph.hpp"

namespace memtile::nn {

using core::InputError;
using detail::Where;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw InputError(source + ": " + message);
}

std::string dtype_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float32";
    case onnx::TensorProto::DOUBLE: return "float64";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::UINT16: return "uint16";
    case onnx::TensorProto::INT16: return "int16";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::STRING: return "string";
    default: return "data type " + std::to_string(t);
  }
}

// float32/float64 carry data; int64/int32 carry shapes, axes and indices. Everything else (int8
// and uint8 quantised data, float16, bool, strings) is rejected rather than silently widened.
bool supported_dtype(int t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE || t == onnx::TensorProto::INT64 ||
         t == onnx::TensorProto::INT32;
}

template <class T>
void from_raw(const std::string& raw, std::vector<double>& out) {
  // ONNX raw_data is little-endian; this host (x86-64/aarch64 Linux) is too.
  const std::size_t n = raw.size() / sizeof(T);
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

// `what` names the tensor in messages, e.g. "initializer 'fc1.weight'".
Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& source, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail(source, what + ": external tensor data is not supported (save the model with the weights inside)");
  if (!supported_dtype(t.data_type()))
    fail(source, what + ": unsupported data type " + dtype_name(t.data_type()) +
                     " (supported: float32, float64, int64, int32)");
  Tensor out;
  for (auto d : t.dims()) {
    if (d < 0) fail(source, what + ": negative dimension " + std::to_string(d));
    out.shape.push_back(d);
  }
  const std::int64_t n = core::checked_count(out.shape, sizeof(double), source + ": " + what);
  if (t.has_raw_data()) {
    std::size_t es = 0;
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: es = 4; break;
      case onnx::TensorProto::DOUBLE: es = 8; break;
      case onnx::TensorProto::INT64: es = 8; break;
      case onnx::TensorProto::INT32: es = 4; break;
    }
    if (t.raw_data().size() != static_cast<std::size_t>(n) * es)
      fail(source, what + ": raw data holds " + std::to_string(t.raw_data().size()) + " bytes, shape " +
                       shape_str(out.shape) + " of " + dtype_name(t.data_type()) + " needs " +
                       std::to_string(n * static_cast<std::int64_t>(es)) + " (truncated or corrupt)");
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: from_raw<float>(t.raw_data(), out.data); break;
      case onnx::TensorProto::DOUBLE: from_raw<double>(t.raw_data(), out.data); break;
      case onnx::TensorProto::INT64: from_raw<std::int64_t>(t.raw_data(), out.data); break;
      case onnx::TensorProto::INT32: from_raw<std::int32_t>(t.raw_data(), out.data); break;
    }
  } else {
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: out.data.assign(t.float_data().begin(), t.float_data().end()); break;
      case onnx::TensorProto::DOUBLE: out.data.assign(t.double_data().begin(), t.double_data().end()); break;
      case onnx::TensorProto::INT64:
        for (auto v : t.int64_data()) out.data.push_back(static_cast<double>(v));
        break;
      case onnx::TensorProto::INT32: out.data.assign(t.int32_data().begin(), t.int32_data().end()); break;
    }
    if (static_cast<std::int64_t>(out.data.size()) != n)
      fail(source, what + ": holds " + std::to_string(out.data.size()) + " values, shape " + shape_str(out.shape) +
                       " needs " + std::to_string(n) + " (truncated or corrupt)");
  }
  return out;
}

bool all_finite(const Tensor& t) {
  return std::all_of(t.data.begin(), t.data.end(), [](double v) { return std::isfinite(v); });
}

struct OpInfo {
  OpKind kind;
  std::set<std::string> attrs;  // accepted attribute names; anything else is rejected
  int min_inputs, max_inputs;   // max -1: variadic
  int max_outputs;
};

const std::map<std::string, OpInfo>& op_table() {
  // "consumed_inputs" is an opset-1 memory hint without semantic effect; accepted and ignored.
  static const std::map<std::string, OpInfo> table = {
      {"Gemm", {OpKind::Gemm, {"alpha", "beta", "transA", "transB", "broadcast"}, 2, 3, 1}},
      {"MatMul", {OpKind::MatMul, {}, 2, 2, 1}},
      {"Conv", {OpKind::Conv, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}, 2, 3, 1}},
      {"Relu", {OpKind::Relu, {"consumed_inputs"}, 1, 1, 1}},
      {"Sigmoid", {OpKind::Sigmoid, {"consumed_inputs"}, 1, 1, 1}},
      {"Tanh", {OpKind::Tanh, {"consumed_inputs"}, 1, 1, 1}},
      {"MaxPool", {OpKind::MaxPool, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"}, 1, 1, 1}},
      {"AveragePool", {OpKind::AveragePool, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}, 1, 1, 1}},
      {"GlobalAveragePool", {OpKind::GlobalAveragePool, {}, 1, 1, 1}},
      {"Flatten", {OpKind::Flatten, {"axis"}, 1, 1, 1}},
      {"Reshape", {OpKind::Reshape, {"allowzero"}, 2, 2, 1}},
      {"Add", {OpKind::Add, {"broadcast", "axis", "consumed_inputs"}, 2, 2, 1}},
      {"BatchNormalization", {OpKind::BatchNormalization, {"epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"}, 5, 5, 1}},
      {"Softmax", {OpKind::Softmax, {"axis"}, 1, 1, 1}},
      {"Identity", {OpKind::Identity, {}, 1, 1, 1}},
      {"Dropout", {OpKind::Dropout, {"ratio", "is_test", "seed"}, 1, 3, 1}},
      {"Shape", {OpKind::Shape, {"start", "end"}, 1, 1, 1}},
      {"Gather", {OpKind::Gather, {"axis"}, 2, 2, 1}},
      {"Unsqueeze", {OpKind::Unsqueeze, {"axes"}, 1, 2, 1}},
      {"Squeeze", {OpKind::Squeeze, {"axes"}, 1, 2, 1}},
      {"Concat", {OpKind::Concat, {"axis"}, 1, -1, 1}},
      {"Transpose", {OpKind::Transpose, {"perm"}, 1, 1, 1}},
  };
  return table;
}

class Loader {
 public:
  Loader(const std::string& path, const LoadOptions& opt) : path_(path), opt_(opt) { g_.source = path; }
  Graph load();

 private:
  [[noreturn]] void node_fail(const onnx::NodeProto& n, const std::string& name, const std::string& msg) const {
    fail(path_, "node '" + name + "' (" + n.op_type() + "): " + msg);
  }
  int add_value(const std::string& name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    Value v;
    v.name = name;
    g_.values.push_back(std::move(v));
    return ids_[name] = static_cast<int>(g_.values.size()) - 1;
  }
  void parse_attrs(const onnx::NodeProto& np, Node& n);
  void topo_sort();
  void fold_constants();
  void extract_weighted();
  void fold_batchnorms();
  void finish_layers();
  std::vector<int> consumers(int value) const;

  std::string path_;
  const LoadOptions& opt_;
  Graph g_;
  std::map<std::string, int> ids_;
  std::set<int> graph_output_ids_;
  std::vector<std::string> bn_folded_into_;  // per weighted node
};

Graph Loader::load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) fail(path_, "cannot open ONNX model");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path_, "read error");
  if (bytes.empty()) fail(path_, "empty file");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) fail(path_, "not a valid ONNX model (corrupt or truncated protobuf)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    fail(path_, "model has no graph (truncated or not an ONNX model)");
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g_.opset = op.version();
  if (g_.opset <= 0) fail(path_, "no opset_import for the default ONNX domain (truncated or invalid model)");
  const onnx::GraphProto& gp = model.graph();

  // Initializers.
  std::set<std::string> init_names;
  for (const auto& t : gp.initializer()) {
    if (t.name().empty()) fail(path_, "initializer without a name");
    const int id = add_value(t.name());
    Value& v = g_.values[id];
    v.constant = true;
    v.data = tensor_from_proto(t, path_, "initializer '" + t.name() + "'");
    init_names.insert(t.name());
  }
  if (gp.sparse_initializer_size() > 0) fail(path_, "sparse initializers are not supported");

  // Inputs (IR < 4 lists the initializers among the inputs too: those stay constants).
  std::set<std::string> bound_used;
  for (const auto& vi : gp.input()) {
    if (init_names.count(vi.name())) continue;
    if (!vi.type().has_tensor_type())
      fail(path_, "graph input '" + vi.name() + "': only tensor inputs are supported (not sequences/optionals/maps)");
    const auto& tt = vi.type().tensor_type();
    if (!supported_dtype(tt.elem_type()))
      fail(path_, "graph input '" + vi.name() + "': unsupported data type " + dtype_name(tt.elem_type()) +
                      " (supported: float32, float64; int64/int32 for shapes and indices)");
    const int id = add_value(vi.name());
    Value& v = g_.values[id];
    if (tt.has_shape()) {
      v.has_declared_shape = true;
      for (const auto& d : tt.shape().dim()) v.declared_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    auto b = opt_.bind.find(vi.name());
    if (b != opt_.bind.end()) {
      v.constant = true;
      v.data = b->second;
      bound_used.insert(vi.name());
    } else {
      g_.inputs.push_back(id);
    }
  }
  for (const auto& [name, t] : opt_.bind)
    if (!bound_used.count(name)) fail(path_, "LoadOptions::bind names '" + name + "', which is not a graph input");

  // Nodes: first give every output a value (SSA: one producer each), then resolve inputs.
  std::vector<int> producer;
  for (int i = 0; i < gp.node_size(); ++i) {
    const auto& np = gp.node(i);
    Node n;
    n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(i) : np.name();
    n.op = np.op_type();
    for (const auto& o : np.output()) {
      if (o.empty()) {
        n.outputs.push_back(-1);
        continue;
      }
      if (ids_.count(o) && (g_.values[ids_[o]].constant || std::find(g_.inputs.begin(), g_.inputs.end(), ids_[o]) != g_.inputs.end()))
        node_fail(np, n.name, "output '" + o + "' redefines a graph input or initializer");
      if (ids_.count(o) && static_cast<std::size_t>(ids_[o]) < producer.size() && producer[ids_[o]] >= 0)
        node_fail(np, n.name, "output '" + o + "' is produced by more than one node");
      const int id = add_value(o);
      producer.resize(g_.values.size(), -1);
      producer[id] = i;
      n.outputs.push_back(id);
    }
    g_.nodes.push_back(std::move(n));
  }
  producer.resize(g_.values.size(), -1);
  for (int i = 0; i < gp.node_size(); ++i) {
    const auto& np = gp.node(i);
    Node& n = g_.nodes[i];
    if (!(np.domain().empty() || np.domain() == "ai.onnx"))
      node_fail(np, n.name, "operator domain '" + np.domain() + "' is not supported (only the default ONNX domain)");
    const auto& table = op_table();
    if (n.op == "Constant") {
      n.kind = OpKind::Identity;  // placeholder, replaced by its value in parse_attrs
    } else {
      auto it = table.find(n.op);
      if (it == table.end()) node_fail(np, n.name, "unsupported operator '" + n.op + "' (see docs/nn.md for the supported set)");
      const OpInfo& info = it->second;
      n.kind = info.kind;
      if (np.input_size() < info.min_inputs || (info.max_inputs >= 0 && np.input_size() > info.max_inputs))
        node_fail(np, n.name, "has " + std::to_string(np.input_size()) + " inputs, expected " +
                                  std::to_string(info.min_inputs) + (info.max_inputs < 0 ? "+" : "..") +
                                  (info.max_inputs < 0 ? "" : std::to_string(info.max_inputs)));
      int used_outputs = 0;
      for (std::size_t k = 0; k < n.outputs.size(); ++k)
        if (n.outputs[k] >= 0) used_outputs = static_cast<int>(k) + 1;
      if (used_outputs > info.max_outputs)
        node_fail(np, n.name, "uses " + std::to_string(used_outputs) + " outputs; only " + std::to_string(info.max_outputs) +
                                  " supported (training-mode or index outputs are not)");
      if (n.outputs.empty() || n.outputs[0] < 0) node_fail(np, n.name, "has no output");
    }
    for (const auto& in : np.input()) {
      if (in.empty()) {
        n.inputs.push_back(-1);
        continue;
      }
      auto it = ids_.find(in);
      if (it == ids_.end())
        node_fail(np, n.name, "input '" + in + "' is not produced by any node, input or initializer (truncated or malformed graph)");
      n.inputs.push_back(it->second);
    }
    for (std::size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] < 0 && !(k > 0 && (n.kind == OpKind::Gemm || n.kind == OpKind::Conv || n.kind == OpKind::Dropout)))
        node_fail(np, n.name, "required input " + std::to_string(k) + " is empty");
    parse_attrs(np, n);
  }
  // Outputs.
  for (const auto& vi : gp.output()) {
    auto it = ids_.find(vi.name());
    if (it == ids_.end()) fail(path_, "graph output '" + vi.name() + "' is not produced by the graph (truncated or malformed)");
    Value& v = g_.values[it->second];
    if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape() && !v.has_declared_shape) {
      v.has_declared_shape = true;
      for (const auto& d : vi.type().tensor_type().shape().dim()) v.declared_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    g_.outputs.push_back(it->second);
    graph_output_ids_.insert(it->second);
  }
  if (g_.outputs.empty()) fail(path_, "graph has no outputs");

  // Weights must be finite: name the constant and a node that reads it.
  for (const Node& n : g_.nodes)
    for (int id : n.inputs)
      if (id >= 0 && g_.values[id].constant && !all_finite(g_.values[id].data))
        fail(path_, "node '" + n.name + "' (" + n.op + "): constant '" + g_.values[id].name + "' contains NaN or Inf");

  topo_sort();
  fold_constants();
  extract_weighted();
  if (opt_.fold_batchnorm) fold_batchnorms();
  finish_layers();
  return std::move(g_);
}

void Loader::parse_attrs(const onnx::NodeProto& np, Node& n) {
  NodeAttrs& a = n.attrs;
  // Defaults that depend on the operator or the opset.
  if (n.kind == OpKind::Softmax) a.axis = g_.opset >= 13 ? -1 : 1;
  if (n.kind == OpKind::Gather || n.kind == OpKind::Concat) a.axis = 0;
  auto bad = [&](const std::string& msg) { node_fail(np, n.name, msg); };
  auto as_i = [&](const onnx::AttributeProto& at) -> std::int64_t {
    if (at.type() != onnx::AttributeProto::INT && !(at.type() == 0 && at.has_i()))
      bad("attribute '" + at.name() + "' must be an int");
    return at.i();
  };
  auto as_f = [&](const onnx::AttributeProto& at) -> double {
    if (at.type() != onnx::AttributeProto::FLOAT && !(at.type() == 0 && at.has_f()))
      bad("attribute '" + at.name() + "' must be a float");
    if (!std::isfinite(at.f())) bad("attribute '" + at.name() + "' must be finite, got " + std::to_string(at.f()));
    return at.f();
  };
  auto as_ints = [&](const onnx::AttributeProto& at) {
    if (at.type() != onnx::AttributeProto::INTS && at.type() != 0) bad("attribute '" + at.name() + "' must be ints");
    return std::vector<std::int64_t>(at.ints().begin(), at.ints().end());
  };
  auto as_s = [&](const onnx::AttributeProto& at) {
    if (at.type() != onnx::AttributeProto::STRING && !(at.type() == 0 && at.has_s()))
      bad("attribute '" + at.name() + "' must be a string");
    return at.s();
  };

  if (n.op == "Constant") {
    if (np.attribute_size() != 1) bad("Constant needs exactly one value attribute");
    const auto& at = np.attribute(0);
    Tensor t;
    if (at.name() == "value") {
      if (at.type() != onnx::AttributeProto::TENSOR && !at.has_t()) bad("attribute 'value' must be a tensor");
      t = tensor_from_proto(at.t(), path_, "node '" + n.name + "' (Constant) value");
    } else if (at.name() == "value_float") {
      t = Tensor({}, {as_f(at)});
    } else if (at.name() == "value_floats") {
      t = Tensor({at.floats_size()}, std::vector<double>(at.floats().begin(), at.floats().end()));
    } else if (at.name() == "value_int") {
      t = Tensor({}, {static_cast<double>(as_i(at))});
    } else if (at.name() == "value_ints") {
      std::vector<double> d;
      for (auto v : at.ints()) d.push_back(static_cast<double>(v));
      t = Tensor({at.ints_size()}, d);
    } else {
      bad("unsupported attribute '" + at.name() + "' (supported: value, value_float(s), value_int(s))");
    }
    if (!all_finite(t)) bad("constant value contains NaN or Inf");
    if (n.outputs.size() != 1 || n.outputs[0] < 0) bad("Constant must have one output");
    Value& v = g_.values[n.outputs[0]];
    v.constant = true;
    v.data = std::move(t);
    n.outputs.clear();  // marks the node for removal in topo_sort
    g_.folded_nodes.push_back(n.name);
    return;
  }

  const OpInfo& info = op_table().at(n.op);
  for (const auto& at : np.attribute()) {
    const std::string& nm = at.name();
    if (!info.attrs.count(nm)) bad("unsupported attribute '" + nm + "'");
    if (nm == "alpha") a.alpha = as_f(at);
    else if (nm == "beta") a.beta = as_f(at);
    else if (nm == "transA") a.trans_a = as_i(at) != 0;
    else if (nm == "transB") a.trans_b = as_i(at) != 0;
    else if (nm == "epsilon") a.epsilon = as_f(at);
    else if (nm == "kernel_shape") a.kernel_shape = as_ints(at);
    else if (nm == "strides") a.strides = as_ints(at);
    else if (nm == "dilations") a.dilations = as_ints(at);
    else if (nm == "pads") a.pads = as_ints(at);
    else if (nm == "group") a.group = as_i(at);
    else if (nm == "ceil_mode") a.ceil_mode = as_i(at) != 0;
    else if (nm == "count_include_pad") a.count_include_pad = as_i(at) != 0;
    else if (nm == "allowzero") a.allowzero = as_i(at) != 0;
    else if (nm == "start") a.start = as_i(at);
    else if (nm == "end") a.end = as_i(at);
    else if (nm == "axes") a.axes = as_ints(at);
    else if (nm == "perm") a.perm = as_ints(at);
    else if (nm == "auto_pad") {
      a.auto_pad = as_s(at);
      if (a.auto_pad.empty()) a.auto_pad = "NOTSET";
      if (a.auto_pad != "NOTSET" && a.auto_pad != "VALID" && a.auto_pad != "SAME_UPPER" && a.auto_pad != "SAME_LOWER")
        bad("unsupported auto_pad '" + a.auto_pad + "'");
    } else if (nm == "axis") {
      a.axis = as_i(at);
      if (n.kind == OpKind::Add) a.legacy_axis = a.axis;
    } else if (nm == "broadcast") {
      // Opset < 7 Add/Gemm: broadcast=1 allows the (legacy) broadcast, 0 demands equal shapes;
      // numpy rules accept everything the legacy form accepts for these operators.
      if (n.kind == OpKind::Add) a.legacy_broadcast = as_i(at) != 0;
    } else if (nm == "training_mode") {
      if (as_i(at) != 0) bad("training_mode=1 is not supported (inference only)");
    } else if (nm == "spatial") {
      if (as_i(at) != 1) bad("spatial=0 (per-activation statistics) is not supported");
    } else if (nm == "is_test") {
      if (as_i(at) == 0) bad("is_test=0 (training mode) is not supported (inference only)");
    } else if (nm == "storage_order") {
      // Only affects the Indices output, which is rejected anyway.
    }
    // momentum, ratio, seed, consumed_inputs: no effect on inference.
  }
  if (n.kind == OpKind::Conv || n.kind == OpKind::MaxPool || n.kind == OpKind::AveragePool) {
    if (n.kind != OpKind::Conv && a.kernel_shape.empty()) bad("kernel_shape is required");
    if (a.group < 1 || a.group > (1 << 24)) bad("group must be 1..2^24, got " + std::to_string(a.group));
    // Pools know their kernel here; a Conv's comes from its weight (checked in finish_layers).
    if (!a.kernel_shape.empty() && a.auto_pad == "NOTSET") detail::check_pads(Where{path_, n}, a.pads, a.kernel_shape, a.dilations);
  }
  if (n.kind == OpKind::Dropout && n.inputs.size() > 2 && n.inputs[2] >= 0) {
    // training_mode input: only a constant false is inference.
    const Value& tm = g_.values[n.inputs[2]];
    if (!tm.constant || (tm.data.numel() > 0 && tm.data.data[0] != 0.0))
      bad("training_mode input must be a constant false (inference only)");
  }
}

void Loader::topo_sort() {
  std::vector<Node> nodes;
  for (auto& n : g_.nodes)
    if (!n.outputs.empty()) nodes.push_back(std::move(n));  // Constant nodes already folded
  std::vector<int> producer(g_.values.size(), -1);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (int o : nodes[i].outputs)
      if (o >= 0) producer[o] = static_cast<int>(i);
  std::vector<int> state(nodes.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<Node> sorted;
  std::function<void(int)> visit = [&](int i) {
    if (state[i] == 2) return;
    if (state[i] == 1) fail(path_, "graph has a cycle through node '" + nodes[i].name + "'");
    state[i] = 1;
    for (int in : nodes[i].inputs)
      if (in >= 0 && producer[in] >= 0) visit(producer[in]);
    state[i] = 2;
    sorted.push_back(nodes[i]);
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) visit(static_cast<int>(i));
  g_.nodes = std::move(sorted);
}

void Loader::fold_constants() {
  std::vector<Node> kept;
  Eigen::MatrixXd scratch;
  for (auto& n : g_.nodes) {
    bool all_const = true;
    for (int in : n.inputs)
      if (in >= 0 && !g_.values[in].constant) all_const = false;
    if (!all_const) {
      kept.push_back(std::move(n));
      continue;
    }
    std::vector<const Tensor*> ins;
    for (int in : n.inputs) ins.push_back(in >= 0 ? &g_.values[in].data : nullptr);
    std::vector<Tensor*> outs;
    for (int o : n.outputs) outs.push_back(o >= 0 ? &g_.values[o].data : nullptr);
    detail::run_digital(Where{path_, n}, g_.opset, ins, outs, scratch);
    for (int o : n.outputs)
      if (o >= 0) g_.values[o].constant = true;
    g_.folded_nodes.push_back(n.name);
  }
  g_.nodes = std::move(kept);
}

std::vector<int> Loader::consumers(int value) const {
  std::vector<int> c;
  for (std::size_t i = 0; i < g_.nodes.size(); ++i)
    for (int in : g_.nodes[i].inputs)
      if (in == value) {
        c.push_back(static_cast<int>(i));
        break;
      }
  return c;
}

void Loader::extract_weighted() {
  for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
    Node& n = g_.nodes[i];
    auto cst = [&](std::size_t k) { return k < n.inputs.size() && n.inputs[k] >= 0 && g_.values[n.inputs[k]].constant; };
    auto absent = [&](std::size_t k) { return k >= n.inputs.size() || n.inputs[k] < 0; };
    Where w{path_, n};
    WeightedNode wn;
    wn.node = static_cast<int>(i);
    if (n.kind == OpKind::Gemm && cst(1) && (absent(2) || cst(2))) {
      const Tensor& B = g_.values[n.inputs[1]].data;
      w.check(B.rank() == 2, "B must be 2-D, got " + shape_str(B.shape));
      Eigen::Map<const detail::RowMat> mb(B.data.data(), B.dim(0), B.dim(1));
      wn.weights.push_back(n.attrs.alpha * (n.attrs.trans_b ? Eigen::MatrixXd(mb.transpose()) : Eigen::MatrixXd(mb)));
      const Eigen::Index N = wn.weights[0].cols();
      if (!absent(2)) {
        const Tensor& C = g_.values[n.inputs[2]].data;
        // Unidirectional broadcast to (M, N): keep C as rows x cols with rows, cols in {1, M/N}.
        Eigen::Index rows = 1, cols = 1;
        if (C.rank() == 1) cols = C.dim(0);
        else if (C.rank() == 2) rows = C.dim(0), cols = C.dim(1);
        else w.check(C.rank() == 0, "C must have rank <= 2, got " + shape_str(C.shape));
        w.check(cols == 1 || cols == N, "C " + shape_str(C.shape) + " does not broadcast to [M, " + std::to_string(N) + "]");
        Eigen::Map<const detail::RowMat> mc(C.data.data(), rows, cols);
        wn.bias = n.attrs.beta * Eigen::MatrixXd(mc);
      }
    } else if (n.kind == OpKind::MatMul && cst(1) && g_.values[n.inputs[1]].data.rank() == 2) {
      const Tensor& B = g_.values[n.inputs[1]].data;
      Eigen::Map<const detail::RowMat> mb(B.data.data(), B.dim(0), B.dim(1));
      wn.weights.push_back(Eigen::MatrixXd(mb));
    } else if (n.kind == OpKind::Conv && cst(1) && (absent(2) || cst(2))) {
      const Tensor& W = g_.values[n.inputs[1]].data;
      w.check(W.rank() >= 3 && W.rank() <= 5, "weight must be [M, C/group, k1..kn] with 1..3 spatial dims, got " +
                                                  shape_str(W.shape));
      const std::int64_t G = n.attrs.group, M = W.dim(0);
      w.check(M % G == 0, "output channels " + std::to_string(M) + " not divisible by group " + std::to_string(G));
      if (!n.attrs.kernel_shape.empty())
        w.check(std::vector<std::int64_t>(W.shape.begin() + 2, W.shape.end()) == n.attrs.kernel_shape,
                "kernel_shape disagrees with the weight shape " + shape_str(W.shape));
      for (std::int64_t g = 0; g < G; ++g) wn.weights.push_back(detail::conv_group_matrix(W, G, g));
      if (!absent(2)) {
        const Tensor& b = g_.values[n.inputs[2]].data;
        w.check(b.numel() == M, "bias must have " + std::to_string(M) + " values, got " + shape_str(b.shape));
        wn.bias = Eigen::Map<const Eigen::MatrixXd>(b.data.data(), 1, M);
      }
    } else {
      continue;
    }
    n.weighted = static_cast<int>(g_.weighted.size());
    g_.weighted.push_back(std::move(wn));
    bn_folded_into_.emplace_back();
  }
}

void Loader::fold_batchnorms() {
  std::vector<bool> remove(g_.nodes.size(), false);
  for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
    Node& bn = g_.nodes[i];
    if (bn.kind != OpKind::BatchNormalization) continue;
    const int x = bn.inputs[0];
    bool params_const = true;
    for (std::size_t k = 1; k <= 4; ++k) params_const = params_const && g_.values[bn.inputs[k]].constant;
    if (!params_const || graph_output_ids_.count(x)) continue;
    int prod = -1;
    for (std::size_t j = 0; j < i; ++j)
      for (int o : g_.nodes[j].outputs)
        if (o == x) prod = static_cast<int>(j);
    if (prod < 0) continue;
    Node& p = g_.nodes[prod];
    if (p.weighted < 0 || (p.kind != OpKind::Conv && p.kind != OpKind::Gemm)) continue;
    if (consumers(x).size() != 1) continue;
    WeightedNode& wn = g_.weighted[p.weighted];
    const Eigen::Index Ng = wn.weights[0].cols(), M = Ng * static_cast<Eigen::Index>(wn.weights.size());
    Where w{path_, bn};
    for (std::size_t k = 1; k <= 4; ++k)
      w.check(g_.values[bn.inputs[k]].data.numel() == M,
              "parameter " + std::to_string(k) + " must have " + std::to_string(M) + " values (channels of '" + p.name + "')");
    const auto &sc = g_.values[bn.inputs[1]].data.data, &bi = g_.values[bn.inputs[2]].data.data,
               &mu = g_.values[bn.inputs[3]].data.data, &var = g_.values[bn.inputs[4]].data.data;
    Eigen::VectorXd s(M), t(M);
    for (Eigen::Index c = 0; c < M; ++c) {
      w.check(var[c] + bn.attrs.epsilon > 0, "variance + epsilon must be positive");
      s[c] = sc[c] / std::sqrt(var[c] + bn.attrs.epsilon);
      t[c] = bi[c] - mu[c] * s[c];
    }
    for (std::size_t g = 0; g < wn.weights.size(); ++g)
      wn.weights[g] = wn.weights[g] * s.segment(static_cast<Eigen::Index>(g) * Ng, Ng).asDiagonal();
    // New bias: old bias (broadcast over the M output columns) scaled, plus the BN shift.
    Eigen::MatrixXd old = wn.bias;
    if (old.size() == 0) old = Eigen::MatrixXd::Zero(1, M);
    if (old.cols() == 1 && M != 1) old = old.replicate(1, M).eval();
    wn.bias = (old * s.asDiagonal()).rowwise() + t.transpose();
    p.outputs[0] = bn.outputs[0];
    remove[i] = true;
    bn_folded_into_[p.weighted] = bn.name;
    g_.folded_nodes.push_back(bn.name);
  }
  std::vector<Node> kept;
  std::vector<int> remap(g_.nodes.size(), -1);
  for (std::size_t i = 0; i < g_.nodes.size(); ++i)
    if (!remove[i]) {
      remap[i] = static_cast<int>(kept.size());
      kept.push_back(std::move(g_.nodes[i]));
    }
  g_.nodes = std::move(kept);
  for (auto& wn : g_.weighted) wn.node = remap[wn.node];
}

void Loader::finish_layers() {
  for (std::size_t k = 0; k < g_.weighted.size(); ++k) {
    WeightedNode& wn = g_.weighted[k];
    const Node& n = g_.nodes[wn.node];
    for (std::size_t gi = 0; gi < wn.weights.size(); ++gi) {
      WeightedLayer l;
      l.id = static_cast<int>(g_.layers.size());
      l.node_name = n.name;
      l.op = n.op;
      l.in_features = wn.weights[gi].rows();
      l.out_features = wn.weights[gi].cols();
      l.node_layer = static_cast<int>(k);
      l.group = static_cast<int>(gi);
      l.groups = static_cast<int>(wn.weights.size());
      l.has_bias = wn.bias.size() > 0;
      l.folded_batchnorm = bn_folded_into_[k];
      const Where w{path_, n};
      // alpha x B and folded BatchNorm scales can overflow finite inputs.
      w.check(wn.weights[gi].allFinite(), "weights (after folding alpha and BatchNorm) contain NaN or Inf");
      w.check(wn.bias.size() == 0 || wn.bias.allFinite(), "bias (after folding beta and BatchNorm) contains NaN or Inf");
      if (n.kind == OpKind::Conv) {
        const Tensor& W = g_.values[n.inputs[1]].data;
        const std::size_t nsp = W.shape.size() - 2;
        if (n.attrs.auto_pad == "NOTSET") detail::check_pads(w, n.attrs.pads, std::vector<std::int64_t>(W.shape.begin() + 2, W.shape.end()), n.attrs.dilations);
        l.out_channels = W.dim(0);
        l.in_channels = W.dim(1) * n.attrs.group;
        l.kernel.assign(W.shape.begin() + 2, W.shape.end());
        l.strides = n.attrs.strides.empty() ? std::vector<std::int64_t>(nsp, 1) : n.attrs.strides;
        l.dilations = n.attrs.dilations.empty() ? std::vector<std::int64_t>(nsp, 1) : n.attrs.dilations;
        if (n.attrs.pads.size() == 2 * nsp) {
          l.pads_begin.assign(n.attrs.pads.begin(), n.attrs.pads.begin() + nsp);
          l.pads_end.assign(n.attrs.pads.begin() + nsp, n.attrs.pads.end());
        } else {
          // auto_pad SAME_* pads depend on the input size and are resolved at run time.
          l.pads_begin.assign(nsp, 0);
          l.pads_end.assign(nsp, 0);
        }
      }
      wn.layers.push_back(l.id);
      g_.layers.push_back(std::move(l));
    }
  }
}

}  // namespace

int Graph::find_value(const std::string& name) const {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string Graph::summary() const {
  std::ostringstream os;
  os << source << " (opset " << opset << "): " << nodes.size() << " nodes, " << layers.size() << " weighted matrices\n";
  for (const Node& n : nodes) {
    os << "  " << n.name << "  " << n.op << "  [";
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
      os << (i ? ", " : "") << (n.inputs[i] < 0 ? std::string("-") : values[n.inputs[i]].name);
    os << "] -> [";
    for (std::size_t i = 0; i < n.outputs.size(); ++i) os << (i ? ", " : "") << (n.outputs[i] < 0 ? std::string("-") : values[n.outputs[i]].name);
    os << "]";
    if (n.weighted >= 0) {
      const WeightedNode& wn = weighted[n.weighted];
      const WeightedLayer& l = layers[wn.layers[0]];
      os << "  (layer " << l.id << (l.groups > 1 ? "+" : "") << ", K=" << l.in_features << ", N=" << l.out_features;
      if (l.groups > 1) os << ", groups=" << l.groups;
      if (!l.folded_batchnorm.empty()) os << ", folded " << l.folded_batchnorm;
      os << ")";
    }
    os << "\n";
  }
  return os.str();
}

Graph load_onnx(const std::string& path, const LoadOptions& options) {
  return Loader(path, options).load();
}

Tensor read_tensor_pb(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open tensor file");
  onnx::TensorProto t;
  if (!t.ParseFromIstream(&in)) fail(path, "not a valid ONNX TensorProto (corrupt or truncated)");
  return tensor_from_proto(t, path, "tensor '" + t.name() + "'");
}

}  // namespace memtile::nn
