// The judge: turns what one run of a test was observed to do (RunResult)
// into findings, against the test's expectations. A pure function of its
// inputs: it sees only what the grader captured outside the sandbox.
//
// Order of judgement, most specific cause first; a run that was ended or
// killed is not also blamed for the output it could not finish:
//   1. ended by the hang oracle          eof-hang or deadlock (its diagnosis)
//   2. ended by the wall clock           timeout
//   3. ended for flooding its output     resource-limit
//   4. killed by a signal it did not expect: SIGPIPE sigpipe; SIGXCPU,
//      SIGXFSZ (or SIGKILL past the CPU limit) resource-limit; other crash
//   5. exit status, stdout, stderr       wrong-output or the test's own kind
//   6. CPU burnt while waiting           busy-wait (stdin pauses, max_cpu)
//   7. children left behind              zombie, orphan
#pragma once

#include <string>
#include <vector>

#include "harness/finding.h"
#include "harness/lab_spec.h"
#include "harness/runner.h"

namespace ipcgrade {

struct JudgeInput {
  const TestSpec& test;
  const std::string& stdin_data;
  const RunResult& run;
  // For `stdout: {command: ...}` / `stderr: {command: ...}`: what the trusted
  // command printed for this input (computed once per test).
  const std::string* expected_stdout = nullptr;
  const std::string* expected_stderr = nullptr;
  std::string repro;        // the shell command that reproduces this run
};

std::vector<Finding> judge_run(const JudgeInput& input);

// "first difference at byte 1234 (line 5): expected ... got ..." for two
// byte strings; printable excerpts with escapes, bounded.
std::string describe_difference(const std::string& expected, const std::string& actual);

// Up to `max` bytes of `s` with non-printable bytes as \xNN escapes.
std::string printable_excerpt(const std::string& s, std::size_t max = 160);

}  // namespace ipcgrade
