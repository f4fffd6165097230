// Limits: what one run of a student's program may use. A plain value; the
// lab's defaults are overridden field by field by a test's own limits.
//
// wall         wall-clock time, enforced by the runner (the last resort:
//              generous enough that a correct solution on a loaded 2-core
//              machine never meets it)
// cpu          CPU seconds per process (RLIMIT_CPU; SIGXCPU then SIGKILL)
// memory       address space per process (RLIMIT_AS)
// file_size    largest file a process may write (RLIMIT_FSIZE; SIGXFSZ)
// processes    processes the run may have at once (RLIMIT_NPROC, counted on
//              top of what the user already runs)
// open_files   descriptors per process (RLIMIT_NOFILE)
// output       bytes of stdout and of stderr kept; past it the run is ended
//              and reported as resource-limit
#pragma once

#include <chrono>
#include <cstdint>

namespace ipcgrade {

struct Limits {
  std::chrono::milliseconds wall{10000};
  std::chrono::milliseconds cpu{10000};
  std::uint64_t memory_bytes = 1ull << 30;
  std::uint64_t file_size_bytes = 64ull << 20;
  int processes = 128;
  int open_files = 256;
  std::uint64_t output_bytes = 64ull << 20;
};

}  // namespace ipcgrade
