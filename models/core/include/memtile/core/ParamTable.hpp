// A configuration struct's tunables declared once, as a table (VCML-style properties): each
// row has the JSON key, the CLI flag, the unit, the allowed range, the doc text and the member
// it reads and writes; the default is the member's value in a default-constructed struct.
// Validation of each field's own range, JSON in and out, the CLI flags and their --help text
// and the generated docs/config.md all come from the table, so a new field is one new row.
// Checks that relate several fields (HGS > LGS, ...) stay in the struct's validate().
//
// Messages name the place and the dotted field ("cfg.json: engine.HGS: ...") and print values
// in engineering notation (eng()).
#pragma once
#include <cstdint>
#include <functional>
#include <type_traits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "memtile/core/Messages.hpp"

namespace memtile::core {

template <class S>
struct Param {
  std::string name;  // JSON key (also the field's name in messages)
  std::string flag;  // CLI flag, e.g. "--g-level" ("" = no flag)
  std::string unit;  // "S", "V", "ohm", "s", "levels", "" (dimensionless)
  std::string range; // human-readable allowed range, e.g. "> 0", "[0, 1]", "2 .. 2^30"
  std::string doc;   // one line
  bool is_switch = false;  // a flag without a value (booleans)
  std::string type_name;   // of the flag's value in --help: FLOAT, INT, NAME, LIST, RxC
  std::function<nlohmann::json(const S&)> get;  // null = not set (the key is left out of JSON)
  // Type-checks and stores the JSON value; `field` names it in an InputError.
  std::function<void(S&, const nlohmann::json&, const std::string& field)> set;
  // Range check of the stored value alone; throws InputError naming `field`.
  std::function<void(const S&, const std::string& field)> check;
  // CLI text -> JSON value of the right type (throws InputError naming the flag).
  std::function<nlohmann::json(const std::string& text, const std::string& flag)> parse_text;
  // Non-empty: this row is a nested JSON object ("wire": {...}) whose keys are these rows; its
  // fields are named with dots ("tile.wire.node_nm") and docs/config.md lists them so.
  std::vector<Param<S>> rows;
  // Non-empty: this row is a whole configuration with its own table and loader, documented in
  // the section of that name of docs/config.md (one row there, its defaults not repeated).
  std::string section;
};

// Row builders. Bounds are inclusive unless the *_open flag says otherwise. `m` names the
// value: a member pointer (&S::x) or, for a value inside a nested struct, an accessor
// [](auto& s) -> auto& { return s.wire.node_nm; } (called on S& and const S&).
struct RealRange {
  double lo, hi;
  bool lo_open = false, hi_open = false;
};

template <class S, class M>
Param<S> real_param(std::string name, std::string flag, M m, std::string unit, RealRange r, std::string doc);
template <class S, class M>
Param<S> int_param(std::string name, std::string flag, M m, std::string unit, long double lo, long double hi,
                   std::string range, std::string doc);
template <class S, class M>
Param<S> bool_param(std::string name, std::string flag, M m, std::string doc);
template <class S, class M, class E = std::decay_t<std::invoke_result_t<M, S&>>>
Param<S> choice_param(std::string name, std::string flag, M m, std::vector<std::pair<std::string, E>> choices,
                      std::string doc);
template <class S, class M>
Param<S> int_list_param(std::string name, std::string flag, M m, std::string unit, int lo, int hi,
                        std::string range, std::string doc);
// A nested JSON object of rows (no flag): JSON in/out, checks and docs recurse into it.
template <class S>
Param<S> group_param(std::string name, std::string doc, std::vector<Param<S>> rows);

// The rows of another struct's table `rows` (of T), reached through `m` (a member pointer or
// accessor of S returning T&): a nested group whose fields keep T's ranges, units and docs
// ("analog.neuron.gain" from NeuronConfig's own table), with S's defaults in docs/config.md.
template <class S, class M, class T = std::decay_t<std::invoke_result_t<M, S&>>>
Param<S> nested_group_param(std::string name, std::string doc, M m, const std::vector<Param<T>>& rows);
// A nested configuration with its own table, loader and cross-field checks (the `engine` group
// of the accelerator top): JSON in through apply_json(T&, json, field) and out through
// to_json(const T&) (found by argument-dependent lookup), so messages and checks are T's own;
// docs/config.md lists one row pointing to `section`.
template <class S, class M, class T = std::decay_t<std::invoke_result_t<M, S&>>>
Param<S> section_param(std::string name, std::string section, std::string doc, M m);

// Applies every key of object `j` through the table; unknown keys are an error naming the key
// and listing the known ones. Range checks run on each field given.
template <class S>
void apply_params(const std::vector<Param<S>>& table, S& s, const nlohmann::json& j, const std::string& where);
template <class S>
nlohmann::json params_to_json(const std::vector<Param<S>>& table, const S& s);
template <class S>
void check_params(const std::vector<Param<S>>& table, const S& s, const std::string& where);
// The same with `group` already the full name of the object ("tile", "run.json: tile.wire"):
// its fields are group + "." + key.
template <class S>
void apply_group(const std::vector<Param<S>>& table, S& s, const nlohmann::json& j, const std::string& group);
template <class S>
void check_group(const std::vector<Param<S>>& table, const S& s, const std::string& group);
// Markdown table: key, flag, unit, range, default, doc.
template <class S>
std::string params_markdown(const std::vector<Param<S>>& table);

}  // namespace memtile::core

#include "memtile/core/ParamTable.ipp"
