#include "memtile/nn/Dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Npy.hpp"

namespace memtile::nn {

using core::InputError;
using core::require;

namespace {

// gzopen/gzread read gzip'd and plain files alike (zlib passes non-gzip data through).
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    {
      std::ifstream probe(path);
      require(static_cast<bool>(probe), path, "cannot open file (missing or unreadable)");
    }
    f_ = gzopen(path.c_str(), "rb");
    require(f_ != nullptr, path, "cannot open file");
  }
  ~GzReader() {
    if (f_) gzclose(f_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads exactly n bytes or throws "truncated" naming what was being read.
  void read(void* dst, std::size_t n, const std::string& what) {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t got = 0;
    while (got < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
      const int r = gzread(f_, p + got, chunk);
      if (r < 0) {
        int err = 0;
        const char* msg = gzerror(f_, &err);
        throw InputError(path_ + ": read error in " + what + " (" + (msg ? msg : "zlib error") +
                         "; corrupt or truncated gzip data)");
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    if (got != n)
      throw InputError(path_ + ": truncated: " + what + " needs " + std::to_string(n) + " bytes, file has " +
                       std::to_string(got));
  }
  // n bytes into a vector grown as data arrives, so a corrupt header claiming billions of
  // items fails as "truncated" instead of allocating it all up front.
  std::vector<std::uint8_t> read_vector(std::size_t n, const std::string& what) {
    std::vector<std::uint8_t> out;
    out.reserve(std::min<std::size_t>(n, std::size_t(64) << 20));
    std::vector<std::uint8_t> buf(std::size_t(1) << 20);
    std::size_t got = 0;
    while (got < n) {
      const int r = gzread(f_, buf.data(), static_cast<unsigned>(std::min(buf.size(), n - got)));
      if (r < 0) {
        int err = 0;
        const char* msg = gzerror(f_, &err);
        throw InputError(path_ + ": read error in " + what + " (" + (msg ? msg : "zlib error") +
                         "; corrupt or truncated gzip data)");
      }
      if (r == 0) break;
      out.insert(out.end(), buf.begin(), buf.begin() + r);
      got += static_cast<std::size_t>(r);
    }
    if (got != n)
      throw InputError(path_ + ": truncated: " + what + " needs " + std::to_string(n) + " bytes, file has " +
                       std::to_string(got));
    return out;
  }
  std::uint32_t be32(const std::string& what) {
    unsigned char b[4];
    read(b, 4, what);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
  }

 private:
  std::string path_;
  gzFile f_ = nullptr;
};

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void check_magic(const std::string& path, std::uint32_t magic, std::uint32_t want_dims, const char* kind) {
  // Magic: two zero bytes, element type (0x08 = unsigned byte), number of dims.
  require((magic >> 16) == 0, path, "bad IDX magic " + hex(magic) + " (not an IDX file)");
  require(((magic >> 8) & 0xff) == 0x08, path,
          "unsupported IDX element type " + hex((magic >> 8) & 0xff) + " (only unsigned bytes, 0x08)");
  require((magic & 0xff) == want_dims, path,
          std::string("IDX file has ") + std::to_string(magic & 0xff) + " dims, " + kind + " need " +
              std::to_string(want_dims) + " (magic " + hex(magic) + ")");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

IdxImages read_idx_images(const std::string& path, std::int64_t max_count) {
  GzReader r(path);
  check_magic(path, r.be32("the magic number"), 3, "images");
  IdxImages im;
  im.total = r.be32("the image count");
  im.count = max_count >= 1 ? std::min(im.total, max_count) : im.total;
  im.rows = r.be32("the row count");
  im.cols = r.be32("the column count");
  require(im.rows > 0 && im.cols > 0, path, "empty image size " + std::to_string(im.rows) + "x" + std::to_string(im.cols));
  // Held as float32 once loaded (Dataset), so 4 bytes per pixel count against the bound.
  const std::int64_t n = core::checked_count({im.count, im.rows, im.cols}, sizeof(float), path + ": image count x rows x cols");
  im.pixels = r.read_vector(static_cast<std::size_t>(n), std::to_string(im.count) + " images");
  return im;
}

std::vector<int> read_idx_labels(const std::string& path) {
  GzReader r(path);
  check_magic(path, r.be32("the magic number"), 1, "labels");
  const std::uint32_t n = r.be32("the label count");
  core::checked_count({static_cast<std::int64_t>(n)}, sizeof(int), path + ": label count");
  const std::vector<std::uint8_t> raw = r.read_vector(n, std::to_string(n) + " labels");
  return std::vector<int>(raw.begin(), raw.end());
}

Dataset Dataset::from_idx(const std::string& name, const std::string& images_path, const std::string& labels_path,
                          std::int64_t max_samples) {
  IdxImages im = read_idx_images(images_path, max_samples);
  std::vector<int> labels = read_idx_labels(labels_path);
  require(static_cast<std::int64_t>(labels.size()) == im.total, labels_path,
          "label count " + std::to_string(labels.size()) + " does not match the " + std::to_string(im.total) +
              " images of " + images_path);
  Dataset d;
  d.name_ = name;
  d.sample_shape_ = {1, im.rows, im.cols};
  d.sample_size_ = im.rows * im.cols;
  d.pixels_.resize(im.pixels.size());
  // float32(x / 255), the value torchvision's ToTensor produces.
  for (std::size_t i = 0; i < im.pixels.size(); ++i) d.pixels_[i] = static_cast<float>(im.pixels[i]) / 255.0f;
  for (int l : labels) d.num_classes_ = std::max(d.num_classes_, l + 1);
  labels.resize(static_cast<std::size_t>(im.count));
  d.labels_ = std::move(labels);
  return d;
}

Dataset Dataset::from_npy(const std::string& name, const std::string& images_path, const std::string& labels_path,
                          const Shape& sample_shape, std::int64_t max_samples) {
  core::NpyArray im = core::read_npy(images_path);
  core::NpyArray lb = core::read_npy(labels_path);
  // A 1-D images array is a single sample.
  const Eigen::Index n = im.data.rows(), f = im.data.cols();
  require(lb.data.rows() == 1 || lb.data.cols() == 1, labels_path,
          "labels must be 1-D or a single row/column, got " + std::to_string(lb.data.rows()) + "x" +
              std::to_string(lb.data.cols()));
  const Eigen::Index nl = lb.data.size();
  require(nl == n, labels_path,
          "label count " + std::to_string(nl) + " does not match the " + std::to_string(n) + " images of " + images_path);
  Dataset d;
  d.name_ = name;
  if (sample_shape.empty()) {
    const auto s = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(f))));
    d.sample_shape_ = s * s == f ? Shape{1, s, s} : Shape{f};
  } else {
    require(shape_numel(sample_shape) == f, images_path,
            "sample shape " + shape_str(sample_shape) + " does not hold the " + std::to_string(f) + " values per row");
    d.sample_shape_ = sample_shape;
  }
  d.sample_size_ = f;
  d.pixels_.resize(static_cast<std::size_t>(core::checked_count({n, f}, sizeof(float), images_path)));
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < f; ++j) {
      const double v = im.data(i, j);
      require(std::isfinite(v), images_path, "sample " + std::to_string(i) + " contains NaN or Inf");
      d.pixels_[static_cast<std::size_t>(i * f + j)] = static_cast<float>(v);
    }
  d.labels_.resize(static_cast<std::size_t>(nl));
  for (Eigen::Index i = 0; i < nl; ++i) {
    const double v = lb.data(i);
    require(v >= 0 && v == std::floor(v) && v < 1e9, labels_path,
            "label " + std::to_string(i) + " is " + std::to_string(v) + ", not a non-negative integer");
    d.labels_[static_cast<std::size_t>(i)] = static_cast<int>(v);
    d.num_classes_ = std::max(d.num_classes_, d.labels_[static_cast<std::size_t>(i)] + 1);
  }
  if (max_samples >= 1 && max_samples < nl) {  // the file is read whole (NumPy): keep the first ones
    d.labels_.resize(static_cast<std::size_t>(max_samples));
    d.pixels_.resize(static_cast<std::size_t>(max_samples * f));
  }
  return d;
}

Dataset::Batch Dataset::batch(std::int64_t begin, std::int64_t count) const {
  Batch b;
  batch(begin, count, b.images, b.labels);
  return b;
}

void Dataset::batch(std::int64_t begin, std::int64_t count, Tensor& images, std::vector<int>& labels) const {
  require(begin >= 0 && begin < size(), name_,
          "batch start " + std::to_string(begin) + " outside [0, " + std::to_string(size()) + ")");
  require(count >= 1, name_, "batch size must be >= 1");
  count = std::min(count, size() - begin);
  Shape s{count};
  s.insert(s.end(), sample_shape_.begin(), sample_shape_.end());
  images.resize(s);
  const float* src = pixels_.data() + begin * sample_size_;
  std::copy(src, src + count * sample_size_, images.data.begin());
  labels.assign(labels_.begin() + begin, labels_.begin() + begin + count);
}

Dataset open_dataset(const std::string& spec, std::int64_t max_samples) {
  const std::string dir = kFashionMnistDir;
  if (spec == "fashion-mnist" || spec == "fashion-mnist-test")
    return Dataset::from_idx("fashion-mnist-test", dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz", max_samples);
  if (spec == "fashion-mnist-train")
    return Dataset::from_idx("fashion-mnist-train", dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz", max_samples);
  const std::size_t slash = spec.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "" : spec.substr(0, slash + 1);
  const std::string file = slash == std::string::npos ? spec : spec.substr(slash + 1);
  const std::size_t idx = file.find("images-idx3");
  if (idx != std::string::npos) {
    std::string lf = file;
    lf.replace(idx, 11, "labels-idx1");
    return Dataset::from_idx(file, spec, folder + lf, max_samples);
  }
  if (ends_with(file, ".npy")) {
    std::string lf;
    if (file == "images.npy") lf = "labels.npy";
    else if (ends_with(file, "_images.npy")) lf = file.substr(0, file.size() - 11) + "_labels.npy";
    require(!lf.empty(), spec, "cannot tell the labels file of a .npy dataset: name it 'X_images.npy' with 'X_labels.npy' beside it");
    return Dataset::from_npy(file, spec, folder + lf, {}, max_samples);
  }
  throw InputError(spec + ": unknown dataset (use fashion-mnist, fashion-mnist-train, an IDX images file or X_images.npy)");
}

}  // namespace memtile::nn
