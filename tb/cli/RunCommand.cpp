// `memtile run`: a trained network on a real dataset through the simulated accelerator, with
// accuracy next to the float model, latency, energy, power and area from the same run.
//
// Every weighted layer (Gemm, MatMul, Conv via im2col) is one SystemC tile of the
// accelerator model (models/sc), programmed once; the digital operations between layers
// (bias, pooling, activations, reshapes) run in the nn executor. `--ideal` runs only the
// float64 reference (no SystemC): its accuracy checks the import against PyTorch's
// (tests/cli/test_cli_ideal.py); its agreement with the float model is 1 by construction.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <future>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "RunParallel.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/Npy.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/EngineBackend.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"
#include "memtile/backends/AcceleratorBackend.hpp"
#include "memtile/backends/AnalogBackend.hpp"
#include "memtile/backends/PlatformBackend.hpp"
#include "memtile/backends/RunConfig.hpp"

#ifndef MEMTILE_NETWORKS_DIR
#define MEMTILE_NETWORKS_DIR "tb/networks"
#endif
#ifndef MEMTILE_BIN_TO_DATA
#define MEMTILE_BIN_TO_DATA "../share"
#endif

namespace memtile::cli {

// Relative to the running binary: <prefix>/bin/memtile -> <prefix>/share/memtile/<folder>/<file>
// (MEMTILE_BIN_TO_DATA and the install rules in tb/CMakeLists.txt); a binary in its build tree
// falls back to `source_dir`, the folder of the source tree it was built from.
std::string data_file_path(const std::string& folder, const std::string& file, const std::string& source_dir) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed =
        (exe.parent_path() / MEMTILE_BIN_TO_DATA / "memtile" / folder / file).lexically_normal();
    if (std::filesystem::exists(installed, ec)) return installed.string();
  }
  return source_dir + "/" + file;
}

std::string default_model_path() { return data_file_path("networks", "lenet5_fmnist.onnx", MEMTILE_NETWORKS_DIR); }

namespace {

using core::InputError;
using nlohmann::json;

// One thread kept for the whole run, beside the accelerator, for the float reference of each
// batch. A thread per batch (std::async) paid for its stack and Eigen's GEMM blocks being
// faulted in again every batch (glibc returns a finished thread's stack pages): about 80 page
// faults per batch, each ~13 us on this VM.
class ReferenceThread {
 public:
  ReferenceThread() : thread_([this] { loop(); }) {}
  ~ReferenceThread() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  ReferenceThread(const ReferenceThread&) = delete;
  ReferenceThread& operator=(const ReferenceThread&) = delete;
  // Runs `job` on the thread; the future holds its result or its exception. One job at a
  // time: the caller waits for the previous future first.
  std::future<Eigen::MatrixXd> submit(std::function<Eigen::MatrixXd()> job) {
    std::packaged_task<Eigen::MatrixXd()> task(std::move(job));
    std::future<Eigen::MatrixXd> result = task.get_future();
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = std::move(task);
    }
    cv_.notify_one();
    return result;
  }

 private:
  void loop() {
    for (;;) {
      std::packaged_task<Eigen::MatrixXd()> task;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return task_.valid() || stop_; });
        if (!task_.valid()) return;
        task = std::move(task_);
      }
      task();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::packaged_task<Eigen::MatrixXd()> task_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

struct RunOptions {
  std::string model = default_model_path();
  std::string dataset = "fashion-mnist";
  std::string config, report, csv, vcd, trace;
  std::int64_t limit = 1000;
  std::int64_t batch = 16;
  std::uint64_t seed = 0;
  int threads = 0;
  std::uint64_t trace_vectors = 0;
  bool ideal = false;
  bool engine_only = false;
  bool quiet = false;
  bool json = false;
  std::string platform = "tiles";
};

using backends::RunConfig;  // the --config file, its top-level groups declared once (RunConfig.hpp)

int argmax(const Eigen::MatrixXd& y, Eigen::Index row) {
  Eigen::Index best = 0;
  y.row(row).maxCoeff(&best);
  return static_cast<int>(best);
}

class Progress {
 public:
  Progress(std::int64_t total, bool enabled) : total_(total), enabled_(enabled && ::isatty(2)) {}
  void update(std::int64_t done, double accuracy) {
    if (!enabled_) return;
    const int width = 30;
    const int filled = static_cast<int>(width * done / std::max<std::int64_t>(1, total_));
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/"
              << total_ << "  accuracy " << std::fixed << std::setprecision(4) << accuracy << std::flush;
  }
  void finish() {
    if (enabled_) std::cerr << "\n";
  }

 private:
  std::int64_t total_;
  bool enabled_;
};

void check_output_path(const std::string& path, const char* what) {
  if (path.empty()) return;
  // Refuse early, before hours of simulation, if the folder does not exist.
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  core::require(::access(dir.c_str(), W_OK) == 0, path, std::string("cannot write the ") + what + " here (no such folder or no permission)");
}

// The output files of a run that fails are removed: nothing half-written stays behind (a VCD and
// trace opened at elaboration would otherwise survive an error in the middle of the run). Files
// that existed before and were not touched by this run are kept.
class OutputFiles {
 public:
  // `paths`: exact files; `rtl_prefix`: also <rtl_prefix>.*.rtl.vcd (the per-tile RTL VCDs).
  OutputFiles(std::vector<std::string> paths, std::string rtl_prefix) : rtl_prefix_(std::move(rtl_prefix)) {
    for (auto& p : paths)
      if (!p.empty()) before_.push_back({p, stamp(p)});
    for (const auto& p : rtl_vcds()) before_.push_back({p, stamp(p)});
  }
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;
  void keep() { keep_ = true; }
  ~OutputFiles() {
    if (keep_) return;
    std::vector<std::pair<std::string, Stamp>> all = before_;
    for (const auto& p : rtl_vcds())
      if (std::none_of(all.begin(), all.end(), [&](const auto& b) { return b.first == p; })) all.push_back({p, Stamp{}});
    for (const auto& [p, was] : all)
      if (stamp(p) != was || !was.exists) std::remove(p.c_str());
  }

 private:
  struct Stamp {
    bool exists = false;
    long long size = 0, mtime_ns = 0;
    bool operator!=(const Stamp& o) const { return exists != o.exists || size != o.size || mtime_ns != o.mtime_ns; }
  };
  static Stamp stamp(const std::string& p) {
    struct ::stat st {};
    if (::stat(p.c_str(), &st) != 0) return {};
    return {true, static_cast<long long>(st.st_size),
            static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
  }
  std::vector<std::string> rtl_vcds() const {
    std::vector<std::string> out;
    if (rtl_prefix_.empty()) return out;
    namespace fs = std::filesystem;
    const fs::path base(rtl_prefix_);
    const fs::path dir = base.has_parent_path() ? base.parent_path() : fs::path(".");
    const std::string stem = base.filename().string() + ".";
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() > stem.size() + 8 && name.compare(0, stem.size(), stem) == 0 &&
          name.compare(name.size() - 8, 8, ".rtl.vcd") == 0)
        out.push_back(it->path().string());
    }
    return out;
  }
  std::string rtl_prefix_;
  std::vector<std::pair<std::string, Stamp>> before_;
  bool keep_ = false;
};

}  // namespace

void validate_run_config(const nlohmann::json& config, const std::string& origin) {
  backends::load_run_config(config, origin).validate(origin);
}

Runner add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a trained network (ONNX) on a dataset through the simulated accelerator: accuracy\n"
      "next to the float model, latency, energy, power and area; JSON report, VCD and trace.");
  cmd->add_option("--model", o->model, "ONNX model (Gemm, MatMul, Conv, Relu, Sigmoid, Tanh, pools, BatchNorm, ...)")
      ->capture_default_str();
  cmd->add_option("--dataset", o->dataset,
                  "fashion-mnist (Debian package test set), fashion-mnist-train, an IDX images path or X_images.npy")
      ->capture_default_str();
  cmd->add_option("--limit", o->limit, "Number of images, the first ones of the dataset (only those are loaded; 0 = all)")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per simulated batch")->capture_default_str();
  std::string groups;  // the file's top-level keys, from their table
  for (const auto& g : backends::run_config_groups()) groups += (groups.empty() ? "" : ", ") + g.name;
  cmd->add_option("--config", o->config,
                  "Run configuration JSON: {" + groups + "} (docs/config.md; presets in configs/presets)");
  cmd->add_option("--seed", o->seed, "Seed of every random draw; layer l uses seed + l [0]");
  cmd->add_option("--threads", o->threads, "Worker threads of the engine; 0 = hardware concurrency; results do not depend on it [config or 0]");
  cmd->add_option("--report", o->report, "Write the JSON report here (written only at the end of a successful run)");
  cmd->add_option("--csv", o->csv, "Write the per-layer table as CSV here");
  cmd->add_option("--vcd", o->vcd,
                  "Write a VCD waveform PATH[.vcd] (per-tile phases, cumulative energies, ADC codes); .vcd is added if missing");
  cmd->add_option("--trace", o->trace, "Write a Perfetto/Chrome trace JSON (load it in ui.perfetto.dev)");
  for (const auto& p : core::trace_params())  // the help text of the trace group's flag comes from its row
    if (p.flag == "--trace-vectors")
      cmd->add_option(p.flag, o->trace_vectors, p.doc + " (" + p.range + ") [config or " + p.get(core::TraceConfig{}).dump() + "]");
  cmd->add_flag("--ideal", o->ideal, "Run the float64 reference only (ONNX import + exact products), no accelerator: its accuracy is the one to compare with PyTorch's; argmax_agreement_with_float is 1 by construction");
  cmd->add_flag("--engine-only", o->engine_only,
                "Numerical engine alone, no SystemC: accuracy only (no latency, energy or traces); fast sweeps");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  add_json_flag(cmd, o->json);
  cmd->add_option("--platform", o->platform,
                  "tiles: one SystemC tile per weighted layer, driven directly; vp: the SoC virtual platform\n"
                  "(driver CPU, bus, memory, AcceleratorTop with CSRs, DMA and IRQ; every layer resident on\n"
                  "its own tiles); analog: the fully analog IMAC-style MLP (selected by a config's\n"
                  "\"analog\" group, e.g. configs/presets/imac_mlp.json)")
      ->check(CLI::IsMember({"tiles", "vp", "analog"}))
      ->capture_default_str();

  return [cmd, o]() -> int {
    core::require(o->limit >= 0, "--limit", "must be >= 0");
    core::require(o->batch >= 1, "--batch", "must be >= 1");
    RunConfig rc = backends::load_run_config_file(o->config);
    if (cmd->count("--seed")) rc.engine.seed = o->seed;
    if (cmd->count("--threads")) rc.engine.threads = o->threads;
    rc.engine.validate();  // --seed/--threads are range-checked by their rows; the file's fields were checked on load
    // The checks between the tile and engine groups name the file (both groups come from it).
    rc.tile.validate(rc.engine, o->config.empty() ? "tile" : o->config + ": tile");
    rc.energy.validate();
    for (auto [p, w] : {std::pair{&o->report, "report"}, {&o->csv, "CSV"}, {&o->vcd, "VCD"}, {&o->trace, "trace"}})
      check_output_path(*p, w);
    if (!o->vcd.empty()) {
      rc.trace.vcd_path = core::vcd_base_path(o->vcd);  // "w.vcd" and "w" both write w.vcd
      o->vcd = rc.trace.vcd_path + ".vcd";
    }
    rc.trace.perfetto_path = o->trace;
    if (cmd->count("--trace-vectors")) rc.trace.trace_vectors = o->trace_vectors;
    OutputFiles outputs({o->report, o->csv, o->vcd, o->trace}, rc.trace.vcd_path);

    const nn::Graph graph = nn::load_onnx(o->model);
    const nn::Dataset data = nn::open_dataset(o->dataset, o->limit);  // the first --limit images only
    const std::int64_t n = o->limit == 0 ? data.size() : std::min<std::int64_t>(o->limit, data.size());
    core::require(n >= 1, o->dataset, "has no images");

    nn::IdealBackend float_backend;
    nn::Executor float_exec(graph, float_backend);
    // The float reference copies a Conv's patches 256 rows at a time (IdealBackend::multiply_rows),
    // the engine's tasks and the SystemC tiles 32 vectors at a time (MatMulBackend::takes_rows):
    // no patch matrix is formed. The vp and analog platforms take formed matrices, in pieces of
    // the executor's default limit (each piece is a job the host sends).
    core::require(!(o->ideal && o->engine_only), "--ideal", "and --engine-only exclude each other");
    core::require(!o->engine_only || (o->vcd.empty() && o->trace.empty() && o->csv.empty()), "--engine-only",
                  "has no SystemC model: no VCD, trace or CSV");
    if (rc.has_analog) {
      core::require(!cmd->count("--platform") || o->platform == "analog", "--platform",
                    o->platform + " conflicts with the configuration's \"analog\" group (fully analog mode)");
      o->platform = "analog";
    }
    if (cmd->count("--seed")) rc.analog.seed = o->seed;
    const bool vp = o->platform == "vp", analog = o->platform == "analog";
    core::require(!analog || (!o->ideal && !o->engine_only), "--platform",
                  "analog runs the analog network: not with --ideal or --engine-only");
    core::require(!analog || (o->vcd.empty() && o->trace.empty() && o->csv.empty()), "--platform",
                  "analog (fully analog IMAC mode) writes no VCD, trace or CSV: it has no clocked steps");
    core::require(!vp || (!o->ideal && !o->engine_only), "--platform", "vp runs the accelerator: not with --ideal or --engine-only");
    core::require(!vp || o->csv.empty(), "--csv", "the per-layer CSV is written by --platform tiles only");
    // Under mpirun: images split across ranks, the report reduced (RunParallel.hpp).
    core::require(!parallel::distributed() || (!vp && !analog && o->csv.empty() && o->vcd.empty() && o->trace.empty()),
                  "mpirun", "data-parallel runs support --platform tiles, --engine-only and --ideal, without --csv, --vcd or --trace");
    const parallel::Share share = parallel::image_share(n, o->batch);
    std::unique_ptr<backends::AcceleratorBackend> accel;
    std::unique_ptr<backends::PlatformBackend> platform;
    std::unique_ptr<backends::AnalogBackend> analog_net;
    std::unique_ptr<nn::EngineBackend> engine;
    std::unique_ptr<nn::Executor> accel_exec;
    if (o->engine_only) {
      engine = std::make_unique<nn::EngineBackend>(rc.engine);
      accel_exec = std::make_unique<nn::Executor>(graph, *engine);
    } else if (analog) {
      analog_net = std::make_unique<backends::AnalogBackend>(rc.analog);
      accel_exec = std::make_unique<nn::Executor>(graph, *analog_net);
    } else if (vp) {
      platform = std::make_unique<backends::PlatformBackend>(rc.engine, rc.tile, rc.energy, rc.trace);
      accel_exec = std::make_unique<nn::Executor>(graph, *platform);
    } else if (!o->ideal) {
      accel = std::make_unique<backends::AcceleratorBackend>(rc.engine, rc.tile, rc.energy, rc.trace);
      accel_exec = std::make_unique<nn::Executor>(graph, *accel);
    }
    backends::AcceleratorRun* hw = accel ? static_cast<backends::AcceleratorRun*>(accel.get())
                                   : platform ? static_cast<backends::AcceleratorRun*>(platform.get())
                                              : static_cast<backends::AcceleratorRun*>(analog_net.get());
    // The simulated hardware built and programmed before the timed loop, as the engine's
    // arrays are (the first batch did it: 4-5 ms of SystemC elaboration in a LeNet-5 run).
    // The dataset's images are checked against the model first: a refusal then comes before
    // any simulation, as it did (a throw after SystemC ran its coroutines is also what
    // AddressSanitizer cannot follow, google/sanitizers#189).
    if (hw && share.begin < share.end) {
      nn::Tensor first;
      std::vector<int> first_labels;
      data.batch(share.begin, 1, first, first_labels);
      accel_exec->check_input(first);
      hw->elaborate();
    }

    std::int64_t correct = 0, float_correct = 0, agree = 0;
    double first_image_ns = 0;  // the first image runs alone: its simulated latency
    Progress progress(share.end - share.begin, !o->quiet && parallel::is_root());
    nn::Tensor images;
    std::vector<int> labels;
    // --ideal runs the reference alone, on this thread.
    std::unique_ptr<ReferenceThread> reference = o->ideal ? nullptr : std::make_unique<ReferenceThread>();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t b0 = share.begin, count = 0; b0 < share.end; b0 += count) {
      count = b0 == 0 ? 1 : std::min(o->batch, share.end - b0);
      data.batch(b0, count, images, labels);
      // The float reference runs on its own thread beside the accelerator (which owns the
      // SystemC kernel and its worker threads): independent work, so no result depends on it.
      // Its errors are reported first, as when the two ran in turn.
      const auto float_job = [&] { return nn::to_matrix(float_exec.run(images)); };
      std::future<Eigen::MatrixXd> float_run =
          reference ? reference->submit(float_job) : std::async(std::launch::deferred, float_job);
      Eigen::MatrixXd ya;
      std::exception_ptr accel_error;
      if (!o->ideal) try {
          ya = nn::to_matrix(accel_exec->run(images));
        } catch (...) {
          accel_error = std::current_exception();
        }
      const Eigen::MatrixXd yf = float_run.get();
      core::require(yf.cols() >= data.num_classes(), o->model,
                    "has " + std::to_string(yf.cols()) + " outputs but the dataset has " +
                        std::to_string(data.num_classes()) + " classes");
      if (accel_error) std::rethrow_exception(accel_error);
      if (o->ideal) ya = yf;
      // Finite weights and inputs can still overflow (inputs of 1e308): fail, do not score NaN logits.
      core::require(yf.allFinite(), o->model,
                    "the float model's outputs are NaN or Inf for images " + std::to_string(b0) + ".." +
                        std::to_string(b0 + count - 1) + " (weights or inputs out of range)");
      core::require(ya.allFinite(), o->model,
                    "the simulated outputs are NaN or Inf for images " + std::to_string(b0) + ".." +
                        std::to_string(b0 + count - 1) + " (configuration, weights or inputs out of range)");
      for (std::int64_t i = 0; i < count; ++i) {
        const int pa = argmax(ya, i), pf = argmax(yf, i);
        correct += pa == labels[i];
        float_correct += pf == labels[i];
        agree += pa == pf;
      }
      if (b0 == 0 && hw) first_image_ns = hw->simulated_ns();
      progress.update(b0 + count - share.begin, static_cast<double>(correct) / static_cast<double>(b0 + count - share.begin));
    }
    progress.finish();
    const double wall_s =
        parallel::max_over_ranks(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    parallel::sum_exact(correct, float_correct, agree);
    first_image_ns = parallel::from_root(first_image_ns);

    json report{{"model", o->model},
                {"dataset", data.name()},
                {"images", n},
                {"accuracy", static_cast<double>(correct) / n},
                {"float_accuracy", static_cast<double>(float_correct) / n},
                {"argmax_agreement_with_float", static_cast<double>(agree) / n},
                {"images_per_second", n / wall_s},
                {"wall_seconds", wall_s},
                {"ideal", o->ideal},
                {"engine_only", o->engine_only},
                {"platform", o->engine_only || o->ideal ? "none" : o->platform}};
    report["configuration"] = {{"engine", core::to_json(rc.engine)}};
    if (hw) {  // one report path for every backend (backends::RunReport)
      const auto images = static_cast<std::uint64_t>(n);
      backends::AcceleratorRun::SummaryReduction reduce;
      if (accel)
        reduce = [&](const json& s) {
          return parallel::reduce_accelerator_summary(s, images, rc.tile.mapping.layer_pipeline, rc.tile.mapping.array_budget);
        };
      backends::RunReport r = hw->report(images, reduce);
      if (r.simulated_ns) {  // clocked backends: image 0 ran alone; the run's time summed over ranks
        r.latency_ns_per_image = first_image_ns;
        r.simulated_ns = parallel::sum_in_rank_order(*r.simulated_ns);
      }
      r.write_json(report, images);
      if (accel && !o->csv.empty()) accel->model().write_summary_csv(o->csv);
    }
    if (!parallel::is_root()) {  // rank 0 writes and prints the reduced report
      outputs.keep();
      return 0;
    }
    require_finite_output(report, o->model);
    if (!o->report.empty()) core::write_file_atomic(o->report, report.dump(2) + "\n");
    if (o->json) {  // the report itself (the same object as --report's file)
      std::cout << report.dump(2) << std::endl;
      outputs.keep();
      return 0;
    }

    std::cout << "model      " << o->model << "\n"
              << "images     " << n << " of " << data.name() << "\n"
              << "accuracy   " << report["accuracy"].get<double>() << "  (float "
              << report["float_accuracy"].get<double>() << ")\n";
    if (hw) {
      std::cout << "latency    " << report["latency_ns_per_image"].get<double>() << " ns per image\n"
                << "energy     " << report["energy_pj_per_image"].get<double>() << " pJ per image\n"
                << "power      " << report["power_mw"].get<double>() << " mW\n"
                << "area       " << report["area_um2"].get<double>() << " um^2\n"
                << "TOPS/W     " << report["tops_per_w"].get<double>() << "\n";
      if (report.contains("hardware_images_per_s"))
        std::cout << "hardware   " << report["hardware_images_per_s"].get<double>() << " images/s (simulated accelerator)\n";
    }
    std::cout << "simulation " << report["images_per_second"].get<double>() << " images/s\n";
    for (auto [p, w] : {std::pair{&o->report, "report"}, {&o->csv, "CSV"}, {&o->vcd, "VCD"}, {&o->trace, "trace"}})
      if (!p->empty() && !(o->ideal && (std::string(w) == "VCD" || std::string(w) == "trace" || std::string(w) == "CSV")))
        std::cout << w << std::string(11 - std::string(w).size(), ' ') << *p << "\n";
    outputs.keep();
    return 0;
  };
}

}  // namespace memtile::cli
