// Nodal analysis of the crossbar (see CrossbarSolver.hpp for the topology and what is not
// modelled). Numerical engine: our own ordering (AMD on the interior nodes, ports last) and
// Eigen's SimplicialLLT (sparse Cholesky) on the permuted matrix. Solves for the column
// currents use the dense trailing port block of the factor; full sweeps over the whole factor
// (node voltages, fallback) use a blocked kernel that reads L once per block of 16 right-hand
// sides instead of once per right-hand side as Eigen's sparse triangular solve does.
// docs/circuit.md has the measurements behind these choices (including CHOLMOD).
#include "memtile/core/CrossbarSolver.hpp"

#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

namespace {

using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;
using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class LineMode { Segments, Merged, Fixed };

bool finite_non_negative(double x) { return std::isfinite(x) && x >= 0.0; }

// Solves L L^T y = y in place for a row-major block of right-hand sides that is already
// permuted. L is the lower Cholesky factor in CSC form, diagonal entry first in each column
// (Eigen's simplicial layout; checked in the constructor).
template <int Width>
void llt_solve_block(const SpMat& L, double* y, Eigen::Index stride, int width) {
  const int n = static_cast<int>(L.cols());
  const int* outer = L.outerIndexPtr();
  const int* inner = L.innerIndexPtr();
  const double* val = L.valuePtr();
  const int w = Width > 0 ? Width : width;
  // Forward: L z = y, column-oriented (scatter).
  for (int k = 0; k < n; ++k) {
    double* yk = y + k * stride;
    const int p0 = outer[k];
    const double inv_d = 1.0 / val[p0];
    for (int c = 0; c < w; ++c) yk[c] *= inv_d;
    for (int p = p0 + 1; p < outer[k + 1]; ++p) {
      double* yr = y + static_cast<Eigen::Index>(inner[p]) * stride;
      const double l = val[p];
      for (int c = 0; c < w; ++c) yr[c] -= l * yk[c];
    }
  }
  // Backward: L^T x = z, column k of L is row k of L^T (gather).
  for (int k = n - 1; k >= 0; --k) {
    double* yk = y + k * stride;
    const int p0 = outer[k];
    for (int p = p0 + 1; p < outer[k + 1]; ++p) {
      const double* yr = y + static_cast<Eigen::Index>(inner[p]) * stride;
      const double l = val[p];
      for (int c = 0; c < w; ++c) yk[c] -= l * yr[c];
    }
    const double inv_d = 1.0 / val[p0];
    for (int c = 0; c < w; ++c) yk[c] *= inv_d;
  }
}

}  // namespace

void validate(const WireParams& w) {
  require(finite_non_negative(w.row_segment_ohm), "wire", "row_segment_ohm must be finite and >= 0");
  require(finite_non_negative(w.col_segment_ohm), "wire", "col_segment_ohm must be finite and >= 0");
  require(finite_non_negative(w.driver_ohm), "wire", "driver_ohm must be finite and >= 0");
  require(finite_non_negative(w.sense_ohm), "wire", "sense_ohm must be finite and >= 0");
}

struct CrossbarSolver::Impl {
  using Triplets = std::vector<Eigen::Triplet<double, int>>;

  Eigen::Index M = 0, N = 0;
  WireParams wire;
  Eigen::MatrixXd G;
  LineMode row_mode = LineMode::Fixed;
  LineMode col_mode = LineMode::Fixed;
  Eigen::Index n = 0;  // unknowns
  // A x = B v ; I = C x (+ v G where a fixed row meets a grounded column), all in the solver
  // numbering (interior AMD-ordered first, ports last).
  SpMat A, B, C;
  bool has_direct = false;  // every cell is source-to-ground (no wires at all): I += v G
  std::vector<int> new_of_old;  // physical node number -> solver numbering
  Eigen::SimplicialLLT<SpMat, Eigen::Lower, Eigen::NaturalOrdering<int>> llt;
  SpMat L;  // the factor (CSC, diagonal first in each column)
  // Port block (empty when falling back to full sweeps).
  Eigen::Index n_port = 0;
  Eigen::MatrixXd L_pp;  // n_port x n_port lower triangle of the factor
  Eigen::MatrixXd B_p;   // n_port x M
  Eigen::MatrixXd C_p;   // N x n_port
  double factor_s = 0;

  mutable std::once_flag geff_once;
  mutable Eigen::MatrixXd geff;

  Eigen::Index row_node(Eigen::Index i, Eigen::Index j) const {
    switch (row_mode) {
      case LineMode::Segments: return i * N + j;
      case LineMode::Merged: return i;
      case LineMode::Fixed: break;
    }
    return -1;
  }
  Eigen::Index row_unknowns() const {
    return row_mode == LineMode::Segments ? M * N : row_mode == LineMode::Merged ? M : 0;
  }
  Eigen::Index col_node(Eigen::Index i, Eigen::Index j) const {
    const Eigen::Index off = row_unknowns();
    switch (col_mode) {
      case LineMode::Segments: return off + j * M + i;
      case LineMode::Merged: return off + j;
      case LineMode::Fixed: break;
    }
    return -1;
  }

  void assemble(Triplets& a, Triplets& b, Triplets& c);
  void order_and_factor(const Triplets& a, const Triplets& b, const Triplets& c);
  // X := A^-1 X for a dense n x K block (column-major, solver numbering): full sweeps.
  void full_solve_in_place(Eigen::MatrixXd& X) const;
  // Port voltages for port injections Y (n_port x K), in place.
  void port_solve_in_place(Eigen::MatrixXd& Y) const {
    const auto Lv = L_pp.triangularView<Eigen::Lower>();
    Lv.solveInPlace(Y);
    Lv.transpose().solveInPlace(Y);
  }
};

void CrossbarSolver::Impl::assemble(Triplets& a, Triplets& b, Triplets& c) {
  const double rs = wire.row_segment_ohm, rd = wire.driver_ohm;
  const double cs = wire.col_segment_ohm, ss = wire.sense_ohm;
  row_mode = rs > 0 ? LineMode::Segments : rd > 0 ? LineMode::Merged : LineMode::Fixed;
  col_mode = cs > 0 ? LineMode::Segments : ss > 0 ? LineMode::Merged : LineMode::Fixed;
  const Eigen::Index n_col = col_mode == LineMode::Segments ? M * N : col_mode == LineMode::Merged ? N : 0;
  n = row_unknowns() + n_col;

  a.reserve(static_cast<std::size_t>(6 * M * N + 4 * M + 2 * N));
  auto stamp = [&](Eigen::Index p, Eigen::Index q, double g) {  // conductance between unknowns
    a.emplace_back(int(p), int(p), g);
    a.emplace_back(int(q), int(q), g);
    a.emplace_back(int(p), int(q), -g);
    a.emplace_back(int(q), int(p), -g);
  };

  // Row lines: feed from the source V_i, segments between neighbouring cells.
  for (Eigen::Index i = 0; i < M; ++i) {
    if (row_mode == LineMode::Segments) {
      const double g_feed = 1.0 / (rd + rs), g_seg = 1.0 / rs;
      const Eigen::Index first = row_node(i, 0), last = row_node(i, N - 1);
      a.emplace_back(int(first), int(first), g_feed);
      b.emplace_back(int(first), int(i), g_feed);
      if (wire.both_end_drive) {
        a.emplace_back(int(last), int(last), g_feed);
        b.emplace_back(int(last), int(i), g_feed);
      }
      for (Eigen::Index j = 0; j + 1 < N; ++j) stamp(row_node(i, j), row_node(i, j + 1), g_seg);
    } else if (row_mode == LineMode::Merged) {
      // Both ends driven: the two drivers are in parallel onto the merged row.
      const double g_feed = (wire.both_end_drive ? 2.0 : 1.0) / rd;
      a.emplace_back(int(i), int(i), g_feed);
      b.emplace_back(int(i), int(i), g_feed);
    }
  }
  // Column lines: segments between neighbouring cells, last node to the virtual ground.
  for (Eigen::Index j = 0; j < N; ++j) {
    if (col_mode == LineMode::Segments) {
      const double g_seg = 1.0 / cs, g_out = 1.0 / (cs + ss);
      for (Eigen::Index i = 0; i + 1 < M; ++i) stamp(col_node(i, j), col_node(i + 1, j), g_seg);
      const Eigen::Index last = col_node(M - 1, j);
      a.emplace_back(int(last), int(last), g_out);
      c.emplace_back(int(j), int(last), g_out);
    } else if (col_mode == LineMode::Merged) {
      const double g_out = 1.0 / ss;
      const Eigen::Index node = col_node(0, j);
      a.emplace_back(int(node), int(node), g_out);
      c.emplace_back(int(j), int(node), g_out);
    }
  }
  // Cells.
  for (Eigen::Index j = 0; j < N; ++j) {
    for (Eigen::Index i = 0; i < M; ++i) {
      const double g = G(i, j);
      const Eigen::Index p = row_node(i, j), q = col_node(i, j);
      if (p >= 0 && q >= 0) {
        stamp(p, q, g);
      } else if (p >= 0) {  // column is the virtual ground: the cell current is the output
        a.emplace_back(int(p), int(p), g);
        c.emplace_back(int(j), int(p), g);
      } else if (q >= 0) {  // row node is the source: injection g * V_i into the column node
        a.emplace_back(int(q), int(q), g);
        b.emplace_back(int(q), int(i), g);
      } else {
        has_direct = true;  // source straight into ground: I_j += G(i,j) V_i
      }
    }
  }
}

namespace {
// AMD ordering of an interior matrix, cached by its exact pattern (the (row, col) sequence of
// its triplets, which assemble() emits in a fixed order). Thread-safe; entries are never
// removed (a run has a handful of array shapes).
const std::vector<int>& interior_ordering(const std::vector<Eigen::Triplet<double, int>>& aii, int ni) {
  std::vector<int> pattern;
  pattern.reserve(2 * aii.size() + 1);
  pattern.push_back(ni);
  for (const auto& t : aii) {
    pattern.push_back(t.row());
    pattern.push_back(t.col());
  }
  static std::mutex m;
  static std::map<std::vector<int>, std::vector<int>> cache;
  {
    std::lock_guard<std::mutex> lk(m);
    auto it = cache.find(pattern);
    if (it != cache.end()) return it->second;
  }
  SpMat Aii(ni, ni);
  Aii.setFromTriplets(aii.begin(), aii.end());
  Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> perm;
  Eigen::AMDOrdering<int>()(Aii, perm);
  std::vector<int> order(perm.indices().data(), perm.indices().data() + perm.indices().size());
  std::lock_guard<std::mutex> lk(m);
  return cache.emplace(std::move(pattern), std::move(order)).first->second;  // std::map: references stay valid
}
}  // namespace

void CrossbarSolver::Impl::order_and_factor(const Triplets& a, const Triplets& b, const Triplets& c) {
  if (n == 0) return;
  // Ports: nodes with a source injection or an output tap.
  std::vector<char> is_port(static_cast<std::size_t>(n), 0);
  for (const auto& t : b) is_port[static_cast<std::size_t>(t.row())] = 1;
  for (const auto& t : c) is_port[static_cast<std::size_t>(t.col())] = 1;
  Eigen::Index np = 0;
  for (char f : is_port) np += f;
  // A dense port block costs np^2 memory and np^3/3 flops: worth it only for a small port
  // set (always the case with resistive columns and rows: np = M + N or 2M + N).
  const bool use_ports = np <= 512 || (4 * np <= n && np <= 8192);
  if (!use_ports) std::fill(is_port.begin(), is_port.end(), 0);
  n_port = use_ports ? np : 0;
  const Eigen::Index ni = n - n_port;

  // AMD ordering of the interior nodes (the ports go last in their physical order).
  std::vector<int> interior_of_old(static_cast<std::size_t>(n), -1), interior;
  interior.reserve(static_cast<std::size_t>(ni));
  for (Eigen::Index k = 0; k < n; ++k)
    if (!is_port[std::size_t(k)]) {
      interior_of_old[std::size_t(k)] = int(interior.size());
      interior.push_back(int(k));
    }
  new_of_old.assign(static_cast<std::size_t>(n), -1);
  if (ni > 0) {
    Triplets aii;
    aii.reserve(a.size());
    for (const auto& t : a) {
      const int r = interior_of_old[std::size_t(t.row())], q = interior_of_old[std::size_t(t.col())];
      if (r >= 0 && q >= 0) aii.emplace_back(r, q, t.value());
    }
    // The ordering depends only on the sparsity pattern, the same for every array of one shape
    // and wire configuration: computed once per pattern (the pattern itself is the key, so
    // two patterns never share an ordering) and reused by every later array of that shape.
    const std::vector<int>& order = interior_ordering(aii, static_cast<int>(ni));  // order[new] = old
    for (Eigen::Index k = 0; k < ni; ++k) new_of_old[std::size_t(interior[std::size_t(order[std::size_t(k)])])] = int(k);
  }
  {
    int next = int(ni);
    for (Eigen::Index k = 0; k < n; ++k)
      if (is_port[std::size_t(k)]) new_of_old[std::size_t(k)] = next++;
  }
  auto remap = [&](const Triplets& in, bool rows, bool cols) {
    Triplets out;
    out.reserve(in.size());
    for (const auto& t : in)
      out.emplace_back(rows ? new_of_old[std::size_t(t.row())] : t.row(),
                       cols ? new_of_old[std::size_t(t.col())] : t.col(), t.value());
    return out;
  };
  {
    const Triplets ar = remap(a, true, true), br = remap(b, true, false), cr = remap(c, false, true);
    A.resize(int(n), int(n));
    A.setFromTriplets(ar.begin(), ar.end());
    B.resize(int(n), int(M));
    B.setFromTriplets(br.begin(), br.end());
    C.resize(int(N), int(n));
    C.setFromTriplets(cr.begin(), cr.end());
  }

  llt.compute(A);
  // The nodal matrix of a resistive network in which every node has a path to a source or to
  // ground is SPD; failure means conductances so extreme that it is numerically singular.
  require(llt.info() == Eigen::Success, "crossbar",
          "nodal matrix is numerically singular (conductance/resistance ratio out of range)");
  L = llt.matrixL().nestedExpression();
  L.makeCompressed();
  for (int k = 0; k < L.outerSize(); ++k) {
    const int p0 = L.outerIndexPtr()[k];
    require(p0 < L.outerIndexPtr()[k + 1] && L.innerIndexPtr()[p0] == k, "crossbar",
            "internal: unexpected Cholesky factor layout");
  }
  if (n_port > 0) {
    // Trailing block: every entry of columns >= ni has its row >= ni.
    L_pp = Eigen::MatrixXd::Zero(n_port, n_port);
    for (Eigen::Index k = ni; k < n; ++k)
      for (SpMat::InnerIterator it(L, int(k)); it; ++it) L_pp(it.row() - ni, k - ni) = it.value();
    // Injections and taps restricted to the ports (they have no other non-zeros).
    B_p = Eigen::MatrixXd::Zero(n_port, M);
    for (int k = 0; k < B.outerSize(); ++k)
      for (SpMat::InnerIterator it(B, k); it; ++it) B_p(it.row() - ni, k) = it.value();
    C_p = Eigen::MatrixXd::Zero(N, n_port);
    for (Eigen::Index k = ni; k < n; ++k)
      for (SpMat::InnerIterator it(C, int(k)); it; ++it) C_p(it.row(), k - ni) = it.value();
  }
}

void CrossbarSolver::Impl::full_solve_in_place(Eigen::MatrixXd& X) const {
  // Row-major blocks of kBlock right-hand sides: L is read once per block.
  constexpr int kBlock = 16;
  const Eigen::Index K = X.cols();
  RowMajorMatrix Y(n, kBlock);
  for (Eigen::Index c0 = 0; c0 < K; c0 += kBlock) {
    const int w = static_cast<int>(std::min<Eigen::Index>(kBlock, K - c0));
    Y.leftCols(w) = X.middleCols(c0, w);
    if (w == kBlock) {
      llt_solve_block<kBlock>(L, Y.data(), kBlock, w);
    } else if (w == 1) {
      llt_solve_block<1>(L, Y.data(), kBlock, w);
    } else {
      llt_solve_block<0>(L, Y.data(), kBlock, w);
    }
    X.middleCols(c0, w) = Y.leftCols(w);
  }
}

CrossbarSolver::CrossbarSolver(const Eigen::MatrixXd& G, const WireParams& w) : impl_(std::make_unique<Impl>()) {
  const auto t0 = std::chrono::steady_clock::now();
  require(G.rows() > 0 && G.cols() > 0, "crossbar", "conductance matrix is empty");
  for (Eigen::Index j = 0; j < G.cols(); ++j)
    for (Eigen::Index i = 0; i < G.rows(); ++i)
      if (!(std::isfinite(G(i, j)) && G(i, j) > 0.0)) {
        char value[32];
        std::snprintf(value, sizeof value, "%.6g", G(i, j));
        throw InputError("crossbar: conductance (" + std::to_string(i) + "," + std::to_string(j) +
                         ") must be finite and > 0 S, got " + value);
      }
  validate(w);
  // 32-bit indices inside the sparse matrices.
  require(2.0 * double(G.rows()) * double(G.cols()) < 2.0e8, "crossbar", "array too large for the sparse solver");
  Impl& s = *impl_;
  s.M = G.rows();
  s.N = G.cols();
  s.wire = w;
  s.G = G;
  {
    Impl::Triplets a, b, c;
    s.assemble(a, b, c);
    s.order_and_factor(a, b, c);
  }
  s.factor_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

CrossbarSolver::~CrossbarSolver() = default;
CrossbarSolver::CrossbarSolver(CrossbarSolver&&) noexcept = default;
CrossbarSolver& CrossbarSolver::operator=(CrossbarSolver&&) noexcept = default;

namespace {
void check_inputs(const Eigen::MatrixXd& V, Eigen::Index M) {
  require(V.cols() == M, "crossbar",
          "input has " + std::to_string(V.cols()) + " columns, the array has " + std::to_string(M) + " rows");
  require(V.allFinite(), "crossbar", "input voltages must be finite");
}
}  // namespace

Eigen::MatrixXd CrossbarSolver::solve(const Eigen::MatrixXd& V) const {
  const Impl& s = *impl_;
  check_inputs(V, s.M);
  Eigen::MatrixXd I = Eigen::MatrixXd::Zero(V.rows(), s.N);
  if (V.rows() == 0) return I;
  if (s.has_direct) I.noalias() += V * s.G;
  if (s.n_port > 0) {
    Eigen::MatrixXd Y = s.B_p * V.transpose();  // port injections, n_port x K
    s.port_solve_in_place(Y);
    I.noalias() += (s.C_p * Y).transpose();
  } else if (s.n > 0) {
    Eigen::MatrixXd X = s.B * V.transpose();  // injections, n x K
    s.full_solve_in_place(X);
    I.noalias() += (s.C * X).transpose();
  }
  return I;
}

Eigen::MatrixXd CrossbarSolver::node_voltages(const Eigen::MatrixXd& V) const {
  const Impl& s = *impl_;
  check_inputs(V, s.M);
  Eigen::MatrixXd out(V.rows(), s.n);
  if (s.n == 0 || V.rows() == 0) return out;
  Eigen::MatrixXd X = s.B * V.transpose();
  s.full_solve_in_place(X);
  for (Eigen::Index k = 0; k < s.n; ++k) out.col(k) = X.row(s.new_of_old[std::size_t(k)]).transpose();
  return out;
}

const Eigen::MatrixXd& CrossbarSolver::effective_conductance() const {
  const Impl& s = *impl_;
  std::call_once(s.geff_once, [&s] {
    Eigen::MatrixXd T = s.has_direct ? s.G : Eigen::MatrixXd::Zero(s.M, s.N);
    if (s.n_port > 0) {
      // Geff = B_p^T S^-1 C_p^T with S = L_pp L_pp^T the port Schur complement.
      const auto Lv = s.L_pp.triangularView<Eigen::Lower>();
      Eigen::MatrixXd W = s.B_p, Z = s.C_p.transpose();
      Lv.solveInPlace(W);
      Lv.solveInPlace(Z);
      T.noalias() += W.transpose() * Z;
    } else if (s.n > 0) {
      // Geff = B^T A^-1 C^T: solve against whichever port set is smaller.
      if (s.N <= s.M) {
        Eigen::MatrixXd Z = Eigen::MatrixXd(s.C.transpose());  // n x N
        s.full_solve_in_place(Z);
        T.noalias() += s.B.transpose() * Z;
      } else {
        Eigen::MatrixXd Z = Eigen::MatrixXd(s.B);  // n x M
        s.full_solve_in_place(Z);
        T.noalias() += (s.C * Z).transpose();
      }
    }
    s.geff = std::move(T);
  });
  return s.geff;
}

Eigen::Index CrossbarSolver::unknowns() const { return impl_->n; }
Eigen::Index CrossbarSolver::factor_nonzeros() const { return impl_->L.nonZeros(); }
Eigen::Index CrossbarSolver::port_count() const { return impl_->n_port; }
Eigen::Index CrossbarSolver::rows() const { return impl_->M; }
Eigen::Index CrossbarSolver::cols() const { return impl_->N; }
const WireParams& CrossbarSolver::wire() const { return impl_->wire; }
double CrossbarSolver::factor_seconds() const { return impl_->factor_s; }

}  // namespace memtile::core
