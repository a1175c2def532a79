#include "Ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"

namespace memtile::nn {

std::int64_t shape_numel(const Shape& shape) {
  return core::checked_count(shape, sizeof(double), "tensor");
}

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

}  // namespace memtile::nn

namespace memtile::nn::detail {

void Where::fail(const std::string& message) const {
  throw core::InputError(source + ": node '" + node.name + "' (" + node.op + "): " + message);
}

std::int64_t as_int(const Where& w, double v, const std::string& what) {
  w.check(std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15,
          what + " must hold integers, got " + std::to_string(v));
  return static_cast<std::int64_t>(v);
}

namespace {

std::int64_t norm_axis(const Where& w, std::int64_t axis, std::int64_t rank, const std::string& what) {
  w.check(axis >= -rank && axis < rank,
          what + " " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

std::int64_t prod(const Shape& s, std::size_t b, std::size_t e) {
  std::int64_t n = 1;
  for (std::size_t i = b; i < e && i < s.size(); ++i) n *= s[i];
  return n;
}

const Tensor& need(const Where& w, const std::vector<const Tensor*>& in, std::size_t i) {
  w.check(i < in.size() && in[i] != nullptr, "missing input " + std::to_string(i));
  return *in[i];
}

// out = f(a, b) with numpy broadcasting. `unidirectional`: b must broadcast to a's shape.
template <class F>
void broadcast_binary(const Where& w, const Tensor& a, const Tensor& b, Tensor& out, F f) {
  Shape os;
  w.check(broadcast_shape(a.shape, b.shape, os),
          "shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not broadcast");
  // Copy inputs first: `out` may alias neither (the executor gives each value its own slot),
  // but keeping the logic independent of that is cheap.
  if (a.shape == b.shape) {
    out.resize(os);
    for (std::size_t i = 0; i < out.data.size(); ++i) out.data[i] = f(a.data[i], b.data[i]);
    return;
  }
  const std::size_t r = os.size();
  std::vector<std::int64_t> sa(r, 0), sb(r, 0);
  {
    std::int64_t st = 1;
    for (std::size_t i = 0; i < a.shape.size(); ++i) {
      std::size_t k = a.shape.size() - 1 - i, o = r - 1 - i;
      sa[o] = a.shape[k] == 1 ? 0 : st;
      st *= a.shape[k];
    }
    st = 1;
    for (std::size_t i = 0; i < b.shape.size(); ++i) {
      std::size_t k = b.shape.size() - 1 - i, o = r - 1 - i;
      sb[o] = b.shape[k] == 1 ? 0 : st;
      st *= b.shape[k];
    }
  }
  out.resize(os);
  if (out.data.empty()) return;
  if (r == 0) {
    out.data[0] = f(a.data[0], b.data[0]);
    return;
  }
  const std::int64_t inner = os[r - 1], ia = sa[r - 1], ib = sb[r - 1];
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t pa = 0, pb = 0, po = 0;
  const std::int64_t total = out.numel();
  while (po < total) {
    for (std::int64_t j = 0; j < inner; ++j) out.data[po + j] = f(a.data[pa + j * ia], b.data[pb + j * ib]);
    po += inner;
    // Odometer over the outer dims.
    for (std::int64_t d = static_cast<std::int64_t>(r) - 2; d >= 0; --d) {
      if (++idx[d] < os[d]) {
        pa += sa[d];
        pb += sb[d];
        break;
      }
      pa -= sa[d] * (os[d] - 1);
      pb -= sb[d] * (os[d] - 1);
      idx[d] = 0;
    }
  }
}

void copy_to(const Tensor& in, Tensor& out, const Shape& shape) {
  if (&in == &out) {
    out.shape = shape;
    return;
  }
  out.resize(shape);
  std::copy(in.data.begin(), in.data.end(), out.data.begin());
}

// ---------------------------------------------------------------------------------------------
void gemm(const Where& w, const NodeAttrs& a, const std::vector<const Tensor*>& in, Tensor& out) {
  const Tensor& A = need(w, in, 0);
  const Tensor& B = need(w, in, 1);
  w.check(A.rank() == 2 && B.rank() == 2,
          "Gemm needs 2-D A and B, got " + shape_str(A.shape) + " and " + shape_str(B.shape));
  Eigen::Map<const RowMat> ma(A.data.data(), A.dim(0), A.dim(1));
  Eigen::Map<const RowMat> mb(B.data.data(), B.dim(0), B.dim(1));
  const std::int64_t M = a.trans_a ? A.dim(1) : A.dim(0), K = a.trans_a ? A.dim(0) : A.dim(1);
  const std::int64_t K2 = a.trans_b ? B.dim(1) : B.dim(0), N = a.trans_b ? B.dim(0) : B.dim(1);
  w.check(K == K2, "inner dimensions differ: A " + shape_str(A.shape) + ", B " + shape_str(B.shape));
  RowMat r;
  if (a.trans_a && a.trans_b) r = a.alpha * (ma.transpose() * mb.transpose());
  else if (a.trans_a) r = a.alpha * (ma.transpose() * mb);
  else if (a.trans_b) r = a.alpha * (ma * mb.transpose());
  else r = a.alpha * (ma * mb);
  Tensor prodt({M, N});
  std::copy(r.data(), r.data() + r.size(), prodt.data.begin());
  if (in.size() > 2 && in[2]) {
    const Tensor& C = *in[2];
    Shape bs;
    w.check(broadcast_shape(prodt.shape, C.shape, bs) && bs == prodt.shape,
            "C " + shape_str(C.shape) + " does not broadcast to " + shape_str(prodt.shape));
    const double beta = a.beta;
    broadcast_binary(w, prodt, C, out, [beta](double x, double c) { return x + beta * c; });
  } else {
    out = std::move(prodt);
  }
}

// numpy.matmul semantics (1-D promotion, broadcast batch dims).
void matmul(const Where& w, const Tensor& A, const Tensor& B, Tensor& out) {
  w.check(A.rank() >= 1 && B.rank() >= 1, "MatMul inputs must have rank >= 1");
  Shape as = A.shape, bs = B.shape;
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  const std::int64_t M = as[as.size() - 2], K = as.back(), K2 = bs[bs.size() - 2], N = bs.back();
  w.check(K == K2, "inner dimensions differ: " + shape_str(A.shape) + " x " + shape_str(B.shape));
  Shape abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2), obatch;
  w.check(broadcast_shape(abatch, bbatch, obatch), "batch dims of " + shape_str(A.shape) + " and " +
                                                       shape_str(B.shape) + " do not broadcast");
  Shape os = obatch;
  if (!a1) os.push_back(M);
  if (!b1) os.push_back(N);
  Tensor res;
  res.resize(os);
  const std::int64_t nb = shape_numel(obatch);
  const std::size_t r = obatch.size();
  // Batch strides (in matrices) of A and B over the broadcast batch dims.
  std::vector<std::int64_t> sa(r, 0), sb(r, 0);
  std::int64_t st = 1;
  for (std::size_t i = 0; i < abatch.size(); ++i) {
    std::size_t k = abatch.size() - 1 - i;
    sa[r - 1 - i] = abatch[k] == 1 ? 0 : st;
    st *= abatch[k];
  }
  st = 1;
  for (std::size_t i = 0; i < bbatch.size(); ++i) {
    std::size_t k = bbatch.size() - 1 - i;
    sb[r - 1 - i] = bbatch[k] == 1 ? 0 : st;
    st *= bbatch[k];
  }
  for (std::int64_t bi = 0; bi < nb; ++bi) {
    std::int64_t rem = bi, ia = 0, ib = 0;
    for (std::int64_t d = static_cast<std::int64_t>(r) - 1; d >= 0; --d) {
      std::int64_t idx = rem % obatch[d];
      rem /= obatch[d];
      ia += idx * sa[d];
      ib += idx * sb[d];
    }
    Eigen::Map<const RowMat> ma(A.data.data() + ia * M * K, M, K);
    Eigen::Map<const RowMat> mb(B.data.data() + ib * K * N, K, N);
    Eigen::Map<RowMat> mo(res.data.data() + bi * M * N, M, N);
    mo.noalias() = ma * mb;
  }
  out = std::move(res);
}

void conv_digital(const Where& w, const NodeAttrs& a, const std::vector<const Tensor*>& in, Tensor& out,
                  Eigen::MatrixXd& scratch) {
  const Tensor& X = need(w, in, 0);
  const Tensor& W = need(w, in, 1);
  w.check(X.rank() >= 3 && X.rank() <= 5, "Conv input must be [N, C, d1..dk] with 1..3 spatial dims, got " +
                                              shape_str(X.shape));
  w.check(W.rank() == X.rank(), "weight rank " + std::to_string(W.rank()) + " differs from input rank " +
                                    std::to_string(X.rank()));
  const std::int64_t G = a.group, M = W.dim(0);
  w.check(X.dim(1) == W.dim(1) * G, "input channels " + std::to_string(X.dim(1)) + " != weight channels " +
                                        std::to_string(W.dim(1)) + " x group " + std::to_string(G));
  w.check(M % G == 0, "output channels not divisible by group");
  std::vector<std::int64_t> kernel(W.shape.begin() + 2, W.shape.end());
  Window win = resolve_window(w, a, X.shape, kernel, false);
  const double* bias = nullptr;
  if (in.size() > 2 && in[2]) {
    w.check(in[2]->numel() == M, "bias must have " + std::to_string(M) + " values");
    bias = in[2]->data.data();
  }
  std::vector<Eigen::MatrixXd> wm(static_cast<std::size_t>(G));
  for (std::int64_t g = 0; g < G; ++g) wm[g] = conv_group_matrix(W, G, g);
  conv_im2col(win, X, G, M, [&](int g, const Eigen::MatrixXd& cols, std::int64_t) -> Eigen::MatrixXd {
    return cols * wm[static_cast<std::size_t>(g)];
  }, bias, out, std::int64_t(4) << 20, scratch);
}

void pool(const Where& w, const NodeAttrs& a, bool is_max, const Tensor& X, Tensor& out) {
  w.check(X.rank() >= 3 && X.rank() <= 5, "pooling input must be [N, C, d1..dk] with 1..3 spatial dims, got " +
                                              shape_str(X.shape));
  Window win = resolve_window(w, a, X.shape, a.kernel_shape, a.ceil_mode);
  Shape os{X.dim(0), X.dim(1)};
  for (int i = 3 - win.nsp; i < 3; ++i) os.push_back(win.out[i]);
  // Into `out` itself unless it is the input (its buffer is reused from batch to batch).
  Tensor res;
  Tensor& r = &out == &X ? res : out;
  r.resize(os);
  const std::int64_t planes = X.dim(0) * X.dim(1), isz = win.in_size(), osz = win.out_size();
  // Whether a window starting at b (per axis) lies inside the input: then no element is
  // checked (the same elements in the same order as the checked loop).
  const auto inside = [&](int i, std::int64_t b) { return b >= 0 && b + (win.k[i] - 1) * win.d[i] < win.in[i]; };
  // Max pooling: the outputs [in_lo, in_hi) of a row whose windows lie inside the input along
  // the last axis.
  std::int64_t in_lo = 0, in_hi = 0;
  for (std::int64_t o2 = 0; o2 < win.out[2]; ++o2)
    if (inside(2, o2 * win.s[2] - win.pb[2])) {
      if (in_hi == 0) in_lo = o2;
      in_hi = o2 + 1;
    }
  for (std::int64_t p = 0; p < planes; ++p) {
    const double* src = X.data.data() + p * isz;
    double* dst = r.data.data() + p * osz;
    for (std::int64_t o0 = 0; o0 < win.out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < win.out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < win.out[2]; ++o2) {
          const std::int64_t b0 = o0 * win.s[0] - win.pb[0], b1 = o1 * win.s[1] - win.pb[1],
                             b2 = o2 * win.s[2] - win.pb[2];
          if (is_max && o2 == in_lo && in_hi > in_lo && inside(0, b0) && inside(1, b1)) {
            // The row's inside windows together, one window element at a time over all of
            // them (a loop across outputs, vectorised): each output takes the maximum of the
            // same elements in the same order as the checked loop, so the same value.
            const std::int64_t n = in_hi - in_lo, s2 = win.s[2];
            for (std::int64_t j = 0; j < n; ++j) dst[j] = -std::numeric_limits<double>::infinity();
            for (std::int64_t k0 = 0; k0 < win.k[0]; ++k0)
              for (std::int64_t k1 = 0; k1 < win.k[1]; ++k1)
                for (std::int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                  const double* e = src + ((b0 + k0 * win.d[0]) * win.in[1] + b1 + k1 * win.d[1]) * win.in[2] + b2 +
                                    k2 * win.d[2];
                  for (std::int64_t j = 0; j < n; ++j) dst[j] = std::max(dst[j], e[j * s2]);
                }
            dst += n;
            o2 = in_hi - 1;
            continue;
          }
          double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
          std::int64_t valid = 0;
          for (std::int64_t k0 = 0; k0 < win.k[0]; ++k0) {
            const std::int64_t i0 = b0 + k0 * win.d[0];
            if (i0 < 0 || i0 >= win.in[0]) continue;
            for (std::int64_t k1 = 0; k1 < win.k[1]; ++k1) {
              const std::int64_t i1 = b1 + k1 * win.d[1];
              if (i1 < 0 || i1 >= win.in[1]) continue;
              for (std::int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                const std::int64_t i2 = b2 + k2 * win.d[2];
                if (i2 < 0 || i2 >= win.in[2]) continue;
                const double v = src[(i0 * win.in[1] + i1) * win.in[2] + i2];
                if (is_max) acc = std::max(acc, v);
                else acc += v;
                ++valid;
              }
            }
          }
          if (!is_max) {
            std::int64_t count = valid;
            if (a.count_include_pad) {
              // Positions inside the padded input (PyTorch's divisor): a ceil_mode window that
              // hangs past the end padding does not count the overhang.
              count = 1;
              const std::int64_t bs[3] = {b0, b1, b2};
              for (int i = 0; i < 3; ++i) {
                const std::int64_t lo = bs[i], hi = std::min(bs[i] + (win.k[i] - 1) * win.d[i] + 1,
                                                             win.in[i] + win.pe[i]);
                count *= (hi - lo + win.d[i] - 1) / win.d[i];
              }
            }
            acc = count > 0 ? acc / static_cast<double>(count) : 0.0;
          }
          *dst++ = acc;
        }
  }
  if (&r == &res) out = std::move(res);
}

void softmax(const Where& w, const NodeAttrs& a, std::int64_t opset, const Tensor& X, Tensor& out) {
  const std::int64_t r = X.rank();
  w.check(r >= 1, "Softmax input must have rank >= 1");
  const std::int64_t axis = norm_axis(w, a.axis, r, "axis");
  std::int64_t outer = prod(X.shape, 0, axis), n, inner;
  if (opset >= 13) {
    n = X.shape[axis];
    inner = prod(X.shape, axis + 1, r);
  } else {  // opset < 13: coerce to 2-D at axis, softmax over the flattened trailing block
    n = prod(X.shape, axis, r);
    inner = 1;
  }
  Tensor res(X.shape);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      const double* s = X.data.data() + o * n * inner + i;
      double* d = res.data.data() + o * n * inner + i;
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < n; ++j) m = std::max(m, s[j * inner]);
      double sum = 0.0;
      for (std::int64_t j = 0; j < n; ++j) sum += (d[j * inner] = std::exp(s[j * inner] - m));
      for (std::int64_t j = 0; j < n; ++j) d[j * inner] /= sum;
    }
  out = std::move(res);
}

void batchnorm(const Where& w, const NodeAttrs& a, const std::vector<const Tensor*>& in, Tensor& out) {
  const Tensor& X = need(w, in, 0);
  w.check(X.rank() >= 2, "BatchNormalization input must be [N, C, ...], got " + shape_str(X.shape));
  const std::int64_t C = X.dim(1), inner = prod(X.shape, 2, X.shape.size()), outer = X.dim(0);
  for (std::size_t i = 1; i <= 4; ++i)
    w.check(need(w, in, i).numel() == C, "parameter " + std::to_string(i) + " must have " +
                                             std::to_string(C) + " values");
  const auto &sc = in[1]->data, &bi = in[2]->data, &mu = in[3]->data, &var = in[4]->data;
  Tensor res(X.shape);
  for (std::int64_t c = 0; c < C; ++c) {
    w.check(var[c] + a.epsilon > 0, "variance + epsilon must be positive");
    const double s = sc[c] / std::sqrt(var[c] + a.epsilon), t = bi[c] - mu[c] * s;
    for (std::int64_t o = 0; o < outer; ++o) {
      const double* src = X.data.data() + (o * C + c) * inner;
      double* dst = res.data.data() + (o * C + c) * inner;
      for (std::int64_t i = 0; i < inner; ++i) dst[i] = src[i] * s + t;
    }
  }
  out = std::move(res);
}

void reshape(const Where& w, const NodeAttrs& a, const Tensor& X, const Tensor& S, Tensor& out) {
  w.check(S.rank() == 1, "shape input must be 1-D, got " + shape_str(S.shape));
  Shape ns;
  std::int64_t infer = -1, known = 1;
  for (std::int64_t i = 0; i < S.numel(); ++i) {
    std::int64_t v = as_int(w, S.data[i], "shape");
    if (v == 0 && !a.allowzero) {
      w.check(i < X.rank(), "shape entry 0 at index " + std::to_string(i) + " but input rank is " +
                                std::to_string(X.rank()));
      v = X.shape[i];
    }
    if (v == -1) {
      w.check(infer < 0, "more than one -1 in shape");
      infer = i;
      ns.push_back(1);
      continue;
    }
    w.check(v >= 0, "invalid shape entry " + std::to_string(v));
    known = core::checked_mul(known, v, "target shape");
    ns.push_back(v);
  }
  if (infer >= 0) {
    w.check(known != 0 && X.numel() % known == 0,
            "cannot infer -1 reshaping " + shape_str(X.shape) + " with shape " + shape_str(ns));
    ns[infer] = X.numel() / known;
  }
  w.check(shape_numel(ns) == X.numel(),
          "cannot reshape " + shape_str(X.shape) + " (" + std::to_string(X.numel()) + " values) to " + shape_str(ns));
  copy_to(X, out, ns);
}

void gather(const Where& w, const NodeAttrs& a, const Tensor& D, const Tensor& I, Tensor& out) {
  w.check(D.rank() >= 1, "Gather data must have rank >= 1");
  const std::int64_t axis = norm_axis(w, a.axis, D.rank(), "axis");
  Shape os(D.shape.begin(), D.shape.begin() + axis);
  os.insert(os.end(), I.shape.begin(), I.shape.end());
  os.insert(os.end(), D.shape.begin() + axis + 1, D.shape.end());
  const std::int64_t outer = prod(D.shape, 0, axis), n = D.shape[axis],
                     inner = prod(D.shape, axis + 1, D.shape.size()), ni = I.numel();
  Tensor res;
  res.resize(os);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < ni; ++j) {
      std::int64_t k = as_int(w, I.data[j], "indices");
      if (k < 0) k += n;
      w.check(k >= 0 && k < n, "index " + std::to_string(as_int(w, I.data[j], "indices")) +
                                   " out of range for axis of size " + std::to_string(n));
      std::copy_n(D.data.data() + (o * n + k) * inner, inner, res.data.data() + (o * ni + j) * inner);
    }
  out = std::move(res);
}

void unsqueeze(const Where& w, const std::vector<std::int64_t>& axes, const Tensor& X, Tensor& out) {
  const std::int64_t r = X.rank() + static_cast<std::int64_t>(axes.size());
  std::vector<bool> inserted(static_cast<std::size_t>(r), false);
  for (auto ax : axes) {
    const std::int64_t k = norm_axis(w, ax, r, "axis");
    w.check(!inserted[k], "repeated axis " + std::to_string(ax));
    inserted[k] = true;
  }
  Shape ns;
  std::size_t src = 0;
  for (std::int64_t i = 0; i < r; ++i) ns.push_back(inserted[i] ? 1 : X.shape[src++]);
  copy_to(X, out, ns);
}

void squeeze(const Where& w, const std::vector<std::int64_t>& axes, const Tensor& X, Tensor& out) {
  const std::int64_t r = X.rank();
  std::vector<bool> drop(static_cast<std::size_t>(r), false);
  if (axes.empty()) {
    for (std::int64_t i = 0; i < r; ++i) drop[i] = X.shape[i] == 1;
  } else {
    for (auto ax : axes) {
      const std::int64_t k = norm_axis(w, ax, r, "axis");
      w.check(X.shape[k] == 1, "cannot squeeze axis " + std::to_string(ax) + " of size " + std::to_string(X.shape[k]));
      drop[k] = true;
    }
  }
  Shape ns;
  for (std::int64_t i = 0; i < r; ++i)
    if (!drop[i]) ns.push_back(X.shape[i]);
  copy_to(X, out, ns);
}

void transpose(const Where& w, const std::vector<std::int64_t>& perm_attr, const Tensor& X, Tensor& out) {
  const std::int64_t r = X.rank();
  std::vector<std::int64_t> perm = perm_attr;
  if (perm.empty())
    for (std::int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  w.check(static_cast<std::int64_t>(perm.size()) == r, "perm has " + std::to_string(perm.size()) + " entries for rank " +
                                                           std::to_string(r));
  std::vector<bool> seen(static_cast<std::size_t>(r), false);
  for (auto p : perm) {
    w.check(p >= 0 && p < r && !seen[p], "perm is not a permutation of 0.." + std::to_string(r - 1));
    seen[p] = true;
  }
  std::vector<std::int64_t> in_stride(static_cast<std::size_t>(r), 1);
  for (std::int64_t i = r - 2; i >= 0; --i) in_stride[i] = in_stride[i + 1] * X.shape[i + 1];
  Shape os;
  std::vector<std::int64_t> st;  // input stride of each output dim
  for (auto p : perm) {
    os.push_back(X.shape[p]);
    st.push_back(in_stride[p]);
  }
  Tensor res;
  res.resize(os);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(r), 0);
  std::int64_t src = 0;
  for (std::int64_t o = 0; o < res.numel(); ++o) {
    res.data[o] = X.data[src];
    for (std::int64_t d = r - 1; d >= 0; --d) {
      if (++idx[d] < os[d]) {
        src += st[d];
        break;
      }
      src -= st[d] * (os[d] - 1);
      idx[d] = 0;
    }
  }
  out = std::move(res);
}

void concat(const Where& w, const NodeAttrs& a, const std::vector<const Tensor*>& in, Tensor& out) {
  w.check(!in.empty() && in[0], "Concat needs inputs");
  const Tensor& f = *in[0];
  w.check(f.rank() >= 1, "Concat inputs must have rank >= 1");
  const std::int64_t axis = norm_axis(w, a.axis, f.rank(), "axis");
  Shape os = f.shape;
  os[axis] = 0;
  for (const Tensor* t : in) {
    w.check(t != nullptr && t->rank() == f.rank(), "all inputs must have the same rank");
    for (std::int64_t i = 0; i < f.rank(); ++i)
      w.check(i == axis || t->shape[i] == f.shape[i],
              "shapes " + shape_str(f.shape) + " and " + shape_str(t->shape) + " differ off the axis");
    os[axis] += t->shape[axis];
  }
  Tensor res;
  res.resize(os);
  const std::int64_t outer = prod(os, 0, axis), inner = prod(os, axis + 1, os.size());
  std::int64_t offset = 0;
  for (const Tensor* t : in) {
    const std::int64_t block = t->shape[axis] * inner;
    for (std::int64_t o = 0; o < outer; ++o)
      std::copy_n(t->data.data() + o * block, block, res.data.data() + o * os[axis] * inner + offset);
    offset += block;
  }
  out = std::move(res);
}

}  // namespace

bool broadcast_shape(const Shape& a, const Shape& b, Shape& out) {
  const std::size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (std::size_t i = 0; i < r; ++i) {
    const std::int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return false;
    out[r - 1 - i] = da == 1 ? db : da;
  }
  return true;
}

Window resolve_window(const Where& w, const NodeAttrs& a, const Shape& x_shape,
                      const std::vector<std::int64_t>& kernel, bool ceil_mode) {
  Window win;
  const int nsp = static_cast<int>(x_shape.size()) - 2;
  w.check(nsp >= 1 && nsp <= 3, "1 to 3 spatial dimensions are supported, input is " + shape_str(x_shape));
  win.nsp = nsp;
  w.check(static_cast<int>(kernel.size()) == nsp,
          "kernel has " + std::to_string(kernel.size()) + " dims, input has " + std::to_string(nsp) + " spatial dims");
  auto vec = [&](const std::vector<std::int64_t>& v, std::size_t n, const char* what) {
    w.check(v.empty() || v.size() == n, std::string(what) + " has " + std::to_string(v.size()) +
                                            " entries, expected " + std::to_string(n));
  };
  vec(a.strides, nsp, "strides");
  vec(a.dilations, nsp, "dilations");
  vec(a.pads, 2 * nsp, "pads");
  if (a.auto_pad == "NOTSET") check_pads(w, a.pads, kernel, a.dilations);
  for (int i = 0; i < nsp; ++i) {
    const int j = 3 - nsp + i;
    win.in[j] = x_shape[2 + i];
    win.k[j] = kernel[i];
    win.s[j] = a.strides.empty() ? 1 : a.strides[i];
    win.d[j] = a.dilations.empty() ? 1 : a.dilations[i];
    // Upper bound far beyond any network, so the window arithmetic cannot overflow.
    constexpr std::int64_t kMaxWindow = std::int64_t(1) << 16;
    w.check(win.k[j] >= 1 && win.s[j] >= 1 && win.d[j] >= 1 && win.k[j] <= kMaxWindow && win.s[j] <= kMaxWindow &&
                win.d[j] <= kMaxWindow,
            "kernel, strides and dilations must be 1..65536");
    const std::int64_t dk = (win.k[j] - 1) * win.d[j] + 1;
    if (a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER") {
      win.out[j] = (win.in[j] + win.s[j] - 1) / win.s[j];
      const std::int64_t total = std::max<std::int64_t>(0, (win.out[j] - 1) * win.s[j] + dk - win.in[j]);
      const std::int64_t small = total / 2, large = total - small;
      win.pb[j] = a.auto_pad == "SAME_UPPER" ? small : large;
      win.pe[j] = a.auto_pad == "SAME_UPPER" ? large : small;
      continue;
    }
    if (a.auto_pad == "NOTSET" && !a.pads.empty()) {
      win.pb[j] = a.pads[i];
      win.pe[j] = a.pads[nsp + i];
      w.check(win.pb[j] >= 0 && win.pe[j] >= 0, "pads must be >= 0");
    }
    const std::int64_t span = win.in[j] + win.pb[j] + win.pe[j] - dk;
    w.check(span >= 0, "kernel extent " + std::to_string(dk) + " exceeds the padded input " +
                           std::to_string(win.in[j] + win.pb[j] + win.pe[j]));
    win.out[j] = (ceil_mode ? (span + win.s[j] - 1) / win.s[j] : span / win.s[j]) + 1;
    // A ceil_mode window must start inside the input or the begin padding (ONNX/PyTorch rule).
    if (ceil_mode && (win.out[j] - 1) * win.s[j] >= win.in[j] + win.pb[j]) --win.out[j];
  }
  return win;
}

Eigen::MatrixXd conv_group_matrix(const Tensor& w, std::int64_t groups, std::int64_t group) {
  const std::int64_t M = w.dim(0), Ng = M / groups, Kg = w.numel() / M;
  Eigen::Map<const RowMat> wg(w.data.data() + group * Ng * Kg, Ng, Kg);
  return wg.transpose();
}

void conv_im2col(const Window& win, const Tensor& x, std::int64_t groups, std::int64_t out_channels,
                 const GroupMul& mul, const double* bias, Tensor& out, std::int64_t im2col_limit,
                 Eigen::MatrixXd& cols, const GroupRowsMul& rows_mul) {
  const std::int64_t B = x.dim(0), C = x.dim(1), Cg = C / groups, Ng = out_channels / groups;
  const std::int64_t P = win.out_size(), Kg = Cg * win.k_size();
  Shape os{B, out_channels};
  for (int i = 3 - win.nsp; i < 3; ++i) os.push_back(win.out[i]);
  out.resize(os);
  // Whole batches when the backend takes its rows on demand (no matrix to keep small), else
  // pieces of at most im2col_limit elements, rounded down, where that leaves a piece, to whole
  // tasks of the engine (a multiple of kVectorChunk vectors: a shorter task runs the product
  // kernel's scalar tail); the results do not depend on the pieces.
  std::int64_t chunk = B;
  if (!rows_mul) {
    chunk = std::max<std::int64_t>(1, im2col_limit / std::max<std::int64_t>(1, P * Kg));
    const std::int64_t task = core::ProgrammedMatrix::kVectorChunk;
    const std::int64_t images_per_tasks = task / std::gcd(task, std::max<std::int64_t>(1, P));
    if (chunk >= images_per_tasks) chunk -= chunk % images_per_tasks;
  }
  for (std::int64_t g = 0; g < groups; ++g) {
    for (std::int64_t b0 = 0; b0 < B; b0 += chunk) {
      const std::int64_t nb = std::min(chunk, B - b0);
      core::checked_count({nb, P, Kg}, sizeof(double), "im2col patch matrix");
      Eigen::MatrixXd y;
      if (rows_mul) {
        y = rows_mul(static_cast<int>(g), nb * P, [&](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> o) {
          copy_patches(win, x, g, Cg, b0 * P + first, count, o.data(), o.outerStride());
        }, nb);
      } else {
        cols.resize(nb * P, Kg);
        copy_patches(win, x, g, Cg, b0 * P, nb * P, cols.data(), nb * P);
        y = mul(static_cast<int>(g), cols, nb);
      }
      if (y.rows() != nb * P || y.cols() != Ng)
        throw core::InputError("backend returned a " + std::to_string(y.rows()) + "x" + std::to_string(y.cols()) +
                               " matrix, expected " + std::to_string(nb * P) + "x" + std::to_string(Ng));
      for (std::int64_t n = 0; n < Ng; ++n) {
        const std::int64_t m = g * Ng + n;
        const double bv = bias ? bias[m] : 0.0;
        const double* ycol = y.col(n).data();
        for (std::int64_t b = 0; b < nb; ++b) {
          double* dst = out.data.data() + ((b0 + b) * out_channels + m) * P;
          const double* s = ycol + b * P;
          for (std::int64_t p = 0; p < P; ++p) dst[p] = s[p] + bv;
        }
      }
    }
  }
}

void check_pads(const Where& w, const std::vector<std::int64_t>& pads, const std::vector<std::int64_t>& kernel,
                const std::vector<std::int64_t>& dilations) {
  if (pads.empty()) return;
  const std::size_t nsp = kernel.size();
  w.check(pads.size() == 2 * nsp, "pads has " + std::to_string(pads.size()) + " entries, expected " +
                                      std::to_string(2 * nsp));
  w.check(dilations.empty() || dilations.size() == nsp,
          "dilations has " + std::to_string(dilations.size()) + " entries, expected " + std::to_string(nsp));
  for (std::size_t i = 0; i < 2 * nsp; ++i) {
    const std::size_t ax = i % nsp;
    const std::int64_t k = kernel[ax], d = dilations.empty() ? 1 : dilations[ax];
    w.check(k >= 1 && d >= 1 && k <= (std::int64_t(1) << 16) && d <= (std::int64_t(1) << 16),
            "kernel and dilations must be 1..65536");
    const std::int64_t extent = (k - 1) * d + 1;
    w.check(pads[i] >= 0 && pads[i] < extent, "pads[" + std::to_string(i) + "] = " + std::to_string(pads[i]) +
                                                  " must be in [0, " + std::to_string(extent) +
                                                  ") (smaller than the dilated kernel extent)");
  }
}

namespace {
void run_digital_unchecked(const Where& w, std::int64_t opset, const std::vector<const Tensor*>& in,
                           const std::vector<Tensor*>& out, Eigen::MatrixXd& scratch) {
  const Node& node = w.node;
  const NodeAttrs& a = node.attrs;
  w.check(!out.empty() && out[0] != nullptr, "no output");
  Tensor& y = *out[0];
  auto unary = [&](auto f) {
    const Tensor& x = need(w, in, 0);
    y.resize(x.shape);
    for (std::size_t i = 0; i < x.data.size(); ++i) y.data[i] = f(x.data[i]);
  };
  switch (node.kind) {
    case OpKind::Gemm: gemm(w, a, in, y); break;
    case OpKind::MatMul: matmul(w, need(w, in, 0), need(w, in, 1), y); break;
    case OpKind::Conv: conv_digital(w, a, in, y, scratch); break;
    case OpKind::Relu: unary([](double v) { return v > 0.0 ? v : 0.0; }); break;
    case OpKind::Sigmoid:
      unary([](double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); });
      break;
    case OpKind::Tanh: unary([](double v) { return std::tanh(v); }); break;
    case OpKind::MaxPool: pool(w, a, true, need(w, in, 0), y); break;
    case OpKind::AveragePool: pool(w, a, false, need(w, in, 0), y); break;
    case OpKind::GlobalAveragePool: {
      const Tensor& x = need(w, in, 0);
      w.check(x.rank() >= 3, "GlobalAveragePool input must be [N, C, spatial...], got " + shape_str(x.shape));
      Shape os{x.dim(0), x.dim(1)};
      os.resize(x.shape.size(), 1);
      const std::int64_t planes = x.dim(0) * x.dim(1), n = x.numel() / std::max<std::int64_t>(1, planes);
      Tensor res;
      res.resize(os);
      for (std::int64_t p = 0; p < planes; ++p) {
        double s = 0.0;
        for (std::int64_t i = 0; i < n; ++i) s += x.data[p * n + i];
        res.data[p] = s / static_cast<double>(n);
      }
      y = std::move(res);
      break;
    }
    case OpKind::Flatten: {
      const Tensor& x = need(w, in, 0);
      const std::int64_t r = x.rank();
      w.check(a.axis >= -r && a.axis <= r, "axis " + std::to_string(a.axis) + " out of range for rank " +
                                               std::to_string(r));
      const std::int64_t axis = a.axis < 0 ? a.axis + r : a.axis;
      copy_to(x, y, {prod(x.shape, 0, axis), prod(x.shape, axis, r)});
      break;
    }
    case OpKind::Reshape: reshape(w, a, need(w, in, 0), need(w, in, 1), y); break;
    case OpKind::Add: {
      const Tensor& A = need(w, in, 0);
      const Tensor& B = need(w, in, 1);
      if (a.legacy_broadcast && a.legacy_axis >= 0) {
        // Opset < 7 broadcast=1, axis=k: B's dims line up with A's starting at k.
        w.check(a.legacy_axis + B.rank() <= A.rank(), "legacy broadcast axis out of range");
        Tensor b2 = B;
        b2.shape.resize(static_cast<std::size_t>(A.rank() - a.legacy_axis), 1);
        broadcast_binary(w, A, b2, y, [](double p, double q) { return p + q; });
      } else {
        broadcast_binary(w, A, B, y, [](double p, double q) { return p + q; });
      }
      break;
    }
    case OpKind::BatchNormalization: batchnorm(w, a, in, y); break;
    case OpKind::Softmax: softmax(w, a, opset, need(w, in, 0), y); break;
    case OpKind::Identity:
    case OpKind::Dropout: {
      const Tensor& x = need(w, in, 0);
      copy_to(x, y, x.shape);
      break;
    }
    case OpKind::Shape: {
      const Tensor& x = need(w, in, 0);
      const std::int64_t r = x.rank();
      auto clampi = [r](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
      const std::int64_t s = clampi(a.start), e = a.end == INT64_MAX ? r : clampi(a.end);
      Tensor res({std::max<std::int64_t>(0, e - s)});
      for (std::int64_t i = s; i < e; ++i) res.data[i - s] = static_cast<double>(x.shape[i]);
      y = std::move(res);
      break;
    }
    case OpKind::Gather: gather(w, a, need(w, in, 0), need(w, in, 1), y); break;
    case OpKind::Unsqueeze: {
      std::vector<std::int64_t> axes = a.axes;
      if (in.size() > 1 && in[1]) {
        axes.clear();
        for (double v : in[1]->data) axes.push_back(as_int(w, v, "axes"));
      }
      unsqueeze(w, axes, need(w, in, 0), y);
      break;
    }
    case OpKind::Squeeze: {
      std::vector<std::int64_t> axes = a.axes;
      if (in.size() > 1 && in[1]) {
        axes.clear();
        for (double v : in[1]->data) axes.push_back(as_int(w, v, "axes"));
      }
      squeeze(w, axes, need(w, in, 0), y);
      break;
    }
    case OpKind::Transpose: transpose(w, a.perm, need(w, in, 0), y); break;
    case OpKind::Concat: concat(w, a, in, y); break;
  }
}

}  // namespace

void run_digital(const Where& w, std::int64_t opset, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, Eigen::MatrixXd& scratch) {
  with_node(w, [&] { run_digital_unchecked(w, opset, in, out, scratch); });
}

}  // namespace memtile::nn::detail
