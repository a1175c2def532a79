// Typed reads of one JSON config field, the one place config numbers enter: integers are
// range-checked as integers (nlohmann's get<int>() narrows 4294967552 to 256 and truncates 2.5
// to 2 without a word) and floating-point fields must be finite (an out-of-range literal such as
// 1e999 parses as inf). `field` names the field in the InputError.
#pragma once
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

template <class T>
T json_integer(const nlohmann::json& v, const std::string& field) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  const auto lo = std::numeric_limits<T>::min();
  const auto hi = std::numeric_limits<T>::max();
  const auto range = [&] { return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; };
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi)) throw InputError(field + ": " + std::to_string(u) + " is not " + range());
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    const bool below = std::is_signed_v<T> ? i < static_cast<std::int64_t>(lo) : i < 0;
    const bool above = i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(hi);
    if (below || above) throw InputError(field + ": " + std::to_string(i) + " is not " + range());
    return static_cast<T>(i);
  }
  throw InputError(field + ": has the wrong type (must be " + range() + ")");
}

inline double json_finite(const nlohmann::json& v, const std::string& field) {
  if (!v.is_number()) throw InputError(field + ": has the wrong type (must be a number)");
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw InputError(field + ": must be a finite number");
  return d;
}

// A configuration file parsed as JSON; the errors name the file. The one place config files
// are opened (the engine's --config, memtile run's groups, the benches).
inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), path, "cannot open configuration file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": invalid JSON: " + e.what());
  }
  return j;
}

}  // namespace memtile::core
