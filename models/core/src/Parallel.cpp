#include "memtile/core/Parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace memtile::core {
namespace {

thread_local bool in_task = false;

// Persistent workers (created on first use, grown on demand, joined at exit): a parallel
// region costs two condition-variable hand-offs, not thread creation.
class Pool {
 public:
  static Pool& instance() {
    static Pool p;
    return p;
  }

  void run(int threads, std::size_t tasks, const std::function<void(std::size_t)>& fn) {
    std::unique_lock<std::mutex> region(region_mutex_);  // one parallel region at a time
    grow(threads - 1);
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      tasks_ = tasks;
      next_.store(0);
      parts_ = threads;
      pending_ = threads - 1;
      error_ = nullptr;
      ++generation_;
    }
    cv_.notify_all();
    run_part(0);
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

 private:
  void grow(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      const int id = static_cast<int>(workers_.size()) + 1;  // part 0 is the caller
      std::lock_guard<std::mutex> lk(m_);
      workers_.emplace_back([this, id, gen = generation_] { loop(id, gen); });
    }
  }

  void loop(int id, unsigned long long seen) {
    in_task = true;
    while (true) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (id >= parts_) continue;  // this region uses fewer threads
      lk.unlock();
      run_part(id);
      lk.lock();
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  void run_part(int id) {
    (void)id;
    const bool outer = in_task;
    in_task = true;
    try {
      // Tasks are claimed one at a time (a busy core, e.g. one running the float reference of
      // `memtile run`, takes fewer): which thread runs a task changes no result.
      for (std::size_t t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) (*fn_)(t);
    } catch (...) {
      std::lock_guard<std::mutex> lk(m_);
      if (!error_) error_ = std::current_exception();
    }
    in_task = outer;
  }

  std::mutex region_mutex_, m_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};  // the next task to claim
  int parts_ = 1;
  int pending_ = 0;
  unsigned long long generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  // Read once: glibc answers hardware_concurrency() by opening and reading
  // /sys/devices/system/cpu/online, three system calls per parallel region otherwise (about ten
  // per LeNet-5 batch, each several microseconds on a VM).
  static const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return cores;
}

void parallel_for(int threads, std::size_t tasks, const std::function<void(std::size_t)>& fn) {
  const int t = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), tasks));
  if (t <= 1 || in_task) {
    for (std::size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  Pool::instance().run(t, tasks, fn);
}

}  // namespace memtile::core
