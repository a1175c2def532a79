// The one home of size arithmetic on declared (untrusted) sizes: every product of dimensions
// read from a file, a model or a config goes through checked_count(), which refuses negative
// dimensions, 64-bit overflow and anything whose storage would exceed the memory bound, naming
// the field, before a single byte is allocated.
//
// The bound applies to one declared object (a tensor, an array, a dataset), not to the whole
// process. Default 4 GiB; the CLI sets it with --max-memory. It is process-wide on purpose: the
// object sizes are declared in files deep below the front end, and the bound is a property of the
// machine the run uses, not of any one model.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

// Thrown by the checks below; an InputError, so front ends treat it as bad input. Its own type
// lets a caller that knows more context (the node, the field) rethrow it with that context.
class SizeError : public InputError {
 public:
  using InputError::InputError;
};

constexpr std::uint64_t default_max_memory_bytes = std::uint64_t(4) << 30;

std::uint64_t max_memory_bytes();
// Throws InputError unless bytes > 0.
void set_max_memory_bytes(std::uint64_t bytes);

// a * b, or SizeError("<what>: ...") if either is negative or the product overflows int64.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string& what);

// Product of `dims` (1 for none). SizeError naming `what` if a dimension is negative, the
// product overflows, or count * bytes_per_element exceeds max_memory_bytes(). The product of the
// non-zero dimensions must fit in int64 as well: a shape [0, 2^40, 2^40] holds nothing, but the
// strides computed from it would overflow.
std::int64_t checked_count(const std::int64_t* dims, std::size_t n, std::uint64_t bytes_per_element,
                           const std::string& what);
inline std::int64_t checked_count(const std::vector<std::int64_t>& dims, std::uint64_t bytes_per_element,
                                  const std::string& what) {
  return checked_count(dims.data(), dims.size(), bytes_per_element, what);
}
inline std::int64_t checked_count(std::initializer_list<std::int64_t> dims, std::uint64_t bytes_per_element,
                                  const std::string& what) {
  return checked_count(dims.begin(), dims.size(), bytes_per_element, what);
}

// Parses "4G", "512M", "64k", "1000000" (bytes; binary multiples) for --max-memory.
std::uint64_t parse_memory_size(const std::string& text, const std::string& what);

}  // namespace memtile::core
