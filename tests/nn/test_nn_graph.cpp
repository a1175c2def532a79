// Loader errors, BatchNormalization folding, PyTorch-style Shape/Gather/Unsqueeze/Concat
// flatten chains, backend/statistics hooks and flat memory of the executor.
#define BOOST_TEST_MODULE nn_graph
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "OnnxBuilder.hpp"
#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"

using namespace memtile::nn;
using memtile::core::InputError;
using nntest::OnnxBuilder;
using nntest::random_values;

namespace {

constexpr int F = onnx::TensorProto::FLOAT;
constexpr int I64 = onnx::TensorProto::INT64;

// LeNet-5-like network in the shape PyTorch 1.13 exports it: Conv+BN, pooling, the
// x.view(x.size(0), -1) chain (Shape, Gather, Unsqueeze, Concat, Reshape), Gemm with transB,
// MatMul + Add bias, Softmax. `flatten` swaps the chain for a Flatten node; `nan_weight`
// poisons one weight.
OnnxBuilder lenet(bool flatten = false, bool bn = true, double poison = 0.0) {
  OnnxBuilder b(13);
  b.input("input", {-1, 1, 28, 28});
  auto w1 = random_values(6 * 25, 1, 0.3);
  if (poison != 0.0) w1[7] = poison;
  b.init("c1.w", {6, 1, 5, 5}, w1);
  b.init("c1.b", {6}, random_values(6, 2, 0.1));
  auto* c1 = b.node("Conv", "conv1", {"input", "c1.w", "c1.b"}, {"c1"});
  OnnxBuilder::attr_ints(c1, "pads", {2, 2, 2, 2});
  OnnxBuilder::attr_ints(c1, "kernel_shape", {5, 5});
  std::string after = "c1";
  if (bn) {
    b.init("bn.scale", {6}, random_values(6, 3, 0.5));
    b.init("bn.bias", {6}, random_values(6, 4, 0.5));
    b.init("bn.mean", {6}, random_values(6, 5, 0.5));
    auto var = random_values(6, 6, 0.5);
    for (auto& v : var) v = std::fabs(v) + 0.1;
    b.init("bn.var", {6}, var);
    auto* n = b.node("BatchNormalization", "bn1", {"c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"bn1"});
    OnnxBuilder::attr_f(n, "epsilon", 1e-5f);
    after = "bn1";
  }
  b.node("Relu", "relu1", {after}, {"r1"});
  auto* p1 = b.node("MaxPool", "pool1", {"r1"}, {"p1"});
  OnnxBuilder::attr_ints(p1, "kernel_shape", {2, 2});
  OnnxBuilder::attr_ints(p1, "strides", {2, 2});
  b.init("c2.w", {16, 6, 5, 5}, random_values(16 * 6 * 25, 7, 0.1));
  b.init("c2.b", {16}, random_values(16, 8, 0.1));
  b.node("Conv", "conv2", {"p1", "c2.w", "c2.b"}, {"c2"});
  b.node("Relu", "relu2", {"c2"}, {"r2"});
  auto* p2 = b.node("AveragePool", "pool2", {"r2"}, {"p2"});
  OnnxBuilder::attr_ints(p2, "kernel_shape", {2, 2});
  OnnxBuilder::attr_ints(p2, "strides", {2, 2});
  if (flatten) {
    b.node("Flatten", "flatten", {"p2"}, {"flat"});
  } else {
    b.node("Shape", "shape", {"p2"}, {"shp"});
    auto* c0 = b.node("Constant", "const0", {}, {"zero"});
    OnnxBuilder::attr_tensor(c0, "value", {}, {0}, I64);
    auto* gth = b.node("Gather", "gather", {"shp", "zero"}, {"batch"});
    OnnxBuilder::attr_i(gth, "axis", 0);
    b.init("axes0", {1}, {0}, I64);
    b.node("Unsqueeze", "unsq", {"batch", "axes0"}, {"batch1"});
    b.init("minus1", {1}, {-1}, I64);
    auto* cc = b.node("Concat", "concat", {"batch1", "minus1"}, {"newshape"});
    OnnxBuilder::attr_i(cc, "axis", 0);
    b.node("Reshape", "reshape", {"p2", "newshape"}, {"flat"});
  }
  b.init("fc1.w", {120, 400}, random_values(120 * 400, 9, 0.05));
  b.init("fc1.b", {120}, random_values(120, 10, 0.1));
  auto* g1 = b.node("Gemm", "fc1", {"flat", "fc1.w", "fc1.b"}, {"f1"});
  OnnxBuilder::attr_i(g1, "transB", 1);
  b.node("Sigmoid", "sig", {"f1"}, {"s1"});
  b.init("fc2.w", {120, 84}, random_values(120 * 84, 11, 0.1));
  b.node("MatMul", "fc2", {"s1", "fc2.w"}, {"f2"});
  b.node("Tanh", "tanh", {"f2"}, {"t2"});
  b.init("fc3.w", {84, 10}, random_values(840, 12, 0.2));
  b.node("MatMul", "fc3", {"t2", "fc3.w"}, {"f3"});
  b.init("fc3.b", {10}, random_values(10, 13, 0.1));
  b.node("Add", "fc3_bias", {"f3", "fc3.b"}, {"logits"});
  auto* sm = b.node("Softmax", "softmax", {"logits"}, {"prob"});
  OnnxBuilder::attr_i(sm, "axis", 1);
  b.output("prob");
  return b;
}

Tensor random_images(std::int64_t n, unsigned seed) {
  Tensor t({n, 1, 28, 28});
  auto v = random_values(static_cast<std::size_t>(t.numel()), seed, 1.0);
  for (std::size_t i = 0; i < v.size(); ++i) t.data[i] = std::fabs(v[i]) / 3.0;
  return t;
}

double rel_err(const Tensor& a, const Tensor& b) {
  BOOST_REQUIRE(a.shape == b.shape);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    num += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]);
    den += b.data[i] * b.data[i];
  }
  return std::sqrt(num / den);
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

[[maybe_unused]] long rss_kib() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

class RecordingBackend : public MatMulBackend {
 public:
  void program(const WeightedLayer& l, const Eigen::MatrixXd& W) override {
    programmed.push_back(l);
    ideal.program(l, W);
  }
  Eigen::MatrixXd multiply(const WeightedLayer& l, const Eigen::MatrixXd& X) override { return ideal.multiply(l, X); }
  IdealBackend ideal;
  std::vector<WeightedLayer> programmed;
};

}  // namespace

BOOST_AUTO_TEST_CASE(lenet_structure_and_batchnorm_folding) {
  const std::string path = lenet().save("lenet.onnx");
  Graph g = load_onnx(path);
  BOOST_TEST_MESSAGE(g.summary());
  // conv1, conv2, fc1, fc2, fc3 on the backend; BN folded into conv1.
  BOOST_REQUIRE_EQUAL(g.layers.size(), 5u);
  BOOST_CHECK_EQUAL(g.layers[0].node_name, "conv1");
  BOOST_CHECK_EQUAL(g.layers[0].folded_batchnorm, "bn1");
  BOOST_CHECK_EQUAL(g.layers[0].in_features, 25);
  BOOST_CHECK_EQUAL(g.layers[0].out_features, 6);
  BOOST_CHECK_EQUAL(g.layers[1].in_features, 150);
  BOOST_CHECK_EQUAL(g.layers[2].op, "Gemm");
  BOOST_CHECK_EQUAL(g.layers[2].in_features, 400);
  BOOST_CHECK_EQUAL(g.layers[2].out_features, 120);
  BOOST_CHECK_EQUAL(g.layers[4].op, "MatMul");
  for (const Node& n : g.nodes) BOOST_CHECK(n.kind != OpKind::BatchNormalization);

  LoadOptions nofold;
  nofold.fold_batchnorm = false;
  Graph g2 = load_onnx(path, nofold);
  BOOST_CHECK(g2.layers[0].folded_batchnorm.empty());
  IdealBackend b1, b2;
  Executor e1(g, b1), e2(g2, b2);
  const Tensor x = random_images(7, 21);
  const Tensor y1 = e1.run(x);
  const Tensor y2 = e2.run(x);
  BOOST_CHECK_EQUAL(shape_str(y1.shape), "[7, 10]");
  BOOST_CHECK_LT(rel_err(y1, y2), 1e-12);
  for (std::int64_t i = 0; i < 7; ++i) {
    double s = 0;
    for (int k = 0; k < 10; ++k) s += y1.data[i * 10 + k];
    BOOST_CHECK_CLOSE(s, 1.0, 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(gemm_batchnorm_folding) {
  OnnxBuilder b(13);
  b.input("x", {-1, 8});
  b.init("w", {8, 5}, random_values(40, 31));
  b.init("c", {5}, random_values(5, 32));
  b.node("Gemm", "fc", {"x", "w", "c"}, {"y"});
  b.init("s", {5}, random_values(5, 33));
  b.init("bb", {5}, random_values(5, 34));
  b.init("m", {5}, random_values(5, 35));
  b.init("v", {5}, {0.5, 1.0, 2.0, 0.1, 3.0});
  b.node("BatchNormalization", "bn", {"y", "s", "bb", "m", "v"}, {"z"});
  b.output("z");
  const std::string path = b.save("gemm_bn.onnx");
  Graph folded = load_onnx(path);
  LoadOptions off;
  off.fold_batchnorm = false;
  Graph plain = load_onnx(path, off);
  BOOST_CHECK_EQUAL(folded.nodes.size(), 1u);
  BOOST_CHECK_EQUAL(plain.nodes.size(), 2u);
  IdealBackend b1, b2;
  Executor e1(folded, b1), e2(plain, b2);
  Tensor x({4, 8}, random_values(32, 36));
  BOOST_CHECK_LT(rel_err(e1.run(x), e2.run(x)), 1e-12);
}

BOOST_AUTO_TEST_CASE(pytorch_flatten_chain_keeps_the_batch_dynamic) {
  Graph chain = load_onnx(lenet(false).save("lenet_chain.onnx"));
  Graph flat = load_onnx(lenet(true).save("lenet_flat.onnx"));
  IdealBackend b1, b2;
  Executor e1(chain, b1), e2(flat, b2);
  for (std::int64_t n : {1, 3, 10}) {
    const Tensor x = random_images(n, 40 + static_cast<unsigned>(n));
    const Tensor y1 = e1.run(x);
    BOOST_CHECK_EQUAL(y1.dim(0), n);
    BOOST_CHECK_LT(rel_err(y1, e2.run(x)), 1e-15);
  }
}

BOOST_AUTO_TEST_CASE(stats_observer_and_programming) {
  Graph g = load_onnx(lenet().save("lenet_stats.onnx"));
  RecordingBackend backend;
  Executor ex(g, backend);
  BOOST_REQUIRE_EQUAL(backend.programmed.size(), g.layers.size());
  std::vector<LayerCall> calls;
  ex.set_layer_observer([&](const LayerCall& c) { calls.push_back(c); });
  ex.run(random_images(4, 50));
  ex.run(random_images(4, 51));
  BOOST_REQUIRE_EQUAL(calls.size(), 10u);
  const auto& st = ex.layer_stats();
  BOOST_CHECK_EQUAL(st[0].vectors, 2u * 4u * 28u * 28u);  // conv1: one patch per output pixel
  BOOST_CHECK_EQUAL(st[1].vectors, 2u * 4u * 10u * 10u);  // conv2 (valid 5x5 on 14x14)
  BOOST_CHECK_EQUAL(st[2].vectors, 8u);                   // fc1: one vector per image
  BOOST_CHECK_EQUAL(st[2].samples, 8u);
  BOOST_CHECK_EQUAL(st[0].calls, 2u);
  BOOST_CHECK_EQUAL(calls[0].layer->node_name, "conv1");
  BOOST_CHECK_EQUAL(calls[0].vectors, 4 * 28 * 28);
  BOOST_CHECK(!ex.node_stats().empty());
  ex.reset_stats();
  BOOST_CHECK_EQUAL(ex.layer_stats()[0].vectors, 0u);
  // Cutting the im2col matrix into chunks of whole images changes nothing but the call count.
  const Tensor x = random_images(6, 52);
  const Tensor ref = ex.run(x);
  ex.set_im2col_limit(1);  // one image per call
  ex.reset_stats();
  BOOST_CHECK_LT(rel_err(ex.run(x), ref), 1e-15);
  BOOST_CHECK_EQUAL(ex.layer_stats()[0].calls, 6u);
  BOOST_CHECK_EQUAL(ex.layer_stats()[0].vectors, 6u * 28u * 28u);
}

// Activations computed in place (an elementwise activation whose input nobody else reads shares
// its slot) give the graph's values: a value read twice (v) and the caller's input (x) are never
// overwritten, a chain of in-place activations (s -> t -> u) is; two batches reuse the slots.
BOOST_AUTO_TEST_CASE(in_place_activations_keep_every_value_read_elsewhere) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4});
  const std::vector<double> w = random_values(16, 61);
  b.init("W", {4, 4}, w);
  b.node("MatMul", "mm", {"x", "W"}, {"v"});
  b.node("Relu", "relu_v", {"v"}, {"r"});
  b.node("Add", "add_vr", {"v", "r"}, {"s"});
  b.node("Sigmoid", "sig", {"s"}, {"t"});
  b.node("Tanh", "tanh", {"t"}, {"u"});
  b.node("Relu", "relu_x", {"x"}, {"xr"});
  b.node("Add", "add_out", {"u", "xr"}, {"y"});
  b.output("y");
  const Graph g = load_onnx(b.save("in_place.onnx"));
  IdealBackend backend;
  Executor ex(g, backend);
  Eigen::MatrixXd W(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) W(i, j) = static_cast<float>(w[static_cast<std::size_t>(i * 4 + j)]);
  for (int batch = 0; batch < 2; ++batch) {
    Tensor x;
    x.resize({3, 4});
    const std::vector<double> xv = random_values(12, 62 + static_cast<unsigned>(batch));
    std::copy(xv.begin(), xv.end(), x.data.begin());
    const Tensor before = x;
    const Tensor y = ex.run(x);
    BOOST_TEST(x.data == before.data);  // the caller's input is not written
    const Eigen::MatrixXd X = to_matrix(x), v = X * W;
    const Eigen::ArrayXXd s = v.array() + v.array().max(0.0);
    const Eigen::ArrayXXd want = (1.0 / (1.0 + (-s).exp())).tanh() + X.array().max(0.0);
    BOOST_TEST((to_matrix(y).array() - want).abs().maxCoeff() < 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(grouped_conv_programs_one_matrix_per_group) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4, 9, 9});
  b.init("w", {6, 2, 3, 3}, random_values(6 * 2 * 9, 60));
  auto* c = b.node("Conv", "gconv", {"x", "w"}, {"y"});
  OnnxBuilder::attr_i(c, "group", 2);
  OnnxBuilder::attr_ints(c, "strides", {2, 2});
  OnnxBuilder::attr_ints(c, "dilations", {2, 1});
  OnnxBuilder::attr_ints(c, "pads", {1, 0, 2, 1});
  b.output("y");
  const std::string path = b.save("gconv.onnx");
  Graph g = load_onnx(path);
  BOOST_REQUIRE_EQUAL(g.layers.size(), 2u);
  BOOST_CHECK_EQUAL(g.layers[1].group, 1);
  BOOST_CHECK_EQUAL(g.layers[1].groups, 2);
  BOOST_CHECK_EQUAL(g.layers[1].in_features, 18);
  BOOST_CHECK_EQUAL(g.layers[1].out_features, 3);
  // Direct convolution as an independent reference (weights were stored as float32).
  Tensor x({2, 4, 9, 9}, random_values(2 * 4 * 81, 61));
  IdealBackend be;
  Executor ex(g, be);
  const Tensor y = ex.run(x);
  const auto w = random_values(6 * 2 * 9, 60);
  // out = floor((9 + 1 + 2 - ((3-1)*2+1)) / 2) + 1 = 4 rows; floor((9 + 0 + 1 - 3) / 2) + 1 = 4 cols
  BOOST_REQUIRE_EQUAL(shape_str(y.shape), "[2, 6, 4, 4]");
  double maxdiff = 0;
  for (int n = 0; n < 2; ++n)
    for (int m = 0; m < 6; ++m)
      for (int oh = 0; oh < 4; ++oh)
        for (int ow = 0; ow < 4; ++ow) {
          double s = 0;
          const int g0 = m / 3;
          for (int c2 = 0; c2 < 2; ++c2)
            for (int kh = 0; kh < 3; ++kh)
              for (int kw = 0; kw < 3; ++kw) {
                const int ih = oh * 2 - 1 + kh * 2, iw = ow * 2 - 0 + kw;
                if (ih < 0 || ih >= 9 || iw < 0 || iw >= 9) continue;
                s += static_cast<double>(static_cast<float>(w[((m * 2 + c2) * 3 + kh) * 3 + kw])) *
                     x.data[((n * 4 + g0 * 2 + c2) * 9 + ih) * 9 + iw];
              }
          maxdiff = std::max(maxdiff, std::fabs(s - y.data[((n * 6 + m) * 4 + oh) * 4 + ow]));
        }
  BOOST_CHECK_LT(maxdiff, 1e-12);
}

BOOST_AUTO_TEST_CASE(flat_memory_over_many_batches) {
#if defined(__SANITIZE_ADDRESS__)
  BOOST_TEST_MESSAGE("RSS check skipped under AddressSanitizer (quarantine holds freed memory)");
  return;
#else
  Graph g = load_onnx(lenet().save("lenet_mem.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  const Tensor x = random_images(32, 70);
  for (int i = 0; i < 20; ++i) ex.run(x);
  const long before = rss_kib();
  for (int i = 0; i < 300; ++i) ex.run(x);
  const long after = rss_kib();
  BOOST_TEST_MESSAGE("RSS before " << before << " KiB, after 300 batches " << after << " KiB");
  BOOST_CHECK_LT(after - before, 2048);
#endif
}

BOOST_AUTO_TEST_CASE(input_shape_is_checked) {
  Graph g = load_onnx(lenet().save("lenet_shape.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  const std::string e = error_of([&] { ex.run(Tensor({2, 1, 32, 32})); });
  BOOST_CHECK_MESSAGE(contains(e, "input 'input'") && contains(e, "[2, 1, 32, 32]"), e);
}

// ---- loader errors ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(truncated_and_corrupt_files) {
  const std::string bytes = lenet().bytes();
  const std::string path = (nntest::temp_dir() / "truncated.onnx").string();
  // Every cut of a small model, and a spread of cuts of LeNet, must give an InputError.
  OnnxBuilder small(13);
  small.input("x", {-1, 3});
  small.init("w", {3, 2}, {1, 2, 3, 4, 5, 6});
  small.node("MatMul", "mm", {"x", "w"}, {"y"});
  small.output("y");
  const std::string sb = small.bytes();
  int checked = 0;
  auto check_cut = [&](const std::string& all, std::size_t len) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(all.data(), static_cast<std::streamsize>(len));
    const std::string e = error_of([&] { load_onnx(path); });
    BOOST_CHECK_MESSAGE(contains(e, path), "cut at " << len << ": " << e);
    ++checked;
  };
  for (std::size_t len = 0; len < sb.size(); ++len) check_cut(sb, len);
  for (std::size_t len = 0; len < bytes.size(); len += bytes.size() / 97 + 1) check_cut(bytes, len);
  check_cut(bytes, bytes.size() - 1);
  BOOST_TEST_MESSAGE(checked << " truncated files rejected");

  std::ofstream(path, std::ios::binary | std::ios::trunc) << "this is not a protobuf at all \xff\xff\xff\xff";
  BOOST_CHECK(contains(error_of([&] { load_onnx(path); }), "not a valid ONNX model"));
  BOOST_CHECK(contains(error_of([&] { load_onnx("/nonexistent/model.onnx"); }), "cannot open"));
}

BOOST_AUTO_TEST_CASE(unsupported_operator_names_the_node) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4});
  b.node("Relu", "ok", {"x"}, {"a"});
  b.node("LeakyRelu", "my_leaky_node", {"a"}, {"y"});
  b.output("y");
  const std::string path = b.save("unsupported.onnx");
  const std::string e = error_of([&] { load_onnx(path); });
  BOOST_CHECK_MESSAGE(contains(e, path) && contains(e, "my_leaky_node") && contains(e, "unsupported operator 'LeakyRelu'"), e);
}

BOOST_AUTO_TEST_CASE(unsupported_attribute_and_values) {
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 4});
    b.init("w", {4, 2}, random_values(8, 1));
    auto* n = b.node("Gemm", "gemm_with_extra", {"x", "w"}, {"y"});
    OnnxBuilder::attr_i(n, "fancy", 1);
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("attr.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "gemm_with_extra") && contains(e, "unsupported attribute 'fancy'"), e);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 1, 4, 4});
    auto* n = b.node("MaxPool", "pool", {"x"}, {"y"});
    OnnxBuilder::attr_ints(n, "kernel_shape", {2, 2});
    auto* a = n->add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("SOMETIMES");
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("autopad.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "'pool'") && contains(e, "auto_pad 'SOMETIMES'"), e);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 4});
    b.node("Relu", "r", {"x", "extra"}, {"y"});
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("inputs.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "'r'") && contains(e, "inputs"), e);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 4});
    b.node("Relu", "r", {"missing_tensor"}, {"y"});
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("dangling.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "'r'") && contains(e, "missing_tensor"), e);
  }
  {
    OnnxBuilder b(13);
    b.input("x", {-1, 4});
    b.init("w", {4, 2}, random_values(8, 1), onnx::TensorProto::INT32);
    b.graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::FLOAT16);
    b.node("MatMul", "mm", {"x", "w"}, {"y"});
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("f16.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "initializer 'w'") && contains(e, "float16"), e);
  }
}

BOOST_AUTO_TEST_CASE(nan_and_inf_weights) {
  for (double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
    const std::string path = lenet(false, true, bad).save("nan.onnx");
    const std::string e = error_of([&] { load_onnx(path); });
    BOOST_CHECK_MESSAGE(contains(e, path) && contains(e, "conv1") && contains(e, "'c1.w'") && contains(e, "NaN or Inf"), e);
  }
  OnnxBuilder b(13);
  b.input("x", {-1, 2});
  auto* c = b.node("Constant", "const_w", {}, {"w"});
  OnnxBuilder::attr_tensor(c, "value", {2, 2}, {1, std::nan(""), 3, 4}, F);
  b.node("MatMul", "mm", {"x", "w"}, {"y"});
  b.output("y");
  const std::string e = error_of([&] { load_onnx(b.save("nan_const.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "const_w") && contains(e, "NaN or Inf"), e);
}

BOOST_AUTO_TEST_CASE(runtime_errors_name_the_node) {
  OnnxBuilder b(13);
  b.input("x", {-1, -1});
  b.init("shape", {2}, {5, -1}, I64);
  b.node("Reshape", "bad_reshape", {"x", "shape"}, {"y"});
  b.output("y");
  Graph g = load_onnx(b.save("reshape.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  const std::string e = error_of([&] { ex.run(Tensor({2, 3})); });
  BOOST_CHECK_MESSAGE(contains(e, "bad_reshape") && contains(e, "cannot infer"), e);
}

// ---- Hostile models (issue: crafted ONNX files). Each is the smallest model that showed the fault.

// Regression: dims [3, 6148914691236517206] made shape_numel wrap to 2 (3 x that = 2^64 + 2), so an
// initializer with 2 values passed the size check and Transpose constant folding strode 6e18
// elements past the end of the heap buffer (SIGSEGV). [2^32, 2^32] wrapped to 0.
BOOST_AUTO_TEST_CASE(wrapping_initializer_dims_are_refused) {
  for (const Shape& dims : {Shape{3, 6148914691236517206}, Shape{std::int64_t(1) << 32, std::int64_t(1) << 32}}) {
    OnnxBuilder b(13);
    b.input("x", {-1, 2});
    b.init("big", dims, dims[0] == 3 ? std::vector<double>{1, 2} : std::vector<double>{});
    b.node("Transpose", "fold_me", {"big"}, {"t"});
    b.node("Add", "add", {"x", "t"}, {"y"});
    b.output("y");
    const std::string e = error_of([&] { load_onnx(b.save("wrap_transpose.onnx")); });
    BOOST_CHECK_MESSAGE(contains(e, "initializer 'big'") && contains(e, "overflows 64-bit"), e);
  }
}

// Regression: the same wrap through Gather's indices gave "internal error:
// vector::_M_default_append" or was silently accepted. Zero-sized dims do not hide huge ones.
BOOST_AUTO_TEST_CASE(wrapping_gather_indices_are_refused) {
  OnnxBuilder b(13);
  b.input("x", {-1, 3});
  b.init("data", {2, 3}, {1, 2, 3, 4, 5, 6});
  b.init("idx", {0, std::int64_t(1) << 40, std::int64_t(1) << 40}, {}, I64);
  b.node("Gather", "gather", {"data", "idx"}, {"g"});
  b.node("Add", "add", {"x", "g"}, {"y"});
  b.output("y");
  const std::string e = error_of([&] { load_onnx(b.save("wrap_gather.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "initializer 'idx'") && contains(e, "overflows 64-bit"), e);
}

// Regression (libFuzzer, UBSan at Ops.cpp:350): Reshape's known-entries product overflowed
// before the -1 was inferred.
BOOST_AUTO_TEST_CASE(reshape_target_overflow_names_the_node) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4});
  b.init("shape", {3}, {277076930199552.0, 34359738367.0, -1}, I64);
  b.node("Reshape", "reshape", {"x", "shape"}, {"y"});
  b.output("y");
  Graph g = load_onnx(b.save("reshape_wrap.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  const std::string e = error_of([&] { ex.run(Tensor({2, 4})); });
  BOOST_CHECK_MESSAGE(contains(e, "node 'reshape' (Reshape)") && contains(e, "target shape") && contains(e, "overflows"), e);
}

// A tensor an operator would produce beyond the memory bound is refused before allocation,
// naming the node (here at run time: the batch is only known then).
BOOST_AUTO_TEST_CASE(tensors_beyond_the_memory_bound_name_the_node) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4});
  b.init("data", {4, 8}, random_values(32, 3));
  b.node("Gather", "widen", {"data", "x"}, {"y"});
  b.output("y");
  Graph g = load_onnx(b.save("widen.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  const auto saved = memtile::core::max_memory_bytes();
  memtile::core::set_max_memory_bytes(std::uint64_t(1) << 20);
  const std::string e = error_of([&] { ex.run(Tensor({8192, 4})); });  // 8192 x 4 x 8 doubles = 2 MiB
  memtile::core::set_max_memory_bytes(saved);
  BOOST_CHECK_MESSAGE(contains(e, "node 'widen' (Gather)") && contains(e, "memory bound"), e);
  BOOST_CHECK_NO_THROW(ex.run(Tensor({2, 4})));
}

// Regression: Gemm alpha = NaN was accepted and accuracy was reported over NaN logits; a finite
// alpha that overflows the weights is refused too.
BOOST_AUTO_TEST_CASE(non_finite_attributes_and_folded_weights) {
  auto gemm = [](float alpha, double w, int dtype) {
    OnnxBuilder b(13);
    b.input("x", {-1, 2});
    b.init("w", {2, 2}, {w, 1, 1, 1}, dtype);
    auto* n = b.node("Gemm", "fc", {"x", "w"}, {"y"});
    OnnxBuilder::attr_f(n, "alpha", alpha);
    b.output("y");
    return b;
  };
  std::string e = error_of([&] { load_onnx(gemm(std::nanf(""), 1.0, F).save("alpha_nan.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "node 'fc' (Gemm)") && contains(e, "'alpha' must be finite"), e);
  e = error_of([&] { load_onnx(gemm(INFINITY, 1.0, F).save("alpha_inf.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "'alpha' must be finite"), e);
  e = error_of([&] { load_onnx(gemm(3e38f, 1e300, onnx::TensorProto::DOUBLE).save("alpha_big.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "node 'fc' (Gemm)") && contains(e, "weights") && contains(e, "NaN or Inf"), e);
}

// Regression: Conv pads 4096 on a 28x28 input drove RSS past 21 GB (vp) or ran for minutes.
// Pads are bounded by the kernel extent at load time, for Conv and for pools.
BOOST_AUTO_TEST_CASE(pads_beyond_the_kernel_extent_are_refused) {
  OnnxBuilder b(13);
  b.input("x", {-1, 1, 28, 28});
  b.init("w", {1, 1, 3, 3}, random_values(9, 4));
  auto* c = b.node("Conv", "conv", {"x", "w"}, {"y"});
  OnnxBuilder::attr_ints(c, "pads", {4096, 4096, 4096, 4096});
  b.output("y");
  std::string e = error_of([&] { load_onnx(b.save("pads.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "node 'conv' (Conv)") && contains(e, "pads[0] = 4096") && contains(e, "[0, 3)"), e);
  OnnxBuilder p(13);
  p.input("x", {-1, 1, 28, 28});
  auto* mp = p.node("MaxPool", "pool", {"x"}, {"y"});
  OnnxBuilder::attr_ints(mp, "kernel_shape", {2, 2});
  OnnxBuilder::attr_ints(mp, "pads", {0, 0, 0, 2});
  p.output("y");
  e = error_of([&] { load_onnx(p.save("pool_pads.onnx")); });
  BOOST_CHECK_MESSAGE(contains(e, "node 'pool' (MaxPool)") && contains(e, "pads[3] = 2"), e);
  // Pads up to extent - 1 (with dilation) stay valid: 3x3 dilated by 2 has extent 5.
  OnnxBuilder ok(13);
  ok.input("x", {-1, 1, 8, 8});
  ok.init("w", {1, 1, 3, 3}, random_values(9, 4));
  auto* c2 = ok.node("Conv", "conv", {"x", "w"}, {"y"});
  OnnxBuilder::attr_ints(c2, "pads", {4, 4, 4, 4});
  OnnxBuilder::attr_ints(c2, "dilations", {2, 2});
  ok.output("y");
  Graph g = load_onnx(ok.save("pads_ok.onnx"));
  IdealBackend be;
  Executor ex(g, be);
  BOOST_TEST(ex.run(Tensor({1, 1, 8, 8})).shape == (Shape{1, 1, 12, 12}));
}
