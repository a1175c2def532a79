// Error types shared by every layer. An InputError is the user's fault (bad file, field or
// value): front ends print its one-line message and exit with code 2.
#pragma once
#include <stdexcept>
#include <string>

namespace memtile::core {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws InputError("<what>: <message>") unless cond holds.
inline void require(bool cond, const std::string& what, const std::string& message) {
  if (!cond) throw InputError(what + ": " + message);
}
// The same for literals: no string is built unless the check fails (hot loops call it). A
// message built with + is built before the call: in a hot path test the condition first.
inline void require(bool cond, const char* what, const char* message) {
  if (!cond) throw InputError(std::string(what) + ": " + message);
}

}  // namespace memtile::core
