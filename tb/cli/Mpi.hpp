// The MPI session of one memtile process: initialised only when a launcher started it
// (mpirun, srun, mpiexec set their rank variables), so a plain `memtile ...` never touches MPI
// and still runs where libmpi is absent from the build. Only point-to-point strings and a few
// integer reductions are needed: the sweep's dispatcher and `memtile run`'s image split.
//
// Every call here is non-blocking or short: OpenMPI's blocking receives spin a core at 100 %,
// which on a shared machine steals it from the simulations the ranks exist to run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace memtile::cli::mpi {

// True when this process was started by an MPI launcher (and memtile was built with MPI).
bool launched();

// RAII session: MPI_Init on construction when launched(), MPI_Finalize on destruction.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_size() const { return local_size_; }  // ranks on this node (1 without MPI)
  bool active() const { return active_; }
  // Ends the whole job at once (MPI_Abort), for a rank that cannot go on; exit() otherwise.
  [[noreturn]] void abort(int code) const;
  // The session sc_main opened (a one-rank stand-in before that).
  static const Session& current();

 private:
  struct Inactive {};
  explicit Session(Inactive) {}
  bool active_ = false;
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

// Point-to-point strings (active sessions only).
void send(const std::string& text, int dest, int tag);
// A pending message from anyone (any_source) or `source`: returns false at once when none.
bool try_recv(std::string& text, int& source, int& tag, int from = -1);
// Everyone receives root's string.
void broadcast(std::string& text, int root);
// Element-wise sum over ranks of int64 (exact) and doubles gathered to every rank in rank order
// (so the caller sums them in a documented, fixed order).
std::vector<std::int64_t> allreduce_sum(const std::vector<std::int64_t>& v);
std::vector<std::string> allgather(const std::string& text);

}  // namespace memtile::cli::mpi
