// NumPy .npy reading and writing (format versions 1.0-3.0, little-endian float32/float64,
// C order, 1-D or 2-D). Data are returned as float64. Writes are atomic: a temporary file in
// the same folder is renamed over the target, so a failed run leaves nothing half-written.
#pragma once
#include <Eigen/Dense>
#include <string>

namespace memtile::core {

struct NpyArray {
  Eigen::MatrixXd data;  // a 1-D array of n elements is held as 1 x n
  int ndim = 2;          // 1 or 2, as in the file
};

// Throws InputError naming the file and what is wrong with it.
NpyArray read_npy(const std::string& path);

// Writes float64. ndim 1 writes data (which must have one row or one column) as a 1-D array.
void write_npy(const std::string& path, const Eigen::MatrixXd& data, int ndim = 2);

// Write `text` to `path` atomically (temporary file + rename). Throws InputError on failure.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace memtile::core
