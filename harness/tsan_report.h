// ThreadSanitizer reports: parsing the log a TSan-instrumented run writes
// (TSAN_OPTIONS log_path=...) and turning it into findings a student can act
// on.
//
// A TSan log is a series of blocks between "==================" lines. Each
// block opens with "WARNING: ThreadSanitizer: <kind> (pid=N)" and holds
// sections: a heading at two spaces ("Read of size 4 at 0x... by thread T2
// (mutexes: write M0):", "Mutex M0 (0x...) created at:") followed by stack
// frames at four ("#1 consumer /tmp/x/prodcons.c:133 (prodcons+0x1bf3)").
// The parser never fails: text it does not understand is skipped, a block
// cut short (a run killed mid-write) keeps what was read, and the input is
// treated as untrusted (the student's program can write into the log too):
// every count and length is capped.
//
// Only frames inside the submission's sources are shown to the student;
// frames of libtsan, libc and other libraries are dropped. Two reports are
// the same problem when their pair of code locations is the same (TSan
// reports a racy pair once per address, so a racy array gives many).
//
// Mapping: a data race (and a heap-use-after-free, which TSan reports when
// a free races with a use) is a `race` finding. A lock-order inversion is
// advice: TSan reports two orders seen anywhere in the run, even on paths
// that can never overlap, and a deadlock that does happen is the hang
// oracle's to find. Other reports (thread leak, mutex misuse, signal-unsafe
// calls) become advice too: true, but outside what this pass grades.
//
// Free functions over plain values; safe from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/advice.h"
#include "harness/finding.h"

namespace ipcgrade {

struct TsanFrame {
  std::string function;  // "consumer", "<null>" when unknown
  std::string file;      // as TSan printed it (absolute for DWARF with a comp dir)
  int line = 0;          // 0: unknown
  std::string module;    // "prodcons", "libtsan.so.2"
};

struct TsanSection {
  std::string heading;  // without the indentation and the final ':'
  std::vector<TsanFrame> frames;
};

struct TsanReport {
  std::string kind;  // "data race", "lock-order-inversion (potential deadlock)", ...
  std::vector<TsanSection> sections;
};

// Every report of a TSan log, in order; at most `max_reports`.
std::vector<TsanReport> parse_tsan_log(std::string_view text, std::size_t max_reports = 200);

struct TsanContext {
  std::string test;
  std::string program;
  std::string repro;
  // The folder the instrumented copy was built in: frames whose file is
  // under it are the student's, shown relative to it.
  std::filesystem::path source_root;
};

struct TsanVerdicts {
  std::vector<Finding> findings;  // race, deadlock: one per distinct pair of locations
  std::vector<Advice> advice;     // other kinds of report
};

TsanVerdicts interpret_tsan_reports(const std::vector<TsanReport>& reports,
                                    const TsanContext& context);

}  // namespace ipcgrade
