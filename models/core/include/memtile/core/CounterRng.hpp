// Counter-based random numbers: every draw is a pure function of (seed, key...). The same
// seed gives bit-identical draws whatever the order or batching of the reads, which is what
// lets the SystemC tile reproduce the core engine's numbers exactly.
#pragma once
#include <cmath>
#include <cstdint>

namespace memtile::core {

class CounterRng {
 public:
  explicit CounterRng(std::uint64_t seed = 0) : seed_(mix(seed ^ 0x6a09e667f3bcc909ULL)) {}

  std::uint64_t seed() const { return seed_; }

  // 64 random bits for a key of up to four words.
  std::uint64_t bits(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                     std::uint64_t d = 0) const {
    std::uint64_t h = mix(seed_ ^ a);
    h = mix(h ^ (b + 0x9e3779b97f4a7c15ULL));
    h = mix(h ^ (c + 0xbf58476d1ce4e5b9ULL));
    return mix(h ^ (d + 0x94d049bb133111ebULL));
  }
  // Uniform in (0, 1).
  double uniform(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                 std::uint64_t d = 0) const {
    return (static_cast<double>(bits(a, b, c, d) >> 11) + 0.5) * 0x1.0p-53;
  }
  // Standard normal (Box-Muller on two independent uniforms of the same key).
  double normal(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                std::uint64_t d = 0) const {
    const double u1 = uniform(a, b, c, d);
    const double u2 = uniform(a ^ 0x5851f42d4c957f2dULL, b, c, d);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  static std::uint64_t mix(std::uint64_t z) {  // SplitMix64 finaliser
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t seed_;
};

}  // namespace memtile::core
