// IDX and .npy datasets: the packaged Fashion-MNIST test set and small generated files.
#define BOOST_TEST_MODULE nn_dataset
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Npy.hpp"
#include "memtile/nn/Dataset.hpp"

namespace fs = std::filesystem;
using namespace memtile::nn;
using memtile::core::InputError;

namespace {

fs::path tmp() {
  static const fs::path d = [] {
    auto p = fs::temp_directory_path() / ("memtile_nn_ds_" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

std::string be32(std::uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 0x803) {
  std::string s = be32(magic) + be32(n) + be32(rows) + be32(cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) s.push_back(static_cast<char>(i % 256));
  return s;
}

std::string idx_labels(std::uint32_t n, std::uint32_t magic = 0x801) {
  std::string s = be32(magic) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 10));
  return s;
}

std::string write(const std::string& name, const std::string& bytes, bool gz = false) {
  const std::string path = (tmp() / name).string();
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  return path;
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

}  // namespace

BOOST_AUTO_TEST_CASE(packaged_fashion_mnist_test_set) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz")) {
    BOOST_FAIL("dataset-fashion-mnist is not installed");
  }
  Dataset d = open_dataset("fashion-mnist");
  BOOST_CHECK_EQUAL(d.size(), 10000);
  BOOST_CHECK_EQUAL(shape_str(d.sample_shape()), "[1, 28, 28]");
  BOOST_CHECK_EQUAL(d.num_classes(), 10);
  std::vector<int> counts(10, 0);
  for (int l : d.labels()) {
    BOOST_REQUIRE(l >= 0 && l < 10);
    ++counts[static_cast<std::size_t>(l)];
  }
  for (int c : counts) BOOST_CHECK_EQUAL(c, 1000);  // the test set is balanced
  BOOST_CHECK_EQUAL(d.labels()[0], 9);               // first test image: an ankle boot
  auto b = d.batch(0, 64);
  BOOST_CHECK_EQUAL(shape_str(b.images.shape), "[64, 1, 28, 28]");
  const auto [lo, hi] = std::minmax_element(b.images.data.begin(), b.images.data.end());
  BOOST_CHECK_EQUAL(*lo, 0.0);
  BOOST_CHECK_LE(*hi, 1.0);
  BOOST_CHECK_GT(*hi, 0.9);
  auto tail = d.batch(9990, 100);  // clipped at the end
  BOOST_CHECK_EQUAL(tail.labels.size(), 10u);
  BOOST_CHECK(contains(error_of([&] { d.batch(10000, 1); }), "outside"));
  // The reused-buffer form gives the same data.
  Tensor imgs;
  std::vector<int> labels;
  d.batch(0, 64, imgs, labels);
  BOOST_CHECK(imgs.data == b.images.data);
  BOOST_CHECK(labels == b.labels);
}

BOOST_AUTO_TEST_CASE(generated_idx_files) {
  for (bool gz : {false, true}) {
    const std::string sfx = gz ? ".gz" : "";
    const std::string im = write("a-images-idx3-ubyte" + sfx, idx_images(5, 3, 4), gz);
    write("a-labels-idx1-ubyte" + sfx, idx_labels(5), gz);
    Dataset d = open_dataset(im);
    BOOST_CHECK_EQUAL(d.size(), 5);
    BOOST_CHECK_EQUAL(shape_str(d.sample_shape()), "[1, 3, 4]");
    auto b = d.batch(1, 2);
    BOOST_CHECK_CLOSE(b.images.data[0], 12.0 / 255.0, 1e-4);  // sample 1 starts at byte 12
    BOOST_CHECK_EQUAL(b.labels[1], 2);
    // The first 3 only (a --limit run): the same samples, the classes of every label.
    Dataset first = open_dataset(im, 3);
    BOOST_CHECK_EQUAL(first.size(), 3);
    BOOST_CHECK_EQUAL(first.num_classes(), 5);
    BOOST_CHECK(first.batch(0, 3).images.data == d.batch(0, 3).images.data);
    BOOST_CHECK_EQUAL(open_dataset(im, 99).size(), 5);
  }
  // The label count is checked against the image file's header, not the images read.
  const std::string im = write("c-images-idx3-ubyte", idx_images(5, 3, 4));
  write("c-labels-idx1-ubyte", idx_labels(4));
  BOOST_CHECK_THROW(open_dataset(im, 2), InputError);
  // .npy datasets keep their first samples too.
  memtile::core::write_npy((tmp() / "f_images.npy").string(), Eigen::MatrixXd::Random(6, 4));
  memtile::core::write_npy((tmp() / "f_labels.npy").string(), (Eigen::MatrixXd(6, 1) << 0, 1, 2, 3, 4, 5).finished());
  Dataset npy = open_dataset((tmp() / "f_images.npy").string(), 2);
  BOOST_CHECK_EQUAL(npy.size(), 2);
  BOOST_CHECK_EQUAL(npy.num_classes(), 6);
}

BOOST_AUTO_TEST_CASE(idx_errors) {
  const std::string good_labels = write("l-labels-idx1-ubyte", idx_labels(5));
  // Bad magic.
  std::string e = error_of([&] { read_idx_images(write("bad-magic", idx_images(5, 3, 4, 0x12345678))); });
  BOOST_CHECK_MESSAGE(contains(e, "bad IDX magic"), e);
  e = error_of([&] { read_idx_images(write("labels-as-images", idx_labels(5))); });
  BOOST_CHECK_MESSAGE(contains(e, "dims"), e);
  e = error_of([&] { read_idx_images(write("int-type", idx_images(5, 3, 4, 0x0c03))); });
  BOOST_CHECK_MESSAGE(contains(e, "element type"), e);
  // Truncated data, header, and gzip stream.
  std::string full = idx_images(5, 3, 4);
  e = error_of([&] { read_idx_images(write("trunc-data", full.substr(0, full.size() - 7))); });
  BOOST_CHECK_MESSAGE(contains(e, "truncated") && contains(e, "trunc-data"), e);
  e = error_of([&] { read_idx_images(write("trunc-head", full.substr(0, 10))); });
  BOOST_CHECK_MESSAGE(contains(e, "truncated"), e);
  const std::string gzpath = write("trunc.gz", idx_images(200, 28, 28), true);
  {
    std::ifstream in(gzpath, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write("trunc2.gz", bytes.substr(0, bytes.size() / 2));
  }
  e = error_of([&] { read_idx_images((tmp() / "trunc2.gz").string()); });
  BOOST_CHECK_MESSAGE(contains(e, "trunc2.gz") && (contains(e, "truncated")), e);
  // A header claiming 4 billion images is refused before anything is allocated (memory bound);
  // one within the bound fails as truncated, the buffer growing only as data arrives.
  e = error_of([&] { read_idx_images(write("huge", be32(0x803) + be32(0xffffffffu) + be32(28) + be32(28) + "abc")); });
  BOOST_CHECK_MESSAGE(contains(e, "huge") && contains(e, "image count x rows x cols") && contains(e, "memory bound"), e);
  e = error_of([&] { read_idx_images(write("big", be32(0x803) + be32(1000000) + be32(28) + be32(28) + "abc")); });
  BOOST_CHECK_MESSAGE(contains(e, "truncated"), e);
  // Regression (fuzzer, UBSan): rows * cols overflowed int64 and slipped past the size check.
  e = error_of([&] { read_idx_images(write("wrap", be32(0x803) + be32(0xffffffffu) + be32(0xffffffffu) + be32(0xffffffffu))); });
  BOOST_CHECK_MESSAGE(contains(e, "wrap") && contains(e, "overflows 64-bit"), e);
  e = error_of([&] { read_idx_images(write("wrap2", be32(0x803) + be32(0) + be32(0xffffffffu) + be32(0xffffffffu))); });
  BOOST_CHECK_MESSAGE(contains(e, "wrap2") && contains(e, "overflows 64-bit"), e);
  // Label count mismatch and missing files.
  const std::string im = write("m-images-idx3-ubyte", idx_images(6, 3, 4));
  e = error_of([&] { Dataset::from_idx("m", im, good_labels); });
  BOOST_CHECK_MESSAGE(contains(e, "label count 5") && contains(e, "6 images"), e);
  e = error_of([&] { open_dataset((tmp() / "none-images-idx3-ubyte.gz").string()); });
  BOOST_CHECK_MESSAGE(contains(e, "cannot open"), e);
  e = error_of([&] { open_dataset("no-such-dataset"); });
  BOOST_CHECK_MESSAGE(contains(e, "unknown dataset"), e);
}

BOOST_AUTO_TEST_CASE(npy_datasets) {
  Eigen::MatrixXd images = Eigen::MatrixXd::Random(4, 16).cwiseAbs();
  Eigen::MatrixXd labels(1, 4);
  labels << 3, 1, 0, 2;
  const std::string ip = (tmp() / "small_images.npy").string(), lp = (tmp() / "small_labels.npy").string();
  memtile::core::write_npy(ip, images);
  memtile::core::write_npy(lp, labels, 1);
  Dataset d = open_dataset(ip);
  BOOST_CHECK_EQUAL(d.size(), 4);
  BOOST_CHECK_EQUAL(shape_str(d.sample_shape()), "[1, 4, 4]");
  BOOST_CHECK_EQUAL(d.num_classes(), 4);
  auto b = d.batch(2, 2);
  BOOST_CHECK_CLOSE(b.images.data[0], static_cast<double>(static_cast<float>(images(2, 0))), 1e-9);
  BOOST_CHECK_EQUAL(b.labels[0], 0);
  Dataset flat = Dataset::from_npy("flat", ip, lp, {16});
  BOOST_CHECK_EQUAL(shape_str(flat.batch(0, 4).images.shape), "[4, 16]");
  // Mismatched count and non-integer labels.
  Eigen::MatrixXd three(1, 3);
  three << 1, 2, 3;
  memtile::core::write_npy((tmp() / "three.npy").string(), three, 1);
  std::string e = error_of([&] { Dataset::from_npy("x", ip, (tmp() / "three.npy").string()); });
  BOOST_CHECK_MESSAGE(contains(e, "label count 3") && contains(e, "4 images"), e);
  Eigen::MatrixXd frac(1, 4);
  frac << 1, 2.5, 0, 1;
  memtile::core::write_npy((tmp() / "frac.npy").string(), frac, 1);
  e = error_of([&] { Dataset::from_npy("x", ip, (tmp() / "frac.npy").string()); });
  BOOST_CHECK_MESSAGE(contains(e, "not a non-negative integer"), e);
  e = error_of([&] { Dataset::from_npy("x", ip, lp, {3, 3}); });
  BOOST_CHECK_MESSAGE(contains(e, "sample shape"), e);
}
