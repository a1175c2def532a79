// An input matrix supplied a block of rows at a time instead of formed whole (e.g. the im2col
// patches of a Conv, copied where they are consumed): writes rows [first, first + count) into
// `out` (count x columns, column-major).
#pragma once
#include <Eigen/Dense>
#include <functional>

namespace memtile::core {

using InputRows = std::function<void(Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out)>;

}  // namespace memtile::core
