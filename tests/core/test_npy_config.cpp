#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "TestData.hpp"
#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Npy.hpp"

using namespace memtile::core;
namespace fs = std::filesystem;

namespace {
fs::path tmpdir() {
  fs::path p = fs::temp_directory_path() / ("memtile_test_io_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}
void write_raw(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}
std::string npy_header(const std::string& dict) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64) h.push_back(' ');
  h.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h;
}
std::string message_of(const std::string& path) {
  try {
    read_npy(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(io)

BOOST_AUTO_TEST_CASE(npy_round_trip_1d_and_2d) {
  const fs::path d = tmpdir();
  const Eigen::MatrixXd m = memtile::test::randn(3, 5, 1);
  write_npy((d / "m.npy").string(), m);
  const NpyArray r = read_npy((d / "m.npy").string());
  BOOST_TEST(r.ndim == 2);
  BOOST_TEST((r.data.array() == m.array()).all());
  write_npy((d / "v.npy").string(), m.row(1), 1);
  const NpyArray v = read_npy((d / "v.npy").string());
  BOOST_TEST(v.ndim == 1);
  BOOST_TEST((v.data.array() == m.row(1).array()).all());
  // float32, written by hand in C order.
  std::string f32 = npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }");
  const float vals[4] = {1.5f, -2.0f, 3.25f, 0.0f};
  f32.append(reinterpret_cast<const char*>(vals), sizeof vals);
  write_raw(d / "f.npy", f32);
  const NpyArray f = read_npy((d / "f.npy").string());
  BOOST_TEST(f.data(0, 1) == -2.0);
  BOOST_TEST(f.data(1, 0) == 3.25);
  fs::remove_all(d);
}

BOOST_AUTO_TEST_CASE(bad_npy_files_name_the_file_and_the_problem) {
  const fs::path d = tmpdir();
  const std::string p = (d / "x.npy").string();
  BOOST_TEST(message_of((d / "missing.npy").string()).find("cannot open") != std::string::npos);
  write_raw(p, "hello world, not numpy");
  BOOST_TEST(message_of(p).find("bad magic") != std::string::npos);
  write_raw(p, npy_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }") + std::string(16, '\0'));
  BOOST_TEST(message_of(p).find("unsupported dtype") != std::string::npos);
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }") + std::string(32, '\0'));
  BOOST_TEST(message_of(p).find("Fortran") != std::string::npos);
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }") + std::string(8, '\0'));
  BOOST_TEST(message_of(p).find("truncated") != std::string::npos);
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }"));
  BOOST_TEST(message_of(p).find("1-D or 2-D") != std::string::npos);
  write_raw(p, npy_header("{'descr': '<f8', 'shape': (2, 2), }"));
  BOOST_TEST(message_of(p).find("malformed") != std::string::npos);
  BOOST_TEST(message_of(p).find(p) == 0u);
  fs::remove_all(d);
}

// Hostile .npy files (issue: outside campaign + libFuzzer). Each is the minimal reproducer.
BOOST_AUTO_TEST_CASE(hostile_npy_headers) {
  const fs::path d = tmpdir();
  const std::string p = (d / "h.npy").string();
  // A 128-byte file claiming 30000 x 30000 float32 zeroed 3.4 GB before "truncated data":
  // now refused from the file size, before allocating.
  // (held as float64 that is 7.2 GB, beyond the default bound; 20000 x 20000 is within it).
  write_raw(p, npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (30000, 30000), }"));
  BOOST_TEST(fs::file_size(p) == 128u);
  std::string e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find("memory bound") != std::string::npos, e);
  write_raw(p, npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }"));
  BOOST_TEST(fs::file_size(p) == 128u);
  e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find("truncated data") != std::string::npos && e.find("0 bytes after the header") != std::string::npos, e);
  // rows * cols overflowed int64 (UBSan, libFuzzer) and bypassed the size check.
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967297), }"));
  e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find(p + ": shape") == 0u && e.find("overflows 64-bit") != std::string::npos, e);
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }"));
  BOOST_CHECK_MESSAGE(message_of(p).find("malformed npy header") != std::string::npos, message_of(p));
  // Declared sizes beyond the memory bound are refused naming the field.
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"));
  e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find("memory bound of 4 GiB") != std::string::npos && e.find("--max-memory") != std::string::npos, e);
  // A corrupted header length was accepted and the data read from the wrong offset (exit 0).
  {
    std::string good = npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }");
    const double v[2] = {1.0, 2.0};
    good.append(reinterpret_cast<const char*>(v), sizeof v);
    std::string shorter = good, longer = good;
    shorter[8] = static_cast<char>(static_cast<unsigned char>(shorter[8]) - 8);
    longer[8] = static_cast<char>(static_cast<unsigned char>(longer[8]) + 8);
    write_raw(p, good);
    BOOST_TEST(read_npy(p).data(0, 1) == 2.0);
    for (const std::string& bad : {shorter, longer}) {
      write_raw(p, bad);
      e = message_of(p);
      BOOST_CHECK_MESSAGE(e.find("header length") != std::string::npos, e);
    }
  }
  // Raw header bytes were pasted into the message (multi-line): now escaped, one line.
  write_raw(p, npy_header("{'descr': '<f8\n\x01\xff', 'fortran_order': False, 'shape': (2,), }") + std::string(16, '\0'));
  e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find("unsupported dtype") != std::string::npos && e.find('\n') == std::string::npos &&
                          e.find("\\x0a") != std::string::npos, e);
  write_raw(p, npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,\n3), }") + std::string(48, '\0'));
  e = message_of(p);
  BOOST_CHECK_MESSAGE(e.find('\n') == std::string::npos, e);
  // Non-finite values are refused at the boundary, naming the element.
  {
    std::string nan = npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }");
    const double v[4] = {1.0, 2.0, std::nan(""), 4.0};
    nan.append(reinterpret_cast<const char*>(v), sizeof v);
    write_raw(p, nan);
    e = message_of(p);
    BOOST_CHECK_MESSAGE(e.find("element 2 (row 1, column 0) is NaN or Inf") != std::string::npos, e);
  }
  fs::remove_all(d);
}

BOOST_AUTO_TEST_CASE(checked_sizes) {
  auto err = [](auto&& f) {
    try {
      f();
    } catch (const SizeError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BOOST_TEST(checked_count({}, 8, "t") == 1);
  BOOST_TEST(checked_count({3, 0, 5}, 8, "t") == 0);
  BOOST_TEST(checked_count({1 << 20, 64}, 8, "t") == (std::int64_t(1) << 26));
  BOOST_TEST(err([] { checked_count({-1, 2}, 8, "t"); }).find("t: negative dimension") == 0u);
  BOOST_TEST(err([] { checked_count({std::int64_t(1) << 32, std::int64_t(1) << 32}, 1, "t"); }).find("overflows") != std::string::npos);
  // Zero-sized, but the strides of the other dims would overflow.
  BOOST_TEST(err([] { checked_count({0, std::int64_t(1) << 40, std::int64_t(1) << 40}, 8, "t"); }).find("overflows") != std::string::npos);
  // Exactly at the bound passes; one element more fails.
  const std::int64_t at = static_cast<std::int64_t>(max_memory_bytes() / 8);
  BOOST_TEST(checked_count({at}, 8, "t") == at);
  BOOST_TEST(err([&] { checked_count({at + 1}, 8, "t"); }).find("memory bound of 4 GiB") != std::string::npos);
  BOOST_TEST(err([] { checked_mul(std::int64_t(1) << 62, 4, "m"); }).find("m: size") == 0u);
  BOOST_TEST(parse_memory_size("4G", "x") == (std::uint64_t(4) << 30));
  BOOST_TEST(parse_memory_size("512MiB", "x") == (std::uint64_t(512) << 20));
  BOOST_TEST(parse_memory_size("1000", "x") == 1000u);
  BOOST_CHECK_THROW(parse_memory_size("", "x"), InputError);
  BOOST_CHECK_THROW(parse_memory_size("4Q", "x"), InputError);
  BOOST_CHECK_THROW(parse_memory_size("0", "x"), InputError);
  BOOST_CHECK_THROW(parse_memory_size("99999999999999999999", "x"), InputError);
  BOOST_CHECK_THROW(parse_memory_size("99999999999T", "x"), InputError);
}

BOOST_AUTO_TEST_CASE(config_validation_names_the_field) {
  auto error_of = [](auto&& tweak) {
    EngineConfig c;
    tweak(c);
    try {
      c.validate();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BOOST_TEST(error_of([](EngineConfig&) {}).empty());
  BOOST_TEST(error_of([](EngineConfig& c) { c.HGS = c.LGS; }).find("HGS") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.g_level = 1; }).find("g_level") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.radc = 1; }).find("radc") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.rdac = 0; }).find("rdac") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.var = -0.1; }).find("var") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.xblk = {1}; }).find("xblk") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.mblk = {16, 16, 1}; }).find("mblk") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.mblk = {8}; }).find("g_level is 16") != std::string::npos);
  BOOST_TEST(error_of([](EngineConfig& c) { c.wire_resistance = -1; }).find("wire_resistance") == 0u);
  BOOST_TEST(error_of([](EngineConfig& c) { c.LGS = std::nan(""); }).find("LGS") == 0u);
  BOOST_CHECK_THROW(MatrixEngine([] { EngineConfig c; c.vread = 0; return c; }()), InputError);
}

BOOST_AUTO_TEST_CASE(json_config_round_trips_and_rejects_unknown_keys) {
  EngineConfig c;
  c.mode = EngineMode::FloatingPoint;
  c.array_rows = 64;
  c.xblk = {1, 2, 3};
  c.weight_encoding = WeightEncoding::Differential;
  EngineConfig d;
  apply_json(d, to_json(c), "test");
  BOOST_TEST(to_json(d) == to_json(c));
  BOOST_CHECK_THROW(apply_json(d, nlohmann::json{{"hgs", 1e-5}}, "cfg.json"), InputError);
  try {
    apply_json(d, nlohmann::json{{"bogus", 1}}, "cfg.json");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("cfg.json: bogus: unknown key") == 0u);
  }
  BOOST_CHECK_THROW(apply_json(d, nlohmann::json{{"g_level", "sixteen"}}, "cfg.json"), InputError);
  BOOST_CHECK_THROW(apply_json(d, nlohmann::json{{"array_size", {1, 2, 3}}}, "cfg.json"), InputError);
  // Regression: JSON integers above 2^31 were narrowed (g_level 4294967552 -> 256,
  // array_size [4294967328, 32] -> [32, 32]) and accepted.
  auto msg = [&](const nlohmann::json& j) {
    try {
      EngineConfig c;
      apply_json(c, j, "cfg.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string e = msg(nlohmann::json::parse(R"({"g_level": 4294967552})"));
  BOOST_CHECK_MESSAGE(e.find("cfg.json: g_level: 4294967552 is not an integer in") == 0u, e);
  e = msg(nlohmann::json::parse(R"({"array_size": [4294967328, 32]})"));
  BOOST_CHECK_MESSAGE(e.find("cfg.json: array_size: 4294967328") != std::string::npos, e);
  e = msg(nlohmann::json::parse(R"({"radc": 2.5})"));
  BOOST_CHECK_MESSAGE(e.find("cfg.json: radc: has the wrong type (must be an integer") != std::string::npos, e);
  e = msg(nlohmann::json::parse(R"({"seed": -1})"));
  BOOST_CHECK_MESSAGE(e.find("cfg.json: seed") != std::string::npos, e);
  e = msg(nlohmann::json::parse(R"({"seed": 18446744073709551615})"));
  BOOST_CHECK_MESSAGE(e.empty(), e);
  e = msg(nlohmann::json{{"HGS", std::numeric_limits<double>::infinity()}});
  BOOST_CHECK_MESSAGE(e.find("cfg.json: HGS: must be a finite number") != std::string::npos, e);
  // Finite but absurd: var 1e29 made every energy NaN. Bounded at validation.
  EngineConfig huge_var;
  huge_var.var = 1e29;
  BOOST_CHECK_THROW(huge_var.validate(), InputError);
}

BOOST_AUTO_TEST_CASE(writes_are_atomic) {
  const fs::path d = tmpdir();
  BOOST_CHECK_THROW(write_npy((d / "no_such_dir" / "x.npy").string(), Eigen::MatrixXd::Ones(2, 2)), InputError);
  BOOST_TEST(!fs::exists(d / "no_such_dir"));
  for (auto& e : fs::directory_iterator(d)) BOOST_TEST_MESSAGE("left: " << e.path());
  BOOST_TEST(fs::is_empty(d));
  fs::remove_all(d);
}

BOOST_AUTO_TEST_SUITE_END()
