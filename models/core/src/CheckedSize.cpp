#include "memtile/core/CheckedSize.hpp"

#include <atomic>
#include <cctype>
#include <limits>

#include "memtile/core/Errors.hpp"

namespace memtile::core {
namespace {

std::atomic<std::uint64_t> g_max_memory_bytes{default_max_memory_bytes};

std::string dims_str(const std::int64_t* dims, std::size_t n) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string bytes_str(std::uint64_t b) {
  if (b % (std::uint64_t(1) << 30) == 0) return std::to_string(b >> 30) + " GiB";
  if (b % (std::uint64_t(1) << 20) == 0) return std::to_string(b >> 20) + " MiB";
  return std::to_string(b) + " bytes";
}

}  // namespace

std::uint64_t max_memory_bytes() { return g_max_memory_bytes.load(std::memory_order_relaxed); }

void set_max_memory_bytes(std::uint64_t bytes) {
  require(bytes > 0, "--max-memory", "must be > 0");
  g_max_memory_bytes.store(bytes, std::memory_order_relaxed);
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string& what) {
  if (a < 0 || b < 0) throw SizeError(what + ": negative size " + std::to_string(a < 0 ? a : b));
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw SizeError(what + ": size " + std::to_string(a) + " x " + std::to_string(b) + " overflows 64 bits");
  return r;
}

std::int64_t checked_count(const std::int64_t* dims, std::size_t n, std::uint64_t bytes_per_element,
                           const std::string& what) {
  std::int64_t count = 1, nonzero = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (dims[i] < 0) throw SizeError(what + ": negative dimension in shape " + dims_str(dims, n));
    if (dims[i] == 0) {
      count = 0;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, dims[i], &nonzero))
      throw SizeError(what + ": shape " + dims_str(dims, n) + " overflows 64-bit size arithmetic");
  }
  if (count != 0) count = nonzero;
  const std::uint64_t limit = max_memory_bytes();
  const std::uint64_t per = bytes_per_element == 0 ? 1 : bytes_per_element;
  if (static_cast<std::uint64_t>(count) > limit / per)
    throw SizeError(what + ": shape " + dims_str(dims, n) + " (" + std::to_string(count) +
                     " elements) needs more than the memory bound of " + bytes_str(limit) +
                     " (raise it with --max-memory)");
  return count;
}

std::uint64_t parse_memory_size(const std::string& text, const std::string& what) {
  std::size_t i = 0;
  std::uint64_t v = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const std::uint64_t d = static_cast<std::uint64_t>(text[i] - '0');
    require(v <= (std::numeric_limits<std::uint64_t>::max() - d) / 10, what, "'" + text + "' is too large");
    v = v * 10 + d;
    digits = true;
    ++i;
  }
  require(digits, what, "'" + text + "' is not a size (e.g. 4G, 512M, 1000000)");
  unsigned shift = 0;
  if (i < text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text[i]))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: throw InputError(what + ": '" + text + "' has an unknown unit (use K, M, G or T)");
    }
    ++i;
    if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
    if (i < text.size() && (text[i] == 'B' || text[i] == 'b')) ++i;
  }
  require(i == text.size(), what, "'" + text + "' is not a size (e.g. 4G, 512M, 1000000)");
  require(v <= (std::numeric_limits<std::uint64_t>::max() >> shift), what, "'" + text + "' is too large");
  v <<= shift;
  require(v > 0, what, "must be > 0");
  return v;
}

}  // namespace memtile::core
