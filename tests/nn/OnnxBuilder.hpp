// Builds small ONNX models in tests (with the ONNX protobuf classes) and writes them to a
// temporary folder, so loader/executor behaviour can be checked on graphs we control.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace nntest {

inline std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("memtile_nn_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::vector<double> random_values(std::size_t n, unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("memtile-tests");
    auto* o = model_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
  }
  onnx::GraphProto* graph() { return model_.mutable_graph(); }

  // dims < 0 become a symbolic "N".
  void input(const std::string& name, const std::vector<std::int64_t>& dims, int dtype = onnx::TensorProto::FLOAT) {
    auto* vi = graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype);
    auto* sh = tt->mutable_shape();
    for (auto d : dims) {
      auto* dim = sh->add_dim();
      if (d < 0) dim->set_dim_param("N");
      else dim->set_dim_value(d);
    }
  }
  void output(const std::string& name) {
    auto* vi = graph()->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  static void fill(onnx::TensorProto* t, const std::string& name, const std::vector<std::int64_t>& dims,
                   const std::vector<double>& values, int dtype) {
    t->set_name(name);
    t->set_data_type(dtype);
    for (auto d : dims) t->add_dims(d);
    for (double v : values) {
      if (dtype == onnx::TensorProto::FLOAT) t->add_float_data(static_cast<float>(v));
      else if (dtype == onnx::TensorProto::DOUBLE) t->add_double_data(v);
      else if (dtype == onnx::TensorProto::INT64) t->add_int64_data(static_cast<std::int64_t>(v));
      else t->add_int32_data(static_cast<std::int32_t>(v));
    }
  }
  void init(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<double>& values,
            int dtype = onnx::TensorProto::FLOAT) {
    fill(graph()->add_initializer(), name, dims, values, dtype);
  }
  onnx::NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                        const std::vector<std::string>& out) {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void attr_tensor(onnx::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& dims,
                          const std::vector<double>& values, int dtype) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::TENSOR);
    fill(a->mutable_t(), "", dims, values, dtype);
  }
  std::string save(const std::string& file) const {
    const std::string path = (temp_dir() / file).string();
    std::ofstream out(path, std::ios::binary);
    model_.SerializeToOstream(&out);
    return path;
  }
  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  onnx::ModelProto model_;
};

}  // namespace nntest
