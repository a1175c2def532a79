// Helpers shared by the virtual-platform tests (tests/vp): the rule that SystemC warnings fail
// a test, float32 matrices in a byte image of system memory (row-major, as the layer
// descriptor lays them out), test data, and one CSR word access through an initiator socket.
// Nothing here models the accelerator: expectations are derived in the tests themselves.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <systemc>

#include "../common/NoSystemCWarnings.hpp"
#include <tlm>

namespace memtile::test::vp {

using memtile::test::NoSystemCWarnings;

// m as row-major float32 at p (m(r, c) at p + 4 (r cols + c)).
inline void put_f32(unsigned char* p, const Eigen::MatrixXd& m) {
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      const float f = static_cast<float>(m(r, c));
      std::memcpy(p + 4 * (r * m.cols() + c), &f, 4);
    }
}
inline Eigen::MatrixXf get_f32(const unsigned char* p, Eigen::Index rows, Eigen::Index cols) {
  Eigen::MatrixXf m(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c) std::memcpy(&m(r, c), p + 4 * (r * cols + c), 4);
  return m;
}

// float32 round trip of what a driver stores.
inline Eigen::MatrixXd as_f32(const Eigen::MatrixXd& m) { return m.cast<float>().cast<double>(); }

// Uniform in [-1, 1], reproducible per seed.
inline Eigen::MatrixXd random(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::srand(seed);
  return Eigen::MatrixXd::Random(r, c);
}

// Small integers in [-span, span]: every product and partial sum of a layer of modest size is
// exact in float64 and in float32, so a correct result equals the naive product bit for bit
// whatever the order of the additions.
inline Eigen::MatrixXd integers(Eigen::Index r, Eigen::Index c, int span, unsigned salt) {
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < c; ++j)
      m(i, j) = static_cast<double>(static_cast<int>((i * 7 + j * 13 + salt * 31 + (i * j) % 5) % (2 * span + 1)) - span);
  return m;
}

// The naive triple loop (no Eigen product): the reference for exact-mode results.
inline Eigen::MatrixXd naive_product(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W) {
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(X.rows(), W.cols());
  for (Eigen::Index b = 0; b < X.rows(); ++b)
    for (Eigen::Index n = 0; n < W.cols(); ++n)
      for (Eigen::Index k = 0; k < X.cols(); ++k) Y(b, n) += X(b, k) * W(k, n);
  return Y;
}

// One 4-byte CSR access through `socket` (LT b_transport, streaming width `sw`); returns the
// response status, the read value in v.
template <typename Socket>
tlm::tlm_response_status csr_word(Socket& socket, tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t& v,
                                  unsigned sw = 4, sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
  tx.set_data_length(4);
  tx.set_streaming_width(sw);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  socket->b_transport(tx, delay);
  return tx.get_response_status();
}

}  // namespace memtile::test::vp
