#include "memtile/core/Npy.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>
#include <unistd.h>

#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"

namespace memtile::core {
namespace {

// Header text quoted in a message: a corrupt header may hold newlines or binary bytes, and the
// message must stay one printable line.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < 80; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (text.size() > 80) out += "...";
  return out + "'";
}

// Value of `key` in the npy header dict, e.g. "'descr': '<f8'" -> "'<f8'". Empty if absent.
std::string header_value(const std::string& header, const std::string& key) {
  const std::string quoted = "'" + key + "'";
  auto pos = header.find(quoted);
  if (pos == std::string::npos) return {};
  pos = header.find(':', pos + quoted.size());
  if (pos == std::string::npos) return {};
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  std::size_t end = pos;
  if (pos < header.size() && header[pos] == '(') {
    end = header.find(')', pos);
    if (end == std::string::npos) return {};
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  std::string v = header.substr(pos, end - pos);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

std::vector<long long> parse_shape(const std::string& text, const std::string& path) {
  require(text.size() >= 2 && text.front() == '(' && text.back() == ')', path,
          "malformed npy header: shape " + quoted(text));
  std::vector<long long> dims;
  std::stringstream ss(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t a = item.find_first_not_of(' ');
    if (a == std::string::npos) continue;
    std::size_t b = item.find_last_not_of(' ');
    item = item.substr(a, b - a + 1);
    char* endp = nullptr;
    errno = 0;
    long long d = std::strtoll(item.c_str(), &endp, 10);
    require(endp && *endp == '\0' && d >= 0 && errno != ERANGE, path, "malformed npy header: shape " + quoted(text));
    dims.push_back(d);
  }
  return dims;
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, "cannot open file for reading");
  char magic[8];
  in.read(magic, 8);
  require(in.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0, path,
          "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  require(major >= 1 && major <= 3, path, "unsupported npy format version " + std::to_string(major));
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    require(in.gcount() == 2, path, "truncated npy header");
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    require(in.gcount() == 4, path, "truncated npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  }
  require(header_len < (1u << 20), path, "malformed npy header: implausible header length");
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  require(static_cast<std::uint32_t>(in.gcount()) == header_len, path, "truncated npy header");
  // The header is a Python dict literal padded with spaces and ended by a newline: a corrupted
  // length cuts it short or swallows data bytes, and the data would be read from the wrong offset.
  {
    const std::size_t a = header.find_first_not_of(" ");
    const std::size_t b = header.find_last_not_of(" \n");
    require(a != std::string::npos && header[a] == '{' && header[b] == '}' && header.back() == '\n', path,
            "malformed npy header: the header length field (" + std::to_string(header_len) +
                " bytes) does not delimit a header dict");
  }

  const std::string descr = header_value(header, "descr");
  const std::string order = header_value(header, "fortran_order");
  const std::string shape_text = header_value(header, "shape");
  require(!descr.empty() && !order.empty() && !shape_text.empty(), path,
          "malformed npy header (needs descr, fortran_order and shape)");
  require(order == "False", path, "Fortran-ordered arrays are not supported (save with C order)");
  int item_size = 0;
  if (descr == "'<f8'" || descr == "'=f8'") item_size = 8;
  else if (descr == "'<f4'" || descr == "'=f4'") item_size = 4;
  else throw InputError(path + ": unsupported dtype " + quoted(descr) + " (need little-endian float32 or float64)");

  const auto dims = parse_shape(shape_text, path);
  require(dims.size() == 1 || dims.size() == 2, path,
          "need a 1-D or 2-D array, got " + std::to_string(dims.size()) + "-D");
  const long long rows = dims.size() == 1 ? 1 : dims[0];
  const long long cols = dims.size() == 1 ? dims[0] : dims[1];
  require(rows > 0 && cols > 0, path, "empty array");
  // Held as float64 whatever the file's dtype.
  const auto count = static_cast<std::size_t>(checked_count({rows, cols}, sizeof(double), path));
  // The data must be in the file before anything is allocated for it: a header-only file that
  // claims 30000 x 30000 values fails here, not after zeroing gigabytes.
  {
    const std::streamoff data_start = in.tellg();
    in.seekg(0, std::ios::end);
    const std::streamoff file_end = in.tellg();
    in.seekg(data_start);
    require(data_start >= 0 && file_end >= data_start && in.good(), path, "cannot determine the file size");
    const auto available = static_cast<std::uint64_t>(file_end - data_start);
    require(available >= static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(item_size), path,
            "truncated data: shape needs " + std::to_string(count) + " " + (item_size == 8 ? "float64" : "float32") +
                " values (" + std::to_string(static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(item_size)) +
                " bytes), the file has " + std::to_string(available) + " bytes after the header");
  }

  NpyArray out;
  out.ndim = static_cast<int>(dims.size());
  // Eigen is column-major; the file is row-major.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> tmp(rows, cols);
  if (item_size == 8) {
    in.read(reinterpret_cast<char*>(tmp.data()), static_cast<std::streamsize>(count * 8));
    require(static_cast<std::size_t>(in.gcount()) == count * 8, path,
            "truncated data: expected " + std::to_string(count) + " float64 values");
  } else {
    std::vector<float> buf(count);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(count * 4));
    require(static_cast<std::size_t>(in.gcount()) == count * 4, path,
            "truncated data: expected " + std::to_string(count) + " float32 values");
    for (std::size_t i = 0; i < count; ++i) tmp.data()[i] = buf[i];
  }
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(tmp.data()[i]))
      throw InputError(path + ": element " + std::to_string(i) + " (row " + std::to_string(i / cols) + ", column " +
                       std::to_string(i % cols) + ") is NaN or Inf");
  out.data = tmp;
  return out;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    require(out.good(), path, "cannot open file for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out.good()) {
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot rename temporary file into place");
  }
}

void write_npy(const std::string& path, const Eigen::MatrixXd& data, int ndim) {
  require(ndim == 1 || ndim == 2, path, "ndim must be 1 or 2");
  std::string shape;
  if (ndim == 1) {
    require(data.rows() == 1 || data.cols() == 1, path, "a 1-D array needs one row or one column");
    shape = "(" + std::to_string(data.size()) + ",)";
  } else {
    shape = "(" + std::to_string(data.rows()) + ", " + std::to_string(data.cols()) + ")";
  }
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string blob = std::string("\x93NUMPY\x01\x00", 8);
  blob.push_back(static_cast<char>(header.size() & 0xff));
  blob.push_back(static_cast<char>((header.size() >> 8) & 0xff));
  blob += header;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = data;
  blob.append(reinterpret_cast<const char*>(rm.data()), rm.size() * sizeof(double));
  write_file_atomic(path, blob);
}

}  // namespace memtile::core
