// Data-parallel `memtile run` under mpirun/srun: every rank programs the same network (same
// seed, so the same devices) and runs a contiguous share of the images; the report is reduced
// to what one process running all images reports.
//
// The shares are cut at the single-process run's batch boundaries (image 0 alone, then
// batches of --batch), so every rank simulates exactly the batches the single process would.
// Counts (images correct, conversions, reads, vectors, batches) are summed exactly. Energies
// and busy times, which the single process sums batch after batch, are summed per rank and
// then across ranks in rank order: ((b1 + b2) + (b3 + b4)) instead of (((b1 + b2) + b3) + b4),
// a difference of a few units in the last place (relative ~1e-16 per rank), documented in
// docs/sweep.md. Values the single process takes from its first image or its programming
// (latency of image 0, programming energy, area, geometry) come from rank 0, which ran image 0
// and programmed the same arrays.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

namespace memtile::cli::parallel {

struct Share {
  std::int64_t begin = 0, end = 0;  // images [begin, end) of this rank
};

// This rank's images out of n with batches of `batch` (image 0 alone first); without MPI [0, n).
Share image_share(std::int64_t n, std::int64_t batch);
bool is_root();        // rank 0, or no MPI
bool distributed();    // more than one rank
void sum_exact(std::int64_t& a, std::int64_t& b, std::int64_t& c);
double sum_in_rank_order(double x);
double max_over_ranks(double x);
double from_root(double x);
// The accelerator's summary() of every rank combined into the single-process one (see above);
// `images` is the total, `mapping` the tile group's mapping (layer_pipeline, array_budget).
nlohmann::json reduce_accelerator_summary(const nlohmann::json& summary, std::uint64_t images, bool layer_pipeline,
                                          std::uint64_t array_budget);

}  // namespace memtile::cli::parallel
