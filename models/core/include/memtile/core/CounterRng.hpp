// Counter-based random numbers: every draw is a pure function of (seed, key...). The same
// seed gives bit-identical draws whatever the order or batching of the reads, which is what
// lets the SystemC tile reproduce the core engine's numbers exactly.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "memtile/core/PortableMath.hpp"

namespace memtile::core {

class CounterRng {
 public:
  explicit CounterRng(std::uint64_t seed = 0) : seed_(mix(seed ^ 0x6a09e667f3bcc909ULL)) {}

  std::uint64_t seed() const { return seed_; }

  // 64 random bits for a key of up to four words.
  std::uint64_t bits(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                     std::uint64_t d = 0) const {
    return chain(mix(seed_ ^ a), b, c, d);
  }
  // Uniform in (0, 1), a multiple of 2^-54.
  double uniform(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                 std::uint64_t d = 0) const {
    return to_uniform(bits(a, b, c, d));
  }
  // Standard normal: Box-Muller on two independent uniforms of the same key, with the
  // portable log and cos (PortableMath.hpp), so normals() gives the same bits.
  double normal(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                std::uint64_t d = 0) const {
    return box_muller(uniform(a, b, c, d), uniform(a ^ kSecondUniform, b, c, d));
  }
  // out[i] = normal(a, b0 + i, c, d) for i in [0, n): the same bits, the arithmetic of a block
  // of draws in SIMD lanes (programming variation and read noise draw one per cell or read).
  void normals(std::uint64_t a, std::uint64_t b0, std::size_t n, std::uint64_t c, std::uint64_t d,
               double* out) const;

  static std::uint64_t mix(std::uint64_t z) {  // SplitMix64 finaliser
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static constexpr std::uint64_t kSecondUniform = 0x5851f42d4c957f2dULL;
  // bits() once the key's first word is mixed in (the same for a whole block of draws).
  static std::uint64_t chain(std::uint64_t h, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
    h = mix(h ^ (b + 0x9e3779b97f4a7c15ULL));
    h = mix(h ^ (c + 0xbf58476d1ce4e5b9ULL));
    return mix(h ^ (d + 0x94d049bb133111ebULL));
  }
  static double to_uniform(std::uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53; }
  static void normal_block(std::uint64_t h1, std::uint64_t h2, std::uint64_t b0, std::size_t m, std::uint64_t c,
                           std::uint64_t d, double* out);
  static void normal_block_avx512(std::uint64_t h1, std::uint64_t h2, std::uint64_t b0, std::size_t m,
                                  std::uint64_t c, std::uint64_t d, double* out);
  static double box_muller(double u1, double u2) {
    return std::sqrt(-2.0 * portable::log(u1)) * portable::cos_two_pi(u2);
  }

  std::uint64_t seed_;
};

}  // namespace memtile::core
