// Template definitions of ParamTable.hpp (included at its end).
#pragma once
#include <cmath>
#include <functional>
#include <sstream>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"

namespace memtile::core {
namespace detail {
double parse_real_text(const std::string& text, const std::string& flag);
nlohmann::json parse_int_text(const std::string& text, const std::string& flag);
std::vector<int> parse_int_list_text(const std::string& text, const std::string& flag);
std::string bound_text(double v);
}  // namespace detail

template <class S, class M>
Param<S> real_param(std::string name, std::string flag, M m, std::string unit, RealRange r, std::string doc) {
  Param<S> p;
  p.name = std::move(name);
  p.flag = std::move(flag);
  p.unit = unit;
  {
    std::string s;
    const bool lo_inf = std::isinf(r.lo), hi_inf = std::isinf(r.hi);
    if (lo_inf && hi_inf) s = "any finite";
    else if (hi_inf) s = (r.lo_open ? "> " : ">= ") + detail::bound_text(r.lo);
    else if (lo_inf) s = (r.hi_open ? "< " : "<= ") + detail::bound_text(r.hi);
    else
      s = std::string(r.lo_open ? "(" : "[") + detail::bound_text(r.lo) + ", " + detail::bound_text(r.hi) +
          (r.hi_open ? ")" : "]");
    p.range = s;
  }
  p.type_name = "FLOAT";
  p.doc = std::move(doc);
  p.get = [m](const S& s) { return nlohmann::json(std::invoke(m, s)); };
  p.set = [m](S& s, const nlohmann::json& v, const std::string& field) { std::invoke(m, s) = json_finite(v, field); };
  const std::string range = p.range;
  p.check = [m, r, unit, range](const S& s, const std::string& field) {
    const double v = std::invoke(m, s);
    require(std::isfinite(v), field, "must be a finite number");
    const bool ok = (r.lo_open ? v > r.lo : v >= r.lo) && (r.hi_open ? v < r.hi : v <= r.hi);
    require(ok, field, "must be " + range + (unit.empty() ? "" : " " + unit) + ", got " + eng(v));
  };
  p.parse_text = [](const std::string& text, const std::string& f) {
    return nlohmann::json(detail::parse_real_text(text, f));
  };
  return p;
}

template <class S, class M>
Param<S> int_param(std::string name, std::string flag, M m, std::string unit, long double lo, long double hi,
                   std::string range, std::string doc) {
  using I = std::decay_t<std::invoke_result_t<M, S&>>;
  Param<S> p;
  p.name = std::move(name);
  p.flag = std::move(flag);
  p.unit = unit;
  p.range = std::move(range);
  p.type_name = "INT";
  p.doc = std::move(doc);
  p.get = [m](const S& s) { return nlohmann::json(std::invoke(m, s)); };
  p.set = [m](S& s, const nlohmann::json& v, const std::string& field) { std::invoke(m, s) = json_integer<I>(v, field); };
  const std::string rtext = p.range;
  p.check = [m, lo, hi, rtext](const S& s, const std::string& field) {
    const auto v = std::invoke(m, s);
    const bool ok = static_cast<long double>(v) >= lo && static_cast<long double>(v) <= hi;
    require(ok, field, "must be " + rtext + ", got " + std::to_string(v));
  };
  p.parse_text = [](const std::string& text, const std::string& f) {
    return detail::parse_int_text(text, f);
  };
  return p;
}

template <class S, class M>
Param<S> bool_param(std::string name, std::string flag, M m, std::string doc) {
  Param<S> p;
  p.name = std::move(name);
  p.flag = std::move(flag);
  p.range = "true, false";
  p.doc = std::move(doc);
  p.is_switch = true;
  p.get = [m](const S& s) { return nlohmann::json(std::invoke(m, s)); };
  p.set = [m](S& s, const nlohmann::json& v, const std::string& field) {
    require(v.is_boolean(), field, "must be true or false");
    std::invoke(m, s) = v.get<bool>();
  };
  p.check = [](const S&, const std::string&) {};
  p.parse_text = [](const std::string&, const std::string&) { return nlohmann::json(true); };
  return p;
}

template <class S, class M, class E>
Param<S> choice_param(std::string name, std::string flag, M m, std::vector<std::pair<std::string, E>> choices,
                      std::string doc) {
  Param<S> p;
  p.name = std::move(name);
  p.flag = std::move(flag);
  std::string all;
  for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c.first;
  p.range = all;
  p.type_name = "NAME";
  p.doc = std::move(doc);
  p.get = [m, choices](const S& s) {
    for (const auto& c : choices)
      if (c.second == std::invoke(m, s)) return nlohmann::json(c.first);
    return nlohmann::json("?");
  };
  p.set = [m, choices, all](S& s, const nlohmann::json& v, const std::string& field) {
    require(v.is_string(), field, "must be a string, one of " + all);
    const std::string t = v.get<std::string>();
    for (const auto& c : choices)
      if (c.first == t) {
        std::invoke(m, s) = c.second;
        return;
      }
    throw InputError(field + ": '" + t + "' is not one of " + all);
  };
  p.check = [](const S&, const std::string&) {};
  p.parse_text = [](const std::string& text, const std::string&) { return nlohmann::json(text); };
  return p;
}

template <class S, class M>
Param<S> int_list_param(std::string name, std::string flag, M m, std::string unit, int lo, int hi,
                        std::string range, std::string doc) {
  Param<S> p;
  p.name = std::move(name);
  p.flag = std::move(flag);
  p.unit = unit;
  p.range = std::move(range);
  p.type_name = "LIST";
  p.doc = std::move(doc);
  p.get = [m](const S& s) { return nlohmann::json(std::invoke(m, s)); };
  p.set = [m](S& s, const nlohmann::json& v, const std::string& field) {
    require(v.is_array(), field, "must be an array of integers");
    std::vector<int> out;
    for (const auto& e : v) out.push_back(json_integer<int>(e, field));
    std::invoke(m, s) = out;
  };
  p.check = [m, lo, hi](const S& s, const std::string& field) {
    require(!std::invoke(m, s).empty(), field, "needs at least one entry");
    for (int w : std::invoke(m, s))
      require(w >= lo && w <= hi, field,
              "each entry must be " + std::to_string(lo) + " .. " + std::to_string(hi) + ", got " + std::to_string(w));
  };
  p.parse_text = [](const std::string& text, const std::string& f) {
    return nlohmann::json(detail::parse_int_list_text(text, f));
  };
  return p;
}

namespace detail {
template <class S, class FieldName>
void apply_rows(const std::vector<Param<S>>& table, S& s, const nlohmann::json& j, const std::string& obj,
                const FieldName& field_of) {
  require(j.is_object(), obj.empty() ? "configuration" : obj, "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Param<S>* p = nullptr;
    for (const Param<S>& q : table)
      if (q.name == it.key()) p = &q;
    if (!p) {
      std::string known;
      for (const Param<S>& q : table) known += (known.empty() ? "" : ", ") + q.name;
      throw InputError(field_of(it.key()) + ": unknown key (known: " + known + ")");
    }
    const std::string field = field_of(p->name);
    p->set(s, it.value(), field);
    p->check(s, field);
  }
}
}  // namespace detail

template <class S>
void apply_params(const std::vector<Param<S>>& table, S& s, const nlohmann::json& j, const std::string& where) {
  detail::apply_rows(table, s, j, where, [&](const std::string& k) { return dotted(where, k); });
}

template <class S>
void apply_group(const std::vector<Param<S>>& table, S& s, const nlohmann::json& j, const std::string& group) {
  detail::apply_rows(table, s, j, group, [&](const std::string& k) { return group + "." + k; });
}

template <class S>
void check_group(const std::vector<Param<S>>& table, const S& s, const std::string& group) {
  for (const Param<S>& p : table) p.check(s, group + "." + p.name);
}

template <class S>
Param<S> group_param(std::string name, std::string doc, std::vector<Param<S>> rows) {
  Param<S> p;
  p.name = std::move(name);
  p.doc = std::move(doc);
  p.type_name = "OBJECT";
  p.rows = std::move(rows);
  const auto& r = p.rows;
  p.get = [r](const S& s) { return params_to_json(r, s); };
  p.set = [r](S& s, const nlohmann::json& v, const std::string& field) { apply_group(r, s, v, field); };
  p.check = [r](const S& s, const std::string& field) { check_group(r, s, field); };
  p.parse_text = [](const std::string& text, const std::string& f) -> nlohmann::json {
    throw InputError(f + ": '" + text + "': a group has no flag");
  };
  return p;
}

namespace detail {
template <class S, class T, class M>
Param<S> lift_row(const Param<T>& q, M m) {
  Param<S> p;
  p.name = q.name;
  p.flag = q.flag;
  p.unit = q.unit;
  p.range = q.range;
  p.doc = q.doc;
  p.is_switch = q.is_switch;
  p.type_name = q.type_name;
  p.section = q.section;
  p.get = [g = q.get, m](const S& s) { return g(std::invoke(m, s)); };
  p.set = [f = q.set, m](S& s, const nlohmann::json& v, const std::string& field) { f(std::invoke(m, s), v, field); };
  p.check = [c = q.check, m](const S& s, const std::string& field) { c(std::invoke(m, s), field); };
  p.parse_text = q.parse_text;
  for (const Param<T>& r : q.rows) p.rows.push_back(lift_row<S>(r, m));
  return p;
}
}  // namespace detail

template <class S, class M, class T>
Param<S> nested_group_param(std::string name, std::string doc, M m, const std::vector<Param<T>>& rows) {
  std::vector<Param<S>> lifted;
  for (const Param<T>& q : rows) lifted.push_back(detail::lift_row<S>(q, m));
  return group_param<S>(std::move(name), std::move(doc), std::move(lifted));
}

template <class S, class M, class T>
Param<S> section_param(std::string name, std::string section, std::string doc, M m) {
  Param<S> p;
  p.name = std::move(name);
  p.section = std::move(section);
  p.range = "object";
  p.type_name = "OBJECT";
  p.doc = std::move(doc);
  p.get = [m](const S& s) { return nlohmann::json(to_json(std::invoke(m, s))); };
  p.set = [m](S& s, const nlohmann::json& v, const std::string& field) { apply_json(std::invoke(m, s), v, field); };
  p.check = [](const S&, const std::string&) {};  // T's own checks ran in apply_json; S::validate() repeats them
  p.parse_text = [](const std::string& text, const std::string& f) -> nlohmann::json {
    throw InputError(f + ": '" + text + "': a configuration group has no flag");
  };
  return p;
}

template <class S>
nlohmann::json params_to_json(const std::vector<Param<S>>& table, const S& s) {
  nlohmann::json j = nlohmann::json::object();
  for (const Param<S>& p : table) {
    nlohmann::json v = p.get(s);
    if (!v.is_null()) j[p.name] = std::move(v);  // null: an optional row that is not set
  }
  return j;
}

template <class S>
void check_params(const std::vector<Param<S>>& table, const S& s, const std::string& where) {
  for (const Param<S>& p : table) p.check(s, dotted(where, p.name));
}

namespace detail {
// A table cell: a '|' in the text would end the cell.
inline std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

template <class S>
void markdown_rows(std::ostringstream& o, const std::vector<Param<S>>& table, const S& defaults,
                   const std::string& prefix) {
  for (const Param<S>& p : table) {
    if (!p.rows.empty()) {
      markdown_rows(o, p.rows, defaults, prefix + p.name + ".");
      continue;
    }
    if (!p.section.empty()) {
      o << "| `" << prefix << p.name << "` |  |  | " << cell(p.range) << " | see [" << p.section << "](#" << p.section
        << ") | " << cell(p.doc) << " |\n";
      continue;
    }
    const std::string def = p.get(defaults).dump();
    o << "| `" << prefix << p.name << "` | " << (p.flag.empty() ? "" : "`" + p.flag + "`") << " | " << p.unit
      << " | " << cell(p.range) << " | `" << def << "` | " << cell(p.doc) << " |\n";
  }
}
}  // namespace detail

template <class S>
std::string params_markdown(const std::vector<Param<S>>& table) {
  const S defaults{};
  std::ostringstream o;
  o << "| key | flag | unit | range | default | meaning |\n|---|---|---|---|---|---|\n";
  detail::markdown_rows(o, table, defaults, "");
  return o.str();
}

}  // namespace memtile::core
