// Image classification datasets: IDX (as distributed for MNIST/Fashion-MNIST, gzip'd or plain)
// and NumPy .npy files. Pixels are held as float32 in [0, 1] (IDX bytes / 255, the same value
// torchvision's ToTensor gives); batches come out as float64 NCHW tensors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "memtile/nn/Tensor.hpp"

namespace memtile::nn {

// Folder of the Debian package dataset-fashion-mnist.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Raw IDX images (magic 0x00000803, unsigned bytes): count x rows x cols.
struct IdxImages {
  std::int64_t count = 0, rows = 0, cols = 0;  // count: images read (the first ones)
  std::int64_t total = 0;                      // images the file holds (its header)
  std::vector<std::uint8_t> pixels;
};
// Both read .gz (detected from the content, not the name) and plain files. InputError naming the
// file for a missing file, bad magic, unsupported element type or truncated data.
// max_count >= 1 reads only the first max_count images (the rest of the file is not inflated).
IdxImages read_idx_images(const std::string& path, std::int64_t max_count = 0);
std::vector<int> read_idx_labels(const std::string& path);  // magic 0x00000801

class Dataset {
 public:
  struct Batch {
    Tensor images;            // [count, C, H, W] (or [count, F] for flat .npy samples)
    std::vector<int> labels;
  };

  // IDX images + labels; the counts must agree. max_samples >= 1 keeps only the first
  // max_samples (num_classes() still counts every label of the file).
  static Dataset from_idx(const std::string& name, const std::string& images_path,
                          const std::string& labels_path, std::int64_t max_samples = 0);
  // .npy images (2-D: one sample a row, or 1-D for one sample) and labels (1-D or one row/column,
  // non-negative integers). sample_shape gives the per-sample shape, e.g. {1, 28, 28}; empty
  // means {1, s, s} when the row length is a perfect square s*s, else {F}. Values are used as
  // stored (no scaling).
  static Dataset from_npy(const std::string& name, const std::string& images_path,
                          const std::string& labels_path, const Shape& sample_shape = {},
                          std::int64_t max_samples = 0);

  const std::string& name() const { return name_; }
  std::int64_t size() const { return static_cast<std::int64_t>(labels_.size()); }
  const Shape& sample_shape() const { return sample_shape_; }
  const std::vector<int>& labels() const { return labels_; }
  int num_classes() const { return num_classes_; }  // max label + 1

  // Samples [begin, begin + count), count clipped at the end. begin outside [0, size()) or
  // count < 1 is an InputError.
  Batch batch(std::int64_t begin, std::int64_t count) const;
  // Same, into caller buffers (no allocation once they are large enough).
  void batch(std::int64_t begin, std::int64_t count, Tensor& images, std::vector<int>& labels) const;

 private:
  std::string name_;
  Shape sample_shape_;
  std::int64_t sample_size_ = 0;
  std::vector<float> pixels_;
  std::vector<int> labels_;
  int num_classes_ = 0;
};

// Resolves a dataset spec:
//   "fashion-mnist" / "fashion-mnist-test"  the 10000 test images of dataset-fashion-mnist
//   "fashion-mnist-train"                   its 60000 training images
//   PATH with "images-idx3" in the name     IDX; labels: the same path with "labels-idx1"
//   PATH.npy                                images; labels: "X_images.npy" -> "X_labels.npy",
//                                           "images.npy" -> "labels.npy" in the same folder
// max_samples >= 1: only the first max_samples samples are loaded (a run of --limit images
// does not decode the whole file); 0: all.
Dataset open_dataset(const std::string& spec, std::int64_t max_samples = 0);

}  // namespace memtile::nn
