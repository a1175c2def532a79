// How a memtile process uses memory (the CLI and the benchmarks that time it call
// tune_memory first): page faults are a large share of a run on a VM, so the heap keeps its
// memory and is backed by huge pages. Results never depend on it.
#pragma once
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace memtile::cli {

// Transparent huge pages for the heap. On a VM a page fault can cost several microseconds
// (2-13 us measured here), and a run touches its working set page by page: the faults were a
// third of a 512 x 512 dot (program + multiply 67 -> 43 ms with huge pages) and a tenth of the
// CPU of a 1000-image LeNet-5 run. glibc backs malloc's memory with transparent huge pages
// when its tunable glibc.malloc.hugetlb=1 is set, and reads tunables only at start-up: so the
// process executes itself again, once, with it set (no earlier state to lose: nothing has run
// yet). Not when the kernel has THP off, under valgrind (the new image would run outside it),
// when the tunable is already set, or with MEMTILE_HUGE_PAGES=0. A glibc without the tunable
// ignores it.
inline void use_huge_pages(int argc, char** argv) {
  const char* opt = std::getenv("MEMTILE_HUGE_PAGES");
  if (opt && std::string(opt) == "0") return;
  const char* set = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = set ? set : "";
  if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload && std::strstr(preload, "valgrind")) return;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  if (!std::getline(thp, mode) || mode.find("[never]") != std::string::npos || mode.find('[') == std::string::npos) return;
  const std::string value = tunables + (tunables.empty() ? "" : ":") + "glibc.malloc.hugetlb=1";
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  ::execv("/proc/self/exe", args.data());
  // exec failed: carry on with small pages, the environment as it was
  if (set) ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  else ::unsetenv("GLIBC_TUNABLES");
}

// Large Eigen temporaries are allocated and freed per batch: keep them in the heap instead of
// mmap/munmap round trips (page faults were ~13% of a LeNet-5 run). Memory stays flat.
// One arena for every thread: glibc otherwise gives each thread that allocates (the engine's
// worker, `memtile run`'s float reference) an arena of its own, fresh memory faulted in page by
// page over the first batches, while the main heap holds the megabytes that loading and
// programming freed, already faulted in. With one arena the first 64-image LeNet-5 batches
// fault about 15 pages instead of ~2000, and take 12 ms instead of 24, 17 and 12 (steady
// batches: 10 ms). The arena has one lock: the engine's tasks must not allocate (they keep
// per-thread scratch, per row block), or the threads contend for it.
inline void keep_heap_memory() {
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 128 << 20);
  ::mallopt(M_ARENA_MAX, 1);
}

// Both, first thing in main (use_huge_pages may execute the process again).
inline void tune_memory(int argc, char** argv) {
  use_huge_pages(argc, argv);
  keep_heap_memory();
}

}  // namespace memtile::cli
