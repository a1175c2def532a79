// libFuzzer harness helpers. The readers under test take file paths (as the CLI does), so each
// input is written to one per-process file first; /dev/shm keeps that off the disk.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "memtile/core/CheckedSize.hpp"

namespace memtile::fuzz {

inline std::string scratch_path(const char* ext) {
  const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/memtile_fuzz_" + std::to_string(::getpid()) + "." + ext;
}

inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace memtile::fuzz

// Objects are bounded by the memory bound (core/CheckedSize.hpp), 4 GiB by default; libFuzzer
// reports any single allocation above its -malloc_limit_mb (2 GiB) as a crash. The harnesses run
// with a 256 MiB bound, as a user would pass --max-memory 256M, so that any allocation the
// bound lets through stays far below libFuzzer's limit and an unbounded one is still caught.
// (Each fuzz target is one translation unit including this header once.)
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  memtile::core::set_max_memory_bytes(std::uint64_t(256) << 20);
  return 0;
}
