// Finding: one problem the grader found in a student's program, in the fixed
// vocabulary of shared/findings.md. The kind names are a public interface
// (JSON reports, the SQLite store, exports) and never change meaning.
//
// A Finding is a plain value. It always names the test and program it came
// from, a message a student can act on, the evidence observed, and a command
// that reproduces it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcgrade {

enum class FindingKind {
  kBuild,
  kWrongOutput,
  kCrash,
  kTimeout,
  kDeadlock,
  kEofHang,
  kSigpipe,
  kEintr,
  kShortIo,
  kRace,
  kZombie,
  kOrphan,
  kFdLeak,
  kIpcLeak,
  kBusyWait,
  kSignalUnsafe,
  kResourceLimit,
};

// The public name ("wrong-output", "eof-hang", ...).
std::string_view to_string(FindingKind kind);
// The kind for a public name, or nullopt for a name not in findings.md.
std::optional<FindingKind> parse_finding_kind(std::string_view name);
// Every kind, in the order of findings.md.
const std::vector<FindingKind>& all_finding_kinds();

struct Finding {
  FindingKind kind = FindingKind::kWrongOutput;
  std::string test;      // test name; empty for a build finding
  std::string program;   // program name (e.g. "relay"); empty if none
  std::string message;   // what was expected, what happened, where to look
  std::string evidence;  // what was observed (diff, signal, holders...)
  std::string repro;     // a shell command that reproduces it
  // For a `race` found by repetitions that disagree: the kind the first
  // failing run had (a lost wake-up is a deadlock in the runs where it
  // happens). Used by `validate` to match a variant's declared kind; not
  // part of the JSON report (the evidence says it in words).
  std::optional<FindingKind> failing_kind;
};

// Adds `extra` to `findings`, skipping a finding whose kind is already there
// for the same test and program (the first diagnosis stays first and is not
// repeated), and exact duplicates.
void merge_findings(std::vector<Finding>& findings, const std::vector<Finding>& extra);

}  // namespace ipcgrade
