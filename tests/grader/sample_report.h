// A realistic Report for the store and JSON tests: three tests (one hidden,
// one failed, one the grader could not judge), findings of several kinds, and
// text that is hard to carry (quotes, SQL, unicode, control bytes, long
// lines), plus check_same_report() that compares two reports field by field
// so that a failure names the field.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "grader/report.h"

namespace ipcgrade::testing {

// Every string valid UTF-8 (JSON keeps it exactly). Pass `binary` to add
// bytes that are not UTF-8 (never NUL) to the outputs, which the store must
// keep byte for byte.
inline Report sample_report(bool binary = false) {
  const std::string raw_bytes = binary ? std::string("\x01\x7f\xff\xfe\xc0\xaf\xed\xa0\x80") : "";
  Report report;
  report.lab = "pipes";
  report.lab_hash = "3f1c0a9e5d7b2c4f6e8a0b1d3c5e7f9a1b3d5f7e9c0a2b4d6f8e0c2a4b6d8f0e";
  report.submission = "subs/o'brien \"x\"; DROP TABLE submissions; --";
  report.submission_hash = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3a94a8fe5ccb19ba61c4c0873";
  report.grader_version = "0.1.0";
  report.started_at = "2026-11-21T21:52:18Z";
  report.duration_seconds = 12.375;
  report.sandbox_tier = "reduced";
  report.sandbox_lacks = "forced by --isolation reduced";
  report.score = 7.5;
  report.max_score = 20;
  report.build_ok = true;
  report.build_output = "cc -Wall -o relay relay.c\nrelay.c:12:5: warning: unused variable ‘n’\n";
  report.status = "internal-error";
  report.internal_error = "sandbox: could not start test \"fanout\": cgroup v2 not mounted";

  TestReport passed;
  passed.name = "relay copies stdin";
  passed.program = "relay";
  passed.status = "passed";
  passed.score = 5;
  passed.max_score = 5;
  passed.output = "ok — 日本語 ✓ «quoted» 'single' \"double\" `back` \\ tab\there\r\n" + raw_bytes;
  passed.hidden = false;
  passed.repetitions = 1;
  passed.passed_repetitions = 1;
  passed.wall_seconds = 0.0421;
  report.tests.push_back(passed);

  TestReport failed;
  failed.name = "relay survives EINTR";
  failed.program = "relay";
  failed.status = "failed";
  failed.score = 2.5;
  failed.max_score = 10;
  failed.output =
      "\x1b[31mexpected 4096 bytes, got 1000\x1b[0m\n" + std::string(5000, 'x') + raw_bytes;
  failed.hidden = true;
  failed.repetitions = 8;
  failed.passed_repetitions = 3;
  failed.wall_seconds = 1.5e-3;
  report.tests.push_back(failed);

  TestReport error;
  error.name = "fanout";
  error.program = "fanout";
  error.status = "error";
  error.score = 0;
  error.max_score = 5;
  error.output = "";
  error.hidden = false;
  error.repetitions = 0;
  error.passed_repetitions = 0;
  error.wall_seconds = 0;
  report.tests.push_back(error);

  Finding eintr;
  eintr.kind = FindingKind::kEintr;
  eintr.test = "relay survives EINTR";
  eintr.program = "relay";
  eintr.message = "read() returned -1 with errno EINTR and relay exited; retry the call.";
  eintr.evidence = "injected EINTR on read(0, ...) #3\n" + raw_bytes;
  eintr.repro =
      "cd subs/x && make -s && ipcgrade gen --bytes 1048576 --seed 42 | "
      "LD_PRELOAD=/usr/lib/ipcgrade/libipcgrade_shim.so IPCGRADE_FAULTS=eintr,seed=42 "
      "./relay cat; echo \"exit status $?\"";
  report.findings.push_back(eintr);

  Finding leak;
  leak.kind = FindingKind::kFdLeak;
  leak.test = "relay copies stdin";
  leak.program = "relay";
  leak.message = "fd 4 (pipe:[123]) is still open in the exec'd child";
  leak.evidence = "/proc/1234/fd/4 -> pipe:[123]";
  leak.repro = "";
  report.findings.push_back(leak);

  Finding build;
  build.kind = FindingKind::kBuild;
  build.message = "warning treated as a finding: ‘n’ unused";
  report.findings.push_back(build);
  return report;
}

inline void check_same_report(const Report& expected, const Report& actual) {
  CHECK(actual.lab == expected.lab);
  CHECK(actual.lab_hash == expected.lab_hash);
  CHECK(actual.submission == expected.submission);
  CHECK(actual.submission_hash == expected.submission_hash);
  CHECK(actual.grader_version == expected.grader_version);
  CHECK(actual.started_at == expected.started_at);
  CHECK(actual.duration_seconds == expected.duration_seconds);
  CHECK(actual.sandbox_tier == expected.sandbox_tier);
  CHECK(actual.sandbox_lacks == expected.sandbox_lacks);
  CHECK(actual.score == expected.score);
  CHECK(actual.max_score == expected.max_score);
  CHECK(actual.build_ok == expected.build_ok);
  CHECK(actual.build_output == expected.build_output);
  CHECK(actual.status == expected.status);
  CHECK(actual.internal_error == expected.internal_error);
  REQUIRE(actual.tests.size() == expected.tests.size());
  for (std::size_t i = 0; i < expected.tests.size(); ++i) {
    CAPTURE(i);
    const TestReport& e = expected.tests[i];
    const TestReport& a = actual.tests[i];
    CHECK(a.name == e.name);
    CHECK(a.program == e.program);
    CHECK(a.status == e.status);
    CHECK(a.score == e.score);
    CHECK(a.max_score == e.max_score);
    CHECK(a.output == e.output);
    CHECK(a.hidden == e.hidden);
    CHECK(a.repetitions == e.repetitions);
    CHECK(a.passed_repetitions == e.passed_repetitions);
    CHECK(a.wall_seconds == e.wall_seconds);
  }
  REQUIRE(actual.findings.size() == expected.findings.size());
  for (std::size_t i = 0; i < expected.findings.size(); ++i) {
    CAPTURE(i);
    const Finding& e = expected.findings[i];
    const Finding& a = actual.findings[i];
    CHECK(a.kind == e.kind);
    CHECK(a.test == e.test);
    CHECK(a.program == e.program);
    CHECK(a.message == e.message);
    CHECK(a.evidence == e.evidence);
    CHECK(a.repro == e.repro);
  }
}

}  // namespace ipcgrade::testing
