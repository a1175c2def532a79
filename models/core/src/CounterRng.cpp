#include "memtile/core/CounterRng.hpp"

#include <algorithm>

namespace memtile::core {

namespace {
constexpr std::size_t kBlock = 64;
}  // namespace

// out[i] = normal(a, b0 + i, c, d) for i < m <= kBlock, h1 and h2 the first mixes of the keys of
// the two uniforms. The hashing is integer arithmetic and the Box-Muller step IEEE basic
// operations (PortableMath), so the AVX-512DQ clone (64-bit multiplies and conversions to double
// in 8 lanes, where the CPU has them) gives the same bits as the portable loop.
__attribute__((always_inline)) inline void CounterRng::normal_block(std::uint64_t h1, std::uint64_t h2,
                                                                    std::uint64_t b0, std::size_t m, std::uint64_t c,
                                                                    std::uint64_t d, double* out) {
  double u1[kBlock], u2[kBlock];
  for (std::size_t i = 0; i < m; ++i) {
    u1[i] = to_uniform(chain(h1, b0 + i, c, d));
    u2[i] = to_uniform(chain(h2, b0 + i, c, d));
  }
  for (std::size_t i = 0; i < m; ++i) out[i] = box_muller(u1[i], u2[i]);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512dq"))) void CounterRng::normal_block_avx512(
    std::uint64_t h1, std::uint64_t h2, std::uint64_t b0, std::size_t m, std::uint64_t c, std::uint64_t d,
    double* out) {
  normal_block(h1, h2, b0, m, c, d, out);
}
#endif

void CounterRng::normals(std::uint64_t a, std::uint64_t b0, std::size_t n, std::uint64_t c, std::uint64_t d,
                         double* out) const {
  // The key's first word is mixed once for all the draws.
  const std::uint64_t h1 = mix(seed_ ^ a), h2 = mix(seed_ ^ (a ^ kSecondUniform));
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t m = std::min(kBlock, n - i0);
#if defined(__x86_64__) && defined(__GNUC__)
    if (avx512) normal_block_avx512(h1, h2, b0 + i0, m, c, d, out + i0);
    else
#endif
      normal_block(h1, h2, b0 + i0, m, c, d, out + i0);
  }
}

}  // namespace memtile::core
