// Private helper: read the known keys of a JSON object, reject the unknown ones by name.
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "memtile/core/Errors.hpp"

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
    try {
      out = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      throw core::InputError(where + "." + key + ": has the wrong type");
    }
  }
  void finish() const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!seen.count(it.key())) throw core::InputError(where + "." + it.key() + ": unknown key");
  }
};

}  // namespace memtile::sc::detail
