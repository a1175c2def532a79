#include "memtile/core/ParamTable.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace memtile::core {

std::string eng(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  if (v == 0) return "0";
  int e3 = static_cast<int>(std::floor(std::log10(std::abs(v)) / 3)) * 3;
  double m = v / std::pow(10.0, e3);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g", m);
  // Rounding to 6 digits can carry the mantissa to 1000 (999999.7e-9 -> 1000e-9): renormalise.
  if (std::abs(std::stod(buf)) >= 1000) {
    e3 += 3;
    m = v / std::pow(10.0, e3);
    std::snprintf(buf, sizeof buf, "%.6g", m);
  }
  std::string s = buf;
  if (e3 != 0) s += "e" + std::to_string(e3);
  return s;
}

std::string dotted(const std::string& where, const std::string& field) {
  if (where.empty()) return field;
  if (where.find(": ") != std::string::npos) return where + "." + field;
  return where + ": " + field;
}

namespace detail {

std::string bound_text(double v) { return eng(v); }

double parse_real_text(const std::string& text, const std::string& flag) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw InputError(flag + ": '" + text + "' is not a finite number");
}

nlohmann::json parse_int_text(const std::string& text, const std::string& flag) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return nlohmann::json(v);
  } catch (const std::exception&) {
  }
  try {  // above 2^63 (seeds)
    std::size_t used = 0;
    if (!text.empty() && text[0] != '-') {
      const unsigned long long v = std::stoull(text, &used);
      if (used == text.size()) return nlohmann::json(v);
    }
  } catch (const std::exception&) {
  }
  throw InputError(flag + ": '" + text + "' is not an integer");
}

std::vector<int> parse_int_list_text(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw InputError(flag + ": '" + text + "' is not a comma-separated list of integers");
    }
  }
  if (out.empty()) throw InputError(flag + ": empty list");
  return out;
}

}  // namespace detail
}  // namespace memtile::core
