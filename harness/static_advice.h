// Static advice: clang-tidy over a built submission's C and C++ sources,
// its warnings turned into Advice items (file:line, check, message). Advice
// costs no points; the report shows it beside the findings.
//
// Checks, chosen for what the IPC labs teach:
//   bugprone-signal-handler       a handler installed with signal() that
//                                 calls a function that is not
//                                 async-signal-safe (printf, malloc...).
//                                 clang-tidy 14 follows signal() only, not
//                                 sigaction(): the shim's run-time
//                                 observation covers those. (cert-sig30-c
//                                 is the same check under another name.)
//   bugprone-unused-return-value  a result of read, write, pipe, fork, dup2,
//                                 close, waitpid, sem_wait or a pthread_*
//                                 call that is never looked at: short
//                                 counts, EINTR and errors go unnoticed.
// The submission's own .clang-tidy files are ignored (--config replaces
// them) and compile_commands.json is not used: every file is analysed with
// the lab contract's flags (-std=gnu11 or -std=gnu++17, -pthread).
//
// clang-tidy runs in the sandbox with the build's limits (wall at most
// 60 s), in the folder the submission was built in; its output is capped,
// and so is the number of items. A missing clang-tidy, or one that did not
// finish, is a note in the advice, never an error.
//
// Free functions; safe from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/advice.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

struct StaticAdviceOptions {
  std::filesystem::path clang_tidy;  // empty: looked up in /usr/local/bin, /usr/bin, /bin
  std::size_t max_items = 40;
};

// The functions whose unused result is advice, as clang-tidy's
// CheckedFunctions option ("::read;::write;...").
std::string checked_functions_option();

// Advice items from clang-tidy's output: one per warning of our checks in a
// file under `source_root` (shown relative to it), de-duplicated, in order.
std::vector<Advice> parse_clang_tidy_output(std::string_view output,
                                            const std::filesystem::path& source_root);

// Runs clang-tidy over the C/C++ sources under `source_root` (a built
// scratch copy). A Status only when the grader itself failed.
Result<std::vector<Advice>> clang_tidy_advice(const Sandbox& sandbox, const LabSpec& lab,
                                              const std::filesystem::path& source_root,
                                              const StaticAdviceOptions& options = {});

}  // namespace ipcgrade
