// memtile._memtile: the numerical engine (memtile::core) from Python. The Python package
// (memtile/__init__.py) wraps it with np.dot semantics and mPimPy's parameter names.
//
// Arrays: float32/float64 numpy arrays of any memory order come in through strided views
// (one copy, into the engine's column-major double matrix); results go out without a copy (a
// numpy view of the engine's column-major result, owned by a capsule). The GIL is released
// while the engine programs or multiplies; one mutex per programmed matrix serialises reads
// of the same arrays from several threads (their read-noise counter and counters advance).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"

namespace py = pybind11;
using memtile::core::EngineConfig;
using memtile::core::InputError;
using memtile::core::MatrixEngine;
using memtile::core::ProgrammedMatrix;

namespace {

// Python value of a parameter -> JSON (what apply_json reads); names the parameter on error.
nlohmann::json to_json_value(const py::handle& v, const std::string& name) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) {
    try {
      return v.cast<long long>();
    } catch (const py::cast_error&) {
      throw py::value_error("parameter '" + name + "': integer out of range");
    }
  }
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  // numpy scalars
  if (py::hasattr(v, "dtype") && py::hasattr(v, "item") && py::getattr(v, "ndim", py::int_(1)).cast<int>() == 0)
    return to_json_value(v.attr("item")(), name);
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v) || py::isinstance<py::array>(v)) {
    nlohmann::json out = nlohmann::json::array();
    for (const py::handle& e : py::iter(v)) out.push_back(to_json_value(e, name));
    return out;
  }
  throw py::type_error("parameter '" + name + "': unsupported type " +
                       py::str(py::type::of(v).attr("__name__")).cast<std::string>());
}

EngineConfig config_from(const py::dict& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : params) {
    const std::string key = py::str(kv.first).cast<std::string>();
    if (kv.second.is_none()) continue;
    j[key] = to_json_value(kv.second, key);
  }
  EngineConfig cfg;
  memtile::core::apply_json(cfg, j, "parameters");
  return cfg;
}

py::object json_to_py(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

// A 1-D or 2-D float32/float64 array -> column-major double matrix; a 1-D array is one row.
template <typename T>
void copy_in(const py::array& a, Eigen::MatrixXd& m) {
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  const py::ssize_t rows = a.ndim() == 1 ? 1 : a.shape(0), cols = a.ndim() == 1 ? a.shape(0) : a.shape(1);
  const auto* data = static_cast<const T*>(a.data());
  // Contiguous arrays (the common case) in one vectorised pass; any other stride element-wise.
  if (a.flags() & py::array::c_style) {
    m = Eigen::Map<const RowMajor>(data, rows, cols).template cast<double>();
    return;
  }
  if (a.ndim() == 2 && (a.flags() & py::array::f_style)) {
    m = Eigen::Map<const ColMajor>(data, rows, cols).template cast<double>();
    return;
  }
  const auto v = a.unchecked<T>();
  if (a.ndim() == 1) {
    m.resize(1, a.shape(0));
    for (py::ssize_t c = 0; c < a.shape(0); ++c) m(0, c) = static_cast<double>(v(c));
  } else {
    m.resize(a.shape(0), a.shape(1));
    for (py::ssize_t c = 0; c < a.shape(1); ++c)
      for (py::ssize_t r = 0; r < a.shape(0); ++r) m(r, c) = static_cast<double>(v(r, c));
  }
}

Eigen::MatrixXd matrix_from(const py::handle& obj, const std::string& name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(name + ": expected a numpy array of float32 or float64, got " +
                         py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  const py::array a = py::reinterpret_borrow<py::array>(obj);
  if (a.ndim() != 1 && a.ndim() != 2)
    throw py::value_error(name + ": expected a 1-D or 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
  if (a.size() == 0) throw py::value_error(name + ": empty array");
  Eigen::MatrixXd m;
  const py::dtype dt = a.dtype();
  if (dt.is(py::dtype::of<double>()) || (dt.kind() == 'f' && dt.itemsize() == 8)) copy_in<double>(a, m);
  else if (dt.kind() == 'f' && dt.itemsize() == 4) copy_in<float>(a, m);
  else
    throw py::type_error(name + ": dtype " + py::str(static_cast<const py::handle&>(dt)).cast<std::string>() + " is not float32 or float64");
  if (!m.allFinite()) throw py::value_error(name + ": contains NaN or Inf");
  return m;
}

// Column-major result as a numpy array without copying (the capsule owns the matrix).
py::array to_numpy(Eigen::MatrixXd&& m, bool as_1d) {
  auto* owned = new Eigen::MatrixXd(std::move(m));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Eigen::MatrixXd*>(p); });
  const py::ssize_t r = owned->rows(), c = owned->cols(), s = sizeof(double);
  if (as_1d)  // one row or one column: contiguous either way
    return py::array(py::dtype::of<double>(), {r * c}, {s}, owned->data(), free_when_done);
  return py::array(py::dtype::of<double>(), {r, c}, {s, r * s}, owned->data(), free_when_done);
}

struct Programmed {
  std::unique_ptr<ProgrammedMatrix> pm;
  std::mutex mu;
  bool w_1d = false;

  // np.dot(x, W) for the programmed W (K x N): x is K (1-D) or B x K.
  py::array multiply(const py::handle& x) {
    Eigen::MatrixXd X = matrix_from(x, "X");
    const bool x_1d = py::reinterpret_borrow<py::array>(x).ndim() == 1;
    if (X.cols() != pm->in_features())
      throw py::value_error("X: shapes do not align: X has " + std::to_string(X.cols()) +
                            (x_1d ? " elements" : " columns") + " but the programmed matrix has " +
                            std::to_string(pm->in_features()) + " rows");
    Eigen::MatrixXd Y;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu);
      Y = pm->multiply(X);
    }
    if (x_1d && w_1d) return py::array(py::float_(Y(0, 0)));
    return to_numpy(std::move(Y), x_1d || w_1d);
  }

  py::dict counters() {
    std::lock_guard<std::mutex> lock(mu);
    const auto& c = pm->counters();
    py::dict d;
    d["vectors"] = c.vectors;
    d["dac_conversions"] = c.dac_conversions;
    d["array_reads"] = c.array_reads;
    d["adc_conversions"] = c.adc_conversions;
    d["read_energy_per_s_j"] = c.read_energy_per_s_j;
    return d;
  }

  // The same multiply timed inside C++ only (for the binding-overhead benchmark): seconds per
  // call, wall clock and process CPU time (the latter robust against other load on the machine).
  std::pair<double, double> cpp_seconds(const py::handle& x, int repeats) {
    if (repeats < 1) throw py::value_error("repeats: must be >= 1");
    const Eigen::MatrixXd X = matrix_from(x, "X");
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu);
    Eigen::MatrixXd Y;
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    for (int k = 0; k < repeats; ++k) Y = pm->multiply(X);
    const std::clock_t c1 = std::clock();
    const auto t1 = std::chrono::steady_clock::now();
    return {std::chrono::duration<double>(t1 - t0).count() / repeats,
            static_cast<double>(c1 - c0) / CLOCKS_PER_SEC / repeats};
  }
};

struct Engine {
  std::unique_ptr<MatrixEngine> engine;
  std::mutex mu;

  explicit Engine(const py::dict& params) { engine = std::make_unique<MatrixEngine>(config_from(params)); }

  std::unique_ptr<Programmed> program(const py::handle& w) {
    Eigen::MatrixXd W = matrix_from(w, "W");
    auto out = std::make_unique<Programmed>();
    out->w_1d = py::reinterpret_borrow<py::array>(w).ndim() == 1;
    if (out->w_1d) W.transposeInPlace();  // a 1-D W is one weight column (np.dot)
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu);
    out->pm = std::make_unique<ProgrammedMatrix>(engine->program(W));
    return out;
  }
};

}  // namespace

PYBIND11_MODULE(_memtile, m) {
  m.doc() = "memtile's numerical engine (C++); use the memtile package";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  py::class_<Programmed>(m, "ProgrammedMatrix")
      .def("multiply", &Programmed::multiply, py::arg("X"))
      .def_property_readonly("counters", &Programmed::counters)
      .def_property_readonly("config", [](Programmed& p) { return json_to_py(to_json(p.pm->config())); })
      .def_property_readonly("in_features", [](Programmed& p) { return p.pm->in_features(); })
      .def_property_readonly("out_features", [](Programmed& p) { return p.pm->out_features(); })
      .def_property_readonly("array_count", [](Programmed& p) { return p.pm->array_count(); })
      .def("_cpp_seconds", &Programmed::cpp_seconds, py::arg("X"), py::arg("repeats") = 1);
  py::class_<Engine>(m, "Engine")
      .def(py::init<const py::dict&>(), py::arg("params"))
      .def("program", &Engine::program, py::arg("W"))
      .def_property_readonly("config", [](Engine& e) { return json_to_py(to_json(e.engine->config())); });
  m.def("default_config", []() { return json_to_py(to_json(EngineConfig{})); });
}
