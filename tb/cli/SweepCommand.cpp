// `memtile sweep`: design-space sweeps and Monte Carlo over the accelerator's configuration
// (docs/sweep.md). The spec expands into tasks (point x seed, SweepSpec); every task is one
// child `memtile run` (or `memtile dot`) process with the point's configuration: SystemC
// elaborates one simulation per process, so a child per task is what lets points with
// different geometries run at all, and it isolates them. Workers are child slots within a
// rank; ranks (mpirun) take tasks from rank 0 one at a time as their slots free up (dynamic
// scheduling: points differ in cost by orders of magnitude).
//
// Rank 0 is the only writer of --out: each finished task becomes points/task-NNNNNN.json,
// written to a temporary name, fsynced and renamed (atomic, durable), before it counts as done.
// A rerun with the same --out skips tasks whose file holds the same inputs; the tables are
// assembled from these files in task order, so their bytes do not depend on ranks, workers,
// order of completion or interruptions. Wall seconds, which do, live in timing.csv only.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "Commands.hpp"
#include "Mpi.hpp"
#include "SweepSpec.hpp"
#include "memtile/core/Errors.hpp"

extern char** environ;

namespace memtile::cli {
namespace {

using core::InputError;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

enum Tag : int { kReady = 1, kTask = 2, kStop = 3, kResult = 4, kDone = 5 };

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Atomic and durable: the data reaches the disk under a temporary name, then the rename, then
// the folder entry. A reader (or a rerun after a crash) sees the old file or the whole new one.
void write_durable(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  core::require(fd >= 0, path, std::string("cannot write: ") + std::strerror(errno));
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw InputError(path + ": write failed: " + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  core::require(synced, path, "fsync failed");
  core::require(std::rename(tmp.c_str(), path.c_str()) == 0, path, "cannot rename the temporary file into place");
  const std::string dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string task_file(const std::string& out, std::size_t task) {
  char name[40];
  std::snprintf(name, sizeof name, "task-%06zu.json", task);
  return out + "/points/" + name;
}

std::string format_duration(double s) {
  std::ostringstream o;
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) o << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t / 60) % 60 << "m";
  else if (t >= 60) o << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
  else o << t << "s";
  return o.str();
}

// One child process: a task's `memtile run`/`memtile dot`, in its own folder under the rank's
// scratch space.
struct Child {
  std::size_t task = 0;
  pid_t pid = -1;
  std::string dir;
  Clock::time_point start;
};

class TaskLauncher {
 public:
  TaskLauncher(const sweep::Plan& plan, std::string scratch) : plan_(plan), scratch_(std::move(scratch)) {
    // The children are single runs, not ranks of this job.
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (kv.rfind("MEMTILE_NO_MPI=", 0) == 0) continue;
      env_.push_back(kv);
    }
    env_.push_back("MEMTILE_NO_MPI=1");
  }

  Child start(std::size_t task) {
    Child c;
    c.task = task;
    c.dir = scratch_ + "/task-" + std::to_string(task);
    fs::create_directories(c.dir);
    if (plan_.kind == sweep::Workload::Dot) {
      if (!operands_ready_) {
        sweep::write_dot_operands(plan_, scratch_);
        operands_ready_ = true;
      }
      for (const char* n : {"a.npy", "b.npy"}) fs::create_symlink(scratch_ + "/" + n, c.dir + "/" + n);
    }
    {
      std::ofstream cfg(c.dir + "/config.json");
      cfg << plan_.point_configs[plan_.point_of(task)].dump() << "\n";
      core::require(cfg.good(), c.dir + "/config.json", "cannot write the task's configuration (scratch space full?)");
    }
    std::vector<std::string> args{self_exe()};
    for (auto& a : plan_.child_args(task, c.dir)) args.push_back(a);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string out = c.dir + (plan_.kind == sweep::Workload::Dot ? "/report.json" : "/stdout.txt");
    const std::string err = c.dir + "/stderr.txt";
    const pid_t parent = ::getpid();
    c.start = Clock::now();
    c.pid = ::fork();
    if (c.pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (c.pid == 0) {
      // A rank that dies (killed, aborted) takes its children with it: no orphan finishes a
      // task nobody will collect.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o >= 0) ::dup2(o, 1);
      if (e >= 0) ::dup2(e, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    return c;
  }

  // The finished child's result message: {task, ok, report | error, wall_seconds}.
  json collect(const Child& c, int status) {
    const double wall = std::chrono::duration<double>(Clock::now() - c.start).count();
    json r{{"task", c.task}, {"wall_seconds", wall}};
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code == 0) {
      try {
        r["report"] = json::parse(read_text(c.dir + "/report.json"));
        r["ok"] = true;
      } catch (const json::exception& e) {
        r["ok"] = false;
        r["exit"] = 1;
        r["error"] = std::string("unreadable report: ") + e.what();
      }
    } else {
      std::string err = read_text(c.dir + "/stderr.txt");
      while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
      const auto nl = err.find_last_of('\n');
      r["ok"] = false;
      r["exit"] = code;
      r["error"] = nl == std::string::npos ? err : err.substr(nl + 1);
    }
    std::error_code ec;
    fs::remove_all(c.dir, ec);
    return r;
  }

 private:
  static std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) throw std::runtime_error("cannot find the memtile executable (/proc/self/exe)");
    return std::string(buf, static_cast<std::size_t>(n));
  }
  const sweep::Plan& plan_;
  std::string scratch_;
  std::vector<std::string> env_;
  bool operands_ready_ = false;
};

class Progress {
 public:
  Progress(std::size_t total, std::size_t already, bool enabled)
      : total_(total), already_(already), enabled_(enabled && ::isatty(2)), t0_(Clock::now()) {}
  void update(std::size_t done) {
    if (!enabled_) return;
    const double el = std::chrono::duration<double>(Clock::now() - t0_).count();
    const std::size_t now = done - already_;
    std::cerr << "\r[sweep] " << done << "/" << total_ << " tasks (point x seed)  elapsed " << format_duration(el);
    if (now > 0 && done < total_) std::cerr << "  ETA " << format_duration(el / now * (total_ - done));
    std::cerr << "   " << std::flush;
  }
  void finish() {
    if (enabled_) std::cerr << "\n";
  }

 private:
  std::size_t total_, already_;
  bool enabled_;
  Clock::time_point t0_;
};

struct SweepOptions {
  std::string spec, out;
  int workers = 0;
  bool quiet = false;
  bool json = false;
};

// Rank 0's view of --out: lock, spec check, finished tasks.
struct OutDir {
  std::string path;
  int lock_fd = -1;
  std::vector<bool> done;
  ~OutDir() {
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

void prepare_out(OutDir& d, const sweep::Plan& plan, const std::string& spec_path) {
  fs::create_directories(d.path + "/points");
  d.lock_fd = ::open((d.path + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  core::require(d.lock_fd >= 0 && ::flock(d.lock_fd, LOCK_EX | LOCK_NB) == 0, d.path,
                "another sweep is writing this folder (or it is not writable)");
  const std::string spec_text = read_text(spec_path);
  const std::string copy = d.path + "/spec.json";
  if (fs::exists(copy)) {
    json a, b;
    try {
      a = json::parse(read_text(copy));
      b = json::parse(spec_text);
    } catch (const json::exception&) {
    }
    core::require(a == b, d.path, "holds a sweep of a different spec (spec.json differs): use another --out");
  } else {
    write_durable(copy, spec_text);
  }
  d.done.assign(plan.tasks(), false);
  for (const auto& e : fs::directory_iterator(d.path + "/points")) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") fs::remove(e.path());  // a write that never finished
  }
  for (std::size_t t = 0; t < plan.tasks(); ++t) {
    const std::string f = task_file(d.path, t);
    if (!fs::exists(f)) continue;
    json j;
    try {
      j = json::parse(read_text(f));
    } catch (const json::exception&) {
      throw InputError(f + ": not a finished task file (remove it to recompute the task)");
    }
    core::require(j.value("key", std::string()) == plan.task_key(t), f,
                  "was computed with other inputs (a preset or file the spec names changed): use another --out");
    d.done[t] = true;
  }
}

}  // namespace

Runner add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Design-space sweep / Monte Carlo: every point x seed of a spec (grid, random samples or\n"
      "explicit points over any configuration field) through `memtile run` or `memtile dot`,\n"
      "scheduled over --workers per rank and over MPI ranks (mpirun -np N memtile sweep ...).\n"
      "Writes DIR/results.csv, DIR/summary.csv, DIR/timing.csv; resumes an interrupted DIR.\n"
      "docs/sweep.md describes the spec.");
  cmd->add_option("--spec", o->spec, "Sweep spec (JSON)")->required();
  cmd->add_option("--out", o->out, "Output folder (created; rerun with the same folder to resume)")->required();
  cmd->add_option("--workers", o->workers,
                  "Concurrent tasks per rank [cores of this node / ranks on this node]");
  cmd->add_flag("--quiet", o->quiet, "No progress line");
  add_json_flag(cmd, o->json);

  return [cmd, o]() -> int {
    const mpi::Session& mpi = mpi::Session::current();
    const bool root = mpi.rank() == 0;
    core::require(!cmd->count("--workers") || o->workers >= 1, "--workers", "must be >= 1");
    // Rank 0 reads and checks everything, then hands the same plan (or the error) to all.
    sweep::Plan plan;
    OutDir out;
    out.path = o->out;
    std::string message;
    if (root) {
      json m;
      try {
        plan = sweep::load_plan(o->spec);
        prepare_out(out, plan, o->spec);
        m = {{"plan", plan.to_json()}};
      } catch (const InputError& e) {
        m = {{"error", e.what()}};
      } catch (const fs::filesystem_error& e) {  // --out not creatable or readable
        m = {{"error", o->out + ": " + e.code().message() + " (" + e.what() + ")"}};
      } catch (const std::exception& e) {  // the other ranks must hear of it, not wait forever
        m = {{"error", e.what()}, {"internal", true}};
      }
      message = m.dump();
    }
    if (mpi.active()) mpi::broadcast(message, 0);
    const json m = json::parse(message);
    if (m.contains("error")) {
      const bool internal = m.value("internal", false);
      // Every rank returns: this error is everyone's, no rank is left waiting.
      if (root) std::cerr << "memtile: " << (internal ? "internal error: " : "error: ") << m["error"].get<std::string>() << "\n";
      return internal ? 1 : 2;
    }
    if (!root) plan = sweep::Plan::from_json(m["plan"]);

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int workers = o->workers > 0 ? o->workers : std::max(1, static_cast<int>(cores) / std::max(1, mpi.local_size()));
    const char* tmp = std::getenv("TMPDIR");
    std::string scratch = std::string(tmp && *tmp ? tmp : "/tmp") + "/memtile-sweep-XXXXXX";
    core::require(::mkdtemp(scratch.data()) != nullptr, scratch, "cannot create the scratch folder");
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    } cleanup{scratch};
    TaskLauncher runner(plan, scratch);

    std::deque<std::size_t> queue;  // rank 0: tasks not yet handed out, in task order
    std::size_t done_count = 0;
    if (root)
      for (std::size_t t = 0; t < plan.tasks(); ++t) {
        if (out.done[t]) ++done_count;
        else queue.push_back(t);
      }
    const std::size_t already = done_count;
    Progress progress(plan.tasks(), already, root && !o->quiet);
    progress.update(done_count);
    json failure;  // rank 0: the first failed task
    std::vector<Child> running;
    std::vector<json> finished;  // rank 0: results not yet written
    std::vector<bool> rank_done(static_cast<std::size_t>(mpi.size()), false);
    rank_done[0] = true;
    int ranks_left = mpi.size() - 1;
    bool requested = false, stopped = false;

    auto handle = [&](const json& r) {  // rank 0
      if (r.at("ok").get<bool>()) {
        const std::size_t t = r["task"];
        json f{{"task", t}, {"point", plan.point_of(t)}, {"seed", plan.seeds[plan.seed_index_of(t)]},
               {"key", plan.task_key(t)}, {"wall_seconds", r["wall_seconds"]}, {"report", r["report"]}};
        write_durable(task_file(out.path, t), f.dump() + "\n");
        ++done_count;
        progress.update(done_count);
      } else if (failure.is_null()) {
        failure = r;
      }
    };

    try {
    while (true) {
      bool busy = false;
      // Finished children.
      for (std::size_t i = 0; i < running.size();) {
        int status = 0;
        const pid_t p = ::waitpid(running[i].pid, &status, WNOHANG);
        if (p == running[i].pid) {
          json r = runner.collect(running[i], status);
          if (root) finished.push_back(std::move(r));
          else mpi::send(r.dump(), 0, kResult);
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
          busy = true;
        } else {
          ++i;
        }
      }
      if (root) {
        std::string text;
        int src = 0, tag = 0;
        while (mpi.active() && mpi::try_recv(text, src, tag)) {
          busy = true;
          if (tag == kReady) {
            if (!queue.empty() && failure.is_null()) {
              mpi::send(std::to_string(queue.front()), src, kTask);
              queue.pop_front();
            } else {
              mpi::send("", src, kStop);
            }
          } else if (tag == kResult) {
            finished.push_back(json::parse(text));
          } else if (tag == kDone) {
            if (!rank_done[static_cast<std::size_t>(src)]) --ranks_left;
            rank_done[static_cast<std::size_t>(src)] = true;
          }
        }
        // A failed task stops the hand-out before the next start.
        for (const json& r : finished)
          if (!r.at("ok").get<bool>() && failure.is_null()) failure = r;
        while (static_cast<int>(running.size()) < workers && !queue.empty() && failure.is_null()) {
          running.push_back(runner.start(queue.front()));
          queue.pop_front();
          busy = true;
        }
        // Results are made durable after the free workers got their next task, so the fsyncs
        // overlap the simulations instead of delaying them.
        for (const json& r : finished) handle(r);
        finished.clear();
        if (running.empty() && (queue.empty() || !failure.is_null()) && ranks_left == 0) break;
      } else {
        if (!requested && !stopped && static_cast<int>(running.size()) < workers) {
          mpi::send("", 0, kReady);
          requested = true;
        }
        std::string text;
        int src = 0, tag = 0;
        while (mpi::try_recv(text, src, tag, 0)) {
          busy = true;
          requested = false;
          if (tag == kTask) running.push_back(runner.start(std::stoul(text)));
          else if (tag == kStop) stopped = true;
        }
        if (stopped && running.empty()) {
          mpi::send("", 0, kDone);
          break;
        }
      }
      if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    } catch (const std::exception& e) {
      // The other ranks wait for this one: end the job rather than leave them hanging.
      if (mpi.active() && mpi.size() > 1) {
        progress.finish();
        std::cerr << "memtile: error: " << e.what() << "\n";
        mpi.abort(dynamic_cast<const InputError*>(&e) ? 2 : 1);
      }
      throw;
    }
    progress.finish();
    if (!root) return 0;  // rank 0 reports and writes the tables

    if (!failure.is_null()) {
      const int code = failure.value("exit", 1);
      std::cerr << "memtile: error: " << o->spec << ": " << plan.describe(failure["task"]) << " failed (exit " << code
                << "): " << failure.value("error", std::string()) << "\n"
                << "memtile: " << done_count << " of " << plan.tasks() << " tasks are done in " << out.path
                << "; rerun the same command to finish the rest\n";
      return code == 2 ? 2 : 1;
    }
    std::vector<json> reports(plan.tasks());
    std::vector<double> walls(plan.tasks());
    for (std::size_t t = 0; t < plan.tasks(); ++t) {
      const json f = json::parse(read_text(task_file(out.path, t)));
      reports[t] = f.at("report");
      walls[t] = f.at("wall_seconds");
    }
    write_durable(out.path + "/results.csv", sweep::results_csv(plan, reports));
    write_durable(out.path + "/summary.csv", sweep::summary_csv(plan, reports));
    write_durable(out.path + "/timing.csv", sweep::timing_csv(plan, walls));
    if (o->json) {
      std::cout << json{{"tasks", plan.tasks()},
                        {"points", plan.point_configs.size()},
                        {"seeds", plan.seeds.size()},
                        {"already_done", already},
                        {"ranks", mpi.size()},
                        {"workers", workers},
                        {"results", out.path + "/results.csv"},
                        {"summary", out.path + "/summary.csv"},
                        {"timing", out.path + "/timing.csv"}}
                       .dump(2)
                << std::endl;
      return 0;
    }
    std::cout << "tasks      " << plan.tasks() << " (" << plan.point_configs.size() << " points x " << plan.seeds.size()
              << " seeds), " << already << " already done, " << plan.tasks() - already << " run on " << mpi.size()
              << (mpi.size() == 1 ? " rank" : " ranks") << " x " << workers << " workers\n"
              << "results    " << out.path << "/results.csv\n"
              << "summary    " << out.path << "/summary.csv\n"
              << "timing     " << out.path << "/timing.csv\n";
    return 0;
  };
}

}  // namespace memtile::cli
