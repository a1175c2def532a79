#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "TestData.hpp"
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
    BOOST_TEST(std::string(e.what()).find("cfg.json: unknown configuration key 'bogus'") == 0u);
  }
  BOOST_CHECK_THROW(apply_json(d, nlohmann::json{{"g_level", "sixteen"}}, "cfg.json"), InputError);
  BOOST_CHECK_THROW(apply_json(d, nlohmann::json{{"array_size", {1, 2, 3}}}, "cfg.json"), InputError);
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
