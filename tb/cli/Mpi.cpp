#include "Mpi.hpp"

#include <cstdlib>
#include <iostream>

#if MEMTILE_HAVE_MPI
#include <mpi.h>
#endif

namespace memtile::cli::mpi {

bool launched() {
#if MEMTILE_HAVE_MPI
  // A sweep's own child processes get MEMTILE_NO_MPI=1 (they are single runs, not ranks).
  if (const char* no = std::getenv("MEMTILE_NO_MPI"); no && *no && std::string(no) != "0") return false;
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
#endif
  return false;
}

namespace {
const Session* g_current = nullptr;
}

const Session& Session::current() {
  static const Session none_yet{Session::Inactive{}};
  return g_current ? *g_current : none_yet;
}

Session::Session() {
  g_current = this;
#if MEMTILE_HAVE_MPI
  if (!launched()) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
#endif
}

Session::~Session() {
  if (g_current == this) g_current = nullptr;
#if MEMTILE_HAVE_MPI
  if (active_) MPI_Finalize();
#endif
}

void Session::abort(int code) const {
#if MEMTILE_HAVE_MPI
  if (active_) {
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, code);
  }
#endif
  std::exit(code);
}

#if MEMTILE_HAVE_MPI
void send(const std::string& text, int dest, int tag) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

bool try_recv(std::string& text, int& source, int& tag, int from) {
  int flag = 0;
  MPI_Status st;
  MPI_Iprobe(from < 0 ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
  if (!flag) return false;
  int count = 0;
  MPI_Get_count(&st, MPI_CHAR, &count);
  text.assign(static_cast<std::size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  source = st.MPI_SOURCE;
  tag = st.MPI_TAG;
  return true;
}

void broadcast(std::string& text, int root) {
  long long n = static_cast<long long>(text.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD);
  text.resize(static_cast<std::size_t>(n));
  MPI_Bcast(text.data(), static_cast<int>(n), MPI_CHAR, root, MPI_COMM_WORLD);
}

std::vector<std::int64_t> allreduce_sum(const std::vector<std::int64_t>& v) {
  std::vector<std::int64_t> out(v.size());
  MPI_Allreduce(v.data(), out.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

std::vector<std::string> allgather(const std::string& text) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int n = static_cast<int>(text.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Allgatherv(text.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r)
    out.push_back(all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(counts[static_cast<std::size_t>(r)])));
  return out;
}
#else
// Without MPI there is one rank and nobody to talk to.
void send(const std::string&, int, int) {}
bool try_recv(std::string&, int&, int&, int) { return false; }
void broadcast(std::string&, int) {}
std::vector<std::int64_t> allreduce_sum(const std::vector<std::int64_t>& v) { return v; }
std::vector<std::string> allgather(const std::string& text) { return {text}; }
#endif

}  // namespace memtile::cli::mpi
