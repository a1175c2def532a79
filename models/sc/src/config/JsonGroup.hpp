// Private helper: read the known keys of a JSON object, reject the unknown ones by name.
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"

namespace memtile::sc::detail {

struct JsonGroup {
  const nlohmann::json& obj;
  std::string where;
  std::set<std::string> seen;
  template <class T>
  void get(const char* key, T& out) {
    seen.insert(key);
    auto it = obj.find(key);
    if (it == obj.end()) return;
    const std::string field = where + "." + key;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw core::InputError(field + ": has the wrong type (must be true or false)");
      out = it->template get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      out = core::json_integer<T>(*it, field);
    } else if constexpr (std::is_floating_point_v<T>) {
      out = static_cast<T>(core::json_finite(*it, field));
    } else {
      try {
        out = it->template get<T>();
      } catch (const nlohmann::json::exception&) {
        throw core::InputError(field + ": has the wrong type");
      }
    }
  }
  void finish() const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!seen.count(it.key())) throw core::InputError(where + "." + it.key() + ": unknown key");
  }
};

}  // namespace memtile::sc::detail
