// ONNX conformance: the packaged ONNX backend test data (Debian libonnx-testdata) for every
// supported operator, in ideal mode (float64, IdealBackend), outputs within 1e-4 relative.
// Every case runs with the backend taking formed matrices and again taking its input rows on
// demand (MatMulBackend::takes_rows, what the crossbar engine does: a Conv's im2col patches are
// then copied block by block, here in blocks of 7 rows that start and end inside output rows).
//
// Each case runs twice when it has more than one input:
//   "as-is":  all test inputs fed at run time (Gemm/Conv with weights as inputs run digitally);
//   "bound":  every input but the first bound as a constant at load, so Gemm/MatMul/Conv weights
//             go through the MatMulBackend (program + multiply), i.e. the path the crossbar
//             engine takes, and constant folding is exercised.
#define BOOST_TEST_MODULE nn_onnx_conformance
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "memtile/core/Errors.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"

namespace fs = std::filesystem;
using namespace memtile::nn;

namespace {

const fs::path kData = "/usr/share/libonnx-testdata/data";

// Counts programmed matrices and products, delegating to the exact backend; with `rows` it
// takes input rows on demand, asked for in blocks of 7.
class CountingBackend : public MatMulBackend {
 public:
  explicit CountingBackend(bool rows) : rows_(rows) {}
  void program(const WeightedLayer& l, const Eigen::MatrixXd& W) override {
    ++programs;
    ideal.program(l, W);
  }
  Eigen::MatrixXd multiply(const WeightedLayer& l, const Eigen::MatrixXd& X) override {
    ++multiplies;
    return ideal.multiply(l, X);
  }
  bool takes_rows(const WeightedLayer&) const override { return rows_; }
  Eigen::MatrixXd multiply_rows(const WeightedLayer& l, Eigen::Index B, const memtile::core::InputRows& rows) override {
    ++multiplies;
    Eigen::MatrixXd X(B, l.in_features), part;
    for (Eigen::Index b0 = 0; b0 < B; b0 += 7) {
      part.resize(std::min<Eigen::Index>(7, B - b0), l.in_features);
      rows(b0, part.rows(), part);
      X.middleRows(b0, part.rows()) = part;
    }
    return ideal.multiply(l, X);
  }
  IdealBackend ideal;
  int programs = 0, multiplies = 0;

 private:
  bool rows_;
};

// Max over elements of |a - b| / (|b| + 1e-2) must stay <= 1e-4 (relative, with a tiny absolute
// floor of 1e-6 for reference values near zero). Returns an empty string when they agree.
std::string compare(const Tensor& got, const Tensor& want) {
  std::ostringstream os;
  if (got.shape != want.shape) {
    os << "shape " << shape_str(got.shape) << " != expected " << shape_str(want.shape);
    return os.str();
  }
  for (std::size_t i = 0; i < want.data.size(); ++i) {
    const double a = got.data[i], b = want.data[i];
    if (std::isnan(b) && std::isnan(a)) continue;
    if (std::isinf(b) && a == b) continue;
    if (!(std::fabs(a - b) <= 1e-4 * std::fabs(b) + 1e-6)) {
      os << "element " << i << ": " << a << " != expected " << b;
      return os.str();
    }
  }
  return {};
}

std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

std::vector<Tensor> read_all(const fs::path& set, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    const fs::path p = set / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    out.push_back(read_tensor_pb(p.string()));
  }
  return out;
}

enum class Outcome { Passed, Rejected, Failed };

struct CaseResult {
  Outcome outcome;
  std::string message;
  int backend_multiplies = 0;  // in the bound run
};

// Runs one test case directory; `bound_mode` binds all inputs but the first; `rows`: the
// backend takes input rows on demand.
std::string run_mode(const fs::path& dir, bool bound_mode, bool rows, int& multiplies) {
  const std::string model = (dir / "model.onnx").string();
  Graph probe = load_onnx(model);
  for (const auto& set : data_sets(dir)) {
    std::vector<Tensor> inputs = read_all(set, "input_");
    std::vector<Tensor> expected = read_all(set, "output_");
    if (inputs.size() != probe.inputs.size())
      return "test data has " + std::to_string(inputs.size()) + " inputs, model " + std::to_string(probe.inputs.size());
    LoadOptions opt;
    std::vector<Tensor> runtime = inputs;
    if (bound_mode) {
      for (std::size_t i = 1; i < inputs.size(); ++i) opt.bind[probe.values[probe.inputs[i]].name] = inputs[i];
      runtime.resize(1);
    }
    Graph g = load_onnx(model, opt);
    CountingBackend backend(rows);
    Executor ex(g, backend);
    // Inputs the loader folded away entirely are not runtime inputs any more.
    std::vector<Tensor> outs = ex.run_all(std::vector<Tensor>(runtime.begin(), runtime.begin() + g.inputs.size()));
    // Run twice: the second run reuses every buffer and must give the same result.
    outs = ex.run_all(std::vector<Tensor>(runtime.begin(), runtime.begin() + g.inputs.size()));
    multiplies += backend.multiplies;
    if (outs.size() < expected.size()) return "model has fewer outputs than the test data";
    for (std::size_t k = 0; k < expected.size(); ++k) {
      const std::string diff = compare(outs[k], expected[k]);
      if (!diff.empty()) return set.filename().string() + " output " + std::to_string(k) + ": " + diff;
    }
  }
  return {};
}

CaseResult run_case(const fs::path& dir) {
  CaseResult r{Outcome::Passed, {}, 0};
  try {
    int unused = 0;
    std::string err;
    for (bool rows : {false, true}) {
      err = run_mode(dir, false, rows, unused);
      if (err.empty() && load_onnx((dir / "model.onnx").string()).inputs.size() > 1) {
        err = run_mode(dir, true, rows, r.backend_multiplies);
        if (!err.empty()) err = "bound mode: " + err;
      }
      if (!err.empty()) {
        if (rows) err = "rows on demand, " + err;
        break;
      }
    }
    if (!err.empty()) r = {Outcome::Failed, err, 0};
  } catch (const memtile::core::InputError& e) {
    r = {Outcome::Rejected, e.what(), 0};
  } catch (const std::exception& e) {
    r = {Outcome::Failed, std::string("unexpected exception: ") + e.what(), 0};
  }
  return r;
}

struct OpSpec {
  std::string op;
  std::vector<std::string> prefixes;   // node test directory name prefixes
  std::set<std::string> excluded;      // other operators sharing the prefix (not this op's tests)
  // Cases this op's tests include that the loader rejects on purpose, with the message part
  // that must appear in the rejection.
  std::map<std::string, std::string> rejected;
  std::size_t min_run;                 // at least this many cases must pass
};

const std::vector<OpSpec>& specs() {
  static const std::vector<OpSpec> s = {
      {"Gemm", {"test_gemm_"}, {}, {}, 11},
      {"MatMul", {"test_matmul_"}, {}, {}, 3},
      {"Conv", {"test_conv_with", "test_basic_conv_with"}, {}, {}, 6},
      {"Relu", {"test_relu"}, {}, {}, 1},
      {"Sigmoid", {"test_sigmoid"}, {}, {}, 2},
      {"Tanh", {"test_tanh"}, {}, {}, 2},
      {"MaxPool", {"test_maxpool_"}, {},
       {{"test_maxpool_2d_uint8", "unsupported data type uint8"},
        {"test_maxpool_with_argmax_2d_precomputed_pads", "outputs"},
        {"test_maxpool_with_argmax_2d_precomputed_strides", "outputs"}},
       11},
      {"AveragePool", {"test_averagepool_"}, {}, {}, 13},
      {"GlobalAveragePool", {"test_globalaveragepool"}, {}, {}, 2},
      {"Flatten", {"test_flatten_"}, {}, {}, 9},
      {"Reshape", {"test_reshape_"}, {}, {}, 10},
      {"Add", {"test_add"}, {}, {{"test_add_uint8", "unsupported data type uint8"}}, 2},
      {"BatchNormalization", {"test_batchnorm_"}, {},
       {{"test_batchnorm_epsilon_training_mode", "training"}, {"test_batchnorm_example_training_mode", "training"}},
       2},
      // *_expanded cases are Softmax written out in ReduceMax/Exp/ReduceSum/Div: other operators.
      {"Softmax", {"test_softmax_"}, {}, {}, 7},
      {"Identity", {"test_identity"}, {},
       {{"test_identity_opt", "only tensor inputs"}, {"test_identity_sequence", "only tensor inputs"}},
       1},
      {"Constant", {"test_constant"}, {"test_constant_pad", "test_constantofshape_float_ones",
                                        "test_constantofshape_int_shape_zero", "test_constantofshape_int_zeros"},
       {}, 1},
      {"Dropout", {"test_dropout_"}, {},
       {{"test_dropout_default_mask", "outputs"}, {"test_dropout_default_mask_ratio", "outputs"}},
       3},
      {"Shape", {"test_shape"}, {}, {}, 10},
      {"Gather", {"test_gather_"}, {"test_gather_elements_0", "test_gather_elements_1", "test_gather_elements_negative_indices"}, {}, 4},
      {"Unsqueeze", {"test_unsqueeze_"}, {}, {}, 8},
      {"Concat", {"test_concat_"}, {}, {}, 12},
      {"Squeeze", {"test_squeeze"}, {}, {}, 2},
      {"Transpose", {"test_transpose_"}, {}, {}, 7},
  };
  return s;
}

bool is_expanded(const std::string& name) { return name.size() > 9 && name.rfind("_expanded") == name.size() - 9; }

}  // namespace

BOOST_AUTO_TEST_CASE(node_tests_per_operator) {
  BOOST_REQUIRE_MESSAGE(fs::exists(kData / "node"), "libonnx-testdata is not installed");
  std::vector<std::string> all;
  for (const auto& e : fs::directory_iterator(kData / "node")) all.push_back(e.path().filename().string());
  std::sort(all.begin(), all.end());
  std::ostringstream table;
  for (const OpSpec& spec : specs()) {
    std::vector<std::string> passed, rejected;
    for (const std::string& name : all) {
      bool match = false;
      for (const auto& p : spec.prefixes) match = match || name.rfind(p, 0) == 0;
      if (!match || spec.excluded.count(name) || is_expanded(name)) continue;
      const CaseResult r = run_case(kData / "node" / name);
      if (r.outcome == Outcome::Passed) {
        passed.push_back(name);
        if ((spec.op == "Gemm" || spec.op == "Conv") && r.backend_multiplies == 0)
          BOOST_ERROR(name << ": bound mode did not use the backend");
      } else if (r.outcome == Outcome::Rejected && spec.rejected.count(name) &&
                 r.message.find(spec.rejected.at(name)) != std::string::npos) {
        rejected.push_back(name);
        BOOST_TEST_MESSAGE("skip " << name << ": rejected on purpose: " << r.message);
      } else {
        BOOST_ERROR(name << ": " << (r.outcome == Outcome::Rejected ? "rejected: " : "failed: ") << r.message);
      }
    }
    BOOST_CHECK_MESSAGE(passed.size() >= spec.min_run, spec.op << ": only " << passed.size() << " cases ran, expected >= "
                                                                << spec.min_run);
    table << "  " << spec.op << ": " << passed.size() << " passed";
    if (!rejected.empty()) table << ", " << rejected.size() << " rejected on purpose";
    table << " (";
    for (std::size_t i = 0; i < passed.size(); ++i) table << (i ? " " : "") << passed[i].substr(5);
    table << ")\n";
  }
  BOOST_TEST_MESSAGE("ONNX node conformance:\n" << table.str());
}

BOOST_AUTO_TEST_CASE(pytorch_converted) {
  // Cases made only of supported operators must pass; the others (ConvTranspose, PReLU, Pad,
  // LogSoftmax, ...) must be rejected with an "unsupported operator" error naming the node.
  const std::set<std::string> must_pass = {
      "test_AvgPool1d", "test_AvgPool1d_stride", "test_AvgPool2d", "test_AvgPool2d_stride", "test_AvgPool3d",
      "test_AvgPool3d_stride", "test_AvgPool3d_stride1_pad0_gpu_input", "test_BatchNorm1d_3d_input_eval",
      "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval", "test_BatchNorm3d_eval", "test_BatchNorm3d_momentum_eval",
      "test_Conv1d", "test_Conv1d_dilated", "test_Conv1d_groups", "test_Conv1d_pad1", "test_Conv1d_pad1size1",
      "test_Conv1d_pad2", "test_Conv1d_pad2size1", "test_Conv1d_stride", "test_Conv2d", "test_Conv2d_depthwise",
      "test_Conv2d_depthwise_padded", "test_Conv2d_depthwise_strided", "test_Conv2d_depthwise_with_multiplier",
      "test_Conv2d_dilated", "test_Conv2d_groups", "test_Conv2d_groups_thnn", "test_Conv2d_no_bias", "test_Conv2d_padding",
      "test_Conv2d_strided", "test_Conv3d", "test_Conv3d_dilated", "test_Conv3d_dilated_strided", "test_Conv3d_groups",
      "test_Conv3d_no_bias", "test_Conv3d_stride", "test_Conv3d_stride_padding", "test_Linear", "test_Linear_no_bias",
      "test_MaxPool1d", "test_MaxPool1d_stride", "test_MaxPool1d_stride_padding_dilation", "test_MaxPool2d",
      "test_MaxPool2d_stride_padding_dilation", "test_MaxPool3d", "test_MaxPool3d_stride", "test_MaxPool3d_stride_padding",
      "test_ReLU", "test_Sigmoid", "test_Softmax", "test_Tanh", "test_softmax_functional_dim3", "test_softmax_lastdim"};
  std::vector<std::string> passed, rejected;
  for (const auto& e : fs::directory_iterator(kData / "pytorch-converted")) {
    const std::string name = e.path().filename().string();
    const CaseResult r = run_case(e.path());
    if (r.outcome == Outcome::Passed) {
      passed.push_back(name);
    } else if (r.outcome == Outcome::Rejected && !must_pass.count(name) &&
               r.message.find("unsupported operator") != std::string::npos) {
      rejected.push_back(name);
      BOOST_TEST_MESSAGE("skip " << name << ": " << r.message);
    } else {
      BOOST_ERROR(name << ": " << r.message);
    }
  }
  for (const auto& n : must_pass)
    BOOST_CHECK_MESSAGE(std::find(passed.begin(), passed.end(), n) != passed.end(), n << " did not pass");
  std::sort(passed.begin(), passed.end());
  std::ostringstream os;
  for (const auto& n : passed) os << " " << n.substr(5);
  BOOST_TEST_MESSAGE("pytorch-converted: " << passed.size() << " passed, " << rejected.size()
                                           << " rejected (unsupported operators):" << os.str());
}
