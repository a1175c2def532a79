#include "memtile/core/CounterRng.hpp"

#include <algorithm>

namespace memtile::core {

void CounterRng::normals(std::uint64_t a, std::uint64_t b0, std::size_t n, std::uint64_t c, std::uint64_t d,
                         double* out) const {
  // The key's first word is mixed once; the remaining mixes are 64-bit multiplies, one draw
  // after another; the log, sqrt and cos of a block run in vector lanes (no branch, no call).
  constexpr std::size_t kBlock = 64;
  const std::uint64_t h1 = mix(seed_ ^ a), h2 = mix(seed_ ^ (a ^ kSecondUniform));
  double u1[kBlock], u2[kBlock];
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t m = std::min(kBlock, n - i0);
    for (std::size_t i = 0; i < m; ++i) {
      u1[i] = to_uniform(chain(h1, b0 + i0 + i, c, d));
      u2[i] = to_uniform(chain(h2, b0 + i0 + i, c, d));
    }
    for (std::size_t i = 0; i < m; ++i) out[i0 + i] = box_muller(u1[i], u2[i]);
  }
}

}  // namespace memtile::core
