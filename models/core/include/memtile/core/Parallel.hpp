// Deterministic parallelism for the engine: a small fixed pool of worker threads that runs
// independent tasks, each writing its own part of the output. Which thread runs a task never
// changes a result (no task reads another's output, and every reduction across tasks is done
// afterwards, by the caller, in task order), so the results are bit-identical for any thread
// count. Threads claim the next task as they become free (a core busy elsewhere takes fewer).
#pragma once
#include <cstddef>
#include <functional>

namespace memtile::core {

// The thread count a setting means: 0 = hardware concurrency (at least 1).
int resolve_threads(int requested);

// Runs fn(t) for t = 0 .. tasks-1 on up to `threads` threads (the caller is one of them);
// returns when all are done. Each thread claims the next unclaimed task until none is left. A
// call from inside a task runs its tasks inline (no nesting).
// The first exception thrown by a task is rethrown here after all tasks finished.
void parallel_for(int threads, std::size_t tasks, const std::function<void(std::size_t)>& fn);

}  // namespace memtile::core
